/**
 * Goals built at run time that name another module (`X = system:halt, call(X)`) pass the checker,
 * which accepts variable goals. The engine refuses the dangerous built-ins they reach anyway (the
 * run-time guard in sandbox.pl): each form below gets a clear error and changes nothing — prolog
 * flags, the operator table, global variables and how later facts are parsed stay as they were —
 * and the server keeps serving. Legitimate goals (user:G, library predicates, undefined ones) work.
 */
import { match, ok, strictEqual } from "node:assert/strict";
import { McpClient } from "../helpers/zpm.ts";
import { makeSandbox } from "./harness.ts";

/** Code list of `text` as Prolog source, so the goal holds no module name literally. */
const codes = (text: string) => `[${[...text].map((c) => c.charCodeAt(0)).join(",")}]`;

const REFUSED = /is not allowed/;

/** Query goals that reach a system predicate at run time, and what the refusal names. */
const ESCAPES: [string, RegExp][] = [
  ["X = system:set_prolog_flag(double_quotes, atom), call(X)", /set_prolog_flag\/2 is not allowed/],
  ["atom_codes(C, [58]), G =.. [C, system, halt], call(G)", /halt\/0 is not allowed/],
  [
    `atom_codes(M, ${codes("system")}), G =.. [:, M, set_prolog_flag(unknown, error)], G`,
    /set_prolog_flag\/2 is not allowed/,
  ],
  ["X = system:nb_setval(k, v), X", /nb_setval\/2 is not allowed/],
  ["G = system:set_prolog_flag(double_quotes), call(G, codes)", /set_prolog_flag\/2 is not allowed/],
  ["findall(x, (X = system:op(700, xfx, ===>), X), L)", /op\/3 is not allowed/],
  ["forall(member(F, [atom]), (G = system:set_prolog_flag(double_quotes, F), G))", REFUSED],
  ["\\+ (G = system:op(200, xfy, ===>), G)", /op\/3 is not allowed/],
  ["setup_call_cleanup(true, member(X, [1, 2]), (G = system:set_prolog_flag(unknown, error), G))", REFUSED],
  ['G = js_run_script("globalThis.zpmEscaped = 1"), call(G)', /js_run_script\/1 is not allowed/],
  ["X = wasm:(Y := 1), call(X)", REFUSED],
  ["X = zpm:setup, X", REFUSED],
  ["G = '$wrapped_implementation'(system:op(_, _, _), zpm_guard, C), call(G)", REFUSED],
  ["X = system:open('/x', write, S), X", /open\/3 is not allowed/],
  // print_message/2 is imported into system; its format ~@ would call the goal beneath SWI's own frames.
  [
    'G = print_message(error, format("~@", [system:op(700, xfx, ===>)])), G',
    /print_message\/2 is not allowed/,
  ],
  ["G = flag(k, _, 1), call(G)", /flag\/3 is not allowed/],
  [
    'G = print_message(warning, error(existence_error(procedure, f/1), context(x, format("~@", [system:op(700, xfx, ===>)])))), G',
    /print_message\/2 is not allowed/,
  ],
];

