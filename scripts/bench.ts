/**
 * `deno task bench`: measures zpm through its real interfaces (MCP stdio and the CLI) and prints one
 * table. Every row has a median, a p99 and a ratio to an anchor measured in the same run, because
 * machines are noisy and ratios are what we compare. `--json` also writes bench-results.json;
 * `--quick` uses smaller sizes (and skips the 1M-fact store).
 *
 * Rows: transport floor and queries (ground fact, 100k-fact lookup, path/2 over a 1,000-node chain),
 * durable writes against raw fdatasync and as the store grows (1k, 100k, 1M facts), boot, snapshots,
 * CLI one-shot, memory (RSS), concurrent writer processes, naive-reverse LIPS and boot against native
 * `swipl` (rows say "skipped" without it), restore_snapshot, bulk loads (`zpm import`, remember_facts)
 * and boot with the facts in a kb/*.pl file (cold and from the kb cache) against the same, the same
 * write-then-lookup workload against `@modelcontextprotocol/server-memory`, and a team server over Streamable HTTP under 50 concurrent
 * clients (every acknowledged write checked afterwards). Results: docs/bench.md.
 */
import { isolatedEnv, McpClient, runZpm, tempProject, zpmCommand } from "../tests/helpers/zpm.ts";
import { engineHosts, env as sharedCacheEnv } from "../tests/e2e/_helpers.ts";
import { readLines } from "../src/io/lines.ts";
import { connect, startServer } from "../tests/http/_server.ts";
import { encodeTransaction } from "../src/persistence/journal_encode.ts";
import { formatSnapshotHeader } from "../src/persistence/snapshot_file.ts";

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
  // pipelined: one client sends n writes without waiting; each is still acknowledged after its fdatasync
  const t0 = performance.now();
  const piped = await Promise.all(
    Array.from({ length: n }, (_, i) => mcp.call("remember_fact", { fact: `pp(${i})` })),
  );
  if (piped.some((r) => r.isError)) throw new Error("a pipelined write failed");
  value("pipelined writes (1 client, all in flight)", "writes/s", n / ((performance.now() - t0) / 1000));
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
  // The first call makes the engine boot-state cache (src/engine/boot_state.ts); the timed ones use it.
  await runZpm(["query-logic", "--goal", "true"], { cwd: dir });
  // The warm engine (README "Warm engine"): `deno task zpm` permissions (a Unix socket needs --allow-net),
  // its own socket directory; cold (ZPM_DAEMON=off, the harness default) and warm runs alternate.
  const sockets = await Deno.makeTempDir({ prefix: "zpm-bench-sock-" });
  await Deno.chmod(sockets, 0o700);
  const warmRun = (args: string[]) => {
    const { cmd, args: full } = zpmCommand(args);
    return new Deno.Command(cmd, {
      args: full.map((a) => (a.startsWith("--allow-net=") ? "--allow-net" : a)),
      cwd: dir,
      env: isolatedEnv(dir, { ZPM_DAEMON: "on", ZPM_DAEMON_DIR: sockets }),
      stdout: "piped",
      stderr: "piped",
    }).output();
  };
  await warmRun(["query-logic", "--goal", "true"]);
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < (QUICK ? 5 : 9); i++) {
    cold.push(...await timeEach(1, () => runZpm(["query-logic", "--goal", "true"], { cwd: dir })));
    warm.push(...await timeEach(1, () => warmRun(["query-logic", "--goal", "true"])));
  }
  await warmRun(["daemon", "stop"]);
  add("CLI query-logic --goal true", "ms", cold, bare, "ZPM_DAEMON=off; engine from its cached boot state");
  add("CLI query-logic --goal true, warm engine", "ms", warm, bare, "answered by the warm engine");
  const noCache = isolatedEnv(dir, { ZPM_ENGINE_CACHE: "off" });
  add(
    "CLI query-logic --goal true, no engine cache",
    "ms",
    await timeEach(
      QUICK ? 3 : 7,
      () => runZpm(["query-logic", "--goal", "true"], { cwd: dir, env: noCache }),
    ),
    bare,
    "ZPM_ENGINE_CACHE=off: boot file + zpm's Prolog from source",
  );
}

