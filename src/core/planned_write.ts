/**
 * The engine side of a durable write: one engine call that first applies what other processes
 * committed (the writer's catch-up) and then plans the change with it kept applied; and taking the
 * change back when its commit failed.
 *
 * @module
 */
import type { OpArgs, OpReply, PlannedOp } from "../engine/ops.ts";
import type { EngineReply } from "../engine/types.ts";
import type { Transaction } from "../persistence/journal_format.ts";
import type { EngineSupervisor } from "./engine_supervisor.ts";

/** A catch-up larger than this (clause text) is applied in calls of its own first. */
const INLINE_CATCH_UP_BYTES = 1 << 20;

/** How {@link planApplied} runs. */
export interface PlanOptions {
  /** The call's deadline. */
  timeoutMs: number;
  /** The caller holds the journal's exclusive lock. */
  locked: boolean;
  /** Transactions read from the store but not applied to the engine yet. */
  behind: Transaction[];
  /** Applies transactions in calls of their own (for a large `behind`). */
  apply: (txs: Transaction[]) => Promise<void>;
}

/** Apply `o.behind`, then plan `op` and keep its change applied: one engine call. */
export async function planApplied<Op extends PlannedOp>(
  supervisor: EngineSupervisor,
  op: Op,
  args: OpArgs<Op>,
  o: PlanOptions,
): Promise<EngineReply<OpReply<Op>>> {
  let flat = o.behind.flatMap((t) => t.records.flatMap((r) => [r.op, r.clause]));
  if (flat.reduce((n, s) => n + s.length, 0) > INLINE_CATCH_UP_BYTES) {
    await o.apply(o.behind);
    flat = [];
  }
  const r = await supervisor.call(
    "apply_plan",
    [flat.length / 2, ...flat, op, ...args],
    o.timeoutMs,
    o.locked,
  );
  // apply_plan replies what `op` itself replies.
  return r as EngineReply<OpReply<Op>>;
}

/** Take back the last {@link planApplied} change in the engine; false when it cannot be done exactly there. */
export async function undoPlanned(supervisor: EngineSupervisor): Promise<boolean> {
  const r = await supervisor.call("undo_plan", [], 0, true);
  return r.ok && r.value;
}
