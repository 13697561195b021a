/** Helpers that turn engine replies into tool results. */
import { PersistenceError } from "../core/knowledge_base.ts";
import type { EngineArg, EngineReply } from "../engine/types.ts";
import { fail, type ToolContext, ToolError, type ToolResult } from "./types.ts";

/** Run a read operation on the target memory. */
export async function readOp(ctx: ToolContext, op: string, args: EngineArg[]): Promise<EngineReply> {
  return await ctx.project.memory().read(op, args);
}

/**
 * Run a planned mutation. `onOk` builds the success result from the plan's result; `onFail`
 * turns an engine error into the tool's error result. A persistence failure is ExecutionFailed.
 */
export async function mutateOp(
  ctx: ToolContext,
  op: string,
  args: EngineArg[],
  // deno-lint-ignore no-explicit-any
  onOk: (result: any) => ToolResult,
  onFail: (error: string) => ToolResult,
): Promise<ToolResult> {
  let m;
  try {
    m = await ctx.project.memory().mutate(op, args);
  } catch (e) {
    if (e instanceof PersistenceError) throw new ToolError("ExecutionFailed", e.message);
    throw e;
  }
  if (!m.reply.ok) return onFail(m.reply.error);
  const result = onOk(m.reply.value.result);
  if (m.notDurable && !result.isError) result.texts.push(m.notDurable);
  return result;
}

/** The common error result for a failed read: limit errors name the limit. */
export function readFailure(prefix: string, r: EngineReply & { ok: false }): ToolResult {
  return fail(`${prefix}: ${r.error}`);
}
