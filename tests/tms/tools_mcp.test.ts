/** The six TMS tools over MCP: listing, happy path, argument validation, errors that write nothing. */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { assertErr, assertOk, journal, json, transactions, view, withServer } from "./_helpers.ts";

const TMS_TOOLS = [
  "assume_fact",
  "retract_assumption",
  "get_belief_status",
  "get_justification",
  "list_assumptions",
  "retract_assumptions",
];
const BAD_NAMES = ["Baseline", "_x", "has-dash", "x),assert(evil(1))", "1bad", "has space", ""];

Deno.test("TMS tools over MCP", async (t) => {
  await withServer(async (mcp, dir) => {
    await t.step("tools/list: the TMS tools in upstream order with annotations and schemas", async () => {
      const r = await mcp.request("tools/list", {});
      // deno-lint-ignore no-explicit-any
      const tools = (r.result as any).tools as any[];
      const names = tools.map((t) => t.name);
      const at = names.indexOf("upsert_fact");
      deepStrictEqual(names.slice(at + 1, at + 8), [...TMS_TOOLS, "save_snapshot"]);
      const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
      const hints = (n: string) => {
        const a = byName[n].annotations;
        return [a.readOnlyHint, a.destructiveHint, a.idempotentHint];
      };
      deepStrictEqual(hints("assume_fact"), [false, false, true]);
      deepStrictEqual(hints("retract_assumption"), [false, true, true]);
      deepStrictEqual(hints("get_belief_status"), [true, false, true]);
      deepStrictEqual(hints("get_justification"), [true, false, true]);
      deepStrictEqual(hints("list_assumptions"), [true, false, true]);
      deepStrictEqual(hints("retract_assumptions"), [false, true, true]);
      const req = (n: string) => byName[n].inputSchema.required;
      deepStrictEqual(req("assume_fact"), ["fact", "assumption"]);
      deepStrictEqual(req("retract_assumption"), ["assumption"]);
      deepStrictEqual(req("get_belief_status"), ["fact"]);
      deepStrictEqual(req("get_justification"), ["assumption"]);
      deepStrictEqual(req("list_assumptions"), []);
      deepStrictEqual(req("retract_assumptions"), ["pattern"]);
      for (const n of TMS_TOOLS) {
        strictEqual(byName[n].inputSchema.properties.memory.type, "string", `${n} takes memory`);
      }
    });
    await t.step("happy path: assume, inspect, retract — texts and JSON shapes as upstream", async () => {
      assertOk(await mcp.call("list_assumptions", {}), "[]");
      assertOk(
        await mcp.call("assume_fact", { fact: "healthy(api)", assumption: "api_ok" }),
        "Assumed: healthy(api) under assumption 'api_ok'",
      );
      assertOk(
        await mcp.call("assume_fact", { fact: "healthy(db).", assumption: "db_ok" }),
        "Assumed: healthy(db) under assumption 'db_ok'",
      );
      assertOk(await mcp.call("list_assumptions"), '["api_ok","db_ok"]');
      assertOk(await mcp.call("get_justification", { assumption: "api_ok" }), '["healthy(api)"]');
      assertOk(await mcp.call("get_justification", { assumption: "unknown_one" }), "[]");
      deepStrictEqual(await json(mcp, "get_belief_status", { fact: "healthy(api)" }), {
        status: "in",
        justifications: ["api_ok"],
        source: "assumption",
        present: true,
      });
      // A pattern reports every matching link, as upstream.
      deepStrictEqual((await json(mcp, "get_belief_status", { fact: "healthy(X)" })).justifications, [
        "api_ok",
        "db_ok",
      ]);
      deepStrictEqual(await json(mcp, "get_belief_status", { fact: "healthy(cache)" }), {
        status: "out",
        justifications: [],
        source: "unknown",
        present: false,
      });
      assertOk(await mcp.call("query_logic", { goal: "healthy(X)" }), '[{"X":"api"},{"X":"db"}]');

      assertOk(
        await mcp.call("retract_assumption", { assumption: "api_ok" }),
        "Retracted assumption 'api_ok': 1 fact(s) removed",
      );
      assertOk(await mcp.call("query_logic", { goal: "healthy(X)" }), '[{"X":"db"}]');
      deepStrictEqual(await json(mcp, "get_belief_status", { fact: "healthy(api)" }), {
        status: "out",
        justifications: [],
        source: "unknown",
        present: false,
      });
      assertOk(
        await mcp.call("retract_assumptions", { pattern: "*_ok" }),
        "Retracted pattern '*_ok': 1 assumption(s) removed",
      );
      assertOk(await mcp.call("list_assumptions"), "[]");
      assertOk(await mcp.call("query_logic", { goal: "healthy(X)" }), "[]");
      assertOk(
        await mcp.call("retract_assumptions", { pattern: "*" }),
        "Retracted pattern '*': 0 assumption(s) removed",
      );
    });
    await t.step("invalid assumption names and patterns are InvalidArguments and write nothing", async () => {
      await mcp.call("assume_fact", { fact: "keep(1)", assumption: "keep" });
      const before = await journal(dir);
      ok(before.length > 0);
      const calls: [string, Record<string, unknown>][] = [];
      for (const bad of BAD_NAMES) {
        calls.push(["assume_fact", { fact: "evil(0)", assumption: bad }]);
        calls.push(["retract_assumption", { assumption: bad }]);
        calls.push(["get_justification", { assumption: bad }]);
      }
      for (const bad of ["Hyp*", "_*", "has-dash", "x),assert(evil(1))", "a b", "", "hyp.*", "[a]*"]) {
        calls.push(["retract_assumptions", { pattern: bad }]);
      }
      for (const [tool, args] of calls) {
        const r = await mcp.call(tool, args);
        strictEqual(r.isError, true, `${tool} ${JSON.stringify(args)}: ${JSON.stringify(r)}`);
        ok(
          r.content[0].text.startsWith("InvalidArguments"),
          `${tool} ${JSON.stringify(args)}: ${r.content[0].text}`,
        );
      }
      strictEqual(await journal(dir), before);
      assertOk(await mcp.call("query_logic", { goal: "evil(_)" }), "[]", "warning: evil/1 has no clauses");
      assertOk(await mcp.call("list_assumptions"), '["keep"]');
      await mcp.call("retract_assumption", { assumption: "keep" });
    });
    await t.step("missing, ill-typed and empty arguments", async () => {
      const before = await journal(dir);
      const invalid: [string, unknown][] = [
        ["assume_fact", {}],
        ["assume_fact", { fact: "p(1)" }],
        ["assume_fact", { assumption: "a" }],
        ["assume_fact", { fact: 1, assumption: "a" }],
        ["assume_fact", { fact: "p(1)", assumption: ["a"] }],
        ["assume_fact", undefined],
        ["retract_assumption", {}],
        ["retract_assumption", { assumption: null }],
        ["get_justification", {}],
        ["get_belief_status", {}],
        ["get_belief_status", { fact: 3 }],
        ["retract_assumptions", {}],
        ["retract_assumptions", { pattern: 7 }],
      ];
      for (const [tool, args] of invalid) {
        const r = await mcp.call(tool, args);
        strictEqual(r.isError, true, `${tool} ${JSON.stringify(args)}`);
        ok(
          r.content[0].text.startsWith("InvalidArguments"),
          `${tool} ${JSON.stringify(args)}: ${r.content[0].text}`,
        );
      }
      assertErr(
        await mcp.call("assume_fact", { fact: "", assumption: "a" }),
        "assume_fact: fact must not be empty",
      );
      assertErr(
        await mcp.call("assume_fact", { fact: "  \n", assumption: "a" }),
        "assume_fact: fact must not be empty",
      );
      assertErr(
        await mcp.call("get_belief_status", { fact: "" }),
        "get_belief_status: fact must not be empty",
      );
      // Unparsable input is a clear error, never injected into a goal (upstream spliced it into text).
      const inj = view(await mcp.call("get_belief_status", { fact: "x), halt, (y" }));
      strictEqual(inj.isError, true);
      ok(inj.texts[0].startsWith("get_belief_status: invalid fact:"), inj.texts[0]);
      const bad = view(await mcp.call("assume_fact", { fact: "p(1), q(2)", assumption: "a" }));
      strictEqual(bad.isError, true);
      ok(bad.texts[0].startsWith("assume_fact: failed to assert fact: p(1), q(2)"), bad.texts[0]);
      for (const fact of ["call(x)", "X", "42", "tms_justification(x, a)", "zpm_source(x, interactive)"]) {
        const r = view(await mcp.call("assume_fact", { fact, assumption: "a" }));
        strictEqual(r.isError, true, fact);
        ok(r.texts[0].startsWith(`assume_fact: failed to assert fact: ${fact}`), r.texts[0]);
      }
      strictEqual(await journal(dir), before);
      assertOk(await mcp.call("list_assumptions"), "[]");
    });
    await t.step(
      "rule syntax is rejected and writes nothing; ':-' inside a quoted atom is just text",
      async () => {
        const before = await journal(dir);
        for (
          const fact of [
            "a :- b",
            "p(X) :- q(X), r(X).",
            ":- dynamic(foo/1)",
            "greeting --> [hello]",
            "(h :- true)",
          ]
        ) {
          assertErr(
            await mcp.call("assume_fact", { fact, assumption: "a" }),
            "assume_fact: fact must not contain rule syntax",
          );
        }
        strictEqual(await journal(dir), before);
        assertOk(await mcp.call("list_assumptions"), "[]");
        assertOk(await mcp.call("query_logic", { goal: "current_predicate(greeting/2)" }), "[]");
        assertOk(
          await mcp.call("assume_fact", { fact: "note(':-')", assumption: "a" }),
          "Assumed: note(':-') under assumption 'a'",
        );
        // Rendered by SWI's writeq (which reads back the same term).
        assertOk(await mcp.call("get_justification", { assumption: "a" }), '["note(:-)"]');
        assertOk(await mcp.call("query_logic", { goal: "note(A), A == ':-'" }), '[{"A":":-"}]');
        await mcp.call("retract_assumption", { assumption: "a" });
      },
    );
    await t.step("unknown assumption: isError and the journal is unchanged byte for byte", async () => {
      const start = await journal(dir);
      assertErr(await mcp.call("retract_assumption", { assumption: "nope" }), "Unknown assumption 'nope'");
      strictEqual(await journal(dir), start);
      await mcp.call("remember_fact", { fact: "p(1)" });
      await mcp.call("assume_fact", { fact: "q(1)", assumption: "real" });
      const before = await journal(dir);
      assertErr(await mcp.call("retract_assumption", { assumption: "nope" }), "Unknown assumption 'nope'");
      assertErr(await mcp.call("retract_assumption", { assumption: "reaL" }), "Unknown assumption 'reaL'");
      assertOk(
        await mcp.call("retract_assumptions", { pattern: "no*" }),
        "Retracted pattern 'no*': 0 assumption(s) removed",
      );
      assertOk(await mcp.call("get_justification", { assumption: "nope" }), "[]");
      strictEqual(await journal(dir), before);
      // Retracting twice: the second time the assumption is unknown.
      assertOk(
        await mcp.call("retract_assumption", { assumption: "real" }),
        "Retracted assumption 'real': 1 fact(s) removed",
      );
      const after = await journal(dir);
      assertErr(await mcp.call("retract_assumption", { assumption: "real" }), "Unknown assumption 'real'");
      strictEqual(await journal(dir), after);
    });
    await t.step("every TMS mutation is exactly one journal transaction; a no-op writes none", async () => {
      const n = (await transactions(dir)).length;
      await mcp.call("assume_fact", { fact: "a(1)", assumption: "h1" });
      strictEqual((await transactions(dir)).length, n + 1);
      deepStrictEqual((await transactions(dir))[n].records, [
        { op: "assert", clause: "a(1)" },
        { op: "assert", clause: "zpm_source(a(1), assumption)" },
        { op: "assert", clause: "tms_justification(a(1), h1)" },
      ]);
      await mcp.call("assume_fact", { fact: "a(1)", assumption: "h1" }); // already there: no change
      strictEqual((await transactions(dir)).length, n + 1);
      await mcp.call("assume_fact", { fact: "a(2)", assumption: "h1" });
      await mcp.call("assume_fact", { fact: "a(3)", assumption: "h2" });
      strictEqual((await transactions(dir)).length, n + 3);
      assertOk(
        await mcp.call("retract_assumptions", { pattern: "h?" }),
        "Retracted pattern 'h?': 2 assumption(s) removed",
      );
      const txs = await transactions(dir);
      strictEqual(txs.length, n + 4);
      deepStrictEqual(txs[n + 3].records.filter((r) => r.op === "retractall").map((r) => r.clause), [
        "tms_justification(A, h1)",
        "tms_justification(A, h2)",
      ]);
      deepStrictEqual(
        txs[n + 3].records.filter((r) => r.op === "retract" && !r.clause.startsWith("zpm_source")).map((r) =>
          r.clause
        ),
        ["a(1)", "a(2)", "a(3)"],
      );
    });
    await t.step(
      "the memory argument routes every TMS tool to that memory's engine and journal",
      async () => {
        assertOk(await mcp.call("create_memory", { name: "notes" }), "Memory created: notes");
        assertOk(await mcp.call("mount_memory", { name: "notes" }), "Memory mounted: notes (rw)");
        const before = await journal(dir);
        assertOk(
          await mcp.call("assume_fact", { fact: "idea(x)", assumption: "n1", memory: "notes" }),
          "Assumed: idea(x) under assumption 'n1'",
        );
        strictEqual(await journal(dir), before); // the default memory's journal is untouched
        assertOk(await mcp.call("list_assumptions", { memory: "notes" }), '["n1"]');
        assertOk(await mcp.call("list_assumptions", {}), "[]");
        assertOk(await mcp.call("get_justification", { assumption: "n1", memory: "notes" }), '["idea(x)"]');
        strictEqual(
          (await json(mcp, "get_belief_status", { fact: "idea(x)", memory: "notes" })).status,
          "in",
        );
        strictEqual((await json(mcp, "get_belief_status", { fact: "idea(x)" })).status, "out");
        assertErr(await mcp.call("retract_assumption", { assumption: "n1" }), "Unknown assumption 'n1'");
        assertOk(
          await mcp.call("retract_assumptions", { pattern: "n*", memory: "notes" }),
          "Retracted pattern 'n*': 1 assumption(s) removed",
        );
        assertOk(await mcp.call("list_assumptions", { memory: "notes" }), "[]");
        assertErr(
          await mcp.call("assume_fact", { fact: "idea(y)", assumption: "n1", memory: "absent" }),
          "Memory not mounted: absent (mount it with mount_memory name=absent; list_memories shows every memory)",
        );
      },
    );
  });
});
