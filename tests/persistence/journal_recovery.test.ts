import assert from "node:assert/strict";
import { join } from "node:path";
import { JournalFiles } from "../../src/persistence/journal_file.ts";
import { scanJournal, type Transaction } from "../../src/persistence/journal_format.ts";
import { appendTx, buildJournal, plain, recover, sampleTransactions, scanFile } from "./helpers.ts";

const NEW_TX: Transaction = {
  seq: 1000,
  ts: 1_764_999_999,
  records: [{ op: "assert", clause: "after_repair(yes)" }],
};

Deno.test("recovery after truncation at every byte offset, then append", async () => {
  const txs = sampleTransactions(25);
  const { bytes, lines } = buildJournal(txs);
  const root = await Deno.makeTempDir({ prefix: "zpm-trunc-" });

  async function check(files: JournalFiles, cut: number) {
    const where = `cut ${cut}`;
    const complete = lines.filter((l) => l.nl <= cut).length;
    const lastEnd = complete === 0 ? 0 : lines[complete - 1].nl + 1;
    await Deno.writeFile(files.walPath, bytes.subarray(0, cut));

    const { scan, brokenPath } = await recover(files);
    assert.deepEqual(plain(scan.transactions), txs.slice(0, complete), where);
    if (scan.damage) {
      assert.equal(scan.damage.kind, "torn-tail", where);
      assert.equal(scan.goodEnd, lastEnd, where);
      assert.ok(brokenPath, where);
      // The cut bytes are preserved, byte for byte.
      assert.deepEqual(
        await Deno.readFile(brokenPath),
        bytes.subarray(lastEnd, cut),
        where,
      );
      await Deno.remove(brokenPath);
    } else {
      assert.equal(brokenPath, null, where);
      assert.ok(cut === lastEnd || cut === lastEnd - 1, where);
    }

    await appendTx(files, NEW_TX);
    const after = await scanFile(files);
    assert.equal(after.damage, null, where);
    assert.equal(after.missingFinalNewline, false, where);
    assert.deepEqual(
      plain(after.transactions),
      [...txs.slice(0, complete), NEW_TX],
      where,
    );
  }

  try {
    // Several directories in parallel keep the many fsyncs from dominating.
    const lanes = 8;
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        const dir = join(root, `lane${lane}`);
        await Deno.mkdir(dir);
        const files = new JournalFiles(dir);
        for (let cut = lane; cut <= bytes.length; cut += lanes) {
          await check(files, cut);
        }
        // Only the journal and the lock file are left behind.
        const names = (await Array.fromAsync(Deno.readDir(dir)))
          .map((e) => e.name).sort();
        assert.deepEqual(names, ["journal.lock", "journal.wal"]);
      }),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("etcd trio on disk, each followed by repair and append", async (t) => {
  const txs = sampleTransactions(25);
  const { bytes, lines } = buildJournal(txs);
  const last = lines[lines.length - 1];

  async function withJournal(
    content: Uint8Array,
    fn: (files: JournalFiles) => Promise<void>,
  ) {
    const dir = await Deno.makeTempDir({ prefix: "zpm-etcd-" });
    try {
      await Deno.writeFile(join(dir, "journal.wal"), content);
      await fn(new JournalFiles(dir));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }

  await t.step("zero the tail from inside the last record", async () => {
    const z = bytes.slice();
    z.fill(0, last.start + 10);
    await withJournal(z, async (files) => {
      const { scan, brokenPath } = await recover(files);
      assert.equal(scan.damage?.kind, "torn-tail");
      assert.equal(
        (await Deno.stat(brokenPath!)).size,
        bytes.length - last.start,
      );
      await appendTx(files, NEW_TX);
      const after = await scanFile(files);
      assert.equal(after.damage, null);
      assert.deepEqual(plain(after.transactions), [
        ...txs.slice(0, 24),
        NEW_TX,
      ]);
    });
  });

  await t.step(
    "zero a 512-byte sector in the middle: corrupt, refused, explicit repair keeps the later txs aside",
    async () => {
      const z = bytes.slice();
      z.fill(0, 1024, 1536);
      await withJournal(z, async (files) => {
        const { scan, brokenPath } = await recover(files);
        assert.equal(scan.damage?.kind, "corrupt");
        assert.equal(brokenPath, null, "recovery must not cut mid-log damage");
        const firstHit = lines.findIndex((l) => l.nl >= 1024);
        const firstAfter = lines.findIndex((l) => l.start >= 1536);
        assert.equal(scan.damage?.validAfter, lines.length - firstAfter);
        assert.deepEqual(
          await Deno.readFile(files.walPath),
          z,
          "the journal is left untouched",
        );
        // An explicit repair cuts at the damage; the later transactions stay
        // readable in the broken file.
        const broken = await files.withLock(
          true,
          () => files.cutTail(scan.goodEnd),
        );
        const aside = scanJournal(await Deno.readFile(broken));
        assert.equal(aside.damage?.validAfter, scan.damage?.validAfter);
        await appendTx(files, NEW_TX);
        const after = await scanFile(files);
        assert.equal(after.damage, null);
        assert.deepEqual(plain(after.transactions), [
          ...txs.slice(0, firstHit),
          NEW_TX,
        ]);
      });
    },
  );

  await t.step("truncate by 4 bytes", async () => {
    await withJournal(bytes.subarray(0, bytes.length - 4), async (files) => {
      const { scan, brokenPath } = await recover(files);
      assert.equal(scan.damage?.kind, "torn-tail");
      assert.equal(scan.goodEnd, last.start);
      assert.ok(brokenPath);
      await appendTx(files, NEW_TX);
      const after = await scanFile(files);
      assert.equal(after.damage, null);
      assert.deepEqual(plain(after.transactions), [
        ...txs.slice(0, 24),
        NEW_TX,
      ]);
    });
  });
});
