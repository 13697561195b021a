/** Issue 11, arguments: unknown names refused, booleans are booleans, rules decided on the parsed term. */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { McpClient, runZpm, tempProject } from "../helpers/zpm.ts";

Deno.test("fidelity/arguments over MCP", async (t) => {
  const dir = await tempProject();
  const mcp = await McpClient.start({ cwd: dir });
  try {
    await t.step(
      "an unknown argument is refused, naming the closest declared name, and writes nothing",
      async () => {
        const r = await mcp.call("remember_fact", { fact: "secret(x)", memmory: "notes" });
        strictEqual(r.isError, true);
        strictEqual(
          r.content[0].text,
          "InvalidArguments: unknown argument 'memmory' (did you mean 'memory'?)",
        );
        strictEqual(await mcp.text("query_logic", { goal: "secret(X)" }), "[]");
        const far = await mcp.call("echo", { message: "hi", zzzzzzzzzz: 1 });
        strictEqual(
          far.content[0].text,
          "InvalidArguments: unknown argument 'zzzzzzzzzz' (this tool takes: 'message')",
        );
      },
    );
    await t.step("a non-boolean dry_run is refused and renames nothing", async () => {
      await mcp.call("remember_fact", { fact: "task_state(t1, done)" });
      for (const bad of ["yes", 1, "1", {}]) {
        const r = await mcp.call("rename_predicate", {
          old_functor: "task_state",
          new_functor: "ts",
          dry_run: bad,
        });
        strictEqual(r.isError, true, `dry_run ${JSON.stringify(bad)}`);
        match(r.content[0].text, /^InvalidArguments: 'dry_run' must be a boolean, true or false/);
      }
      strictEqual(await mcp.text("query_logic", { goal: "task_state(T, S)" }), '[{"T":"t1","S":"done"}]');
      const dry = JSON.parse(
        await mcp.text("rename_predicate", { old_functor: "task_state", new_functor: "ts", dry_run: "true" }),
      );
      strictEqual(dry.dry_run, true);
      strictEqual(await mcp.text("query_logic", { goal: "task_state(T, S)" }), '[{"T":"t1","S":"done"}]');
    });
    await t.step("update_fact and upsert_fact decide 'rule?' on the parsed term", async () => {
      await mcp.call("remember_fact", { fact: "note(a)" });
      strictEqual(
        await mcp.text("update_fact", { old_fact: "note(a)", new_fact: "note('a :- b')" }),
        "Updated: note('a :- b')",
      );
      strictEqual(
        await mcp.text("upsert_fact", { fact: "memo(k, 'x :- y')" }),
        "Upserted: memo(k, 'x :- y')",
      );
      strictEqual(await mcp.text("query_logic", { goal: "note(X)" }), '[{"X":"a :- b"}]');
      const rule = await mcp.call("update_fact", { old_fact: "note(X)", new_fact: "note(z) :- halt" });
      strictEqual(rule.content[0].text, "new_fact must not contain rule syntax");
      const rule2 = await mcp.call("upsert_fact", { fact: "memo(k, v) :- true" });
      strictEqual(rule2.content[0].text, "fact must not contain rule syntax");
      strictEqual(await mcp.text("query_logic", { goal: "memo(K, V)" }), '[{"K":"k","V":"x :- y"}]');
    });
    await t.step(
      "get_kb_overview.sample_size has bounds in its schema and is refused outside them",
      async () => {
        const list = await mcp.request("tools/list", {});
        const tools =
          (list.result as { tools: { name: string; inputSchema: { properties: Record<string, unknown> } }[] })
            .tools;
        const schema = tools.find((x) => x.name === "get_kb_overview")!.inputSchema.properties
          .sample_size as Record<
            string,
            unknown
          >;
        deepStrictEqual([schema.minimum, schema.maximum], [0, 50]);
        for (const bad of [-1, 51, "3"]) {
          const r = await mcp.call("get_kb_overview", { sample_size: bad });
          strictEqual(r.isError, true, `sample_size ${bad}`);
          match(r.content[0].text, /^InvalidArguments: 'sample_size' must be/);
        }
        ok(!(await mcp.call("get_kb_overview", { sample_size: 50 })).isError);
      },
    );
  } finally {
    await mcp.close();
  }
});

Deno.test("fidelity/arguments on the CLI: --dry-run is a flag", async () => {
  const dir = await tempProject();
  await runZpm(["remember-fact", "--fact", "task_state(t1, done)"], { cwd: dir });
  for (const extra of [["yes"], ["1"]]) {
    const r = await runZpm([
      "rename-predicate",
      "--old-functor",
      "task_state",
      "--new-functor",
      "ts",
      "--dry-run",
      ...extra,
    ], {
      cwd: dir,
    });
    strictEqual(r.code, 1, r.stdout);
    match(r.stderr, /too many arguments/);
  }
  const q = await runZpm(["query-logic", "--goal", "task_state(T, S)"], { cwd: dir });
  strictEqual(q.stdout.trim(), '[{"T":"t1","S":"done"}]');
  const dry = await runZpm([
    "rename-predicate",
    "--old-functor",
    "task_state",
    "--new-functor",
    "ts",
    "--dry-run",
  ], {
    cwd: dir,
  });
  strictEqual(dry.code, 0, dry.stderr);
  strictEqual(JSON.parse(dry.stdout).dry_run, true);
  strictEqual(
    (await runZpm(["query-logic", "--goal", "task_state(T, S)"], { cwd: dir })).stdout.trim(),
    '[{"T":"t1","S":"done"}]',
  );
});
