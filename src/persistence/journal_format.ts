/**
 * The journal line format, and scanning a journal buffer for complete, intact
 * transactions (`journal_encode.ts` writes the lines).
 *
 * ## What we write
 *
 * `journal.wal` is UTF-8 JSON Lines. Every tool call is committed as ONE line,
 * terminated by `\n`, with the keys in exactly this order:
 *
 * ```
 * {"seq":N,"ts":<unix seconds>,"records":[{"op":"assert","clause":"..."},...],"crc":"<8 lowercase hex>"}
 * ```
 *
 * - `seq`: positive safe integer; strictly increasing from line to line.
 * - `ts`: Unix time in seconds (a JSON number).
 * - `records`: non-empty array of `{"op","clause"}`, where `op` is `assert`,
 *   `retract` or `retractall` and `clause` is the clause text without the
 *   final `.`, or `op` is `assert_many` and `clause` holds several clauses,
 *   each ended by `" . "` (a bulk load). Records are applied in order; the
 *   line is applied all or nothing.
 * - `crc`: CRC-32C (Castagnoli) of the UTF-8 bytes of the line text that
 *   precedes `,"crc":`, i.e. of `{"seq":...,"records":[...]`, as 8 lowercase
 *   hex digits.
 *
 * The line is built with `JSON.stringify`, so quotes, backslashes, control
 * characters, newlines and lone surrogates inside clauses are escaped and a
 * line never contains a raw newline.
 *
 * ## What we read
 *
 * - Lines in the format above (the CRC must match).
 * - Upstream (Zig zpm) lines `{"ts":<int>,"op":"assert|retract|retractall","clause":"<string>"}`
 *   with exactly those keys and no crc. Each becomes a transaction with
 *   `seq: null` and one record.
 * - Blank lines (only spaces, tabs, CR) are skipped. Spaces, tabs and CR around
 *   a line are ignored.
 *
 * Anything else is damage. Scanning stops at the first damaged line; every
 * later line is inspected only to tell a torn tail (nothing valid follows)
 * from mid-log corruption (valid transactions follow, which must never be
 * dropped silently).
 *
 * @module
 */

import { crc32c } from "./crc32c.ts";

/**
 * A journal operation: upstream zpm's three, and `assert_many` (zpm's own, for bulk loads): its clause
 * text holds several clauses, each ended by " . ", asserted in order as `assert` records would be.
 */
export type RecordOp = "assert" | "retract" | "retractall" | "assert_many";

/** One clause-level change inside a transaction. */
export interface JournalRecord {
  /** What to do with the clause. */
  op: RecordOp;
  /** Clause text without the terminating ".". */
  clause: string;
}

/** One committed tool call. seq is null for upstream (Zig zpm) single-record lines. */
export interface Transaction {
  /** Sequence number (strictly increasing within a journal file), or null for an upstream line. */
  seq: number | null;
  /** Commit time, Unix seconds. */
  ts: number;
  /** The records, applied in order, all or nothing. */
  records: JournalRecord[];
}

/** A transaction plus where its line sits: `start` is the offset of its first byte, `end` the offset after its `\n` (or after its last byte when the final line has no newline). */
export interface ScannedTransaction extends Transaction {
  /** Offset of the line's first byte. */
  start: number;
  /** Offset after the line's "\n" (or after its last byte when it has none). */
  end: number;
}

/** The first damaged line of a scan. `validAfter` counts intact transactions (ours or upstream lines) found after it; kind is "corrupt" when that is > 0, else "torn-tail". */
export interface JournalDamage {
  /** "corrupt" when intact transactions follow the damage (never drop them silently), else "torn-tail". */
  kind: "torn-tail" | "corrupt";
  /** Offset of the first byte of the damaged line. */
  offset: number;
  /** Why the line was rejected, e.g. "CRC mismatch", "invalid JSON", "unknown op 'x'". */
  reason: string;
  /** Intact transactions of ours after the damage, including one hidden at the end of the damaged line itself (a lost newline). */
  validAfter: number;
}

/** Result of scanning a journal buffer. */
export interface ScanResult {
  /** Transactions before the damage (all of them when there is none). */
  transactions: ScannedTransaction[];
  /** Offset just after the last good or blank line before the damage; baseOffset + bytes.length when there is no damage. */
  goodEnd: number;
  /** The first damaged line, or null. */
  damage: JournalDamage | null;
  /** True when there is no damage and the buffer does not end with "\n": append "\n" before appending more. */
  missingFinalNewline: boolean;
}

/** The operations a record of ours may carry. */
export const OPS: ReadonlySet<string> = new Set(["assert", "retract", "retractall", "assert_many"]);
/** The operations an upstream (Zig zpm) line may carry. */
const UPSTREAM_OPS: ReadonlySet<string> = new Set(["assert", "retract", "retractall"]);

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

