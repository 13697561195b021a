/**
 * Snapshot files: Prolog source whose first line is a header comment.
 *
 * We write `%% zpm snapshot <unix_seconds> ns=<unix_ns> seq=<last journal seq covered>`.
 * Upstream (Zig zpm) writes `%% zpm snapshot <unix_seconds>`, which also
 * parses (ns = seconds * 1e9, seq = null). "Latest" means newest by header,
 * never by file name.
 *
 * @module
 */

import { join } from "node:path";

/** Parsed snapshot header line. */
export interface SnapshotHeader {
  /** Unix seconds when the snapshot was taken. */
  seconds: number;
  /** Unix nanoseconds (seconds * 1e9 for upstream headers). */
  ns: bigint;
  /** Last journal seq the snapshot covers, or null for upstream snapshots. */
  seq: number | null;
}

/** A snapshot file found by {@link listSnapshots}. */
export interface SnapshotInfo {
  /** file name with .pl */
  name: string;
  /** Full path of the file. */
  path: string;
  /** Its parsed header. */
  header: SnapshotHeader;
  /** File size in bytes. */
  size: number;
}

const HEADER_PREFIX = "%% zpm snapshot ";
const MAX_HEADER_BYTES = 256;
const NS_PER_S = 1_000_000_000n;

/** Format our header line (ending in "\n") for a snapshot taken at `ns` covering journal seq `seq`. */
export function formatSnapshotHeader(h: { ns: bigint; seq: number }): string {
  if (typeof h.ns !== "bigint" || h.ns < 0n) {
    throw new TypeError("snapshot ns must be a non-negative bigint");
  }
  if (!Number.isSafeInteger(h.seq) || h.seq < 0) {
    throw new TypeError(
      `snapshot seq must be a non-negative integer, got ${h.seq}`,
    );
  }
  return `${HEADER_PREFIX}${h.ns / NS_PER_S} ns=${h.ns} seq=${h.seq}\n`;
}

/**
 * Parse a snapshot header line (ours or upstream's); null when the line is not
 * one. Unknown `key=value` fields after ours are ignored.
 */
export function parseSnapshotHeader(firstLine: string): SnapshotHeader | null {
  const line = firstLine.replace(/\r?\n$/, "").trimEnd();
  if (!line.startsWith(HEADER_PREFIX)) return null;
  const tokens = line.slice(HEADER_PREFIX.length).split(/[ \t]+/);
  const secText = tokens[0];
  if (!/^\d{1,15}$/.test(secText)) return null;
  const seconds = Number(secText);
  let ns = BigInt(secText) * NS_PER_S;
  let seq: number | null = null;
  for (const token of tokens.slice(1)) {
    const m = /^([a-z][a-z0-9_]*)=(\S+)$/.exec(token);
    if (!m) return null;
    const [, key, value] = m;
    if (key === "ns") {
      if (!/^\d{1,30}$/.test(value)) return null;
      ns = BigInt(value);
    } else if (key === "seq") {
      if (!/^\d{1,16}$/.test(value)) return null;
      const n = Number(value);
      if (!Number.isSafeInteger(n)) return null;
      seq = n;
    }
  }
  return { seconds, ns, seq };
}

/** Read the first line (at most MAX_HEADER_BYTES bytes) of a file; null if there is none within that limit. */
async function readFirstLine(path: string): Promise<string | null> {
  const file = await Deno.open(path, { read: true });
  try {
    const buf = new Uint8Array(MAX_HEADER_BYTES);
    let filled = 0;
    let eof = false;
    while (filled < buf.length) {
      const n = await file.read(buf.subarray(filled));
      if (n === null) {
        eof = true;
        break;
      }
      filled += n;
      if (buf.subarray(0, filled).includes(0x0a)) break;
    }
    const data = buf.subarray(0, filled);
    const nl = data.indexOf(0x0a);
    if (nl < 0 && !eof) return null; // first line longer than the limit
    return new TextDecoder().decode(nl < 0 ? data : data.subarray(0, nl));
  } finally {
    file.close();
  }
}

/**
 * Snapshots in `dir`: regular `*.pl` files directly in it whose first line is
 * a snapshot header, newest first (by ns, then seq, then name, all
 * descending). Reads only the first line of each file. Missing dir → [].
 */
export async function listSnapshots(dir: string): Promise<SnapshotInfo[]> {
  const out: SnapshotInfo[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  for (const entry of entries) {
    if (!entry.isFile || !entry.name.endsWith(".pl")) continue;
    const path = join(dir, entry.name);
    try {
      const line = await readFirstLine(path);
      const header = line === null ? null : parseSnapshotHeader(line);
      if (!header) continue;
      const { size } = await Deno.stat(path);
      out.push({ name: entry.name, path, header, size });
    } catch {
      continue; // vanished or unreadable: not a usable snapshot
    }
  }
  out.sort((a, b) => {
    if (a.header.ns !== b.header.ns) return a.header.ns > b.header.ns ? -1 : 1;
    const sa = a.header.seq ?? -1;
    const sb = b.header.seq ?? -1;
    if (sa !== sb) return sb - sa;
    return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
  });
  return out;
}

/**
 * Validate a snapshot name and return its file name `<base>.pl`. After
 * stripping one trailing ".pl" the base must be 1–128 characters of
 * [A-Za-z0-9_.-], not start with ".", not contain "..", and not be
 * "knowledge" (any case; that is a memory's base file). Throws Error otherwise.
 */
export function snapshotFileName(name: string): string {
  if (typeof name !== "string") {
    throw new Error("Invalid snapshot name: it must be a string.");
  }
  const shown = JSON.stringify(name);
  const base = name.endsWith(".pl") ? name.slice(0, -3) : name;
  if (base.length === 0) {
    throw new Error(`Invalid snapshot name ${shown}: the name is empty.`);
  }
  if (base.length > 128) {
    throw new Error(
      `Invalid snapshot name ${shown}: at most 128 characters are allowed.`,
    );
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(base)) {
    throw new Error(
      `Invalid snapshot name ${shown}: use only letters, digits, '_', '-' and '.' (no slashes or spaces).`,
    );
  }
  if (base.startsWith(".") || base.includes("..")) {
    throw new Error(
      `Invalid snapshot name ${shown}: it must not start with '.' or contain '..'.`,
    );
  }
  if (base.toLowerCase() === "knowledge") {
    throw new Error(
      `Invalid snapshot name ${shown}: 'knowledge' is reserved for the memory's base file.`,
    );
  }
  return `${base}.pl`;
}
