/**
 * The command line (issue 2; spec §10): help and version, every tool sub-command's happy path in
 * text and `--format json`, parse errors, error results and tool errors, `init`, project discovery,
 * `--project`, `ZPM_PROJECT` and the per-user default project.
 */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { type CliResult, McpClient, runZpm, tempProject } from "../helpers/zpm.ts";
import { env, VERSION } from "./_helpers.ts";

/** Run `zpm <args>` in `cwd` with the e2e environment (plus `extra`). */
async function zpm(cwd: string, args: string[], extra: Record<string, string> = {}): Promise<CliResult> {
  return await runZpm(args, { cwd, env: env(cwd, extra) });
}

/** Run several independent commands, at most two at a time (the machine may have two cores). */
async function all<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

function expectOk(r: CliResult, stdout: string, what = "") {
  deepStrictEqual({ code: r.code, stdout: r.stdout }, { code: 0, stdout }, `${what} stderr: ${r.stderr}`);
}

/** `--format json`: a JSON array of strings. */
function jsonBlocks(r: CliResult): string[] {
  strictEqual(r.code, 0, r.stderr);
  ok(r.stdout.endsWith("\n"));
  const v = JSON.parse(r.stdout);
  ok(Array.isArray(v) && v.every((s) => typeof s === "string"), r.stdout);
  return v;
}

const TOOL_COMMANDS: [string, string[]][] = [
  ["echo", ["--message"]],
  ["remember-fact", ["--fact"]],
  ["define-rule", ["<head>", "--body"]],
  ["query-logic", ["--goal", "--limit <n>"]],
  ["trace-dependency", ["--start-node"]],
  ["verify-consistency", ["--scope"]],
  ["explain-why", ["--fact", "--max-depth <n>"]],
  ["get-knowledge-schema", []],
  ["forget-fact", ["--fact"]],
  ["clear-context", ["--category"]],
  ["update-fact", ["--old-fact", "--new-fact"]],
  ["upsert-fact", ["--fact"]],
  ["save-snapshot", ["--name"]],
  ["restore-snapshot", ["--name"]],
  ["list-snapshots", []],
  ["get-persistence-status", []],
];

Deno.test("CLI: help, version, parse errors", async (t) => {
  const dir = await tempProject();
  await t.step("zpm alone prints help and exits 1; --help/-h exit 0 with a COMMANDS section", async () => {
    const [bare, help, h] = await all([
      () => zpm(dir, []),
      () => zpm(dir, ["--help"]),
      () => zpm(dir, ["-h"]),
    ]);
    strictEqual(bare.code, 1);
    ok(/COMMANDS:/.test(bare.stdout + bare.stderr), bare.stdout + bare.stderr);
    strictEqual(help.code, 0, help.stderr);
    strictEqual(h.code, 0);
    strictEqual(h.stdout, help.stdout);
    ok(help.stdout.includes("Prolog inference engine for the Model Context Protocol"), help.stdout);
    const commands = help.stdout.slice(help.stdout.indexOf("COMMANDS:"));
    for (const name of ["init", "serve", "version", ...TOOL_COMMANDS.map(([c]) => c)]) {
      ok(new RegExp(`^  ${name}\\b`, "m").test(commands), `COMMANDS lists ${name}:\n${commands}`);
    }
  });

  await t.step("version", async () => {
    const rs = await all([() => zpm(dir, ["version"]), () => zpm(dir, ["--version"])]);
    for (const r of rs) deepStrictEqual([r.code, r.stdout, r.stderr], [0, `zpm ${VERSION}\n`, ""]);
  });

  await t.step("--help on every sub-command", async () => {
    const cmds = [["init", []], ["serve", ["--timeout-ms <n>"]], ["version", []], ...TOOL_COMMANDS] as [
      string,
      string[],
    ][];
    const rs = await all(cmds.map(([c]) => () => zpm(dir, [c, "--help"])));
    for (const [i, [cmd, flags]] of cmds.entries()) {
      const r = rs[i];
      strictEqual(r.code, 0, `${cmd} --help: ${r.stderr}`);
      ok(r.stdout.startsWith(`USAGE: zpm ${cmd}`), `${cmd}: ${r.stdout}`);
      for (const f of flags) ok(r.stdout.includes(f), `${cmd} --help mentions ${f}:\n${r.stdout}`);
      if (TOOL_COMMANDS.some(([c]) => c === cmd)) ok(r.stdout.includes("--format"), `${cmd}: --format`);
    }
  });

  await t.step(
    "unknown command or flag, missing required flag or argument, bad integers → exit 1",
    async () => {
      const cases: [string[], RegExp][] = [
        [["no-such-command"], /unknown command 'no-such-command'/],
        [["--no-such-flag"], /unknown option '--no-such-flag'/],
        [["query-logic", "--goal", "true", "--no-such-flag"], /unknown option '--no-such-flag'/],
        [["remember-fact"], /required option '--fact <value>' not specified/],
        [["update-fact", "--old-fact", "a(1)"], /required option '--new-fact <value>' not specified/],
        [["define-rule", "--body", "true"], /missing required argument 'head'/],
        [["define-rule", "--head", "h", "--body", "true"], /unknown option '--head'/],
        [["explain-why", "--fact", "x", "--max-depth", "abc"], /'abc' is not an integer/],
        [["query-logic", "--goal", "true", "--limit", "2.5"], /'2.5' is not an integer/],
        [["query-logic", "--goal"], /argument missing/],
        [["-v"], /unknown option '-v'/],
      ];
      const rs = await all(cases.map(([args]) => () => zpm(dir, args)));
      for (const [i, [args, re]] of cases.entries()) {
        strictEqual(rs[i].code, 1, `${args.join(" ")}: exit code`);
        strictEqual(rs[i].stdout, "", `${args.join(" ")}: nothing on stdout`);
        ok(re.test(rs[i].stderr), `${args.join(" ")}: stderr ${rs[i].stderr}`);
      }
      // Nothing was changed by any of them.
      expectOk(await zpm(dir, ["get-knowledge-schema"]), '{"predicates":[],"total":0}\n');
    },
  );
});

