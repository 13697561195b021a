/**
 * The README's durability and limit promises that no other test proved, each through the real
 * program: a rotation by another process is noticed (the other process needs the rotated-away
 * state), `restore_snapshot` validates a crafted file before touching anything, a torn tail found at
 * boot is cut with its exact bytes kept in `.broken`, `zpm doctor --repair keep-prefix`, and the
 * ZPM_MAX_KB_MB / ZPM_INFERENCE_LIMIT limits and the 5000 ms default deadline.
 */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { McpClient, runZpm, tempProject } from "../helpers/zpm.ts";
import { env } from "../e2e/_helpers.ts";
import { encodeTransaction } from "../../src/persistence/journal_encode.ts";
import { scanJournal } from "../../src/persistence/journal_format.ts";

const enc = new TextEncoder();
const dataFiles = (dir: string) => [...Deno.readDirSync(`${dir}/.zpm/data`)].map((e) => e.name).sort();
const zpm = (dir: string, args: string[], extra: Record<string, string> = {}) =>
  runZpm(args, { cwd: dir, env: env(dir, extra) });
const serve = (dir: string, extra: Record<string, string> = {}) =>
  McpClient.start({ cwd: dir, env: env(dir, extra) });

/** Ten transactions t(1..10) as journal bytes, and the byte offset where each ends. */
function journal(n = 10): { bytes: Uint8Array; ends: number[] } {
  let text = "";
  const ends: number[] = [];
  for (let i = 1; i <= n; i++) {
    text += encodeTransaction({ seq: i, ts: 1764000000 + i, records: [{ op: "assert", clause: `t(${i})` }] });
    ends.push(enc.encode(text).length);
  }
  return { bytes: enc.encode(text), ends };
}

Deno.test("promise: a rotation by another process is noticed; the other process rebuilds and then needs the rotated-away facts", async () => {
  const dir = await tempProject();
  const a = await serve(dir);
  const b = await serve(dir);
  try {
    strictEqual((await a.call("remember_fact", { fact: "task(1, open)" })).isError, false);
    strictEqual(await b.text("query_logic", { goal: "task(N, S)" }), '[{"N":1,"S":"open"}]', "B caught up");
    // A writes, snapshots (journal.wal is renamed to an archive), then writes again
    strictEqual((await a.call("remember_fact", { fact: "task(2, open)" })).isError, false);
    strictEqual((await a.call("save_snapshot", { name: "s1" })).isError, false);
    strictEqual((await a.call("remember_fact", { fact: "task(3, open)" })).isError, false);
    // B's first call after the rotation is a write that depends on task(2), which lives only in the
    // snapshot now (B's old journal position points into the archived file)
    const u = await b.call("update_fact", { old_fact: "task(2, open)", new_fact: "task(2, done)" });
    strictEqual(u.isError, false, u.content[0].text);
    strictEqual(
      await b.text("query_logic", { goal: "task(N, S)" }),
      '[{"N":1,"S":"open"},{"N":3,"S":"open"},{"N":2,"S":"done"}]',
    );
    // and A sees B's change on top of its own
    strictEqual(await a.text("query_logic", { goal: "task(2, S)" }), '[{"S":"done"}]');
  } finally {
    await a.close();
    await b.close();
  }
  const fresh = await zpm(dir, ["query-logic", "--goal", "task(N, S)"]);
  strictEqual(fresh.stdout, '[{"N":1,"S":"open"},{"N":3,"S":"open"},{"N":2,"S":"done"}]\n', fresh.stderr);
});

