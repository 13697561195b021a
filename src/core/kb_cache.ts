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
import { buildKey, cacheDir, granted, sha256 } from "../engine/boot_state.ts";

/** Bump when the cache's content or the way it is loaded changes. */
const FORMAT = "zpm-kb-cache-1";
const DIGEST_BYTES = 32;

/** A user file as read for loading: its text and what the cache is keyed by. */
export interface UserFile {
  name: string;
  path: string;
  text: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

interface CacheFile {
  format: string;
  build: string;
  dir: string;
  files: { name: string; size: number; mtimeMs: number; sha256: string }[];
  caches: string[];
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** The SHA-256 of `text` (UTF-8) in hex. */
export async function textHash(text: string): Promise<string> {
  return hex(await sha256(new TextEncoder().encode(text)));
}

/** Where the cache of kb directory `dir` lives (null when caching is off or not permitted). */
async function cachePath(dir: string): Promise<{ path: string; dir: string; real: string } | null> {
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
  const name = (await textHash(`${FORMAT}\0${await buildKey()}\0${real}`)).slice(0, 32);
  return { path: `${cache}/kb-${name}.cache`, dir: cache, real };
}

/** Whether a cache made now could be stored (so asking the engine for one is worth its cost). */
export async function kbCacheWanted(dir: string): Promise<boolean> {
  return await cachePath(dir) !== null;
}

function sameFiles(a: CacheFile["files"], files: UserFile[]): boolean {
  return a.length === files.length &&
    a.every((f, i) =>
      f.name === files[i].name && f.size === files[i].size && f.mtimeMs === files[i].mtimeMs &&
      f.sha256 === files[i].sha256
    );
}

/** The cache texts of `files` (one per file, in order) when a good cache for them exists; else null. */
export async function readKbCache(dir: string, files: UserFile[]): Promise<string[] | null> {
  const where = await cachePath(dir);
  if (!where) return null;
  try {
    const st = await Deno.lstat(where.path);
    if (!st.isFile || (st.mode !== null && (st.mode & 0o077) !== 0)) return null;
    const bytes = await Deno.readFile(where.path);
    if (bytes.length <= DIGEST_BYTES) return null;
    const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
    const digest = await sha256(body);
    if (hex(digest) !== hex(bytes.subarray(body.length))) return null;
    const c = JSON.parse(new TextDecoder().decode(body)) as CacheFile;
    if (c.format !== FORMAT || c.build !== await buildKey() || c.dir !== where.real) return null;
    if (!Array.isArray(c.files) || !sameFiles(c.files, files)) return null;
    if (!Array.isArray(c.caches) || c.caches.length !== files.length) return null;
    if (!c.caches.every((t) => typeof t === "string")) return null;
    return c.caches;
  } catch {
    return null;
  }
}

/** Store the cache texts of `files` (best effort; atomically, through a private temporary file). */
export async function writeKbCache(dir: string, files: UserFile[], caches: string[]): Promise<void> {
  const where = await cachePath(dir);
  if (!where) return;
  const tmp = `${where.path}.${Deno.pid}.${crypto.randomUUID()}.tmp`;
  try {
    const c: CacheFile = {
      format: FORMAT,
      build: await buildKey(),
      dir: where.real,
      files: files.map(({ name, size, mtimeMs, sha256 }) => ({ name, size, mtimeMs, sha256 })),
      caches,
    };
    const body = new TextEncoder().encode(JSON.stringify(c));
    const out = new Uint8Array(body.length + DIGEST_BYTES);
    out.set(body);
    out.set(await sha256(body), body.length);
    await Deno.mkdir(where.dir, { recursive: true, mode: 0o700 });
    await Deno.writeFile(tmp, out, { mode: 0o600, createNew: true });
    await Deno.rename(tmp, where.path);
  } catch {
    await Deno.remove(tmp).catch(() => {});
  }
  await pruneKbCaches(where.dir);
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

/** Remove the cache of `dir` (one that failed to load), so the next start rebuilds it. */
export async function discardKbCache(dir: string): Promise<void> {
  const where = await cachePath(dir);
  if (where) await Deno.remove(where.path).catch(() => {});
}
