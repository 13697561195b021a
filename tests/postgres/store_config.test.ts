/**
 * Choosing the store per memory and moving a memory: `zpm memory create team --store URL` shares a
 * memory between two projects and keeps the password out of mounts.json; `zpm store migrate` copies
 * a file-backed memory (snapshot + journal) into the database with identical query answers, and
 * refuses a target that already holds data.
 */
import { ok, strictEqual } from "node:assert/strict";
import { isolatedEnv, runZpm, tempProject } from "../helpers/zpm.ts";
import { findPgBin, startCluster } from "./cluster.ts";

Deno.test({
  name: "postgres: memory create --store shares a memory; store migrate copies a file memory",
  // Without PostgreSQL the test is reported as ignored (after startCluster's loud warning), not as passed.
  ignore: findPgBin() === null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const cluster = await startCluster();
    if (!cluster) throw new Error("the throwaway PostgreSQL cluster did not start");
    const withPassword = cluster.url.replace("zpm@", "zpm:s3cret-pw@");
    const a = await tempProject();
    const b = await tempProject();
    const zpm = async (dir: string, ...args: string[]) => {
      const r = await runZpm(args, { cwd: dir, env: isolatedEnv(dir, { ZPM_STORE_URL: withPassword }) });
      strictEqual(r.code, 0, `zpm ${args.join(" ")}: ${r.stderr}`);
      ok(!/s3cret-pw/.test(r.stdout + r.stderr), "no password in output");
      return r.stdout;
    };
    try {
      await t.step("two projects share a database-backed memory; no password in mounts.json", async () => {
        await zpm(a, "memory", "create", "team", "--store", withPassword);
        await zpm(b, "memory", "create", "team", "--store", cluster.url);
        const manifest = await Deno.readTextFile(`${a}/.zpm/mounts.json`);
        ok(manifest.includes(`"store": "${cluster.url}"`), manifest);
        ok(!manifest.includes("s3cret-pw"), "the password is not recorded");
        await zpm(a, "remember-fact", "--fact", "shared(from_a)", "--memory", "team");
        const out = await zpm(b, "query-logic", "--goal", "shared(X)", "--memory", "team");
        ok(out.includes("from_a"), out);
      });

      await t.step("doctor and get_persistence_status report the stores without credentials", async () => {
        const doctor = await zpm(a, "doctor");
        ok(doctor.includes(`store team: ${cluster.url} memory 'team': reachable`), doctor);
        ok(doctor.includes(`store default: ${cluster.url} memory 'default': reachable`), doctor);
        const status = await zpm(a, "get-persistence-status");
        ok(status.includes(`store: ${cluster.url} memory 'default'`), status);
        ok(status.includes("store_health: reachable"), status);
        ok(/^journal_size: \d+ transactions$/m.test(status), status);
      });

      await t.step("store migrate: identical answers, then a second migration is refused", async () => {
        await zpm(a, "memory", "create", "notes");
        for (let i = 0; i < 5; i++) await zpm(a, "remember-fact", "--fact", `n(${i})`, "--memory", "notes");
        await zpm(a, "save-snapshot", "--name", "mid", "--memory", "notes");
        for (let i = 5; i < 8; i++) await zpm(a, "remember-fact", "--fact", `n(${i})`, "--memory", "notes");
        await zpm(a, "forget-fact", "--fact", "n(2)", "--memory", "notes");
        const q = ["query-logic", "--goal", "findall(X, n(X), L)", "--memory", "notes"];
        const before = await zpm(a, ...q);
        const moved = await zpm(a, "store", "migrate", "--memory", "notes", "--to", cluster.url);
        ok(/migrated/.test(moved), moved);
        ok((await Deno.readTextFile(`${a}/.zpm/mounts.json`)).includes('"store"'));
        strictEqual(await zpm(a, ...q), before, "identical answers after the move");
        // Another project's file memory of the same name cannot overwrite it.
        await zpm(b, "memory", "create", "notes");
        const r = await runZpm(["store", "migrate", "--memory", "notes", "--to", cluster.url], {
          cwd: b,
          env: isolatedEnv(b),
        });
        strictEqual(r.code, 1);
        ok(/already holds data/.test(r.stderr), r.stderr);
        strictEqual(await zpm(a, ...q), before, "the refused migration changed nothing");
      });
    } finally {
      await cluster.stop();
      for (const d of [a, b]) await Deno.remove(d, { recursive: true }).catch(() => {});
    }
  },
});

if (findPgBin() === null) await startCluster(); // prints the loud "SKIPPING" warning
