/** Helpers that resolve a tool's target memory and turn engine replies into tool results. */
import { type KnowledgeBase, PersistenceError } from "../core/knowledge_base.ts";
import type { EngineArg, EngineReply } from "../engine/types.ts";
import { MemoryError } from "../project/project.ts";
import { fail, type ToolContext, ToolError, type ToolResult } from "./types.ts";

/** The memory named by the `memory` argument (missing, non-string or empty → default). */
export function memoryName(ctx: ToolContext): string {
  const m = ctx.args.memory;
  return typeof m === "string" && m !== "" ? m : "default";
}

/**
 * Resolve the target memory. Reads of an unmounted memory are ExecutionFailed; writes give
 * upstream's error results (`Memory not mounted: <name>`, `Memory is read-only`).
 */
export async function target(
  ctx: ToolContext,
  access: "read" | "write",
): Promise<KnowledgeBase | ToolResult> {
  try {
    return await ctx.project.use(memoryName(ctx), access);
  } catch (e) {
    if (e instanceof MemoryError) {
      if (access === "read") throw new ToolError("ExecutionFailed", e.message);
      return fail(e.message);
    }
    throw e;
  }
}

/** True when `target` answered with an error result instead of a memory. */
export function isResult(x: KnowledgeBase | ToolResult): x is ToolResult {
  return "texts" in x;
}

/** Run a read operation on the target memory. */
export async function readOp(ctx: ToolContext, op: string, args: EngineArg[]): Promise<EngineReply> {
  const kb = await target(ctx, "read");
  if (isResult(kb)) return { ok: false, kind: "exec", error: kb.texts[0] };
  return await kb.read(op, args);
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
  const kb = await target(ctx, "write");
  if (isResult(kb)) return kb;
  let m;
  try {
    m = await kb.mutate(op, args);
  } catch (e) {
    if (e instanceof PersistenceError) throw new ToolError("ExecutionFailed", e.message);
    throw e;
  }
  if (!m.reply.ok) return onFail(m.reply.error);
  const result = onOk(m.reply.value.result);
  if (m.notDurable && !result.isError) result.texts.push(m.notDurable);
  return result;
}
