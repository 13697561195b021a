/**
 * One memory's knowledge base: a Prolog engine kept equal to its journal store.
 *
 * Boot: user files (`kb/*.pl`, read-only base layer) → newest snapshot → journal transactions after
 * it (the {@link JournalReplica}). A mutation is plan-and-apply → commit: under the store's exclusive
 * lock, catch up on what other processes committed, let the engine make the change and yield its
 * journal records (one engine call), commit them as one durable transaction, and only then
 * acknowledge; a failed commit takes the change back. When the store cannot be written, the memory is *degraded*: a server keeps changes in
 * memory and flushes them once it is writable again; a one-shot command refuses them.
 *
 * @module
 */
import { join } from "node:path";
import type { OpArgs, OpName, OpReply, PlannedOp } from "../engine/ops.ts";
import type { EngineReply, PlannedRecord } from "../engine/types.ts";
import { JournalWriteError } from "../io/files.ts";
import { FileJournalStore } from "../persistence/file_store.ts";
import type { Transaction } from "../persistence/journal_format.ts";
import { snapshotFileName, type SnapshotInfo } from "../persistence/snapshot_file.ts";
import { EngineSupervisor } from "./engine_supervisor.ts";
import { isNotWritable, JournalReplica, PersistenceError, type ReplicaDamage } from "./journal_replica.ts";
import { type KnowledgeBaseOptions, type MutationResult, notDurableWarning } from "./knowledge_base_types.ts";
export type { KnowledgeBaseOptions, MutationResult } from "./knowledge_base_types.ts";
import { applyTransactions, countDumpedClauses, loadUserFiles, readSnapshotText } from "./loading.ts";
import { planApplied, undoPlanned } from "./planned_write.ts";

/** A memory's engine plus its persistence. */
export class KnowledgeBase {
  private readonly supervisor: EngineSupervisor;
  private readonly replica: JournalReplica;
  /** Transactions applied while the store was not writable. */
  private memoryOnly: PlannedRecord[][] = [];
  /** "active", or "degraded" while the store cannot be written. */
  status: "active" | "degraded" = "active";
  /** Why the memory is degraded. */
  degradedReason = "";
  /** Warnings collected during boot and recovery (also printed to stderr). */
  readonly warnings: string[] = [];

  private constructor(readonly opts: KnowledgeBaseOptions) {
    const store = opts.store ?? new FileJournalStore(opts.dataDir, opts.snapshotDir);
    this.replica = new JournalReplica(store, opts.name, {
      loadSnapshot: async (text) => {
        const r = await this.supervisor.engine.call("load_snapshot", [text], 0);
        return r.ok ? null : r.error;
      },
      apply: (txs) => this.apply(txs),
    }, (m) => this.warn(m));
    this.supervisor = new EngineSupervisor({
      name: opts.name,
      kind: opts.engineMode,
      oneShot: opts.oneShot ?? false,
      maxKbBytes: opts.limits.maxKbBytes,
      log: opts.log,
      rebuild: (locked) => locked ? this.reload(false, () => this.replica.boot(false)) : this.rebuild(false),
    });
  }

  /** Boot a memory from its store. Never fails because of persistence problems. */
  static async open(opts: KnowledgeBaseOptions): Promise<KnowledgeBase> {
    const kb = new KnowledgeBase(opts);
    await kb.rebuild(true);
    return kb;
  }

  /** Mid-log journal damage: writes are refused until it is repaired. */
  get damage(): ReplicaDamage | null {
    return this.replica.damage;
  }

  private warn(message: string) {
    this.warnings.push(message);
    this.opts.log(`zpm: ${message}`);
  }

  /** Build a fresh engine from the store (boot, or after a timeout/crash killed the old one). */
  private async rebuild(firstBoot: boolean): Promise<void> {
    await this.reload(firstBoot, async () => {
      try {
        await this.replica.store.withLock(true, () => this.replica.boot(true));
        if (this.status === "degraded" && this.memoryOnly.length === 0) this.status = "active";
      } catch (e) {
        if (!(e instanceof JournalWriteError)) throw e;
        // Store not writable: load what can be read, without repairs.
        this.setDegraded(e.message);
        await this.replica.boot(false);
      }
    });
  }

