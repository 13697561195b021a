/**
 * restore_snapshot stores the restored text as it is (no re-dump): a restart answers exactly as the
 * restoring process did, also for a hand-made snapshot (predicates interleaved, no declarations, a
 * clause over several lines, no final newline) and for predicates that only a declaration keeps; an
 * invalid snapshot changes nothing, also in the process that tried it.
 */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { McpClient, tempProject } from "../helpers/zpm.ts";

const HEADER = "%% zpm snapshot 1700000000 ns=1700000000000000000 seq=0\n";
const HAND_MADE = `${HEADER}% made by hand
b(1).
a(x, "s t").
b(2).
r(X) :-
    a(X, _),
    \\+ b(X).
:- dynamic(empty/0).
a('Q''s', [1, 2.5|T]) :- T = [].`;

const GOALS = ["a(X, Y)", "b(X)", "r(X)", "empty", "old(X)", "kept(X)"];

async function answers(mcp: McpClient): Promise<string[]> {
  const out = [];
  for (const goal of GOALS) {
    out.push((await mcp.call("query_logic", { goal })).content.map((c) => c.text).join("\n"));
  }
  return out;
}

Deno.test("restore_snapshot: a restart answers as the restoring process did; the text is stored as it is", async () => {
  const dir = await tempProject();
  await Deno.writeTextFile(`${dir}/.zpm/kb/hand.pl`, HAND_MADE);
  const mcp = await McpClient.start({ cwd: dir });
  let before: string[];
  try {
    strictEqual(await mcp.text("remember_fact", { fact: "old(1)" }), "Asserted: old(1)");
    const r = await mcp.call("restore_snapshot", { name: "hand" });
    strictEqual(r.isError, false, r.content[0].text);
    strictEqual(r.content[1].text, "5 clause(s) restored.");
    before = await answers(mcp);
  } finally {
    strictEqual(await mcp.close(), 0, mcp.stderr);
  }
  deepStrictEqual(before.slice(0, 4), [
    '[{"X":"x","Y":"s t"},{"X":"Q\'s","Y":[1,2.5]}]',
    '[{"X":1},{"X":2}]',
    '[{"X":"x"},{"X":"Q\'s"}]',
    "[]",
  ]);
  // old/1 lost its clause but stays a declared (empty) predicate, as empty/0: no "no clauses" warning.
  strictEqual(before[4], "[]");
  const stored = await Deno.readTextFile(`${dir}/.zpm/kb/hand.pl`);
  ok(stored.startsWith("%% zpm snapshot "), stored);
  ok(stored.includes(HAND_MADE.slice(HEADER.length)), stored);
  match(stored, /\n:- dynamic\(old\/1\)\.\n/);
  const again = await McpClient.start({ cwd: dir });
  try {
    deepStrictEqual(await answers(again), before);
  } finally {
    strictEqual(await again.close(), 0, again.stderr);
  }
});

Deno.test("restore_snapshot: an invalid declaration is refused and the serving process keeps its knowledge", async () => {
  const dir = await tempProject();
  await Deno.writeTextFile(`${dir}/.zpm/kb/bad.pl`, `${HEADER}:- dynamic(foo).\nnew(1).\n`);
  const mcp = await McpClient.start({ cwd: dir });
  try {
    strictEqual(await mcp.text("remember_fact", { fact: "kept(1)" }), "Asserted: kept(1)");
    const r = await mcp.call("restore_snapshot", { name: "bad" });
    strictEqual(r.isError, true);
    match(
      r.content[0].text,
      /snapshot 'bad' is invalid: .*invalid dynamic declaration: foo; nothing was changed/,
    );
    strictEqual(await mcp.text("query_logic", { goal: "kept(X)" }), '[{"X":1}]');
    strictEqual(await mcp.text("query_logic", { goal: "new(X)" }), "[]");
  } finally {
    strictEqual(await mcp.close(), 0, mcp.stderr);
  }
});
