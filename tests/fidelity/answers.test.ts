/** Issue 11, answers: one rendering of clauses, no duplicate on re-assert, provenance, upstream texts. */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { runZpm, tempProject } from "../helpers/zpm.ts";
import { assertOk, env, serve } from "../e2e/_helpers.ts";

Deno.test("fidelity/answers over MCP", async (t) => {
  const dir = await tempProject();
  const mcp = await serve(dir);
  try {
    await t.step(
      "get_kb_overview samples are quoted clauses with variables A, B, … that read back",
      async () => {
        await mcp.call("remember_fact", { fact: "par(bob, 'Ann Lee')" });
        await mcp.call("define_rule", { head: "has_par(X)", body: "par(X, _)" });
        const o = JSON.parse(await mcp.text("get_kb_overview", { sample_size: 5 }));
        const samples = Object.fromEntries(
          o.predicates.map((p: { functor: string; samples: string[] }) => [p.functor, p.samples]),
        );
        deepStrictEqual(samples.par, ["par(bob, 'Ann Lee')"]);
        deepStrictEqual(samples.has_par, ["has_par(A) :- par(A, B)"]);
        // Copied back, each parses to the same clause: nothing is added.
        for (const s of [...samples.par, ...samples.has_par]) {
          const r = await mcp.call("remember_fact", { fact: s });
          deepStrictEqual(r.content.map((c) => c.text), [
            `Asserted: ${s}`,
            `already known: ${s} was stored before; no duplicate was added`,
          ]);
        }
        assertOk(await mcp.call("query_logic", { goal: "has_par(X)" }), '[{"X":"bob"}]');
      },
    );
    await t.step("remember_fact and define_rule of a present clause add no duplicate", async () => {
      assertOk(await mcp.call("remember_fact", { fact: "task(a)" }), "Asserted: task(a)");
      const wal = await Deno.readFile(`${dir}/.zpm/data/journal.wal`);
      for (let i = 0; i < 2; i++) {
        assertOk(
          await mcp.call("remember_fact", { fact: "task(a)." }),
          "Asserted: task(a)",
          "already known: task(a) was stored before; no duplicate was added",
        );
      }
      deepStrictEqual(await Deno.readFile(`${dir}/.zpm/data/journal.wal`), wal, "nothing was journaled");
      assertOk(
        await mcp.call("define_rule", { head: "open_task(T)", body: "task(T)" }),
        "Asserted: open_task(T) :- task(T)",
      );
      assertOk(
        await mcp.call("define_rule", { head: "open_task(X)", body: "task(X)" }),
        "Asserted: open_task(X) :- task(X)",
        "already known: open_task(A) :- task(A) was stored before; no duplicate was added",
      );
      assertOk(await mcp.call("query_logic", { goal: "open_task(T)" }), '[{"T":"a"}]');
    });
    await t.step("a fact stored by an assumption and then remembered survives the assumption", async () => {
      ok(!(await mcp.call("assume_fact", { fact: "healthy(api)", assumption: "api_ok" })).isError);
      const r = await mcp.call("remember_fact", { fact: "healthy(api)" });
      strictEqual(r.content.length, 2);
      ok(!(await mcp.call("retract_assumption", { assumption: "api_ok" })).isError);
      assertOk(await mcp.call("query_logic", { goal: "healthy(X)" }), '[{"X":"api"}]');
      // and after a restart
      await mcp.call("echo", { message: "x" });
    });
    await t.step("upstream's texts: echo and memory descriptions", async () => {
      const list = await mcp.request("tools/list", {});
      const tools = (list.result as {
        tools: {
          name: string;
          description: string;
          inputSchema: { properties: Record<string, { description: string }> };
        }[];
      }).tools;
      strictEqual(tools.find((x) => x.name === "echo")!.description, "Echo back the input message");
      const withMemory = tools.filter((x) => x.inputSchema.properties.memory);
      ok(withMemory.length > 10);
      for (const x of withMemory) {
        strictEqual(
          x.inputSchema.properties.memory.description,
          "Target memory segment (optional, defaults to default memory)",
          x.name,
        );
      }
    });
    await t.step("an undefined predicate fails with a warning block; upstream's [] holds", async () => {
      assertOk(
        await mcp.call("query_logic", { goal: "task(X), \\+ done(X)" }),
        '[{"X":"a"}]',
        "warning: done/1 has no clauses",
      );
      assertOk(
        await mcp.call("query_logic", { goal: "nothing_here(X)" }),
        "[]",
        "warning: nothing_here/1 has no clauses",
      );
      // A rule body calling an undefined predicate does not turn the answer into an error.
      await mcp.call("define_rule", { head: "todo(X)", body: "task(X), \\+ finished(X)" });
      assertOk(
        await mcp.call("query_logic", { goal: "todo(X)" }),
        '[{"X":"a"}]',
        "warning: finished/1 has no clauses",
      );
    });
    await t.step("error texts say what failed, where, and what to do", async () => {
      const cap = await mcp.call("remember_fact", { fact: "Parent(tom, bob)" });
      strictEqual(
        cap.content[0].text,
        "Failed to assert: Parent(tom, bob) (Syntax error: Operator expected (line 1, column 7); names of facts and predicates start with a lowercase letter (parent, not Parent), or quote the name ('Parent')\n  Parent(tom, bob)\n        ^)",
      );
      const q = await mcp.call("query_logic", { goal: "task(X) task(Y)" });
      strictEqual(
        q.content[0].text,
        "Query execution failed: Syntax error: Operator expected (line 1, column 9)\n  task(X) task(Y)\n          ^",
      );
      const sl = await mcp.call("query_logic", { goal: "sleep(1)" });
      strictEqual(
        sl.content[0].text,
        "Query execution failed: sleep/1 is not allowed: it only makes the engine wait, and every call runs under a deadline; leave waiting to the client",
      );
      assertOk(
        await mcp.call("verify_consistency", { scope: "billing" }),
        '{"violations":[]}',
        "note: integrity_violation_billing/1 is not defined, so nothing was checked; define it with define_rule (head integrity_violation_billing(X))",
      );
      await mcp.call("define_rule", { head: "integrity_violation_billing(X)", body: "task(X)" });
      assertOk(await mcp.call("verify_consistency", { scope: "billing" }), '{"violations":["a"]}');
      assertOk(await mcp.call("verify_consistency", {}), '{"violations":[]}');
    });
    await t.step("read-only and unmounted memories name the memory and the fix", async () => {
      const r = await mcp.call("remember_fact", { fact: "x(1)", memory: "nope" });
      strictEqual(
        r.content[0].text,
        "Memory not mounted: nope (mount it with mount_memory name=nope; list_memories shows every memory)",
      );
    });
  } finally {
    await mcp.close();
  }
  const again = await serve(dir);
  try {
    assertOk(await again.call("query_logic", { goal: "healthy(X)" }), '[{"X":"api"}]');
    assertOk(await again.call("query_logic", { goal: "task(X)" }), '[{"X":"a"}]');
  } finally {
    await again.close();
  }
});

Deno.test("fidelity/answers on the CLI: re-assert and warnings print as extra lines", async () => {
  const dir = await tempProject();
  const e = { cwd: dir, env: env(dir) };
  strictEqual((await runZpm(["remember-fact", "--fact", "task(a)"], e)).stdout, "Asserted: task(a)\n");
  strictEqual(
    (await runZpm(["remember-fact", "--fact", "task(a)"], e)).stdout,
    "Asserted: task(a)\nalready known: task(a) was stored before; no duplicate was added\n",
  );
  const q = await runZpm(["query-logic", "--goal", "task(X), \\+ done(X)"], e);
  strictEqual(q.stdout, '[{"X":"a"}]\nwarning: done/1 has no clauses\n');
  match((await runZpm(["query-logic", "--goal", "task(X)"], e)).stdout, /^\[\{"X":"a"\}\]\n$/);
});
