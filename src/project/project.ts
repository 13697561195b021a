/**
 * A zpm project: the `.zpm/` directory, found by walking up from the working directory (§2.1), and
 * the knowledge base of its default memory.
 */
import { dirname, join, resolve } from "node:path";
import { KnowledgeBase } from "../core/knowledge_base.ts";
import type { Limits } from "../core/limits.ts";

/** How a project root was chosen. */
export type ProjectSource = "flag" | "env" | "discovered" | "user-default";

/** The paths of a project. */
export interface ProjectPaths {
  root: string;
  zpmDir: string;
  dataDir: string;
  kbDir: string;
}

/** Paths for a project root. */
export function projectPaths(root: string): ProjectPaths {
  const zpmDir = join(root, ".zpm");
  return { root, zpmDir, dataDir: join(zpmDir, "data"), kbDir: join(zpmDir, "kb") };
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Walk up from `start` to a directory holding `.zpm/`, never crossing a mount point. */
export function discoverRoot(start: string): string | null {
  let dir = resolve(start);
  let dev: number | null = null;
  while (true) {
    let st: Deno.FileInfo;
    try {
      st = Deno.statSync(dir);
    } catch {
      return null;
    }
    if (dev !== null && st.dev !== dev) return null;
    dev = st.dev;
    if (isDir(join(dir, ".zpm"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The per-user default project (`$XDG_DATA_HOME/zpm/default`, else `~/.local/share/zpm/default`). */
export function userDefaultRoot(): string {
  const xdg = Deno.env.get("XDG_DATA_HOME");
  if (xdg) return join(xdg, "zpm", "default");
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  if (!home) throw new Error("cannot find a default project: set HOME, XDG_DATA_HOME or ZPM_PROJECT");
  return join(home, ".local", "share", "zpm", "default");
}

/** Pick the project root: --project, then ZPM_PROJECT, then discovery, then the per-user default. */
export function resolveRoot(flag: string | undefined): { root: string; source: ProjectSource } {
  if (flag) return { root: resolve(flag), source: "flag" };
  const env = Deno.env.get("ZPM_PROJECT");
  if (env) return { root: resolve(env), source: "env" };
  const found = discoverRoot(Deno.cwd());
  if (found) return { root: found, source: "discovered" };
  return { root: userDefaultRoot(), source: "user-default" };
}

/** `zpm init` in `dir`: create .zpm/{kb,data} and .gitignore. Returns false if it already existed. */
export function initProject(dir: string): boolean {
  const p = projectPaths(resolve(dir));
  if (isDir(p.zpmDir)) return false;
  Deno.mkdirSync(p.kbDir, { recursive: true });
  Deno.mkdirSync(p.dataDir, { recursive: true });
  Deno.writeTextFileSync(join(p.zpmDir, ".gitignore"), "data/\n");
  return true;
}

/** Options for opening a project. */
export interface OpenOptions {
  root: string;
  engineMode: "process" | "inprocess";
  limits: Limits;
  version: string;
  log: (message: string) => void;
}

/** An open project with its default memory. */
export class Project {
  private constructor(
    readonly paths: ProjectPaths,
    readonly limits: Limits,
    readonly version: string,
    readonly defaultMemory: KnowledgeBase,
  ) {}

  /** Create missing directories (best effort) and boot the default memory. */
  static async open(opts: OpenOptions): Promise<Project> {
    const paths = projectPaths(opts.root);
    for (const d of [paths.kbDir, paths.dataDir]) {
      try {
        Deno.mkdirSync(d, { recursive: true });
      } catch { /* a read-only tree degrades persistence; boot goes on */ }
    }
    const kb = await KnowledgeBase.open({
      name: "default",
      dataDir: paths.dataDir,
      snapshotDir: paths.kbDir,
      userFilesDir: paths.kbDir,
      engineMode: opts.engineMode,
      limits: opts.limits,
      log: opts.log,
      allowMemoryOnly: opts.engineMode === "process",
    });
    return new Project(paths, opts.limits, opts.version, kb);
  }

  /** The knowledge base a tool works on. */
  memory(): KnowledgeBase {
    return this.defaultMemory;
  }

  /** Stop engines. */
  async close(): Promise<void> {
    await this.defaultMemory.close();
  }
}
