/**
 * The journal-store contract (src/persistence/journal_store.ts) as a test suite that every backend
 * must pass: ordering, atomic multi-record transactions, durability before return (visible to a
 * fresh instance and to another process), concurrent appenders in several processes, rotation seen
 * by other processes, torn-tail handling, snapshots and reaping.
 */
import assert from "node:assert/strict";
import type { NewTransaction } from "../../src/persistence/journal_store.ts";
import { formatSnapshotHeader } from "../../src/persistence/snapshot_file.ts";
import { closeStores, openStore } from "./store_backends.ts";

/** How the suite makes stores of one backend. */
export interface StoreBackend {
  /** Backend name, used in test titles. */
  name: string;
  /** A new, empty store's spec (see store_backends.ts) and how to remove it afterwards. */
  fresh(): Promise<{ spec: string; cleanup: () => Promise<void> }>;
  /**
   * Simulate a crash in the middle of an append (part of a transaction stored), or null for a
   * backend whose appends cannot tear (the torn-tail test is then about reads only).
   */
  tearTail: ((spec: string) => Promise<void>) | null;
}

const WORKER = new URL("./store_worker.ts", import.meta.url).pathname;

function tx(seq: number, ...clauses: string[]): NewTransaction {
  return { seq, ts: 1_764_000_000 + seq, records: clauses.map((clause) => ({ op: "assert", clause })) };
}

