/**
 * The kb cache: what parsing a memory's `kb/*.pl` user files produced (the `consult_kb` operation's
 * `cache` text), so a start loads that with `load_kb_cache` instead of reading and expanding the
 * files again. One file per kb directory, in the per-user cache directory of the engine's boot state
 * (`ZPM_ENGINE_CACHE`, else `$XDG_CACHE_HOME/zpm` or `~/.cache/zpm`), mode 0600 in a 0700 directory;
 * a project can never bring its own.
 *
 * It is used only when this build made it for the same directory from user files of the same names,
 * sizes, modification times and SHA-256 hashes, it is private (no group or other permission bits)
 * and its trailing SHA-256 matches its content; anything else (torn, altered, foreign, stale) is
 * ignored and rebuilt. Loading it still checks and runs every directive and clause as consulting the
 * file does, so a cache cannot add what the files could not. Caches not rewritten for 30 days are removed
 * when another is written. `ZPM_KB_CACHE=off` turns it off.
 *
 * @module
 */
import { buildKey, cacheDir, granted } from "../engine/boot_state.ts";
import { readSealed, textSha256, writeSealed } from "../io/sealed_file.ts";

/** Bump when the cache's content or the way it is loaded changes. */
const FORMAT = "zpm-kb-cache-1";

/** A user file as read for loading: its text and what the cache is keyed by. */
export interface UserFile {
  name: string;
  path: string;
  text: string;
  size: number;
  mtimeMs: number;
}

type FileKey = { name: string; size: number; mtimeMs: number; sha256: string };

interface CacheFile {
  format: string;
  build: string;
  dir: string;
  files: FileKey[];
  caches: string[];
}

/** The kb cache of one kb directory's user files, as they are now. */
export interface KbCache {
  /** The cache texts of the files (one per file, in order) when a good cache for them exists; else null. */
  read(): Promise<string[] | null>;
  /** Store the cache texts of the files (best effort). */
  write(caches: string[]): Promise<void>;
  /** Remove the cache (one that failed to load), so the next start rebuilds it. */
  discard(): Promise<void>;
}

/**
 * The kb cache of directory `dir` holding `files`, or null when caching is off or not permitted. Where
 * it lives and the files' hashes are worked out once, here.
 */
export async function openKbCache(dir: string, files: UserFile[]): Promise<KbCache | null> {
  const setting = Deno.env.get("ZPM_KB_CACHE");
  if (setting === "off" || setting === "0") return null;
  const cache = cacheDir();
  if (!cache || !granted("read", cache) || !granted("write", cache)) return null;
  let real: string;
  try {
    real = await Deno.realPath(dir);
  } catch {
    return null;
  }
  const build = await buildKey();
  const path = `${cache}/kb-${(await textSha256(`${FORMAT}\0${build}\0${real}`)).slice(0, 32)}.cache`;
  const keys: FileKey[] = [];
  for (const { name, size, mtimeMs, text } of files) {
    keys.push({ name, size, mtimeMs, sha256: await textSha256(text) });
  }
  return {
    read: () => readCache(path, { format: FORMAT, build, dir: real, files: keys, caches: [] }),
    async write(caches) {
      const c: CacheFile = { format: FORMAT, build, dir: real, files: keys, caches };
      await writeSealed(cache, path, new TextEncoder().encode(JSON.stringify(c)));
      await pruneKbCaches(cache);
    },
    discard: () => Deno.remove(path).catch(() => {}),
  };
}

function sameFiles(a: FileKey[], b: FileKey[]): boolean {
  return a.length === b.length &&
    a.every((f, i) =>
      f.name === b[i].name && f.size === b[i].size && f.mtimeMs === b[i].mtimeMs && f.sha256 === b[i].sha256
    );
}

/** The cache texts in the private sealed file `path` when it was made for `want` (its caches aside). */
async function readCache(path: string, want: CacheFile): Promise<string[] | null> {
  const body = await readSealed(path, true);
  if (!body) return null;
  try {
    const c = JSON.parse(new TextDecoder().decode(body)) as CacheFile;
    if (c.format !== want.format || c.build !== want.build || c.dir !== want.dir) return null;
    if (!Array.isArray(c.files) || !sameFiles(c.files, want.files)) return null;
    if (!Array.isArray(c.caches) || c.caches.length !== want.files.length) return null;
    return c.caches.every((t) => typeof t === "string") ? c.caches : null;
  } catch {
    return null;
  }
}

/** Caches not written for this long belong to kb directories gone or unused: removed when one is written. */
const PRUNE_AFTER_MS = 30 * 24 * 3600 * 1000;

async function pruneKbCaches(dir: string): Promise<void> {
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || !e.name.startsWith("kb-")) continue;
      const path = `${dir}/${e.name}`;
      const st = await Deno.lstat(path).catch(() => null);
      if (st?.mtime && Date.now() - st.mtime.getTime() > PRUNE_AFTER_MS) {
        await Deno.remove(path).catch(() => {});
      }
    }
  } catch { /* best effort */ }
}
