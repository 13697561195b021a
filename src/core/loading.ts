/**
 * Loading knowledge into an engine: user files (the top-level `*.pl` files of a memory's directory,
 * consulted in name order as a read-only base layer through the engine's sandboxed loader, or loaded
 * from the kb cache of what that produced; snapshot files in the same directory are recognised by
 * their header and skipped) and journal transactions, applied in batches.
 *
 * @module
 */
import { join } from "node:path";
import type { Engine } from "../engine/types.ts";
import type { Transaction } from "../persistence/journal_format.ts";
import { parseSnapshotHeader } from "../persistence/snapshot_file.ts";
import { openKbCache, type UserFile } from "./kb_cache.ts";

/** The user files of `dir` (top-level `*.pl`, not snapshots) in name order; unreadable ones go to `warn`. */
async function readUserFiles(dir: string, warn: ((message: string) => void) | null): Promise<UserFile[]> {
  let names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".pl")) names.push(e.name);
    }
  } catch {
    return [];
  }
  names = names.sort();
  const files: UserFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let text: string;
    let st: Deno.FileInfo;
    try {
      st = await Deno.stat(path);
      text = await Deno.readTextFile(path);
    } catch (e) {
      warn?.(`cannot read ${path}: ${(e as Error).message}`);
      continue;
    }
    if (parseSnapshotHeader(text.slice(0, text.indexOf("\n") >>> 0))) continue; // a snapshot
    const mtimeMs = st.mtime?.getTime() ?? 0;
    files.push({ name, path, text, size: st.size, mtimeMs });
  }
  return files;
}

/**
 * Load the user files of `dir` into `engine`, from the kb cache when it holds them (see kb_cache.ts),
 * else by consulting them (and then caching what that produced); problems go to `warn` when given.
 */
export async function loadUserFiles(
  engine: Engine,
  dir: string,
  warn: ((message: string) => void) | null,
): Promise<void> {
  const files = await readUserFiles(dir, warn);
  if (files.length === 0) return;
  const cache = await openKbCache(dir, files);
  const want = cache !== null;
  const cached = cache ? await cache.read() : null;
  const made: string[] = [];
  for (const [i, f] of files.entries()) {
    let r = cached ? await engine.call("load_kb_cache", [cached[i], f.path], 0) : null;
    if (r && !r.ok) {
      await cache?.discard(); // never expected (the cache is checked first): parse the file instead
      r = null;
    }
    if (!r) {
      const c = await engine.call("consult_kb", [f.text, f.path, want && !cached ? 1 : 0], 0);
      if (c.ok) made.push(c.value.cache);
      r = c;
    }
    if (!r.ok) warn?.(`${f.path}: ${r.error}`);
    else if (warn) { for (const err of r.value.errors) warn(err); }
  }
  if (cache && !cached && made.length === files.length) await cache.write(made);
}

const APPLY_BATCH_BYTES = 1 << 20;

/** Apply the records of `txs` in order, in engine calls of about 1 MiB; failures go to `warn`, counts to `applied`. */
export async function applyTransactions(
  engine: Engine,
  txs: Transaction[],
  warn: (message: string) => void,
  applied?: (transactions: number) => void,
): Promise<void> {
  let batch: string[] = [];
  let done = 0;
  let size = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const r = await engine.call("apply", batch, 0);
    if (!r.ok) warn(`replaying journal records failed: ${r.error}`);
    applied?.(done);
    batch = [];
    size = 0;
  };
  for (const tx of txs) {
    for (const rec of tx.records) {
      batch.push(rec.op, rec.clause);
      size += rec.clause.length;
    }
    done++;
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

/**
 * The snapshot body to store after restoring `text`: its body (without the header line) followed by
 * `extra`, the declarations a dump would add (see the `load_snapshot` operation).
 */
export function restoredBody(text: string, extra: string): string {
  const body = text.slice(text.indexOf("\n") + 1);
  if (extra === "") return body;
  return body === "" || body.endsWith("\n") ? body + extra : `${body}\n${extra}`;
}
