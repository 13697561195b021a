/**
 * Saving and restoring a memory's snapshots: the whole knowledge base dumped and written durably
 * (then the journal rotated), or a snapshot validated by loading it and made the new durable base.
 *
 * @module
 */
import { join } from "node:path";
import type { OpArgs, OpName, OpReply } from "../engine/ops.ts";
import type { EngineReply } from "../engine/types.ts";
import { parseSnapshotHeader, snapshotFileName } from "../persistence/snapshot_file.ts";
import { type JournalReplica, PersistenceError } from "./journal_replica.ts";
import { countDumpedClauses, restoredBody } from "./loading.ts";
import type { Progress } from "./progress.ts";

/** What snapshot work needs from its knowledge base. */
export interface SnapshotHost {
  readonly replica: JournalReplica;
  /** Where snapshot files live (for messages). */
  readonly snapshotDir: string;
  /** Wait until a rebuilding engine has settled. */
  settle(): Promise<void>;
  /** An engine call with no deadline; `locked`: the caller holds the exclusive lock. */
  call<Op extends OpName>(op: Op, args: OpArgs<Op>, locked: boolean): Promise<EngineReply<OpReply<Op>>>;
  /** Catch up with the store as the writer (exclusive lock held). */
  catchUp(): Promise<void>;
  /** Why writes are kept in memory only, or null while the store is writable. */
  degraded(): string | null;
  /** The progress of the work under way, if any. */
  progress(): Progress | null;
}

/** Save the whole knowledge base as snapshot `name`, then rotate and reap the journal; returns the clause count. */
export async function saveSnapshot(host: SnapshotHost, name: string): Promise<number> {
  await host.settle();
  const reason = host.degraded();
  if (reason !== null) {
    throw new PersistenceError(`cannot save snapshot: persistence is degraded (${reason})`);
  }
  return await host.replica.store.withLock(true, async () => {
    await host.catchUp();
    return await writeSnapshot(host, snapshotFileName(name));
  });
}

/** Replace the knowledge base with snapshot `name` (validated first) and make that durable; returns its clause count. */
export async function restoreSnapshot(host: SnapshotHost, name: string): Promise<number> {
  await host.settle();
  const file = snapshotFileName(name);
  const text = await host.replica.store.readSnapshot(file);
  const path = join(host.snapshotDir, file);
  if (text === null) throw new PersistenceError(`snapshot '${name}' not found (${path})`);
  if (!parseSnapshotHeader(text.slice(0, Math.max(0, text.indexOf("\n"))))) {
    throw new PersistenceError(`${path} is not a zpm snapshot (no '%% zpm snapshot' header)`);
  }
  const durable = host.degraded() === null;
  const run = async () => {
    if (durable) await host.catchUp();
    host.progress()?.report(() => `checking and loading ${countDumpedClauses(text)} clause(s)`);
    const r = await host.call("load_snapshot", [text], durable);
    if (!r.ok) throw new PersistenceError(`snapshot '${name}' is invalid: ${r.error}; nothing was changed`);
    if (durable) {
      // Exactly what was loaded, stored without dumping the engine again (a dump costs as much as the load).
      host.progress()?.report(`writing ${r.value.knowledge} clause(s) durably`);
      await host.replica.writeSnapshot(file, restoredBody(text, r.value.extra));
    }
    return r.value.knowledge;
  };
  return durable ? await host.replica.store.withLock(true, run) : await run();
}

/** Dump and write snapshot `file`; returns how many clauses it holds (one per line, after the directives). */
async function writeSnapshot(host: SnapshotHost, file: string): Promise<number> {
  host.progress()?.report("writing the knowledge base out");
  const dump = await host.call("dump", [], true);
  if (!dump.ok) throw new PersistenceError(`cannot dump the knowledge base: ${dump.error}`);
  const clauses = countDumpedClauses(dump.value);
  host.progress()?.report(`writing ${clauses} clause(s) durably`);
  await host.replica.writeSnapshot(file, dump.value);
  return clauses;
}
