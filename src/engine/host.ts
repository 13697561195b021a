/**
 * The engine host: a child process (`zpm __engine-host`) that owns one swipl-wasm instance and
 * answers JSON lines `{"id","op","args"}` with `{"id","reply"}` on stdout. The parent kills it with
 * SIGKILL when a call passes its deadline, and rebuilds a fresh one from the journal.
 */
import { Buffer } from "node:buffer";
import { readLinesSync } from "../io/lines.ts";
import { WasmEngine } from "./wasm_engine.ts";
import type { EngineReply } from "./types.ts";
import { writeStdout } from "../io/output.ts";

/** Exit code used when the WASM instance died (out of memory, trap): the parent rebuilds. */
export const ENGINE_CRASH_EXIT = 70;

/**
 * Run the host loop until stdin closes. The first line is `{"state": <base64 boot state or null>, "want":
 * bool, "prime": bool}`: the parent passes the engine's cached boot state (see `boot_state.ts`), which this process,
 * holding no permissions, cannot read itself; with `want`, a state made from source comes back in the
 * `ready` message for the parent to cache.
 */
export async function runEngineHost(maxKbBytes: number): Promise<void> {
  // Blocking reads: the host has nothing else to do while it waits, and a blocking read wakes up for a
  // message at a fraction of the cost of the stream machinery (about 0.1 ms less CPU per call).
  const lines = readLinesSync((buf) => Deno.stdin.readSync(buf));
  const first = lines.next();
  if (first.done) return; // the parent went away before saying hello: nothing to serve
  let state: Uint8Array | null = null;
  let want = false;
  let prime = false;
  try {
    const hello = first.done ? {} : JSON.parse(first.value);
    if (typeof hello.state === "string") state = new Uint8Array(Buffer.from(hello.state, "base64"));
    want = hello.want === true;
    prime = hello.prime === true;
  } catch { /* no usable state: start from source */ }
  let made: Uint8Array | null = null;
  const engine = await WasmEngine.create(maxKbBytes, state, want ? (s) => (made = s) : undefined);
  const write = (o: unknown) => writeStdout(JSON.stringify(o) + "\n");
  // A state made from source goes to the parent, which may write the cache (this process may not).
  const fresh = made as Uint8Array | null;
  write(fresh ? { ready: true, state: Buffer.from(fresh).toString("base64") } : { ready: true });
  // A server's engine usually idles after start-up: do the first write's one-time work now.
  if (prime) engine.prime();
  for (const line of { [Symbol.iterator]: () => lines }) {
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
