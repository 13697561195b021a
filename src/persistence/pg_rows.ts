/** Rows of the PostgreSQL store turned into the store interface's values (reads, snapshot lists). */
import { crc32c } from "./crc32c.ts";
import type { JournalDamage, JournalRecord, ScannedTransaction } from "./journal_format.ts";
import type { JournalRead } from "./journal_store.ts";
import { parseSnapshotHeader, type SnapshotInfo } from "./snapshot_file.ts";

/** A row of the head-joined journal query (`gen`, `head_seq`, and `seq`… null when no row matched). */
export type JournalRow = Record<string, unknown>;

/** The read after `from`: rows with a bad CRC are damage (corrupt when good rows follow). */
export function journalRead(rows: readonly JournalRow[], from: number): JournalRead {
  const transactions: ScannedTransaction[] = [];
  let goodEnd = from;
  let damage: JournalDamage | null = null;
  for (const r of rows) {
    if (r.seq === null || r.seq === undefined) continue;
    const seq = Number(r.seq);
    if (damage) {
      damage.validAfter++;
      continue;
    }
    const text = String(r.records);
    if (crc32c(new TextEncoder().encode(text)) !== Number(r.crc)) {
      damage = { kind: "corrupt", offset: seq, reason: "CRC mismatch", validAfter: 0 };
      continue;
    }
    const records = JSON.parse(text) as JournalRecord[];
    transactions.push({ seq, ts: Number(r.ts), records } as ScannedTransaction);
    goodEnd = seq;
  }
  if (damage && damage.validAfter === 0) damage.kind = "torn-tail";
  const head = rows.length ? { generation: String(rows[0].gen), end: Number(rows[0].head_seq) } : null;
  return {
    scan: { transactions, goodEnd, damage, missingFinalNewline: false },
    head,
    lines: transactions.length,
  };
}

/** Snapshot rows (`name`, `first` line, `size`) as infos, newest first by header (ns, seq, name). */
export function snapshotInfos(rows: readonly JournalRow[], location: string): SnapshotInfo[] {
  const out: SnapshotInfo[] = [];
  for (const r of rows) {
    const header = parseSnapshotHeader(String(r.first));
    const name = String(r.name);
    if (header) out.push({ name, path: `${location} snapshot ${name}`, header, size: Number(r.size) });
  }
  return out.sort((a, b) => {
    if (a.header.ns !== b.header.ns) return a.header.ns > b.header.ns ? -1 : 1;
    const d = (b.header.seq ?? -1) - (a.header.seq ?? -1);
    return d !== 0 ? d : a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
  });
}
