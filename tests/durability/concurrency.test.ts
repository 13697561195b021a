/** Several processes on one project: no write is lost and every process sees the others' writes. */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { McpClient, runZpm, tempProject } from "../helpers/zpm.ts";
import { scanJournal } from "../../src/persistence/journal_format.ts";

const SERVERS = 7;
const PER_PROCESS = 50;

Deno.test("concurrency: 7 servers and 50 CLI runs commit 50 mutations per process to one project; all 400 are kept", async () => {
  const dir = await tempProject();
  const servers = await Promise.all(Array.from({ length: SERVERS }, () => McpClient.start({ cwd: dir })));
  const serverWrites = servers.map(async (mcp, s) => {
    // pipelined: all 50 requests in flight at once
    const results = await Promise.all(
      Array.from({ length: PER_PROCESS }, (_, i) => mcp.call("remember_fact", { fact: `w(${s}, ${i})` })),
    );
    for (const r of results) strictEqual(r.isError, false, r.content[0].text);
  });
  // 50 CLI invocations, three at a time.
  let nextCli = 0;
  const cliLane = async () => {
    while (nextCli < PER_PROCESS) {
      const i = nextCli++;
      const r = await runZpm(["remember-fact", "--fact", `w(cli, ${i})`], { cwd: dir });
      strictEqual(r.code, 0, r.stderr);
    }
  };
  const cliWrites = Promise.all([cliLane(), cliLane(), cliLane()]);
  await Promise.all([...serverWrites, cliWrites]);
  // Each server sees every other process's facts on its next call.
  for (const mcp of servers) {
    const n = JSON.parse(await mcp.text("query_logic", { goal: "aggregate_all(count, w(_, _), N)" }));
    deepStrictEqual(n, [{ N: (SERVERS + 1) * PER_PROCESS }]);
  }
  for (const mcp of servers) strictEqual(await mcp.close(), 0);
  const scan = scanJournal(await Deno.readFile(`${dir}/.zpm/data/journal.wal`));
  strictEqual(scan.damage, null);
  strictEqual(scan.transactions.length, (SERVERS + 1) * PER_PROCESS);
  const seqs = scan.transactions.map((t) => t.seq);
  deepStrictEqual(seqs, seqs.map((_, i) => i + 1), "sequence numbers are gap-free across processes");
});

Deno.test("concurrency: a snapshot (journal rotation) in one process while another appends loses nothing", async () => {
  const dir = await tempProject();
  const writer = await McpClient.start({ cwd: dir });
  const snapper = await McpClient.start({ cwd: dir });
  const writes = (async () => {
    for (let i = 0; i < 120; i++) {
      const r = await writer.call("remember_fact", { fact: `r(${i})` });
      strictEqual(r.isError, false, r.content[0].text);
    }
  })();
  const snaps = (async () => {
    for (let i = 0; i < 8; i++) {
      const r = await snapper.call("save_snapshot", { name: `snap${i}` });
      strictEqual(r.isError, false, r.content[0].text);
    }
  })();
  await Promise.all([writes, snaps]);
  // the snapshotting process caught up on the writer's facts; the writer sees them after rotations
  for (const mcp of [writer, snapper]) {
    deepStrictEqual(JSON.parse(await mcp.text("query_logic", { goal: "aggregate_all(count, r(_), N)" })), [{
      N: 120,
    }]);
  }
  await writer.close();
  await snapper.close();
  const fresh = await McpClient.start({ cwd: dir });
  deepStrictEqual(JSON.parse(await fresh.text("query_logic", { goal: "aggregate_all(count, r(_), N)" })), [{
    N: 120,
  }]);
  await fresh.close();
  const names = [...Deno.readDirSync(`${dir}/.zpm/data`)].map((e) => e.name);
  ok(names.includes("journal.wal") && names.includes("journal.lock"), names.join(","));
  // the reaper keeps at most the archives needed since the previous snapshot
  ok(names.filter((n) => /^journal-\d+\.wal$/.test(n)).length <= 2, names.join(","));
});

Deno.test("concurrency: a writer that died mid-append leaves a torn tail that the next writer cuts", async () => {
  const dir = await tempProject();
  const mcp = await McpClient.start({ cwd: dir });
  strictEqual((await mcp.call("remember_fact", { fact: "before(1)" })).isError, false);
  // another process crashed half-way through its write
  const f = await Deno.open(`${dir}/.zpm/data/journal.wal`, { append: true });
  await f.write(new TextEncoder().encode('{"seq":2,"ts":1,"records":[{"op":"assert","cla'));
  f.close();
  strictEqual(await mcp.text("query_logic", { goal: "before(X)" }), '[{"X":1}]', "reads skip the torn tail");
  const w = await mcp.call("remember_fact", { fact: "after(2)" });
  strictEqual(w.isError, false, w.content[0].text);
  await mcp.close();
  ok([...Deno.readDirSync(`${dir}/.zpm/data`)].some((e) => e.name.startsWith("journal.wal.broken-")));
  const scan = scanJournal(await Deno.readFile(`${dir}/.zpm/data/journal.wal`));
  strictEqual(scan.damage, null);
  deepStrictEqual(scan.transactions.map((t) => t.seq), [1, 2]);
  const fresh = await McpClient.start({ cwd: dir });
  strictEqual(await fresh.text("query_logic", { goal: "after(X)" }), '[{"X":2}]');
  await fresh.close();
});

Deno.test("concurrency: a writer applies what another process committed before its own change, in clause order", async () => {
  const dir = await tempProject();
  const [a, b] = await Promise.all([McpClient.start({ cwd: dir }), McpClient.start({ cwd: dir })]);
  try {
    strictEqual((await a.call("remember_fact", { fact: "p(1)" })).isError, false);
    strictEqual((await a.call("remember_fact", { fact: "p(2)" })).isError, false);
    // b has not read since: its write must see p(1) and p(2) first (the update finds p(1)).
    const u = await b.call("update_fact", { old_fact: "p(1)", new_fact: "p(3)" });
    strictEqual(u.isError, false, u.content[0].text);
    strictEqual((await a.call("forget_fact", { fact: "p(2)" })).isError, false);
    strictEqual((await b.call("remember_fact", { fact: "p(4)" })).isError, false);
    for (const m of [a, b]) strictEqual(await m.text("query_logic", { goal: "p(X)" }), '[{"X":3},{"X":4}]');
  } finally {
    strictEqual(await a.close(), 0);
    strictEqual(await b.close(), 0);
  }
  const q = await runZpm(["query-logic", "--goal", "p(X)"], { cwd: dir });
  strictEqual(q.stdout, '[{"X":3},{"X":4}]\n');
});
