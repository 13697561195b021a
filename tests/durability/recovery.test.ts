/**
 * Recovery through the real boot path: a journal cut at many byte offsets recovers exactly the
 * complete transactions and accepts new writes; mid-log damage keeps later transactions on disk and
 * refuses writes until `zpm doctor --repair`; a project written by upstream (Zig) zpm boots.
 * Every byte offset and every bit flip go through the journal reader; the real program boots a
 * deterministic sample of them (ZPM_TRUNCATE_ALL=1 boots it at every byte offset: hours).
 */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { encodeTransaction } from "../../src/persistence/journal_encode.ts";
import { type JournalRecord, scanJournal } from "../../src/persistence/journal_format.ts";
import { McpClient, runZpm, tempProject } from "../helpers/zpm.ts";
import { env } from "../e2e/_helpers.ts";

const TXS = 22;

function journal(): { bytes: Uint8Array; ends: number[] } {
  const enc = new TextEncoder();
  let text = "";
  const ends: number[] = [];
  for (let i = 1; i <= TXS; i++) {
    const records: JournalRecord[] = [{ op: "assert", clause: `t(${i}, 'v ${"x".repeat(i % 5)}')` }];
    if (i % 4 === 0) {
      records.push({ op: "retract", clause: `t(${i - 1}, '${"v " + "x".repeat((i - 1) % 5)}')` });
    }
    text += encodeTransaction({ seq: i, ts: 1764000000 + i, records });
    ends.push(enc.encode(text).length);
  }
  return { bytes: enc.encode(text), ends };
}

function expectedAfter(complete: number): number[] {
  const live = new Set<number>();
  for (let i = 1; i <= complete; i++) {
    live.add(i);
    if (i % 4 === 0) live.delete(i - 1);
  }
  return [...live];
}

Deno.test("recovery: at every byte offset the journal reader keeps exactly the complete transactions, and every bit flip is caught at its own line", () => {
  const { bytes, ends } = journal();
  const starts = [0, ...ends.slice(0, -1)];
  for (let cut = 0; cut <= bytes.length; cut++) {
    const scan = scanJournal(bytes.subarray(0, cut));
    const complete = ends.filter((e) => e <= cut || e - 1 === cut).length;
    strictEqual(scan.transactions.length, complete, `cut at ${cut}`);
    const atBoundary = cut === 0 || ends.includes(cut) || ends.includes(cut + 1);
    strictEqual(scan.damage?.kind ?? null, atBoundary ? null : "torn-tail", `cut at ${cut}`);
  }
  const copy = bytes.slice();
  for (let i = 0; i < bytes.length; i++) {
    const line = ends.findIndex((e) => i < e);
    for (let bit = 0; bit < 8; bit++) {
      copy[i] = bytes[i] ^ (1 << bit);
      const scan = scanJournal(copy);
      copy[i] = bytes[i];
      const where = `byte ${i} bit ${bit} (transaction ${line + 1})`;
      if (scan.damage === null) {
        strictEqual(scan.transactions.length, TXS, where); // only a flip that decodes identically
        continue;
      }
      strictEqual(scan.damage.offset, starts[line], where);
      strictEqual(scan.transactions.length, line, where);
      strictEqual(scan.damage.kind, line === TXS - 1 ? "torn-tail" : "corrupt", where);
    }
  }
});

/** Boot the real program on `bytes` as journal.wal: the state it shows and whether it takes a write. */
async function bootReal(
  template: string,
  bytes: Uint8Array,
): Promise<{ ts: number[]; writable: boolean; after: Uint8Array; reread: number[] }> {
  const dir = await Deno.makeTempDir({ prefix: "zpm-test-" });
  await new Deno.Command("cp", { args: ["-a", `${template}/.zpm`, dir] }).output();
  await Deno.writeFile(`${dir}/.zpm/data/journal.wal`, bytes);
  const read = async () => {
    const q = await runZpm(["query-logic", "--goal", "t(N, _)", "--limit", "1000"], {
      cwd: dir,
      env: env(dir),
    });
    strictEqual(q.code, 0, q.stderr);
    // The answer is the first line; an empty journal adds a "warning: t/2 has no clauses" line.
    return (JSON.parse(q.stdout.split("\n")[0]) as { N: number }[]).map((s) => s.N);
  };
  const ts = await read();
  const w = await runZpm(["remember-fact", "--fact", "t(999, after)"], { cwd: dir, env: env(dir) });
  const after = await Deno.readFile(`${dir}/.zpm/data/journal.wal`);
  const reread = w.code === 0 ? await read() : ts;
  await Deno.remove(dir, { recursive: true });
  return { ts, writable: w.code === 0, after, reread };
}

