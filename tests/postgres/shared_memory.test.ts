/**
 * Four zpm servers with separate project directories (standing in for separate machines) sharing
 * the default memory in one real PostgreSQL database (ZPM_STORE_URL): concurrent writes are all kept
 * with gap-free sequence numbers and seen by every server; a server killed with SIGKILL mid-write,
 * `pg_ctl restart -m immediate` and `pg_terminate_backend` during writes lose no acknowledged write
 * and duplicate none; while the database is down reads keep working and writes name the store.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { isolatedEnv, McpClient, tempProject } from "../helpers/zpm.ts";
import { PgJournalStore } from "../../src/persistence/pg_store.ts";
import { findPgBin, type PgCluster, startCluster } from "./cluster.ts";

const PER_SERVER = 100;
/** Servers on one database (the issue asks 4 servers x 100 writes). */
const SERVERS = 4;

async function server(dir: string, url: string): Promise<McpClient> {
  return await McpClient.start({ cwd: dir, env: isolatedEnv(dir, { ZPM_STORE_URL: url }) });
}

/** Every stored transaction's facts, and the sequence numbers, read straight from the database. */
async function stored(url: string): Promise<{ seqs: number[]; facts: string[] }> {
  const store = new PgJournalStore(url, "default");
  try {
    const { scan } = await store.read(0);
    strictEqual(scan.damage, null);
    return {
      seqs: scan.transactions.map((t) => t.seq!),
      facts: scan.transactions.flatMap((t) => t.records.map((r) => r.clause)),
    };
  } finally {
    await store.close();
  }
}

async function count(mcp: McpClient, pred: string): Promise<number> {
  return JSON.parse(await mcp.text("query_logic", { goal: `aggregate_all(count, ${pred}, N)` }))[0].N;
}

