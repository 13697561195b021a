/**
 * The engine host: a child process (`zpm __engine-host`) that owns one swipl-wasm instance and
 * answers JSON lines `{"id","op","args"}` with `{"id","reply"}` on stdout. The parent kills it with
 * SIGKILL when a call passes its deadline, and rebuilds a fresh one from the journal.
 */
import { readLines } from "../io/lines.ts";
import { WasmEngine } from "./wasm_engine.ts";
import type { EngineReply } from "./types.ts";

/** Exit code used when the WASM instance died (out of memory, trap): the parent rebuilds. */
export const ENGINE_CRASH_EXIT = 70;

/** Run the host loop until stdin closes. */
export async function runEngineHost(maxKbBytes: number): Promise<void> {
  const engine = await WasmEngine.create(maxKbBytes);
  const out = Deno.stdout;
  const enc = new TextEncoder();
  const write = (o: unknown) => {
    const bytes = enc.encode(JSON.stringify(o) + "\n");
    let off = 0;
    while (off < bytes.length) off += out.writeSync(bytes.subarray(off));
  };
  write({ ready: true });
  for await (const line of readLines(Deno.stdin.readable)) {
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