  /** A fresh engine: user files, then `loadDurable`, then changes kept in memory only. */
  private async reload(reportUserFiles: boolean, loadDurable: () => Promise<void>): Promise<void> {
    await this.supervisor.replace();
    const dir = this.opts.userFilesDir;
    if (dir) await loadUserFiles(this.supervisor.engine, dir, reportUserFiles ? (m) => this.warn(m) : null);
    await loadDurable();
    for (const records of this.memoryOnly) await this.apply([{ seq: null, ts: 0, records }]);
  }

  private setDegraded(reason: string) {
    if (this.status !== "degraded") this.warn(`persistence degraded: ${reason}`);
    this.status = "degraded";
    this.degradedReason = reason;
  }

  private apply(txs: Transaction[]): Promise<void> {
    return applyTransactions(this.supervisor.engine, txs, (m) => this.warn(m));
  }

  /**
   * Catch up with the store; a rotation by another process rebuilds the engine from it. With `defer`,
   * what other processes committed is handed back unapplied (see {@link planApplied}) unless this throws.
   */
  private async catchUp(writer: boolean, defer?: Transaction[]): Promise<void> {
    try {
      if (await this.replica.catchUp(writer, defer) !== "rotated") return;
    } catch (e) {
      if (defer?.length) await this.apply(defer.splice(0));
      throw e;
    }
    await this.reload(false, () => this.replica.boot(writer));
    if (writer) this.replica.assertWritable();
  }

  /** A read operation: catch up with other processes, then run with the deadline. */
  async read<Op extends OpName>(op: Op, args: OpArgs<Op>): Promise<EngineReply<OpReply<Op>>> {
    await this.refresh();
    return await this.supervisor.call(op, args, this.opts.limits.timeoutMs);
  }

  /** Catch up on other processes' commits (best effort; a lock problem only logs). */
  async refresh(): Promise<void> {
    await this.supervisor.settle();
    if (this.status === "degraded") await this.tryRecover();
    if (await this.replica.isCurrent()) return;
    try {
      await this.replica.store.withLock(false, () => this.catchUp(false));
    } catch (e) {
      if (!(e instanceof JournalWriteError)) throw e;
      // Cannot lock (read-only directory): read without the lock; complete lines only.
      await this.catchUp(false);
    }
  }

  /**
   * A mutation: under the lock, catch up, then one engine call plans the change and keeps it applied;
   * its records are committed as one durable transaction before the call is acknowledged. When the
   * commit fails the change is taken back (exactly: by the engine, or by rebuilding it from the store).
   */
  async mutate<Op extends PlannedOp>(op: Op, args: OpArgs<Op>): Promise<MutationResult<OpReply<Op>>> {
    await this.supervisor.settle();
    this.replica.assertWritable();
    if (this.status === "degraded") await this.tryRecover();
    if (this.status === "degraded") return await this.mutateInMemory(op, args);
    try {
      return await this.replica.store.withLock(true, async () => {
        const behind: Transaction[] = [];
        await this.catchUp(true, behind);
        const reply = await this.planApplied(op, args, true, behind);
        if (!reply.ok || reply.value.records.length === 0) return { reply, records: [] };
        const records = reply.value.records;
        try {
          await this.replica.commit(records);
        } catch (e) {
          if (isNotWritable(e) && this.opts.allowMemoryOnly) {
            this.setDegraded(e.message);
            return this.keptInMemory(reply, records);
          }
          await this.undoPlan();
          throw e;
        }
        return { reply, records };
      });
    } catch (e) {
      if (!isNotWritable(e)) throw e;
      this.setDegraded(e.message);
      return await this.mutateInMemory(op, args);
    }
  }

  private planApplied<Op extends PlannedOp>(
    op: Op,
    args: OpArgs<Op>,
    locked: boolean,
    behind: Transaction[],
  ) {
    const apply = (txs: Transaction[]) => this.apply(txs);
    return planApplied(this.supervisor, op, args, {
      timeoutMs: this.opts.limits.timeoutMs,
      locked,
      behind,
      apply,
    });
  }

