/**
 * Finding a project: the `.zpm/` directory found by walking up from the working directory,
 * `--project` / `ZPM_PROJECT`, or the per-user default project; its paths; and `zpm init`.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from "../io/safe_files.ts";

/** How a project root was chosen. */
export type ProjectSource = "flag" | "env" | "discovered" | "user-default";

/** The paths of a project. */
export interface ProjectPaths {
  root: string;
  zpmDir: string;
  dataDir: string;
  kbDir: string;
  manifest: string;
}

/** Paths for a project root. */
export function projectPaths(root: string): ProjectPaths {
  const zpmDir = join(root, ".zpm");
  return {
    root,
    zpmDir,
    dataDir: join(zpmDir, "data"),
    kbDir: join(zpmDir, "kb"),
    manifest: join(zpmDir, "mounts.json"),
  };
}

/** True when `path` is a directory (following links). */
export function isDir(path: string): boolean {
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

/** `$XDG_DATA_HOME/zpm`, else `~/.local/share/zpm`. */
export function userDataDir(): string {
  const xdg = Deno.env.get("XDG_DATA_HOME");
  if (xdg) return join(xdg, "zpm");
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  if (!home) throw new Error("cannot find the user data directory: set HOME or XDG_DATA_HOME");
  return join(home, ".local", "share", "zpm");
}

/** The per-user default project. */
export function userDefaultRoot(): string {
  return join(userDataDir(), "default");
}

/**
 * The directory the user ran zpm from. `deno task zpm|serve` run in the checkout, so those tasks pass
 * the user's directory (`INIT_CWD`) as `ZPM_TASK_CWD`; `main.ts` moves there at start and removes the
 * variable, so processes zpm starts (and a test suite run by `deno task test`) never inherit it.
 */
export function userCwd(): string {
  return Deno.cwd();
}

/** At start-up: adopt `ZPM_TASK_CWD` (set by the deno tasks) as the working directory, once. */
export function adoptTaskCwd(): void {
  const dir = Deno.env.get("ZPM_TASK_CWD");
  if (dir === undefined) return;
  Deno.env.delete("ZPM_TASK_CWD");
  if (dir && isDir(dir)) Deno.chdir(dir);
}

/** Pick the project root: --project, then ZPM_PROJECT, then discovery, then the per-user default. */
export function resolveRoot(flag: string | undefined): { root: string; source: ProjectSource } {
  const cwd = userCwd();
  if (flag) return { root: resolve(cwd, flag), source: "flag" };
  const env = Deno.env.get("ZPM_PROJECT");
  if (env) return { root: resolve(cwd, env), source: "env" };
  const found = discoverRoot(cwd);
  if (found) return { root: found, source: "discovered" };
  return { root: userDefaultRoot(), source: "user-default" };
}

/** `zpm init` in `dir`: create .zpm/{kb,data} and .gitignore. Returns false if it already existed. */
export function initProject(dir: string): boolean {
  const p = projectPaths(resolve(dir));
  if (isDir(p.zpmDir)) return false;
  ensurePrivateDirSync(p.kbDir, p.root);
  ensurePrivateDirSync(p.dataDir, p.root);
  Deno.writeTextFileSync(join(p.zpmDir, ".gitignore"), GITIGNORE, {
    createNew: true,
    mode: PRIVATE_FILE_MODE,
  });
  return true;
}

/**
 * `.zpm/.gitignore`: every memory's journal, lock, archives, broken tails and backups stay out of
 * git (the default memory's in `data/`, other project memories' in `kb/<name>/`); snapshots,
 * user files and mounts.json are meant to be committed.
 */
export const GITIGNORE = [
  "data/",
  "kb/**/journal.wal",
  "kb/**/journal.wal.*",
  "kb/**/journal-*.wal",
  "kb/**/journal.lock",
  "mounts.json.corrupt-*",
  "",
].join("\n");

/** Upgrade the `.gitignore` older versions wrote ("data/" only) to {@link GITIGNORE}; best effort. */
export function upgradeGitignore(zpmDir: string): void {
  const path = join(zpmDir, ".gitignore");
  try {
    if (Deno.readTextFileSync(path) === "data/\n") Deno.writeTextFileSync(path, GITIGNORE);
  } catch { /* missing or read-only: leave it */ }
}
