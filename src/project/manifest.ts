/**
 * The mount manifest `.zpm/mounts.json` (upstream's format): which memories a project mounts,
 * where they live and in which mode. Written atomically; a corrupt file is kept as a backup and
 * the entries that can still be read from it are recovered.
 */
import { defaultEntry, isDefaultMemory, isUserManaged } from "./memory_location.ts";
import { writeFileAtomic } from "../io/files.ts";
import { isStoreUrl } from "../persistence/pg_url.ts";

/** One mounted memory. */
export interface MountEntry {
  name: string;
  /** `.zpm/kb/<name>` for project scope, an absolute directory for global scope. */
  path: string;
  scope: "project" | "global";
  mode: "rw" | "ro";
  /** zpm addition: a `postgres://` URL (never with a password) when the journal lives in a database. */
  store?: string;
}

/** Largest manifest accepted. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Longest memory name accepted. */
export const MAX_MEMORY_NAME = 64;

/** `[a-z][A-Za-z0-9_]*`, at most 64 characters. */
export function isMemoryName(s: string): boolean {
  return s.length <= MAX_MEMORY_NAME && /^[a-z][A-Za-z0-9_]*$/.test(s);
}

function entryOf(x: unknown): MountEntry | null {
  if (!x || typeof x !== "object") return null;
  const e = x as Record<string, unknown>;
  if (typeof e.name !== "string" || !isMemoryName(e.name)) return null;
  if (typeof e.path !== "string") return null;
  if (e.scope !== "project" && e.scope !== "global") return null;
  if (e.mode !== "rw" && e.mode !== "ro") return null;
  const out: MountEntry = { name: e.name, path: e.path, scope: e.scope, mode: e.mode };
  if (typeof e.store === "string" && isStoreUrl(e.store) && !/^[^:]+:\/\/[^/@]*:[^/@]*@/.test(e.store)) {
    out.store = e.store;
  }
  return out;
}

/** Parse a manifest strictly; throws with what is wrong. */
export function parseManifest(text: string): MountEntry[] {
  if (text.length > MAX_MANIFEST_BYTES) throw new Error("manifest is larger than 1 MiB");
  const doc = JSON.parse(text);
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new Error("top level is not an object");
  if (doc.version !== 1) throw new Error(`unsupported version ${JSON.stringify(doc.version)}`);
  if (!Array.isArray(doc.mounts)) throw new Error('"mounts" is not an array');
  const out: MountEntry[] = [];
  for (const [i, m] of doc.mounts.entries()) {
    const e = entryOf(m);
    if (!e) throw new Error(`mounts[${i}] is not a valid entry`);
    if (!out.some((o) => o.name === e.name)) out.push(e);
  }
  return out;
}

/** Entries that can still be read from a damaged manifest (each complete entry object). */
export function recoverEntries(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const m of text.matchAll(/\{[^{}]*\}/g)) {
    try {
      const e = entryOf(JSON.parse(m[0]));
      if (e && !out.some((o) => o.name === e.name)) out.push(e);
    } catch { /* not a whole entry */ }
  }
  return out;
}

/** Upstream's layout: 2-space indentation, keys name, path, scope, mode. */
export function serializeManifest(entries: MountEntry[]): string {
  const mounts = entries.map(({ name, path, scope, mode, store }) =>
    store ? { name, path, scope, mode, store } : { name, path, scope, mode }
  );
  return JSON.stringify({ version: 1, mounts }, null, 2) + "\n";
}

/** Write the manifest atomically (temp file, fsync, rename, directory fsync). */
export async function writeManifest(path: string, entries: MountEntry[]): Promise<void> {
  await writeFileAtomic(path, serializeManifest(entries));
}

/**
 * The entries of a manifest being created or rebuilt: the default memory, the `recovered` entries,
 * then every sub-directory of `kbDir` with a valid memory name that is not among them.
 */
export function migrateEntries(kbDir: string, recovered: MountEntry[]): MountEntry[] {
  const out: MountEntry[] = [defaultEntry()];
  for (const e of recovered) if (!isDefaultMemory(e.name)) out.push(e);
  try {
    const subdirs = [...Deno.readDirSync(kbDir)]
      .filter((d) => d.isDirectory && isMemoryName(d.name) && isUserManaged(d.name))
      .map((d) => d.name)
      .sort();
    for (const name of subdirs) {
      if (!out.some((e) => e.name === name)) {
        out.push({ name, path: `.zpm/kb/${name}`, scope: "project", mode: "rw" });
      }
    }
  } catch { /* no kb dir */ }
  return out;
}
