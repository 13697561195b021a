/** Test harness for `zpm serve --http`: start the real program on a free port, connect SDK clients. */
// @deno-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @deno-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { isolatedEnv, runZpm } from "../helpers/zpm.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const PERMS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys=osRelease",
  "--allow-net",
];

/** A running `zpm serve --http` child. */
export interface HttpServer {
  url: string;
  port: number;
  child: Deno.ChildProcess;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM and wait; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/** The token file tests use (inside the project directory, never the real home). */
export function tokenFile(dir: string): string {
  return `${dir}/tokens.json`;
}

/** Start `zpm serve --http 127.0.0.1:0` in project `dir` (extra flags after). */
export async function startServer(dir: string, extra: string[] = []): Promise<HttpServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      `--config=${CONFIG}`,
      ...PERMS,
      MAIN,
      "serve",
      "--http",
      "127.0.0.1:0",
      "--token-file",
      tokenFile(dir),
      ...extra,
    ],
    cwd: dir,
    env: isolatedEnv(dir),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${text}`)), 60_000);
    (async () => {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
        const m = /listening on port (\d+)/.exec(text);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      }
      clearTimeout(timer);
      reject(new Error(`server exited: ${text}`));
    })().catch(() => {});
  });
  const status = child.status;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    child,
    stderr: () => text,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      return (await status).code;
    },
  };
}

/** Create a token with the CLI; returns it. */
export async function createToken(dir: string, name: string, flags: string[] = []): Promise<string> {
  const r = await runZpm(["token", "create", name, "--token-file", tokenFile(dir), ...flags], { cwd: dir });
  if (r.code !== 0) throw new Error(`token create failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** A connected SDK client (with a bearer token when given). */
export async function connect(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: "http-test", version: "1" });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : undefined,
  });
  await client.connect(transport);
  return client;
}

/** The text of a tool result. */
export function textOf(r: unknown): string {
  const c = (r as { content?: { type: string; text?: string }[] }).content ?? [];
  return c.map((b) => b.text ?? "").join("\n");
}
