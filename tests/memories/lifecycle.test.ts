/** Memories: lifecycle, isolation, read-only mode, manifest handling, global scope (issue 5). */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { isolatedEnv, McpClient, runZpm, tempProject } from "../helpers/zpm.ts";

const WRITE_CALLS: [string, Record<string, unknown>][] = [
  ["remember_fact", { fact: "x(1)" }],
  ["define_rule", { head: "y(X)", body: "x(X)" }],
  ["forget_fact", { fact: "n(1)" }],
  ["clear_context", { category: "n(_)" }],
  ["update_fact", { old_fact: "n(1)", new_fact: "n(2)" }],
  ["upsert_fact", { fact: "n(3)" }],
  ["save_snapshot", { name: "s" }],
  ["restore_snapshot", { name: "s" }],
  ["rename_predicate", { old_functor: "n", new_functor: "m" }],
];

Deno.test("memories: create, mount, write, query, isolation both ways, restart", async () => {
  const dir = await tempProject();
  const a = await McpClient.start({ cwd: dir });
  strictEqual(await a.text("create_memory", { name: "notes" }), "Memory created: notes");
  strictEqual(await a.text("mount_memory", { name: "notes" }), "Memory mounted: notes (rw)");
  strictEqual(
    await a.text("remember_fact", { fact: "topic(prolog)", memory: "notes" }),
    "Asserted: topic(prolog)",
  );
  strictEqual(await a.text("remember_fact", { fact: "topic(deno)" }), "Asserted: topic(deno)");
  strictEqual(await a.text("query_logic", { goal: "topic(X)", memory: "notes" }), '[{"X":"prolog"}]');
  strictEqual(await a.text("query_logic", { goal: "topic(X)" }), '[{"X":"deno"}]');
  strictEqual(
    await a.text("query_logic", { goal: "notes:topic(X)" }),
    '[{"X":"prolog"}]',
    "cross-memory read",
  );
  // B001 regression: clearing a memory must not touch default, and the other way round
  strictEqual(await a.text("clear_context", { category: "topic(_)", memory: "notes" }), "Cleared: topic(_)");
  strictEqual(await a.text("query_logic", { goal: "topic(X)" }), '[{"X":"deno"}]');
  await a.call("remember_fact", { fact: "topic(wasm)", memory: "notes" });
  await a.call("clear_context", { category: "topic(_)" });
  strictEqual(await a.text("query_logic", { goal: "topic(X)", memory: "notes" }), '[{"X":"wasm"}]');
  match(
    await a.text("list_memories"),
    /^default \(scope=project, mode=rw, mounted=true\), notes \(scope=project, mode=rw, mounted=true\)$/,
  );
  strictEqual(await a.close(), 0);
  ok(Deno.statSync(`${dir}/.zpm/kb/notes/journal.wal`).size > 0, "the memory has its own journal");
  const b = await McpClient.start({ cwd: dir });
  strictEqual(await b.text("query_logic", { goal: "topic(X)", memory: "notes" }), '[{"X":"wasm"}]');
  strictEqual(await b.text("query_logic", { goal: "topic(X)" }), "[]");
  // unmount keeps the directory, survives a restart, and the memory can come back
  strictEqual(await b.text("unmount_memory", { name: "notes" }), "Memory unmounted: notes");
  const r = await b.call("query_logic", { goal: "topic(X)", memory: "notes" });
  strictEqual(r.isError, true);
  strictEqual(
    r.content[0].text,
    "ExecutionFailed: Memory not mounted: notes (mount it with mount_memory name=notes; list_memories shows every memory)",
  );
  strictEqual(
    (await b.call("remember_fact", { fact: "t(1)", memory: "notes" })).content[0].text,
    "Memory not mounted: notes (mount it with mount_memory name=notes; list_memories shows every memory)",
  );
  match(await b.text("list_memories"), /notes \(scope=project, mode=rw, mounted=false\)/);
  strictEqual(await b.text("unmount_memory", { name: "default" }), "Cannot unmount the default memory");
  strictEqual(await b.close(), 0);
  ok(Deno.statSync(`${dir}/.zpm/kb/notes`).isDirectory);
  const c = await McpClient.start({ cwd: dir });
  match(await c.text("list_memories"), /notes \(scope=project, mode=rw, mounted=false\)/);
  await c.call("mount_memory", { name: "notes" });
  strictEqual(await c.text("query_logic", { goal: "topic(X)", memory: "notes" }), '[{"X":"wasm"}]');
  await c.close();
});

