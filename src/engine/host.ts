/**
 * The engine host: a child process (`zpm __engine-host`) that owns one swipl-wasm instance and
 * answers JSON lines `{"id","op","args"}` with `{"id","reply"}` on stdout. The parent kills it with
 * SIGKILL when a call passes its deadline, and rebuilds a fresh one from the journal.
 */
import { Buffer } from "node:buffer";
import { readLines } from "../io/lines.ts";
import { WasmEngine } from "./wasm_engine.ts";
import type { EngineReply } from "./types.ts";

/** Exit code used when the WASM instance died (out of memory, trap): the parent rebuilds. */
export const ENGINE_CRASH_EXIT = 70;

/**
 * Run the host loop until stdin closes. The first line is `{"state": <base64 boot state or null>}`: the
 * parent passes the engine's cached boot state (see `boot_state.ts`), which this process, holding no
 * permissions, cannot read itself.
 */
export async function runEngineHost(maxKbBytes: number): Promise<void> {
  const lines = readLines(Deno.stdin.readable)[Symbol.asyncIterator]();
  const first = await lines.next();
  let state: Uint8Array | null = null;
  try {
    const b64 = first.done ? null : JSON.parse(first.value).state;
    if (typeof b64 === "string") state = new Uint8Array(Buffer.from(b64, "base64"));
  } catch { /* no usable state: start from source */ }
  const engine = await WasmEngine.create(maxKbBytes, state);
  const out = Deno.stdout;
  const enc = new TextEncoder();
  const write = (o: unknown) => {
    const bytes = enc.encode(JSON.stringify(o) + "\n");
    let off = 0;
    while (off < bytes.length) off += out.writeSync(bytes.subarray(off));
  };
  write({ ready: true });
  for await (const line of { [Symbol.asyncIterator]: () => lines }) {
    if (!line.trim()) continue;
    const { id, op, args } = JSON.parse(line);
    let reply: EngineReply;
    try {
      reply = engine.rpc(op, args);
    } catch (e) {
      write({ id, reply: { ok: false, kind: "crash", error: `engine instance died: ${String(e)}` } });
      Deno.exit(ENGINE_CRASH_EXIT);
    }
    write({ id, reply });
  }
}
