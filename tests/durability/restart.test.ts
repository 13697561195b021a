/** Every mutating tool's effect survives a restart, over MCP and over the CLI. */
import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { fingerprint, McpClient, runZpm, tempProject } from "../helpers/zpm.ts";
import { scanJournal } from "../../src/persistence/journal_format.ts";

const PREDS = ["parent/2", "grandparent/2", "owner/1", "note/1", "status/2", "deploy/2", "proj/2", "city/1"];

async function mutateEverything(call: (tool: string, args: Record<string, unknown>) => Promise<void>) {
  await call("remember_fact", { fact: "parent(tom, bob)" });
  await call("remember_fact", { fact: "parent(bob, 'Ann Lee')" });
  await call("remember_fact", { fact: "owner('Alice')" });
  await call("remember_fact", { fact: "owner(bob)" });
  await call("remember_fact", { fact: "note('it''s \"quoted\" \\\\ back')" });
  await call("remember_fact", { fact: "city('Zürich 🏔')" });
  await call("define_rule", { head: "grandparent(X, Z)", body: "parent(X, Y), parent(Y, Z)" });
  await call("remember_fact", { fact: "status(api, down)" });
  await call("update_fact", { old_fact: "status(api, down)", new_fact: "status(api, up)" });
  await call("upsert_fact", { fact: "deploy(prod, v1)" });
  await call("upsert_fact", { fact: "deploy(prod, v2)" });
  await call("remember_fact", { fact: "proj(alpha, 1)" });
  await call("remember_fact", { fact: "proj(beta, 2)" });
  await call("remember_fact", { fact: "proj(beta, 3)" });
  await call("clear_context", { category: "proj(beta, _)" });
  await call("forget_fact", { fact: "owner(bob)" });
}

const EXPECTED = [
  "city('Zürich 🏔'):-true",
  "deploy(prod,v2):-true",
  "grandparent(A,B):-parent(A,C),parent(C,B)",
  "note('it\\'s \"quoted\" \\\\ back'):-true",
  "owner('Alice'):-true",
  "parent(bob,'Ann Lee'):-true",
  "parent(tom,bob):-true",
  "proj(alpha,1):-true",
  "status(api,up):-true",
];

Deno.test("restart: every mutating tool over MCP survives a restart exactly", async () => {
  const dir = await tempProject();
  const a = await McpClient.start({ cwd: dir });
  await mutateEverything(async (tool, args) => {
    const r = await a.call(tool, args);
    strictEqual(r.isError, false, `${tool}: ${r.content[0].text}`);
  });
  const before = await fingerprint(a, PREDS);
  deepStrictEqual(before.filter((c) => !c.startsWith("zpm_source")), EXPECTED);
  strictEqual(await a.close(), 0);
  for (let i = 0; i < 2; i++) {
    const b = await McpClient.start({ cwd: dir });
    deepStrictEqual(await fingerprint(b, PREDS), before, `after restart ${i + 1}`);
    strictEqual(await b.close(), 0);
  }
});

Deno.test("restart: the same mutations through the CLI give the same durable state", async () => {
  const dir = await tempProject();
  await mutateEverything(async (tool, args) => {
    const argv = [tool.replaceAll("_", "-")];
    for (const [k, v] of Object.entries(args)) {
      if (tool === "define_rule" && k === "head") argv.push(String(v));
      else argv.push(`--${k.replaceAll("_", "-")}`, String(v));
    }
    const r = await runZpm(argv, { cwd: dir });
    strictEqual(r.code, 0, `${argv.join(" ")}: ${r.stdout}${r.stderr}`);
  });
  const mcp = await McpClient.start({ cwd: dir });
  const state = await fingerprint(mcp, PREDS);
  deepStrictEqual(state.filter((c) => !c.startsWith("zpm_source")), EXPECTED);
  // sources were journaled with their facts, and removed facts left none behind
  match(state.join("\n"), /zpm_source\(owner\('Alice'\),interactive\)/);
  strictEqual(state.some((c) => c.includes("owner(bob)")), false);
  strictEqual(await mcp.close(), 0);
});

Deno.test("restart: snapshot save and restore survive a restart; each rotates the journal (a fresh journal.wal, the old one archived)", async () => {
  const dir = await tempProject();
  const a = await McpClient.start({ cwd: dir });
  await a.call("remember_fact", { fact: "parent(tom, bob)" });
  strictEqual(await a.text("save_snapshot", { name: "v1" }), "Snapshot 'v1' saved successfully.");
  const wal = `${dir}/.zpm/data/journal.wal`;
  strictEqual((await Deno.readFile(wal)).length, 0, "after a snapshot journal.wal starts empty");
  const archives = () =>
    [...Deno.readDirSync(`${dir}/.zpm/data`)].filter((e) => /^journal-\d+\.wal$/.test(e.name));
  strictEqual(archives().length, 1, "the old journal was archived");
  await a.call("remember_fact", { fact: "parent(bob, ann)" });
  deepStrictEqual(scanJournal(await Deno.readFile(wal)).transactions.map((t) => t.seq), [2]);
  strictEqual(await a.text("save_snapshot", { name: "v2" }), "Snapshot 'v2' saved successfully.");
  await a.call("remember_fact", { fact: "parent(ann, joe)" });
  strictEqual(await a.text("list_snapshots"), "Snapshots: [v2.pl, v1.pl]");
  strictEqual(await a.text("restore_snapshot", { name: "v1" }), "Snapshot 'v1' restored successfully.");
  strictEqual(await a.text("query_logic", { goal: "parent(X, Y)" }), '[{"X":"tom","Y":"bob"}]');
  strictEqual((await Deno.readFile(wal)).length, 0, "a restore rotates too");
  await a.call("remember_fact", { fact: "parent(tom, liz)" });
  strictEqual(
    scanJournal(await Deno.readFile(wal)).transactions.length,
    1,
    "only the write after the restore",
  );
  strictEqual(await a.close(), 0);
  const b = await McpClient.start({ cwd: dir });
  strictEqual(
    await b.text("query_logic", { goal: "parent(X, Y)" }),
    '[{"X":"tom","Y":"bob"},{"X":"tom","Y":"liz"}]',
  );
  match(
    await b.text("get_persistence_status"),
    /^status: active\ndir: .*\nlast_snapshot: v1\.pl\njournal_size: \d+ bytes/,
  );
  for (const bad of ["../x", "/etc/x", "a/b", ".hidden", "knowledge"]) {
    const r = await b.call("save_snapshot", { name: bad });
    strictEqual(r.isError, true, bad);
    match(r.content[0].text, /^ExecutionFailed: /);
  }
  const missing = await b.call("restore_snapshot", { name: "nope" });
  strictEqual(missing.isError, true);
  strictEqual(await b.close(), 0);
  const names = [...Deno.readDirSync(`${dir}/.zpm/data`)].map((e) => e.name).sort();
  strictEqual(names.includes("journal.wal") && names.includes("journal.lock"), true, names.join(","));
});
