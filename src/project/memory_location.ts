/**
 * Where a memory lives and what it allows: the only module that knows the default memory is
 * special. A memory ("knowledge base" in upstream's tool names) is named in the mount manifest;
 * this module maps a manifest entry to its directories and applies its access rules.
 *
 * - `default`: journal and archives in `.zpm/data/`, snapshots and user files in `.zpm/kb/`. Its
 *   manifest path `.zpm/kb/default` is upstream's nominal home (upstream creates the directory and
 *   so do we, for compatibility); it is always mounted, cannot be unmounted, and is never read-only.
 * - a project memory: everything in `.zpm/kb/<name>/`.
 * - a global memory: everything in `<user data dir>/kb/<name>/`. The manifest records it as
 *   `$XDG_DATA_HOME/zpm/kb/<name>` ({@link GLOBAL_PATH_PREFIX}), resolved at run time from the user's data
 *   directory, so a committed `.zpm/` works for a teammate; older absolute entries are still read, and
 *   rewritten in the portable form the next time zpm writes the manifest.
 *
 * Confinement ({@link confinementProblem}): a manifest comes with the repository, so its paths are
 * untrusted. A project memory must live inside the project's `.zpm/`, a global one inside the
 * user's `<data dir>/kb/`; a path that leads elsewhere (absolute, `..`, or through a symbolic link)
 * is refused and that memory is not used, while the rest of the project keeps working.
 *
 * @module
 */
import { isAbsolute, join, normalize, relative, sep } from "node:path";
import type { MountEntry } from "./manifest.ts";
import { userDataDir } from "./root.ts";

/** The name of the memory every project has. */
export const DEFAULT_MEMORY = "default";

/** How a manifest names the user's global memory directory: `<prefix><name>`, resolved by {@link globalKbDir}. */
export const GLOBAL_PATH_PREFIX = "$XDG_DATA_HOME/zpm/kb/";

/** The user's directory of global memories, `<user data dir>/kb` (throws when there is no home directory). */
export function globalKbDir(): string {
  return join(userDataDir(), "kb");
}

/** The directory a global entry's path names: the portable form resolved, or an older absolute path as is. */
function globalDir(path: string, base: () => string): string {
  if (!path.startsWith(GLOBAL_PATH_PREFIX)) return path;
  try {
    return join(base(), path.slice(GLOBAL_PATH_PREFIX.length));
  } catch {
    return path; // no home directory: confinement refuses the entry
  }
}

/** `e` with a global path inside the user's data directory written in the portable form. */
export function portableEntry(e: MountEntry, base: () => string = globalKbDir): MountEntry {
  if (e.scope !== "global" || !isAbsolute(e.path)) return e;
  try {
    const rel = relative(base(), normalize(e.path));
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return e;
    return { ...e, path: GLOBAL_PATH_PREFIX + rel.split(sep).join("/") };
  } catch {
    return e; // no home directory: keep the entry as it is
  }
}

/** The paths of a project that locate its memories. */
export interface ProjectDirs {
  /** The project root (the directory holding `.zpm/`). */
  root: string;
  /** `.zpm/data`: the default memory's journal. */
  dataDir: string;
  /** `.zpm/kb`: the default memory's snapshots and user files, and project memories' parent. */
  kbDir: string;
}

/** The directories of one memory. */
export interface MemoryLocation {
  /** Memory name. */
  name: string;
  /** journal.wal, journal.lock and archives. */
  dataDir: string;
  /** Snapshot files. */
  snapshotDir: string;
  /** Top-level `*.pl` user files (the read-only base layer). */
  userFilesDir: string;
}

/** Why a memory cannot be used as asked; `kind` picks upstream's message. */
export class MemoryError extends Error {
  /** Build the error; `message` is shown to the user as is. */
  constructor(
    readonly kind: "not-mounted" | "read-only" | "invalid" | "exists" | "missing" | "refused",
    message: string,
  ) {
    super(message);
  }
}

/** The memory a call targets: its `memory` argument, or the default memory when that is missing, not a string or "". */
export function targetMemory(memory: unknown): string {
  return typeof memory === "string" && memory !== "" ? memory : DEFAULT_MEMORY;
}

/** True for the default memory. */
export function isDefaultMemory(name: string): boolean {
  return name === DEFAULT_MEMORY;
}

/** The default memory's manifest entry, as upstream writes it. */
export function defaultEntry(): MountEntry {
  return { name: DEFAULT_MEMORY, path: ".zpm/kb/default", scope: "project", mode: "rw" };
}

/** Directories to create when a project opens (upstream also creates `.zpm/kb/default/`). */
export function projectDirsToCreate(p: ProjectDirs): string[] {
  return [p.kbDir, p.dataDir, join(p.kbDir, DEFAULT_MEMORY)];
}

/** The main directory of a manifest entry (the default memory's is `.zpm/data`). */
export function memoryDir(p: ProjectDirs, e: MountEntry): string {
  if (isDefaultMemory(e.name)) return p.dataDir;
  if (e.scope === "global") return globalDir(e.path, globalKbDir);
  return isAbsolute(e.path) ? e.path : join(p.root, e.path);
}

