/**
 * One memory's knowledge base: a Prolog engine kept equal to its files on disk.
 *
 * Boot: user files (`kb/*.pl`, read-only base layer) → newest snapshot → journal transactions after
 * the snapshot's sequence number. Every mutation runs under the exclusive journal lock: catch up on
 * what other processes committed, plan the change in the engine (which yields journal records),
 * append + fdatasync one transaction, and only then apply the records and acknowledge. Reads first
 * apply transactions that other processes committed since this process last looked.
 */
import { join } from "node:path";
import { InProcessEngine } from "../engine/inprocess_engine.ts";
import { ProcessEngine } from "../engine/process_engine.ts";
import type { OpArgs, OpName, OpReply, PlannedOp } from "../engine/ops.ts";
import type { Engine, EngineReply, PlannedRecord } from "../engine/types.ts";
import {
  type FileId,
  JournalFiles,
  JournalWriteError,
  nowNs,
  writeFileAtomic,
} from "../persistence/journal_file.ts";
import {
  encodeTransaction,
  type JournalDamage,
  scanJournal,
  type Transaction,
} from "../persistence/journal_format.ts";
import {
  formatSnapshotHeader,
  listSnapshots,
  parseSnapshotHeader,
  snapshotFileName,
  type SnapshotInfo,
} from "../persistence/snapshot_file.ts";
import type { Limits } from "./limits.ts";

/** Where a memory keeps its files and how its engine runs. */
export interface KnowledgeBaseOptions {
  /** Memory name, e.g. "default". */
  name: string;
  /** Directory of journal.wal / journal.lock / archives. */
  dataDir: string;
  /** Directory where snapshots are written and looked up. */
  snapshotDir: string;
  /** Directory whose top-level *.pl user files form the read-only base layer (or null). */
  userFilesDir: string | null;
  /** "process" (serve: hard deadline) or "inprocess" (one-shot CLI). */
  engineMode: "process" | "inprocess";
  /** Resource limits. */
  limits: Limits;
  /** Diagnostics sink (stderr). */
  log: (message: string) => void;
  /**
   * When the data directory is not writable: keep changes in memory until it is (serve), or
   * refuse them (one-shot CLI, whose memory ends with the process).
   */
  allowMemoryOnly: boolean;
}

/** Outcome of a mutation; `V` is the planning reply's value (see `Ops`). */
export interface MutationResult<V = unknown> {
  /** The engine's planning reply (result data or error). */
  reply: EngineReply<V>;
  /** Records committed (empty when the plan failed or changed nothing). */
  records: PlannedRecord[];
  /** Set when the change was applied in memory only (degraded persistence). */
  notDurable?: string;
}

/** Thrown when a mutation cannot be made durable; nothing was changed. */
export class PersistenceError extends Error {}

const APPLY_BATCH_BYTES = 1 << 20;

/** A memory's engine plus its persistence. */
export class KnowledgeBase {
  private engine!: Engine;
  private offset = 0;
  private fileId: FileId | null = null;
  private lastSeq = 0;
  /** An engine rebuild in progress after a timeout or crash. */
  private rebuilding: Promise<void> | null = null;
  /** Transactions applied while the data directory was not writable. */
  private memoryOnly: PlannedRecord[][] = [];
  /** "active" or "degraded". */
  status: "active" | "degraded" = "active";
  /** Why the memory is degraded. */
  degradedReason = "";
  /** Mid-log journal damage found at boot: writes are refused until repaired. */
  damage: (JournalDamage & { file: string }) | null = null;
  /** Warnings collected during boot and recovery (also printed to stderr). */
  readonly warnings: string[] = [];
  /** The snapshot this state was built from, if any. */
  baseSnapshot: SnapshotInfo | null = null;
  readonly files: JournalFiles;

  private constructor(readonly opts: KnowledgeBaseOptions) {
    this.files = new JournalFiles(opts.dataDir);
  }

  /** Boot a memory from its files. Never fails because of persistence problems. */
  static async open(opts: KnowledgeBaseOptions): Promise<KnowledgeBase> {
    const kb = new KnowledgeBase(opts);
    await kb.rebuild(true);
    return kb;
  }

  private warn(message: string) {
    this.warnings.push(message);
    this.opts.log(`zpm: ${message}`);
  }

