/** Calling a tool the same way from MCP, the CLI and tests: check arguments, run, map failures. */
import { targetMemory } from "../project/memory_location.ts";
import type { ProgressListener } from "../core/progress.ts";
import type { Project } from "../project/project.ts";
import { validate } from "./args.ts";
import { type Args, paramsOf, ToolFailure, type ToolResult, type ToolSpec } from "./types.ts";

/**
 * Run a tool on raw arguments (a non-object counts as `{}`), checked against its params first.
 * A `ToolFailure` becomes an error result: "InvalidArguments"/"ExecutionFailed" failures read
 * `<channel>: <message>` and set `toolError` to the channel; "message" failures are the plain text.
 * Any other exception is `ExecutionFailed: <message>`.
 */
export async function callTool(
  tool: ToolSpec,
  ctx: { project: Project; progress?: ProgressListener; yieldTurn?: () => void },
  raw: unknown,
): Promise<ToolResult & { toolError?: string }> {
  const given: Args = raw && typeof raw === "object" && !Array.isArray(raw) ? raw as Args : {};
  try {
    const args = validate(paramsOf(tool), given);
    const memory = targetMemory(args.memory);
    return await tool.run({ ...ctx, memory }, args);
  } catch (e) {
    if (e instanceof ToolFailure) {
      if (e.channel === "message") return { texts: [e.message], isError: true };
      return { texts: [`${e.channel}: ${e.message}`], isError: true, toolError: e.channel };
    }
    const message = e instanceof Error ? e.message : String(e);
    return { texts: [`ExecutionFailed: ${message}`], isError: true, toolError: "ExecutionFailed" };
  }
}