Deno.test("recovery: the real program boots a deterministic sample of cut and bit-flipped journals with the expected state", async () => {
  const { bytes, ends } = journal();
  const all = Deno.env.get("ZPM_TRUNCATE_ALL") === "1";
  const cuts = all
    ? Array.from({ length: bytes.length + 1 }, (_, i) => i)
    : [0, ends[0] - 1, ends[6] + 7, ends[12] - 1, bytes.length - 1, bytes.length];
  const flips = [ends[2] + 10, ends[15], ends[20] + 5]; // mid-log ×2, the last transaction
  const cases: { what: string; data: Uint8Array }[] = [
    ...cuts.map((cut) => ({ what: `cut at ${cut}`, data: bytes.slice(0, cut) })),
    ...flips.map((at) => {
      const data = bytes.slice();
      data[at] ^= 0x04;
      return { what: `bit flip at ${at}`, data };
    }),
  ];
  // two lanes: each case runs two one-shot commands in a copy of one initialised project
  const template = await tempProject();
  let next = 0;
  const lane = async () => {
    while (next < cases.length) {
      const { what, data } = cases[next++];
      const scan = scanJournal(data); // proven above at every offset
      const { ts, writable, after, reread } = await bootReal(template, data);
      deepStrictEqual(ts, expectedAfter(scan.transactions.length), `${what}: state`);
      const repairable = scan.damage === null || scan.damage.kind === "torn-tail";
      strictEqual(writable, repairable, `${what}: a write is accepted only without mid-log damage`);
      if (repairable) {
        const again = scanJournal(after);
        strictEqual(again.damage, null, `${what}: journal clean after the write`);
        strictEqual(again.transactions.length, scan.transactions.length + 1, `${what}: one more transaction`);
        deepStrictEqual(reread, [...ts, 999], `${what}: the new fact is read back after a fresh boot`);
      } else deepStrictEqual(after, data, `${what}: a damaged journal is left as it was`);
    }
  };
  await Promise.all([lane(), lane()]);
});

Deno.test("recovery: mid-log damage keeps later transactions, refuses writes, and doctor repairs it", async () => {
  const dir = await tempProject();
  const { bytes, ends } = journal();
  const damaged = bytes.slice();
  damaged[ends[4] + 10] ^= 0x04; // inside transaction 6
  await Deno.writeFile(`${dir}/.zpm/data/journal.wal`, damaged);
  const q = await runZpm(["query-logic", "--goal", "aggregate_all(count, t(_, _), N)"], { cwd: dir });
  strictEqual(q.stdout, `[{"N":${expectedAfter(5).length}}]\n`, "boots with the valid prefix");
  match(q.stderr, /journal damaged at .* byte \d+.*followed by 16 valid/);
  const w = await runZpm(["remember-fact", "--fact", "x(1)"], { cwd: dir });
  strictEqual(w.code, 1);
  match(w.stderr, /is damaged.*zpm doctor --repair/);
  deepStrictEqual(
    await Deno.readFile(`${dir}/.zpm/data/journal.wal`),
    damaged,
    "later transactions stay on disk",
  );
  const status = await runZpm(["get-persistence-status"], { cwd: dir });
  match(status.stdout, /^status: degraded\n[^]*damaged: .*16 valid transaction/);
  const doc = await runZpm(["doctor"], { cwd: dir });
  strictEqual(doc.code, 1);
  match(doc.stdout, /DAMAGED at byte \d+ \(CRC mismatch\)/);
  const fix = await runZpm(["doctor", "--repair", "skip"], { cwd: dir });
  strictEqual(fix.code, 0, fix.stdout + fix.stderr);
  ok([...Deno.readDirSync(`${dir}/.zpm/data`)].some((e) => e.name.startsWith("journal.wal.bak-")));
  strictEqual((await runZpm(["remember-fact", "--fact", "x(1)"], { cwd: dir })).code, 0);
  const after = await runZpm(["query-logic", "--goal", "t(22, _)"], { cwd: dir });
  strictEqual(after.stdout, "[{}]\n", "transaction 22 (after the damage) was kept");
});

