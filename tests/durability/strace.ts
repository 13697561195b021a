/**
 * Tracing the real `zpm serve` with `strace -f -y` for the syscall-order proofs: a parser that joins
 * `<unfinished ...>`/`<... resumed>` pairs, a minimal MCP client on the traced server (one request at a
 * time, or many in flight), and lookups of reply writes and of syscalls between two trace lines.
 */
import { strictEqual } from "node:assert/strict";
import { zpmCommand } from "../helpers/zpm.ts";
import { env } from "../e2e/_helpers.ts";
import { readLines } from "../../src/io/lines.ts";

/** strace is installed and may trace here (ptrace can be forbidden in some containers). */
export const hasStrace = await new Deno.Command("strace", {
  args: ["-f", "-o", "/dev/null", "true"],
  stdout: "null",
  stderr: "null",
})
  .output().then((r) => r.success, () => false);

/** One traced syscall: its text (entry and result joined), and where it entered and returned. */
export interface Sys {
  call: string;
  text: string;
  entry: number;
  exit: number;
  result: string;
}

/** Parse `strace -f -y` output, joining `<unfinished ...>` / `<... resumed>` pairs per thread. */
export function parseTrace(trace: string): Sys[] {
  const out: Sys[] = [];
  const pending = new Map<string, { text: string; entry: number }>();
  const lines = trace.split("\n");
  lines.forEach((line, i) => {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) return;
    const [, pid, rest] = m;
    if (rest.endsWith("<unfinished ...>")) {
      pending.set(pid, { text: rest.slice(0, -"<unfinished ...>".length), entry: i });
      return;
    }
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(rest);
    let text = rest;
    let entry = i;
    if (resumed) {
      const p = pending.get(pid);
      if (!p) return;
      pending.delete(pid);
      text = p.text + resumed[2];
      entry = p.entry;
    }
    const call = /^(\w+)\(/.exec(text)?.[1];
    if (!call) return;
    const result = /\s=\s(-?\d+|\?)(?:\s+[A-Z]+\s+\(.*\))?$/.exec(text)?.[1] ?? "?";
    out.push({ call, text, entry, exit: i, result });
  });
  return out;
}

/** A minimal MCP client on a traced server: one request at a time. */
export class TracedServer {
  private id = 0;
  private readonly lines: AsyncIterator<string>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private constructor(readonly child: Deno.ChildProcess) {
    this.lines = readLines(child.stdout)[Symbol.asyncIterator]();
    this.writer = child.stdin.getWriter();
  }

  /** Start `zpm serve` in `dir` under strace, writing the trace to `traceFile`, with `extraEnv` set. */
  static async start(
    dir: string,
    traceFile: string,
    extraEnv: Record<string, string> = {},
  ): Promise<TracedServer> {
    const { cmd, args } = zpmCommand(["serve"]);
    const child = new Deno.Command("strace", {
      args: [
        "-f",
        "-y",
        "-s",
        "2000",
        "-e",
        "trace=write,fdatasync,fsync,rename,renameat,renameat2",
        "-o",
        traceFile,
        cmd,
        ...args,
      ],
      cwd: dir,
      env: env(dir, extraEnv),
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const s = new TracedServer(child);
    await s.request("initialize", {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "strace-test", version: "1" },
    });
    await s.writer.write(
      new TextEncoder().encode('{"jsonrpc":"2.0","method":"notifications/initialized"}\n'),
    );
    return s;
  }

  /** Send a request and return [its id, its result]. */
  async request(method: string, params: unknown): Promise<[number, Record<string, unknown>]> {
    const [id] = await this.send([{ method, params }]);
    return [id, (await this.replies([id])).get(id)!];
  }

  /** Send several requests in one write (all in flight at once); returns their ids in order. */
  async send(requests: { method: string; params: unknown }[]): Promise<number[]> {
    const ids = requests.map(() => ++this.id);
    const text = requests.map((r, i) => JSON.stringify({ jsonrpc: "2.0", id: ids[i], ...r }) + "\n").join("");
    await this.writer.write(new TextEncoder().encode(text));
    return ids;
  }

  /** Wait for the replies to `ids` (in any order); other messages are skipped. */
  async replies(ids: number[]): Promise<Map<number, Record<string, unknown>>> {
    const want = new Set(ids);
    const got = new Map<number, Record<string, unknown>>();
    while (got.size < want.size) {
      const next = await this.lines.next();
      if (next.done) throw new Error(`server exited before answering requests ${ids.join(", ")}`);
      const msg = JSON.parse(next.value);
      if (want.has(msg.id)) got.set(msg.id, msg);
    }
    return got;
  }

  /** Call a tool that must succeed; returns the request id. */
  async tool(name: string, args: Record<string, unknown>): Promise<number> {
    const [id, msg] = await this.request("tools/call", { name, arguments: args });
    const result = msg.result as { isError: boolean; content: { text: string }[] };
    strictEqual(result?.isError, false, `${name}: ${JSON.stringify(msg)}`);
    return id;
  }

  async close(): Promise<void> {
    await this.writer.close();
    await this.child.status;
  }
}

/** Index (entry) of the write of the reply to request `id` on stdout. */
export function replyWrite(sys: Sys[], id: number): Sys {
  // the initialize reply is longer than strace's -s, so it is found by its start
  const needle = id === 1
    ? '{\\"result\\":{\\"protocolVersion\\"'
    : `\\"jsonrpc\\":\\"2.0\\",\\"id\\":${id}}`;
  const w = sys.find((s) => s.call === "write" && /^write\(1</.test(s.text) && s.text.includes(needle));
  if (!w) throw new Error(`no write of the reply to request ${id} on fd 1 in the trace`);
  return w;
}

/** The first syscall in (after, before) matching `pred` that returned without error, or a clear failure. */
export function findOk(
  sys: Sys[],
  after: number,
  before: number,
  what: string,
  pred: (s: Sys) => boolean,
): Sys {
  const s = sys.find((s) => s.entry > after && s.exit < before && pred(s) && !s.result.startsWith("-"));
  if (!s) throw new Error(`${what}: not found between trace lines ${after} and ${before}`);
  return s;
}
