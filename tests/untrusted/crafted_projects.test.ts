/**
 * A repository prepared by someone else: links, manifest escapes and foreign journal content in
 * `.zpm/` must never make zpm change a file outside the project's memories. Each test hashes a
 * decoy tree before and after, and checks that the error names the problem.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { craftedProject, said, treeHash, zpm } from "./helpers.ts";

const encoder = new TextEncoder();

Deno.test("untrusted: journal.wal linked to a file outside is neither cut nor written", async () => {
  const c = await craftedProject();
  const before = await treeHash(c.decoy);
  await Deno.symlink(join(c.decoy, "precious.txt"), join(c.root, ".zpm/data/journal.wal"));
  const r = await zpm(c, ["remember-fact", "--fact", "likes(a, b)"]);
  assert.notDeepStrictEqual(r.code, 0);
  assert.match(said(r), /journal\.wal is a symbolic link/);
  assert.deepStrictEqual(await treeHash(c.decoy), before);
  const doctor = await zpm(c, ["doctor"]);
  assert.notDeepStrictEqual(doctor.code, 0, "doctor fails on a linked journal");
  assert.match(doctor.stdout, /NOT USED: .*journal\.wal is a symbolic link/);
  assert.deepStrictEqual(await treeHash(c.decoy), before);
});

Deno.test("untrusted: journal.lock and a dangling journal link create nothing outside", async () => {
  const c = await craftedProject();
  const before = await treeHash(c.decoy);
  await Deno.symlink(join(c.decoy, "precious.txt"), join(c.root, ".zpm/data/journal.lock"));
  let r = await zpm(c, ["remember-fact", "--fact", "likes(a, b)"]);
  assert.notDeepStrictEqual(r.code, 0);
  assert.match(said(r), /journal\.lock is a symbolic link/);
  await Deno.remove(join(c.root, ".zpm/data/journal.lock"));
  // A link to a file that does not exist yet: creating journal.wal must not create it.
  await Deno.symlink(join(c.decoy, "created.txt"), join(c.root, ".zpm/data/journal.wal"));
  r = await zpm(c, ["remember-fact", "--fact", "likes(a, b)"]);
  assert.notDeepStrictEqual(r.code, 0);
  assert.match(said(r), /journal\.wal is a symbolic link/);
  assert.deepStrictEqual(await treeHash(c.decoy), before);
});

Deno.test("untrusted: a linked .zpm/data or .zpm/kb refuses the default memory, nothing written outside", async () => {
  for (const sub of ["data", "kb"]) {
    const c = await craftedProject();
    await Deno.remove(join(c.root, ".zpm", sub), { recursive: true });
    await Deno.symlink(join(c.decoy, "sub"), join(c.root, ".zpm", sub));
    const before = await treeHash(c.decoy);
    const r = await zpm(c, ["remember-fact", "--fact", "likes(a, b)"]);
    assert.notDeepStrictEqual(r.code, 0, sub);
    assert.match(said(r), /entry 'default'.*is refused: .*is a symbolic link \(rule: /, sub);
    const s = await zpm(c, ["save-snapshot", "--name", "s1"]);
    assert.notDeepStrictEqual(s.code, 0, sub);
    const list = await zpm(c, ["memory", "list"]);
    assert.match(said(list), /default \(scope=project, mode=rw, mounted=true, problem=refused: /, sub);
    assert.deepStrictEqual(await treeHash(c.decoy), before, sub);
  }
});

Deno.test("untrusted: manifest escapes are refused with the entry and rule; other memories keep working", async () => {
  const c = await craftedProject();
  await Deno.mkdir(join(c.root, ".zpm/kb/good"));
  await Deno.symlink(join(c.decoy, "sub"), join(c.root, ".zpm/kb/linked"));
  await Deno.symlink(c.decoy, join(c.root, ".zpm/kb/deeplink"));
  const mounts = [
    { name: "deep", path: ".zpm/kb/deeplink/sub", scope: "project", mode: "rw" },
    { name: "default", path: ".zpm/kb/default", scope: "project", mode: "rw" },
    { name: "climb", path: "../decoy/sub", scope: "project", mode: "rw" },
    { name: "abs", path: join(c.decoy, "sub"), scope: "project", mode: "rw" },
    { name: "glob", path: join(c.decoy, "sub"), scope: "global", mode: "rw" },
    { name: "globclimb", path: join(c.base, ".xdg/zpm/kb/../../../decoy/sub"), scope: "global", mode: "rw" },
    { name: "linked", path: ".zpm/kb/linked", scope: "project", mode: "rw" },
    { name: "good", path: ".zpm/kb/good", scope: "project", mode: "rw" },
  ];
  await Deno.writeTextFile(join(c.root, ".zpm/mounts.json"), JSON.stringify({ version: 1, mounts }, null, 2));
  const before = await treeHash(c.decoy);
  const expect: Record<string, RegExp> = {
    climb:
      /'climb' \(path "..\/decoy\/sub", scope project\) is refused: the path leads outside .zpm\/ \(rule: a project memory lives inside/,
    abs: /'abs' .* is refused: the path is absolute \(rule: a project memory/,
    glob:
      /'glob' .* is refused: the path is not inside .*\.xdg\/zpm\/kb \(rule: a global memory lives inside/,
    globclimb: /'globclimb' .* is refused: the path is not inside/,
    linked: /'linked' .* is refused: .*\.zpm\/kb\/linked is a symbolic link \(rule: a project memory/,
    deep: /'deep' .* is refused: .*\.zpm\/kb\/deeplink is a symbolic link \(rule: a project memory/,
  };
  for (const [name, re] of Object.entries(expect)) {
    for (const args of [["remember-fact", "--fact", "x(1)"], ["query-logic", "--goal", "x(X)"]]) {
      const r = await zpm(c, [...args, "--memory", name]);
      assert.notDeepStrictEqual(r.code, 0, `${name} ${args[0]}`);
      assert.match(said(r), re, name);
    }
  }
  const list = await zpm(c, ["list-memories"]);
  assert.deepStrictEqual(list.code, 0, list.stderr);
  for (const name of Object.keys(expect)) {
    assert.match(list.stdout, new RegExp(`${name} \\(scope=\\w+, mode=rw, mounted=true, problem=refused: `));
  }
  assert.match(list.stdout, /good \(scope=project, mode=rw, mounted=true\)/);
  for (const memory of ["default", "good"]) {
    const r = await zpm(c, ["remember-fact", "--fact", "ok(1)", "--memory", memory]);
    assert.deepStrictEqual(r.code, 0, `${memory}: ${said(r)}`);
  }
  const doctor = await zpm(c, ["doctor"]);
  assert.notDeepStrictEqual(doctor.code, 0);
  for (const name of Object.keys(expect)) {
    assert.match(doctor.stdout, new RegExp(`refused: mounts.json entry '${name}'`));
  }
  assert.deepStrictEqual(await treeHash(c.decoy), before);
});

Deno.test("untrusted: a global mount is recorded portably; an older absolute entry inside the user data dir stays accepted", async () => {
  const c = await craftedProject();
  const r = await zpm(c, ["create-memory", "--name", "shared", "--scope", "global"]);
  assert.deepStrictEqual(r.code, 0, said(r));
  const manifestFile = join(c.root, ".zpm/mounts.json");
  assert.match(await Deno.readTextFile(manifestFile), /"path": "\$XDG_DATA_HOME\/zpm\/kb\/shared"/);
  const w = await zpm(c, ["remember-fact", "--fact", "g(1)", "--memory", "shared"]);
  assert.deepStrictEqual(w.code, 0, said(w));
  const q = await zpm(c, ["query-logic", "--goal", "g(X)", "--memory", "shared"]);
  assert.match(q.stdout, /1/);

  // As an older zpm (or upstream) wrote it: the absolute path. Read as is; made portable on the next write.
  const doc = JSON.parse(await Deno.readTextFile(manifestFile));
  doc.mounts.find((m: { name: string }) => m.name === "shared").path = join(c.base, ".xdg/zpm/kb/shared");
  await Deno.writeTextFile(manifestFile, JSON.stringify(doc));
  const old = await zpm(c, ["query-logic", "--goal", "g(X)", "--memory", "shared"]);
  assert.match(old.stdout, /1/, said(old));
  assert.deepStrictEqual((await zpm(c, ["create-memory", "--name", "other"])).code, 0);
  assert.match(await Deno.readTextFile(manifestFile), /"path": "\$XDG_DATA_HOME\/zpm\/kb\/shared"/);

  // The portable form cannot climb out of the user's directory.
  doc.mounts.find((m: { name: string }) => m.name === "shared").path = "$XDG_DATA_HOME/zpm/kb/../../../decoy";
  await Deno.writeTextFile(manifestFile, JSON.stringify(doc));
  const climb = await zpm(c, ["query-logic", "--goal", "g(X)", "--memory", "shared"]);
  assert.match(climb.stdout + climb.stderr, /refused: the path is not inside/);
});

Deno.test("untrusted: mounts.json linked outside is neither read for mounts nor replaced", async () => {
  const c = await craftedProject();
  const target = join(c.decoy, "mounts.json");
  await Deno.writeTextFile(
    target,
    JSON.stringify({
      version: 1,
      mounts: [{ name: "evil", path: ".zpm/kb/evil", scope: "project", mode: "rw" }],
    }),
  );
  await Deno.remove(join(c.root, ".zpm/mounts.json")).catch(() => {});
  await Deno.symlink(target, join(c.root, ".zpm/mounts.json"));
  const before = await treeHash(c.decoy);
  const list = await zpm(c, ["list-memories"]);
  assert.match(said(list), /mounts\.json is a symbolic link/);
  const w = await zpm(c, ["remember-fact", "--fact", "ok(1)"]);
  assert.deepStrictEqual(w.code, 0, said(w));
  const cr = await zpm(c, ["create-memory", "--name", "notes"]);
  assert.notDeepStrictEqual(cr.code, 0);
  assert.match(said(cr), /mounts\.json is a symbolic link/);
  assert.deepStrictEqual(await treeHash(c.decoy), before);
  assert((await Deno.lstat(join(c.root, ".zpm/mounts.json"))).isSymlink);
});

Deno.test("untrusted: a file that is not a journal is never cut; a real torn tail still is", async () => {
  const c = await craftedProject();
  const wal = join(c.root, ".zpm/data/journal.wal");
  const foreign = "Dear diary,\nthis is not a journal.\n\x00\x01binary";
  await Deno.writeTextFile(wal, foreign);
  const r = await zpm(c, ["remember-fact", "--fact", "likes(a, b)"]);
  assert.notDeepStrictEqual(r.code, 0);
  assert.match(said(r), /journal\.wal is not a zpm journal .*will not cut, change or append to it/);
  assert.deepStrictEqual(await Deno.readTextFile(wal), foreign);
  const q = await zpm(c, ["query-logic", "--goal", "true"]);
  assert.deepStrictEqual(q.code, 0, "reads still work");
  const doctor = await zpm(c, ["doctor"]);
  assert.notDeepStrictEqual(doctor.code, 0);
  assert.match(doctor.stdout, /journal\.wal: NOT A ZPM JOURNAL/);
  const repair = await zpm(c, ["doctor", "--repair", "keep-prefix"]);
  assert.match(repair.stdout, /not repaired: .*not a zpm journal/);
  assert.deepStrictEqual(await Deno.readTextFile(wal), foreign);
  assert.deepStrictEqual(
    [...Deno.readDirSync(join(c.root, ".zpm/data"))].filter((e) => e.name.includes("broken")),
    [],
  );

  // A crash while writing the first line, and one after a good line: both are cut as before.
  for (const torn of [`{"seq":1,"ts":17`, `\x00\x00\x00\x00`]) {
    await Deno.writeFile(wal, encoder.encode(torn));
    const w = await zpm(c, ["remember-fact", "--fact", "likes(a, b)"]);
    assert.deepStrictEqual(w.code, 0, `${JSON.stringify(torn)}: ${said(w)}`);
    assert.match(await Deno.readTextFile(wal), /^\{"seq":1,.*likes\(a, b\)/);
  }
  const w2 = await zpm(c, ["remember-fact", "--fact", "likes(c, d)"]);
  assert.deepStrictEqual(w2.code, 0);
  await Deno.writeTextFile(wal, `{"seq":3,"ts":1`, { append: true });
  const w3 = await zpm(c, ["remember-fact", "--fact", "likes(e, f)"]);
  assert.deepStrictEqual(w3.code, 0, said(w3));
  const all = await zpm(c, ["query-logic", "--goal", "likes(X, Y)"]);
  assert.match(all.stdout, /c.*d/s);
});

Deno.test("untrusted: files and directories are private; doctor warns about readable memories", async () => {
  const c = await craftedProject();
  const w = await zpm(c, ["remember-fact", "--fact", "secret(1)"]);
  assert.deepStrictEqual(w.code, 0);
  const s = await zpm(c, ["save-snapshot", "--name", "s1"]);
  assert.deepStrictEqual(s.code, 0, said(s));
  const mode = (p: string) => Deno.lstatSync(join(c.root, p)).mode! & 0o777;
  for (const d of [".zpm", ".zpm/data", ".zpm/kb"]) assert.deepStrictEqual(mode(d) & 0o077, 0, d);
  for (const f of [".zpm/data/journal.wal", ".zpm/data/journal.lock", ".zpm/kb/s1.pl", ".zpm/mounts.json"]) {
    assert.deepStrictEqual(mode(f) & 0o077, 0, f);
  }
  let doctor = await zpm(c, ["doctor"]);
  assert(!/readable by other users/.test(doctor.stdout), doctor.stdout);
  Deno.chmodSync(join(c.root, ".zpm/data/journal.wal"), 0o644);
  doctor = await zpm(c, ["doctor"]);
  assert.match(doctor.stdout, /journal\.wal is readable by other users; make it private with: chmod go-rwx/);
});

Deno.test("untrusted: mount_memory of a planted link in .zpm/kb is refused and writes nothing outside", async () => {
  const c = await craftedProject();
  await Deno.symlink(join(c.decoy, "sub"), join(c.root, ".zpm/kb/planted"));
  const before = await treeHash(c.decoy);
  const m = await zpm(c, ["mount-memory", "--name", "planted"]);
  assert.notDeepStrictEqual(m.code, 0, said(m));
  assert.match(said(m), /Failed to mount memory: planted .*planted is a symbolic link \(rule: /);
  const w = await zpm(c, ["remember-fact", "--fact", "x(1)", "--memory", "planted"]);
  assert.notDeepStrictEqual(w.code, 0);
  const cr = await zpm(c, ["create-memory", "--name", "planted2"]);
  assert.deepStrictEqual(cr.code, 0, said(cr));
  assert.deepStrictEqual(await treeHash(c.decoy), before);
  assert.doesNotMatch(await Deno.readTextFile(join(c.root, ".zpm/mounts.json")), /"planted"/);
});
