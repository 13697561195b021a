import assert from "node:assert/strict";
import { join } from "node:path";
import { fsyncDir, JournalWriteError, nowNs, writeFileAtomic } from "../../src/io/files.ts";
import { LockTimeoutError } from "../../src/persistence/file_lock.ts";
import { JournalFiles } from "../../src/persistence/journal_file.ts";
import { encodeTransaction } from "../../src/persistence/journal_encode.ts";
import { dec, enc, scanFile } from "./helpers.ts";

async function tempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "zpm-jf-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

const tx = (seq: number) =>
  encodeTransaction({
    seq,
    ts: 1_764_000_000,
    records: [{ op: "assert", clause: `f(${seq})` }],
  });

Deno.test("append creates journal.wal (0600, private) and journal.lock, appends whole lines", async () => {
  await tempDir(async (dir) => {
    const files = new JournalFiles(dir);
    assert.equal(files.walPath, join(dir, "journal.wal"));
    assert.equal(files.lockPath, join(dir, "journal.lock"));
    assert.equal(await files.stat(), null);
    await files.withLock(true, async () => {
      await files.append(tx(1));
      await files.append(enc.encode(tx(2)));
      await files.append(""); // no-op
    });
    assert.equal(await Deno.readTextFile(files.walPath), tx(1) + tx(2));
    const st = await Deno.stat(files.walPath);
    assert.equal(st.mode! & 0o777, 0o600);
    assert.ok((await Deno.stat(files.lockPath)).isFile);
    const id = await files.stat();
    assert.equal(id?.size, st.size);
    assert.equal(id?.ino, st.ino);
    assert.equal((await scanFile(files)).transactions.length, 2);
  });
});

Deno.test("mutating calls outside withLock(true) are refused", async () => {
  await tempDir(async (dir) => {
    const files = new JournalFiles(dir);
    await assert.rejects(files.append(tx(1)), /inside withLock\(true\)/);
    await assert.rejects(files.rotate(), /inside withLock\(true\)/);
    await assert.rejects(files.cutTail(0), /inside withLock\(true\)/);
    await assert.rejects(files.ensureFinalNewline(), /inside withLock\(true\)/);
    await assert.rejects(
      files.withLock(false, () => files.append(tx(1))),
      /inside withLock\(true\)/,
    );
    assert.equal(await files.stat(), null);
    // A second instance for the same directory shares the held lock.
    await files.withLock(true, () => new JournalFiles(dir).append(tx(1)));
    assert.equal(await Deno.readTextFile(files.walPath), tx(1));
  });
});

Deno.test("append refuses to glue onto a line without its final newline", async () => {
  await tempDir(async (dir) => {
    const files = new JournalFiles(dir);
    const partial = tx(1).slice(0, -1);
    await Deno.writeTextFile(files.walPath, partial);
    await files.withLock(true, async () => {
      await assert.rejects(
        files.append(tx(2)),
        (e: Error) => e instanceof JournalWriteError && e.message.includes("newline"),
      );
      assert.equal(await Deno.readTextFile(files.walPath), partial);
      await files.ensureFinalNewline();
      await files.ensureFinalNewline(); // idempotent
      await files.append(tx(2));
    });
    assert.equal(await Deno.readTextFile(files.walPath), tx(1) + tx(2));
    const scan = await scanFile(files);
    assert.equal(scan.damage, null);
    assert.equal(scan.transactions.length, 2);
  });
});

Deno.test("readFrom returns bytes from an offset with the file id", async () => {
  await tempDir(async (dir) => {
    const files = new JournalFiles(dir);
    assert.deepEqual(await files.readFrom(0), {
      bytes: new Uint8Array(0),
      id: null,
    });
    await files.withLock(true, () => files.append(tx(1) + tx(2)));
    const first = enc.encode(tx(1)).length;
    const all = await files.readFrom(0);
    const tail = await files.readFrom(first);
    assert.equal(dec.decode(all.bytes), tx(1) + tx(2));
    assert.equal(dec.decode(tail.bytes), tx(2));
    assert.equal(tail.id?.size, all.bytes.length);
    assert.equal(tail.id?.ino, (await Deno.stat(files.walPath)).ino);
    // Beyond EOF (the file was cut or replaced): nothing, and the real size.
    const beyond = await files.readFrom(all.bytes.length + 100);
    assert.equal(beyond.bytes.length, 0);
    assert.equal(beyond.id?.size, all.bytes.length);
  });
});

Deno.test("cutTail keeps the cut bytes in journal.wal.broken-<ns> and truncates", async () => {
  await tempDir(async (dir) => {
    const files = new JournalFiles(dir);
    await Deno.writeTextFile(files.walPath, tx(1) + "torn{garbage");
    const good = enc.encode(tx(1)).length;
    const p1 = await files.withLock(true, () => files.cutTail(good));
    assert.match(p1, /journal\.wal\.broken-\d+$/);
    assert.equal(await Deno.readTextFile(p1), "torn{garbage");
    assert.equal(await Deno.readTextFile(files.walPath), tx(1));
    await Deno.writeTextFile(files.walPath, "x", { append: true });
    const p2 = await files.withLock(true, () => files.cutTail(good));
    assert.notEqual(p1, p2);
    assert.equal(await Deno.readTextFile(p2), "x");
    await assert.rejects(
      files.withLock(true, () => files.cutTail(good + 1)),
      RangeError,
    );
  });
});

