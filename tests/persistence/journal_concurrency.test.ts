import assert from "node:assert/strict";
import { join } from "node:path";
import { JournalFiles } from "../../src/persistence/journal_file.ts";
import { LockTimeoutError } from "../../src/persistence/file_lock.ts";
import { scanJournal, type Transaction } from "../../src/persistence/journal_format.ts";
import { dec } from "./helpers.ts";

const WORKER = new URL("./journal_worker.ts", import.meta.url).pathname;

function worker(...args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-read", "--allow-write", WORKER, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finish(child: Deno.ChildProcess): Promise<string> {
  await child.stdin.close();
  const out = await child.output();
  assert.equal(out.code, 0, dec.decode(out.stderr));
  return dec.decode(out.stdout);
}

/** Check each worker's transactions appear exactly once and in order; returns the count. */
function checkWorkers(
  txs: Transaction[],
  workers: number,
  perWorker: number,
): number {
  const next = new Array(workers).fill(0);
  for (const tx of txs) {
    const m = /^w\((\d+), (\d+), /.exec(tx.records[0].clause);
    assert.ok(m, tx.records[0].clause);
    const [id, i] = [Number(m[1]), Number(m[2])];
    assert.equal(
      i,
      next[id],
      `worker ${id}: expected tx ${next[id]}, got ${i}`,
    );
    next[id]++;
    assert.equal(tx.records.length, i % 10 === 9 ? 2 : 1);
  }
  assert.deepEqual(next, new Array(workers).fill(perWorker));
  return txs.length;
}

Deno.test("8 processes appending 50 transactions each under the lock lose nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zpm-conc-" });
  try {
    const children = Array.from(
      { length: 8 },
      (_, id) => worker("append", dir, String(id), "50"),
    );
    await Promise.all(children.map(finish));
    const bytes = await Deno.readFile(join(dir, "journal.wal"));
    const scan = scanJournal(bytes);
    assert.equal(scan.damage, null);
    assert.equal(scan.missingFinalNewline, false);
    assert.equal(scan.transactions.length, 400);
    // Every line is intact: exactly 400 newline-terminated lines, seq 1..400.
    assert.equal(bytes.filter((b) => b === 0x0a).length, 400);
    assert.deepEqual(
      scan.transactions.map((t) => t.seq),
      Array.from({ length: 400 }, (_, i) => i + 1),
    );
    checkWorkers(scan.transactions, 8, 50);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rotation racing appenders: archives + journal.wal hold every transaction exactly once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zpm-rot-" });
  try {
    const stop = join(dir, "stop");
    const rotator = worker("rotate", dir, stop);
    const out = rotator.stdout.getReader();
    const readText = async () => {
      const { value, done } = await out.read();
      return done ? "" : dec.decode(value);
    };
    let text = await readText();
    assert.equal(text, "ready\n");
    const appenders = Array.from(
      { length: 4 },
      (_, id) => worker("append", dir, String(id), "50"),
    );
    await Promise.all(appenders.map(finish));
    await Deno.writeTextFile(stop, "");
    await rotator.stdin.close();
    for (let more = await readText(); more; more = await readText()) {
      text += more;
    }
    const status = await rotator.status;
    assert.equal(status.code, 0, await new Response(rotator.stderr).text());
    const rotations = Number(text.slice("ready\n".length));
    const files = new JournalFiles(dir);
    const archives = await files.listArchives();
    assert.equal(archives.length, rotations);
    assert.ok(rotations >= 3, `only ${rotations} rotations`);
    const all: Transaction[] = [];
    for (const name of [...archives.map((a) => a.name), "journal.wal"]) {
      const scan = scanJournal(await Deno.readFile(join(dir, name)));
      assert.equal(scan.damage, null, name);
      assert.equal(scan.missingFinalNewline, false, name);
      all.push(...scan.transactions);
    }
    assert.equal(checkWorkers(all, 4, 50), 200);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lock held by another process: timeouts name the lock file; shared locks coexist", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zpm-lock-" });
  try {
    const files = new JournalFiles(dir);
    const reader = await holdLock(dir, "shared");
    // Shared + shared is fine; exclusive waits and times out.
    assert.equal(
      await files.withLock(false, () => Promise.resolve(42), 2000),
      42,
    );
    await assert.rejects(
      files.withLock(true, () => Promise.resolve(0), 150),
      (e: Error) => e instanceof LockTimeoutError && e.message.includes(files.lockPath),
    );
    await reader.release();

    const writer = await holdLock(dir, "exclusive");
    const t0 = Date.now();
    await assert.rejects(
      files.withLock(false, () => Promise.resolve(0), 200),
      (e: Error) =>
        e instanceof LockTimeoutError &&
        /shared lock on .*journal\.lock/.test(e.message),
    );
    assert.ok(Date.now() - t0 >= 190);
    // Released when the holder exits: a waiting writer gets it.
    const waiting = files.withLock(
      true,
      () => Promise.resolve("got it"),
      10_000,
    );
    await writer.release();
    assert.equal(await waiting, "got it");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A subprocess holding the lock until its stdin is closed. */
async function holdLock(
  dir: string,
  mode: "exclusive" | "shared",
): Promise<{ release: () => Promise<void> }> {
  const child = worker("hold", dir, mode);
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
  }
  assert.equal(text.trim(), "locked");
  return {
    release: async () => {
      await child.stdin.close();
      while (!(await reader.read()).done) {
        // drain
      }
      const err = await new Response(child.stderr).text();
      const status = await child.status;
      assert.equal(status.code, 0, err);
    },
  };
}
