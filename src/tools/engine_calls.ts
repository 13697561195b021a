/** Helpers that resolve a tool's target memory, run engine operations on it, and declare mutations. */
import type { KnowledgeBase } from "../core/knowledge_base.ts";
import type { OpArgs, OpName, OpReply, PlannedOp, PlanResult } from "../engine/ops.ts";
import type { EngineErrorKind } from "../engine/types.ts";
import { MemoryError } from "../project/memory_location.ts";
import {
  type ArgsOf,
  defineTool,
  execFailed,
  type Hints,
  ok,
  type Param,
  refuse,
  type ToolContext,
  ToolFailure,
  type ToolSpec,
} from "./types.ts";

/**
 * The memory `name` (default: the call's target) for `access`. A `MemoryError` (not mounted,
 * read-only, directory missing) fails as `ExecutionFailed: <message>` for reads and as upstream's
 * plain message (`Memory not mounted: notes`, `Memory is read-only`) for writes.
 */
export async function use(
  ctx: ToolContext,
  access: "read" | "write",
  name: string = ctx.memory,
): Promise<KnowledgeBase> {
  try {
    return await ctx.project.use(name, access, ctx.progress);
  } catch (e) {
    if (e instanceof MemoryError) {
      throw new ToolFailure(access === "read" ? "ExecutionFailed" : "message", withRemedy(e, name));
    }
    throw e;
  }
}

/**
 * Upstream's message (kept as the prefix) plus the memory and what to do, for the two failures an
 * agent can fix with a tool call.
 */
function withRemedy(e: MemoryError, name: string): string {
  if (e.kind === "not-mounted") {
    return `${e.message} (mount it with mount_memory name=${name}; list_memories shows every memory)`;
  }
  if (e.kind === "read-only") {
    return `${e.message}: ${name} is mounted mode=ro (to write, call mount_memory name=${name} mode=rw)`;
  }
  return e.message;
}

/** How an engine error becomes a tool failure; the default is `ExecutionFailed: <error>`. */
export type EngineFailure = (error: string, kind: EngineErrorKind) => ToolFailure;

/** Run a read operation on the target memory and return its value; an engine error throws `failure`. */
export async function readOp<Op extends OpName>(
  ctx: ToolContext,
  op: Op,
  args: OpArgs<Op>,
  failure: EngineFailure = (error) => execFailed(error),
): Promise<OpReply<Op>> {
  const kb = await use(ctx, "read");
  const r = await kb.read(op, args);
  if (!r.ok) throw failure(r.error, r.kind);
  return r.value;
}

/** A committed mutation: the plan's result, and a warning when it is kept in memory only. */
export interface Mutated<Op extends PlannedOp> {
  result: PlanResult<Op>;
  notDurable?: string;
}

/**
 * Run a planned mutation on the target memory (write access). An engine error throws
 * `failure(error)`; a persistence failure propagates and is reported as ExecutionFailed.
 */
export async function mutateOp<Op extends PlannedOp>(
  ctx: ToolContext,
  op: Op,
  args: OpArgs<Op>,
  failure: (error: string) => ToolFailure,
): Promise<Mutated<Op>> {
  const kb = await use(ctx, "write");
  const m = await kb.mutate(op, args, ctx.yieldTurn);
  if (!m.reply.ok) throw failure(m.reply.error);
  return { result: m.reply.value.result, notDurable: m.notDurable };
}

/** A mutation tool as a declaration: which planned operation it runs and how its texts read. */
export interface MutationDef<Ps extends readonly Param[], Op extends PlannedOp> {
  name: string;
  description: string;
  params: Ps;
  hints: Hints;
  /** The planned engine operation. */
  op: Op;
  /** The operation's arguments, from the validated tool arguments. */
  args: (a: ArgsOf<Ps>) => OpArgs<Op>;
  /**
   * The success text, or text blocks (upstream's text first); may throw `refuse(...)` when the
   * result means nothing was done.
   */
  ok: (a: ArgsOf<Ps>, result: PlanResult<Op>) => string | string[];
  /** The plain error text for an engine error (syntax, limit, …). */
  failure: (a: ArgsOf<Ps>, error: string) => string;
}

/**
 * A tool that runs one planned mutation on the memory named by `memory` (write access). On
 * success its text is `ok(...)`, followed by the not-durable warning in degraded mode.
 */
export function mutationTool<const Ps extends readonly Param[], Op extends PlannedOp>(
  def: MutationDef<Ps, Op>,
): ToolSpec {
  return defineTool({
    name: def.name,
    description: def.description,
    params: def.params,
    hints: def.hints,
    memory: "write",
    async run(ctx, a: ArgsOf<Ps>) {
      const { result, notDurable } = await mutateOp(
        ctx,
        def.op,
        def.args(a),
        (e) => refuse(def.failure(a, e)),
      );
      const out = def.ok(a, result);
      const texts = typeof out === "string" ? [out] : out;
      return notDurable ? ok(...texts, notDurable) : ok(...texts);
    },
  });
}
