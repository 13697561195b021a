/**
 * A journal replica: one process's view of a memory's journal store. It owns the cursor (generation,
 * position, last sequence number), boot replay (newest snapshot, then the journal after it),
 * catch-up on what other processes committed, torn-tail repair, commit of new transactions and the
 * writing of snapshots. It changes the engine only through its {@link ReplicaTarget}.
 *
 * @module
 */
import type { JournalDamage, Transaction } from "../persistence/journal_format.ts";
import type { JournalRead, JournalStore, NewTransaction } from "../persistence/journal_store.ts";
import { formatSnapshotHeader, type SnapshotInfo } from "../persistence/snapshot_file.ts";
import { JournalWriteError, nowNs } from "../io/files.ts";
import type { PlannedRecord } from "../engine/types.ts";
import { ForeignJournalError } from "../persistence/journal_foreign.ts";

/** What a replica applies transactions and snapshots to (the memory's engine). */
export interface ReplicaTarget {
  /** Load a snapshot's text into a fresh engine; returns an error text, or null when it loaded. */
  loadSnapshot(text: string): Promise<string | null>;
  /** Apply the records of `txs` in order. */
  apply(txs: Transaction[]): Promise<void>;
}

/** Mid-log damage: a bad transaction followed by valid ones, and the store it is in. */
export type ReplicaDamage = JournalDamage & { file: string };

/** Thrown when a mutation cannot be made durable; nothing was changed. */
export class PersistenceError extends Error {}

/** True for a write error that means the store cannot be written at all (permissions, read-only). */
export function isNotWritable(e: unknown): e is JournalWriteError {
  return e instanceof JournalWriteError &&
    /permission denied|read-only|EACCES|EROFS|EPERM|not writable/i.test(e.message);
}

/** Outcome of {@link JournalReplica.catchUp}. */
export type CatchUpResult = "current" | "applied" | "rotated";

/** One process's replica of a journal store; see the module comment. */
export class JournalReplica {
  private generation: string | null = null;
  private position = 0;
  /** The last line read ends without its "\n" (left for a writer to terminate before appending). */
  private unterminated = false;
  /** Cursor before the last {@link written} transaction. */
  private beforeWrite: { position: number; lastSeq: number } | null = null;
  /** Highest transaction sequence number applied. */
  lastSeq = 0;
  /** Mid-log damage found while reading: writes are refused until it is repaired. */
  damage: ReplicaDamage | null = null;
  /** The snapshot the current state was built from, if any. */
  baseSnapshot: SnapshotInfo | null = null;
  /** Set when the journal file is not a zpm journal: it is never cut or appended to, writes are refused. */
  foreign: ForeignJournalError | null = null;

  /** A replica of `store` for memory `name`; `warn` reports what recovery did. */
  constructor(
    readonly store: JournalStore,
    private readonly name: string,
    private readonly target: ReplicaTarget,
    private readonly warn: (message: string) => void,
  ) {}

  /** True when the store holds nothing this replica has not applied (one cheap `head`). */
  async isCurrent(): Promise<boolean> {
    const head = await this.store.head();
    if (!head) return this.generation === null;
    return head.generation === this.generation && head.end === this.position;
  }

  /**
   * Load the newest loadable snapshot and the journal after it into a fresh target. With `repair`
   * (the caller holds the exclusive lock) a torn tail is cut and a missing final newline added.
   */
  async boot(repair: boolean): Promise<void> {
    this.damage = null;
    this.foreign = null;
    this.baseSnapshot = null;
    let snapSeq: number | null = null;
    for (const snap of await this.store.listSnapshots()) {
      const text = await this.store.readSnapshot(snap.name);
      const error = text === null ? "unreadable" : await this.target.loadSnapshot(text);
      if (error === null) {
        this.baseSnapshot = snap;
        snapSeq = snap.header.seq;
        break;
      }
      this.warn(`snapshot ${snap.path} could not be loaded (${error}); trying an older one`);
    }
    this.lastSeq = snapSeq ?? 0;
    const read = await this.store.read(0);
    const { scan } = read;
    let end = scan.goodEnd;
    this.unterminated = false;
    if (scan.damage?.kind === "corrupt") this.noteCorruption(read, true);
    else if (scan.damage && repair) await this.cutTornTail(read);
    else if (scan.damage) {
      this.warn(
        `torn journal tail at ${this.store.location} at byte ${scan.damage.offset} (${scan.damage.reason}); ignored until writable`,
      );
    } else if (scan.missingFinalNewline && repair) {
      await this.store.ensureFinalNewline();
      end += 1;
    } else if (scan.missingFinalNewline) this.unterminated = true;
    await this.applyFresh(
      scan.transactions.filter((t) => t.seq === null || snapSeq === null || t.seq > snapSeq),
    );
    this.position = end;
    const head = repair ? await this.store.head() : read.head;
    this.generation = head?.generation ?? null;
  }

