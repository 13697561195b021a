/**
 * A 100k-clause import through the real CLI completes; an import killed with SIGKILL mid-way leaves
 * whole transactions (multiples of the 5000-clause chunk) or nothing, and the memory stays healthy.
 * ZPM_IMPORT_CLAUSES sets the size (default 100000).
 */
import { ok, strictEqual } from "node:assert/strict";
import { readLines } from "../../src/io/lines.ts";
import { isolatedEnv, runZpm, tempProject, zpmCommand } from "../helpers/zpm.ts";

const N = Number(Deno.env.get("ZPM_IMPORT_CLAUSES") ?? 100_000);
const CHUNK = 5000;

async function bigFile(dir: string): Promise<string> {
  const lines = [];
  for (let i = 0; i < N; i++) lines.push(`f(${i}, 'name ${i}', [a, "s"]).`);
  await Deno.writeTextFile(`${dir}/big.pl`, lines.join("\n") + "\n");
  return `${dir}/big.pl`;
}

async function count(dir: string): Promise<number> {
  const r = await runZpm(["query-logic", "--goal", "aggregate_all(count, f(_, _, _), C)"], { cwd: dir });
  strictEqual(r.code, 0, r.stderr);
  return JSON.parse(r.stdout)[0].C;
}

Deno.test(`import: ${N} clauses complete; kill -9 mid-import leaves whole transactions`, async () => {
  const dir = await tempProject();
  const file = await bigFile(dir);
  const { cmd, args } = zpmCommand(["import", file]);
  const child = new Deno.Command(cmd, {
    args,
    cwd: dir,
    env: isolatedEnv(dir),
    stdout: "null",
    stderr: "piped",
  })
    .spawn();
  for await (const line of readLines(child.stderr)) {
    if (/clauses committed/.test(line)) break; // at least one transaction is durable
  }
  child.kill("SIGKILL");
  await child.status;
  const after = await count(dir);
  ok(after > 0 && after % CHUNK === 0, `${after} clauses: whole transactions only`);
  strictEqual((await runZpm(["doctor"], { cwd: dir })).code, 0);

  const fresh = await tempProject();
  const r = await runZpm(["import", file], { cwd: fresh });
  strictEqual(r.code, 0, r.stderr);
  strictEqual(await count(fresh), N);
});
