/**
 * User files: the top-level `*.pl` files of a memory's directory, consulted in name order into a
 * fresh engine as a read-only base layer (through the engine's sandboxed loader). Snapshot files,
 * which live in the same directory, are recognised by their header and skipped.
 *
 * @module
 */
import { join } from "node:path";
import type { Engine } from "../engine/types.ts";
import { parseSnapshotHeader } from "../persistence/snapshot_file.ts";

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
    else if (warn) { for (const err of r.value.errors as string[]) warn(err); }
  }
}
