/**
 * The journal store: where one memory's transactions and snapshots are kept. A {@link JournalReplica}
 * (src/core/journal_replica.ts) is the only user; it owns the cursor, replay, catch-up and repair,
 * and talks to storage only through this interface. `file_store.ts` implements it on a memory
 * directory (`journal.wal`, `journal.lock`, archives, snapshot files). A second backend (e.g. a
 * database) is one new module that implements this interface and passes the contract suite in
 * `tests/persistence/journal_store_contract.ts`.
 *
 * ## Contract every backend must meet
 * - **Positions.** A journal is a sequence of transactions in one *generation*. A position is a
 *   number inside the current generation (the file store uses byte offsets; a database may use
 *   sequence numbers); only the store interprets it. `read(p)` returns the transactions after `p`
 *   and the position after the last complete one (`scan.goodEnd`).
 * - **Ordering.** Transactions are read back in the order they were appended; sequence numbers
 *   given by the replica increase by one per append. Every process sees the same order.
 * - **Atomicity.** One `append` is one transaction: it is read back whole or not at all. A partial
 *   write (crash mid-append) shows up as a `torn-tail` damage, never as a shorter transaction.
 * - **Durability before return.** `append`, `rotate`, `cutTail` and `writeSnapshot` return only once
 *   what they did survives a power loss (fdatasync / COMMIT). A failure throws and leaves the store
 *   as if the call had not happened (or with a torn tail that `read` reports); it is never retried
 *   as if it had succeeded.
 * - **Exclusion.** `withLock(true, fn)` excludes every other writer in every process sharing the
 *   store while `fn` runs; `append`, `cutTail`, `ensureFinalNewline` and `rotate` must only be called
 *   inside it. `withLock(false, fn)` gives a consistent read (writers excluded where the backend can).
 * - **Rotation.** `rotate()` starts a new, empty generation and keeps the old one as an archive, so
 *   that a snapshot written just before covers everything the archive held. Other processes notice
 *   it by `head().generation` changing (or the end moving backwards) and rebuild from the newest
 *   snapshot. `reap(ns)` deletes archives older than `ns` and nothing else.
 * - **Snapshots** are named texts with a header (see `snapshot_file.ts`); `listSnapshots` orders
 *   them newest first by header, and `writeSnapshot` replaces a name atomically.
 *
 * @module
 */
import type { ScanResult, Transaction } from "./journal_format.ts";
import type { SnapshotInfo } from "./snapshot_file.ts";

/** A transaction being committed: it always carries its sequence number. */
export type NewTransaction = Transaction & { seq: number };

/** Where the active journal ends, and which generation it is (changes on rotation). */
export interface JournalHead {
  /** Identity of the active generation (file store: the inode of journal.wal). */
  generation: string;
  /** Position just past the last stored byte/transaction of this generation. */
  end: number;
}

/** What `read` found after a position. */
export interface JournalRead {
  /** Transactions, damage and the position after the last good transaction. */
  scan: ScanResult;
  /** The head when it was read (null when no journal exists yet). */
  head: JournalHead | null;
  /** Number of stored lines read, including damaged ones (file store: newlines). */
  lines: number;
}

/** An archived generation of the journal. */
export interface JournalArchive {
  /** Archive name, e.g. `journal-<ns>.wal`. */
  name: string;
  /** When it was archived, unix nanoseconds. */
  ns: bigint;
}

/**
 * Several transactions appended under one exclusive lock and made durable by one sync (group commit).
 * Nothing written is durable, or may be acknowledged, before a `sync` that started after it returned.
 */
export interface JournalGroup {
  /** Position where the group started. */
  readonly start: number;
  /** Position after the last transaction written. */
  readonly end: number;
  /** Write one transaction (not yet durable); returns the position after it. */
  write(tx: NewTransaction): number;
  /** Make everything written so far durable. A failure is final: call `failed`. */
  sync(): Promise<void>;
  /** After a failed write or sync: cut back to `to` (the end at the last good sync); the error to report. */
  failed(e: unknown, to: number): Promise<Error>;
  /** Release the group's file. */
  close(): void;
}

/** Storage of one memory's journal and snapshots; see the module comment for the contract. */
export interface JournalStore {
  /** Human-readable location of the active journal, for messages (e.g. a path). */
  readonly location: string;
  /** What positions (`head().end`) count: bytes of a journal file, or stored transactions. */
  readonly unit: "bytes" | "transactions";
  /** Run `fn` holding the store's lock (exclusive for writers, shared for readers). */
  withLock<T>(exclusive: boolean, fn: () => Promise<T>): Promise<T>;
  /** The current head, or null when there is no journal yet. Cheap: called before every call. */
  head(): Promise<JournalHead | null>;
  /** Transactions stored after `from` in the current generation. */
  read(from: number): Promise<JournalRead>;
  /** Durably append one transaction (exclusive lock held); returns the new end position. */
  append(tx: NewTransaction): Promise<number>;
  /** Remove a torn tail from `goodEnd` on, keeping the removed bytes; returns where they were kept. */
  cutTail(goodEnd: number): Promise<string>;
  /** Terminate a last transaction that lacks only its final newline (exclusive lock held). */
  ensureFinalNewline(): Promise<void>;
  /** Archive the current generation and start an empty one (exclusive lock held). */
  rotate(): Promise<void>;
  /** Delete archives older than `keepNewerThanNs`; returns their names. */
  reap(keepNewerThanNs: bigint): Promise<string[]>;
  /** Archives, oldest first. */
  listArchives(): Promise<JournalArchive[]>;
  /** Snapshots, newest first by header. */
  listSnapshots(): Promise<SnapshotInfo[]>;
  /** The text of a snapshot file name (`<name>.pl`), or null when there is none. */
  readSnapshot(file: string): Promise<string | null>;
  /** Atomically and durably write a snapshot (`text` starts with its header line); returns it as listed. */
  writeSnapshot(file: string, text: string): Promise<SnapshotInfo | null>;
  /**
   * Open a group of appends that one sync makes durable (exclusive lock held while it is used);
   * optional: a store without it commits every transaction on its own.
   */
  openGroup?(): Promise<JournalGroup>;
  /** Release connections (database stores); optional. */
  close?(): Promise<void>;
}