  /** Take back the change of the last {@link planApplied} after its commit failed (exclusive lock held). */
  private async undoPlan(): Promise<void> {
    if (await undoPlanned(this.supervisor)) return;
    // Not undoable in place (a retract, whose clause order must come back): rebuild from the store.
    this.opts.log(`zpm: rebuilding memory '${this.opts.name}' to take back a change that was not saved`);
    await this.reload(false, () => this.replica.boot(false));
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
    const reply = await this.planApplied(op, args, false, []);
    return this.keptInMemory(reply, reply.ok ? reply.value.records : []);
  }

  /** The result of a change applied in memory only (degraded persistence); `records` are kept for the flush. */
  private keptInMemory<V>(reply: EngineReply<V>, records: PlannedRecord[]): MutationResult<V> {
    if (!reply.ok) return { reply, records: [] };
    if (records.length > 0) this.memoryOnly.push(records);
    return { reply, records, notDurable: notDurableWarning(this.degradedReason, this.opts.dataDir) };
  }

  /** In degraded mode: once the store is writable again, flush in-memory changes and go active. */
  private async tryRecover(): Promise<void> {
    try {
      await this.replica.store.withLock(true, async () => {
        await this.replica.adoptEnd();
        for (const records of this.memoryOnly) await this.replica.commit(records);
      });
      this.memoryOnly = [];
      this.status = "active";
      this.degradedReason = "";
      this.opts.log(`zpm: persistence of memory '${this.opts.name}' is active again`);
    } catch {
      // still not writable
    }
  }

  /** Save the whole knowledge base as a snapshot, then rotate and reap the journal; returns the clause count. */
  async saveSnapshot(name: string): Promise<number> {
    await this.supervisor.settle();
    const file = snapshotFileName(name);
    if (this.status === "degraded") {
      throw new PersistenceError(`cannot save snapshot: persistence is degraded (${this.degradedReason})`);
    }
    return await this.replica.store.withLock(true, async () => {
      await this.catchUp(true);
      return await this.writeSnapshot(file);
    });
  }

  /** Dump and write snapshot `file`; returns how many clauses it holds (one per line, after the directives). */
  private async writeSnapshot(file: string): Promise<number> {
    const dump = await this.supervisor.call("dump", [], 0, true);
    if (!dump.ok) throw new PersistenceError(`cannot dump the knowledge base: ${dump.error}`);
    await this.replica.writeSnapshot(file, dump.value);
    return countDumpedClauses(dump.value);
  }

  /** Replace the knowledge base with a snapshot (validated first) and make that durable; returns its clause count. */
  async restoreSnapshot(name: string): Promise<number> {
    await this.supervisor.settle();
    const file = snapshotFileName(name);
    const store = this.replica.store;
    const text = await readSnapshotText(store, file, name, join(this.opts.snapshotDir, file));
    const durable = this.status === "active";
    const run = async () => {
      if (durable) await this.catchUp(true);
      const r = await this.supervisor.call("load_snapshot", [text], 0, durable);
      if (!r.ok) throw new PersistenceError(`snapshot '${name}' is invalid: ${r.error}; nothing was changed`);
      if (durable) await this.writeSnapshot(file);
      return countDumpedClauses(text);
    };
    return durable ? await store.withLock(true, run) : await run();
  }

  /** Snapshots of this memory, newest first. */
  async snapshots(): Promise<SnapshotInfo[]> {
    return await this.replica.store.listSnapshots();
  }

  /** Size of the active journal in its store's unit (bytes for the file store; 0 if missing). */
  async journalSize(): Promise<number> {
    return (await this.replica.store.head())?.end ?? 0;
  }

  /** Number of stored transactions (lines, damaged ones included) since the last snapshot. */
  async pendingTransactions(): Promise<number> {
    return (await this.replica.store.read(0)).lines;
  }

  /** Stop the engine. */
  async close(): Promise<void> {
    await this.supervisor.close();
    await this.replica.store.close?.();
  }
}
