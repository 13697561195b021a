/** Shared helpers for the truth-maintenance tests (real `zpm` processes via tests/helpers/zpm.ts). */
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { type CliResult, isolatedEnv, McpClient, runZpm, type ToolCallResult } from "../helpers/zpm.ts";

export { McpClient };
export { fingerprint } from "../helpers/zpm.ts";

/**
 * An environment that keeps zpm away from the real home directory but shares Deno's module cache,
 * so that spawned processes do not re-transpile the sources.
 */
export function env(dir: string): Record<string, string> {
  const home = Deno.env.get("HOME");
  const denoDir = Deno.env.get("DENO_DIR") ?? (home ? `${home}/.cache/deno` : undefined);
  return isolatedEnv(dir, denoDir ? { DENO_DIR: denoDir } : {});
}

/** A fresh temporary directory holding an initialised project. */
export async function tempProject(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "zpm-tms-" });
  const r = await cli(dir, ["init"]);
  if (r.code !== 0) throw new Error(`zpm init failed: ${r.stderr}`);
  return dir;
}

/** A project with a server running on it; `run` gets both and the server is always closed. */
export async function withServer(run: (mcp: McpClient, dir: string) => Promise<void>): Promise<void> {
  const dir = await tempProject();
  const mcp = await serve(dir);
  try {
    await run(mcp, dir);
  } finally {
    await mcp.close();
  }
}

/** Start `zpm serve` in `dir`. */
export async function serve(dir: string): Promise<McpClient> {
  return await McpClient.start({ cwd: dir, env: env(dir) });
}

/** Run one CLI command in `dir`. */
export async function cli(dir: string, args: string[]): Promise<CliResult> {
  return await runZpm(args, { cwd: dir, env: env(dir) });
}

/** The default memory's journal as bytes ("" when it does not exist yet). */
export async function journal(dir: string): Promise<string> {
  try {
    return await Deno.readTextFile(`${dir}/.zpm/data/journal.wal`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  }
}

/** The journal's transactions (one JSON line each). */
export async function transactions(dir: string): Promise<{ records: { op: string; clause: string }[] }[]> {
  return (await journal(dir)).split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/** The texts of a result with its error flag, for exact comparison. */
export function view(r: ToolCallResult): { isError: boolean; texts: string[] } {
  return { isError: r.isError, texts: r.content.map((c) => c.text) };
}

/** Assert a successful result with exactly these text blocks. */
export function assertOk(r: ToolCallResult, ...texts: string[]): void {
  deepStrictEqual(view(r), { isError: false, texts });
}

/** Assert an error result with exactly this one text block. */
export function assertErr(r: ToolCallResult, text: string): void {
  deepStrictEqual(view(r), { isError: true, texts: [text] });
}

/** Call a tool, assert success, and parse its only text block as JSON. */
// deno-lint-ignore no-explicit-any
export async function json(mcp: McpClient, tool: string, args: unknown = {}): Promise<any> {
  const r = await mcp.call(tool, args);
  strictEqual(r.isError, false, `${tool} ${JSON.stringify(args)} failed: ${JSON.stringify(r)}`);
  strictEqual(r.content.length, 1, JSON.stringify(r));
  return JSON.parse(r.content[0].text);
}

/** Solutions of a query (limit 10000), parsed. */
// deno-lint-ignore no-explicit-any
export async function query(mcp: McpClient, goal: string): Promise<any[]> {
  return await json(mcp, "query_logic", { goal, limit: 10000 });
}

/** Number of solutions of a goal, counted inside Prolog (no cap). */
export async function count(mcp: McpClient, goal: string): Promise<number> {
  const [s] = await query(mcp, `aggregate_all(count, (${goal}), N)`);
  return s.N;
}
