import { strictEqual as assertEquals } from "node:assert/strict";
import { McpClient, runZpm, tempProject } from "./helpers/zpm.ts";

Deno.test("CLI and MCP share one project: a fact remembered by the CLI is found over MCP", async () => {
  const dir = await tempProject();
  const r = await runZpm(["remember-fact", "--fact", "parent(tom, bob)"], { cwd: dir });
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout, "Asserted: parent(tom, bob)\n");
  const mcp = await McpClient.start({ cwd: dir });
  assertEquals(await mcp.text("query_logic", { goal: "parent(tom, X)" }), '[{"X":"bob"}]');
  assertEquals(await mcp.close(), 0);
});