  /**
   * Apply what other processes committed since our position. "rotated" means the store started a
   * new generation (a snapshot or restore elsewhere): the caller rebuilds and calls `boot`. With
   * `writer` (exclusive lock held) a torn tail left by a crashed writer is cut so the next append
   * lands on a clean line, and mid-log damage throws a PersistenceError. With `defer`, the fresh
   * transactions are handed over there instead of applied: the caller applies them (before anything
   * else reaches the target), e.g. in the same engine call as its next change.
   */
  async catchUp(writer: boolean, defer?: Transaction[]): Promise<CatchUpResult> {
    const head = await this.store.head();
    if (!head && this.generation === null) return this.checked(writer, "current");
    const same = head !== null && head.generation === this.generation;
    if (same && head.end === this.position) {
      // A reader (or a boot without repair) may have left the last line unterminated: a writer
      // terminates it here, or every append would be refused.
      if (writer && this.unterminated) await this.terminateLastLine();
      return this.checked(writer, "current");
    }
    if (!same || head.end < this.position) return "rotated";
    const read = await this.store.read(this.position);
    const { scan } = read;
    await this.applyFresh(scan.transactions, defer);
    this.position = scan.goodEnd;
    this.unterminated = false;
    if (writer && scan.damage?.kind === "torn-tail") await this.cutTornTail(read);
    else if (scan.damage?.kind === "corrupt") this.noteCorruption(read, false);
    else if (scan.missingFinalNewline && !scan.damage) {
      this.unterminated = true;
      if (writer) await this.terminateLastLine();
    }
    return this.checked(writer, "applied");
  }

  /** Append the missing final newline after the last complete line (exclusive lock held). */
  private async terminateLastLine(): Promise<void> {
    await this.store.ensureFinalNewline();
    this.unterminated = false;
    this.position += 1;
    this.generation = (await this.store.head())?.generation ?? null;
  }

  /** Throw the damage as a PersistenceError when a writer meets mid-log damage or a foreign journal. */
  assertWritable(): void {
    if (this.foreign) throw new PersistenceError(this.foreignMessage());
    if (this.damage) throw new PersistenceError(this.damageMessage());
  }

  /** The error text for writes refused because the journal file is not a zpm journal. */
  foreignMessage(): string {
    return `memory '${this.name}' cannot be changed: ${this.foreign!.message}`;
  }

  private checked(writer: boolean, result: CatchUpResult): CatchUpResult {
    if (writer) this.assertWritable();
    return result;
  }

  /**
   * Take over the store's current state without applying it (degraded-mode recovery: this process
   * already holds the knowledge in memory): cut a torn tail, terminate the last line, move the
   * cursor to the end. Exclusive lock held.
   */
  async adoptEnd(): Promise<void> {
    const read = await this.store.read(0);
    if (read.scan.damage?.kind === "torn-tail") await this.store.cutTail(read.scan.goodEnd);
    if (read.scan.missingFinalNewline && !read.scan.damage) await this.store.ensureFinalNewline();
    this.raiseSeq(read.scan.transactions);
    const head = await this.store.head();
    this.position = head?.end ?? 0;
    this.generation = head?.generation ?? null;
    this.unterminated = false;
  }

  /** Durably append `records` as the next transaction (exclusive lock held). */
  async commit(records: PlannedRecord[]): Promise<void> {
    const seq = this.lastSeq + 1;
    try {
      this.position = await this.store.append({ seq, ts: Math.floor(Date.now() / 1000), records });
    } catch (e) {
      // A failed append left the store as before (or, if even its own cut-back failed, with a torn
      // tail that the next writer's catch-up cuts): nothing to undo here.
      throw this.commitError(e);
    }
    this.lastSeq = seq;
    // An append never starts a new generation; only the very first one creates the journal.
    if (this.generation === null) this.generation = (await this.store.head())?.generation ?? null;
  }

