/** Term-level truth maintenance: exact facts, one copy, multi-support, independent assertions. */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { assertOk, count, json, query, withServer } from "./_helpers.ts";

Deno.test("truth maintenance semantics (one server, one step per case)", async (t) => {
  await withServer(async (mcp) => {
    await t.step(
      "retract_assumptions: glob matching (* and ?), whole-name, case-sensitive, linear time",
      async () => {
        const names = [
          "hyp_1",
          "hyp_2",
          "hyp_",
          "hyp",
          "Xhyp_3".toLowerCase(),
          "session1_a",
          "session12_b",
          "other",
        ];
        for (const [i, a] of names.entries()) {
          await mcp.call("assume_fact", { fact: `g(${i})`, assumption: a });
        }
        assertOk(
          await mcp.call("retract_assumptions", { pattern: "hyp_*" }),
          "Retracted pattern 'hyp_*': 3 assumption(s) removed",
        );
        assertOk(
          await mcp.call("retract_assumptions", { pattern: "session?_*" }),
          "Retracted pattern 'session?_*': 1 assumption(s) removed",
        );
        assertOk(
          await mcp.call("retract_assumptions", { pattern: "h?p" }),
          "Retracted pattern 'h?p': 1 assumption(s) removed",
        );
        assertOk(await mcp.call("list_assumptions"), '["xhyp_3","session12_b","other"]');
        strictEqual(await count(mcp, "g(_)"), 3);
        // A pattern that makes a backtracking matcher explode.
        const long = "a".repeat(200);
        await mcp.call("assume_fact", { fact: "g(long)", assumption: long });
        const t0 = performance.now();
        assertOk(
          await mcp.call("retract_assumptions", { pattern: "*a".repeat(30) + "*b" }),
          `Retracted pattern '${"*a".repeat(30)}*b': 0 assumption(s) removed`,
        );
        ok(performance.now() - t0 < 2000, `glob took ${performance.now() - t0} ms`);
        assertOk(
          await mcp.call("retract_assumptions", { pattern: "*a".repeat(30) + "*" }),
          `Retracted pattern '${"*a".repeat(30)}*': 1 assumption(s) removed`,
        );
        assertOk(
          await mcp.call("retract_assumptions", { pattern: "*" }),
          "Retracted pattern '*': 3 assumption(s) removed",
        );
        strictEqual(await count(mcp, "g(_)"), 0);
      },
    );
    await t.step(
      "owner('Alice') is assumed and retracted exactly; other owner/1 facts are untouched",
      async () => {
        for (const f of ["owner(bob)", "owner('Bob')", "owner(_)", "owner('alice')", 'owner("Alice")']) {
          await mcp.call("remember_fact", { fact: f });
        }
        assertOk(
          await mcp.call("assume_fact", { fact: "owner('Alice')", assumption: "guess" }),
          "Assumed: owner('Alice') under assumption 'guess'",
        );
        // owner(_) unifies with owner('Alice') but is a different fact: the assumption stored its own copy.
        strictEqual(await count(mcp, "clause(owner(X), true), X == 'Alice'"), 1);
        assertOk(await mcp.call("get_justification", { assumption: "guess" }), `["owner('Alice')"]`);
        deepStrictEqual((await json(mcp, "get_belief_status", { fact: "owner('Alice')" })).status, "in");
        deepStrictEqual((await json(mcp, "get_belief_status", { fact: "owner(bob)" })).status, "out");
        assertOk(
          await mcp.call("retract_assumption", { assumption: "guess" }),
          "Retracted assumption 'guess': 1 fact(s) removed",
        );
        const left = await query(
          mcp,
          "clause(owner(X), true), (var(X) -> T = var ; format(atom(T), '~q', [X]))",
        );
        deepStrictEqual(left.map((s) => s.T), ["bob", "'Bob'", "var", "alice", '"Alice"']);
        deepStrictEqual(await json(mcp, "get_belief_status", { fact: "owner('Alice')" }), {
          status: "out",
          justifications: [],
          source: "interactive", // owner(_) unifies and was remembered
          present: true, // owner(_) is stored and covers owner('Alice')
        });
        strictEqual(await count(mcp, "tms_justification(owner(_), _)"), 0);
        strictEqual(await count(mcp, "zpm_source(owner(_), assumption)"), 0);
      },
    );
    await t.step(
      "quoted atoms, strings, numbers, nested lists, operators and unicode round-trip exactly",
      async () => {
        // fact as given → how get_justification renders it (writeq, reads back as the same term)
        const cases: [string, string][] = [
          ["note('it''s')", "note('it\\'s')"],
          ['msg("say \\"hi\\"")', 'msg("say \\"hi\\"")'],
          ["path('C:\\\\dir\\\\x')", "path('C:\\\\dir\\\\x')"],
          ["tree([a, [b, [c, 'D']], \"s\", []])", "tree([a, [b, [c, 'D']], \"s\", []])"],
          ["expr(1+2*3, -(a), a- -1, - 1, -(1))", "expr(1+2*3, -a, a- -1, - 1, - 1)"], // -(1) is not -1
          ["num(0.1, -7, 123456789012345678901234567890)", "num(0.1, -7, 123456789012345678901234567890)"],
          ["u('héllo ✓ 日本', \"ü\")", "u('héllo ✓ 日本', \"ü\")"],
          ["ctl('tab\\there', 'nl\\n')", "ctl('tab\\there', 'nl\\n')"],
          ["pair(X, X, _Y)", "pair(A, A, B)"],
        ];
        for (const [fact] of cases) {
          const r = await mcp.call("assume_fact", { fact, assumption: "t" });
          strictEqual(r.isError, false, `${fact}: ${r.content[0].text}`);
        }
        const shown: string[] = await json(mcp, "get_justification", { assumption: "t" });
        deepStrictEqual(
          shown,
          cases.map(([, s]) => s),
        );
        // Each rendered text denotes the stored fact (variant check inside Prolog).
        for (const s of shown) {
          strictEqual(
            await count(
              mcp,
              `term_string(T, ${JSON.stringify(s)}), copy_term(T, C), clause(C, true), C =@= T`,
            ),
            1,
            s,
          );
        }
        assertOk(
          await mcp.call("retract_assumption", { assumption: "t" }),
          `Retracted assumption 't': ${cases.length} fact(s) removed`,
        );
        for (
          const p of ["note/1", "msg/1", "path/1", "tree/1", "expr/5", "num/3", "u/2", "ctl/2", "pair/3"]
        ) {
          const [n, a] = p.split("/");
          strictEqual(await count(mcp, `functor(H, ${n}, ${a}), clause(H, _)`), 0, p);
        }
        strictEqual(
          await count(
            mcp,
            "zpm_source(F, _), functor(F, N, _), memberchk(N, [note, msg, path, tree, expr, num, u, ctl, pair])",
          ),
          0,
        );
      },
    );
    await t.step(
      "JSON output stays valid with quotes, backslashes, control characters and unicode",
      async () => {
        const fact = `weird('q"uo\\\\te', "line\\nbreak\\u0001", 'é\\u00e9😀')`;
        const r = await mcp.call("assume_fact", { fact, assumption: "w" });
        strictEqual(r.isError, false, r.content[0].text);
        const text = (await mcp.call("get_justification", { assumption: "w" })).content[0].text;
        const parsed = JSON.parse(text);
        strictEqual(parsed.length, 1);
        // The rendered term reads back as the stored fact.
        strictEqual(
          await count(
            mcp,
            `term_string(T, ${
              JSON.stringify(parsed[0])
            }), T = weird(A, B, C), A == 'q"uo\\\\te', string(B), sub_atom(C, _, _, 0, '😀')`,
          ),
          1,
        );
        const belief = await json(mcp, "get_belief_status", { fact });
        deepStrictEqual(belief, { status: "in", justifications: ["w"], source: "assumption", present: true });
        await mcp.call("retract_assumption", { assumption: "w" });
      },
    );
    await t.step(
      "one copy, one link: the same pair twice, and the same fact under two assumptions",
      async () => {
        for (let i = 0; i < 3; i++) {
          assertOk(
            await mcp.call("assume_fact", { fact: "dup(x)", assumption: "d1" }),
            "Assumed: dup(x) under assumption 'd1'",
          );
        }
        strictEqual(await count(mcp, "clause(dup(x), true)"), 1);
        strictEqual(await count(mcp, "tms_justification(dup(x), _)"), 1);
        await mcp.call("assume_fact", { fact: "dup(x)", assumption: "d2" });
        strictEqual(await count(mcp, "clause(dup(x), true)"), 1);
        deepStrictEqual(
          (await query(mcp, "tms_justification(dup(x), A)")).map((s) => s.A),
          ["d1", "d2"],
        );
        strictEqual(await count(mcp, "zpm_source(dup(x), _)"), 1);
        await mcp.call("retract_assumptions", { pattern: "d?" });
        strictEqual(await count(mcp, "dup(_)"), 0);
      },
    );
    await t.step("multi-support: survives retracting a1, removed by retracting a2", async () => {
      await mcp.call("assume_fact", { fact: "shared(1)", assumption: "a1" });
      await mcp.call("assume_fact", { fact: "shared(1)", assumption: "a2" });
      await mcp.call("assume_fact", { fact: "only1(1)", assumption: "a1" });
      assertOk(
        await mcp.call("retract_assumption", { assumption: "a1" }),
        "Retracted assumption 'a1': 1 fact(s) removed",
      );
      strictEqual(await count(mcp, "shared(1)"), 1);
      strictEqual(await count(mcp, "only1(_)"), 0);
      deepStrictEqual(await json(mcp, "get_belief_status", { fact: "shared(1)" }), {
        status: "in",
        justifications: ["a2"],
        source: "assumption",
        present: true,
      });
      const names: string[] = await json(mcp, "list_assumptions");
      ok(names.includes("a2") && !names.includes("a1"), JSON.stringify(names));
      assertOk(
        await mcp.call("retract_assumption", { assumption: "a2" }),
        "Retracted assumption 'a2': 1 fact(s) removed",
      );
      strictEqual(await count(mcp, "shared(_)"), 0);
      strictEqual(await count(mcp, "zpm_source(shared(_), _)"), 0);
    });
    await t.step("a fact also asserted on its own survives every retraction", async () => {
      // remembered first, then assumed twice
      await mcp.call("remember_fact", { fact: "status(api, up)" });
      await mcp.call("assume_fact", { fact: "status(api, up)", assumption: "r1" });
      await mcp.call("assume_fact", { fact: "status(api, up)", assumption: "r2" });
      strictEqual(await count(mcp, "clause(status(api, up), true)"), 1); // no second copy
      // assumed first, then remembered
      await mcp.call("assume_fact", { fact: "status(db, up)", assumption: "r1" });
      await mcp.call("remember_fact", { fact: "status(db, up)" });
      // a rule is also asserted on its own
      await mcp.call("define_rule", { head: "derived(X)", body: "status(X, up)" });
      assertOk(
        await mcp.call("retract_assumption", { assumption: "r1" }),
        "Retracted assumption 'r1': 0 fact(s) removed",
      );
      assertOk(
        await mcp.call("retract_assumption", { assumption: "r2" }),
        "Retracted assumption 'r2': 0 fact(s) removed",
      );
      strictEqual(await count(mcp, "clause(status(api, up), true)"), 1);
      strictEqual(await count(mcp, "clause(status(db, up), true)"), 1); // the assumption's own copy went
      deepStrictEqual(await json(mcp, "get_belief_status", { fact: "status(api, up)" }), {
        status: "out",
        justifications: [],
        source: "interactive",
        present: true,
      });
      assertOk(await mcp.call("query_logic", { goal: "derived(X)" }), '[{"X":"api"},{"X":"db"}]');
      strictEqual(await count(mcp, "zpm_source(status(_, _), assumption)"), 0);
      strictEqual(await count(mcp, "tms_justification(status(_, _), _)"), 0);
    });
    await t.step(
      "a fact stored without provenance (update_fact, upsert_fact) is asserted on its own too",
      async () => {
        await mcp.call("remember_fact", { fact: "ver(old)" });
        await mcp.call("update_fact", { old_fact: "ver(old)", new_fact: "ver(new)" });
        await mcp.call("upsert_fact", { fact: "deploy(prod, v2)" });
        await mcp.call("assume_fact", { fact: "ver(new)", assumption: "uh" });
        await mcp.call("assume_fact", { fact: "deploy(prod, v2)", assumption: "uh" });
        assertOk(
          await mcp.call("retract_assumption", { assumption: "uh" }),
          "Retracted assumption 'uh': 0 fact(s) removed",
        );
        strictEqual(await count(mcp, "ver(new)"), 1);
        strictEqual(await count(mcp, "deploy(prod, v2)"), 1);
      },
    );
    await t.step(
      "forget_fact, clear_context, update_fact and upsert_fact leave no dangling TMS records",
      async () => {
        const facts = ["f1(a)", "c1(x, 1)", "c1(y, 2)", "u1(old)", "s1(k, 1)", "keep(me)"];
        for (const fact of facts) await mcp.call("assume_fact", { fact, assumption: "fh" });
        await mcp.call("assume_fact", { fact: "c1(x, 1)", assumption: "fh2" });
        assertOk(await mcp.call("forget_fact", { fact: "f1(a)" }), "Retracted: f1(a)");
        assertOk(await mcp.call("clear_context", { category: "c1(_, _)" }), "Cleared: c1(_, _)");
        assertOk(
          await mcp.call("update_fact", { old_fact: "u1(old)", new_fact: "u1(new)" }),
          "Updated: u1(new)",
        );
        assertOk(await mcp.call("upsert_fact", { fact: "s1(k, 2)" }), "Upserted: s1(k, 2)");
        for (const gone of ["f1(a)", "c1(x, 1)", "c1(y, 2)", "u1(old)", "s1(k, 1)"]) {
          strictEqual(await count(mcp, `tms_justification(${gone}, _)`), 0, gone);
          strictEqual(await count(mcp, `zpm_source(${gone}, _)`), 0, gone);
          deepStrictEqual(await json(mcp, "get_belief_status", { fact: gone }), {
            status: "out",
            justifications: [],
            source: "unknown",
            present: false,
          });
        }
        assertOk(await mcp.call("get_justification", { assumption: "fh" }), '["keep(me)"]');
        const names: string[] = await json(mcp, "list_assumptions");
        ok(names.includes("fh") && !names.includes("fh2"), JSON.stringify(names));
        assertOk(
          await mcp.call("retract_assumption", { assumption: "fh" }),
          "Retracted assumption 'fh': 1 fact(s) removed",
        );
        strictEqual(await count(mcp, "zpm_source(keep(_), _)"), 0);
        strictEqual(await count(mcp, "u1(new)"), 1);
        strictEqual(await count(mcp, "s1(k, 2)"), 1);
      },
    );
    await t.step("get_belief_status is in only while the fact is stored and justified", async () => {
      await mcp.call("assume_fact", { fact: "up(api)", assumption: "bh" });
      strictEqual((await json(mcp, "get_belief_status", { fact: "up(api)" })).status, "in");
      strictEqual((await json(mcp, "get_belief_status", { fact: "up(api)." })).status, "in");
      // Issue 11: remembering a stored fact adds no second copy, only its interactive source.
      await mcp.call("remember_fact", { fact: "up(api)" });
      deepStrictEqual(await json(mcp, "get_belief_status", { fact: "up(api)" }), {
        status: "in",
        justifications: ["bh"],
        source: "interactive",
        present: true,
      });
      await mcp.call("forget_fact", { fact: "up(api)" }); // the only copy: gone
      deepStrictEqual(await json(mcp, "get_belief_status", { fact: "up(api)" }), {
        status: "out",
        justifications: [],
        source: "unknown",
        present: false,
      });
      // A rule-derived fact is not stored: present false.
      await mcp.call("define_rule", { head: "ok(X)", body: "up(X)" });
      await mcp.call("remember_fact", { fact: "up(db)" });
      strictEqual((await json(mcp, "get_belief_status", { fact: "ok(db)" })).present, false);
    });
  });
});
