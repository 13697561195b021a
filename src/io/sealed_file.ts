/**
 * SHA-256 digests, and sealed cache files: a body followed by its SHA-256, written atomically (a unique private temporary
 * file renamed into place) in a private directory, and read back only when the digest matches. Used by
 * the per-user caches (engine boot state, kb cache); everything here is best effort.
 */

const DIGEST_BYTES = 32;

/** The SHA-256 digest of `bytes`. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/** The SHA-256 of `text` (UTF-8), as hex. */
export async function textSha256(text: string): Promise<string> {
  const digest = await sha256(new TextEncoder().encode(text));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The body of the sealed file at `path`, or null when it is missing, torn or altered; with
 * `privateOnly` also when it is not a regular file or group or others may access it.
 */
export async function readSealed(path: string, privateOnly = false): Promise<Uint8Array | null> {
  try {
    if (privateOnly) {
      const st = await Deno.lstat(path);
      if (!st.isFile || (st.mode !== null && (st.mode & 0o077) !== 0)) return null;
    }
    const bytes = await Deno.readFile(path);
    if (bytes.length <= DIGEST_BYTES) return null;
    const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
    return equalBytes(await sha256(body), bytes.subarray(body.length)) ? body : null;
  } catch {
    return null;
  }
}

/** Write `body` sealed to `path` in directory `dir` (created 0700), atomically; best effort. */
export async function writeSealed(dir: string, path: string, body: Uint8Array): Promise<void> {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const out = new Uint8Array(body.length + DIGEST_BYTES);
    out.set(body);
    out.set(await sha256(body), body.length);
    await Deno.writeFile(tmp, out, { mode: 0o600, createNew: true });
    await Deno.rename(tmp, path);
  } catch {
    await Deno.remove(tmp).catch(() => {});
  }
}
