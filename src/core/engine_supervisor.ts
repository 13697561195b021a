/**
 * Engine supervision for one memory: starting its Prolog engine (in this process, or in a child
 * process that can be killed at a deadline), running calls with the deadline, rebuilding the
 * engine after a timeout or crash, and letting later calls wait until a rebuild has settled.
 *
 * @module
 */
import { ProcessEngine } from "../engine/process_engine.ts";
import type { OpArgs, OpName, OpReply } from "../engine/ops.ts";
import type { Engine, EngineReply } from "../engine/types.ts";

/**
 * Where the engine runs: "process" is a child process that is killed at the deadline (the server, and
 * one-shot commands so that the same deadline holds); "inprocess" runs it in this process, without a
 * wall-clock deadline (one-shot commands with `ZPM_CLI_INPROCESS=1`, and tests).
 */
export type EngineKind = "process" | "inprocess";

/**
 * What follows a timeout or crash: "rebuild" (a server: log it and start a fresh engine), "end" (a
 * one-shot command ends with the answer, so no engine is rebuilt), "quiet-rebuild" (the warm engine:
 * answer exactly as a one-shot command would, and rebuild without a diagnostic line).
 */
export type AfterFailure = "rebuild" | "end" | "quiet-rebuild";

/** What a supervisor needs to know about its memory. */
export interface SupervisorOptions {
  /** Memory name, for messages. */
  name: string;
  /** Where the engine runs. */
  kind: EngineKind;
  /** What follows a timeout or crash. */
  afterFailure: AfterFailure;
  /** Knowledge-base size cap passed to the engine. */
  maxKbBytes: number;
  /** Diagnostics sink (stderr). */
  log: (message: string) => void;
  /**
   * Reload the knowledge into a fresh engine after a timeout or crash; `locked` says the caller
   * already holds the journal's exclusive lock.
   */
  rebuild: (locked: boolean) => Promise<void>;
}

/** Owns one memory's engine; see the module comment. */
export class EngineSupervisor {
  private current: Engine | null = null;
  private rebuilding: Promise<void> | null = null;

  /** A supervisor with no engine yet; call {@link replace} to start one. */
  constructor(private readonly opts: SupervisorOptions) {}

  /** The running engine (for loading and applying; tool calls go through {@link call}). */
  get engine(): Engine {
    if (!this.current) throw new Error(`the engine of memory '${this.opts.name}' has not been started`);
    return this.current;
  }

  /** Start a fresh, empty engine and stop the old one. */
  async replace(): Promise<void> {
    const old = this.current;
    const max = this.opts.maxKbBytes;
    // swipl-wasm loads only when this process runs an engine itself (not for the child-process kind).
    this.current = this.opts.kind === "inprocess"
      ? await (await import("../engine/inprocess_engine.ts")).InProcessEngine.start(max)
      : await ProcessEngine.start(max, this.opts.afterFailure !== "end");
    if (old) await old.close().catch(() => {});
  }

  /**
   * Run an engine call with a wall-clock deadline. A timeout or crash answers at once and rebuilds
   * the engine: in the background (later calls wait for it), or before returning when `locked`.
   */
  async call<Op extends OpName>(
    op: Op,
    args: OpArgs<Op>,
    timeoutMs: number,
    locked = false,
  ): Promise<EngineReply<OpReply<Op>>> {
    if (!locked) await this.settle();
    let r = await this.engine.call(op, args, timeoutMs);
    const name = this.opts.name;
    const { afterFailure } = this.opts;
    if (!r.ok && r.notRun && !locked && afterFailure !== "end") {
      // The engine had stopped while idle and this call never ran: start another and run it there.
      // (A call under the lock may carry catch-up records the rebuilt engine already holds: its caller
      // decides, see planApplied.)
      this.opts.log(`zpm: the engine of memory '${name}' had stopped; starting another`);
      if (await this.rebuildInBackground()) r = await this.engine.call(op, args, timeoutMs);
    }
    if (r.ok || (r.kind !== "timeout" && r.kind !== "crash")) return r;
    const oneShotAnswer = { ok: false as const, kind: r.kind, error: `${r.error}; no knowledge was lost` };
    // A one-shot command ends with this answer: no engine is rebuilt for it.
    if (afterFailure === "end") return oneShotAnswer;
    if (afterFailure === "rebuild") {
      this.opts.log(`zpm: ${r.error}; rebuilding the engine of memory '${name}'`);
    }
    if (locked) await this.opts.rebuild(true);
    else this.rebuildInBackground();
    if (afterFailure === "quiet-rebuild") return oneShotAnswer;
    const detail = r.kind === "timeout" ? "" : " (the engine was restarted)";
    // Under the lock `notRun` stays: the caller may run the call again on the engine started from the store.
    const notRun = r.notRun && locked ? { notRun: true as const } : {};
    return { ok: false, kind: r.kind, error: `${r.error}${detail}; no knowledge was lost`, ...notRun };
  }

  /**
   * Start the engine again from the store; calls wait for it ({@link settle}). Resolves false (and
   * logs why) when that failed.
   */
  private rebuildInBackground(): Promise<boolean> {
    const done = this.opts.rebuild(false).then(() => true, (e) => {
      this.opts.log(`zpm: rebuilding memory '${this.opts.name}' failed: ${e}`);
      return false;
    });
    this.rebuilding = done.then(() => {}).finally(() => (this.rebuilding = null));
    return done;
  }

  /** Wait for an engine rebuild started after a timeout or crash. */
  async settle(): Promise<void> {
    while (this.rebuilding) await this.rebuilding;
  }

  /** Wait for a rebuild, then stop the engine. */
  async close(): Promise<void> {
    await this.settle();
    await this.current?.close();
  }
}
