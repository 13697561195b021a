/**
 * `.zpm/kb/*.pl` user files (issue 2): loaded at boot (facts and rules queryable), a syntax error is
 * reported on stderr with file and line while the rest of that file and the other files still load,
 * sub-directories and other file types are not loaded.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { runZpm, tempProject } from "../helpers/zpm.ts";
import { assertErr, assertOk, env, serve } from "./_helpers.ts";

async function kbProject(): Promise<string> {
  const dir = await tempProject();
  const kb = join(dir, ".zpm", "kb");
  await Deno.writeTextFile(
    join(kb, "family.pl"),
    [
      "% family facts",
      "parent(tom, bob).",
      "parent(bob, ann.", // line 3: syntax error
      "parent(bob, liz).",
      "grandparent(X, Z) :- parent(X, Y), parent(Y, Z).",
      "",
      "label('Zürich', \"Grüezi\").",
      ":- initialization(halt).", // line 8: directive refused
      "after_directive(yes).",
    ].join("\n") + "\n",
  );
  await Deno.writeTextFile(join(kb, "places.pl"), ":- dynamic visited/1.\ncity(bern).\ncity(basel).\n");
  await Deno.mkdir(join(kb, "sub"));
  await Deno.writeTextFile(join(kb, "sub", "hidden.pl"), "hidden(yes).\n");
  await Deno.writeTextFile(join(kb, "notes.txt"), "txt_fact(yes).\n");
  await Deno.writeTextFile(join(kb, "README.pl.bak"), "bak_fact(yes).\n");
  return dir;
}

Deno.test("kb files: loaded at boot by serve, errors reported with file and line, sub-directories skipped", async () => {
  const dir = await kbProject();
  const family = join(await Deno.realPath(dir), ".zpm", "kb", "family.pl");
  const mcp = await serve(dir);
  try {
    assertOk(
      await mcp.call("query_logic", { goal: "parent(P, C)" }),
      '[{"P":"tom","C":"bob"},{"P":"bob","C":"liz"}]',
    );
    assertOk(await mcp.call("query_logic", { goal: "grandparent(tom, G)" }), '[{"G":"liz"}]');
    assertOk(await mcp.call("query_logic", { goal: "label(A, S)" }), '[{"A":"Zürich","S":"Grüezi"}]');
    assertOk(await mcp.call("query_logic", { goal: "after_directive(X)" }), '[{"X":"yes"}]');
    assertOk(await mcp.call("query_logic", { goal: "city(X)" }), '[{"X":"bern"},{"X":"basel"}]');
    assertOk(await mcp.call("query_logic", { goal: "visited(X)" }), "[]");
    for (const goal of ["hidden(X)", "txt_fact(X)", "bak_fact(X)"]) {
      assertOk(
        await mcp.call("query_logic", { goal }),
        "[]",
        `warning: ${goal.split("(")[0]}/1 has no clauses`,
      );
    }
    const schema = JSON.parse((await mcp.call("get_knowledge_schema", {})).content[0].text) as {
      predicates: { name: string }[];
    };
    deepStrictEqual(schema.predicates.map((p) => p.name), [
      "after_directive",
      "city",
      "grandparent",
      "label",
      "parent",
    ]);
    // Knowledge added over MCP sits on top of the files; the files' clauses are a read-only base layer.
    assertOk(await mcp.call("remember_fact", { fact: "parent(liz, max)" }), "Asserted: parent(liz, max)");
    assertOk(await mcp.call("query_logic", { goal: "grandparent(bob, G)" }), '[{"G":"max"}]');
    // Issue 11: the refusal names the read-only file the clause comes from.
    assertErr(
      await mcp.call("forget_fact", { fact: "parent(tom, bob)" }),
      `Cannot retract: parent(tom, bob) comes from the read-only knowledge file ${family}; edit or remove it there`,
    );
    assertOk(await mcp.call("query_logic", { goal: "parent(tom, bob)" }), "[{}]");
  } finally {
    strictEqual(await mcp.close(), 0);
  }
  const errLines = mcp.stderr.split("\n").filter((l) => l.includes(".pl"));
  ok(
    errLines.some((l) => l.startsWith(`zpm: ${family}:3: Syntax error: `)),
    `syntax error with file and line on stderr:\n${mcp.stderr}`,
  );
  ok(
    errLines.some((l) => l.startsWith(`zpm: ${family}:8: directive `) && l.includes("is not supported")),
    `refused directive with file and line on stderr:\n${mcp.stderr}`,
  );
  strictEqual(errLines.length, 2, mcp.stderr);
});

Deno.test("kb files: a one-shot CLI command loads them too and reports problems on stderr only", async () => {
  const dir = await kbProject();
  const r = await runZpm(["query-logic", "--goal", "grandparent(tom, G)"], { cwd: dir, env: env(dir) });
  strictEqual(r.code, 0, r.stderr);
  strictEqual(r.stdout, '[{"G":"liz"}]\n');
  ok(/family\.pl:3: Syntax error/.test(r.stderr), r.stderr);
  ok(/family\.pl:8: directive/.test(r.stderr), r.stderr);
});