// --- helpers for the rows below ------------------------------------------------------------------
/** Start `zpm serve` sharing Deno's module cache (so process start is not a re-transpile). */
async function serve(dir: string, args: string[] = []): Promise<McpClient> {
  return await McpClient.start({ cwd: dir, env: sharedCacheEnv(dir), args });
}

/** A row that could not be measured on this machine. */
function skip(name: string, why: string) {
  rows.push({ name, unit: "", median: NaN, p99: NaN, note: `skipped: ${why}` });
  console.error(`  ${name}: skipped (${why})`);
}

/** A single measured value (a rate or a size) as a row. */
function value(name: string, unit: string, v: number, anchor?: Row, note?: string): Row {
  return add(name, unit, [v], anchor, note);
}

/** A minimal MCP client over stdio for a peer server (any command). */
class PeerClient {
  private nextId = 1;
  private waiting = new Map<number, (m: Record<string, unknown>) => void>();
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private constructor(private readonly child: Deno.ChildProcess) {
    this.writer = child.stdin.getWriter();
    (async () => {
      for await (const line of readLines(child.stdout)) {
        if (!line.trim().startsWith("{")) continue;
        const msg = JSON.parse(line);
        this.waiting.get(msg.id)?.(msg);
        this.waiting.delete(msg.id);
      }
    })();
  }

  static async start(
    cmd: string,
    args: string[],
    cwd: string,
    env: Record<string, string>,
  ): Promise<PeerClient> {
    const child = new Deno.Command(cmd, { args, cwd, env, stdin: "piped", stdout: "piped", stderr: "null" })
      .spawn();
    const c = new PeerClient(child);
    const init = await Promise.race([
      c.request("initialize", {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "bench", version: "1" },
      }),
      child.status.then((s) => ({ error: `exited with code ${s.code}` })),
    ]);
    if ("error" in init) throw new Error(JSON.stringify(init.error));
    await c.writer.write(
      new TextEncoder().encode(
        JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n",
      ),
    );
    return c;
  }

  request(method: string, params: unknown): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const p = new Promise<Record<string, unknown>>((r) => this.waiting.set(id, r));
    this.writer.write(
      new TextEncoder().encode(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n"),
    );
    return p;
  }

  async call(name: string, args: unknown): Promise<{ isError?: boolean; content: { text: string }[] }> {
    const r = await this.request("tools/call", { name, arguments: args });
    if (r.error) throw new Error(JSON.stringify(r.error));
    return r.result as { isError?: boolean; content: { text: string }[] };
  }

  async close() {
    await this.writer.close().catch(() => {});
    try {
      this.child.kill("SIGTERM");
    } catch { /* gone */ }
    await this.child.status;
  }
}

/** Write a snapshot of `n` facts `fact(nI, I)` (plus `extra` clauses) into the default memory. */
async function seedSnapshot(dir: string, n: number, extra: string[] = []) {
  const parts = [
    formatSnapshotHeader({ ns: BigInt(Date.now()) * 1_000_000n, seq: 0 }),
    ":- dynamic(fact/2).\n",
  ];
  const chunk: string[] = [];
  for (let i = 1; i <= n; i++) {
    chunk.push(`fact(n${i}, ${i}).\n`);
    if (chunk.length === 10_000) parts.push(chunk.splice(0).join(""));
  }
  parts.push(chunk.join(""), ...extra.map((c) => c + "\n"));
  await Deno.writeTextFile(`${dir}/.zpm/kb/seed.pl`, parts.join(""));
}

/** The same facts as a plain Prolog file, for native SWI-Prolog. */
async function nativeFacts(n: number): Promise<string> {
  const file = `${await Deno.makeTempDir()}/facts.pl`;
  const parts = [":- dynamic(fact/2).\n"];
  for (let i = 1; i <= n; i++) parts.push(`fact(n${i}, ${i}).\n`);
  await Deno.writeTextFile(file, parts.join(""));
  return file;
}

/** Resident set size in KiB of a process (`ps`; Deno wants --allow-all for /proc/<pid>), 0 when gone. */
async function rssKb(pid: number): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)], stdout: "piped" })
    .output();
  return Number(new TextDecoder().decode(out.stdout).trim()) || 0;
}