/** Poll `fn` until it returns true (generous hang bound, not a timing assertion). */
async function eventually(what: string, fn: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function exactlyOnce(facts: string[], acked: string[]): void {
  for (const f of acked) strictEqual(facts.filter((x) => x === f).length, 1, `${f} stored exactly once`);
  strictEqual(new Set(facts).size, facts.length, "no transaction stored twice");
}

let cluster: PgCluster | null = null;

Deno.test({
  name: "postgres: servers on separate projects share one memory through the database",
  // Without PostgreSQL the test is reported as ignored (after startCluster's loud warning), not as passed.
  ignore: findPgBin() === null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    cluster = await startCluster();
    if (!cluster) throw new Error("the throwaway PostgreSQL cluster did not start");
    const url = cluster.url;
    const dirs = await Promise.all(Array.from({ length: SERVERS }, () => tempProject()));
    const servers = await Promise.all(dirs.map((d) => server(d, url)));
    try {
      await t.step(
        `${SERVERS} servers x ${PER_SERVER} concurrent writes: all kept, gap-free, seen by every server`,
        async () => {
          await Promise.all(servers.map(async (mcp, s) => {
            const rs = await Promise.all(
              Array.from(
                { length: PER_SERVER },
                (_, i) => mcp.call("remember_fact", { fact: `w(${s}, ${i})` }),
              ),
            );
            for (const r of rs) strictEqual(r.isError, false, r.content[0].text);
          }));
          for (const mcp of servers) strictEqual(await count(mcp, "w(_, _)"), SERVERS * PER_SERVER);
          const { seqs, facts } = await stored(url);
          deepStrictEqual(seqs, seqs.map((_, i) => i + 1), "gap-free sequence numbers");
          strictEqual(seqs.length, SERVERS * PER_SERVER);
          exactlyOnce(facts, facts);
        },
      );

      await t.step("a write on one server is seen by the other on its next calls", async () => {
        strictEqual((await servers[0].call("remember_fact", { fact: "seen(1)" })).isError, false);
        await eventually("server 1 to see seen(1)", async () => (await count(servers[1], "seen(_)")) === 1);
      });

      await t.step(
        "pg_terminate_backend and restart -m immediate during writes: acked writes exactly once",
        async () => {
          const acked: string[] = [];
          const writes = servers.map(async (mcp, s) => {
            for (let i = 0; i < 30; i++) {
              const fact = `f(${s}, ${i})`;
              const r = await mcp.call("remember_fact", { fact });
              if (!r.isError) acked.push(fact);
            }
          });
          const faults = (async () => {
            await new Promise((r) => setTimeout(r, 300));
            const admin = new PgJournalStore(url, "admin");
            // deno-lint-ignore no-explicit-any
            const sql = (admin as any).sql;
            await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE application_name = 'zpm' AND pid <> pg_backend_pid()`.catch(() => {});
            await admin.close();
            await new Promise((r) => setTimeout(r, 300));
            await cluster!.restartImmediate();
          })();
          await Promise.all([...writes, faults]);
          ok(acked.length > 0, "some writes were acknowledged");
          // Recovery is automatic: both servers write again and see every acknowledged write.
          await eventually(
            "a write after recovery",
            async () => !(await servers[0].call("remember_fact", { fact: "after(1)" })).isError,
          );
          const { facts, seqs } = await stored(url);
          deepStrictEqual(
            seqs,
            seqs.map((_, i) => i + 1),
            "still gap-free",
          );
          exactlyOnce(facts, acked);
          for (const mcp of servers) {
            await eventually(
              "every acked write visible",
              async () => (await count(mcp, "f(_, _)")) >= acked.length,
            );
          }
        },
      );

      await t.step("while the database is down reads work and writes fail naming the store", async () => {
        await cluster!.stopServer();
        try {
          strictEqual(await count(servers[1], "w(_, _)"), SERVERS * PER_SERVER, "reads keep working");
          const r = await servers[1].call("remember_fact", { fact: "down(1)" });
          strictEqual(r.isError, true);
          ok(/PostgreSQL store postgres:\/\/zpm@127\.0\.0\.1/.test(r.content[0].text), r.content[0].text);
        } finally {
          await cluster!.start();
        }
        await eventually(
          "writes after the database returns",
          async () => !(await servers[1].call("remember_fact", { fact: "up(1)" })).isError,
        );
        strictEqual(
          (await stored(url)).facts.filter((f) => f === "down(1)").length,
          0,
          "refused write absent",
        );
      });

      await t.step(
        "kill -9 of a server mid-write: acked writes exactly once, others whole or absent",
        async () => {
          const acked: string[] = [];
          const victim = servers[0];
          const pending = Array.from(
            { length: 40 },
            (_, i) =>
              victim.call("remember_fact", { fact: `k(${i})` }).then((r) => {
                if (!r.isError) {
                  acked.push(`k(${i})`);
                }
              }).catch(() => {}),
          );
          await new Promise((r) => setTimeout(r, 400));
          await victim.kill();
          await Promise.allSettled(pending);
          servers[0] = await server(dirs[0], url);
          const { facts, seqs } = await stored(url);
          deepStrictEqual(seqs, seqs.map((_, i) => i + 1));
          exactlyOnce(facts, acked);
          const stillThere = facts.filter((f) => f.startsWith("k(")).length;
          strictEqual(await count(servers[0], "k(_)"), stillThere, "a new server boots to the stored state");
          strictEqual((await servers[1].call("remember_fact", { fact: "post_kill(1)" })).isError, false);
        },
      );
    } catch (e) {
      // deno-lint-ignore no-explicit-any
      for (const mcp of servers) console.error("server stderr:", (mcp as any).stderrText);
      throw e;
    } finally {
      for (const mcp of servers) await mcp.close().catch(() => {});
      await cluster.stop();
      for (const d of dirs) await Deno.remove(d, { recursive: true }).catch(() => {});
    }
  },
});

if (findPgBin() === null) await startCluster(); // prints the loud "SKIPPING" warning
