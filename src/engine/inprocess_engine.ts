/** An engine running in this thread (CLI one-shot commands): no wall-clock deadline. */
import { WasmEngine } from "./wasm_engine.ts";
import type { OpArgs, OpName, OpReply } from "./ops.ts";
import type { Engine, EngineReply } from "./types.ts";

/** Wraps a `WasmEngine`; a trap (instance death) is reported as a crash and the engine is dead. */
export class InProcessEngine implements Engine {
  private dead = false;
  private constructor(private readonly engine: WasmEngine) {}

  /** Load a fresh instance. */
  static async start(maxKbBytes: number): Promise<InProcessEngine> {
    return new InProcessEngine(await WasmEngine.create(maxKbBytes));
  }

  /** Run one operation synchronously (the timeout is not enforceable in-process). */
  call<Op extends OpName>(op: Op, args: OpArgs<Op>): Promise<EngineReply<OpReply<Op>>> {
    if (this.dead) {
      return Promise.resolve({ ok: false, kind: "crash", error: "the engine instance died" });
    }
    try {
      return Promise.resolve(this.engine.rpc(op, args));
    } catch (e) {
      this.dead = true;
      return Promise.resolve({
        ok: false,
        kind: "crash",
        error: `engine instance died: ${String(e)}`,
      });
    }
  }

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