Deno.test("promise: restore_snapshot refuses crafted files (no header, a bad clause after good ones) and changes nothing", async () => {
  const dir = await tempProject();
  const mcp = await serve(dir);
  try {
    strictEqual((await mcp.call("remember_fact", { fact: "keep(1)" })).isError, false);
    strictEqual((await mcp.call("save_snapshot", { name: "good" })).isError, false);
    strictEqual((await mcp.call("remember_fact", { fact: "keep(2)" })).isError, false);
    await Deno.writeTextFile(`${dir}/.zpm/kb/noheader.pl`, "evil(1).\n");
    await Deno.writeTextFile(
      `${dir}/.zpm/kb/crafted.pl`,
      "%% zpm snapshot 1764000000 ns=1764000000000000000 seq=1\nevil(1).\nevil(2).\nevil(3) :- .\n",
    );
    const files = dataFiles(dir);
    const wal = await Deno.readFile(`${dir}/.zpm/data/journal.wal`);
    for (const name of ["noheader", "crafted"]) {
      const r = await mcp.call("restore_snapshot", { name });
      strictEqual(r.isError, true, `${name} must be refused`);
      match(r.content[0].text, name === "noheader" ? /not a zpm snapshot/ : /invalid.*nothing was changed/s);
      strictEqual(
        await mcp.text("query_logic", { goal: "keep(X)" }),
        '[{"X":1},{"X":2}]',
        `${name}: state kept`,
      );
      strictEqual(
        await mcp.text("query_logic", { goal: "catch(evil(X), _, fail)" }),
        "[]",
        `${name}: nothing loaded`,
      );
      deepStrictEqual(
        await Deno.readFile(`${dir}/.zpm/data/journal.wal`),
        wal,
        `${name}: journal not rotated`,
      );
      deepStrictEqual(dataFiles(dir), files, `${name}: no archive made`);
    }
  } finally {
    await mcp.close();
  }
  const fresh = await zpm(dir, ["query-logic", "--goal", "keep(X)"]);
  strictEqual(fresh.stdout, '[{"X":1},{"X":2}]\n', "after a restart too");
});

Deno.test("promise: a torn tail found at boot is cut, and .broken holds exactly the cut bytes", async () => {
  const dir = await tempProject();
  const { bytes } = journal(3);
  const torn = enc.encode('{"seq":4,"ts":1764000004,"records":[{"op":"assert","clause":"t(4)"}],"cr');
  await Deno.writeFile(`${dir}/.zpm/data/journal.wal`, new Uint8Array([...bytes, ...torn]));
  const q = await zpm(dir, ["query-logic", "--goal", "t(X)"]);
  strictEqual(q.stdout, '[{"X":1},{"X":2},{"X":3}]\n', q.stderr);
  deepStrictEqual(
    await Deno.readFile(`${dir}/.zpm/data/journal.wal`),
    bytes,
    "journal cut at the last whole line",
  );
  const broken = dataFiles(dir).filter((n) => n.startsWith("journal.wal.broken-"));
  strictEqual(broken.length, 1, dataFiles(dir).join(","));
  deepStrictEqual(
    await Deno.readFile(`${dir}/.zpm/data/${broken[0]}`),
    torn,
    ".broken holds the exact cut bytes",
  );
  strictEqual((await zpm(dir, ["remember-fact", "--fact", "t(5)"])).code, 0);
  deepStrictEqual(
    scanJournal(await Deno.readFile(`${dir}/.zpm/data/journal.wal`)).transactions.map((t) => t.seq),
    [
      1,
      2,
      3,
      4,
    ],
  );
});

Deno.test("promise: zpm doctor --repair keep-prefix keeps exactly the transactions before the damage and backs up the rest", async () => {
  const dir = await tempProject();
  const { bytes, ends } = journal(10);
  const damaged = bytes.slice();
  damaged[ends[3] + 12] ^= 0x02; // inside transaction 5; 6..10 are valid after it
  await Deno.writeFile(`${dir}/.zpm/data/journal.wal`, damaged);
  strictEqual((await zpm(dir, ["remember-fact", "--fact", "t(99)"])).code, 1, "writes refused while damaged");
  const fix = await zpm(dir, ["doctor", "--repair", "keep-prefix"]);
  strictEqual(fix.code, 0, fix.stdout + fix.stderr);
  match(fix.stdout, /kept 4 transaction\(s\)/);
  deepStrictEqual(
    await Deno.readFile(`${dir}/.zpm/data/journal.wal`),
    bytes.subarray(0, ends[3]),
    "the prefix",
  );
  const names = dataFiles(dir);
  const bak = names.filter((n) => n.startsWith("journal.wal.bak-"));
  strictEqual(bak.length, 1, names.join(","));
  deepStrictEqual(
    await Deno.readFile(`${dir}/.zpm/data/${bak[0]}`),
    damaged,
    "full backup of the damaged journal",
  );
  const cut = names.filter((n) => n.startsWith("journal.wal.broken-"));
  strictEqual(cut.length, 1, names.join(","));
  deepStrictEqual(
    await Deno.readFile(`${dir}/.zpm/data/${cut[0]}`),
    damaged.subarray(ends[3]),
    "the removed bytes",
  );
  strictEqual((await zpm(dir, ["doctor"])).code, 0, "healthy after the repair");
  strictEqual((await zpm(dir, ["remember-fact", "--fact", "t(99)"])).code, 0, "writes accepted again");
  const q = await zpm(dir, ["query-logic", "--goal", "t(X)"]);
  strictEqual(q.stdout, '[{"X":1},{"X":2},{"X":3},{"X":4},{"X":99}]\n');
});

