/**
 * Encoding one committed tool call as one journal line (the format is described in
 * `journal_format.ts`).
 *
 * @module
 */
import { crc32c } from "./crc32c.ts";
import { describe, type JournalRecord, OPS } from "./journal_format.ts";

const encoder = new TextEncoder();

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

/** Encode one transaction as ONE journal line ending in "\n". Throws TypeError on input the reader would reject. */
export function encodeTransaction(
  tx: { seq: number; ts: number; records: JournalRecord[] },
): string {
  if (!Number.isSafeInteger(tx.seq) || tx.seq < 1) {
    throw new TypeError(
      `journal seq must be a positive safe integer, got ${describe(tx.seq)}`,
    );
  }
  if (typeof tx.ts !== "number" || !Number.isFinite(tx.ts)) {
    throw new TypeError(
      `journal ts must be a finite number, got ${describe(tx.ts)}`,
    );
  }
  if (!Array.isArray(tx.records) || tx.records.length === 0) {
    throw new TypeError("a journal transaction needs at least one record");
  }
  const records = tx.records.map((r, i) => {
    if (!OPS.has(r?.op)) {
      throw new TypeError(`record ${i}: unknown op '${describe(r?.op)}'`);
    }
    if (typeof r.clause !== "string") {
      throw new TypeError(`record ${i}: clause must be a string`);
    }
    return { op: r.op, clause: r.clause };
  });
  const body = JSON.stringify({ seq: tx.seq, ts: tx.ts, records });
  const prefix = body.slice(0, -1); // drop the closing "}"
  const crc = crc32c(encoder.encode(prefix));
  return `${prefix},"crc":"${hex8(crc)}"}\n`;
}