  private async startEngine(): Promise<Engine> {
    const max = this.opts.limits.maxKbBytes;
    return this.opts.engineMode === "process"
      ? await ProcessEngine.start(max)
      : await InProcessEngine.start(max);
  }

  /** Build a fresh engine from disk (boot, or after a timeout/crash killed the old one). */
  private async rebuild(firstBoot: boolean): Promise<void> {
    await this.reload(firstBoot, async () => {
      try {
        await this.files.withLock(true, () => this.loadDurableState(true));
        if (this.status === "degraded" && this.memoryOnly.length === 0) this.status = "active";
      } catch (e) {
        if (!(e instanceof JournalWriteError)) throw e;
        // Data directory not writable: load what can be read, without repairs.
        this.setDegraded(e.message);
        await this.loadDurableState(false);
      }
    });
  }

  /** A fresh engine: user files, then `loadDurable`, then changes kept in memory only. */
  private async reload(reportUserFiles: boolean, loadDurable: () => Promise<void>): Promise<void> {
    const old = this.engine;
    this.engine = await this.startEngine();
    if (old) await old.close().catch(() => {});
    await this.loadUserFiles(reportUserFiles);
    await loadDurable();
    for (const tx of this.memoryOnly) await this.applyRecords(tx);
  }

  private setDegraded(reason: string) {
    if (this.status !== "degraded") this.warn(`persistence degraded: ${reason}`);
    this.status = "degraded";
    this.degradedReason = reason;
  }

  private async loadUserFiles(report: boolean) {
    const dir = this.opts.userFilesDir;
    if (!dir) return;
    let names: string[] = [];
    try {
      for await (const e of Deno.readDir(dir)) {
        if (e.isFile && e.name.endsWith(".pl")) names.push(e.name);
      }
    } catch {
      return;
    }
    names = names.sort();
    for (const name of names) {
      const path = join(dir, name);
      let text: string;
      try {
        text = await Deno.readTextFile(path);
      } catch (e) {
        if (report) this.warn(`cannot read ${path}: ${(e as Error).message}`);
        continue;
      }
      if (parseSnapshotHeader(text.slice(0, text.indexOf("\n") >>> 0))) continue; // a snapshot
      const r = await this.engine.call("consult_kb", [text, path], 0);
      if (!r.ok) {
        if (report) this.warn(`${path}: ${r.error}`);
      } else if (report) {
        for (const err of r.value.errors as string[]) this.warn(err);
      }
    }
  }

  /** Newest snapshot → journal. With `repair`, the caller holds the exclusive lock. */
  private async loadDurableState(repair: boolean) {
    this.damage = null;
    this.baseSnapshot = null;
    let snapSeq: number | null = null;
    for (const snap of await listSnapshots(this.opts.snapshotDir)) {
      const text = await Deno.readTextFile(snap.path).catch(() => null);
      const r = text === null ? null : await this.engine.call("load_snapshot", [text], 0);
      if (r?.ok) {
        this.baseSnapshot = snap;
        snapSeq = snap.header.seq;
        break;
      }
      this.warn(
        `snapshot ${snap.path} could not be loaded (${r ? r.error : "unreadable"}); trying an older one`,
      );
    }
    this.lastSeq = snapSeq ?? 0;
    const { bytes, id } = await this.files.readFrom(0);
    const scan = scanJournal(bytes, 0);
    if (scan.damage) {
      const where = `${this.files.walPath} at byte ${scan.damage.offset}`;
      if (scan.damage.kind === "torn-tail" && repair) {
        const broken = await this.files.cutTail(scan.goodEnd);
        this.warn(`torn journal tail at ${where} (${scan.damage.reason}); cut bytes saved to ${broken}`);
      } else if (scan.damage.kind === "torn-tail") {
        this.warn(`torn journal tail at ${where} (${scan.damage.reason}); ignored until writable`);
      } else {
        this.damage = { ...scan.damage, file: this.files.walPath };
        this.warn(
          `journal damaged at ${where}: ${scan.damage.reason}, followed by ${scan.damage.validAfter} valid transaction(s). ` +
            `Loaded the valid prefix; writes to memory '${this.opts.name}' are refused until you run \`zpm doctor --repair\`.`,
        );
      }
    } else if (scan.missingFinalNewline && repair) {
      await this.files.ensureFinalNewline();
    }
    await this.applyTransactions(
      scan.transactions.filter((t) => t.seq === null || snapSeq === null || t.seq > snapSeq),
    );
    for (const t of scan.transactions) if (t.seq !== null && t.seq > this.lastSeq) this.lastSeq = t.seq;
    this.offset = scan.damage ? scan.goodEnd : bytes.length + (scan.missingFinalNewline && repair ? 1 : 0);
    this.fileId = repair ? await this.files.stat() : id;
  }

