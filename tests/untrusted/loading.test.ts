/**
 * Loading what a repository brings is safe: user files (`kb/*.pl`), snapshots found at boot and
 * `restore_snapshot` of a crafted file go through the sandbox. Directives that would run code or
 * open files are refused, clauses calling blocked built-ins cannot run them, and no file outside
 * the memories changes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { craftedProject, said, treeHash, zpm } from "./helpers.ts";

const HEADER = "%% zpm snapshot 1700000000 ns=1700000000000000000 seq=0\n";

/** Prolog that tries to touch `decoy` in every way a file can. */
function hostile(decoy: string): { directives: string; clauses: string } {
  const p = (name: string) => `'${join(decoy, name)}'`;
  return {
    directives: [
      `:- initialization(shell('touch ${join(decoy, "pwned1")}')).`,
      `:- open(${p("pwned2")}, write, S), write(S, x), close(S).`,
      `:- shell('rm -f ${join(decoy, "precious.txt")}').`,
      `:- delete_file(${p("precious.txt")}).`,
    ].join("\n"),
    clauses: [
      `evil_shell :- shell('touch ${join(decoy, "pwned3")}').`,
      `evil_open :- open(${p("precious.txt")}, write, S), write(S, gone), close(S).`,
      `evil_delete :- delete_file(${p("precious.txt")}).`,
      `ok_fact(1).`,
    ].join("\n"),
  };
}

/** The answer of a query: the first line of stdout (warnings follow on their own lines). */
function answer(r: { stdout: string }): string {
  return r.stdout.split("\n")[0].trim();
}

async function assertEvilBlocked(c: Awaited<ReturnType<typeof craftedProject>>) {
  for (const goal of ["evil_shell", "evil_open", "evil_delete"]) {
    const r = await zpm(c, ["query-logic", "--goal", goal]);
    // Refused when called, or never loaded (no solutions): either way nothing ran.
    // (A query of a predicate that was never loaded answers `[]` plus a "has no clauses" warning line.)
    assert.ok(r.code !== 0 || answer(r) === "[]", `${goal} must not run: ${said(r)}`);
  }
}

Deno.test("loading: kb/*.pl user files with hostile directives and clauses touch nothing outside", async () => {
  const c = await craftedProject();
  const before = await treeHash(c.decoy);
  const h = hostile(c.decoy);
  await Deno.writeTextFile(join(c.root, ".zpm/kb/user.pl"), `${h.directives}\n${h.clauses}\n`);
  const q = await zpm(c, ["query-logic", "--goal", "ok_fact(X)"]);
  assert.equal(q.code, 0, said(q));
  assert.match(answer(q), /1/);
  assert.match(q.stderr, /directive .* is not supported in knowledge files/);
  assert.match(q.stderr, /shell\/1 is not allowed/);
  await assertEvilBlocked(c);
  assert.deepEqual(await treeHash(c.decoy), before);
});

Deno.test("loading: a crafted snapshot found at boot runs no directive and touches nothing outside", async () => {
  const c = await craftedProject();
  const before = await treeHash(c.decoy);
  const h = hostile(c.decoy);
  // With directives: refused as a whole (boot goes on without it).
  await Deno.writeTextFile(join(c.root, ".zpm/kb/evil.pl"), `${HEADER}${h.directives}\n${h.clauses}\n`);
  let q = await zpm(c, ["query-logic", "--goal", "ok_fact(X)"]);
  assert.match(
    said(q),
    /snapshot .*evil\.pl could not be loaded \(snapshot contains an unsupported directive/,
  );
  assert.doesNotMatch(answer(q), /1/);
  // Clauses only: loaded, but calling them runs nothing outside the sandbox.
  await Deno.writeTextFile(join(c.root, ".zpm/kb/evil.pl"), `${HEADER}${h.clauses}\n`);
  q = await zpm(c, ["query-logic", "--goal", "ok_fact(X)"]);
  assert.equal(q.code, 0, said(q));
  assert.match(answer(q), /1/);
  await assertEvilBlocked(c);
  assert.deepEqual(await treeHash(c.decoy), before);
});

Deno.test("loading: restore_snapshot of a crafted file is refused before anything changes", async () => {
  const c = await craftedProject();
  const w = await zpm(c, ["remember-fact", "--fact", "kept(1)"]);
  assert.equal(w.code, 0, said(w));
  const before = await treeHash(c.decoy);
  const h = hostile(c.decoy);
  const cases: Record<string, string> = {
    directives: `${HEADER}${h.directives}\nok_fact(1).\n`,
    "reserved names": `${HEADER}call(_) :- true.\nzpm_ok(1).\n`,
  };
  for (const [what, text] of Object.entries(cases)) {
    await Deno.writeTextFile(join(c.root, ".zpm/kb/crafted.pl"), text);
    const r = await zpm(c, ["restore-snapshot", "--name", "crafted"]);
    assert.notEqual(r.code, 0, `${what}: ${said(r)}`);
    assert.match(said(r), /snapshot 'crafted' is invalid: /, what);
    const q = await zpm(c, ["query-logic", "--goal", "kept(X)"]);
    assert.match(answer(q), /1/, `${what}: knowledge unchanged`);
  }
  // Clauses that would call blocked built-ins restore, but cannot run them.
  await Deno.writeTextFile(join(c.root, ".zpm/kb/crafted.pl"), `${HEADER}${h.clauses}\n`);
  const r = await zpm(c, ["restore-snapshot", "--name", "crafted"]);
  assert.equal(r.code, 0, said(r));
  await assertEvilBlocked(c);
  assert.deepEqual(await treeHash(c.decoy), before);
});