Deno.test("rotate archives journal.wal under a fresh ns name and starts an empty one", async () => {
  await tempDir(async (dir) => {
    const files = new JournalFiles(dir);
    assert.equal(await files.withLock(true, () => files.rotate()), null);
    assert.equal((await Deno.stat(files.walPath)).size, 0);
    await files.withLock(true, () => files.append(tx(1)));
    const before = nowNs();
    const a1 = await files.withLock(true, () => files.rotate());
    assert.ok(a1);
    const m = /^journal-(\d+)\.wal$/.exec(a1);
    assert.ok(m);
    assert.ok(BigInt(m[1]) > before);
    assert.equal(await Deno.readTextFile(join(dir, a1)), tx(1));
    assert.equal(await Deno.readTextFile(files.walPath), "");
    const a2 = await files.withLock(true, () => files.rotate());
    assert.ok(a2 && a2 !== a1);
    assert.deepEqual(
      (await files.listArchives()).map((a) => a.name),
      [a1, a2],
    );
  });
});

Deno.test("reap deletes only journal-<digits>.wal older than the bound", async () => {
  await tempDir(async (dir) => {
    const files = new JournalFiles(dir);
    const keep = [
      "journal.wal",
      "journal.lock",
      "journal.wal.broken-1",
      "journal-abc.wal",
      "journal-12.wal.tmp",
      "journal-1-2.wal",
      "journal.100.wal",
      "notes.txt",
      "journal-300.wal",
      "journal-250.wal",
    ];
    for (const n of [...keep, "journal-100.wal", "journal-0200.wal"]) {
      await Deno.writeTextFile(join(dir, n), n);
    }
    await Deno.mkdir(join(dir, "journal-5.wal")); // not a regular file
    assert.deepEqual(
      (await files.listArchives()).map((a) => [a.name, a.ns]),
      [
        ["journal-100.wal", 100n],
        ["journal-0200.wal", 200n],
        ["journal-250.wal", 250n],
        ["journal-300.wal", 300n],
      ],
    );
    const deleted = await files.reap(250n);
    assert.deepEqual(deleted.sort(), ["journal-0200.wal", "journal-100.wal"]);
    assert.deepEqual(await names(dir), [...keep, "journal-5.wal"].sort());
    assert.deepEqual(await files.reap(250n), []);
  });
});

Deno.test("withLock: one process queues its calls, nesting does not deadlock, errors release", async () => {
  await tempDir(async (dir) => {
    const files = new JournalFiles(dir);
    const other = new JournalFiles(dir + "/"); // same lock file, other instance
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) =>
          (i % 2 ? files : other).withLock(i % 3 !== 0, async () => {
            inside++;
            maxInside = Math.max(maxInside, inside);
            await new Promise((r) => setTimeout(r, 2));
            order.push(i);
            inside--;
          }),
      ),
    );
    assert.equal(maxInside, 1);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    const nested = await files.withLock(
      true,
      () =>
        other.withLock(
          true,
          () => files.withLock(false, () => Promise.resolve("deep")),
        ),
    );
    assert.equal(nested, "deep");
    await assert.rejects(
      files.withLock(
        false,
        () => files.withLock(true, () => Promise.resolve()),
      ),
      /upgrade|exclusive lock/,
    );
    await assert.rejects(
      files.withLock(true, () => Promise.reject(new Error("boom"))),
      /boom/,
    );
    // Still usable after errors; a queued caller times out with the lock path.
    let release!: () => void;
    const holding = files.withLock(
      true,
      () => new Promise<void>((r) => (release = r)),
    );
    await new Promise((r) => setTimeout(r, 10));
    await assert.rejects(
      files.withLock(true, () => Promise.resolve(), 50),
      (e: Error) => e instanceof LockTimeoutError && e.message.includes(files.lockPath),
    );
    const after = files.withLock(true, () => Promise.resolve("next"));
    release();
    await holding;
    assert.equal(await after, "next");
  });
});

Deno.test("withLock on a missing directory throws JournalWriteError naming the lock file", async () => {
  await tempDir(async (dir) => {
    const files = new JournalFiles(join(dir, "missing"));
    for (const exclusive of [true, false]) {
      await assert.rejects(
        files.withLock(exclusive, () => Promise.resolve()),
        (e: Error) => e instanceof JournalWriteError && e.message.includes(files.lockPath),
      );
    }
  });
});

Deno.test("writeFileAtomic replaces content and leaves no temp file", async () => {
  await tempDir(async (dir) => {
    const path = join(dir, "snap.pl");
    await writeFileAtomic(path, "one\n");
    assert.equal(await Deno.readTextFile(path), "one\n");
    await writeFileAtomic(path, enc.encode("two\n"));
    assert.equal(await Deno.readTextFile(path), "two\n");
    assert.deepEqual(await names(dir), ["snap.pl"]);
    // Failure: the target is a non-empty directory, so the rename fails.
    const blocked = join(dir, "blocked.pl");
    await Deno.mkdir(blocked);
    await Deno.writeTextFile(join(blocked, "x"), "x");
    await assert.rejects(writeFileAtomic(blocked, "data"), JournalWriteError);
    assert.deepEqual(await names(dir), ["blocked.pl", "snap.pl"]);
    await assert.rejects(
      writeFileAtomic(join(dir, "nodir", "f.pl"), "data"),
      JournalWriteError,
    );
    await fsyncDir(dir);
  });
});

Deno.test("nowNs is unix nanoseconds and strictly increasing", () => {
  const wall = BigInt(Date.now()) * 1_000_000n;
  let prev = nowNs();
  assert.ok(prev >= wall - 1_000_000n && prev < wall + 1_000_000_000n);
  for (let i = 0; i < 100_000; i++) {
    const n = nowNs();
    assert.ok(n > prev);
    prev = n;
  }
});
