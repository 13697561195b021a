/** Types shared by the engine implementations and their callers. */
import type { OpArgs, OpName, OpReply } from "./ops.ts";
import type { RecordOp } from "../persistence/journal_format.ts";

/** Error classes reported by the engine. */
export type EngineErrorKind = "syntax" | "limit" | "unsafe" | "exec" | "timeout" | "crash";

/**
 * Reply of one engine operation: its value `V` (see `Ops`), or the error class and message. `notRun`:
 * the engine had stopped before the call reached it, so nothing of it ran.
 */
export type EngineReply<V = unknown> =
  | { ok: true; value: V }
  | { ok: false; kind: EngineErrorKind; error: string; notRun?: true };

/** A journal record as produced by planning. */
export interface PlannedRecord {
  op: RecordOp;
  clause: string;
}

/** Anything that can run engine operations (in-process or in a guarded child process). */
export interface Engine {
  /** Run one operation; `timeoutMs` bounds the wall-clock time where the engine supports it. */
  call<Op extends OpName>(op: Op, args: OpArgs<Op>, timeoutMs?: number): Promise<EngineReply<OpReply<Op>>>;
  /** Release the engine (kills a child process). */
  close(): Promise<void>;
}
