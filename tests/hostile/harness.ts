/**
 * Helpers for the hostile sweep: an isolated file-system layout (HOME, XDG_DATA_HOME and the project
 * under one temporary root), a listing of everything outside the project, response checks, CLI argv
 * from generated arguments, and a fingerprint of every memory's knowledge base.
 */
import { join } from "node:path";
import { type McpClient, runZpm, TEST_ENGINE_CACHE } from "../helpers/zpm.ts";
import { paramsOf, type ToolSpec } from "../../src/tools/types.ts";

/** A temporary root holding home, XDG data and a project (`<root>/work/proj`). */
export interface Sandbox {
  root: string;
  home: string;
  xdg: string;
  project: string;
  env: Record<string, string>;
}

/** Create a sandbox with an initialised project and a few decoy files around it. */
export async function makeSandbox(prefix: string): Promise<Sandbox> {
  const root = await Deno.makeTempDir({ prefix });
  const home = join(root, "home");
  const xdg = join(root, "xdg");
  const project = join(root, "work", "proj");
  for (const d of [home, xdg, project]) await Deno.mkdir(d, { recursive: true });
  await Deno.writeTextFile(join(root, "work", "sibling.txt"), "do not touch\n");
  await Deno.writeTextFile(join(home, ".profile"), "# decoy\n");
  const home0 = Deno.env.get("HOME");
  const denoDir = Deno.env.get("DENO_DIR") ?? (home0 ? `${home0}/.cache/deno` : undefined);
  const env: Record<string, string> = {
    HOME: home,
    XDG_DATA_HOME: xdg,
    ZPM_PROJECT: "",
    // The engine's boot-state cache is a per-user cache, not something a tool call writes: keep it
    // outside the watched tree.
    ZPM_ENGINE_CACHE: TEST_ENGINE_CACHE,
    ...(denoDir ? { DENO_DIR: denoDir } : {}),
  };
  const r = await runZpm(["init"], { cwd: project, env });
  if (r.code !== 0) throw new Error(`zpm init failed: ${r.stderr}`);
  return { root, home, xdg, project, env };
}

/** One file-system entry as listed. */
export interface Entry {
  kind: "file" | "dir" | "link";
  size: number;
  mtime: number;
}

/** Every path under `dir` (relative), except those under `skip`. */
export async function listTree(dir: string, skip: string[] = []): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const walk = async (abs: string, rel: string) => {
    for await (const e of Deno.readDir(abs)) {
      const a = join(abs, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip.includes(a)) continue;
      const st = await Deno.lstat(a);
      out.set(r, {
        kind: st.isSymlink ? "link" : st.isDirectory ? "dir" : "file",
        size: st.isDirectory ? 0 : st.size,
        mtime: st.mtime?.getTime() ?? 0,
      });
      if (st.isDirectory) await walk(a, r);
    }
  };
  await walk(dir, "");
  return out;
}

/** Paths that differ between two listings (added, removed or changed). */
export function treeDiff(before: Map<string, Entry>, after: Map<string, Entry>): string[] {
  const out: string[] = [];
  for (const [p, e] of after) {
    const b = before.get(p);
    if (!b) out.push(`+ ${p}`);
    else if (b.kind !== e.kind || b.size !== e.size || b.mtime !== e.mtime) out.push(`~ ${p}`);
  }
  for (const p of before.keys()) if (!after.has(p)) out.push(`- ${p}`);
  return out.sort();
}

/** Status of a path outside every sandbox (for /etc/x, /tmp/x and friends). */
export async function statOrNull(path: string): Promise<string | null> {
  try {
    const st = await Deno.lstat(path);
    return `${st.isDirectory ? "dir" : "file"}:${st.size}:${st.mtime?.getTime()}`;
  } catch {
    return null;
  }
}

/** Problems with a JSON-RPC response to `tools/call` (empty when well-formed). */
export function responseProblems(msg: Record<string, unknown>, expectResult: boolean): string[] {
  const problems: string[] = [];
  if (msg.jsonrpc !== "2.0") problems.push(`"jsonrpc" is ${JSON.stringify(msg.jsonrpc)}`);
  if (("result" in msg) === ("error" in msg)) problems.push("not exactly one of result/error");
  if (expectResult) {
    if (msg.error) {
      problems.push(`JSON-RPC error instead of a tool result: ${JSON.stringify(msg.error)}`);
      return problems;
    }
    const r = msg.result as { content?: unknown; isError?: unknown } | undefined;
    if (!r || typeof r !== "object") return [...problems, "result is not an object"];
    if (typeof r.isError !== "boolean") problems.push(`isError is ${JSON.stringify(r.isError)}`);
    if (!Array.isArray(r.content) || r.content.length === 0) {
      problems.push("content is not a non-empty array");
    } else {
      for (const c of r.content as { type?: unknown; text?: unknown }[]) {
        if (c?.type !== "text" || typeof c.text !== "string") {
          problems.push(`bad content block ${JSON.stringify(c).slice(0, 200)}`);
        }
      }
    }
  } else {
    const e = msg.error as { code?: unknown; message?: unknown } | undefined;
    if (!e) problems.push(`expected a JSON-RPC error, got ${JSON.stringify(msg).slice(0, 300)}`);
    else if (typeof e.code !== "number" || typeof e.message !== "string") {
      problems.push(`malformed error ${JSON.stringify(e).slice(0, 300)}`);
    }
  }
  return problems;
}