  /**
   * Hand a new transaction of `records` to `write` (a group commit's journal write, durable only once
   * the group syncs), then count it as stored.
   */
  async written(write: (tx: NewTransaction) => number, records: PlannedRecord[]): Promise<void> {
    this.beforeWrite = { position: this.position, lastSeq: this.lastSeq };
    const seq = this.lastSeq + 1;
    this.position = write({ seq, ts: Math.floor(Date.now() / 1000), records });
    this.lastSeq = seq;
    if (this.generation === null) this.generation = (await this.store.head())?.generation ?? null;
  }

  /** What a caller is told when its transaction could not be stored (a not-writable store as it is). */
  commitError(e: unknown): unknown {
    if (isNotWritable(e)) return e;
    return new PersistenceError(
      `could not write the journal ${this.store.location}: ${
        (e as Error).message
      }. The change was not applied.`,
    );
  }

  /** Forget the transaction of the last {@link written}: its sync failed and the journal was cut back. */
  unwritten(): void {
    if (this.beforeWrite) ({ position: this.position, lastSeq: this.lastSeq } = this.beforeWrite);
    this.beforeWrite = null;
  }

  /**
   * Write `body` as snapshot `file` covering everything applied so far, then rotate the journal and
   * reap the archives the previous snapshot no longer needs (exclusive lock held).
   */
  async writeSnapshot(file: string, body: string): Promise<void> {
    const previous = this.baseSnapshot;
    const header = formatSnapshotHeader({ ns: nowNs(), seq: this.lastSeq });
    const written = await this.store.writeSnapshot(file, header + body);
    await this.store.rotate();
    this.baseSnapshot = written;
    if (previous) await this.store.reap(previous.header.ns);
    this.position = 0;
    this.unterminated = false;
    this.generation = (await this.store.head())?.generation ?? null;
  }

  /** The error text for writes refused because of mid-log damage. */
  damageMessage(): string {
    const d = this.damage!;
    return `memory '${this.name}' is damaged: ${d.file} has a bad transaction at byte ${d.offset} ` +
      `(${d.reason}) followed by ${d.validAfter} valid one(s). Nothing was changed. ` +
      "Run `zpm doctor` to inspect and `zpm doctor --repair` to fix it.";
  }

  /** Apply transactions newer than `lastSeq` (unnumbered upstream lines always) and raise it. */
  private async applyFresh(txs: Transaction[], defer?: Transaction[]): Promise<void> {
    const fresh = txs.filter((t) => t.seq === null || t.seq > this.lastSeq);
    if (defer) defer.push(...fresh);
    else await this.target.apply(fresh);
    this.raiseSeq(fresh);
  }

  private raiseSeq(txs: Transaction[]): void {
    for (const t of txs) if (t.seq !== null && t.seq > this.lastSeq) this.lastSeq = t.seq;
  }

  /**
   * The one tail repair (also used by `zpm doctor`): cut everything from the last good transaction
   * of `read` on, keeping the cut bytes; report where they went (null, with {@link foreign} set, when
   * the file is not a zpm journal and was left alone). Exclusive lock held.
   */
  async cutTornTail(read: JournalRead): Promise<string | null> {
    const d = read.scan.damage!;
    let broken: string;
    try {
      broken = await this.store.cutTail(read.scan.goodEnd);
    } catch (e) {
      if (!(e instanceof ForeignJournalError)) throw e;
      // Not a torn tail: the file is not ours. Keep it as it is; reads work, writes are refused.
      if (!this.foreign) {
        this.warn(`${e.message} Memory '${this.name}' is loaded without it; changes are refused.`);
      }
      this.foreign = e;
      return null;
    }
    this.warn(
      `torn journal tail at ${this.store.location} at byte ${d.offset} (${d.reason}); cut bytes saved to ${broken}`,
    );
    this.generation = (await this.store.head())?.generation ?? null;
    return broken;
  }

  private noteCorruption(read: JournalRead, report: boolean): void {
    const d = read.scan.damage!;
    this.damage = { ...d, file: this.store.location };
    if (!report) return;
    this.warn(
      `journal damaged at ${this.store.location} at byte ${d.offset}: ${d.reason}, followed by ${d.validAfter} valid transaction(s). ` +
        `Loaded the valid prefix; writes to memory '${this.name}' are refused until you run \`zpm doctor --repair\`.`,
    );
  }
}
