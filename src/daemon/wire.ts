/**
 * The warm engine's wire format over its Unix socket: the client sends one JSON line; for a command the
 * engine answers `started` the moment it begins running it, then one JSON line with the command's
 * output (stdout and stderr pieces, in the order they were written) and exit code, and closes. A reply cut short before `started` means nothing ran.
 *
 * @module
 */
import { concatBytes, writeAll } from "../io/files.ts";

/** What a client asks. */
export type Request =
  | { op: "call"; build: string; argv: string[]; cwd: string }
  | { op: "status" }
  | { op: "stop" };

/** The reply to a command: what it wrote, in order (1 = stdout, 2 = stderr), and its exit code. */
export interface Answer {
  output: [1 | 2, string][];
  code: number;
}

/** How a command exchange ended. */
export type Exchange =
  | ({ kind: "answer" } & Answer)
  | { kind: "not-started"; why: string }
  | { kind: "lost" };

/** The line that says the command began. */
export const STARTED = "started";

/** Connect to a warm engine's socket; null when nobody listens there. */
export async function connectSocket(path: string): Promise<Deno.UnixConn | null> {
  try {
    return await Deno.connect({ transport: "unix", path });
  } catch {
    return null;
  }
}

/** Write all of `text` to `conn`. */
export async function writeConn(conn: Deno.Conn, text: string): Promise<void> {
  await writeAll(conn, new TextEncoder().encode(text));
}

/** Read `conn` to its end (or its failure) as text. */
export async function readAll(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
  } catch { /* reset by a dying peer: what arrived is what there is */ }
  return new TextDecoder().decode(concatBytes(chunks));
}

/** The largest request line accepted (a command's arguments). */
const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

/** Read one line (without its newline) from `conn`; null at the end, or when it is too long. */
export async function readLine(conn: Deno.Conn): Promise<string | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const buf = new Uint8Array(65536);
  while (size <= MAX_REQUEST_BYTES) {
    const n = await conn.read(buf);
    if (n === null) return null;
    const nl = buf.subarray(0, n).indexOf(10);
    chunks.push(buf.slice(0, nl < 0 ? n : nl));
    size += n;
    if (nl >= 0) return new TextDecoder().decode(concatBytes(chunks));
  }
  return null;
}

/** Send `request` and read the whole reply (then close). */
export async function roundTrip(conn: Deno.Conn, request: Request): Promise<string> {
  try {
    await writeConn(conn, JSON.stringify(request) + "\n");
    return await readAll(conn);
  } catch {
    return "";
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

/** Run one command exchange on `conn`. */
export async function exchange(conn: Deno.Conn, request: Request): Promise<Exchange> {
  const lines = (await roundTrip(conn, request)).split("\n");
  if (lines[0] !== STARTED) {
    try {
      const refused = JSON.parse(lines[0]) as { refused?: string };
      return { kind: "not-started", why: refused.refused ?? "refused" };
    } catch {
      return { kind: "not-started", why: "the warm engine closed the connection" };
    }
  }
  try {
    const a = JSON.parse(lines[1]) as Answer;
    const piece = (p: unknown) => Array.isArray(p) && (p[0] === 1 || p[0] === 2) && typeof p[1] === "string";
    if (Array.isArray(a.output) && a.output.every(piece) && Number.isInteger(a.code)) {
      return { kind: "answer", ...a };
    }
  } catch { /* cut short */ }
  return { kind: "lost" };
}
