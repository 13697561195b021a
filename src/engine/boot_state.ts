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

/** Bump when the way the state is made or used changes. */
const FORMAT = "zpm-boot-state-1";
const DIGEST_BYTES = 32;

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

/** The SHA-256 digest of `bytes`. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

let keyMemo: string | undefined;

/** This build's key: a hash of zpm's Prolog, swipl-wasm's version and `FORMAT` (32 hex digits). */
export async function buildKey(): Promise<string> {
  if (!keyMemo) {
    const text = `${FORMAT}\0${config.imports["swipl-wasm"]}\0${ZPM_PROLOG}`;
    const digest = await sha256(new TextEncoder().encode(text));
    keyMemo = Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
  }
  return keyMemo;
}

/** The cache file's name for this build. */
async function stateFileName(): Promise<string> {
  return `engine-${await buildKey()}.prc`;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
  if (!granted("read", path)) return null;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    return null;
  }
  if (bytes.length <= DIGEST_BYTES) return null;
  const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
  if (!equalBytes(await sha256(body), bytes.subarray(body.length))) return null;
  return body;
}

/** Store `state` for later starts (atomically: a unique temporary file renamed into place). */
export async function writeBootState(state: Uint8Array): Promise<void> {
  const dir = cacheDir();
  if (!dir || !bootStateCacheable()) return;
  const path = `${dir}/${await stateFileName()}`;
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const out = new Uint8Array(state.length + DIGEST_BYTES);
    out.set(state);
    out.set(await sha256(state), state.length);
    await Deno.writeFile(tmp, out, { mode: 0o600 });
    await Deno.rename(tmp, path);
  } catch {
    await Deno.remove(tmp).catch(() => {});
  }
}

/** Remove a cached state that failed to start the engine, so the next start rebuilds it. */
export async function discardBootState(): Promise<void> {
  const dir = cacheDir();
  if (!dir) return;
  const path = `${dir}/${await stateFileName()}`;
  if (granted("write", path)) await Deno.remove(path).catch(() => {});
}