/** RSS of a server plus its engine host children, in MiB. */
async function serverRssMb(mcp: McpClient): Promise<number> {
  const hosts = await engineHosts(mcp.child.pid);
  let kb = await rssKb(mcp.child.pid);
  for (const p of hosts) kb += await rssKb(p);
  return kb / 1024;
}

/** Run native swipl with a goal; null when swipl is not installed. */
async function swipl(args: string[]): Promise<{ ms: number; stdout: string } | null> {
  try {
    const t0 = performance.now();
    const out = await new Deno.Command("swipl", { args, stdout: "piped", stderr: "piped" }).output();
    const ms = performance.now() - t0;
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return { ms, stdout: new TextDecoder().decode(out.stdout) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

const SWIPL = (await swipl(["--version"])) !== null;
const NO_SWIPL = "swipl not installed (apt-get install swi-prolog-nox)";

// --- queries over a loaded knowledge base (100k table, 1,000-node chain, 1,000 predicates) -------
{
  const dir = await tempProject();
  const extra: string[] = [];
  for (let i = 0; i < 1000; i++) extra.push(`:- dynamic(pred${i}/1).`, `pred${i}(x).`);
  extra.push(":- dynamic(edge/2).");
  for (let i = 0; i < 999; i++) extra.push(`edge(c${i}, c${i + 1}).`);
  extra.push(":- dynamic(path/2).", "path(X, Y) :- edge(X, Y).", "path(X, Y) :- edge(X, Z), path(Z, Y).");
  await seedSnapshot(dir, 100_000, extra);
  const mcp = await serve(dir);
  const n = QUICK ? 100 : 500;
  const echo = add(
    "echo round trip (loaded KB)",
    "ms",
    await timeEach(n, () => mcp.call("echo", { message: "x" })),
  );
  const check = await mcp.call("query_logic", { goal: "fact(n77777, V)" });
  if (check.content[0].text !== '[{"V":77777}]') {
    throw new Error(`seeded KB not loaded: ${check.content[0].text}`);
  }
  add(
    "query_logic table lookup, 100k facts",
    "ms",
    await timeEach(n, (i) => mcp.call("query_logic", { goal: `fact(n${1 + (i * 7919) % 100_000}, V)` })),
    echo,
  );
  const chain = await mcp.call("query_logic", { goal: "path(c0, c999)" });
  if (chain.content[0].text !== "[{}]") throw new Error(`path/2 failed: ${chain.content[0].text}`);
  add(
    "query_logic path/2 over a 1,000-node chain",
    "ms",
    await timeEach(QUICK ? 20 : 100, () => mcp.call("query_logic", { goal: "path(c0, c999)" })),
    echo,
    "1,000 predicates + 100k facts loaded",
  );
  await mcp.close();
}

// --- durable remember_fact as the store grows ------------------------------------------------------
{
  const sizes = QUICK ? [1_000, 100_000] : [1_000, 100_000, 1_000_000];
  let first: Row | undefined;
  for (const size of sizes) {
    const dir = await tempProject();
    await seedSnapshot(dir, size);
    const t0 = performance.now();
    const mcp = await serve(dir);
    await mcp.call("query_logic", { goal: "fact(n1, V)" });
    const bootMs = performance.now() - t0;
    const row = add(
      `remember_fact (durable), ${size.toLocaleString("en")} facts stored`,
      "ms",
      await timeEach(
        QUICK ? 50 : 200,
        (i) => mcp.call("remember_fact", { fact: `grow(${i}, 'payload ${i}')` }),
      ),
      first,
      `boot from snapshot ${Math.round(bootMs)} ms`,
    );
    first ??= row;
    if (size === 100_000) {
      const idle = await tempProject();
      const idleMcp = await serve(idle);
      await idleMcp.call("echo", { message: "x" });
      const idleRow = value("RSS idle (server + engine host)", "MiB", await serverRssMb(idleMcp));
      await idleMcp.close();
      value("RSS with 100k facts (server + engine host)", "MiB", await serverRssMb(mcp), idleRow);
    }
    await mcp.close();
  }
}

// --- concurrency: several client processes writing to one project -------------------------------
{
  const perClient = QUICK ? 50 : 200;
  let single: Row | undefined;
  for (const clients of [1, 4, 8]) {
    const dir = await tempProject();
    const servers = await Promise.all(Array.from({ length: clients }, () => serve(dir)));
    // Untimed: one write each, so every engine has booted (start-up is measured by other rows).
    await Promise.all(servers.map((mcp, c) => mcp.call("remember_fact", { fact: `warm(${c})` })));
    const t0 = performance.now();
    await Promise.all(servers.map(async (mcp, c) => {
      for (let i = 0; i < perClient; i++) {
        const r = await mcp.call("remember_fact", { fact: `w(${c}, ${i})` });
        if (r.isError) throw new Error(`write failed: ${r.content[0].text}`);
      }
    }));
    const secs = (performance.now() - t0) / 1000;
    const count = await servers[0].call("query_logic", { goal: "aggregate_all(count, w(_, _), N)" });
    const kept = JSON.parse(count.content[0].text)[0].N as number;
    const rate = (clients * perClient) / secs;
    const row = value(
      `concurrent writers: ${clients} process${clients > 1 ? "es" : ""}, aggregate`,
      "writes/s",
      rate,
      single,
      `kept ${kept} of ${clients * perClient}; servers warmed by one untimed write`,
    );
    single ??= row;
    if (kept !== clients * perClient) throw new Error(`lost writes: kept ${kept} of ${clients * perClient}`);
    await Promise.all(servers.map((m) => m.close()));
  }
}

// --- inference: naive reverse (LIPS) -------------------------------------------------------------
{
  const dir = await tempProject();
  const mcp = await serve(dir, ["--timeout-ms", "60000"]);
  await mcp.call("define_rule", { head: "app([], L, L0)", body: "L0 = L" });
  await mcp.call("define_rule", { head: "app([H|T], L, [H|R])", body: "app(T, L, R)" });
  await mcp.call("define_rule", { head: "nrev([], L)", body: "L = []" });
  await mcp.call("define_rule", { head: "nrev([H|T], R)", body: "nrev(T, RT), app(RT, [H], R)" });
  await mcp.call("define_rule", {
    head: "bench(K)",
    body: "numlist(1, 30, L), between(1, K, _), nrev(L, _), fail",
  });
  await mcp.call("define_rule", { head: "bench(_)", body: "true" });
  const k = QUICK ? 2_000 : 10_000;
  // nrev of 30 elements is 496 logical inferences (plus 2 for between/fail per iteration).
  const times = await timeEach(QUICK ? 3 : 5, async () => {
    const r = await mcp.call("query_logic", { goal: `bench(${k})` });
    if (r.isError) throw new Error(r.content[0].text);
  });
  const lips = (ms: number) => (496 * k) / (ms / 1000);
  const native = SWIPL
    ? await swipl([
      "-q",
      "-g",
      "assertz((app([],L,L))), assertz((app([H|T],L,[H|R]) :- app(T,L,R))), " +
      "assertz((nrev([],[]))), assertz((nrev([H|T],R) :- nrev(T,RT), app(RT,[H],R))), " +
      `numlist(1,30,L), get_time(T0), (between(1,${k},_), nrev(L,_), fail ; true), get_time(T1), ` +
      "Ms is (T1-T0)*1000, format('~6f~n', [Ms])",
      "-t",
      "halt",
    ])
    : null;
  let nativeRow: Row | undefined;
  if (native) {
    const ms = Number(native.stdout.trim());
    nativeRow = value("native swipl naive reverse (LIPS)", "MLIPS", lips(ms) / 1e6);
  } else skip("native swipl naive reverse (LIPS)", NO_SWIPL);
  const sorted = [...times].sort((a, b) => a - b);
  value(
    "naive reverse through query_logic (LIPS)",
    "MLIPS",
    lips(sorted[Math.floor(sorted.length / 2)]) / 1e6,
    nativeRow,
    `${k} × nrev30 per call, best ${(lips(sorted[0]) / 1e6).toFixed(2)} MLIPS`,
  );
  await mcp.close();
}

// --- boot, restore, kb files and bulk loads against native SWI-Prolog consulting the same facts -----
{
  const n = QUICK ? 20_000 : 100_000;
  const k = `${n / 1000}k`;
  const dir = await tempProject();
  await seedSnapshot(dir, n);
  const native = SWIPL ? await nativeFacts(n) : null;
  let nativeRow: Row | undefined;
  if (native) {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      times.push((await swipl(["-q", "-g", `consult('${native}'), fact(n1, _)`, "-t", "halt"]))!.ms);
    }
    nativeRow = add(`native swipl: start + consult ${k} facts`, "ms", times);
  } else skip(`native swipl: start + consult ${k} facts`, NO_SWIPL);
  const snapshotBoot = add(
    `zpm boot from a ${k}-fact snapshot + first query`,
    "ms",
    await timeEach(3, async () => {
      const mcp = await serve(dir);
      await mcp.call("query_logic", { goal: "fact(n1, X)" });
      await mcp.close();
    }),
    nativeRow,
  );
  // The same snapshot restored into a running server (it replaces the knowledge and is made durable).
  {
    const mcp = await serve(dir);
    await mcp.call("remember_fact", { fact: "before_restore(1)" });
    add(
      `restore_snapshot ${k} facts ÷ native consult`,
      "ms",
      await timeEach(3, async () => {
        const r = await mcp.call("restore_snapshot", { name: "seed" });
        if (r.isError) throw new Error(r.content[0].text);
      }),
      nativeRow,
      "the snapshot of the boot row above",
    );
    await mcp.close();
  }
  // The same facts as a kb/*.pl user file: parsed from source (cold), or from the kb cache.
  const kbDir = await tempProject();
  await Deno.copyFile(native ?? await nativeFacts(n), `${kbDir}/.zpm/kb/facts.pl`);
  const kbBoot = (env: Record<string, string>) => async () => {
    const mcp = await McpClient.start({ cwd: kbDir, env });
    const r = await mcp.call("query_logic", { goal: `fact(n${n}, X)` });
    if (r.content[0].text !== `[{"X":${n}}]`) throw new Error(`kb file not loaded: ${r.content[0].text}`);
    await mcp.close();
  };
  add(
    `boot + first query, ${k} facts in kb/*.pl, cold`,
    "ms",
    await timeEach(3, kbBoot(sharedCacheEnv(kbDir, { ZPM_KB_CACHE: "off" }))),
    snapshotBoot,
    "ZPM_KB_CACHE=off: parsed from source",
  );
  await kbBoot(sharedCacheEnv(kbDir))(); // makes the cache
  add(
    `boot + first query, ${k} facts in kb/*.pl, cached`,
    "ms",
    await timeEach(3, kbBoot(sharedCacheEnv(kbDir))),
    snapshotBoot,
    "from the kb cache",
  );
  // Bulk loads of the same facts: `zpm import FILE.pl`, and remember_facts in calls of 10,000.
  const file = native ?? await nativeFacts(n);
  add(
    `bulk load ${k} facts (zpm import) ÷ native consult`,
    "ms",
    await timeEach(QUICK ? 1 : 2, async () => {
      const d = await tempProject();
      const r = await runZpm(["import", file], { cwd: d, env: sharedCacheEnv(d) });
      if (r.code !== 0) throw new Error(`zpm import failed: ${r.stderr}`);
    }),
    nativeRow,
    "CLI process included",
  );
  const remembered: number[] = [];
  for (let run = 0; run < (QUICK ? 1 : 2); run++) {
    const mcp = await serve(await tempProject());
    await mcp.call("echo", { message: "x" });
    const t0 = performance.now();
    for (let at = 1; at <= n; at += 10_000) {
      const facts = [];
      for (let i = at; i < at + 10_000 && i <= n; i++) facts.push(`fact(n${i}, ${i})`);
      const r = await mcp.call("remember_facts", { facts });
      if (r.isError) throw new Error(r.content[0].text);
    }
    remembered.push(performance.now() - t0);
    await mcp.close();
  }
  add(
    `bulk load ${k} facts (remember_facts) ÷ native consult`,
    "ms",
    remembered,
    nativeRow,
    "calls of 10,000 facts on a running server",
  );
}

// --- peer: @modelcontextprotocol/server-memory, same workload ------------------------------------
/** The peer, pinned; Deno caches it after the first run, so later runs work offline. */
const PEER = "npm:@modelcontextprotocol/server-memory@2026.8.31";
{
  const items = QUICK ? 1_000 : 10_000;
  const lookups = QUICK ? 200 : 1_000;
  const peerDir = await Deno.makeTempDir({ prefix: "zpm-peer-" });
  let peer: PeerClient | null = null;
  try {
    peer = await PeerClient.start(
      Deno.execPath(),
      ["run", "-A", "--quiet", "--no-config", PEER],
      peerDir,
      { MEMORY_FILE_PATH: `${peerDir}/memory.jsonl` },
    );
  } catch (e) {
    skip("peer server-memory", `could not start ${PEER} (${(e as Error).message})`);
  }
  if (peer) {
    const dir = await tempProject();
    const mcp = await serve(dir);
    const t0 = performance.now();
    for (let i = 0; i < items; i++) {
      await mcp.call("remember_fact", { fact: `item(e${i}, item, 'value ${i}')` });
    }
    const ourWrites = items / ((performance.now() - t0) / 1000);
    // The same writes pipelined (100 in flight) into a fresh project: each still acknowledged after its fdatasync.
    const pipedMcp = await serve(await tempProject());
    const tp = performance.now();
    for (let start = 0; start < items; start += 100) {
      const batch = Array.from(
        { length: Math.min(100, items - start) },
        (_, k) => pipedMcp.call("remember_fact", { fact: `item(e${start + k}, item, 'value ${start + k}')` }),
      );
      if ((await Promise.all(batch)).some((r) => r.isError)) throw new Error("a pipelined write failed");
    }
    const ourPiped = items / ((performance.now() - tp) / 1000);
    await pipedMcp.close();
    const t1 = performance.now();
    for (let i = 0; i < items; i++) {
      const r = await peer.call("create_entities", {
        entities: [{ name: `e${i}`, entityType: "item", observations: [`value ${i}`] }],
      });
      if (r.isError) throw new Error(`server-memory create_entities: ${r.content[0].text}`);
    }
    const peerWrites = items / ((performance.now() - t1) / 1000);
    const t2 = performance.now();
    for (let i = 0; i < lookups; i++) {
      const r = await mcp.call("query_logic", { goal: `item(e${(i * 7919) % items}, T, V)` });
      if (r.isError) throw new Error(r.content[0].text);
    }
    const ourLookups = lookups / ((performance.now() - t2) / 1000);
    const t3 = performance.now();
    for (let i = 0; i < lookups; i++) {
      const r = await peer.call("search_nodes", { query: `e${(i * 7919) % items}` });
      if (r.isError) throw new Error(`server-memory search_nodes: ${r.content[0].text}`);
    }
    const peerLookups = lookups / ((performance.now() - t3) / 1000);
    const pw = value(
      `peer server-memory: create_entities, ${items / 1000}k items`,
      "writes/s",
      peerWrites,
      undefined,
      "rewrites its JSONL file per call, no fsync",
    );
    value(
      `zpm remember_fact (durable), ${items / 1000}k items`,
      "writes/s",
      ourWrites,
      pw,
      "fdatasync per write",
    );
    value(
      `zpm remember_fact (durable, pipelined), ${items / 1000}k items`,
      "writes/s",
      ourPiped,
      pw,
      "100 in flight, group commit",
    );
    const pl = value(`peer server-memory: search_nodes, ${lookups} lookups`, "lookups/s", peerLookups);
    value(`zpm query_logic, ${lookups} lookups`, "lookups/s", ourLookups, pl);
    await mcp.close();
    await peer.close();
  }
}

// --- team server over Streamable HTTP: concurrent clients -----------------------------------------
{
  const clients = QUICK ? 10 : 50;
  const perClient = QUICK ? 20 : 100;
  const dir = await tempProject();
  const server = await startServer(dir);
  const rss = async () => {
    let kb = await rssKb(server.child.pid);
    for (const p of await engineHosts(server.child.pid)) kb += await rssKb(p);
    return kb / 1024;
  };
  const rssBefore = await rss();
  const conns = await Promise.all(Array.from({ length: clients }, () => connect(server.url)));
  const latencies: number[] = [];
  const acked: string[] = [];
  const t0 = performance.now();
  await Promise.all(conns.map(async (client, c) => {
    for (let i = 0; i < perClient; i++) {
      const write = i % 2 === 0;
      const fact = `load(c${c}, n${i})`;
      const started = performance.now();
      const r = write
        ? await client.callTool({ name: "remember_fact", arguments: { fact } })
        : await client.callTool({ name: "query_logic", arguments: { goal: `load(c${c}, X)` } });
      latencies.push(performance.now() - started);
      if (write && !r.isError) acked.push(fact);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const rssAfter = await rss();
  for (const c of conns) await c.close();
  await server.stop();
  const check = await McpClient.start({ cwd: dir });
  const stored = new Set(
    (JSON.parse(await check.text("query_logic", { goal: "load(C, N)", limit: 10000 })) as {
      C: string;
      N: string;
    }[])
      .map((s) => `load(${s.C}, ${s.N})`),
  );
  await check.close();
  const kept = acked.filter((f) => stored.has(f)).length;
  const label = `HTTP: ${clients} clients x ${perClient} calls (half writes)`;
  add(
    `${label}, per call`,
    "ms",
    latencies,
    undefined,
    `kept ${kept} of ${acked.length} acknowledged writes`,
  );
  value(`${label}, throughput`, "calls/s", latencies.length / seconds);
  value(
    `${label}, server RSS before / after`,
    "MiB",
    rssAfter,
    undefined,
    `before ${rssBefore.toFixed(1)} MiB`,
  );
  if (kept !== acked.length) throw new Error(`HTTP load: ${acked.length - kept} acknowledged writes missing`);
}

// --- PostgreSQL store (issue 15) -----------------------------------------------------------------
{
  const { startCluster } = await import("../tests/postgres/cluster.ts");
  const cluster = await startCluster();
  if (!cluster) {
    skip("PostgreSQL store rows", "postgresql not installed (apt-get install postgresql)");
  } else {
    const n = QUICK ? 50 : 200;
    const dirs = [await tempProject(), await tempProject(), await tempProject()];
    try {
      const file = await serve(dirs[0]);
      const fileLat = await timeEach(n, (i) => file.call("remember_fact", { fact: `pf(${i})` }));
      await file.close();
      const fileRow = add("remember_fact durable latency, file store", "ms", fileLat, undefined, "fdatasync");
      const pgEnv = (d: string) => ({ ...sharedCacheEnv(d), ZPM_STORE_URL: cluster.url });
      const [a, b] = await Promise.all(dirs.slice(1).map((d) => McpClient.start({ cwd: d, env: pgEnv(d) })));
      const pgLat = await timeEach(n, (i) => a.call("remember_fact", { fact: `pg(${i})` }));
      const pgRow = add(
        "remember_fact durable latency, PostgreSQL store",
        "ms",
        pgLat,
        fileRow,
        "synchronous_commit on, local server",
      );
      const fw = value("durable writes/s, file store", "writes/s", 1000 / fileRow.median);
      value("durable writes/s, PostgreSQL store", "writes/s", 1000 / pgRow.median, fw);
      const count = async (m: McpClient) =>
        JSON.parse(await m.text("query_logic", { goal: "aggregate_all(count, c(_), N)" }))[0].N as number;
      const catchUp = await timeEach(QUICK ? 10 : 30, async (i) => {
        await a.call("remember_fact", { fact: `c(${i})` });
        while ((await count(b)) < i + 1) { /* the next call catches up */ }
      });
      add(
        "catch-up: write on server A until server B answers with it",
        "ms",
        catchUp,
        pgRow,
        "2 servers, 1 database",
      );
      await a.close();
      await b.close();
    } finally {
      await cluster.stop();
      for (const d of dirs) await Deno.remove(d, { recursive: true }).catch(() => {});
    }
  }
}

// --- table --------------------------------------------------------------------------------------
const header = "| benchmark | median | p99 | ratio to anchor (same run) | note |";
const lines = [header, "|---|---:|---:|---|---|"];
for (const r of rows) {
  if (Number.isNaN(r.median)) {
    lines.push(`| ${r.name} | – | – | | ${r.note ?? ""} |`);
    continue;
  }
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
