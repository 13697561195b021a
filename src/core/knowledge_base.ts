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
import type { OpArgs, OpName, OpReply, PlannedOp } from "../engine/ops.ts";
import type { EngineReply, PlannedRecord } from "../engine/types.ts";
import { JournalWriteError } from "../io/files.ts";
import { FileJournalStore } from "../persistence/file_store.ts";
import type { Transaction } from "../persistence/journal_format.ts";
import type { SnapshotInfo } from "../persistence/snapshot_file.ts";
import type { JournalStore } from "../persistence/journal_store.ts";
import { EngineSupervisor } from "./engine_supervisor.ts";
import { isNotWritable, JournalReplica, PersistenceError, type ReplicaDamage } from "./journal_replica.ts";
import { type KnowledgeBaseOptions, type MutationResult, notDurableWarning } from "./knowledge_base_types.ts";
export type { KnowledgeBaseOptions, MutationResult } from "./knowledge_base_types.ts";
import { deadlineFor } from "./limits.ts";
import { applyTransactions, countDumpedClauses, loadUserFiles } from "./loading.ts";
import { restoreSnapshot, saveSnapshot, type SnapshotHost } from "./snapshot_ops.ts";
import { type ProgressListener, type ProgressSlot, tracked } from "./progress.ts";
import { type GroupWrite, planApplied, planAppliedMany, undoPlanned } from "./planned_write.ts";
import { GroupCommit, type WriteTx } from "./group_commit.ts";

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
  /** The long work under way (boot, snapshot save/restore), told about replay batches. */
  private readonly activity: ProgressSlot = { progress: null };
  private readonly snapshotHost: SnapshotHost;
  /** Group commit of writes (servers on a file store), or null: every write commits on its own. */
  private readonly group: GroupCommit<GroupWrite> | null;

  private constructor(readonly opts: KnowledgeBaseOptions) {
    const store = opts.store ?? new FileJournalStore(opts.dataDir, opts.snapshotDir);
    this.replica = new JournalReplica(store, opts.name, {
      loadSnapshot: async (text) => {
        this.activity.progress?.report(() => `loading a snapshot of ${countDumpedClauses(text)} clause(s)`);
        const r = await this.supervisor.engine.call("load_snapshot", [text], 0);
        return r.ok ? null : r.error;
      },
      apply: (txs) => this.apply(txs),
    }, (m) => this.warn(m));
    this.supervisor = new EngineSupervisor({
      name: opts.name,
      kind: opts.engineMode,
      afterFailure: opts.afterFailure ?? "rebuild",
      maxKbBytes: opts.limits.maxKbBytes,
      log: opts.log,
      rebuild: (locked) => locked ? this.reloadFromStore() : this.rebuild(false),
    });
    this.group = opts.groupCommit && store.openGroup ? this.groupCommit(store.openGroup.bind(store)) : null;
    this.snapshotHost = {
      replica: this.replica,
      snapshotDir: this.opts.snapshotDir,
      settle: () => this.settled(),
      call: (op, args, locked) => this.supervisor.call(op, args, 0, locked),
      catchUp: () => this.catchUp(true),
      degraded: () => this.status === "degraded" ? this.degradedReason : null,
      progress: () => this.activity.progress,
    };
  }

  /** Boot a memory from its store (progress to `listener`). Never fails because of persistence problems. */
  static async open(opts: KnowledgeBaseOptions, listener?: ProgressListener): Promise<KnowledgeBase> {
    const kb = new KnowledgeBase(opts);
    await kb.rebuild(true, listener);
    return kb;
  }

  /** Mid-log journal damage: writes are refused until it is repaired. */
  get damage(): ReplicaDamage | null {
    return this.replica.damage;
  }

  private sinks(listener?: ProgressListener) {
    return { write: this.opts.log, listener, slot: this.activity };
  }

  private warn(message: string) {
    this.warnings.push(message);
    this.opts.log(`zpm: ${message}`);
  }

  /** Build a fresh engine from the store (boot, or after a timeout/crash killed the old one). */
  private async rebuild(firstBoot: boolean, listener?: ProgressListener): Promise<void> {
    await this.reload(firstBoot, listener, async () => {
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

  /** A fresh engine: user files, then `loadDurable`, then changes kept in memory only (with progress). */
  private async reload(
    reportUserFiles: boolean,
    listener: ProgressListener | undefined,
    loadDurable: () => Promise<void>,
  ): Promise<void> {
    await this.supervisor.replace();
    await tracked(`zpm: loading memory '${this.opts.name}'`, this.sinks(listener), async () => {
      const dir = this.opts.userFilesDir;
      if (dir) await loadUserFiles(this.supervisor.engine, dir, reportUserFiles ? (m) => this.warn(m) : null);
      await loadDurable();
      for (const records of this.memoryOnly) await this.apply([{ seq: null, ts: 0, records }]);
    }, () => "ready");
  }

  private setDegraded(reason: string) {
    if (this.status !== "degraded") this.warn(`persistence degraded: ${reason}`);
    this.status = "degraded";
    this.degradedReason = reason;
  }

  private apply(txs: Transaction[]): Promise<void> {
    const tick = (done: number) =>
      this.activity.progress?.tick(done, txs.length, "journal transactions replayed");
    return applyTransactions(this.supervisor.engine, txs, (m) => this.warn(m), tick);
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
    await this.reload(false, undefined, () => this.replica.boot(writer));
    if (writer) this.replica.assertWritable();
  }

  /** A read operation: catch up with other processes, then run with the deadline (0: none, for bulk work). */
  async read<Op extends OpName>(
    op: Op,
    args: OpArgs<Op>,
    deadlineMs = deadlineFor(this.opts.limits, op, args),
  ): Promise<EngineReply<OpReply<Op>>> {
    await this.group?.settled();
    await this.refresh();
    return await this.supervisor.call(op, args, deadlineMs);
  }

  /** Catch up on other processes' commits (best effort; a lock problem only logs). */
  async refresh(): Promise<void> {
    await this.settled();
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
  async mutate<Op extends PlannedOp>(
    op: Op,
    args: OpArgs<Op>,
    onQueued?: () => void,
  ): Promise<MutationResult<OpReply<Op>>> {
    // A write joins the group commit's queue in arrival order: it need not wait for writes before it.
    await (this.group ? this.supervisor.settle() : this.settled());
    this.replica.assertWritable();
    if (this.status === "degraded") await this.tryRecover();
    if (this.status === "degraded") return await this.mutateInMemory(op, args);
    try {
      if (this.group) {
        const queued = this.group.submit<MutationResult<OpReply<Op>>>({ op, args } as GroupWrite);
        onQueued?.();
        return await queued.catch((e) =>
          Promise.reject(e instanceof JournalWriteError ? this.replica.commitError(e) : e)
        );
      }
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

  /** Wait for an engine rebuild and for writes being planned. */
  private async settled(): Promise<void> {
    await this.supervisor.settle();
    await this.group?.settled();
  }

  /** Resolves once every write this memory answered, or may answer, is durable (see {@link GroupCommit}). */
  async barrier(): Promise<void> {
    await this.group?.barrier();
  }

  /** Writes of a server go through a group commit on the store's exclusive lock. */
  private groupCommit(open: NonNullable<JournalStore["openGroup"]>): GroupCommit<GroupWrite> {
    return new GroupCommit<GroupWrite>({
      exclusive: (fn) =>
        this.replica.store.withLock(true, async () => {
          const behind: Transaction[] = [];
          await this.catchUp(true, behind);
          await fn(behind);
        }),
      openGroup: open,
      plan: (writes, write, behind) => this.planGroup(writes, write, behind),
      takeBack: async (count, last) => {
        if (last) {
          this.replica.unwritten();
          return await this.undoPlan();
        }
        this.opts.log(
          `zpm: rebuilding memory '${this.opts.name}' to take back ${count} changes that were not saved`,
        );
        await this.reload(false, undefined, () => this.replica.boot(true));
      },
    });
  }

  /**
   * Writes of a group: plan them with their changes applied (together where they can be), writing each
   * one's transaction (if it has one) in order as soon as it is planned.
   */
  private async planGroup(
    writes: GroupWrite[],
    write: (tx: WriteTx) => number,
    behind: Transaction[],
  ): Promise<MutationResult[]> {
    const results: MutationResult[] = [];
    const options = {
      locked: true,
      behind,
      deadline: (w: GroupWrite) => deadlineFor(this.opts.limits, w.op, w.args),
      apply: (txs: Transaction[]) => this.apply(txs),
      rebuild: () => this.reloadFromStore(),
    };
    await planAppliedMany(this.supervisor, writes, options, async (reply) => {
      const records = reply.ok ? reply.value.records : [];
      if (records.length > 0) await this.replica.written(write, records);
      results.push({ reply, records });
    });
    return results;
  }

  private planApplied<Op extends PlannedOp>(
    op: Op,
    args: OpArgs<Op>,
    locked: boolean,
    behind: Transaction[],
  ) {
    const o = { timeoutMs: deadlineFor(this.opts.limits, op, args), locked, behind };
    return planApplied(this.supervisor, op, args, { ...o, apply: (txs) => this.apply(txs) });
  }

  /** Take back the change of the last {@link planApplied} after its commit failed (exclusive lock held). */
  private async undoPlan(): Promise<void> {
    if (await undoPlanned(this.supervisor)) return;
    // Not undoable in place (a retract, whose clause order must come back): rebuild from the store.
    this.opts.log(`zpm: rebuilding memory '${this.opts.name}' to take back a change that was not saved`);
    await this.reloadFromStore();
  }

  /** A fresh engine loaded with the user files and what the store holds (the exclusive lock is held). */
  private reloadFromStore(): Promise<void> {
    return this.reload(false, undefined, () => this.replica.boot(false));
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

  /** Save the whole knowledge base as snapshot `name` (see `snapshot_ops.ts`); returns the clause count. */
  saveSnapshot(name: string, listener?: ProgressListener): Promise<number> {
    const work = () => saveSnapshot(this.snapshotHost, name);
    return tracked(`zpm: saving snapshot '${name}'`, this.sinks(listener), work, (n) => `${n} clause(s)`);
  }

  /** Replace the knowledge base with snapshot `name`, durably (see `snapshot_ops.ts`); returns its clause count. */
  restoreSnapshot(name: string, listener?: ProgressListener): Promise<number> {
    const work = () => restoreSnapshot(this.snapshotHost, name);
    return tracked(`zpm: restoring snapshot '${name}'`, this.sinks(listener), work, (n) => `${n} clause(s)`);
  }

  /** Snapshots of this memory, newest first. */
  async snapshots(): Promise<SnapshotInfo[]> {
    return await this.replica.store.listSnapshots();
  }

  /** Size of the active journal in its store's unit (bytes for a file, transactions in a database; 0 if missing). */
  async journalSize(): Promise<{ size: number; unit: string }> {
    return { size: (await this.replica.store.head())?.end ?? 0, unit: this.replica.store.unit };
  }

  /** Number of stored transactions (lines, damaged ones included) since the last snapshot. */
  async pendingTransactions(): Promise<number> {
    return (await this.replica.store.read(0)).lines;
  }

  /** Stop the engine. */
  async close(): Promise<void> {
    await this.group?.drained();
    await this.supervisor.close();
    await this.replica.store.close?.();
  }
}
