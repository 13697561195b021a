/** Calling a tool the same way from MCP, the CLI and tests. */
import { type Args, type ToolContext, ToolError, type ToolResult, type ToolSpec } from "./types.ts";

/** Run a tool; a ToolError becomes an error result whose text starts with the error name. */
export async function callTool(
  tool: ToolSpec,
  ctx: Omit<ToolContext, "args">,
  raw: unknown,
): Promise<ToolResult & { toolError?: string }> {
  const args: Args = raw && typeof raw === "object" && !Array.isArray(raw) ? raw as Args : {};
  try {
    return await tool.run({ ...ctx, args }, args);
  } catch (e) {
    if (e instanceof ToolError) return { texts: [e.message], isError: true, toolError: e.code };
    const message = e instanceof Error ? e.message : String(e);
    return { texts: [`ExecutionFailed: ${message}`], isError: true, toolError: "ExecutionFailed" };
  }
}
