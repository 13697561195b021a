/** rename_predicate, find_predicate_references and get_kb_overview (issue 5). */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { McpClient, runZpm, tempProject } from "../helpers/zpm.ts";
import { scanJournal } from "../../src/persistence/journal_format.ts";

async function seed(mcp: McpClient, memory?: string) {
  const m = memory ? { memory } : {};
  await mcp.call("remember_fact", { fact: "task_state(t1, done)", ...m });
  await mcp.call("remember_fact", { fact: "task_state(t2, open)", ...m });
  await mcp.call("define_rule", { head: "finished(T)", body: "task_state(T, done)", ...m });
  await mcp.call("define_rule", {
    head: "count_open(N)",
    body: "aggregate_all(count, task_state(_, open), N)",
    ...m,
  });
}

Deno.test("rename_predicate renames clauses and rewrites rule bodies at the term level, durably", async () => {
  const dir = await tempProject();
  const mcp = await McpClient.start({ cwd: dir });
  await seed(mcp);
  const journal = await Deno.readFile(`${dir}/.zpm/data/journal.wal`);
  const dry = JSON.parse(
    await mcp.text("rename_predicate", {
      old_functor: "task_state",
      new_functor: "task_status",
      dry_run: true,
    }),
  );
  strictEqual(dry.dry_run, true);
  strictEqual(dry.renamed_facts, 2);
  strictEqual(dry.rewritten_rule_bodies.length, 2);
  deepStrictEqual(await Deno.readFile(`${dir}/.zpm/data/journal.wal`), journal, "dry_run changes nothing");
  strictEqual(
    await mcp.text("query_logic", { goal: "task_state(T, S)" }),
    '[{"T":"t1","S":"done"},{"T":"t2","S":"open"}]',
  );
  const r = JSON.parse(
    await mcp.text("rename_predicate", { old_functor: "task_state", new_functor: "task_status" }),
  );
  deepStrictEqual(
    { arity: r.arity, facts: r.renamed_facts, rules: r.renamed_rules, skipped: r.skipped_readonly },
    { arity: 2, facts: 2, rules: 0, skipped: [] },
  );
  deepStrictEqual(r.rewritten_rule_bodies.map((b: { head: string }) => b.head).sort(), [
    "count_open(_)",
    "finished(_)",
  ]);
  const scan = scanJournal(await Deno.readFile(`${dir}/.zpm/data/journal.wal`));
  strictEqual(scan.transactions.length, 5, "the whole rename is one transaction");
  strictEqual(
    await mcp.text("query_logic", { goal: "finished(T)" }),
    '[{"T":"t1"}]',
    "rule bodies were rewritten",
  );
  strictEqual(await mcp.text("query_logic", { goal: "count_open(N)" }), '[{"N":1}]');
  strictEqual(await mcp.text("query_logic", { goal: "task_state(T, S)" }), "[]");
  // collisions are checked against rules too
  await mcp.call("define_rule", { head: "busy(X)", body: "task_status(X, open)" });
  await mcp.call("define_rule", { head: "idle(X)", body: "\\+ busy(X)" });
  const clash = await mcp.call("rename_predicate", { old_functor: "idle", new_functor: "busy" });
  strictEqual(clash.isError, true);
  match(clash.content[0].text, /already has clauses/);
  for (
    const [args, re] of [
      [{ old_functor: "a", new_functor: "a" }, /itself/],
      [{ old_functor: "=", new_functor: "eq", arity: 2 }, /operator/],
    ] as const
  ) {
    const x = await mcp.call("rename_predicate", args);
    strictEqual(x.isError, true);
    match(x.content[0].text, re);
  }
  const bad = await mcp.call("rename_predicate", { old_functor: "Bad", new_functor: "ok" });
  match(bad.content[0].text, /^InvalidArguments:/);
  await mcp.close();
  const again = await McpClient.start({ cwd: dir });
  strictEqual(await again.text("query_logic", { goal: "finished(T)" }), '[{"T":"t1"}]', "survives a restart");
  await again.close();
});

Deno.test("find_predicate_references scans each memory's own engine, and __all__ scans every memory", async () => {
  const dir = await tempProject();
  const mcp = await McpClient.start({ cwd: dir });
  await mcp.call("create_memory", { name: "work" });
  await seed(mcp, "work");
  await mcp.call("remember_fact", { fact: "task_state(t9, open)" });
  const inWork = JSON.parse(
    await mcp.text("find_predicate_references", { functor: "task_state", memory: "work" }),
  );
  strictEqual(inWork.target, "task_state");
  strictEqual(inWork.direct_facts_count, 2);
  deepStrictEqual(inWork.rules.map((r: { head: string; memory: string }) => `${r.memory}:${r.head}`), [
    "work:count_open(_)",
    "work:finished(_)",
  ]);
  const inDefault = JSON.parse(
    await mcp.text("find_predicate_references", { functor: "task_state", arity: 2 }),
  );
  strictEqual(inDefault.target, "task_state/2");
  strictEqual(inDefault.direct_facts_count, 1);
  strictEqual(inDefault.rules.length, 0);
  const all = JSON.parse(
    await mcp.text("find_predicate_references", { functor: "task_state", memory: "__all__" }),
  );
  strictEqual(all.direct_facts_count, 3);
  strictEqual(all.memory, "__all__");
  const none = JSON.parse(await mcp.text("find_predicate_references", { functor: "nothing" }));
  deepStrictEqual([none.rules, none.direct_facts_count], [[], 0]);
  await mcp.close();
});

Deno.test("get_kb_overview describes the requested memory within its budget", async () => {
  const dir = await tempProject();
  const mcp = await McpClient.start({ cwd: dir });
  await mcp.call("create_memory", { name: "work" });
  await seed(mcp, "work");
  await mcp.call("save_snapshot", { name: "snap", memory: "work" });
  const o = JSON.parse(await mcp.text("get_kb_overview", { memory: "work" }));
  deepStrictEqual(
    o.predicates.map((p: { functor: string; kind: string; count: number }) => [p.functor, p.kind, p.count]),
    [
      ["count_open", "rule", 1],
      ["finished", "rule", 1],
      ["task_state", "fact", 2],
    ],
  );
  deepStrictEqual(o.predicates[2].samples, ["task_state(t1, done)", "task_state(t2, open)"]);
  strictEqual(o.snapshots.count, 1);
  strictEqual(o.snapshots.latest, "snap");
  match(o.snapshots.latest_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  deepStrictEqual(o.persistence, { wal_pending: 0, healthy: true });
  strictEqual(o.mounts.count, 2);
  strictEqual(o.truncated, false);
  // a big memory is cut to 64 KiB by shrinking samples
  const big = "x".repeat(2000);
  await Promise.all(
    Array.from({ length: 60 }, (_, i) => mcp.call("remember_fact", { fact: `p${i}('${big}')` })),
  );
  const text = await mcp.text("get_kb_overview", { sample_size: 50 });
  ok(text.length <= 64 * 1024, `overview is ${text.length} bytes`);
  strictEqual(JSON.parse(text).truncated, true);
  await mcp.close();
  const cli = await runZpm(["get-kb-overview", "--sample-size", "0"], { cwd: dir });
  match(cli.stdout, /"samples":\[\]/);
});