  private async applyTransactions(txs: Transaction[]) {
    let batch: string[] = [];
    let size = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const r = await this.engine.call("apply", batch, 0);
      if (!r.ok) this.warn(`replaying journal records failed: ${r.error}`);
      batch = [];
      size = 0;
    };
    for (const tx of txs) {
      for (const rec of tx.records) {
        batch.push(rec.op, rec.clause);
        size += rec.clause.length;
      }
      if (size > APPLY_BATCH_BYTES) await flush();
    }
    await flush();
  }

  private async applyRecords(records: PlannedRecord[]) {
    await this.applyTransactions([{ seq: null, ts: 0, records }]);
  }

  /**
   * Apply transactions other processes committed since our offset. With `writer` the caller holds
   * the exclusive lock: a torn tail left by a crashed writer is cut (and kept in a .broken file) so
   * the next append lands on a clean line, and mid-log damage refuses the write.
   */
  private async catchUp(writer = false): Promise<void> {
    const id = await this.files.stat();
    const same = id && this.fileId && id.ino === this.fileId.ino;
    if (same && id!.size === this.offset) return;
    if (!id && !this.fileId) return;
    if (!same || id!.size < this.offset) {
      // Another process rotated the journal (snapshot or restore): rebuild from disk.
      await this.rebuildKeepingLock(writer);
    } else {
      const { bytes } = await this.files.readFrom(this.offset);
      const scan = scanJournal(bytes, this.offset);
      const fresh = scan.transactions.filter((t) => t.seq === null || t.seq > this.lastSeq);
      await this.applyTransactions(fresh);
      for (const t of fresh) if (t.seq !== null && t.seq > this.lastSeq) this.lastSeq = t.seq;
      this.offset = scan.goodEnd;
      if (writer && scan.damage?.kind === "torn-tail") {
        const broken = await this.files.cutTail(scan.goodEnd);
        this.warn(
          `cut a torn journal tail at byte ${scan.damage.offset} (${scan.damage.reason}); saved to ${broken}`,
        );
        this.fileId = await this.files.stat();
      } else if (scan.damage?.kind === "corrupt") {
        this.damage = { ...scan.damage, file: this.files.walPath };
      } else if (writer && scan.missingFinalNewline) {
        await this.files.ensureFinalNewline();
        this.offset += 1;
        this.fileId = await this.files.stat();
      }
    }
    if (writer && this.damage) throw new PersistenceError(this.damageMessage());
  }

  private damageMessage(): string {
    const d = this.damage!;
    return `memory '${this.opts.name}' is damaged: ${d.file} has a bad transaction at byte ${d.offset} ` +
      `(${d.reason}) followed by ${d.validAfter} valid one(s). Nothing was changed. ` +
      "Run `zpm doctor` to inspect and `zpm doctor --repair` to fix it.";
  }

  private async rebuildKeepingLock(writer = false) {
    await this.reload(false, () => this.loadDurableState(writer));
  }

  /** Run an engine call; a timeout or crash rebuilds the engine from disk. */
  private async guarded<Op extends OpName>(
    op: Op,
    args: OpArgs<Op>,
    timeoutMs: number,
    locked = false,
  ): Promise<EngineReply<OpReply<Op>>> {
    if (!locked) await this.settle();
    const r = await this.engine.call(op, args, timeoutMs);
    if (!r.ok && (r.kind === "timeout" || r.kind === "crash")) {
      this.opts.log(`zpm: ${r.error}; rebuilding the engine of memory '${this.opts.name}'`);
      if (locked) await this.rebuildKeepingLock();
      else {
        // Answer now; the next call waits until the fresh engine has reloaded the knowledge.
        this.rebuilding = this.rebuild(false)
          .catch((e) => this.opts.log(`zpm: rebuilding memory '${this.opts.name}' failed: ${e}`))
          .finally(() => (this.rebuilding = null));
      }
      const detail = r.kind === "timeout" ? "" : " (the engine was restarted)";
      return { ok: false, kind: r.kind, error: `${r.error}${detail}; no knowledge was lost` };
    }
    return r;
  }

  /** Wait for an engine rebuild started after a timeout or crash. */
  private async settle(): Promise<void> {
    while (this.rebuilding) await this.rebuilding;
  }

  /** A read operation: catch up with other processes, then run with the deadline. */
  async read<Op extends OpName>(op: Op, args: OpArgs<Op>): Promise<EngineReply<OpReply<Op>>> {
    await this.refresh();
    return await this.guarded(op, args, this.opts.limits.timeoutMs);
  }

  /** Catch up on other processes' commits (best effort; a lock problem only logs). */
  async refresh(): Promise<void> {
    await this.settle();
    if (this.status === "degraded") await this.tryRecover();
    try {
      const id = await this.files.stat();
      if (id && this.fileId && id.ino === this.fileId.ino && id.size === this.offset) return;
      if (!id && !this.fileId) return;
      await this.files.withLock(false, () => this.catchUp());
    } catch (e) {
      if (!(e instanceof JournalWriteError)) throw e;
      // Cannot lock (read-only directory): read without the lock; complete lines only.
      await this.catchUp();
    }
  }

  /** A mutation: plan under the lock, commit one transaction, then apply it. */
  async mutate<Op extends PlannedOp>(op: Op, args: OpArgs<Op>): Promise<MutationResult<OpReply<Op>>> {
    await this.settle();
    if (this.damage) throw new PersistenceError(this.damageMessage());
    if (this.status === "degraded") await this.tryRecover();
    if (this.status === "degraded") return await this.mutateInMemory(op, args);
    try {
      return await this.files.withLock(true, async () => {
        await this.catchUp(true);
        const reply = await this.guarded(op, args, this.opts.limits.timeoutMs, true);
        if (!reply.ok) return { reply, records: [] };
        const records = reply.value.records as PlannedRecord[];
        if (records.length === 0) return { reply, records };
        await this.commit(records);
        await this.applyRecords(records);
        return { reply, records };
      });
    } catch (e) {
      if (e instanceof JournalWriteError && isNotWritable(e)) {
        this.setDegraded(e.message);
        return await this.mutateInMemory(op, args);
      }
      throw e;
    }
  }

  private async mutateInMemory<Op extends PlannedOp>(
    op: Op,
    args: OpArgs<Op>,
  ): Promise<MutationResult<OpReply<Op>>> {
    if (!this.opts.allowMemoryOnly) {
      throw new PersistenceError(
        `cannot save: persistence is degraded (${this.degradedReason}). Nothing was changed.`,
      );
    }
    const reply = await this.guarded(op, args, this.opts.limits.timeoutMs);
    if (!reply.ok) return { reply, records: [] };
    const records = reply.value.records as PlannedRecord[];
    if (records.length > 0) {
      this.memoryOnly.push(records);
      await this.applyRecords(records);
    }
    return {
      reply,
      records,
      notDurable:
        `warning: persistence is degraded (${this.degradedReason}); this change is kept in memory only and will be written to the journal once ${this.opts.dataDir} is writable again`,
    };
  }

  /** Append one transaction and fdatasync it (caller holds the exclusive lock). */
  private async commit(records: PlannedRecord[]): Promise<void> {
    const seq = this.lastSeq + 1;
    const line = encodeTransaction({ seq, ts: Math.floor(Date.now() / 1000), records });
    const before = this.offset;
    try {
      await this.files.append(line);
    } catch (e) {
      // Leave no partial line behind: cut back to where we started (best effort).
      try {
        const id = await this.files.stat();
        if (id && id.size > before) await this.files.cutTail(before);
      } catch { /* the next boot repairs a torn tail */ }
      if (e instanceof JournalWriteError && isNotWritable(e)) throw e;
      throw new PersistenceError(
        `could not write the journal ${this.files.walPath}: ${
          (e as Error).message
        }. The change was not applied.`,
      );
    }
    this.lastSeq = seq;
    this.offset = before + new TextEncoder().encode(line).length;
    this.fileId = await this.files.stat();
  }

  /** In degraded mode: once the directory is writable again, flush in-memory changes and go active. */
  private async tryRecover(): Promise<void> {
    try {
      await this.files.withLock(true, async () => {
        await this.catchUpForRecovery();
        for (const records of this.memoryOnly) await this.commit(records);
      });
      this.memoryOnly = [];
      this.status = "active";
      this.degradedReason = "";
      this.opts.log(`zpm: persistence of memory '${this.opts.name}' is active again`);
    } catch {
      // still not writable
    }
  }

  private async catchUpForRecovery() {
    const { bytes } = await this.files.readFrom(0);
    const scan = scanJournal(bytes, 0);
    if (scan.damage?.kind === "torn-tail") await this.files.cutTail(scan.goodEnd);
    if (scan.missingFinalNewline && !scan.damage) await this.files.ensureFinalNewline();
    for (const t of scan.transactions) if (t.seq !== null && t.seq > this.lastSeq) this.lastSeq = t.seq;
    this.offset = (await this.files.stat())?.size ?? 0;
    this.fileId = await this.files.stat();
  }

  /** Save the whole knowledge base as a snapshot, then rotate and reap the journal. */
  async saveSnapshot(name: string): Promise<string> {
    await this.settle();
    const file = snapshotFileName(name);
    if (this.status === "degraded") {
      throw new PersistenceError(
        `cannot save snapshot: persistence is degraded (${this.degradedReason})`,
      );
    }
    await this.files.withLock(true, async () => {
      await this.catchUp(true);
      await this.writeSnapshot(file);
    });
    return file;
  }

  private async writeSnapshot(file: string) {
    const dump = await this.guarded("dump", [], 0, true);
    if (!dump.ok) throw new PersistenceError(`cannot dump the knowledge base: ${dump.error}`);
    await Deno.mkdir(this.opts.snapshotDir, { recursive: true });
    const previous = this.baseSnapshot;
    const ns = nowNs();
    const header = formatSnapshotHeader({ ns, seq: this.lastSeq });
    const path = join(this.opts.snapshotDir, file);
    await writeFileAtomic(path, header + dump.value);
    await this.files.rotate();
    this.baseSnapshot = (await listSnapshots(this.opts.snapshotDir)).find((s) => s.name === file) ?? null;
    if (previous) await this.files.reap(previous.header.ns);
    this.offset = 0;
    this.fileId = await this.files.stat();
  }

  /** Replace the knowledge base with a snapshot (validated first) and make that durable. */
  async restoreSnapshot(name: string): Promise<void> {
    await this.settle();
    const file = snapshotFileName(name);
    const path = join(this.opts.snapshotDir, file);
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch {
      throw new PersistenceError(`snapshot '${name}' not found (${path})`);
    }
    const firstLine = text.slice(0, Math.max(0, text.indexOf("\n")));
    if (!parseSnapshotHeader(firstLine)) {
      throw new PersistenceError(`${path} is not a zpm snapshot (no '%% zpm snapshot' header)`);
    }
    const durable = this.status === "active";
    const run = async () => {
      if (durable) await this.catchUp(true);
      const r = await this.guarded("load_snapshot", [text], 0, durable);
      if (!r.ok) throw new PersistenceError(`snapshot '${name}' is invalid: ${r.error}; nothing was changed`);
      if (durable) await this.writeSnapshot(file);
    };
    if (durable) await this.files.withLock(true, run);
    else await run();
  }

  /** Snapshots of this memory, newest first. */
  async snapshots(): Promise<SnapshotInfo[]> {
    return await listSnapshots(this.opts.snapshotDir);
  }

  /** Size in bytes of journal.wal (0 if missing). */
  async journalSize(): Promise<number> {
    return (await this.files.stat())?.size ?? 0;
  }

  /** Number of lines (transactions) in journal.wal since the last snapshot. */
  async pendingTransactions(): Promise<number> {
    const { bytes } = await this.files.readFrom(0);
    let n = 0;
    for (const b of bytes) if (b === 10) n++;
    return n;
  }

  /** Stop the engine. */
  async close(): Promise<void> {
    await this.settle();
    await this.engine?.close();
  }
}

function isNotWritable(e: Error): boolean {
  return /permission denied|read-only|EACCES|EROFS|EPERM|not writable/i.test(e.message);
}