Deno.test("CLI: every tool sub-command, text and --format json", async (t) => {
  const dir = await tempProject();
  // A base layer of rules, so that fewer one-shot runs are needed.
  await Deno.writeTextFile(
    join(dir, ".zpm", "kb", "base.pl"),
    [
      "path(X, S) :- depends_on(S, X).",
      "path(X, S) :- depends_on(S, Y), path(X, Y).",
      "integrity_violation(X) :- parent(X, X).",
      "integrity_violation_billing(unpaid(C)) :- invoice(C, open).",
      "grandparent(X, Z) :- parent(X, Y), parent(Y, Z).",
    ].join("\n") + "\n",
  );

  // Facts the commands below change or look at, seeded in one MCP session (fewer one-shot runs).
  const seed = await McpClient.start({ cwd: dir, env: env(dir) });
  for (
    const fact of ["depends_on(app, lib)", "invoice(acme, open)", "tmp(1)", "status(api, down)", "gone(1)"]
  ) {
    strictEqual(await seed.text("remember_fact", { fact }), `Asserted: ${fact}`);
  }
  strictEqual(await seed.close(), 0);

  await t.step("mutating commands (text)", async () => {
    expectOk(await zpm(dir, ["echo", "--message", "hello world"]), "hello world\n");
    expectOk(await zpm(dir, ["remember-fact", "--fact", "parent(tom, bob)"]), "Asserted: parent(tom, bob)\n");
    expectOk(await zpm(dir, ["remember-fact", "--fact=parent(bob, ann)."]), "Asserted: parent(bob, ann)\n");
    expectOk(
      await zpm(dir, ["remember-fact", "--fact", "owner('Zürich AG', \"it's 😀\")"]),
      "Asserted: owner('Zürich AG', \"it's 😀\")\n",
    );
    expectOk(
      await zpm(dir, ["define-rule", "sibling(X, Y)", "--body", "parent(P, X), parent(P, Y), X \\== Y"]),
      "Asserted: sibling(X, Y) :- parent(P, X), parent(P, Y), X \\== Y\n",
    );
    expectOk(
      await zpm(dir, ["upsert-fact", "--fact", "depends_on(lib, core)"]),
      "Upserted: depends_on(lib, core)\n",
    );
    expectOk(await zpm(dir, ["clear-context", "--category", "tmp(_)"]), "Cleared: tmp(_)\n");
    expectOk(
      await zpm(dir, ["update-fact", "--old-fact", "status(api, down)", "--new-fact", "status(api, up)"]),
      "Updated: status(api, up)\n",
    );
    expectOk(await zpm(dir, ["forget-fact", "--fact", "gone(1)"]), "Retracted: gone(1)\n");
  });

  await t.step("read commands (text, and json for each command)", async () => {
    const schema = JSON.stringify({
      predicates: [
        { name: "depends_on", arity: 2, type: "fact", count: 2 },
        { name: "grandparent", arity: 2, type: "rule", count: 1 },
        { name: "integrity_violation", arity: 1, type: "rule", count: 1 },
        { name: "integrity_violation_billing", arity: 1, type: "rule", count: 1 },
        { name: "invoice", arity: 2, type: "fact", count: 1 },
        { name: "owner", arity: 2, type: "fact", count: 1 },
        { name: "parent", arity: 2, type: "fact", count: 2 },
        { name: "path", arity: 2, type: "rule", count: 2 },
        { name: "sibling", arity: 2, type: "rule", count: 1 },
        { name: "status", arity: 2, type: "fact", count: 1 },
      ],
      total: 10,
    });
    const explain =
      '{"goal":"grandparent(tom, ann)","proven":true,"children":[{"goal":"parent(tom, bob)","proven":true,"children":[]},{"goal":"parent(bob, ann)","proven":true,"children":[]}]}';
    // [args, expected text blocks, also run with --format json]
    const cases: [string[], string[], boolean][] = [
      [["query-logic", "--goal", "grandparent(tom, W)"], ['[{"W":"ann"}]'], false],
      [["query-logic", "--goal", "owner(A, B)"], ['[{"A":"Zürich AG","B":"it\'s 😀"}]'], false],
      [["query-logic", "--goal", "status(api, S)"], ['[{"S":"up"}]'], false],
      [["query-logic", "--goal", "gone(X)"], ["[]"], false],
      [["query-logic", "--goal", "between(1, 3, X)", "--limit", "2"], [
        '[{"X":1},{"X":2}]',
        'truncated: showing the first 2 solutions; pass a larger "limit" (at most 10000) to see more',
      ], true],
      [["trace-dependency", "--start-node", "app"], ['["lib","core"]'], true],
      [["verify-consistency"], ['{"violations":[]}'], false],
      [["verify-consistency", "--scope", "billing"], ['{"violations":["unpaid(acme)"]}'], true],
      [["explain-why", "--fact", "grandparent(tom, ann)"], [explain], true],
      [["explain-why", "--fact", "grandparent(tom, ann)", "--max-depth", "0"], [
        '{"goal":"grandparent(tom, ann)","proven":true,"children":[],"truncated":true}',
      ], false],
      [["get-knowledge-schema"], [schema], true],
      [["list-snapshots"], ["Snapshots: []"], true],
      [["echo", "--message", "json"], ["json"], true],
    ];
    const jobs: (() => Promise<CliResult>)[] = [];
    for (const [args, , json] of cases) {
      jobs.push(() => zpm(dir, args));
      if (json) jobs.push(() => zpm(dir, [...args, "--format", "json"]));
    }
    const rs = await all(jobs);
    let k = 0;
    for (const [args, blocks, json] of cases) {
      expectOk(rs[k++], blocks.map((b) => b + "\n").join(""), args.join(" "));
      if (json) deepStrictEqual(jsonBlocks(rs[k++]), blocks, `${args.join(" ")} --format json`);
    }
  });

  await t.step("mutating commands (json) and snapshots", async () => {
    deepStrictEqual(jsonBlocks(await zpm(dir, ["remember-fact", "--fact", "j(1)", "--format", "json"])), [
      "Asserted: j(1)",
    ]);
    deepStrictEqual(
      jsonBlocks(await zpm(dir, ["define-rule", "k(X)", "--body", "j(X)", "--format", "json"])),
      [
        "Asserted: k(X) :- j(X)",
      ],
    );
    deepStrictEqual(jsonBlocks(await zpm(dir, ["upsert-fact", "--fact", "j(1)", "--format=json"])), [
      "Upserted: j(1)",
    ]);
    deepStrictEqual(
      jsonBlocks(
        await zpm(dir, ["update-fact", "--old-fact", "j(1)", "--new-fact", "j(2)", "--format", "json"]),
      ),
      ["Updated: j(2)"],
    );
    deepStrictEqual(jsonBlocks(await zpm(dir, ["forget-fact", "--fact", "j(2)", "--format", "json"])), [
      "Retracted: j(2)",
    ]);
    deepStrictEqual(jsonBlocks(await zpm(dir, ["clear-context", "--category", "k(_)", "--format", "json"])), [
      "Cleared: k(_)",
    ]);
    expectOk(
      await zpm(dir, ["save-snapshot", "--name", "s1"]),
      "Snapshot 's1' saved successfully.\n8 clause(s) saved.\n",
    );
    expectOk(await zpm(dir, ["remember-fact", "--fact", "later(1)"]), "Asserted: later(1)\n");
    deepStrictEqual(jsonBlocks(await zpm(dir, ["save-snapshot", "--name", "s2", "--format", "json"])), [
      "Snapshot 's2' saved successfully.",
      "9 clause(s) saved.",
    ]);
    expectOk(
      await zpm(dir, ["restore-snapshot", "--name", "s1"]),
      "Snapshot 's1' restored successfully.\n8 clause(s) restored.\n",
    );
    const [later, list, status, statusJson] = await all([
      () => zpm(dir, ["query-logic", "--goal", "later(X)"]),
      () => zpm(dir, ["list-snapshots", "--format", "json"]),
      () => zpm(dir, ["get-persistence-status"]),
      () => zpm(dir, ["get-persistence-status", "--format", "json"]),
    ]);
    expectOk(later, "[]\n");
    const names = jsonBlocks(list);
    strictEqual(names.length, 1);
    // restoring s1 rewrote it after s2 (newest first by header)
    strictEqual(names[0], "Snapshots: [s1.pl, s2.pl]");
    const data = join(await Deno.realPath(dir), ".zpm", "data");
    ok(
      new RegExp(`^status: active\\ndir: ${data}\\nlast_snapshot: s1\\.pl\\njournal_size: \\d+ bytes\\n$`)
        .test(
          status.stdout,
        ),
      status.stdout,
    );
    deepStrictEqual(jsonBlocks(statusJson), [status.stdout.slice(0, -1)]);
    deepStrictEqual(
      jsonBlocks(await zpm(dir, ["restore-snapshot", "--name", "s2", "--format", "json"])),
      ["Snapshot 's2' restored successfully.", "9 clause(s) restored."],
    );
    expectOk(await zpm(dir, ["query-logic", "--goal", "later(X)"]), '[{"X":1}]\n');
  });

  await t.step("error results: ERROR: prefix, exit 1; tool errors on stderr, exit 1", async () => {
    const [notFound, notFoundJson, syntax, toolErr, toolErr2, badSnap] = await all([
      () => zpm(dir, ["forget-fact", "--fact", "nope(1)"]),
      () => zpm(dir, ["forget-fact", "--fact", "nope(1)", "--format", "json"]),
      () => zpm(dir, ["query-logic", "--goal", "parent(tom"]),
      () => zpm(dir, ["explain-why", "--fact", ""]),
      () => zpm(dir, ["query-logic", "--goal", "true", "--limit", "0"]),
      () => zpm(dir, ["restore-snapshot", "--name", "missing"]),
    ]);
    deepStrictEqual([notFound.code, notFound.stdout], [1, "ERROR: No matching clause for: nope(1)\n"]);
    deepStrictEqual([notFoundJson.code, notFoundJson.stdout], [1, '["No matching clause for: nope(1)"]\n']);
    deepStrictEqual(
      [syntax.code, syntax.stdout],
      [
        1,
        "ERROR: Query execution failed: Syntax error: Operator expected (line 1, column 12)\n  parent(tom\n             ^\n",
      ],
    );
    deepStrictEqual(
      [toolErr.code, toolErr.stdout, toolErr.stderr],
      [1, "", "zpm explain-why: InvalidArguments: 'fact' must be a non-empty string\n"],
    );
    deepStrictEqual(
      [toolErr2.code, toolErr2.stdout, toolErr2.stderr],
      [1, "", "zpm query-logic: InvalidArguments: 'limit' must be between 1 and 10000 (got 0)\n"],
    );
    strictEqual(badSnap.code, 1);
    strictEqual(badSnap.stdout, "");
    ok(
      badSnap.stderr.startsWith("zpm restore-snapshot: ExecutionFailed: snapshot 'missing' not found"),
      badSnap.stderr,
    );
  });

  await t.step("stdout carries only the result", async () => {
    expectOk(
      await zpm(dir, [
        "query-logic",
        "--goal",
        'format(user_output, "junk~n", []), format(user_error, "err~n", [])',
      ]),
      "[{}]\n",
    );
  });
});

