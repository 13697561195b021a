/**
 * Loading knowledge into an engine: user files (the top-level `*.pl` files of a memory's directory,
 * consulted in name order as a read-only base layer through the engine's sandboxed loader; snapshot
 * files in the same directory are recognised by their header and skipped) and journal
 * transactions, applied in batches.
 *
 * @module
 */
import { join } from "node:path";
import type { Engine } from "../engine/types.ts";
import type { Transaction } from "../persistence/journal_format.ts";
import { parseSnapshotHeader } from "../persistence/snapshot_file.ts";
import type { JournalStore } from "../persistence/journal_store.ts";
import { PersistenceError } from "./journal_replica.ts";

/** Consult the user files of `dir` into `engine`; problems go to `warn` when it is given. */
export async function loadUserFiles(
  engine: Engine,
  dir: string,
  warn: ((message: string) => void) | null,
): Promise<void> {
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
      warn?.(`cannot read ${path}: ${(e as Error).message}`);
      continue;
    }
    if (parseSnapshotHeader(text.slice(0, text.indexOf("\n") >>> 0))) continue; // a snapshot
    const r = await engine.call("consult_kb", [text, path], 0);
    if (!r.ok) warn?.(`${path}: ${r.error}`);
    else if (warn) { for (const err of r.value.errors) warn(err); }
  }
}

const APPLY_BATCH_BYTES = 1 << 20;

/** Apply the records of `txs` in order, in engine calls of about 1 MiB; failures go to `warn`. */
export async function applyTransactions(
  engine: Engine,
  txs: Transaction[],
  warn: (message: string) => void,
): Promise<void> {
  let batch: string[] = [];
  let size = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const r = await engine.call("apply", batch, 0);
    if (!r.ok) warn(`replaying journal records failed: ${r.error}`);
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

/**
 * Knowledge clauses in an engine dump or snapshot text: one per line, not counting comments, the
 * `:- dynamic(…)` directives and zpm's bookkeeping (`zpm_source/2`, `tms_justification/2`).
 */
export function countDumpedClauses(dump: string): number {
  let n = 0;
  for (const line of dump.split("\n")) {
    if (line === "" || line.startsWith("%") || line.startsWith(":- ")) continue;
    if (line.startsWith("zpm_source(") || line.startsWith("tms_justification(")) continue;
    n++;
  }
  return n;
}

/** The text of snapshot `file` (named `name`, at `path`) in `store`; a PersistenceError when missing or not a zpm snapshot. */
export async function readSnapshotText(
  store: JournalStore,
  file: string,
  name: string,
  path: string,
): Promise<string> {
  const text = await store.readSnapshot(file);
  if (text === null) throw new PersistenceError(`snapshot '${name}' not found (${path})`);
  if (!parseSnapshotHeader(text.slice(0, Math.max(0, text.indexOf("\n"))))) {
    throw new PersistenceError(`${path} is not a zpm snapshot (no '%% zpm snapshot' header)`);
  }
  return text;
}
