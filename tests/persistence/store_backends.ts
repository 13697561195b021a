/**
 * The journal-store backends the contract suite runs against, addressed by a spec string so that
 * worker subprocesses can open the same store: `file:<dataDir>` (snapshots in the same directory).
 * `postgres:<url>#<memory>` is the PostgreSQL store on memory `<memory>`.
 * A new backend adds its spec here and a `Deno.test` file that calls `journalStoreContract`.
 */
import { FileJournalStore } from "../../src/persistence/file_store.ts";
import type { JournalStore } from "../../src/persistence/journal_store.ts";
import { PgJournalStore } from "../../src/persistence/pg_store.ts";

const open = new Set<JournalStore>();

/** Close every store opened by `openStore` (database connections). */
export async function closeStores(): Promise<void> {
  for (const s of open) await s.close?.();
  open.clear();
}

/** Open the store named by `spec`. */
export function openStore(spec: string): JournalStore {
  if (spec.startsWith("file:")) {
    const dir = spec.slice("file:".length);
    return new FileJournalStore(dir, dir);
  }
  if (spec.startsWith("postgres:")) {
    const rest = spec.slice("postgres:".length);
    const hash = rest.lastIndexOf("#");
    const store = new PgJournalStore(rest.slice(0, hash), rest.slice(hash + 1));
    open.add(store);
    return store;
  }
  throw new Error(`unknown store spec ${spec}`);
}
