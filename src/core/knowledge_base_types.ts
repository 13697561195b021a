/**
 * The types a {@link KnowledgeBase} is opened with and answers a mutation with.
 *
 * @module
 */
import type { EngineReply, PlannedRecord } from "../engine/types.ts";
import type { JournalStore } from "../persistence/journal_store.ts";
import type { AfterFailure, EngineKind } from "./engine_supervisor.ts";
import type { Limits } from "./limits.ts";

/** Where a memory keeps its files and how its engine runs. */
export interface KnowledgeBaseOptions {
  /** Memory name, e.g. "default". */
  name: string;
  /** Directory of journal.wal / journal.lock / archives (shown in status and messages). */
  dataDir: string;
  /** Directory where snapshots are written and looked up. */
  snapshotDir: string;
  /** Directory whose top-level *.pl user files form the read-only base layer (or null). */
  userFilesDir: string | null;
  /** Where the engine runs: a killable child process, or this process (no wall-clock deadline). */
  engineMode: EngineKind;
  /** What follows a timeout or crash (default "rebuild"); see {@link AfterFailure}. */
  afterFailure?: AfterFailure;
  /** Resource limits. */
  limits: Limits;
  /** Diagnostics sink (stderr). */
  log: (message: string) => void;
  /** When the store is not writable: keep changes in memory until it is (true), or refuse them. */
  allowMemoryOnly: boolean;
  /**
   * Commit writes in groups (a server): writes that arrive during a sync share the next one; each is
   * still acknowledged only after it. Used when the store supports it (the file store).
   */
  groupCommit?: boolean;
  /** The journal store (default: the file store on `dataDir` and `snapshotDir`). */
  store?: JournalStore;
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

/** The warning a change kept in memory only (degraded persistence) is answered with. */
export function notDurableWarning(reason: string, dataDir: string): string {
  return `warning: persistence is degraded (${reason}); this change is kept in memory only and will be written to the journal once ${dataDir} is writable again`;
}