Deno.test("memories: read-only mode rejects every mutation and is visible to the CLI and the manifest", async () => {
  const dir = await tempProject();
  const mcp = await McpClient.start({ cwd: dir });
  await mcp.call("create_memory", { name: "shared" });
  await mcp.call("remember_fact", { fact: "n(1)", memory: "shared" });
  await mcp.call("save_snapshot", { name: "s", memory: "shared" });
  const journal = await Deno.readFile(`${dir}/.zpm/kb/shared/journal.wal`);
  strictEqual(await mcp.text("mount_memory", { name: "shared", mode: "ro" }), "Memory mounted: shared (ro)");
  for (const [tool, args] of WRITE_CALLS) {
    const r = await mcp.call(tool, { ...args, memory: "shared" });
    strictEqual(r.isError, true, tool);
    strictEqual(
      r.content[0].text,
      "Memory is read-only: shared is mounted mode=ro (to write, call mount_memory name=shared mode=rw)",
      tool,
    );
  }
  deepStrictEqual(await Deno.readFile(`${dir}/.zpm/kb/shared/journal.wal`), journal, "nothing was written");
  strictEqual(
    await mcp.text("query_logic", { goal: "n(X)", memory: "shared" }),
    '[{"X":1}]',
    "reads still work",
  );
  const list = await runZpm(["memory", "list"], { cwd: dir });
  match(list.stdout, /shared \(scope=project, mode=ro, mounted=true\)/);
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/.zpm/mounts.json`));
  deepStrictEqual(manifest.mounts.find((m: { name: string }) => m.name === "shared"), {
    name: "shared",
    path: ".zpm/kb/shared",
    scope: "project",
    mode: "ro",
  });
  // the CLI is refused as well
  const cli = await runZpm(["remember-fact", "--fact", "n(9)", "--memory", "shared"], { cwd: dir });
  strictEqual(cli.code, 1);
  strictEqual(
    cli.stdout,
    "ERROR: Memory is read-only: shared is mounted mode=ro (to write, call mount_memory name=shared mode=rw)\n",
  );
  await mcp.close();
});

Deno.test("memories: corrupt manifest keeps its modes, missing directories are skipped, names are validated", async () => {
  const dir = await tempProject();
  await runZpm(["memory", "create", "--name", "alpha"], { cwd: dir });
  await runZpm(["memory", "create", "beta"], { cwd: dir });
  await runZpm(["memory", "mount", "--name", "alpha", "--mode", "ro"], { cwd: dir });
  await Deno.mkdir(`${dir}/.zpm/kb/not-a-memory`);
  const text = await Deno.readTextFile(`${dir}/.zpm/mounts.json`);
  await Deno.writeTextFile(`${dir}/.zpm/mounts.json`, text.slice(0, text.lastIndexOf("]")) + ",,, oops");
  const r = await runZpm(["memory", "list"], { cwd: dir });
  strictEqual(r.code, 0, r.stderr);
  match(r.stderr, /mounts\.json was corrupt .*kept as .*mounts\.json\.corrupt-\d+/);
  match(r.stdout, /alpha \(scope=project, mode=ro, mounted=true\)/);
  match(r.stdout, /beta \(scope=project, mode=rw, mounted=true\)/);
  strictEqual(r.stdout.includes("not-a-memory"), false, "invalid directory names are left alone");
  ok([...Deno.readDirSync(`${dir}/.zpm`)].some((e) => e.name.startsWith("mounts.json.corrupt-")));
  deepStrictEqual(JSON.parse(await Deno.readTextFile(`${dir}/.zpm/mounts.json`)).version, 1);
  // a missing directory is reported and skipped; the rest still work
  await Deno.remove(`${dir}/.zpm/kb/beta`, { recursive: true });
  const q = await runZpm(["query-logic", "--goal", "true", "--memory", "alpha"], { cwd: dir });
  strictEqual(q.stdout, "[{}]\n");
  match(q.stderr, /skipping missing mount 'beta'/);
  const mcp = await McpClient.start({ cwd: dir });
  for (const bad of ["Bad", "_x", "has-dash", "a b", "x),halt", "a".repeat(65), "default"]) {
    strictEqual(await mcp.text("create_memory", { name: bad }), `Invalid memory name: ${bad}`);
  }
  strictEqual(await mcp.text("create_memory", { name: "alpha" }), "Memory already exists: alpha");
  strictEqual(await mcp.text("create_memory", { name: "z", scope: "galaxy" }), "Invalid scope: galaxy");
  match(await mcp.text("list_memories"), /beta .*problem=directory missing/);
  await mcp.close();
});

Deno.test("memories: a global memory created in one project is mounted from another", async () => {
  const home = await Deno.makeTempDir();
  const env = isolatedEnv(home);
  const p1 = await tempProject();
  const p2 = await tempProject();
  const a = await McpClient.start({ cwd: p1, env });
  strictEqual(await a.text("create_memory", { name: "team", scope: "global" }), "Memory created: team");
  await a.call("remember_fact", { fact: "rule_of(team, 'always test')", memory: "team" });
  await a.close();
  ok(Deno.statSync(`${home}/.xdg/zpm/kb/team/journal.wal`).isFile);
  const b = await McpClient.start({ cwd: p2, env });
  match(await b.text("list_memories"), /team \(scope=global, mode=rw, mounted=false\)/);
  strictEqual(await b.text("mount_memory", { name: "team", scope: "global" }), "Memory mounted: team (rw)");
  strictEqual(
    await b.text("query_logic", { goal: "rule_of(team, R)", memory: "team" }),
    '[{"R":"always test"}]',
  );
  await b.close();
  // Recorded without this user's absolute path, so the committed .zpm/ works for a teammate.
  const manifest = JSON.parse(await Deno.readTextFile(`${p2}/.zpm/mounts.json`));
  strictEqual(
    manifest.mounts.find((m: { name: string }) => m.name === "team").path,
    "$XDG_DATA_HOME/zpm/kb/team",
  );
  const mate = await Deno.makeTempDir();
  const mateEnv = isolatedEnv(mate);
  const p3 = await tempProject();
  strictEqual(
    (await runZpm(["create-memory", "--name", "team", "--scope", "global"], { cwd: p3, env: mateEnv })).code,
    0,
  );
  await runZpm(["remember-fact", "--fact", "rule_of(team, 'mate')", "--memory", "team"], {
    cwd: p3,
    env: mateEnv,
  });
  const q = await runZpm(["query-logic", "--goal", "rule_of(team, R)", "--memory", "team"], {
    cwd: p2,
    env: mateEnv,
  });
  strictEqual(q.stdout, '[{"R":"mate"}]\n', q.stderr);
});

Deno.test("memories: a running server sees memories created by another process", async () => {
  const dir = await tempProject();
  const mcp = await McpClient.start({ cwd: dir });
  const r = await runZpm(["create-memory", "--name", "late"], { cwd: dir });
  strictEqual(r.code, 0, r.stderr);
  await runZpm(["remember-fact", "--fact", "late(1)", "--memory", "late"], { cwd: dir });
  strictEqual(await mcp.text("query_logic", { goal: "late(X)", memory: "late" }), '[{"X":1}]');
  await mcp.close();
});
