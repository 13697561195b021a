/**
 * Moving knowledge: `remember_facts` (one transaction, all or nothing, per-item errors),
 * `export_knowledge` (and its size message), `zpm export` → `zpm import` into an empty memory
 * giving identical answers (quoted atoms, strings, operators, lists, rules, assumptions), and
 * import refusing a file with bad clauses (file:line) without storing anything.
 */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { McpClient, runZpm, tempProject } from "../helpers/zpm.ts";

const ITEMS = [
  "p('it''s', \"a string\")",
  "p('Upper Case', [1, 2.5, \"s\", 'q''t'|tail])",
  "op_term(a+b*c, - 1, (x:-y), f(- (1)), 1 - -1, [a|b], {curly}, 'hello\\nworld')",
  "gp(X, Z) :- par(X, Y), par(Y, Z)",
  "par(tom, bob)",
  "par(bob, ann)",
];

const GOALS = ["p(A, B)", "op_term(A, B, C, D, E, F, G, H)", "gp(X, Z)", "par(X, Y)", "fly(W)"];

async function answers(mcp: McpClient): Promise<string[]> {
  const out = [];
  for (const goal of GOALS) out.push(await mcp.text("query_logic", { goal }));
  out.push(await mcp.text("list_assumptions"));
  return out;
}

Deno.test("remember_facts: one bad item changes nothing and lists every refused item; a good batch is one transaction", async () => {
  const dir = await tempProject();
  const mcp = await McpClient.start({ cwd: dir });
  try {
    const bad = await mcp.call("remember_facts", { facts: ["a(1)", "a((", "call(x)", "a(2)"] });
    strictEqual(bad.isError, true);
    match(bad.content[0].text, /2 of 4 item\(s\) refused; nothing was stored/);
    match(bad.content[0].text, /item 2: [^]*\nitem 3: call\/1 is reserved/);
    strictEqual(await mcp.text("query_logic", { goal: "a(X)" }), "[]");
    const type = await mcp.call("remember_facts", { facts: "a(1)" });
    strictEqual(type.isError, true);
    match(type.content[0].text, /InvalidArguments: 'facts' must be an array of strings/);
    const walBefore = await Deno.readTextFile(`${dir}/.zpm/data/journal.wal`).catch(() => "");
    strictEqual(
      await mcp.text("remember_facts", { facts: ITEMS }),
      "Asserted 6 clause(s) in one transaction.",
    );
    const wal = (await Deno.readTextFile(`${dir}/.zpm/data/journal.wal`)).slice(walBefore.length);
    strictEqual(wal.trim().split("\n").length, 1, "one journal transaction");
    match(await mcp.text("query_logic", { goal: "gp(tom, Z)" }), /ann/);
    const listed = (await mcp.request("tools/list", {})).result as {
      tools: { name: string; inputSchema: unknown }[];
    };
    const tool = listed.tools.find((t) => t.name === "remember_facts");
    deepStrictEqual(
      (tool?.inputSchema as { properties: Record<string, unknown> }).properties.facts,
      {
        type: "array",
        items: { type: "string" },
        description: (tool?.inputSchema as { properties: { facts: { description: string } } }).properties
          .facts.description,
        maxItems: 10000,
      },
    );
    match(
      (tool?.inputSchema as { properties: { facts: { description: string } } }).properties.facts.description,
      /Example: \S/,
      "the facts parameter describes itself with an example",
    );
  } finally {
    await mcp.close();
  }
});