async function worker(...args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-net=127.0.0.1", WORKER, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`store worker ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** Register the contract tests for `backend`. */
export function journalStoreContract(backend: StoreBackend): void {
  const test = (title: string, fn: (spec: string) => Promise<void>, ignore = false) =>
    Deno.test({ name: `journal store contract (${backend.name}): ${title}`, ignore }, async () => {
      const { spec, cleanup } = await backend.fresh();
      try {
        await fn(spec);
      } finally {
        await closeStores();
        await cleanup();
      }
    });

  test("transactions read back in append order, whole, from any position", async (spec) => {
    const store = openStore(spec);
    assert.equal(await store.head(), null, "a new store has no journal");
    const ends: number[] = [];
    await store.withLock(true, async () => {
      for (let i = 1; i <= 5; i++) ends.push(await store.append(tx(i, `a(${i})`, `b(${i}, "two records")`)));
    });
    const all = await store.read(0);
    assert.equal(all.scan.damage, null);
    assert.deepEqual(all.scan.transactions.map((t) => t.seq), [1, 2, 3, 4, 5]);
    assert.deepEqual(all.scan.transactions[2].records.map((r) => r.clause), ["a(3)", 'b(3, "two records")']);
    assert.equal(all.scan.goodEnd, ends[4]);
    assert.equal((await store.head())?.end, ends[4]);
    const after = await store.read(ends[1]);
    assert.deepEqual(after.scan.transactions.map((t) => t.seq), [3, 4, 5], "read after a position");
    assert.equal((await store.read(ends[4])).scan.transactions.length, 0, "nothing after the end");
  });

  test("an append is visible to a fresh instance and to another process once it returns", async (spec) => {
    const store = openStore(spec);
    await store.withLock(true, () => store.append(tx(1, "durable(yes)")));
    const again = openStore(spec);
    assert.deepEqual((await again.read(0)).scan.transactions.map((t) => t.records[0].clause), [
      "durable(yes)",
    ]);
    assert.deepEqual(JSON.parse(await worker("head", spec)), await store.head());
  });

  test("appends outside the exclusive lock are refused", async (spec) => {
    const store = openStore(spec);
    await assert.rejects(() => store.append(tx(1, "x")), /withLock/);
    assert.equal(await store.head(), null);
  });

  test("4 processes appending concurrently under the lock: gap-free sequence, nothing lost or torn", async (spec) => {
    const per = 25;
    await Promise.all([0, 1, 2, 3].map((id) => worker("append", spec, String(id), String(per))));
    const { scan } = await openStore(spec).read(0);
    assert.equal(scan.damage, null);
    assert.deepEqual(scan.transactions.map((t) => t.seq), Array.from({ length: 4 * per }, (_, i) => i + 1));
    for (const t of scan.transactions) {
      assert.equal(t.records.length, 2, "both records of a transaction arrive together");
      assert.equal(t.records[0].clause.replace(/^w/, "v"), t.records[1].clause);
    }
    const seen = new Set(scan.transactions.map((t) => t.records[0].clause));
    assert.equal(seen.size, 4 * per, "every transaction exactly once");
  });

  test("rotation starts an empty generation that other instances and processes notice", async (spec) => {
    const store = openStore(spec);
    await store.withLock(true, () => store.append(tx(1, "old(1)")));
    const before = await store.head();
    const other = openStore(spec);
    assert.deepEqual(await other.head(), before);
    await store.withLock(true, () => store.rotate());
    const after = await other.head();
    assert.ok(after, "a journal exists after rotation");
    assert.ok(after.generation !== before!.generation || after.end < before!.end, "the change is visible");
    assert.equal(after.end, 0);
    assert.equal((await other.read(0)).scan.transactions.length, 0, "the new generation is empty");
    assert.deepEqual(JSON.parse(await worker("head", spec)), after);
    assert.equal((await store.listArchives()).length, 1, "the old generation is archived");
  });

  test("snapshots are listed newest first by header and read back; reap removes only older archives", async (spec) => {
    const store = openStore(spec);
    const newest = formatSnapshotHeader({ ns: 2_000_000_000_000_000_000n, seq: 3 }) + "a(1).\n";
    const oldest = formatSnapshotHeader({ ns: 1_000_000_000_000_000_000n, seq: 9 }) + "a(2).\n";
    await store.writeSnapshot("zz-old.pl", oldest);
    await store.writeSnapshot("aa-new.pl", newest);
    assert.deepEqual((await store.listSnapshots()).map((s) => s.name), ["aa-new.pl", "zz-old.pl"]);
    assert.equal(await store.readSnapshot("aa-new.pl"), newest);
    assert.equal(await store.readSnapshot("missing.pl"), null);
    await store.writeSnapshot("aa-new.pl", oldest);
    assert.equal(await store.readSnapshot("aa-new.pl"), oldest, "a name is replaced whole");
    await store.withLock(true, async () => {
      await store.append(tx(1, "a(1)"));
      await store.rotate();
      await store.append(tx(2, "a(2)"));
      await store.rotate();
    });
    const archives = await store.listArchives();
    assert.equal(archives.length, 2);
    assert.deepEqual(await store.reap(archives[1].ns), [archives[0].name]);
    assert.deepEqual((await store.listArchives()).map((a) => a.name), [archives[1].name]);
  });

  test("a torn tail is reported, not read as a transaction, and cut with its bytes kept", async (spec) => {
    const store = openStore(spec);
    const end = await store.withLock(true, async () => {
      await store.append(tx(1, "kept(1)"));
      return await store.append(tx(2, "kept(2)"));
    });
    await backend.tearTail!(spec);
    const read = await store.read(0);
    assert.equal(read.scan.damage?.kind, "torn-tail");
    assert.deepEqual(read.scan.transactions.map((t) => t.seq), [1, 2]);
    assert.equal(read.scan.goodEnd, end);
    const kept = await store.withLock(true, () => store.cutTail(read.scan.goodEnd));
    assert.ok(kept.length > 0, "cutTail says where the cut bytes are");
    const after = await store.read(0);
    assert.equal(after.scan.damage, null);
    assert.equal((await store.head())?.end, end);
    await store.withLock(true, () => store.append(tx(3, "after(3)")));
    assert.deepEqual((await store.read(0)).scan.transactions.map((t) => t.seq), [1, 2, 3]);
  }, backend.tearTail === null); // a backend whose appends cannot tear reports this case as ignored
}
