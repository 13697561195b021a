/**
 * Group commit for one memory: writes that arrive while an fdatasync is in flight are planned (applied
 * in the engine, their transactions written to the journal) during that sync, handed to the host up to
 * {@link MAX_PLAN_WRITES} at a time so that it can plan them in one engine call, and made durable
 * together by the next sync. Every write is still one journal transaction and is acknowledged only after a sync
 * that started after its transaction was written. The exclusive lock is held from the first write of a
 * group until the group drains, so no other process reads a transaction before it is durable.
 *
 * When a write or a sync fails, the journal is cut back to where it was at the last good sync, every
 * write planned since then fails (its caller is told nothing was saved), and the engine is rebuilt from
 * the store before anything else runs on it; writes still waiting are planned afterwards as usual.
 *
 * Reads must not run while writes are being planned ({@link GroupCommit.settled}), and an answer that
 * may have seen a write must wait for that write's sync ({@link GroupCommit.barrier}).
 *
 * @module
 */
import type { Transaction } from "../persistence/journal_format.ts";
import type { JournalGroup } from "../persistence/journal_store.ts";

/** What a group commit needs from its memory; `W` describes one write. */
export interface GroupHost<W> {
  /**
   * Run `fn` holding the store's exclusive lock, caught up with other processes; `behind` holds what
   * was read from the store but not applied yet (the first plan of the group applies it).
   */
  exclusive(fn: (behind: Transaction[]) => Promise<void>): Promise<void>;
  /** Open the journal for the group (inside `exclusive`). */
  openGroup(): Promise<JournalGroup>;
  /**
   * The engine holds `count` changes the store lost: take them back (inside `exclusive`). With `last`
   * the one lost change was the engine's last plan, which it may be able to undo in place.
   */
  takeBack(count: number, last: boolean): Promise<void>;
  /**
   * Plan `writes` in arrival order, each with its change kept applied in the engine, in as few engine
   * calls as the host can, and write each planned write's transaction with `write` in the same order
   * (nothing for a write that changed nothing); `behind` must be applied first. One value per write,
   * which its caller gets after the sync (a write the engine refused has its refusal as its value).
   * Throwing after a journal write (or from one) fails the group; throwing before any write fails
   * these writes alone, and then the host must have left the engine as it was.
   */
  plan(writes: W[], write: (tx: WriteTx) => number, behind: Transaction[]): Promise<unknown[]>;
}

/** A transaction for {@link JournalGroup.write}, as a write hands it over. */
export type WriteTx = Parameters<JournalGroup["write"]>[0];

interface Job<W> {
  write: W;
  resolve: (value: unknown) => void;
  reject: (e: unknown) => void;
  value?: unknown;
}

/** Writes planned since the last sync started, and the promise their answers wait for. */
interface Batch<W> {
  jobs: Job<W>[];
  /** Journal end after the batch's last write. */
  end: number;
  durable: PromiseWithResolvers<void>;
}

/** The most writes handed to the engine in one planning call. */
const MAX_PLAN_WRITES = 256;

/** See the module comment. */
export class GroupCommit<W> {
  private pending: Job<W>[] = [];
  private running: Promise<void> | null = null;
  /** Writes are being planned, or the engine rebuilt: reads wait. */
  private busy = false;
  private idle: (() => void)[] = [];
  private lastDurable: Promise<void> = Promise.resolve();
  /** The write planned last: only its change can be undone in the engine in place. */
  private lastPlanned: Job<W> | null = null;

  /** A group commit for the memory behind `host`. */
  constructor(private readonly host: GroupHost<W>) {}

  /** Queue a write; resolves with its value once its transaction is durable, rejects when it is not. */
  submit<T>(write: W): Promise<T> {
    const done = Promise.withResolvers<T>();
    this.pending.push({ write, resolve: done.resolve as (v: unknown) => void, reject: done.reject });
    this.start();
    return done.promise;
  }

  /** Resolves when no write is waiting to be planned or being planned, and no rebuild runs. */
  async settled(): Promise<void> {
    while (this.busy || this.pending.length > 0) await new Promise<void>((r) => this.idle.push(r));
  }

  /** Resolves when everything written so far is durable; rejects when its sync failed. */
  barrier(): Promise<void> {
    return this.lastDurable;
  }

