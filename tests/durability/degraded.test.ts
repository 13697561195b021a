/** A data directory that becomes read-only: degraded mode with a reason, then active again. */
import { match, strictEqual } from "node:assert/strict";
import { McpClient, runZpm, tempProject } from "../helpers/zpm.ts";

async function sh(cmd: string[]): Promise<boolean> {
  const r = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "null", stderr: "null" }).output();
  return r.success;
}

/** Bind-mount a directory read-only over itself (needs root, as on CI). */
async function makeReadOnly(dir: string): Promise<boolean> {
  return await sh(["mount", "--bind", dir, dir]) && await sh(["mount", "-o", "remount,bind,ro", dir]);
}

const canMount = await (async () => {
  const probe = await Deno.makeTempDir();
  const ok = await makeReadOnly(probe);
  if (ok) await sh(["umount", probe]);
  return ok;
})();

const NAME =
  "degraded: a read-only data directory keeps writes in memory with a warning, refuses snapshots and CLI writes, and flushes them to the journal when writable again";
if (!canMount) {
  console.warn(
    `\n*** SKIPPED "${NAME}": it needs root to bind-mount a directory read-only (CI runs as root). ***\n`,
  );
}

Deno.test({
  name: canMount ? NAME : `${NAME} [SKIPPED because not root: cannot mount]`,
  ignore: !canMount,
  async fn() {
    const dir = await tempProject();
    const data = `${dir}/.zpm/data`;
    const mcp = await McpClient.start({ cwd: dir });
    strictEqual((await mcp.call("remember_fact", { fact: "a(1)" })).isError, false);
    strictEqual(await makeReadOnly(data), true);
    try {
      const r = await mcp.call("remember_fact", { fact: "a(2)" });
      strictEqual(r.isError, false);
      strictEqual(r.content[0].text, "Asserted: a(2)");
      match(r.content[1].text, /persistence is degraded .*Read-only file system/);
      match(await mcp.text("get_persistence_status"), /^status: degraded\n[^]*\nreason: .*Read-only/);
      strictEqual(await mcp.text("query_logic", { goal: "a(X)" }), '[{"X":1},{"X":2}]');
      const snap = await mcp.call("save_snapshot", { name: "s" });
      strictEqual(snap.isError, true, "a snapshot cannot be saved while degraded");
      // a one-shot CLI refuses writes it could not keep, and boots degraded
      const cli = await runZpm(["remember-fact", "--fact", "a(3)"], { cwd: dir });
      strictEqual(cli.code, 1);
      match(cli.stderr, /persistence is degraded/);
      const other = await McpClient.start({ cwd: dir });
      match(await other.text("get_persistence_status"), /^status: degraded/);
      strictEqual(await other.text("query_logic", { goal: "a(X)" }), '[{"X":1}]');
      await other.close();
    } finally {
      await sh(["umount", data]);
    }
    match(await mcp.text("get_persistence_status"), /^status: active\n/);
    strictEqual(await mcp.close(), 0);
    const fresh = await McpClient.start({ cwd: dir });
    strictEqual(await fresh.text("query_logic", { goal: "a(X)" }), '[{"X":1},{"X":2}]');
    strictEqual(await fresh.close(), 0);
  },
});
