/**
 * Recovery through the real boot path: a journal cut at many byte offsets recovers exactly the
 * complete transactions and accepts new writes; mid-log damage keeps later transactions on disk and
 * refuses writes until `zpm doctor --repair`; a project written by upstream (Zig) zpm boots.
 * ZPM_TRUNCATE_ALL=1 cuts at every byte offset instead of around every line boundary.
 */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { KnowledgeBase } from "../../src/core/knowledge_base.ts";
import { DEFAULT_LIMITS } from "../../src/core/limits.ts";
import { encodeTransaction } from "../../src/persistence/journal_encode.ts";
import { type JournalRecord, scanJournal } from "../../src/persistence/journal_format.ts";
import { runZpm, tempProject } from "../helpers/zpm.ts";

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

async function bootAndList(dir: string): Promise<{ kb: KnowledgeBase; ts: number[] }> {
  const kb = await KnowledgeBase.open({
    name: "default",
    dataDir: `${dir}/data`,
    snapshotDir: `${dir}/kb`,
    userFilesDir: null,
    engineMode: "inprocess",
    limits: DEFAULT_LIMITS,
    log: () => {},
    allowMemoryOnly: false,
  });
  const r = await kb.read("query", ["t(N, _)", 1000, 1_000_000]);
  if (!r.ok) throw new Error(r.error);
  return { kb, ts: (JSON.parse(r.value.solutions) as { N: number }[]).map((s) => s.N) };
}

function expectedAfter(complete: number): number[] {
  const live = new Set<number>();
  for (let i = 1; i <= complete; i++) {
    live.add(i);
    if (i % 4 === 0) live.delete(i - 1);
  }
  return [...live];
}

Deno.test("recovery: a journal cut at byte offsets boots with exactly the complete transactions", async () => {
  const { bytes, ends } = journal();
  const all = Deno.env.get("ZPM_TRUNCATE_ALL") === "1";
  const cuts = new Set<number>([0, bytes.length]);
  if (all) { for (let i = 0; i <= bytes.length; i++) cuts.add(i); }
  else for (const e of ends) for (const d of [-1, 0, 7]) cuts.add(Math.min(bytes.length, Math.max(0, e + d)));
  const root = await Deno.makeTempDir();
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    const dir = `${root}/${cut}`;
    await Deno.mkdir(`${dir}/data`, { recursive: true });
    await Deno.writeFile(`${dir}/data/journal.wal`, bytes.subarray(0, cut));
    const complete = ends.filter((e) => e <= cut || e - 1 === cut).length; // a line missing only its "\n" is whole
    const { kb, ts } = await bootAndList(dir);
    deepStrictEqual(ts, expectedAfter(complete), `cut at ${cut}`);
    const m = await kb.mutate("remember", ["t(999, after)"]);
    strictEqual(m.reply.ok, true, `append after cut at ${cut}`);
    await kb.close();
    const again = await bootAndList(dir);
    deepStrictEqual(again.ts, [...expectedAfter(complete), 999], `restart after cut at ${cut}`);
    await again.kb.close();
    strictEqual(scanJournal(await Deno.readFile(`${dir}/data/journal.wal`)).damage, null);
  }
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