  /** Resolves when no group is open (every write answered, the lock released). */
  async drained(): Promise<void> {
    while (this.running) await this.running;
  }

  private start(): void {
    if (this.running) return;
    this.running = this.runGroup().finally(() => {
      this.running = null;
      this.setBusy(false);
      if (this.pending.length > 0) this.start();
    });
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    if (!busy && this.pending.length === 0) { for (const wake of this.idle.splice(0)) wake(); }
  }

  /** One group: take the lock, plan and sync until nothing is pending, release. */
  private async runGroup(): Promise<void> {
    try {
      await this.host.exclusive(async (behind) => {
        const group = await this.host.openGroup();
        try {
          await this.commitLoop(group, behind);
        } finally {
          group.close();
        }
      });
    } catch (e) {
      // The group could not start (lock, catch-up, open): nothing was planned; every waiting write fails.
      for (const job of this.pending.splice(0)) job.reject(e);
    }
  }

  private async commitLoop(group: JournalGroup, behind: Transaction[]): Promise<void> {
    let synced = group.start;
    let inflight: { batch: Batch<W>; sync: Promise<void> } | null = null;
    let planned: Batch<W> | null = null;
    try {
      while (this.pending.length > 0 || inflight) {
        planned = this.newBatch(group.end);
        await this.planPending(group, planned, behind);
        behind = [];
        if (inflight) {
          await inflight.sync;
          synced = inflight.batch.end;
          this.settle(inflight.batch, null);
          inflight = null;
        }
        if (planned.end > synced) {
          const sync = group.sync();
          // It may fail before the loop awaits it (while the next writes are planned): not unhandled.
          sync.catch(() => {});
          inflight = { batch: planned, sync };
        } else this.settle(planned, null);
        planned = null;
      }
    } catch (e) {
      const error = await group.failed(e, synced);
      const lost = [...inflight?.batch.jobs ?? [], ...planned?.jobs ?? []];
      if (inflight) this.settle(inflight.batch, error);
      if (planned) this.settle(planned, error);
      this.setBusy(true);
      await this.host.takeBack(lost.length, lost.length === 1 && lost[0] === this.lastPlanned);
      this.lastDurable = Promise.resolve(); // the engine holds what the store holds again
      this.setBusy(false);
    }
  }

  /** An empty batch starting at `end`; answers from now on wait for its sync. */
  private newBatch(end: number): Batch<W> {
    const batch: Batch<W> = { jobs: [], end, durable: Promise.withResolvers<void>() };
    batch.durable.promise.catch(() => {}); // an answer that waited on it reports the failure itself
    this.lastDurable = batch.durable.promise;
    return batch;
  }

  /**
   * Plan the pending writes (in arrival order, at most {@link MAX_PLAN_WRITES}: the first answers need
   * not wait for the planning of all) into `batch`; a failed journal write throws.
   */
  private async planPending(group: JournalGroup, batch: Batch<W>, behind: Transaction[]): Promise<void> {
    const jobs = this.pending.splice(0, MAX_PLAN_WRITES);
    if (jobs.length === 0) return;
    let writeError: unknown = null;
    let wrote = false;
    const write = (tx: WriteTx) => {
      try {
        wrote = true;
        return batch.end = group.write(tx);
      } catch (e) {
        writeError = e;
        throw e;
      }
    };
    batch.jobs.push(...jobs);
    this.lastPlanned = jobs[jobs.length - 1];
    this.setBusy(true);
    try {
      const values = await this.host.plan(jobs.map((j) => j.write), write, behind);
      jobs.forEach((job, i) => job.value = values[i]);
    } catch (e) {
      // A failed journal write, or a failure after these writes wrote something, fails the group
      // (reads stay out until the rebuild); otherwise nothing of them was applied: only they fail.
      if (writeError !== null) throw writeError;
      if (wrote) throw e;
      batch.jobs.splice(batch.jobs.length - jobs.length);
      for (const job of jobs) job.reject(e);
    }
    this.setBusy(false);
  }

  /** Answer every write of `batch`: with its value, or with `error` (nothing of it was saved). */
  private settle(batch: Batch<W>, error: Error | null): void {
    if (error) {
      batch.durable.reject(error);
      for (const job of batch.jobs) job.reject(error);
    } else {
      batch.durable.resolve();
      for (const job of batch.jobs) job.resolve(job.value);
    }
  }
}
