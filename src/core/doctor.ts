/**
 * `zpm doctor`: health of a memory's journal and snapshots, and explicit repairs of a damaged
 * journal. Every repair keeps a backup of what it changes.
 */
import { join } from "node:path";
import { JournalReplica } from "./journal_replica.ts";
import { nowNs, writeFileAtomic } from "../io/files.ts";
import { FileJournalStore } from "../persistence/file_store.ts";
import { type JournalDamage, scanJournal } from "../persistence/journal_format.ts";
import { listSnapshots, parseSnapshotHeader } from "../persistence/snapshot_file.ts";
import type { Engine } from "../engine/types.ts";
import { foreignJournalReason } from "../persistence/journal_foreign.ts";
import { openExposure } from "./exposure.ts";

/** Health of one memory's files. */
export interface MemoryHealth {
  memory: string;
  dataDir: string;
  journalBytes: number;
  transactions: number;
  damage: JournalDamage | null;
  archives: string[];
  snapshots: { name: string; ok: boolean; problem?: string }[];
  /** Syntax and load errors of the memory's `*.pl` user files, as `file:line: message`. */
  userFileErrors: string[];
  /** Set when journal.wal is not a zpm journal (why): it is never cut, writes are refused. */
  foreign: string | null;
  /** Set when the journal cannot be read safely (e.g. it is a symbolic link). */
  unsafe: string | null;
  /** Files and directories of the memory that other users can read (a warning, not damage). */
  exposed: string[];
}

/**
 * True when a memory needs attention: mid-log journal damage, a journal that is not zpm's or cannot be
 * read safely, a bad snapshot or user file.
 */
export function isDamaged(h: MemoryHealth): boolean {
  return h.damage?.kind === "corrupt" || h.foreign !== null || h.unsafe !== null ||
    h.snapshots.some((s) => !s.ok) || h.userFileErrors.length > 0;
}

/** How to repair mid-log damage. */
export type RepairMode = "keep-prefix" | "skip";

/**
 * Inspect a memory's journal, snapshots and user files without changing anything. `scratch`
 * gives a fresh engine per check (snapshot parse, user-file consult); without it those checks
 * only look at snapshot headers.
 */
export async function diagnose(
  memory: string,
  dataDir: string,
  snapshotDir: string,
  scratch?: () => Promise<Engine>,
): Promise<MemoryHealth> {
  const files = new FileJournalStore(dataDir, snapshotDir).files;
  let bytes: Uint8Array = new Uint8Array(0);
  let unsafe: string | null = null;
  try {
    bytes = (await files.readFrom(0)).bytes;
  } catch (e) {
    unsafe = (e as Error).message;
  }
  const scan = scanJournal(bytes, 0);
  const foreign = scan.damage?.kind === "torn-tail"
    ? foreignJournalReason(bytes.subarray(0, scan.goodEnd), bytes.subarray(scan.goodEnd))
    : null;
  const snapshots = [];
  for (const s of await listSnapshots(snapshotDir).catch(() => [])) {
    try {
      const text = await Deno.readTextFile(s.path);
      let problem: string | undefined;
      if (parseSnapshotHeader(text.slice(0, text.indexOf("\n"))) === null) problem = "bad header";
      else if (scratch) {
        const engine = await scratch();
        const r = await engine.call("load_snapshot", [text.slice(text.indexOf("\n") + 1)], 0);
        await engine.close();
        if (!r.ok) problem = r.error;
      }
      snapshots.push({ name: s.name, ok: problem === undefined, problem });
    } catch (e) {
      snapshots.push({ name: s.name, ok: false, problem: (e as Error).message });
    }
  }
  const userFileErrors = scratch ? await checkUserFiles(snapshotDir, scratch) : [];
  return {
    memory,
    dataDir,
    journalBytes: bytes.length,
    transactions: scan.transactions.length,
    damage: scan.damage,
    archives: (await files.listArchives().catch(() => [])).map((a) => a.name),
    snapshots,
    userFileErrors,
    foreign,
    unsafe,
    exposed: await openExposure([dataDir, snapshotDir]),
  };
}

/** Consult each top-level `*.pl` user file of `dir` (not snapshots) into a fresh engine; its errors. */
async function checkUserFiles(dir: string, scratch: () => Promise<Engine>): Promise<string[]> {
  const errors: string[] = [];
  let names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.isFile && e.name.endsWith(".pl")) names.push(e.name);
  } catch {
    return [];
  }
  names = names.sort();
  for (const name of names) {
    const path = join(dir, name);
    try {
      const text = await Deno.readTextFile(path);
      if (parseSnapshotHeader(text.slice(0, text.indexOf("\n") >>> 0))) continue;
      const engine = await scratch();
      const r = await engine.call("consult_kb", [text, path, 0], 0);
      await engine.close();
      if (!r.ok) errors.push(`${path}: ${r.error}`);
      else errors.push(...r.value.errors);
    } catch (e) {
      errors.push(`${path}: cannot read: ${(e as Error).message}`);
    }
  }
  return errors;
}

