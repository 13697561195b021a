/** Types shared by the engine implementations and their callers. */

/** An argument passed to a Prolog operation: strings become Prolog strings. */
export type EngineArg = string | number;

/** Error classes reported by the engine. */
export type EngineErrorKind = "syntax" | "limit" | "unsafe" | "exec" | "timeout" | "crash";

/** Reply of one engine operation. */
export type EngineReply =
  // deno-lint-ignore no-explicit-any
  | { ok: true; value: any }
  | { ok: false; kind: EngineErrorKind; error: string };

/** A journal record as produced by planning. */
export interface PlannedRecord {
  op: "assert" | "retract" | "retractall";
  clause: string;
}

/** Anything that can run engine operations (in-process or in a guarded child process). */
export interface Engine {
  /** Run one operation; `timeoutMs` bounds the wall-clock time where the engine supports it. */
  call(op: string, args: EngineArg[], timeoutMs?: number): Promise<EngineReply>;
  /** Release the engine (kills a child process). */
  close(): Promise<void>;
}