const NL = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BRACE_OPEN = 0x7b;
const BRACE_CLOSE = 0x7d;

/** `,"crc":"` */
const CRC_KEY = encoder.encode(`,"crc":"`);
/** `,"crc":"` + 8 hex digits + `"}` */
const CRC_SUFFIX_LEN = CRC_KEY.length + 8 + 2;
/** `{"seq":` — how every line of ours starts. */
const OUR_START = encoder.encode(`{"seq":`);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hasExactKeys(o: Record<string, unknown>, keys: string[]): boolean {
  const actual = Object.keys(o);
  return actual.length === keys.length &&
    keys.every((k) => Object.hasOwn(o, k));
}

/** A value shortened to 40 characters, for messages about bad input. */
export function describe(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

type LineResult =
  | { kind: "blank" }
  | { kind: "tx"; tx: Transaction }
  | { kind: "bad"; reason: string };

function isSpace(b: number): boolean {
  return b === SPACE || b === TAB || b === CR;
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  return -1;
}

/** If bytes[s, e) ends in `,"crc":"xxxxxxxx"}` (lowercase hex), return the stored CRC, else -1. */
function storedCrc(bytes: Uint8Array, s: number, e: number): number {
  if (e - s < CRC_SUFFIX_LEN + 2) return -1;
  const k = e - CRC_SUFFIX_LEN;
  for (let i = 0; i < CRC_KEY.length; i++) {
    if (bytes[k + i] !== CRC_KEY[i]) return -1;
  }
  if (bytes[e - 2] !== QUOTE || bytes[e - 1] !== BRACE_CLOSE) return -1;
  let crc = 0;
  for (let i = k + CRC_KEY.length; i < e - 2; i++) {
    const h = hexValue(bytes[i]);
    if (h < 0) return -1;
    crc = crc * 16 + h;
  }
  return crc;
}

function parseJson(
  bytes: Uint8Array,
  s: number,
  e: number,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  let text: string;
  try {
    text = decoder.decode(bytes.subarray(s, e));
  } catch {
    return { ok: false, reason: "invalid UTF-8" };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: "invalid JSON" };
  }
}

function parseRecords(
  v: unknown,
): { ok: true; records: JournalRecord[] } | { ok: false; reason: string } {
  if (!Array.isArray(v) || v.length === 0) {
    return { ok: false, reason: "records is not a non-empty array" };
  }
  const records: JournalRecord[] = [];
  for (const r of v) {
    if (!isPlainObject(r) || !hasExactKeys(r, ["op", "clause"])) {
      return { ok: false, reason: "malformed record" };
    }
    if (typeof r.op !== "string" || !OPS.has(r.op)) {
      return { ok: false, reason: `unknown op '${describe(r.op)}'` };
    }
    if (typeof r.clause !== "string") {
      return { ok: false, reason: "clause is not a string" };
    }
    records.push({ op: r.op as RecordOp, clause: r.clause });
  }
  return { ok: true, records };
}

/** Parse bytes[s, e) (one line without its "\n"). */
function parseLine(bytes: Uint8Array, s: number, e: number): LineResult {
  while (s < e && isSpace(bytes[s])) s++;
  while (e > s && isSpace(bytes[e - 1])) e--;
  if (s === e) return { kind: "blank" };

  const crc = storedCrc(bytes, s, e);
  if (crc >= 0) {
    if (crc32c(bytes.subarray(s, e - CRC_SUFFIX_LEN)) !== crc) {
      return { kind: "bad", reason: "CRC mismatch" };
    }
    const parsed = parseJson(bytes, s, e);
    if (!parsed.ok) return { kind: "bad", reason: parsed.reason };
    const o = parsed.value;
    if (
      !isPlainObject(o) || !hasExactKeys(o, ["seq", "ts", "records", "crc"])
    ) {
      return { kind: "bad", reason: "unrecognized transaction shape" };
    }
    if (
      typeof o.seq !== "number" || !Number.isSafeInteger(o.seq) || o.seq < 1
    ) {
      return { kind: "bad", reason: "seq is not a positive integer" };
    }
    if (typeof o.ts !== "number") {
      return { kind: "bad", reason: "ts is not a number" };
    }
    const recs = parseRecords(o.records);
    if (!recs.ok) return { kind: "bad", reason: recs.reason };
    return { kind: "tx", tx: { seq: o.seq, ts: o.ts, records: recs.records } };
  }

  const parsed = parseJson(bytes, s, e);
  if (!parsed.ok) return { kind: "bad", reason: parsed.reason };
  const o = parsed.value;
  if (!isPlainObject(o)) return { kind: "bad", reason: "not a JSON object" };
  if (Object.hasOwn(o, "crc")) {
    return { kind: "bad", reason: "malformed crc field" };
  }
  if (!hasExactKeys(o, ["ts", "op", "clause"])) {
    const keys = Object.keys(o).slice(0, 8).join(", ");
    return { kind: "bad", reason: `unrecognized record (keys: ${keys})` };
  }
  if (typeof o.ts !== "number" || !Number.isSafeInteger(o.ts)) {
    return { kind: "bad", reason: "ts is not an integer" };
  }
  if (typeof o.op !== "string" || !UPSTREAM_OPS.has(o.op)) {
    return { kind: "bad", reason: `unknown op '${describe(o.op)}'` };
  }
  if (typeof o.clause !== "string") {
    return { kind: "bad", reason: "clause is not a string" };
  }
  return {
    kind: "tx",
    tx: {
      seq: null,
      ts: o.ts,
      records: [{ op: o.op as RecordOp, clause: o.clause }],
    },
  };
}