Deno.test("limit: ZPM_INFERENCE_LIMIT bounds a query that the default limit lets finish", async () => {
  const dir = await tempProject();
  const goal = "numlist(1, 20000, L), sum_list(L, S)";
  const low = await zpm(dir, ["query-logic", "--goal", goal], { ZPM_INFERENCE_LIMIT: "5000" });
  strictEqual(low.code, 1, low.stdout);
  match(low.stdout + low.stderr, /inference limit \(5000\) exceeded/);
  const def = await zpm(dir, ["query-logic", "--goal", "numlist(1, 20000, L), sum_list(L, S), S > 0"]);
  strictEqual(def.code, 0, def.stderr);
  match(def.stdout, /"S":200010000/);
});

Deno.test("limit: ZPM_MAX_KB_MB refuses new knowledge once the knowledge base is over it; nothing refused is stored", async () => {
  const dir = await tempProject();
  const mcp = await serve(dir, { ZPM_MAX_KB_MB: "1" });
  const blob = "b".repeat(100_000);
  let refused = "";
  let accepted = 0;
  try {
    // the size is measured on every 32nd change: 12 writes of ~100 KB cross 1 MB, then small ones
    // reach the next measurement
    for (let i = 0; i < 45 && !refused; i++) {
      const r = await mcp.call("remember_fact", { fact: `big(${i}, "${i < 12 ? blob : "b"}")` });
      if (r.isError) refused = r.content[0].text;
      else accepted++;
    }
    match(refused, /knowledge base size limit \(1 MB\) reached; forget facts or raise ZPM_MAX_KB_MB/);
    strictEqual(
      await mcp.text("query_logic", { goal: "aggregate_all(count, big(_, _), N)" }),
      `[{"N":${accepted}}]`,
      "the refused fact was not stored",
    );
    ok(accepted >= 10, `at least 1 MB was accepted first (${accepted})`);
  } finally {
    await mcp.close();
  }
  // the default limit (512 MB) accepts the same write
  const w = await zpm(dir, ["remember-fact", "--fact", `big(x, '${"b".repeat(1000)}')`]);
  strictEqual(w.code, 0, w.stderr);
});

Deno.test("limit: the default 5000 ms deadline stops a runaway query (not sooner), and the server keeps serving", async () => {
  const dir = await tempProject();
  // a huge inference budget (below 2^31: larger values overflow in the engine), so only the
  // wall-clock deadline can stop `repeat, fail`
  const mcp = await serve(dir, { ZPM_INFERENCE_LIMIT: "2000000000" });
  try {
    const start = performance.now();
    const r = await mcp.call("query_logic", { goal: "repeat, fail" });
    const ms = performance.now() - start;
    strictEqual(r.isError, true);
    match(r.content[0].text, /5000 ?ms/);
    ok(ms >= 4500, `stopped after ${ms.toFixed(0)} ms, before the 5000 ms deadline`);
    ok(ms < 30_000, `hang bound: stopped only after ${ms.toFixed(0)} ms`);
    strictEqual((await mcp.call("remember_fact", { fact: "alive(1)" })).isError, false);
    strictEqual(await mcp.text("query_logic", { goal: "alive(X)" }), '[{"X":1}]');
  } finally {
    await mcp.close();
  }
});
