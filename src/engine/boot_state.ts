/**
 * A per-user cache of the engine's boot state: a SWI-Prolog saved state (`qsave_program/2`) made inside
 * swipl-wasm right after zpm's Prolog was consulted from source. Starting swipl-wasm from it (`-x`)
 * replaces both its default boot file and the compilation of zpm's Prolog and the libraries it loads,
 * which is most of a one-shot command's time.
 *
 * The file is keyed by a hash of zpm's Prolog, the swipl-wasm version and this format's version, and
 * ends with the SHA-256 of its content, so an edited source, another swipl-wasm or a torn or altered file
 * is never used: the engine then starts from source as before and writes a fresh state. Everything here
 * is best effort: without permission to read or write the cache directory (the engine host runs with no
 * permissions at all), or with `ZPM_ENGINE_CACHE=off`, nothing is cached and nothing fails.
 *
 * @module
 */
import config from "../../deno.json" with { type: "json" };
import { ZPM_PROLOG } from "./prolog/sources.ts";
import { readSealed, textSha256, writeSealed } from "../io/sealed_file.ts";

/** Bump when the way the state is made or used changes. */
const FORMAT = "zpm-boot-state-1";

/** The directory of the cache, or null when caching is off or the environment cannot be read. */
export function cacheDir(): string | null {
  try {
    if (Deno.permissions.querySync({ name: "env" }).state !== "granted") return null;
    const setting = Deno.env.get("ZPM_ENGINE_CACHE");
    if (setting === "off" || setting === "0") return null;
    if (setting) return setting;
    const xdg = Deno.env.get("XDG_CACHE_HOME");
    if (xdg) return `${xdg}/zpm`;
    const home = Deno.env.get("HOME");
    return home ? `${home}/.cache/zpm` : null;
  } catch {
    return null;
  }
}

/** Whether this process holds Deno's `name` permission for `path`. */
export function granted(name: "read" | "write", path: string): boolean {
  try {
    return Deno.permissions.querySync({ name, path }).state === "granted";
  } catch {
    return false;
  }
}

let keyMemo: string | undefined;

/** This build's key: a hash of zpm's Prolog, swipl-wasm's version and `FORMAT` (32 hex digits). */
export async function buildKey(): Promise<string> {
  if (!keyMemo) {
    const text = `${FORMAT}\0${config.imports["swipl-wasm"]}\0${ZPM_PROLOG}`;
    keyMemo = (await textSha256(text)).slice(0, 32);
  }
  return keyMemo;
}

/** The cache file's name for this build. */
async function stateFileName(): Promise<string> {
  return `engine-${await buildKey()}.prc`;
}

/** Whether a state made now could be stored (so making one is worth its cost). */
export function bootStateCacheable(): boolean {
  const dir = cacheDir();
  return dir !== null && granted("write", dir) && granted("read", dir);
}

/** The cached state for this build if present, readable and intact; otherwise null. */
export async function readBootState(): Promise<Uint8Array | null> {
  const dir = cacheDir();
  if (!dir) return null;
  const path = `${dir}/${await stateFileName()}`;
  return granted("read", path) ? await readSealed(path) : null;
}

/** Store `state` for later starts (atomically: a unique temporary file renamed into place). */
export async function writeBootState(state: Uint8Array): Promise<void> {
  const dir = cacheDir();
  if (!dir || !bootStateCacheable()) return;
  await writeSealed(dir, `${dir}/${await stateFileName()}`, state);
}

/** Remove a cached state that failed to start the engine, so the next start rebuilds it. */
export async function discardBootState(): Promise<void> {
  const dir = cacheDir();
  if (!dir) return;
  const path = `${dir}/${await stateFileName()}`;
  if (granted("write", path)) await Deno.remove(path).catch(() => {});
}