Deno.test("hostile: module-qualified goals built at run time are refused and change nothing", async (t) => {
  const sb = await makeSandbox("zpm-rtescape-");
  const mcp = await McpClient.start({ cwd: sb.project, env: sb.env, args: ["--timeout-ms", "5000"] });
  const text = async (tool: string, args: Record<string, unknown>) => {
    const r = await mcp.call(tool, args);
    return { isError: r.isError, text: r.content.map((c) => c.text).join("\n") };
  };
  const query = (goal: string) => text("query_logic", { goal });
  // Engine state a successful escape would change, as answers of ordinary queries.
  const state = async () =>
    [
      await query("note(X)"),
      await query("current_prolog_flag(double_quotes, F)"),
      await query("current_prolog_flag(unknown, F)"),
      await query("current_op(P, T, ===>)"),
      await query("nb_current(k, V)"),
      await query("undefined_thing(X)"),
    ].map((a) => a.text).join("\n");
  try {
    strictEqual((await text("remember_fact", { fact: 'note("hello world")' })).isError, false);
    const before = await state();
    match(before, /"X":"hello world"/);

    await t.step("each form in query_logic is refused with a clear error", async () => {
      for (const [goal, re] of ESCAPES) {
        const r = await query(goal);
        strictEqual(r.isError, true, `${goal} => ${r.text}`);
        match(r.text, re, goal);
        match(r.text, /zpm queries and rules must not/, goal);
      }
    });

    await t.step("catch/3 sees the refusal as a permission error; nothing ran", async () => {
      const r = await query("catch((X = system:nb_setval(k, v), X), error(E, _), true)");
      strictEqual(r.isError, false, r.text);
      match(r.text, /permission_error/);
    });

    await t.step("stored rules that build the goal are stored, and refused when run", async () => {
      const rules: [string, string][] = [
        ["esc1", "X = system:nb_setval(k, v), X"],
        ["esc2", "atom_codes(C, [58]), G =.. [C, system, set_prolog_flag(double_quotes, atom)], call(G)"],
        ["esc3(L)", "findall(x, (G = system:op(700, xfx, ===>), G), L)"],
        ["esc4", "catch((G = system:halt, G), E, (E = error(permission_error(_, _, _), _), fail))"],
      ];
      for (const [head, body] of rules) {
        strictEqual((await text("define_rule", { head, body })).isError, false, head);
      }
      for (const goal of ["esc1", "esc2", "esc3(L)"]) {
        const r = await query(goal);
        strictEqual(r.isError, true, `${goal} => ${r.text}`);
        match(r.text, REFUSED, goal);
      }
      // The rule catches the refusal and fails: halt never ran, the engine still answers.
      strictEqual((await query("esc4")).text.startsWith("[]"), true);
      const why = await text("explain_why", { fact: "esc1" });
      ok(why.isError || /"proven":\s*false/.test(why.text), why.text);
    });

    await t.step(
      "a user hook on an attributed variable left in the answer does not run outside the guard",
      async () => {
        const rule = { head: "attr_unify_hook(V, O)", body: "G = system:op(200, xfx, ===>), G" };
        strictEqual((await text("define_rule", rule)).isError, false);
        // The answer's X carries the attribute; rendering it must not bind it and run the hook.
        await query("G = put_attr(X, user, v), call(G)");
        match((await query("current_op(P, T, ===>)")).text, /^\[\]/);
        strictEqual(
          (await text("forget_fact", { fact: "attr_unify_hook(V, O) :- G = system:op(200, xfx, ===>), G" }))
            .isError,
          false,
        );
      },
    );

    await t.step(
      "hooks asserted at run time do not run unguarded beneath SWI-Prolog's own code",
      async () => {
        for (
          const goal of [
            "X = system:assertz(user:(exception(undefined_predicate, _, fail) :- " +
            "(G = system:set_prolog_flag(double_quotes, atom), G))), X, nosuch",
            "X = system:assertz(user:(exception(undefined_predicate, _, fail) :- " +
            "system:set_prolog_flag(double_quotes, atom))), X, nosuch",
            "X = system:assertz((prolog:message(_) --> {G = system:op(700, xfx, ===>), G})), X, nosuch",
          ]
        ) {
          await query(goal);
          match(
            (await query("current_prolog_flag(double_quotes, F)")).text,
            /"F":"codes"|"F":"string"/,
            goal,
          );
          match((await query("current_op(P, T, ===>)")).text, /^\[\]/, goal);
        }
      },
    );

    await t.step("after the attempts the engine state and later parsing are unchanged", async () => {
      strictEqual(await state(), before);
      strictEqual((await text("remember_fact", { fact: 'note("second one")' })).isError, false);
      match((await query("note(X)")).text, /"X":"second one"/);
      strictEqual((await query("note(X), string(X)")).text.includes("second one"), true);
    });

    await t.step("legitimate goals still work", async () => {
      match((await query("user:member(X, [1])")).text, /^\[\{"X":1\}\]/);
      match((await query("aggregate_all(count, member(_, [a, b]), N)")).text, /"N":2/);
      match((await query("sum_list([1, 2], S), last([a, b], L)")).text, /"S":3,"L":"b"/);
      match((await query("G = member(X, [a]), call(G)")).text, /"X":"a"/);
      const u = await query("nothing_here(X)");
      strictEqual(u.isError, false);
      match(u.text, /nothing_here\/1/);
      // An undefined predicate reached from a stored rule: SWI's warning path (flags, globals) still works.
      strictEqual(
        (await text("define_rule", { head: "uses_missing(X)", body: "missing_pred(X)" })).isError,
        false,
      );
      const m = await query("uses_missing(X)");
      strictEqual(m.isError, false, m.text);
      match(m.text, /missing_pred\/1/);
      strictEqual((await text("echo", { message: "alive" })).text, "alive");
    });
  } finally {
    await mcp.close();
    await Deno.remove(sb.root, { recursive: true }).catch(() => {});
  }
});