Deno.test("export → import into an empty memory gives identical answers (CLI and export_knowledge)", async () => {
  const dir = await tempProject();
  const mcp = await McpClient.start({ cwd: dir });
  let before: string[];
  let exported: string;
  try {
    await mcp.text("remember_facts", { facts: ITEMS });
    await mcp.text("assume_fact", { fact: "fly(tweety)", assumption: "bird_default" });
    await mcp.text("remember_fact", { fact: "fly(superman)" });
    before = await answers(mcp);
    exported = await mcp.text("export_knowledge", { with_meta: true });
    match(exported, /^:- dynamic\(/m);
    match(exported, /tms_justification\(fly\(tweety\), bird_default\)/);
    const plain = await mcp.text("export_knowledge", {});
    ok(
      !plain.includes("zpm_source") && !plain.includes("tms_justification("),
      "no bookkeeping without with_meta",
    );
  } finally {
    await mcp.close();
  }
  const cli = await runZpm(["export", "--with-meta", "--output", `${dir}/out.pl`], { cwd: dir });
  strictEqual(cli.code, 0, cli.stderr);
  const file = await Deno.readTextFile(`${dir}/out.pl`);
  deepStrictEqual(file.split("\n").slice(1).sort(), exported.split("\n").sort(), "CLI and tool export agree");

  const other = await tempProject();
  const imp = await runZpm(["import", `${dir}/out.pl`], { cwd: other });
  strictEqual(imp.code, 0, imp.stderr);
  match(imp.stdout, /^Imported \d+ clause\(s\) from .* into memory 'default' in 1 transaction\(s\)\.\n$/);
  const mcp2 = await McpClient.start({ cwd: other });
  try {
    deepStrictEqual(await answers(mcp2), before);
    deepStrictEqual(
      (await mcp2.text("export_knowledge", { with_meta: true })).split("\n").sort(),
      exported.split("\n").sort(),
      "identical clause set, bookkeeping included",
    );
  } finally {
    await mcp2.close();
  }
});

Deno.test("import: op/3 and dynamic directives; bad clauses reported with file:line, good ones committed", async () => {
  const dir = await tempProject();
  const good = `${dir}/good.pl`;
  await Deno.writeTextFile(
    good,
    ":- op(700, xfx, likes).\n:- dynamic(empty/1).\n:- discontiguous(x/1).\nann likes bob.\nx(1).\n",
  );
  const r = await runZpm(["import", good], { cwd: dir });
  strictEqual(r.code, 0, r.stderr);
  strictEqual(
    (await runZpm(["query-logic", "--goal", "likes(A, B)"], { cwd: dir })).stdout,
    '[{"A":"ann","B":"bob"}]\n',
    "stored in standard syntax; readable without the operator",
  );
  const bad = `${dir}/bad.pl`;
  await Deno.writeTextFile(
    bad,
    "y(1).\ny((.\n:- initialization(main).\ncall(1).\ny(2).\ntms_justification(y(1), a).\n",
  );
  const b = await runZpm(["import", bad], { cwd: dir });
  strictEqual(b.code, 1);
  match(b.stderr, /bad\.pl:2: /);
  match(b.stderr, /bad\.pl:3: directive initialization.* is not supported/);
  match(b.stderr, /bad\.pl:4: call\/1 is reserved/);
  match(b.stderr, /bad\.pl:6: tms_justification\/2 is reserved/, "bookkeeping only in an export --with-meta");
  match(b.stderr, /4 bad clause\(s\) in .*bad\.pl were skipped \(listed above\)/);
  strictEqual(b.stdout, `Imported 2 clause(s) from ${bad} into memory 'default' in 1 transaction(s).\n`);
  strictEqual((await runZpm(["query-logic", "--goal", "y(X)"], { cwd: dir })).stdout, '[{"X":1},{"X":2}]\n');

  // --all-or-nothing: one bad clause stores nothing.
  const strict = `${dir}/strict.pl`;
  await Deno.writeTextFile(strict, "z(1).\nz((.\nz(2).\n");
  const s = await runZpm(["import", "--all-or-nothing", strict], { cwd: dir });
  strictEqual(s.code, 1);
  match(s.stderr, /strict\.pl:2: /);
  match(s.stderr, /nothing was imported \(--all-or-nothing/);
  strictEqual(
    (await runZpm(["query-logic", "--goal", "z(X)"], { cwd: dir })).stdout,
    "[]\nwarning: z/1 has no clauses\n",
  );
});

Deno.test("remember_facts: another server on the project sees the batch at once, and a restart keeps it", async () => {
  const dir = await tempProject();
  const a = await McpClient.start({ cwd: dir });
  const b = await McpClient.start({ cwd: dir });
  try {
    match(await b.text("query_logic", { goal: "g(X)" }), /^\[\]/);
    const facts = Array.from({ length: 300 }, (_, i) => `g(${i})`).concat(["h(X) :- g(X), X > 298"]);
    strictEqual(await a.text("remember_facts", { facts }), "Asserted 301 clause(s) in one transaction.");
    strictEqual(await b.text("query_logic", { goal: "h(X)" }), '[{"X":299}]', "caught up from the journal");
    strictEqual(await b.text("query_logic", { goal: "zpm_source(g(7), S)" }), '[{"S":"interactive"}]');
  } finally {
    await a.close();
    await b.close();
  }
  const c = await McpClient.start({ cwd: dir });
  try {
    strictEqual(await c.text("query_logic", { goal: "aggregate_all(count, g(_), N)" }), '[{"N":300}]');
    strictEqual(
      await c.text("query_logic", { goal: "aggregate_all(count, zpm_source(g(_), _), N)" }),
      '[{"N":300}]',
    );
  } finally {
    await c.close();
  }
});
