/**
 * Where a memory lives and what it allows: the only module that knows the default memory is
 * special. A memory ("knowledge base" in upstream's tool names) is named in the mount manifest;
 * this module maps a manifest entry to its directories and applies its access rules.
 *
 * - `default`: journal and archives in `.zpm/data/`, snapshots and user files in `.zpm/kb/`. Its
 *   manifest path `.zpm/kb/default` is upstream's nominal home (upstream creates the directory and
 *   so do we, for compatibility); it is always mounted, cannot be unmounted, and is never read-only.
 * - a project memory: everything in `.zpm/kb/<name>/`.
 * - a global memory: everything in `<user data dir>/kb/<name>/`.
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import type { MountEntry } from "./manifest.ts";

/** The name of the memory every project has. */
export const DEFAULT_MEMORY = "default";

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
    readonly kind: "not-mounted" | "read-only" | "invalid" | "exists" | "missing",
    message: string,
  ) {
    super(message);
  }
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
  globalKbDir: () => string,
): { path: string; dir: string } {
  if (scope === "global") {
    const dir = join(globalKbDir(), name);
    return { path: dir, dir };
  }
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
