import assert from "node:assert/strict";
import { join } from "node:path";
import {
  formatSnapshotHeader,
  listSnapshots,
  parseSnapshotHeader,
  snapshotFileName,
} from "../../src/persistence/snapshot_file.ts";

Deno.test("snapshot header: format and parse round trip", () => {
  const ns = 1_764_000_123_456_789_012n;
  const line = formatSnapshotHeader({ ns, seq: 42 });
  assert.equal(
    line,
    "%% zpm snapshot 1764000123 ns=1764000123456789012 seq=42\n",
  );
  assert.deepEqual(parseSnapshotHeader(line), {
    seconds: 1764000123,
    ns,
    seq: 42,
  });
  assert.deepEqual(parseSnapshotHeader(line.trimEnd() + "\r"), {
    seconds: 1764000123,
    ns,
    seq: 42,
  });
  assert.deepEqual(
    parseSnapshotHeader(formatSnapshotHeader({ ns: 5n, seq: 0 })),
    { seconds: 0, ns: 5n, seq: 0 },
  );
  assert.throws(() => formatSnapshotHeader({ ns, seq: -1 }), TypeError);
  assert.throws(() => formatSnapshotHeader({ ns: -1n, seq: 1 }), TypeError);
});

Deno.test("snapshot header: upstream form parses, junk does not", () => {
  assert.deepEqual(parseSnapshotHeader("%% zpm snapshot 1714000000"), {
    seconds: 1714000000,
    ns: 1_714_000_000_000_000_000n,
    seq: null,
  });
  assert.deepEqual(parseSnapshotHeader("%% zpm snapshot 1714000000\n"), {
    seconds: 1714000000,
    ns: 1_714_000_000_000_000_000n,
    seq: null,
  });
  // Future fields are ignored.
  assert.deepEqual(
    parseSnapshotHeader("%% zpm snapshot 7 ns=7000000001 seq=3 v=2"),
    { seconds: 7, ns: 7_000_000_001n, seq: 3 },
  );
  for (
    const bad of [
      "",
      ":- dynamic(foo/1).",
      "% zpm snapshot 1714000000",
      "%% zpm snapshot",
      "%% zpm snapshot abc",
      "%% zpm snapshot -5",
      "%% zpm snapshot 1.5",
      "%% zpm snapshot 17 ns=x seq=1",
      "%% zpm snapshot 17 ns=1 seq=-1",
      "%% zpm snapshot 17 garbage",
      "%% zpm snapshots 17",
    ]
  ) {
    assert.equal(parseSnapshotHeader(bad), null, bad);
  }
});

Deno.test("listSnapshots: newest by header, not by name; only header-bearing regular .pl files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zpm-snap-" });
  try {
    const write = (name: string, text: string) => Deno.writeTextFile(join(dir, name), text);
    await write(
      "aaa.pl",
      formatSnapshotHeader({ ns: 3_000_000_000_000n, seq: 9 }) + "p(1).\n",
    );
    await write(
      "zzz.pl",
      formatSnapshotHeader({ ns: 2_000_000_000_000n, seq: 50 }),
    );
    await write("upstream.pl", "%% zpm snapshot 1000\n:- dynamic(q/1).\n");
    await write(
      "same-ns-low.pl",
      formatSnapshotHeader({ ns: 3_000_000_000_000n, seq: 8 }),
    );
    await write(
      "same-b.pl",
      formatSnapshotHeader({ ns: 1_500_000_000_000n, seq: 1 }),
    );
    await write(
      "same-a.pl",
      formatSnapshotHeader({ ns: 1_500_000_000_000n, seq: 1 }),
    );
    await write("user_rules.pl", "mortal(X) :- human(X).\n");
    await write("empty.pl", "");
    await write("long.pl", "%".repeat(300) + "\n");
    await write(
      "notes.txt",
      formatSnapshotHeader({ ns: 9_000_000_000_000n, seq: 1 }),
    );
    await Deno.mkdir(join(dir, "dir.pl"));
    const list = await listSnapshots(dir);
    assert.deepEqual(list.map((s) => s.name), [
      "aaa.pl",
      "same-ns-low.pl",
      "zzz.pl",
      "same-b.pl",
      "same-a.pl",
      "upstream.pl",
    ]);
    const first = list[0];
    assert.equal(first.path, join(dir, "aaa.pl"));
    assert.equal(first.size, (await Deno.stat(first.path)).size);
    assert.deepEqual(first.header, {
      seconds: 3000,
      ns: 3_000_000_000_000n,
      seq: 9,
    });
    assert.equal(list.at(-1)?.header.seq, null);
    assert.deepEqual(await listSnapshots(join(dir, "missing")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("snapshotFileName: accepts safe names, rejects paths and reserved names", () => {
  assert.equal(snapshotFileName("v1"), "v1.pl");
  assert.equal(snapshotFileName("before-refactor.pl"), "before-refactor.pl");
  assert.equal(snapshotFileName("2026_11_25"), "2026_11_25.pl");
  assert.equal(snapshotFileName("a.b"), "a.b.pl");
  assert.equal(snapshotFileName("x.pl.pl"), "x.pl.pl");
  assert.equal(snapshotFileName("k".repeat(128)), "k".repeat(128) + ".pl");
  for (
    const bad of [
      "../x",
      "/etc/x",
      "a/b",
      "a\\b",
      ".hidden",
      "knowledge",
      "knowledge.pl",
      "Knowledge",
      "",
      ".pl",
      "a..b",
      "has space",
      "tab\t",
      "nul\0",
      "émoji🦕",
      "k".repeat(129),
    ]
  ) {
    assert.throws(
      () => snapshotFileName(bad),
      /Invalid snapshot name/,
      JSON.stringify(bad),
    );
  }
});
