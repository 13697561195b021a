/**
 * Issue 11, names: any name and arity holds facts and rules, also names of SWI-Prolog system and
 * library predicates (then the user's inside that memory, through every tool and a restart); only
 * control constructs, zpm's bookkeeping and SWI's hooks are reserved; the real dangerous built-ins
 * stay unreachable although the user has predicates of the same name.
 */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { runZpm, tempProject } from "../helpers/zpm.ts";
import { assertOk, env, serve } from "../e2e/_helpers.ts";

const NAMES: Record<number, string[]> = {
  1: [
    "date",
    "time",
    "version",
    "debug",
    "trace",
    "explain",
    "record",
    "random",
    "sleep",
    "edit",
    "license",
    "module",
    "table",
    "persistent",
    "volatile",
    "string",
    "atom",
    "number",
    "read",
    "get",
    "put",
    "close",
    "format",
    "print",
    "write",
    "append",
    "once",
    "ignore",
    "statistics",
    "exists_file",
    "consult",
    "listing",
    "assert",
    "retract",
    "erase",
    "halt",
    "shell",
    "var",
    "nonvar",
    "integer",
    "callable",
    "is_list",
    "ground",
    "tab",
    "nl",
    "writeln",
    "get_time",
    "delete_file",
    "see",
    "tell",
    "assertz",
    "retractall",
    "abolish",
    "dynamic",
    "discontiguous",
    "initialization",
    "ensure_loaded",
    "use_module",
    "writeq",
    "succ_or_zero",
  ],
  2: [
    "format",
    "member",
    "length",
    "sort",
    "msort",
    "last",
    "reverse",
    "sum_list",
    "max_list",
    "atom_length",
    "atom_codes",
    "atom_chars",
    "char_code",
    "atom_number",
    "atomic_list_concat",
    "term_to_atom",
    "copy_term",
    "nb_getval",
    "succ",
    "string_chars",
    "keysort",
    "list_to_set",
    "flatten",
    "permutation",
    "memberchk",
    "getenv",
    "setenv",
    "working_directory",
    "print_message",
    "recorda",
    "nb_setval",
    "b_setval",
    "set_prolog_flag",
    "load_files",
    "is",
    "forall",
    "tab",
    "write",
  ],
  3: [
    "open",
    "append",
    "format",
    "nth0",
    "nth1",
    "select",
    "delete",
    "exclude",
    "subtract",
    "union",
    "between",
    "plus",
    "functor",
    "arg",
    "atomic_list_concat",
    "findall",
    "maplist",
    "op",
    "flag",
    "recordz",
    "setof",
    "bagof",
    "aggregate_all",
    "string_concat",
  ],
};
const TABLE: [string, number][] = Object.entries(NAMES).flatMap(([a, ns]) =>
  ns.map((n): [string, number] => [n, Number(a)])
);
const VARS = ["A", "B", "C"];

function term(name: string, arity: number, value: string): string {
  return `${name}(${Array(arity).fill(value).join(", ")})`;
}
function goal(name: string, arity: number): string {
  return `${name}(${VARS.slice(0, arity).join(", ")})`;
}
function answer(arity: number, ...values: string[]): string {
  return JSON.stringify(values.map((v) => Object.fromEntries(VARS.slice(0, arity).map((x) => [x, v]))));
}

