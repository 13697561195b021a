/**
 * The journal-store contract suite against the PostgreSQL store, on a throwaway cluster
 * (tests/postgres/cluster.ts). Each test gets its own memory name in the shared cluster.
 */
import { type PgCluster, startCluster } from "../postgres/cluster.ts";
import { journalStoreContract } from "./journal_store_contract.ts";

let cluster: PgCluster | null | undefined;
let n = 0;

async function ensureCluster(): Promise<PgCluster | null> {
  if (cluster === undefined) {
    cluster = await startCluster();
    if (cluster) globalThis.addEventListener("unload", () => {});
  }
  return cluster;
}

journalStoreContract({
  name: "postgres",
  async fresh() {
    const c = await ensureCluster();
    if (!c) throw new Error("PostgreSQL is not installed");
    return { spec: `postgres:${c.url}#contract_${Date.now()}_${n++}`, cleanup: () => Promise.resolve() };
  },
  tearTail: null,
});

Deno.test({
  name: "journal store contract (postgres): stop the throwaway cluster",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await cluster?.stop();
  },
});
