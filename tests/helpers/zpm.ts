/**
 * Test harness: runs the real zpm entry point as a subprocess, as a user or an MCP client would.
 * `runZpm` runs one CLI command; `McpClient` drives `zpm serve` over newline-delimited JSON-RPC.
 */
import { readLines } from "../../src/io/lines.ts";

// The CLI tests run every command in its own process (no warm engine left behind) unless a test sets
// ZPM_DAEMON itself (tests/daemon/ does) or the whole suite is run with ZPM_DAEMON set.
if (Deno.env.get("ZPM_DAEMON") === undefined) Deno.env.set("ZPM_DAEMON", "off");

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
/** Permissions the program needs (same as `deno task zpm`). */
export const PERMS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys=osRelease,uid",
  "--allow-net=127.0.0.1",
];

/** The command that starts zpm with extra arguments. */
export function zpmCommand(args: string[]): { cmd: string; args: string[] } {
  return { cmd: Deno.execPath(), args: ["run", "--quiet", `--config=${CONFIG}`, ...PERMS, MAIN, ...args] };
}

/** Result of a CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for running zpm. */
export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  stdin?: string;
}

/** A fresh temporary directory holding an initialised project. */
export async function tempProject(init = true): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "zpm-test-" });
  if (init) {
    const r = await runZpm(["init"], { cwd: dir });
    if (r.code !== 0) throw new Error(`zpm init failed: ${r.stderr}`);
  }
  return dir;
}

/**
 * The engine boot-state cache shared by the test runs (src/engine/boot_state.ts): one per machine, so a
 * fresh HOME per test does not rebuild it in every test. `ZPM_ENGINE_CACHE` overrides it.
 */
export const TEST_ENGINE_CACHE = Deno.env.get("ZPM_ENGINE_CACHE") ??
  `${Deno.env.get("TMPDIR") ?? "/tmp"}/zpm-test-engine-cache`;

/** An environment that keeps zpm away from the real home directory. */
export function isolatedEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { HOME: dir, XDG_DATA_HOME: `${dir}/.xdg`, ZPM_ENGINE_CACHE: TEST_ENGINE_CACHE, ...extra };
}

/** Run `zpm <args>` to completion. */
export async function runZpm(args: string[], opts: RunOptions): Promise<CliResult> {
  const { cmd, args: full } = zpmCommand(args);
  const child = new Deno.Command(cmd, {
    args: full,
    cwd: opts.cwd,
    env: opts.env ?? isolatedEnv(opts.cwd),
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A tool call's result as a client sees it. */
export interface ToolCallResult {
  content: { type: string; text: string }[];
  isError: boolean;
}

/** An MCP client talking to `zpm serve` over stdio. */
export class McpClient {
  private nextId = 1;
  private waiting = new Map<number | string | null, (msg: Record<string, unknown>) => void>();
  /** Messages that answered no request of ours (e.g. errors with id null). */
  readonly stray: Record<string, unknown>[] = [];
  private stderrText = "";
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly done: Promise<void>;

  private constructor(readonly child: Deno.ChildProcess) {
    this.writer = child.stdin.getWriter();
    this.done = this.pump();
    (async () => {
      for await (const line of readLines(child.stderr)) this.stderrText += line + "\n";
    })();
  }

  /** Start `zpm serve` in `cwd` and perform the initialize handshake (unless `handshake` is false). */
  static async start(
    opts: RunOptions & { args?: string[]; handshake?: boolean },
  ): Promise<McpClient> {
    const { cmd, args } = zpmCommand(["serve", ...(opts.args ?? [])]);
    const child = new Deno.Command(cmd, {
      args,
      cwd: opts.cwd,
      env: opts.env ?? isolatedEnv(opts.cwd),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const client = new McpClient(child);
    if (opts.handshake !== false) {
      const init = await client.request("initialize", {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "zpm-tests", version: "1" },
      });
      if (init.error) throw new Error(`initialize failed: ${JSON.stringify(init.error)}`);
      await client.notify("notifications/initialized");
    }
    return client;
  }

  private async pump() {
    for await (const line of readLines(this.child.stdout)) {
      if (!line.trim()) continue;
      const msg = JSON.parse(line);
      const resolve = this.waiting.get(msg.id);
      if (resolve && msg.id !== null) {
        this.waiting.delete(msg.id);
        resolve(msg);
      } else this.stray.push(msg);
    }
    // The server is gone: fail whatever is still waiting, with the end of what it said on stderr.
    const said = this.stderrText.slice(-2000);
    for (const resolve of this.waiting.values()) {
      resolve({
        jsonrpc: "2.0",
        id: null,
        error: { code: -1, message: `server exited before answering; its stderr ends: ${said}` },
      });
    }
    this.waiting.clear();
  }

  /** Everything the server wrote to stderr so far. */
  get stderr(): string {
    return this.stderrText;
  }

  /** Write raw text to the server's stdin. */
  async sendRaw(text: string): Promise<void> {
    await this.writer.write(new TextEncoder().encode(text));
  }

  /** Send a JSON-RPC request and wait for its response message. */
  request(method: string, params?: unknown): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const p = new Promise<Record<string, unknown>>((resolve) => this.waiting.set(id, resolve));
    this.sendRaw(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n").catch(() => {
      this.waiting.get(id)?.({ jsonrpc: "2.0", id, error: { code: -1, message: "server stdin is closed" } });
      this.waiting.delete(id);
    });
    return p;
  }

  /** Send a notification. */
  async notify(method: string, params?: unknown): Promise<void> {
    await this.sendRaw(JSON.stringify({ jsonrpc: "2.0", method, params }) + "\n");
  }

  /** Call a tool; throws on a JSON-RPC error. */
  async call(name: string, args?: unknown): Promise<ToolCallResult> {
    const r = await this.request("tools/call", { name, arguments: args });
    if (r.error) throw new Error(`tools/call ${name} failed: ${JSON.stringify(r.error)}`);
    return r.result as ToolCallResult;
  }

  /** Call a tool and return its first text block. */
  async text(name: string, args?: unknown): Promise<string> {
    return (await this.call(name, args)).content[0].text;
  }

  /** Close stdin, wait for exit, return the exit code. */
  async close(): Promise<number> {
    try {
      await this.writer.close();
    } catch { /* already closed */ }
    const status = await this.child.status;
    await this.done;
    return status.code;
  }

  /** SIGKILL the server. */
  async kill(): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch { /* gone */ }
    await this.child.status;
  }
}

/** Every clause of the given predicates plus zpm_source/2, as sorted text: a fingerprint of the state. */
export async function fingerprint(mcp: McpClient, preds: string[]): Promise<string[]> {
  const all = [...preds, "zpm_source/2", "tms_justification/2"];
  const goal = `member(F/A, [${
    all.join(", ")
  }]), functor(H, F, A), clause(H, B), copy_term((H:-B), C), numbervars(C, 0, _), format(atom(T), "~W", [C, [quoted(true), numbervars(true)]])`;
  const r = await mcp.call("query_logic", { goal, limit: 10000 });
  if (r.isError) throw new Error(r.content[0].text);
  const sols = JSON.parse(r.content[0].text) as { T: string }[];
  return sols.map((s) => s.T).sort();
}