Deno.test("fidelity/names: system and library names are ordinary user predicates in a memory", async (t) => {
  ok(TABLE.length >= 80, `${TABLE.length} names`);
  const dir = await tempProject();
  let mcp = await serve(dir);
  try {
    await t.step("remember, query, update, forget", async () => {
      for (const [n, a] of TABLE) {
        for (const v of ["a", "b"]) {
          assertOk(await mcp.call("remember_fact", { fact: term(n, a, v) }), `Asserted: ${term(n, a, v)}`);
        }
        assertOk(await mcp.call("query_logic", { goal: goal(n, a) }), answer(a, "a", "b"));
        assertOk(
          await mcp.call("update_fact", { old_fact: term(n, a, "b"), new_fact: term(n, a, "c") }),
          `Updated: ${term(n, a, "c")}`,
        );
        assertOk(await mcp.call("forget_fact", { fact: term(n, a, "a") }), `Retracted: ${term(n, a, "a")}`);
        assertOk(await mcp.call("query_logic", { goal: goal(n, a) }), answer(a, "c"));
      }
    });
    await t.step("a rule may call them and explain_why follows them", async () => {
      assertOk(
        await mcp.call("define_rule", { head: "dated(X)", body: "date(X), shell(X), halt(X)" }),
        "Asserted: dated(X) :- date(X), shell(X), halt(X)",
      );
      assertOk(await mcp.call("query_logic", { goal: "dated(X)" }), '[{"X":"c"}]');
      const proof = JSON.parse((await mcp.call("explain_why", { fact: "dated(c)" })).content[0].text);
      deepStrictEqual(proof.children.map((k: { goal: string; proven: boolean }) => [k.goal, k.proven]), [
        ["date(c)", true],
        ["shell(c)", true],
        ["halt(c)", true],
      ]);
    });
    await t.step("snapshot and restore", async () => {
      ok(!(await mcp.call("save_snapshot", { name: "names" })).isError);
      for (const [n, a] of TABLE) await mcp.call("remember_fact", { fact: term(n, a, "z") });
      assertOk(await mcp.call("query_logic", { goal: goal("date", 1) }), answer(1, "c", "z"));
      ok(!(await mcp.call("restore_snapshot", { name: "names" })).isError);
      for (const [n, a] of TABLE) {
        assertOk(await mcp.call("query_logic", { goal: goal(n, a) }), answer(a, "c"));
      }
    });
    await t.step("rename to and from such names", async () => {
      await mcp.call("remember_fact", { fact: "task_state(t1)" });
      const clash = await mcp.call("rename_predicate", { old_functor: "task_state", new_functor: "record" });
      strictEqual(clash.isError, true);
      match(clash.content[0].text, /collision/);
      const r = JSON.parse(
        await mcp.text("rename_predicate", { old_functor: "task_state", new_functor: "flush_output" }),
      );
      strictEqual(r.renamed_facts, 1);
      assertOk(await mcp.call("query_logic", { goal: "flush_output(X)" }), '[{"X":"t1"}]');
      const back = JSON.parse(
        await mcp.text("rename_predicate", { old_functor: "flush_output", new_functor: "nap" }),
      );
      strictEqual(back.renamed_facts, 1);
      assertOk(await mcp.call("query_logic", { goal: "nap(X)" }), '[{"X":"t1"}]');
      await mcp.call("rename_predicate", { old_functor: "nap", new_functor: "flush_output" });
      await mcp.call("forget_fact", { fact: "sleep(t1)" });
    });
    await t.step("all of it survives a restart (and the CLI sees the same)", async () => {
      await mcp.close();
      mcp = await serve(dir);
      for (const [n, a] of TABLE) {
        assertOk(await mcp.call("query_logic", { goal: goal(n, a) }), answer(a, "c"));
      }
      assertOk(await mcp.call("query_logic", { goal: "dated(X)" }), '[{"X":"c"}]');
      const cli = await runZpm(["query-logic", "--goal", "format(A, B, C)"], { cwd: dir, env: env(dir) });
      strictEqual(cli.stdout.trim(), answer(3, "c"));
    });
  } finally {
    await mcp.close();
  }
});

const RESERVED: [string, string][] = [
  ["call(x)", "call/1"],
  ["call(x, y, z)", "call/3"],
  ["call(a, b, c, d, e, f, g, h)", "call/8"],
  ["true", "true/0"],
  ["fail", "fail/0"],
  ["false", "false/0"],
  ["!", "!/0"],
  ["','(a, b)", "(',')/2"],
  ["';'(a, b)", "(;)/2"],
  ["'->'(a, b)", "(->)/2"],
  ["'*->'(a, b)", "(*->)/2"],
  ["\\+ a", "(\\+)/1"],
  ["zpm_source(a, b)", "zpm_source/2"],
  ["tms_justification(a, b)", "tms_justification/2"],
  ["portray(a)", "portray/1"],
  ["message_hook(a, b, c)", "message_hook/3"],
  ["term_expansion(a, b)", "term_expansion/2"],
  ["goal_expansion(a, b)", "goal_expansion/2"],
  ["exception(a, b, c)", "exception/3"],
  ["file_search_path(a, b)", "file_search_path/2"],
];

