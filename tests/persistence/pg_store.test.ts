/**
 * The journal-store contract suite against the PostgreSQL store, on a throwaway cluster
 * (tests/postgres/cluster.ts). Each test gets its own memory name in the shared cluster. Without a
 * PostgreSQL installation the suite is not registered, after a loud warning (`.ci/run` installs it).
 */
import { findPgBin, type PgCluster, startCluster } from "../postgres/cluster.ts";
import { journalStoreContract } from "./journal_store_contract.ts";

let cluster: Promise<PgCluster | null> | undefined;
let n = 0;

if (findPgBin() === null) {
  await startCluster(); // prints the loud "SKIPPING" warning
} else {
  journalStoreContract({
    name: "postgres",
    async fresh() {
      cluster ??= startCluster();
      const c = await cluster;
      if (!c) throw new Error("the throwaway PostgreSQL cluster did not start");
      return { spec: `postgres:${c.url}#contract_${Date.now()}_${n++}`, cleanup: () => Promise.resolve() };
    },
    tearTail: null,
  });

  Deno.test({
    name: "journal store contract (postgres): stop the throwaway cluster",
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await (await cluster)?.stop();
    },
  });
}
