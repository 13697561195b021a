/**
 * Small durable-file primitives shared by the journal, snapshots, the manifest and the updater:
 * write every byte, read a byte range, write a file atomically, fsync a directory, and a strictly
 * increasing nanosecond clock for file names.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

import { errText, JournalWriteError } from "./write_error.ts";
import { checkFile, openNoFollow, UnsafePathError } from "./safe_files.ts";

export { errText, JournalWriteError };

const encoder = new TextEncoder();

/** Write every byte of `bytes` at the file's (or connection's) position; throws if a write makes no progress. */
export async function writeAll(
  file: { write(p: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const n = await file.write(bytes.subarray(done));
    if (n <= 0) throw new Error(`write made no progress at byte ${done}`);
    done += n;
  }
}

/** The bytes of `chunks`, one after another, in one array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Read `length` bytes at `offset` (fewer at EOF); with `toEof`, keep reading past `length` until EOF. */
export async function readRange(
  file: Deno.FsFile,
  offset: number,
  length: number,
  toEof: boolean,
): Promise<Uint8Array> {
  await file.seek(offset, Deno.SeekMode.Start);
  let buf = new Uint8Array(Math.max(length, toEof ? 4096 : 0));
  let filled = 0;
  for (;;) {
    if (filled === buf.length) {
      if (!toEof) break;
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
    }
    const n = await file.read(buf.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return buf.subarray(0, filled);
}

/** The last byte of an open file of `size` bytes, or -1 when it is empty. */
export async function lastByte(file: Deno.FsFile, size: number): Promise<number> {
  if (size === 0) return -1;
  const b = await readRange(file, size - 1, 1, false);
  return b.length === 1 ? b[0] : -1;
}

let tmpCounter = 0;

/**
 * Write `data` to `path` atomically: temp file `<name>.tmp-<pid>-<counter>` in the same directory,
 * write, fsync, rename over `path`, fsync the directory. The temp file is removed on failure and
 * the previous content stays; failures are JournalWriteErrors.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const dir = dirname(path);
  const tmp = join(dir, `${basename(path)}.tmp-${Deno.pid}-${tmpCounter++}`);
  let file: Deno.FsFile | null = null;
  try {
    // Never replace a link (or write through one): the target and its directory must be real.
    await checkFile(path);
    file = await openNoFollow(tmp, { write: true, createNew: true });
    await writeAll(file, bytes);
    await file.sync();
    file.close();
    file = null;
    await Deno.rename(tmp, path);
  } catch (e) {
    try {
      file?.close();
    } catch {
      // already closed
    }
    if (!(e instanceof Deno.errors.AlreadyExists)) await Deno.remove(tmp).catch(() => {});
    if (e instanceof UnsafePathError) throw e;
    throw new JournalWriteError(
      `Cannot write ${path} (${
        errText(e)
      }); the previous content, if any, is unchanged. Check free space and permissions of ${dir}.`,
      { cause: e },
    );
  }
  try {
    await fsyncDir(dir);
  } catch (e) {
    throw new JournalWriteError(
      `Wrote ${path} but could not fsync directory ${dir} (${errText(e)}).`,
      { cause: e },
    );
  }
}

/** fsync a directory so renames, creations and deletions in it are durable (no-op on Windows). */
export async function fsyncDir(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  const d = await Deno.open(dir, { read: true });
  try {
    await d.sync();
  } finally {
    d.close();
  }
}

let lastNs = 0n;

/** Current time as unix nanoseconds (bigint), strictly increasing within the process. */
export function nowNs(): bigint {
  const subMs = Math.floor((performance.now() % 1) * 1_000_000);
  let ns = BigInt(Date.now()) * 1_000_000n + BigInt(subMs);
  if (ns <= lastNs) ns = lastNs + 1n;
  lastNs = ns;
  return ns;
}