function startsWithAt(
  bytes: Uint8Array,
  at: number,
  what: Uint8Array,
): boolean {
  if (at + what.length > bytes.length) return false;
  for (let i = 0; i < what.length; i++) {
    if (bytes[at + i] !== what[i]) return false;
  }
  return true;
}

/**
 * Does a damaged line bytes[s, e) hide an intact line of ours after its first
 * byte? That happens when a newline was lost (bit flip, zeroed sector) or a
 * torn write was followed by a later append: the later transaction is intact
 * and must be counted so it is never dropped as a "torn tail".
 */
function hidesTransaction(bytes: Uint8Array, s: number, e: number): boolean {
  // Every candidate ends where the line ends, so without a crc suffix there
  // (after the trailing whitespace parseLine ignores) nothing can be hidden.
  let t = e;
  while (t > s && isSpace(bytes[t - 1])) t--;
  if (storedCrc(bytes, s, t) < 0) return false;
  let i = bytes.indexOf(BRACE_OPEN, s + 1);
  while (i >= 0 && i < e) {
    if (startsWithAt(bytes, i, OUR_START)) {
      const r = parseLine(bytes, i, e);
      if (r.kind === "tx" && r.tx.seq !== null) return true;
    }
    i = bytes.indexOf(BRACE_OPEN, i + 1);
  }
  return false;
}

/**
 * Scan a journal buffer (normally journal.wal from `baseOffset`, which must be
 * a line boundary) and return its intact transactions up to the first damaged
 * line, plus a description of that damage. All offsets include `baseOffset`.
 * Never throws on bad input.
 */
export function scanJournal(bytes: Uint8Array, baseOffset = 0): ScanResult {
  const transactions: ScannedTransaction[] = [];
  const n = bytes.length;
  let pos = 0;
  let lastSeq: number | null = null;
  while (pos < n) {
    const nl = bytes.indexOf(NL, pos);
    const lineEnd = nl < 0 ? n : nl;
    const next = nl < 0 ? n : nl + 1;
    const r = parseLine(bytes, pos, lineEnd);
    let reason: string | null = null;
    if (r.kind === "bad") {
      reason = r.reason;
    } else if (r.kind === "tx") {
      const seq = r.tx.seq;
      if (seq !== null && lastSeq !== null && seq <= lastSeq) {
        reason = `sequence went backwards (seq ${seq} after ${lastSeq})`;
      } else {
        if (seq !== null) lastSeq = seq;
        transactions.push({
          ...r.tx,
          start: baseOffset + pos,
          end: baseOffset + next,
        });
      }
    }
    if (reason !== null) {
      const validAfter = countValidAfter(bytes, pos, lineEnd, next);
      return {
        transactions,
        goodEnd: baseOffset + pos,
        damage: {
          kind: validAfter > 0 ? "corrupt" : "torn-tail",
          offset: baseOffset + pos,
          reason,
          validAfter,
        },
        missingFinalNewline: false,
      };
    }
    pos = next;
  }
  return {
    transactions,
    goodEnd: baseOffset + n,
    damage: null,
    missingFinalNewline: n > 0 && bytes[n - 1] !== NL,
  };
}

/** Count intact transactions of ours after the damaged line that starts at `badStart`. */
function countValidAfter(
  bytes: Uint8Array,
  badStart: number,
  badEnd: number,
  next: number,
): number {
  let count = hidesTransaction(bytes, badStart, badEnd) ? 1 : 0;
  let pos = next;
  while (pos < bytes.length) {
    const nl = bytes.indexOf(NL, pos);
    const lineEnd = nl < 0 ? bytes.length : nl;
    const r = parseLine(bytes, pos, lineEnd);
    if (r.kind === "tx") {
      count++; // ours or upstream: a later valid transaction is never dropped silently
    } else if (r.kind === "bad" && hidesTransaction(bytes, pos, lineEnd)) {
      count++;
    }
    pos = nl < 0 ? bytes.length : nl + 1;
  }
  return count;
}
