/**
 * Hostile Prolog text through every tool that takes Prolog text (issue 2 acceptance): each call
 * gets an error result well within 3x the deadline (a hang bound), and the next request is answered correctly
 * with all earlier knowledge intact. One server (`--timeout-ms 3000`) serves the whole file.
 */
import { deepStrictEqual, match, notStrictEqual, ok, strictEqual } from "node:assert/strict";
import type { McpClient, ToolCallResult } from "../helpers/zpm.ts";
import { tempProject } from "../helpers/zpm.ts";
import { assertErrMatch, assertOk, cpuTicks, engineHosts, serve, sleep, timed } from "./_helpers.ts";

const TIMEOUT_MS = 3000;
/** Hang bound: 3x the deadline (the answer comes at about the deadline; headroom for a loaded machine). */
const BOUND_MS = 3 * TIMEOUT_MS;

const NOT_ALLOWED =
  "is not allowed: zpm queries and rules must not change the knowledge base, stop the engine, or touch files";

/** Call a tool, assert an error result matching `re` within the bound, then check the knowledge. */
async function hostile(mcp: McpClient, tool: string, args: Record<string, unknown>, re: RegExp) {
  const { value, ms } = await timed(() => mcp.call(tool, args));
  assertErrMatch(value, re);
  const bound = BOUND_MS;
  ok(ms < bound, `${tool} ${JSON.stringify(args)} took ${Math.round(ms)} ms (bound ${bound} ms)`);
  await intact(mcp);
  return value;
}

/** Knowledge asserted before the hostile calls is still there and queryable. */
async function intact(mcp: McpClient) {
  assertOk(await mcp.call("query_logic", { goal: "keep(X)" }), '[{"X":"me"},{"X":"you"}]');
  assertOk(await mcp.call("query_logic", { goal: "buddy(me, Y)" }), '[{"Y":"you"}]');
}

function text(r: ToolCallResult): string {
  return r.content.map((c) => c.text).join("\n");
}