/** All directories of a manifest entry. */
export function locate(p: ProjectDirs, e: MountEntry): MemoryLocation {
  const dir = memoryDir(p, e);
  const filesDir = isDefaultMemory(e.name) ? p.kbDir : dir;
  return { name: e.name, dataDir: dir, snapshotDir: filesDir, userFilesDir: filesDir };
}

/** The manifest path and directory a new memory of `scope` gets. */
export function placeMemory(
  p: ProjectDirs,
  name: string,
  scope: "project" | "global",
  base: () => string = globalKbDir,
): { path: string; dir: string } {
  if (scope === "global") return { path: GLOBAL_PATH_PREFIX + name, dir: join(base(), name) };
  return { path: `.zpm/kb/${name}`, dir: join(p.kbDir, name) };
}

/** Whether a memory's directory must exist before it boots (the default memory's is created). */
export function needsExistingDir(name: string): boolean {
  return !isDefaultMemory(name);
}

/** Refuse a write to a read-only memory (the default memory ignores `ro`, as upstream does). */
export function checkAccess(e: MountEntry, access: "read" | "write"): void {
  if (access === "write" && e.mode === "ro" && !isDefaultMemory(e.name)) {
    throw new MemoryError("read-only", "Memory is read-only");
  }
}

/** Whether `name` can be created, unmounted or re-moded by the user (not the default memory). */
export function isUserManaged(name: string): boolean {
  return !isDefaultMemory(name);
}

/** The first component from `base` (inclusive) down to `dir` that is a symbolic link or not a directory. */
function linkOnTheWay(base: string, dir: string): string | null {
  let at = base;
  const parts = relative(base, dir).split(sep).filter((x) => x !== "");
  for (let i = -1; i < parts.length; i++) {
    if (i >= 0) at = join(at, parts[i]);
    let st: Deno.FileInfo;
    try {
      st = Deno.lstatSync(at);
    } catch {
      return null; // missing: nothing further can be a link (reported as a missing directory)
    }
    if (st.isSymlink) return `${at} is a symbolic link`;
    if (!st.isDirectory) return `${at} is not a directory`;
  }
  return null;
}

/** True when `dir` is `base` itself or below it (lexically, after normalising `..`). */
function inside(base: string, dir: string, strictly: boolean): boolean {
  const rel = relative(base, dir);
  if (rel === "") return !strictly;
  return !rel.startsWith("..") && !isAbsolute(rel);
}

/**
 * Why zpm refuses to use manifest entry `e`, or null when it may. The message names the entry and
 * the rule it breaks and says what to do. `globalBase` is the user's `<data dir>/kb` (it may throw
 * when there is no home directory). Checks the disk (lstat) for links on the way.
 */
export function confinementProblem(
  p: ProjectDirs,
  e: MountEntry,
  globalBase: () => string = globalKbDir,
): string | null {
  const zpmDir = join(p.root, ".zpm");
  const what = `mounts.json entry '${e.name}' (path ${JSON.stringify(e.path)}, scope ${e.scope})`;
  const refuse = (problem: string, rule: string) =>
    `${what} is refused: ${problem} (rule: ${rule}). Fix or remove the entry in .zpm/mounts.json.`;
  if (isDefaultMemory(e.name)) {
    for (const dir of [p.dataDir, p.kbDir]) {
      const link = linkOnTheWay(zpmDir, dir);
      if (link) {
        return refuse(
          link,
          "the default memory lives in the project's own .zpm/data and .zpm/kb, not behind a link",
        );
      }
    }
    return null;
  }
  const projectRule =
    "a project memory lives inside the project's .zpm/ directory, reached without symbolic links";
  const globalRule =
    "a global memory lives inside the user's zpm data directory <data dir>/kb/, reached without symbolic links";
  if (e.path.includes("\0") || e.path.trim() === "") {
    return refuse("the path is empty or not a path", e.scope === "project" ? projectRule : globalRule);
  }
  if (e.scope === "project") {
    if (isAbsolute(e.path)) return refuse("the path is absolute", projectRule);
    const dir = normalize(join(p.root, e.path));
    if (!inside(zpmDir, dir, true)) return refuse("the path leads outside .zpm/", projectRule);
    const link = linkOnTheWay(zpmDir, dir);
    return link ? refuse(link, projectRule) : null;
  }
  let base: string;
  try {
    base = globalBase();
  } catch (err) {
    return refuse(`the user data directory is unknown (${(err as Error).message})`, globalRule);
  }
  if (!isAbsolute(e.path) && !e.path.startsWith(GLOBAL_PATH_PREFIX)) {
    return refuse(`the path is neither ${GLOBAL_PATH_PREFIX}<name> nor absolute`, globalRule);
  }
  const dir = normalize(globalDir(e.path, () => base));
  if (!inside(base, dir, true)) return refuse(`the path is not inside ${base}`, globalRule);
  const link = linkOnTheWay(base, dir);
  return link ? refuse(link, globalRule) : null;
}

/** The database URL of a memory: its manifest `store`, or `ZPM_STORE_URL` for the default memory. */
export function storeUrlFor(e: MountEntry): string | undefined {
  return e.store ?? (isDefaultMemory(e.name) ? Deno.env.get("ZPM_STORE_URL") || undefined : undefined);
}
