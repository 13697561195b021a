/**
 * The engine side of a durable write: one engine call that first applies what other processes
 * committed (the writer's catch-up) and then plans the change with it kept applied; and taking the
 * change back when its commit failed.
 *
 * @module
 */
import type { OpArgs, OpReply, Planned, PlannedOp } from "../engine/ops.ts";
import type { EngineReply } from "../engine/types.ts";
import type { Transaction } from "../persistence/journal_format.ts";
import type { EngineSupervisor } from "./engine_supervisor.ts";
import { isBulkOp } from "./limits.ts";

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
  const flat = await catchUpArgs(o);
  let r = await supervisor.call("apply_plan", [flat.length / 2, ...flat, op, ...args], o.timeoutMs, o.locked);
  if (!r.ok && r.notRun && o.locked) {
    // The engine had stopped before this write reached it and was started again from the store, which
    // holds the catch-up records: plan the write alone on the new engine.
    r = await supervisor.call("apply_plan", [0, op, ...args], o.timeoutMs, o.locked);
  }
  // apply_plan replies what `op` itself replies.
  return r as EngineReply<OpReply<Op>>;
}

/** One write of a group commit: a planned operation and its arguments. */
export interface GroupWrite {
  op: PlannedOp;
  args: OpArgs<PlannedOp>;
}

/** How {@link planAppliedMany} runs: as {@link PlanOptions}, with a deadline per write. */
export interface ManyPlanOptions extends Omit<PlanOptions, "timeoutMs"> {
  /** One write's deadline. */
  deadline: (w: GroupWrite) => number;
  /** Start the engine again from the store (the exclusive lock is held). */
  rebuild: () => Promise<void>;
}

/**
 * Apply `o.behind`, then plan every write in order with its change kept applied, handing each reply
 * (as {@link planApplied} gives it) to `planned`, which writes its transaction, before anything after
 * it runs. Consecutive writes go to the engine in one call (`apply_plans`); a bulk write (its work
 * bounded by its size) goes alone. When a call for several fails as a whole (a timeout or crash, after
 * which the supervisor started the engine again from the store, or an answer that does not fit), the
 * engine is started from the store and those writes are planned one by one, so that only a write that
 * fails on its own fails.
 */
export async function planAppliedMany(
  supervisor: EngineSupervisor,
  writes: GroupWrite[],
  o: ManyPlanOptions,
  planned: (reply: EngineReply<Planned<unknown>>) => Promise<void>,
): Promise<void> {
  let behind = o.behind;
  for (let i = 0; i < writes.length;) {
    let j = i + 1;
    if (!isBulkOp(writes[i].op)) { while (j < writes.length && !isBulkOp(writes[j].op)) j++; }
    await planRun(supervisor, writes.slice(i, j), { ...o, behind }, planned);
    behind = [];
    i = j;
  }
}

/** One engine call for `writes` (see {@link planAppliedMany}). */
async function planRun(
  supervisor: EngineSupervisor,
  writes: GroupWrite[],
  o: ManyPlanOptions,
  planned: (reply: EngineReply<Planned<unknown>>) => Promise<void>,
): Promise<void> {
  const one = (w: GroupWrite, behind: Transaction[]) =>
    planApplied(supervisor, w.op, w.args, { ...o, behind, timeoutMs: o.deadline(w) });
  if (writes.length === 1) return await planned(await one(writes[0], o.behind));
  const flat = await catchUpArgs(o);
  const plans = writes.flatMap((w) => [w.op, w.args.length, ...w.args]);
  // The longest single deadline: writes that pass it together are planned again one by one, each with
  // its own deadline. So one runaway write cannot hold the others for the sum of theirs, and a write
  // fails on time exactly when it would alone.
  const deadline = Math.max(...writes.map(o.deadline));
  const r = await supervisor.call("apply_plans", [flat.length / 2, ...flat, ...plans], deadline, o.locked);
  if (r.ok && r.value.length === writes.length) {
    for (const reply of r.value) await planned(reply);
    return;
  }
  if (r.ok || (r.kind !== "timeout" && r.kind !== "crash")) await o.rebuild();
  // Each written before the next is planned: a rebuild after a later failure keeps it.
  for (const w of writes) await planned(await one(w, []));
}

/** `o.behind` as `apply_plan` arguments (op, clause pairs); a large one is applied on its own first. */
async function catchUpArgs(o: PlanOptions | ManyPlanOptions): Promise<string[]> {
  const flat = o.behind.flatMap((t) => t.records.flatMap((r) => [r.op, r.clause]));
  if (flat.reduce((n, s) => n + s.length, 0) <= INLINE_CATCH_UP_BYTES) return flat;
  await o.apply(o.behind);
  return [];
}

/** Take back the last {@link planApplied} change in the engine; false when it cannot be done exactly there. */
export async function undoPlanned(supervisor: EngineSupervisor): Promise<boolean> {
  const r = await supervisor.call("undo_plan", [], 0, true);
  return r.ok && r.value;
}