Deno.test("hostile goals through every Prolog-text tool get error results and leave knowledge intact", async (t) => {
  const dir = await tempProject();
  // A 2M-inference budget is spent well before the deadline even on a loaded machine (10M took over 3 s there).
  const mcp = await serve(dir, ["--timeout-ms", String(TIMEOUT_MS)], { ZPM_INFERENCE_LIMIT: "2000000" });
  let hosts: number[] = [];
  try {
    assertOk(await mcp.call("remember_fact", { fact: "keep(me)" }), "Asserted: keep(me)");
    assertOk(await mcp.call("remember_fact", { fact: "keep(you)" }), "Asserted: keep(you)");
    assertOk(
      await mcp.call("define_rule", { head: "buddy(X, Y)", body: "keep(X), keep(Y), X \\== Y" }),
      "Asserted: buddy(X, Y) :- keep(X), keep(Y), X \\== Y",
    );
    await intact(mcp);

    await t.step("query_logic: blocked built-ins, directly and through meta-calls", async () => {
      const cases: [string, string][] = [
        ["halt", "halt/0"],
        ["halt(0)", "halt/1"],
        ["halt.", "halt/0"],
        ["shell(ls)", "shell/1"],
        ["shell('rm -rf /tmp/zpm-nothing', S)", "shell/2"],
        ["open('/etc/passwd',read,S)", "open/3"],
        ["consult('/etc/passwd')", "consult/1"],
        ["assertz(x)", "assertz/1"],
        ["asserta(keep(evil))", "asserta/1"],
        ["retract(keep(me))", "retract/1"],
        ["forall(true, retractall(keep(_)))", "retractall/1"],
        ["setof(X, retract(keep(X)), L)", "retract/1"],
        ["G = halt, call(G)", "halt/0"],
        ["X = halt, X", "halt/0"],
        ["catch(halt, _, true)", "halt/0"],
        ["findall(X, (X = 1, halt), L)", "halt/0"],
        ["\\+ halt(1)", "halt/1"],
        ["read(X)", "read/1"],
        ["read_term(user_input, X, [])", "read_term/3"],
        ["nb_setval(k, 1)", "nb_setval/2"],
        ["set_prolog_flag(double_quotes, atom)", "set_prolog_flag/2"],
      ];
      for (const [goal, pi] of cases) {
        await hostile(
          mcp,
          "query_logic",
          { goal },
          new RegExp(`^Query execution failed: ${pi.replace("/", "\\/")} ${NOT_ALLOWED}$`),
        );
      }
    });

    await t.step("query_logic: injection strings and several terms are syntax errors", async () => {
      for (const goal of ["a), halt, (b", "true), halt, (true", "true. halt", "true. halt."]) {
        await hostile(
          mcp,
          "query_logic",
          { goal },
          /^Query execution failed: (Syntax error|expected exactly one)/,
        );
      }
    });

    await t.step("query_logic: runaway goals hit a limit", async () => {
      assertOk(await mcp.call("define_rule", { head: "loop", body: "loop" }), "Asserted: loop :- loop");
      await hostile(
        mcp,
        "query_logic",
        { goal: "loop" },
        /^Query execution failed: inference limit \(2000000\) exceeded/,
      );
      // Deep, non-tail recursion: whichever limit comes first (inferences, stack or time).
      assertOk(
        await mcp.call("define_rule", { head: "count(N)", body: "N > 0, M is N - 1, count(M), true" }),
        "Asserted: count(N) :- N > 0, M is N - 1, count(M), true",
      );
      assertOk(await mcp.call("remember_fact", { fact: "count(0)" }), "Asserted: count(0)");
      assertOk(await mcp.call("query_logic", { goal: "count(1000)" }), "[{}]");
      await hostile(mcp, "query_logic", { goal: "count(10000000)" }, /^Query execution failed: .*limit/);
      // A huge allocation: a limit error or the engine instance is restarted; either way an error.
      await hostile(
        mcp,
        "query_logic",
        { goal: "length(L, 100000000)" },
        /^Query execution failed: .*(limit|engine instance died.*the engine was restarted)/,
      );
      await hostile(mcp, "query_logic", { goal: "between(1, inf, X), fail" }, /inference limit/);
    });

    await t.step("a goal that evades the inference limit is stopped by the wall-clock deadline", async () => {
      const before = await engineHosts(mcp.child.pid);
      strictEqual(before.length, 1, `one engine host before, got ${before}`);
      // Each step is one big-integer power: few inferences, lots of CPU.
      const r = await hostile(
        mcp,
        "query_logic",
        { goal: "between(1, inf, _), _ is 7^(7^7), fail" },
        new RegExp(`^Query execution failed: time limit \\(${TIMEOUT_MS} ms\\) exceeded`),
      );
      ok(/no knowledge was lost/.test(text(r)), text(r));
      const after = await engineHosts(mcp.child.pid);
      strictEqual(after.length, 1, `exactly one engine host after the timeout, got ${after}`);
      notStrictEqual(after[0], before[0], "the runaway engine host was replaced");
      strictEqual(
        cpuTicks(before[0]),
        null,
        `the killed engine host ${before[0]} is gone (not even a zombie)`,
      );
      // The replacement is idle: it burns (almost) no CPU while nothing is asked.
      const t0 = cpuTicks(after[0])!;
      await sleep(1000);
      const used = cpuTicks(after[0])! - t0;
      ok(used < 20, `idle engine host used ${used} ticks in 1 s`);
    });

    await t.step("remember_fact: hostile facts are refused", async () => {
      const cases: [string, RegExp][] = [
        // Facts named like built-ins (halt, shell, open, …) are the user's own predicates since
        // issue 11 (tests/fidelity/names.test.ts proves the real ones stay unreachable); only
        // control constructs, zpm's bookkeeping and SWI's hooks are reserved.
        ["call(halt)", /^Failed to assert: call\(halt\) \(call\/1 is reserved \(it is a control construct/],
        ["true", /^Failed to assert: true \(true\/0 is reserved/],
        ["zpm_source(x, interactive)", /^Failed to assert: .*\(zpm_source\/2 is reserved/],
        ["portray(x)", /^Failed to assert: portray\(x\) \(portray\/1 is reserved/],
        ["a), halt, (b", /^Failed to assert: a\), halt, \(b \(Syntax error/],
        ["keep(x)), halt, (keep(y)", /^Failed to assert: .*Syntax error/],
        ["x :- halt", new RegExp(`^Failed to assert: x :- halt \\(halt/0 ${NOT_ALLOWED}\\)$`)],
        ["x :- shell(ls)", /shell\/1 is not allowed/],
        ["G = halt, call(G)", /^Failed to assert: .*\(','\)\/2 is reserved \(it is a control construct/],
        [":- halt", /^Failed to assert: .*directives/],
        ["keep(me). halt", /^Failed to assert: .*expected exactly one Prolog term/],
      ];
      for (const [fact, re] of cases) {
        await hostile(mcp, "remember_fact", { fact }, re);
      }
      // A rule whose hostile call is only known at run time may be stored, but never runs the call.
      const r = await mcp.call("remember_fact", { fact: "sneaky :- G = assertz(keep(evil)), call(G)" });
      assertOk(r, "Asserted: sneaky :- G = assertz(keep(evil)), call(G)");
      await hostile(mcp, "query_logic", { goal: "sneaky" }, /assertz\/1 is not allowed/);
    });

    await t.step("define_rule: hostile heads and bodies", async () => {
      for (
        const [body, pi] of [
          ["halt", "halt/0"],
          ["halt(0)", "halt/1"],
          ["shell(ls)", "shell/1"],
          ["open('/etc/passwd',read,S)", "open/3"],
          ["consult('/etc/passwd')", "consult/1"],
          ["assertz(x)", "assertz/1"],
          ["keep(X), retract(keep(X))", "retract/1"],
        ]
      ) {
        await hostile(
          mcp,
          "define_rule",
          { head: "h", body },
          new RegExp(`^Failed to assert: h :- .* \\(${pi.replace("/", "\\/")} ${NOT_ALLOWED}\\)$`),
        );
      }
      await hostile(
        mcp,
        "define_rule",
        { head: "h", body: "a), halt, (b" },
        /^Failed to assert: .*Syntax error/,
      );
      await hostile(
        mcp,
        "define_rule",
        { head: "h :- halt, x", body: "true" },
        /^Failed to assert: h :- halt, x :- true \(\(:-\)\/2 cannot be a clause head/,
      );
      await hostile(
        mcp,
        "define_rule",
        { head: "a), halt, (b", body: "true" },
        /^Failed to assert: .*Syntax error/,
      );
      await hostile(
        mcp,
        "define_rule",
        { head: "call(halt)", body: "true" },
        /^Failed to assert: call\(halt\) :- true \(call\/1 is reserved/,
      );
      await hostile(mcp, "define_rule", { head: "keep(X)", body: "halt" }, /halt\/0 is not allowed/);
      // Run-time hostility is stopped when the rule runs.
      assertOk(
        await mcp.call("define_rule", { head: "h2", body: "G = halt, call(G)" }),
        "Asserted: h2 :- G = halt, call(G)",
      );
      await hostile(mcp, "query_logic", { goal: "h2" }, /^Query execution failed: halt\/0 is not allowed/);
      assertOk(
        await mcp.call("define_rule", { head: "h3", body: "length(L, 100000000)" }),
        "Asserted: h3 :- length(L, 100000000)",
      );
      await hostile(mcp, "query_logic", { goal: "h3" }, /^Query execution failed: /);
    });

    await t.step("explain_why: hostile goals", async () => {
      for (
        const [fact, re] of [
          ["halt", /^Cannot explain halt: halt\/0 is not allowed/],
          ["halt(0)", /^Cannot explain halt\(0\): halt\/1 is not allowed/],
          ["shell(ls)", /^Cannot explain shell\(ls\): shell\/1 is not allowed/],
          ["open('/etc/passwd',read,S)", /open\/3 is not allowed/],
          ["consult('/etc/passwd')", /consult\/1 is not allowed/],
          ["assertz(x)", /assertz\/1 is not allowed/],
          ["G = halt, call(G)", /halt\/0 is not allowed/],
          ["a), halt, (b", /^Cannot explain a\), halt, \(b: Syntax error/],
          ["loop", /^ExecutionFailed: inference limit/],
          ["length(L, 100000000)", /^ExecutionFailed: .*(limit|engine instance died)/],
        ] as [string, RegExp][]
      ) {
        await hostile(mcp, "explain_why", { fact }, re);
      }
    });

    await t.step("forget_fact, update_fact, upsert_fact, clear_context: hostile text", async () => {
      const builtins: [string, string][] = [
        ["halt", "halt/0"],
        ["halt(0)", "halt/1"],
        ["shell(ls)", "shell/1"],
        ["assertz(x)", "assertz/1"],
        ["open('/etc/passwd',read,S)", "open/3"],
        ["consult('/etc/passwd')", "consult/1"],
      ];
      // Nothing of these is stored here (storing them makes them the user's: names.test.ts).
      for (const [fact, pi] of builtins) {
        const quoted = fact.replace(/[()]/g, "\\$&");
        await hostile(mcp, "forget_fact", { fact }, new RegExp(`^No matching clause for: ${quoted}$`));
        await hostile(
          mcp,
          "update_fact",
          { old_fact: fact, new_fact: "x(1)" },
          new RegExp(`^No matching clause for: ${quoted}$`),
        );
        await hostile(
          mcp,
          "clear_context",
          { category: fact },
          new RegExp(
            `^Failed to clear: ${quoted} \\(${pi} is a built-in predicate and cannot be cleared\\)$`,
          ),
        );
      }
      await hostile(mcp, "forget_fact", { fact: "a), halt, (b" }, /^Failed to retract: .*Syntax error/);
      await hostile(
        mcp,
        "update_fact",
        { old_fact: "keep(me)", new_fact: "call(halt)" },
        /^Failed to update: keep\(me\) \(call\/1 is reserved.*nothing was changed$/,
      );
      await hostile(
        mcp,
        "update_fact",
        { old_fact: "keep(me)", new_fact: "a), halt, (b" },
        /^Failed to update: .*Syntax error[^]*nothing was changed$/,
      );
      await hostile(
        mcp,
        "update_fact",
        { old_fact: "halt", new_fact: "x(1)" },
        /^No matching clause for: halt$/,
      );
      await hostile(
        mcp,
        "update_fact",
        { old_fact: "keep(me)", new_fact: "x :- halt" },
        /^new_fact must not contain rule syntax$/,
      );
      await hostile(mcp, "upsert_fact", { fact: "true" }, /^Failed to upsert: true \(true\/0 is reserved/);
      await hostile(
        mcp,
        "upsert_fact",
        { fact: "tms_justification(keep(x), a)" },
        /^Failed to upsert: .*tms_justification\/2 is reserved/,
      );
      await hostile(mcp, "upsert_fact", { fact: "a), halt, (b" }, /^Failed to upsert: .*Syntax error/);
      await hostile(mcp, "upsert_fact", { fact: "keep(me) :- halt" }, /^fact must not contain rule syntax$/);
      await hostile(mcp, "clear_context", { category: "a), halt, (b" }, /^Failed to clear: .*Syntax error/);
      await hostile(
        mcp,
        "clear_context",
        { category: "X" },
        /^Failed to clear: X \(the category must be a term pattern/,
      );
      await hostile(
        mcp,
        "trace_dependency",
        { start_node: "a), halt(0" },
        /^start_node must be a valid Prolog atom$/,
      );
      await hostile(mcp, "verify_consistency", { scope: "a), halt, (b" }, /^scope must contain only letters/);
    });

    await t.step("zpm's own guards cannot be removed through forget/update/clear", async () => {
      // The blocked built-ins are guarded inside the engine; taking a guard away must be refused,
      // otherwise a run-time call (G = halt, call(G)) stops being an error.
      for (const category of ["halt", "halt(_)", "assertz(_)", "shell(_)", "open(_, _, _)", "consult(_)"]) {
        await hostile(
          mcp,
          "clear_context",
          { category },
          /^Failed to clear: .* \((halt|assertz|shell|open|consult)\/\d is a built-in predicate and cannot be cleared\)$/,
        );
      }
      await hostile(mcp, "forget_fact", { fact: "halt :- X" }, /^No matching clause for: halt :- X$/);
      await hostile(
        mcp,
        "update_fact",
        { old_fact: "assertz(_) :- B", new_fact: "x(1)" },
        /^No matching clause for: assertz\(_\) :- B$/,
      );
      await hostile(mcp, "query_logic", { goal: "G = halt, call(G)" }, /halt\/0 is not allowed/);
      await hostile(
        mcp,
        "query_logic",
        { goal: "G = assertz(keep(evil)), call(G)" },
        /assertz\/1 is not allowed/,
      );
      await hostile(mcp, "query_logic", { goal: "G = shell(ls), call(G)" }, /shell\/1 is not allowed/);
    });

    await t.step("the server is healthy afterwards", async () => {
      assertOk(await mcp.call("echo", { message: "still here" }), "still here");
      deepStrictEqual(
        JSON.parse((await mcp.call("get_knowledge_schema", {})).content[0].text).predicates.map((
          p: { name: string },
        ) => p.name),
        ["buddy", "count", "h2", "h3", "keep", "loop", "sneaky"],
      );
      strictEqual((await engineHosts(mcp.child.pid)).length, 1);
    });
  } finally {
    hosts = await engineHosts(mcp.child.pid);
    strictEqual(await mcp.close(), 0);
  }
  // After EOF the server exits and takes its engine host with it.
  await sleep(200);
  for (const pid of hosts) strictEqual(cpuTicks(pid), null, `engine host ${pid} outlived the server`);
});

Deno.test("ZPM_QUERY_TIMEOUT_MS sets the wall-clock deadline of serve", async () => {
  const dir = await tempProject();
  const mcp = await serve(dir, [], { ZPM_QUERY_TIMEOUT_MS: "1500" });
  try {
    assertOk(await mcp.call("remember_fact", { fact: "keep(me)" }), "Asserted: keep(me)");
    const { value, ms } = await timed(() =>
      mcp.call("query_logic", { goal: "between(1, inf, _), _ is 7^(7^7), fail" })
    );
    assertErrMatch(value, /^Query execution failed: time limit \(1500 ms\) exceeded/);
    // not before the configured deadline, and well before the default 5000 ms one (3x headroom)
    ok(ms >= 1500 && ms < 4500, `took ${Math.round(ms)} ms`);
    assertOk(await mcp.call("query_logic", { goal: "keep(X)" }), '[{"X":"me"}]');
  } finally {
    strictEqual(await mcp.close(), 0);
  }
});

Deno.test({
  name: "a time-limit error arrives within 3x the deadline (the engine is rebuilt after answering)",
  async fn() {
    const dir = await tempProject();
    const mcp = await serve(dir, ["--timeout-ms", String(TIMEOUT_MS)]);
    try {
      const { value, ms } = await timed(() =>
        mcp.call("query_logic", { goal: "between(1, inf, _), _ is 7^(7^7), fail" })
      );
      assertErrMatch(value, /time limit/);
      ok(ms < BOUND_MS, `took ${Math.round(ms)} ms (bound ${BOUND_MS} ms)`);
    } finally {
      strictEqual(await mcp.close(), 0);
    }
  },
});

Deno.test("an engine host that dies while idle is replaced by the next call, which is answered (a write too, stored once)", async () => {
  const dir = await tempProject();
  const mcp = await serve(dir);
  try {
    assertOk(await mcp.call("remember_fact", { fact: "idle(one)" }), "Asserted: idle(one)");
    for (let round = 0; round < 2; round++) {
      const before = await engineHosts(mcp.child.pid);
      strictEqual(before.length, 1);
      Deno.kill(before[0], "SIGKILL");
      // Gone, and the server has had time to notice, before the call is sent: a call sent as the engine
      // dies may be what killed it, and is answered with an error instead.
      while (cpuTicks(before[0]) !== null) await sleep(10);
      await sleep(300);
      if (round === 0) {
        // A write first: it plans on an engine started from the store, and is stored once.
        assertOk(await mcp.call("remember_fact", { fact: "idle(two)" }), "Asserted: idle(two)");
      }
      assertOk(await mcp.call("query_logic", { goal: "idle(X)" }), '[{"X":"one"},{"X":"two"}]');
      const after = await engineHosts(mcp.child.pid);
      strictEqual(after.length, 1);
      notStrictEqual(after[0], before[0], "a new engine host answered");
    }
  } finally {
    strictEqual(await mcp.close(), 0);
  }
  match(mcp.stderr, /had stopped; starting another/);
  const again = await serve(dir);
  try {
    assertOk(await again.call("query_logic", { goal: "idle(X)" }), '[{"X":"one"},{"X":"two"}]');
  } finally {
    strictEqual(await again.close(), 0);
  }
});
