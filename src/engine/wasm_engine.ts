/**
 * One swipl-wasm instance running the `zpm` Prolog module, called synchronously in this thread.
 * Used directly by one-shot CLI commands and, inside the engine host child process, by `serve`.
 */
import SWIPL from "swipl-wasm";
import { ZPM_PROLOG } from "./prolog/sources.ts";
import type { OpArgs, OpName, OpReply } from "./ops.ts";
import type { EngineReply } from "./types.ts";

/**
 * The part of swipl-wasm's Prolog object used here. Its published typings leave out `load_string`
 * and the `String` wrapper (which makes a JS string a Prolog string rather than an atom).
 */
interface Prolog {
  load_string(text: string, file: string): Promise<unknown>;
  query(goal: string, input?: Record<string, unknown>): { once(): RpcAnswer | null | undefined };
  String: new (text: string) => unknown;
}

/** What `once()` gives for `zpm:rpc/3`: the bindings, or an error/failure description. */
interface RpcAnswer {
  success?: boolean;
  error?: unknown;
  message?: unknown;
  Reply?: unknown;
}

/** A loaded Prolog engine; `rpc` never throws for Prolog-level errors. */
export class WasmEngine {
  private constructor(private readonly pl: Prolog) {}

  /** Load swipl-wasm and the zpm module. `maxKbBytes` caps the knowledge-base size. */
  static async create(maxKbBytes: number): Promise<WasmEngine> {
    // swipl-wasm's Emscripten loader reads `__dirname` under Node-like runtimes. Deno defines it for
    // CommonJS modules, but a single-file bundle (`deno bundle`) turns them into ESM without it; the
    // wasm is inlined in the package, so any directory will do.
    const g = globalThis as { __dirname?: string };
    g.__dirname ??= import.meta.dirname ?? ".";
    const swipl = await SWIPL({
      arguments: ["-q"],
      print: () => {},
      printErr: () => {},
    });
    const pl = swipl.prolog as unknown as Prolog;
    await pl.load_string(ZPM_PROLOG, "/zpm/zpm.pl");
    const engine = new WasmEngine(pl);
    const r = engine.rpc("setup", [maxKbBytes]);
    if (!r.ok) throw new Error(`engine set-up failed: ${r.error}`);
    return engine;
  }

  /** Run one operation of the Prolog `zpm:op_/3` table. */
  rpc<Op extends OpName>(op: Op, args: OpArgs<Op>): EngineReply<OpReply<Op>> {
    const pl = this.pl;
    const list = args.map((a) => typeof a === "string" ? new pl.String(a) : a);
    const r = pl.query("zpm:rpc(Op, Args, Reply)", { Op: op, Args: list }).once();
    if (!r || r.error || !r.success && r.Reply === undefined) {
      return { ok: false, kind: "exec", error: String(r?.message ?? "engine call failed") };
    }
    // The reply JSON has the shape `op` declares in the `Ops` table.
    return JSON.parse(String(r.Reply)) as EngineReply<OpReply<Op>>;
  }
}
