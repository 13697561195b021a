/**
 * Subprocess helper for the concurrency tests.
 *
 *   deno run -A journal_worker.ts append <dir> <worker-id> <count>
 *   deno run -A journal_worker.ts rotate <dir> <stop-file>
 *   deno run -A journal_worker.ts hold <dir> <exclusive|shared>
 *
 * append: each transaction is committed under withLock(true) with seq = last
 * seq in journal.wal + 1, so seq strictly increases in every file.
 * rotate: creates journal.wal, prints "ready", then rotates journal.wal under
 * the lock until <stop-file> exists; prints the number of archives it made.
 * hold: takes the lock, prints "locked", holds it until stdin closes.
 */

import { JournalFiles } from "../../src/persistence/journal_file.ts";
import { encodeTransaction } from "../../src/persistence/journal_encode.ts";
import { type JournalRecord, scanJournal } from "../../src/persistence/journal_format.ts";

const [mode, dir, a, b] = Deno.args;
const files = new JournalFiles(dir);

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

if (mode === "append") {
  const id = Number(a);
  const count = Number(b);
  for (let i = 0; i < count; i++) {
    await files.withLock(true, async () => {
      const { bytes } = await files.readFrom(0);
      const scan = scanJournal(bytes);
      if (scan.damage) {
        throw new Error(`damage seen by worker ${id}: ${scan.damage.reason}`);
      }
      const last = scan.transactions.at(-1)?.seq ?? 0;
      const records: JournalRecord[] = [{
        op: "assert",
        clause: `w(${id}, ${i}, '${"x".repeat((i * 37 + id * 11) % 3000)}')`,
      }];
      if (i % 10 === 9) {
        records.push({ op: "retract", clause: `w(${id}, ${i - 1}, _)` });
      }
      await files.append(
        encodeTransaction({
          seq: last + 1,
          ts: Math.floor(Date.now() / 1000),
          records,
        }),
      );
    });
  }
} else if (mode === "rotate") {
  let rotations = 0;
  await files.withLock(true, () => files.rotate()); // creates journal.wal
  console.log("ready");
  while (!(await exists(a))) {
    if (await files.withLock(true, () => files.rotate())) rotations++;
    await new Promise((r) => setTimeout(r, 2));
  }
  console.log(rotations);
} else if (mode === "hold") {
  await files.withLock(a === "exclusive", async () => {
    console.log("locked");
    for await (const _ of Deno.stdin.readable) {
      // wait for EOF
    }
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}
