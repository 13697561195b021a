/**
 * Parent side of the engine host: runs engine operations in a child process with a hard
 * wall-clock deadline. A call that passes its deadline kills the child with SIGKILL; the engine is
 * then dead and its owner rebuilds a new one (see `KnowledgeBase`).
 */
import { Buffer } from "node:buffer";
import { readLines } from "../io/lines.ts";
import { bootStateCacheable, readBootState, writeBootState } from "./boot_state.ts";
import type { OpArgs, OpName, OpReply } from "./ops.ts";
import type { Engine, EngineReply } from "./types.ts";

/** The command line that starts an engine host from this very program. */
export function engineHostCommand(maxKbBytes: number): { cmd: string; args: string[] } {
  const tail = ["__engine-host", `--max-kb-bytes=${maxKbBytes}`];
  if (Deno.build.standalone) return { cmd: Deno.execPath(), args: tail };
  // In a single-file bundle (`deno bundle`) this code is the main module and no deno.json is beside
  // it: run the bundle without any config, never one found in the user's working directory.
  const config = import.meta.url === Deno.mainModule
    ? "--no-config"
    : `--config=${new URL("../../deno.json", import.meta.url).pathname}`;
  return { cmd: Deno.execPath(), args: ["run", "--quiet", "--no-prompt", config, Deno.mainModule, ...tail] };
}

/** An engine host started ahead of need (see {@link startEngineEarly}), with its size cap. */
let early: { maxKbBytes: number; child: Deno.ChildProcess; engine: Promise<ProcessEngine> } | null = null;

/**
 * Start an engine host now, for the next {@link ProcessEngine.start} with the same size cap to take: a
 * one-shot CLI command calls this before it loads the rest of zpm, so the two overlap.
 */
export function startEngineEarly(maxKbBytes: number): void {
  early = { maxKbBytes, ...ProcessEngine.launch(maxKbBytes) };
  early.engine.catch(() => {});
}

/** Kill an engine host started early that nothing took (the command ended without needing it). */
export function stopEarlyEngine(): void {
  try {
    early?.child.kill("SIGKILL");
  } catch { /* already gone */ }
  early = null;
}

/** An engine in a child process. */
export class ProcessEngine implements Engine {
  private seq = 0;
  private dead = false;
  private pending = new Map<number, (r: EngineReply) => void>();

  private constructor(
    private readonly child: Deno.ChildProcess,
    private readonly writer: WritableStreamDefaultWriter<Uint8Array>,
  ) {}

  /**
   * Spawn a host (or take the one started early) and wait until its engine is loaded; with `prime` the host
   * then does, before its first call, the one-time work a first write would pay (for servers, whose engines
   * start ahead of calls).
   */
  static async start(maxKbBytes: number, prime = false): Promise<ProcessEngine> {
    if (!prime && early?.maxKbBytes === maxKbBytes) {
      const ready = early.engine;
      early = null;
      const engine = await ready.catch(() => null);
      if (engine && !engine.dead) return engine;
    }
    return await ProcessEngine.launch(maxKbBytes, prime).engine;
  }

  /** Spawn a host at once; `engine` resolves when its engine is loaded. */
  static launch(
    maxKbBytes: number,
    prime = false,
  ): { child: Deno.ChildProcess; engine: Promise<ProcessEngine> } {
    const { cmd, args } = engineHostCommand(maxKbBytes);
    const child = new Deno.Command(cmd, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const engine = new ProcessEngine(child, child.stdin.getWriter());
    return { child, engine: engine.boot(prime) };
  }

  private async boot(prime: boolean): Promise<ProcessEngine> {
    const state = await readBootState();
    const hello = JSON.stringify({
      state: state ? Buffer.from(state).toString("base64") : null,
      want: bootStateCacheable(),
      prime,
    });
    await this.writer.write(new TextEncoder().encode(hello + "\n")).catch(() => {});
    const ready = Promise.withResolvers<void>();
    this.pump(ready);
    this.child.status.then(() => this.onExit(ready));
    await ready.promise;
    return this;
  }

  private async pump(ready: PromiseWithResolvers<void>) {
    try {
      for await (const line of readLines(this.child.stdout)) {
        if (!line.trim()) continue;
        const msg = JSON.parse(line);
        if (msg.ready) {
          if (typeof msg.state === "string") {
            await writeBootState(new Uint8Array(Buffer.from(msg.state, "base64"))).catch(() => {});
          }
          ready.resolve();
          continue;
        }
        const resolve = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        resolve?.(msg.reply);
      }
    } catch { /* the child died; onExit answers what is pending */ }
  }

  private onExit(ready: PromiseWithResolvers<void>) {
    this.dead = true;
    ready.reject(new Error("the engine host process exited during start-up"));
    for (const resolve of this.pending.values()) {
      resolve({ ok: false, kind: "crash", error: "the engine process died during the call" });
    }
    this.pending.clear();
  }

  /** Run one operation; past `timeoutMs` the child is killed and a timeout reply returned. */
  async call<Op extends OpName>(
    op: Op,
    args: OpArgs<Op>,
    timeoutMs = 0,
  ): Promise<EngineReply<OpReply<Op>>> {
    if (this.dead) {
      return { ok: false, kind: "crash", error: "the engine process is not running", notRun: true };
    }
    const id = ++this.seq;
    // The host answers with the reply `op` has in the `Ops` table (JSON from the Prolog side).
    const reply = new Promise<EngineReply<OpReply<Op>>>((resolve) =>
      this.pending.set(id, resolve as (r: EngineReply) => void)
    );
    try {
      await this.writer.write(new TextEncoder().encode(JSON.stringify({ id, op, args }) + "\n"));
    } catch {
      // The child died and its exit has not been noticed yet (a broken pipe): the call never reached it.
      this.pending.delete(id);
      this.kill();
      return {
        ok: false,
        kind: "crash",
        error: "the engine process had stopped before the call",
        notRun: true,
      };
    }
    if (!timeoutMs) return await reply;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<EngineReply<OpReply<Op>>>((resolve) => {
      timer = setTimeout(() => {
        this.kill();
        resolve({
          ok: false,
          kind: "timeout",
          error: `time limit (${timeoutMs} ms) exceeded: the goal was stopped`,
        });
      }, timeoutMs);
    });
    try {
      return await Promise.race([reply, timeout]);
    } finally {
      clearTimeout(timer);
      this.pending.delete(id);
    }
  }

  private kill() {
    this.dead = true;
    try {
      this.child.kill("SIGKILL");
    } catch { /* already gone */ }
  }

  /** Stop the child and wait for it. */
  async close(): Promise<void> {
    if (!this.dead) {
      try {
        await this.writer.close();
      } catch { /* ignore */ }
      this.kill();
    }
    await this.child.status;
  }
}
