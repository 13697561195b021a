/**
 * Progress of long work: MCP `notifications/progress` for a call that carries a progress token (seen
 * by the SDK's own client over stdio), and progress lines plus a summary on stderr from the CLI.
 * ZPM_PROGRESS_AFTER_MS=0 makes small work print its lines, so the tests need no large data.
 */
import { match, ok, strictEqual } from "node:assert/strict";
// @deno-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @deno-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @deno-types="@modelcontextprotocol/sdk/types"
import { ProgressNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { isolatedEnv, McpClient, runZpm, tempProject, zpmCommand } from "../helpers/zpm.ts";

/** A project whose default memory holds `n` facts and a snapshot `base` of them. */
async function projectWithSnapshot(n: number): Promise<string> {
  const dir = await tempProject();
  const facts = Array.from({ length: n }, (_, i) => `item(${i}, 'name ${i}').`).join("\n");
  await Deno.writeTextFile(`${dir}/facts.pl`, facts + "\n");
  strictEqual((await runZpm(["import", "facts.pl"], { cwd: dir })).code, 0);
  const saved = await runZpm(["save-snapshot", "--name", "base"], { cwd: dir });
  strictEqual(saved.code, 0, saved.stderr);
  return dir;
}

/** An SDK client on `zpm serve` in `dir`, over stdio. */
async function sdkClient(dir: string, env: Record<string, string> = {}): Promise<Client> {
  const { cmd, args } = zpmCommand(["serve"]);
  const transport = new StdioClientTransport({
    command: cmd,
    args,
    cwd: dir,
    env: isolatedEnv(dir, env),
    stderr: "ignore",
  });
  const client = new Client({ name: "progress-test", version: "1" });
  await client.connect(transport);
  return client;
}

interface Seen {
  progressToken: string | number;
  progress: number;
  total?: number;
  message?: string;
}

/**
 * Every `notifications/progress` the client receives, in order. The SDK's own per-request
 * `onprogress` routing drops a notification that arrives in the same read as its call's answer (it
 * handles notifications a microtask later, after the answer has removed the request's handler), which
 * made the tests depend on how the pipe was chunked. A handler of the client's own sees every one; the
 * call still sets `onprogress` so that the SDK sends a progress token.
 */
function recordProgress(client: Client): Seen[] {
  const seen: Seen[] = [];
  client.setNotificationHandler(ProgressNotificationSchema, (n) => {
    seen.push(n.params as Seen);
  });
  return seen;
}

/** Call `name` with a progress token; the notifications recorded for that call's token. */
async function callWithProgress(
  client: Client,
  all: Seen[],
  name: string,
  args: Record<string, unknown>,
): Promise<{ result: unknown; seen: Seen[] }> {
  const from = all.length;
  const result = await client.callTool({ name, arguments: args }, undefined, { onprogress: () => {} });
  // Notification handlers run a microtask after their message is read; let any still queued run.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const mine = all.slice(from);
  const tokens = new Set(mine.map((s) => s.progressToken));
  ok(tokens.size <= 1, `one call, one progress token: ${JSON.stringify(mine)}`);
  return { result, seen: mine };
}

function textOf(r: unknown): string {
  return ((r as { content: { text: string }[] }).content ?? []).map((c) => c.text).join("\n");
}

Deno.test("MCP: restore_snapshot and save_snapshot with a progress token send increasing notifications/progress", async () => {
  const dir = await projectWithSnapshot(3000);
  const client = await sdkClient(dir);
  const all = recordProgress(client);
  try {
    const { result: r, seen } = await callWithProgress(client, all, "restore_snapshot", { name: "base" });
    strictEqual(textOf(r), "Snapshot 'base' restored successfully.\n3000 clause(s) restored.");
    ok(seen.length >= 2, `expected progress notifications, got ${JSON.stringify(seen)}`);
    for (let i = 1; i < seen.length; i++) ok(seen[i].progress > seen[i - 1].progress, JSON.stringify(seen));
    for (const s of seen) match(s.message ?? "", /^zpm: restoring snapshot 'base': /);
    ok(seen.some((s) => /checking and loading 3000 clause\(s\)/.test(s.message ?? "")), JSON.stringify(seen));
    strictEqual(seen.at(-1)?.message, "zpm: restoring snapshot 'base': 3000 clause(s)");

    const saves = await callWithProgress(client, all, "save_snapshot", { name: "again" });
    ok(
      saves.seen.some((s) => s.message === "zpm: saving snapshot 'again': writing the knowledge base out"),
      JSON.stringify(saves.seen),
    );
    ok(saves.seen.every((s) => s.progressToken !== seen[0].progressToken), "each call has its own token");

    // A call without a token still works and gets no notifications at all.
    const before = all.length;
    const q = await client.callTool({ name: "query_logic", arguments: { goal: "item(2999, N)" } });
    strictEqual(textOf(q), '[{"N":"name 2999"}]');
    await new Promise((resolve) => setTimeout(resolve, 0));
    strictEqual(all.length, before);
  } finally {
    await client.close();
  }
});

Deno.test("MCP on the wire: progress only for a call with a token, all of it sent before the answer", async () => {
  const dir = await projectWithSnapshot(2000);
  const mcp = await McpClient.start({ cwd: dir });
  try {
    const progress = () =>
      mcp.stray.filter((m) => m.method === "notifications/progress").map((m) =>
        m.params as { progressToken: unknown; progress: number; message: string }
      );
    const plain = await mcp.request("tools/call", { name: "restore_snapshot", arguments: { name: "base" } });
    ok(!plain.error, JSON.stringify(plain));
    strictEqual(progress().length, 0, "a call without a progress token gets no notifications/progress");

    const r = await mcp.request("tools/call", {
      name: "restore_snapshot",
      arguments: { name: "base" },
      _meta: { progressToken: "tok-1" },
    });
    ok(!r.error, JSON.stringify(r));
    const got = progress();
    ok(got.length >= 2, JSON.stringify(got));
    for (const p of got) strictEqual(p.progressToken, "tok-1");
    for (let i = 1; i < got.length; i++) ok(got[i].progress > got[i - 1].progress, JSON.stringify(got));
    // Read after the answer arrived: the summary was written before it.
    strictEqual(got.at(-1)?.message, "zpm: restoring snapshot 'base': 2000 clause(s)");
  } finally {
    await mcp.close();
  }
});

Deno.test("MCP: the first call to a memory reports its boot to the caller's progress token", async () => {
  const dir = await tempProject();
  strictEqual((await runZpm(["create-memory", "--name", "notes"], { cwd: dir })).code, 0);
  strictEqual((await runZpm(["remember-fact", "--fact", "n(1)", "--memory", "notes"], { cwd: dir })).code, 0);
  const client = await sdkClient(dir);
  const all = recordProgress(client);
  try {
    const { result: r, seen } = await callWithProgress(client, all, "query_logic", {
      goal: "n(X)",
      memory: "notes",
    });
    strictEqual(textOf(r), '[{"X":1}]');
    ok(
      seen.some((s) => s.message === "zpm: loading memory 'notes': 1/1 journal transactions replayed"),
      JSON.stringify(seen),
    );
    strictEqual(seen.at(-1)?.message, "zpm: loading memory 'notes': ready", JSON.stringify(seen));
    // The memory is booted now: a second call has nothing to report.
    const again = await callWithProgress(client, all, "query_logic", { goal: "n(X)", memory: "notes" });
    strictEqual(again.seen.length, 0, JSON.stringify(again.seen));
  } finally {
    await client.close();
  }
});

Deno.test("CLI: long work prints progress lines and a summary on stderr; stdout stays the answer", async () => {
  const dir = await projectWithSnapshot(2000);
  const env = isolatedEnv(dir, { ZPM_PROGRESS_AFTER_MS: "0" });
  const r = await runZpm(["restore-snapshot", "--name", "base"], { cwd: dir, env });
  strictEqual(r.code, 0, r.stderr);
  strictEqual(r.stdout, "Snapshot 'base' restored successfully.\n2000 clause(s) restored.\n");
  match(r.stderr, /^zpm: loading memory 'default': loading a snapshot of 2000 clause\(s\) \(\d+\.\d s\)$/m);
  match(r.stderr, /^zpm: loading memory 'default': ready in \d+\.\d s$/m);
  match(r.stderr, /^zpm: restoring snapshot 'base': checking and loading 2000 clause\(s\) \(\d+\.\d s\)$/m);
  match(r.stderr, /^zpm: restoring snapshot 'base': 2000 clause\(s\) in \d+\.\d s$/m);

  // Journal replay reports transactions; without the setting, short work is silent.
  const fresh = await tempProject();
  await runZpm(["remember-fact", "--fact", "extra(1)"], { cwd: fresh });
  const boot = await runZpm(["query-logic", "--goal", "extra(X)"], {
    cwd: fresh,
    env: isolatedEnv(fresh, { ZPM_PROGRESS_AFTER_MS: "0" }),
  });
  match(boot.stderr, /^zpm: loading memory 'default': 1\/1 journal transactions replayed \(\d+\.\d s\)$/m);
  const quiet = await runZpm(["query-logic", "--goal", "extra(X)"], { cwd: fresh });
  strictEqual(quiet.stderr, "");
  strictEqual(quiet.stdout, '[{"X":1}]\n');
});
