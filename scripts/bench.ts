/**
 * `deno task bench`: measures zpm through its real interfaces (MCP stdio and the CLI) and prints one
 * table. Every row has a median, a p99 and a ratio to an anchor measured in the same run, because
 * machines are noisy and ratios are what we compare. `--json` also writes bench-results.json;
 * `--quick` uses smaller sizes.
 */
import { McpClient, runZpm, tempProject } from "../tests/helpers/zpm.ts";
import { encodeTransaction } from "../src/persistence/journal_format.ts";

const QUICK = Deno.args.includes("--quick");
const JSON_OUT = Deno.args.includes("--json");

interface Row {
  name: string;
  unit: string;
  median: number;
  p99: number;
  anchor?: string;
  ratio?: number;
  note?: string;
}
const rows: Row[] = [];

function stats(xs: number[]): { median: number; p99: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))];
  return { median: at(0.5), p99: at(0.99) };
}

async function timeEach(n: number, f: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f(i);
    out.push(performance.now() - t0);
  }
  return out;
}

function add(name: string, unit: string, xs: number[], anchor?: Row, note?: string): Row {
  const { median, p99 } = stats(xs);
  const row: Row = { name, unit, median, p99, note };
  if (anchor) {
    row.anchor = anchor.name;
    row.ratio = median / anchor.median;
  }
  rows.push(row);
  console.error(`  ${name}: ${median.toFixed(3)} ${unit}`);
  return row;
}

/** Write N journal transactions of one fact each straight into a project (for boot timing). */
async function seedJournal(dir: string, n: number) {
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) {
    parts.push(encodeTransaction({
      seq: i,
      ts: 1764000000,
      records: [{ op: "assert", clause: `fact(n${i}, ${i})` }, {
        op: "assert",
        clause: `zpm_source(fact(n${i}, ${i}), interactive)`,
      }],
    }));
  }
  await Deno.writeTextFile(`${dir}/.zpm/data/journal.wal`, parts.join(""));
}

async function bootTime(dir: string, runs: number): Promise<number[]> {
  return await timeEach(runs, async () => {
    const mcp = await McpClient.start({ cwd: dir });
    await mcp.text("query_logic", { goal: "fact(n1, X)" });
    await mcp.close();
  });
}

console.error("zpm benchmark" + (QUICK ? " (quick)" : ""));

// --- transport floor and queries -----------------------------------------------------------
{
  const dir = await tempProject();
  const mcp = await McpClient.start({ cwd: dir });
  const n = QUICK ? 200 : 1000;
  const echo = add(
    "echo round trip (MCP)",
    "ms",
    await timeEach(n, () => mcp.call("echo", { message: "x" })),
  );
  await mcp.call("remember_fact", { fact: "ground(a)" });
  add(
    "query_logic ground fact",
    "ms",
    await timeEach(n, () => mcp.call("query_logic", { goal: "ground(a)" })),
    echo,
  );
  const durable = add(
    "remember_fact (durable, 1 process)",
    "ms",
    await timeEach(n, (i) => mcp.call("remember_fact", { fact: `d(${i}, 'payload ${i}')` })),
    echo,
  );
  // raw append + fdatasync of the same bytes, measured now
  const raw = await Deno.makeTempDir();
  const line = new TextEncoder().encode(
    encodeTransaction({
      seq: 1,
      ts: 1,
      records: [{ op: "assert", clause: "d(1, 'payload 1')" }, {
        op: "assert",
        clause: "zpm_source(d(1, 'payload 1'), interactive)",
      }],
    }),
  );
  const rawRow = add(
    "raw append + fdatasync (same bytes)",
    "ms",
    await timeEach(n, async () => {
      const f = await Deno.open(`${raw}/j`, { append: true, create: true });
      await f.write(line);
      await f.syncData();
      f.close();
    }),
  );
  rows[rows.indexOf(durable)].note = `${(durable.median / rawRow.median).toFixed(2)}x raw append+fdatasync`;
  await mcp.close();
}

// --- boot ------------------------------------------------------------------------------------
for (const n of QUICK ? [10_000] : [10_000, 100_000]) {
  const dir = await tempProject();
  await seedJournal(dir, n);
  add(`boot + first query, ${n / 1000}k journal transactions`, "ms", await bootTime(dir, QUICK ? 2 : 3));
}

// --- snapshot save / restore of 100k facts --------------------------------------------------
{
  const n = QUICK ? 20_000 : 100_000;
  const dir = await tempProject();
  await seedJournal(dir, n);
  const mcp = await McpClient.start({ cwd: dir });
  const save = await timeEach(3, (i) => mcp.call("save_snapshot", { name: `s${i}` }));
  add(`save_snapshot, ${n / 1000}k facts`, "ms", save);
  const restore = await timeEach(3, () => mcp.call("restore_snapshot", { name: "s0" }));
  add(`restore_snapshot, ${n / 1000}k facts`, "ms", restore);
  await mcp.close();
}

// --- CLI one-shot -----------------------------------------------------------------------------
{
  const dir = await tempProject();
  const bare = add(
    "deno eval 0 (process floor)",
    "ms",
    await timeEach(QUICK ? 3 : 7, () => new Deno.Command(Deno.execPath(), { args: ["eval", "0"] }).output()),
  );
  add(
    "CLI query-logic --goal true",
    "ms",
    await timeEach(QUICK ? 3 : 7, () => runZpm(["query-logic", "--goal", "true"], { cwd: dir })),
    bare,
  );
}

// --- table --------------------------------------------------------------------------------------
const header = "| benchmark | median | p99 | ratio to anchor (same run) | note |";
const lines = [header, "|---|---:|---:|---|---|"];
for (const r of rows) {
  const ratio = r.ratio !== undefined ? `${r.ratio.toFixed(2)}x ${r.anchor}` : "";
  lines.push(
    `| ${r.name} | ${r.median.toFixed(3)} ${r.unit} | ${r.p99.toFixed(3)} ${r.unit} | ${ratio} | ${
      r.note ?? ""
    } |`,
  );
}
console.log(
  `zpm bench — ${
    new Date().toISOString().slice(0, 10)
  }, ${Deno.build.target}, ${navigator.hardwareConcurrency} cores`,
);
console.log(lines.join("\n"));
if (JSON_OUT) await Deno.writeTextFile("bench-results.json", JSON.stringify(rows, null, 2));