Deno.test("CLI: init, a fresh directory round trip, project discovery, --project, ZPM_PROJECT", async (t) => {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "zpm-e2e-cli-" }));
  const proj = join(root, "proj");
  const other = join(root, "other");
  await Deno.mkdir(proj);
  await Deno.mkdir(other);

  await t.step("init twice; query-logic --goal true round trip", async () => {
    expectOk(await zpm(proj, ["init"]), "Initialized .zpm/ project directory\n");
    match(await Deno.readTextFile(join(proj, ".zpm", ".gitignore")), /^data\/\nkb\/\*\*\/journal\.wal\n/);
    ok((await Deno.stat(join(proj, ".zpm", "kb"))).isDirectory);
    ok((await Deno.stat(join(proj, ".zpm", "data"))).isDirectory);
    expectOk(await zpm(proj, ["init"]), ".zpm/ project directory already initialized\n");
    const r = await zpm(proj, ["query-logic", "--goal", "true"]);
    deepStrictEqual([r.code, r.stdout, r.stderr], [0, "[{}]\n", ""]);
  });

  await t.step("discovery from a sub-directory; --project; ZPM_PROJECT; the flag wins", async () => {
    expectOk(await zpm(proj, ["remember-fact", "--fact", "where(proj)"]), "Asserted: where(proj)\n");
    const deep = join(proj, "a", "b");
    await Deno.mkdir(deep, { recursive: true });
    await zpm(other, ["init"]);
    expectOk(await zpm(other, ["remember-fact", "--fact", "where(other)"]), "Asserted: where(other)\n");
    const [fromSub, flag, flagEq, envVar, both] = await all([
      () => zpm(deep, ["query-logic", "--goal", "where(X)"]),
      () => zpm(root, ["--project", proj, "query-logic", "--goal", "where(X)"]),
      () => zpm(other, [`--project=${proj}`, "query-logic", "--goal", "where(X)"]),
      () => zpm(root, ["query-logic", "--goal", "where(X)"], { ZPM_PROJECT: other }),
      () => zpm(root, ["--project", proj, "query-logic", "--goal", "where(X)"], { ZPM_PROJECT: other }),
    ]);
    expectOk(fromSub, '[{"X":"proj"}]\n', "from a sub-directory");
    expectOk(flag, '[{"X":"proj"}]\n', "--project");
    expectOk(flagEq, '[{"X":"proj"}]\n', "--project= from inside another project");
    expectOk(envVar, '[{"X":"other"}]\n', "ZPM_PROJECT");
    expectOk(both, '[{"X":"proj"}]\n', "--project wins over ZPM_PROJECT");
    // A nested init creates a project of its own (init does not walk up).
    expectOk(await zpm(deep, ["init"]), "Initialized .zpm/ project directory\n");
    expectOk(await zpm(deep, ["query-logic", "--goal", "where(X)"]), "[]\nwarning: where/1 has no clauses\n");
    const missing = await zpm(root, ["--project", join(root, "nothing"), "query-logic", "--goal", "true"]);
    strictEqual(missing.code, 1);
    strictEqual(missing.stdout, "");
    ok(/no \.zpm\/ directory in .*nothing.*zpm init/.test(missing.stderr), missing.stderr);
  });

  await t.step("the per-user default project when no .zpm/ is found", async () => {
    const loose = join(root, "loose");
    await Deno.mkdir(loose);
    const xdgDefault = join(loose, ".xdg", "zpm", "default");
    const r1 = await zpm(loose, ["remember-fact", "--fact", "mine(1)"]);
    expectOk(r1, "Asserted: mine(1)\n");
    ok(r1.stderr.includes(`using the per-user default project ${xdgDefault}`), r1.stderr);
    ok((await Deno.stat(join(xdgDefault, ".zpm", "data"))).isDirectory);
    const r2 = await zpm(loose, ["query-logic", "--goal", "mine(X)"]);
    expectOk(r2, '[{"X":1}]\n');
    ok(r2.stderr.includes("per-user default project"), r2.stderr);
    // Without XDG_DATA_HOME: ~/.local/share/zpm/default.
    const r3 = await zpm(loose, ["query-logic", "--goal", "mine(X)"], { XDG_DATA_HOME: "" });
    expectOk(r3, "[]\nwarning: mine/1 has no clauses\n");
    ok(
      r3.stderr.includes(`per-user default project ${join(loose, ".local", "share", "zpm", "default")}`),
      r3.stderr,
    );
  });
});