Deno.test("recovery: a .zpm/ written by upstream zpm (JSON-lines journal, listing snapshot) boots and keeps working", async () => {
  const dir = await tempProject();
  await Deno.writeTextFile(
    `${dir}/.zpm/kb/base.pl`,
    ":- dynamic(color/1).\ncolor(red).\nmortal(X) :- human(X).\n",
  );
  await Deno.writeTextFile(
    `${dir}/.zpm/kb/snap1.pl`,
    [
      "%% zpm snapshot 1714000000",
      ":- dynamic(human/1).",
      ":- dynamic(zpm_source/2).",
      ":- dynamic(tms_justification/2).",
      ":- dynamic(human/1).",
      "human(socrates).",
      "human('Plato').",
      ":- dynamic(deployed/2).",
      "deployed(app,prod).",
      "tms_justification(deployed(app,prod),baseline).",
      "",
    ].join("\n"),
  );
  await Deno.writeTextFile(
    `${dir}/.zpm/data/journal.wal`,
    [
      '{"ts":1714000100,"op":"assert","clause":"human(aristotle)"}',
      '{"ts":1714000101,"op":"retract","clause":"human(\'Plato\')"}',
      '{"ts":1714000102,"op":"assert","clause":"likes(X, Y) :- human(X), human(Y)"}',
      "",
    ].join("\n"),
  );
  const q = await runZpm(["query-logic", "--goal", "mortal(X)"], { cwd: dir });
  strictEqual(q.stdout, '[{"X":"socrates"},{"X":"aristotle"}]\n', q.stderr);
  strictEqual((await runZpm(["query-logic", "--goal", "color(C)"], { cwd: dir })).stdout, '[{"C":"red"}]\n');
  strictEqual((await runZpm(["remember-fact", "--fact", "human(zeno)"], { cwd: dir })).code, 0);
  const all = await runZpm(["query-logic", "--goal", "aggregate_all(count, likes(_, _), N)"], { cwd: dir });
  strictEqual(all.stdout, '[{"N":9}]\n');
  const snaps = await runZpm(["list-snapshots"], { cwd: dir });
  strictEqual(snaps.stdout, "Snapshots: [snap1.pl]\n", "user files are not snapshots");
});

Deno.test("recovery: a complete last line without its newline, already read by a running server, is terminated by its next write", async () => {
  const dir = await tempProject();
  const wal = `${dir}/.zpm/data/journal.wal`;
  const mcp = await McpClient.start({ cwd: dir, env: env(dir) });
  try {
    strictEqual((await mcp.call("remember_fact", { fact: "n(1)" })).isError, false);
    // Another writer's complete transaction, without its final "\n" (as if it stopped right there).
    const line = encodeTransaction({ seq: 2, ts: 1764000000, records: [{ op: "assert", clause: "n(2)" }] });
    const f = await Deno.open(wal, { append: true });
    await f.write(new TextEncoder().encode(line.slice(0, -1)));
    f.close();
    // A read moves the server's cursor to the end of that line (readers never write).
    strictEqual(await mcp.text("query_logic", { goal: "n(X)" }), '[{"X":1},{"X":2}]');
    const w = await mcp.call("remember_fact", { fact: "n(3)" });
    strictEqual(w.isError, false, w.content[0].text);
    strictEqual(await mcp.text("query_logic", { goal: "n(X)" }), '[{"X":1},{"X":2},{"X":3}]');
  } finally {
    strictEqual(await mcp.close(), 0);
  }
  const scan = scanJournal(await Deno.readFile(wal));
  strictEqual(scan.damage, null);
  deepStrictEqual(scan.transactions.map((t) => t.seq), [1, 2, 3]);
  const q = await runZpm(["query-logic", "--goal", "n(X)"], { cwd: dir, env: env(dir) });
  strictEqual(q.stdout, '[{"X":1},{"X":2},{"X":3}]\n', "all three survive a restart");
});
