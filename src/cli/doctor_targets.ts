/**
 * The memories `zpm doctor` examines, read from disk without opening the project (nothing is
 * created or migrated): every entry of `.zpm/mounts.json` (the default memory always), project
 * memories in `.zpm/kb/` and global memories in the user data directory that are not mounted.
 */
import { join } from "node:path";
import {
  isMemoryName,
  MAX_MANIFEST_BYTES,
  type MountEntry,
  parseManifest,
  recoverEntries,
} from "../project/manifest.ts";
import {
  confinementProblem,
  defaultEntry,
  GLOBAL_PATH_PREFIX,
  globalKbDir,
  isDefaultMemory,
  isUserManaged,
  locate,
  memoryDir,
  type MemoryLocation,
  needsExistingDir,
} from "../project/memory_location.ts";
import { isDir, type ProjectPaths } from "../project/root.ts";

/** One memory to examine. */
export interface DoctorTarget {
  entry: MountEntry;
  mounted: boolean;
  location: MemoryLocation;
  /** Set when a mounted memory's directory is missing. */
  problem?: string;
  /** Set when the manifest entry breaks a confinement rule: its files are not read at all. */
  refused?: string;
}

/** The manifest's entries, and what is wrong with it (null when it is fine or absent). */
export function readManifest(paths: ProjectPaths): { entries: MountEntry[]; problem: string | null } {
  let text: string;
  try {
    if (Deno.lstatSync(paths.manifest).isSymlink) {
      return { entries: [], problem: `${paths.manifest} is a symbolic link; it is not used` };
    }
    if (Deno.statSync(paths.manifest).size > MAX_MANIFEST_BYTES) {
      return { entries: [], problem: "mounts.json is larger than 1 MiB" };
    }
    text = Deno.readTextFileSync(paths.manifest);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { entries: [], problem: null };
    return { entries: [], problem: `cannot read mounts.json: ${(e as Error).message}` };
  }
  try {
    return { entries: parseManifest(text), problem: null };
  } catch (e) {
    const recovered = recoverEntries(text);
    return {
      entries: recovered,
      problem: `mounts.json is not valid (${
        (e as Error).message.replace(/\s+/g, " ")
      }); ${recovered.length} entr${
        recovered.length === 1 ? "y" : "ies"
      } can be recovered; the next zpm start keeps a backup and rewrites it`,
    };
  }
}

/** Every memory of the project, mounted first (manifest order), then unmounted ones on disk. */
export function doctorTargets(paths: ProjectPaths, entries: MountEntry[]): DoctorTarget[] {
  const all = entries.some((e) => isDefaultMemory(e.name)) ? entries : [defaultEntry(), ...entries];
  const out: DoctorTarget[] = all.map((entry) => {
    const refused = confinementProblem(paths, entry) ?? undefined;
    const missing = !refused && needsExistingDir(entry.name) && !isDir(memoryDir(paths, entry));
    return {
      entry,
      mounted: true,
      location: locate(paths, entry),
      problem: refused
        ? `refused: ${refused}`
        : missing
        ? `directory missing (${memoryDir(paths, entry)})`
        : undefined,
      refused,
    };
  });
  const seen = new Set(out.map((t) => t.location.dataDir));
  const names = new Set(out.map((t) => t.entry.name));
  const scan = (base: string, scope: "project" | "global") => {
    let dirs: string[] = [];
    try {
      dirs = [...Deno.readDirSync(base)].filter((d) => d.isDirectory).map((d) => d.name).sort();
    } catch {
      return;
    }
    for (const name of dirs) {
      if (!isMemoryName(name) || !isUserManaged(name)) continue;
      const dir = join(base, name);
      if (seen.has(dir)) continue;
      seen.add(dir);
      const path = scope === "project" ? `.zpm/kb/${name}` : GLOBAL_PATH_PREFIX + name;
      const entry: MountEntry = { name, path, scope, mode: "rw" };
      out.push({ entry, mounted: false, location: locate(paths, entry) });
      names.add(name);
    }
  };
  scan(paths.kbDir, "project");
  try {
    scan(globalKbDir(), "global");
  } catch { /* no home directory */ }
  return out;
}
