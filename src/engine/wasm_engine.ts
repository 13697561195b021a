/**
 * One swipl-wasm instance running the `zpm` Prolog module, called synchronously in this thread.
 * Used directly by one-shot CLI commands and, inside the engine host child process, by `serve`.
 */
import SWIPL from "swipl-wasm";
import { ZPM_PROLOG } from "./prolog/sources.ts";
import { bootStateCacheable, discardBootState, readBootState, writeBootState } from "./boot_state.ts";
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
  /** Low level (swipl-wasm's own, untyped there): term references, conversion, a query of a predicate. */
  bindings: { PL_open_foreign_frame(): number };
  PL_Q_CATCH_EXCEPTION: number;
  new_term_ref(n: number): number;
  predicate(spec: string): number;
  toProlog(value: unknown, term: number, ctx?: { string?: "string" }): unknown;
  toJSON(term: number): unknown;
  __query(
    module: string,
    flags: number,
    pred: number,
    argv: number,
    map: (argv: number) => RpcAnswer,
    frame: number,
  ): { once(): RpcAnswer | null | undefined };
}

/** The part of swipl-wasm's Emscripten module used here (its in-memory file system). */
interface SwiplModule {
  prolog: unknown;
  FS: {
    writeFile(path: string, data: Uint8Array): void;
    readFile(path: string): Uint8Array;
    unlink(path: string): void;
  };
}

const STATE_PATH = "/zpm-boot.prc";

/** Start swipl-wasm with `args`; `state` is put in its file system at `STATE_PATH` first. */
async function startSwipl(args: string[], state?: Uint8Array): Promise<SwiplModule> {
  const options = {
    arguments: args,
    print: () => {},
    printErr: () => {},
    preRun: state ? [(m: SwiplModule) => m.FS.writeFile(STATE_PATH, state)] : [],
  };
  return await SWIPL(options as unknown as Parameters<typeof SWIPL>[0]) as unknown as SwiplModule;
}

/** An engine started from `given` or the cached boot state, or null (a bad cached state is discarded). */
async function fromBootState(given?: Uint8Array | null): Promise<Prolog | null> {
  const state = given === undefined ? await readBootState() : given;
  if (!state) return null;
  try {
    const swipl = await startSwipl(["-q", "-x", STATE_PATH], state);
    const pl = swipl.prolog as Prolog;
    if (pl.query("current_predicate(zpm:rpc/4)").once()?.success) return pl;
  } catch { /* fall through: start from source */ }
  if (given === undefined) await discardBootState();
  return null;
}

/**
 * An engine that consulted zpm's Prolog from source. It saves a boot state for later starts: into the
 * cache when this process may write it, else hands it to `keep` (the engine host passes it to its
 * parent, which holds the permissions).
 */
async function fromSource(keep?: (state: Uint8Array) => void): Promise<Prolog> {
  const swipl = await startSwipl(["-q"]);
  const pl = swipl.prolog as Prolog;
  await pl.load_string(ZPM_PROLOG, "/zpm/zpm.pl");
  const cacheable = bootStateCacheable();
  if (!cacheable && !keep) return pl;
  const saved = pl.query(
    `catch(qsave_program('${STATE_PATH}', [autoload(false), stand_alone(false)]), _, fail)`,
  ).once();
  if (saved?.success) {
    try {
      const bytes = swipl.FS.readFile(STATE_PATH);
      swipl.FS.unlink(STATE_PATH);
      if (cacheable) await writeBootState(bytes);
      else keep?.(bytes);
    } catch { /* caching is best effort */ }
  }
  return pl;
}

/** What `once()` gives for `zpm:rpc/4`: the bindings, or an error/failure description. */
interface RpcAnswer {
  success?: boolean;
  error?: unknown;
  message?: unknown;
  Reply?: unknown;
  Blobs?: unknown[];
}

/** Put the big strings `zpm:rpc/4` returned apart back where their placeholders `{"\u0000": K}` are. */
function fillBlobs(v: unknown, blobs: string[]): unknown {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = fillBlobs(v[i], blobs);
    return v;
  }
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  const k = o["\u0000"];
  if (typeof k === "number" && Object.keys(o).length === 1) return blobs[k];
  for (const key of Object.keys(o)) o[key] = fillBlobs(o[key], blobs);
  return o;
}

/** A loaded Prolog engine; `rpc` never throws for Prolog-level errors. */
export class WasmEngine {
  private rpcPred: number | undefined;
  private constructor(private readonly pl: Prolog) {}

  /**
   * Load swipl-wasm and the zpm module. `maxKbBytes` caps the knowledge-base size. The module comes from
   * the cached boot state when there is a good one (see `boot_state.ts`), else from source, after which
   * a state is saved for the next start. A `state` given by the caller (the engine host, which may not
   * read the cache itself) is used instead of the cache; `null` means none.
   */
  static async create(
    maxKbBytes: number,
    state?: Uint8Array | null,
    keep?: (state: Uint8Array) => void,
  ): Promise<WasmEngine> {
    // swipl-wasm's Emscripten loader reads `__dirname` under Node-like runtimes. Deno defines it for
    // CommonJS modules, but a single-file bundle (`deno bundle`) turns them into ESM without it; the
    // wasm is inlined in the package, so any directory will do.
    const g = globalThis as { __dirname?: string };
    g.__dirname ??= import.meta.dirname ?? ".";
    const pl = await fromBootState(state) ?? await fromSource(keep);
    const engine = new WasmEngine(pl);
    const r = engine.rpc("setup", [maxKbBytes]);
    if (!r.ok) throw new Error(`engine set-up failed: ${r.error}`);
    return engine;
  }

  /**
   * Do now, while idle, the autoloader's library index check that the first write of a new predicate
   * would otherwise pay (see `fresh_library_index` in plan.pl). Best effort.
   */
  prime(): void {
    try {
      this.pl.query("zpm:fresh_library_index").once();
    } catch { /* the first write does it instead */ }
  }

  /** Run one operation of the Prolog `zpm:op_/3` table. */
  rpc<Op extends OpName>(op: Op, args: OpArgs<Op>): EngineReply<OpReply<Op>> {
    // zpm:rpc/4 called directly: `query()` would parse a goal text and convert every binding back,
    // the arguments too, on every call.
    const pl = this.pl;
    const frame = pl.bindings.PL_open_foreign_frame();
    const argv = pl.new_term_ref(4);
    pl.toProlog(op, argv); // an atom
    pl.toProlog(args, argv + 1, { string: "string" });
    const answer = (a: number): RpcAnswer => ({
      Reply: pl.toJSON(a + 2),
      Blobs: pl.toJSON(a + 3) as unknown[],
    });
    this.rpcPred ??= pl.predicate("zpm:rpc/4");
    const r = pl.__query("zpm", pl.PL_Q_CATCH_EXCEPTION, this.rpcPred, argv, answer, frame).once();
    if (!r || r.error || r.Reply === undefined) {
      return { ok: false, kind: "exec", error: String(r?.message ?? "engine call failed") };
    }
    // The reply JSON has the shape `op` declares in the `Ops` table.
    const reply = JSON.parse(String(r.Reply));
    const blobs = r.Blobs ?? [];
    return (blobs.length === 0 ? reply : fillBlobs(reply, blobs.map(String))) as EngineReply<OpReply<Op>>;
  }
}