Deno.test("fidelity/names: reserved names get the documented error and change nothing", async () => {
  const dir = await tempProject();
  const mcp = await serve(dir);
  try {
    for (const [fact, pi] of RESERVED) {
      const r = await mcp.call("remember_fact", { fact });
      strictEqual(r.isError, true, fact);
      const text = r.content[0].text;
      ok(text.includes(`(${pi} is reserved (`), `${fact}: ${text}`);
      match(text, /and cannot hold facts or rules; use another name\. Reserved: the control constructs/);
      match(text, /zpm's bookkeeping zpm_source\/2 and tms_justification\/2; SWI-Prolog's hooks \[/);
    }
    const d = await mcp.call("define_rule", { head: "call(x)", body: "true" });
    match(d.content[0].text, /call\/1 is reserved \(it is a control construct of Prolog\)/);
    const schema = JSON.parse(await mcp.text("get_knowledge_schema", {}));
    deepStrictEqual(schema.predicates, []);
  } finally {
    await mcp.close();
  }
});

Deno.test("fidelity/names: with user predicates named shell, open, halt, consult, assert the real ones stay unreachable", async () => {
  const dir = await tempProject();
  const mcp = await serve(dir);
  const marker = `${dir}/pwned`;
  try {
    for (
      const fact of [
        `shell('touch ${marker}')`,
        `open('${marker}', write, s)`,
        "halt(0)",
        `consult('${marker}')`,
        "assert(evil(1))",
        "assertz(evil(2))",
      ]
    ) {
      strictEqual((await mcp.call("remember_fact", { fact })).isError, false, fact);
    }
    assertOk(
      await mcp.call("define_rule", { head: "run(X)", body: "shell(X), halt(0), assert(evil(1))" }),
      "Asserted: run(X) :- shell(X), halt(0), assert(evil(1))",
    );
    // Calls of the user's predicates only match facts.
    assertOk(await mcp.call("query_logic", { goal: "run(X)" }), `[{"X":"touch ${marker}"}]`);
    assertOk(await mcp.call("query_logic", { goal: "halt(0)" }), "[{}]");
    assertOk(await mcp.call("query_logic", { goal: "halt(1)" }), "[]");
    assertOk(
      await mcp.call("query_logic", { goal: `G =.. [shell, 'touch ${marker}'], call(G)` }),
      JSON.stringify([{ G: { functor: "shell", args: [`touch ${marker}`] } }]),
    );
    assertOk(await mcp.call("query_logic", { goal: `open('${marker}', write, S)` }), '[{"S":"s"}]');
    assertOk(await mcp.call("query_logic", { goal: "assert(evil(3))" }), "[]");
    assertOk(await mcp.call("query_logic", { goal: `consult('${marker}')` }), "[{}]");
    // Other arities and module-qualified calls are still the blocked built-ins.
    for (
      const [g, re] of [
        ["halt", /halt\/0 is not allowed/],
        ["G = halt, call(G)", /halt\/0 is not allowed/],
        ["shell", /shell\/0 is not allowed/],
        [`shell('touch ${marker}', S)`, /shell\/2 is not allowed/],
        [`open('${marker}', write, S, [])`, /open\/4 is not allowed/],
        [`system:shell('touch ${marker}')`, /module-qualified goals/],
        ["assertz(evil(2))", /^\[\{\}\]$/], // the user's assertz/1 (a fact query), not the built-in
        ["assertz(evil(9))", /^\[\]$/],
        ["asserta(evil(9))", /asserta\/1 is not allowed/],
        ["retract(evil(1))", /retract\/1 is not allowed/],
        ["G = asserta(evil(9)), call(G)", /asserta\/1 is not allowed/],
      ] as [string, RegExp][]
    ) {
      const r = await mcp.call("query_logic", { goal: g });
      match(r.content[0].text, re, g);
    }
    assertOk(await mcp.call("query_logic", { goal: "evil(X)" }), "[]", "warning: evil/1 has no clauses");
    await Deno.stat(marker).then(() => ok(false, "a real shell/open ran"), () => {});
    assertOk(await mcp.call("echo", { message: "alive" }), "alive");
  } finally {
    await mcp.close();
  }
});
