/**
 * The journal-store backends the contract suite runs against, addressed by a spec string so that
 * worker subprocesses can open the same store: `file:<dataDir>` (snapshots in the same directory).
 * A new backend adds its spec here and a `Deno.test` file that calls `journalStoreContract`.
 */
import { FileJournalStore } from "../../src/persistence/file_store.ts";
import type { JournalStore } from "../../src/persistence/journal_store.ts";

/** Open the store named by `spec`. */
export function openStore(spec: string): JournalStore {
  if (spec.startsWith("file:")) {
    const dir = spec.slice("file:".length);
    return new FileJournalStore(dir, dir);
  }
  throw new Error(`unknown store spec ${spec}`);
}
