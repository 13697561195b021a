/** Shared helpers for the persistence tests. */

import { encodeTransaction } from "../../src/persistence/journal_encode.ts";
import {
  type JournalRecord,
  scanJournal,
  type ScanResult,
  type Transaction,
} from "../../src/persistence/journal_format.ts";
import type { JournalFiles } from "../../src/persistence/journal_file.ts";

/** UTF-8 encoder shared by the tests. */
export const enc = new TextEncoder();
/** UTF-8 decoder shared by the tests. */
export const dec = new TextDecoder();

/** 25 transactions of mixed sizes and shapes (1–4 records, 4–300 byte clauses, non-ASCII). */
export function sampleTransactions(count = 25): Transaction[] {
  const txs: Transaction[] = [];
  for (let i = 1; i <= count; i++) {
    const records: JournalRecord[] = [];
    const nrec = i % 7 === 0 ? 3 : i % 5 === 0 ? 2 : 1;
    for (let r = 0; r < nrec; r++) {
      let clause: string;
      switch ((i + r) % 6) {
        case 0:
          clause = `p(${i})`;
          break;
        case 1:
          clause = `likes(alice, '${"x".repeat(i * 9)}')`;
          break;
        case 2:
          clause = `note("quote \\" and \\\\ and\nnewline ${i}")`;
          break;
        case 3:
          clause = `café('${"é".repeat(i % 4)}🦕', ${i})`;
          break;
        case 4:
          clause = `rule(X) :- q(X, ${i}), \\+ r(X)`;
          break;
        default:
          clause = `t${i}`;
      }
      const op = r === 0 && i % 4 === 3 ? "retractall" : r === 1 ? "retract" : "assert";
      records.push({ op, clause });
    }
    txs.push({ seq: i, ts: 1_764_000_000 + i, records });
  }
  return txs;
}

/** A journal built from `txs`, with each line's [start, newline) position. */
export function buildJournal(
  txs: Transaction[],
): { bytes: Uint8Array; lines: { start: number; nl: number }[] } {
  const parts: Uint8Array[] = [];
  const lines: { start: number; nl: number }[] = [];
  let pos = 0;
  for (const tx of txs) {
    const line = enc.encode(
      encodeTransaction({ seq: tx.seq!, ts: tx.ts, records: tx.records }),
    );
    parts.push(line);
    lines.push({ start: pos, nl: pos + line.length - 1 });
    pos += line.length;
  }
  const bytes = new Uint8Array(pos);
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.length;
  }
  return { bytes, lines };
}

/** Strip scan offsets so results compare with plain transactions. */
export function plain(txs: Transaction[]): Transaction[] {
  return txs.map(({ seq, ts, records }) => ({ seq, ts, records }));
}

/**
 * The boot-time recovery sequence under the exclusive lock: scan, cut a torn
 * tail (keeping the cut bytes in a broken file), add a missing final newline.
 * Corruption is returned untouched (the caller must refuse writes).
 */
export function recover(
  files: JournalFiles,
): Promise<{ scan: ScanResult; brokenPath: string | null }> {
  return files.withLock(true, async () => {
    const { bytes } = await files.readFrom(0);
    const scan = scanJournal(bytes);
    let brokenPath: string | null = null;
    if (scan.damage?.kind === "corrupt") return { scan, brokenPath };
    if (scan.damage) brokenPath = await files.cutTail(scan.goodEnd);
    await files.ensureFinalNewline();
    return { scan, brokenPath };
  });
}

/** Append one transaction under the exclusive lock; returns the journal size afterwards. */
export function appendTx(files: JournalFiles, tx: Transaction): Promise<number> {
  return files.withLock(
    true,
    () =>
      files.append(
        encodeTransaction({ seq: tx.seq!, ts: tx.ts, records: tx.records }),
      ),
  );
}

/** Scan the whole journal.wal. */
export async function scanFile(files: JournalFiles): Promise<ScanResult> {
  const { bytes } = await files.readFrom(0);
  return scanJournal(bytes);
}
