/**
 * Regression tests for bugs the hostile sweep found outside the tool, MCP and Prolog layers. They
 * were kept as failing tests until fixed; they always run now.
 */
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { McpClient, runZpm } from "../helpers/zpm.ts";
import { makeSandbox } from "./harness.ts";

Deno.test({
  name:
    "regression (src/project/project.ts loadManifest): a memory name re-pointed by another process is served from its new directory",
  async fn() {
    const sb = await makeSandbox("zpm-known-");
    let mcp = await McpClient.start({ cwd: sb.project, env: sb.env });
    const text = async (tool: string, args: Record<string, unknown>) =>
      (await mcp.call(tool, args)).content[0].text;
    try {
      strictEqual(await text("create_memory", { name: "notes" }), "Memory created: notes");
      strictEqual(
        await text("remember_fact", { fact: "where(project)", memory: "notes" }),
        "Asserted: where(project)",
      );
      // Another process unmounts the project memory and creates a global one of the same name.
      strictEqual(
        (await runZpm(["unmount-memory", "--name", "notes"], { cwd: sb.project, env: sb.env })).code,
        0,
      );
      strictEqual(
        (await runZpm(["create-memory", "--name", "notes", "--scope", "global"], {
          cwd: sb.project,
          env: sb.env,
        }))
          .code,
        0,
      );
      // The server must now use the (empty) global memory, and write there.
      strictEqual(await text("query_logic", { goal: "where(X)", memory: "notes" }), "[]");
      strictEqual(
        await text("remember_fact", { fact: "where(global)", memory: "notes" }),
        "Asserted: where(global)",
      );
      strictEqual(await mcp.close(), 0);
      mcp = await McpClient.start({ cwd: sb.project, env: sb.env });
      deepStrictEqual(await text("query_logic", { goal: "where(X)", memory: "notes" }), '[{"X":"global"}]');
    } finally {
      await mcp.close();
    }
  },
});