/** `zpm` argv for a generated call: positional parameters in order, the others as flags. */
export function cliArgv(tool: ToolSpec, args: Record<string, unknown>, format: "text" | "json"): string[] {
  const kebab = (s: string) => s.replaceAll("_", "-");
  const argv = [kebab(tool.name)];
  const params = paramsOf(tool);
  for (const p of params.filter((p) => p.positional)) {
    if (args[p.name] !== undefined) argv.push(String(args[p.name]));
  }
  for (const p of params.filter((p) => !p.positional)) {
    if (args[p.name] !== undefined) argv.push(`--${kebab(p.name)}`, String(args[p.name]));
  }
  for (const k of Object.keys(args)) {
    if (!params.some((p) => p.name === k)) argv.push(`--${kebab(k)}`, String(args[k]));
  }
  argv.push("--format", format);
  return argv;
}

/** Show a value briefly (long strings elided) for failure messages. */
export function brief(v: unknown, max = 300): string {
  const s = JSON.stringify(
    v,
    (_k, x) => typeof x === "string" && x.length > 120 ? `${x.slice(0, 60)}…(${x.length} chars)` : x,
  );
  return s === undefined ? "undefined" : s.length > max ? s.slice(0, max) + "…" : s;
}

/**
 * A Prolog goal that lists every clause of every dynamic predicate of `user` (zpm's guards, the
 * user's knowledge, zpm_source/2 and tms_justification/2) as text, grouped by predicate in clause
 * order and sorted by predicate. Long clauses are shortened to a prefix, their length and a hash.
 */
const FINGERPRINT_GOAL = [
  "findall(K-Ts, (current_predicate(N/A), functor(H, N, A), predicate_property(H, dynamic),",
  "\\+ predicate_property(H, imported_from(_)), format(atom(K), '~q', [N/A]),",
  "findall(T, (clause(H, B), copy_term((H:-B), C), numbervars(C, 0, _),",
  "format(atom(T0), '~W', [C, [quoted(true), numbervars(true)]]), atom_length(T0, L),",
  "(L > 2000 -> sub_atom(T0, 0, 200, _, P), term_hash(T0, X), format(atom(T), '~w…[~d chars, hash ~w]', [P, L, X])",
  "; T = T0)), Ts)), L0), msort(L0, Out)",
].join(" ");

/** The knowledge of one memory, as text. */
export async function memoryFingerprint(mcp: McpClient, memory: string): Promise<string> {
  const r = await mcp.call("query_logic", { goal: FINGERPRINT_GOAL, memory });
  if (r.isError) throw new Error(`fingerprint of memory ${memory} failed: ${r.content[0].text}`);
  const sols = JSON.parse(r.content[0].text) as { Out: { args: [string, string[]] }[] }[];
  return sols[0].Out.map((o) => `${o.args[0]}\n  ${o.args[1].join("\n  ")}`).join("\n");
}

/** Every memory (mounted ones queried, snapshots listed) as one comparable text. */
export async function projectFingerprint(mcp: McpClient): Promise<string> {
  const list = await mcp.call("list_memories", {});
  if (list.isError) throw new Error(`list_memories failed: ${list.content[0].text}`);
  const text = list.content.map((c) => c.text).join("\n");
  const mounted = [...text.matchAll(/([a-z][A-Za-z0-9_]*) \(scope=\w+, mode=\w+, mounted=true/g)].map((m) =>
    m[1]
  );
  const parts = [`memories: ${text}`];
  for (const name of mounted.sort()) {
    const snaps = await mcp.call("list_snapshots", { memory: name });
    parts.push(`== memory ${name}: ${snaps.content[0].text}`);
    parts.push(await memoryFingerprint(mcp, name));
  }
  return parts.join("\n");
}

/** The first line where two texts differ, with the memory it belongs to and some context. */
export function firstDifference(a: string, b: string): string {
  const la = a.split("\n");
  const lb = b.split("\n");
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) {
      const header = la.slice(0, i).findLast((l) => l.startsWith("== memory")) ?? "(memory list)";
      const ctx = (ls: string[]) =>
        ls.slice(Math.max(0, i - 3), i + 4).map((l) => brief(l, 200)).join("\n    ");
      return `line ${i + 1} in ${header.slice(0, 120)}:\n  expected:\n    ${ctx(la)}\n  actual:\n    ${
        ctx(lb)
      }`;
    }
  }
  return "no difference";
}