/** What each repair mode does (printed by a bare `zpm doctor --repair`). */
export const REPAIR_MODES: Record<RepairMode, string> = {
  "keep-prefix": "keep the transactions before the damage; later ones are moved to a backup file",
  "skip": "drop only the damaged transaction and keep the later ones",
};

/** Human-readable report lines. */
export function formatHealth(h: MemoryHealth): string[] {
  const lines = [`memory '${h.memory}' (${h.dataDir})`];
  const d = h.damage;
  if (h.unsafe) lines.push(`  journal.wal: NOT USED: ${h.unsafe}`);
  else if (h.foreign) {
    lines.push(
      `  journal.wal: NOT A ZPM JOURNAL (${h.foreign}); zpm never cuts or appends to it, so changes to this memory are refused`,
      "  move the file out of the memory directory if it is yours, or delete it if it came with the repository",
    );
  } else if (!d) lines.push(`  journal.wal: ok, ${h.transactions} transaction(s), ${h.journalBytes} bytes`);
  else if (d.kind === "torn-tail") {
    lines.push(
      `  journal.wal: torn tail at byte ${d.offset} (${d.reason}) after ${h.transactions} good transaction(s); the next start cuts it (backup kept)`,
    );
  } else {
    lines.push(
      `  journal.wal: DAMAGED at byte ${d.offset} (${d.reason}); ${h.transactions} good transaction(s) before it, ${d.validAfter} valid after it`,
      "  repair with one of:",
      `    zpm doctor --memory ${h.memory} --repair keep-prefix   keep the transactions before the damage (later ones are moved to a backup file)`,
      `    zpm doctor --memory ${h.memory} --repair skip          drop only the damaged transaction and keep the later ones`,
    );
  }
  lines.push(`  archives: ${h.archives.length ? h.archives.join(", ") : "none"}`);
  for (const s of h.snapshots) lines.push(`  snapshot ${s.name}: ${s.ok ? "ok" : `BAD (${s.problem})`}`);
  if (h.snapshots.length === 0) lines.push("  snapshots: none");
  for (const e of h.userFileErrors) lines.push(`  user file error: ${e}`);
  for (const path of h.exposed) {
    lines.push(`  warning: ${path} is readable by other users; make it private with: chmod go-rwx ${path}`);
  }
  return lines;
}

/** Repair a damaged journal under the exclusive lock; returns what was done (empty if healthy). */
export async function repairJournal(dataDir: string, mode: RepairMode): Promise<string[]> {
  const store = new FileJournalStore(dataDir, dataDir);
  const files = store.files;
  // A replica that applies nothing: doctor only uses its tail repair.
  const replica = new JournalReplica(store, "doctor", {
    loadSnapshot: () => Promise.resolve(null),
    apply: () => Promise.resolve(),
  }, () => {});
  return await store.withLock(true, async () => {
    const { bytes } = await files.readFrom(0);
    const read = await store.read(0);
    const { scan } = read;
    const d = scan.damage;
    if (!d) {
      if (scan.missingFinalNewline) await store.ensureFinalNewline();
      return [];
    }
    const foreign = d.kind === "torn-tail"
      ? foreignJournalReason(bytes.subarray(0, scan.goodEnd), bytes.subarray(scan.goodEnd))
      : null;
    if (foreign) {
      return [`not repaired: ${files.walPath} is not a zpm journal (${foreign}); nothing was changed`];
    }
    const backup = join(dataDir, `journal.wal.bak-${nowNs()}`);
    await writeFileAtomic(backup, bytes);
    if (mode === "keep-prefix" || d.kind === "torn-tail") {
      const broken = await replica.cutTornTail(read);
      return [
        `kept ${scan.transactions.length} transaction(s) before byte ${d.offset}; removed bytes saved to ${broken}`,
        `full backup: ${backup}`,
      ];
    }
    let end = bytes.indexOf(10, d.offset);
    end = end < 0 ? bytes.length : end + 1;
    const repaired = new Uint8Array(bytes.length - (end - d.offset));
    repaired.set(bytes.subarray(0, d.offset), 0);
    repaired.set(bytes.subarray(end), d.offset);
    await writeFileAtomic(files.walPath, repaired);
    const after = scanJournal(repaired, 0);
    const notes = [
      `dropped the damaged transaction at bytes ${d.offset}-${end}; ${after.transactions.length} transaction(s) remain`,
      `full backup: ${backup}`,
    ];
    if (after.damage) notes.push(`more damage remains at byte ${after.damage.offset}: run zpm doctor again`);
    return notes;
  });
}
