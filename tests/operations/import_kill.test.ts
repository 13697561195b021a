/**
 * A 100k-clause import through the real CLI completes; an import killed with SIGKILL mid-way leaves
 * whole transactions (multiples of the 5000-clause chunk) or nothing, and the memory stays healthy.
 * The same when only the import's engine process is killed (it holds the checked clauses): the import
 * stops with a clear error instead of storing anything twice or in part.
 * ZPM_IMPORT_CLAUSES sets the size (default 100000).
 */
import { match, ok, strictEqual } from "node:assert/strict";
import { readLines } from "../../src/io/lines.ts";
import { isolatedEnv, runZpm, tempProject, zpmCommand } from "../helpers/zpm.ts";
import { engineHosts } from "../e2e/_helpers.ts";

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

/** `zpm import FILE` in `dir`, running, with its stderr piped. */
function startImport(dir: string, file: string, env: Record<string, string> = {}): Deno.ChildProcess {
  const { cmd, args } = zpmCommand(["import", file]);
  return new Deno.Command(cmd, {
    args,
    cwd: dir,
    env: isolatedEnv(dir, env),
    stdout: "null",
    stderr: "piped",
  })
    .spawn();
}

/** The memory holds whole chunks only (at least one, fewer than all when `partial`) and is healthy. */
async function wholeChunksOnly(dir: string, partial: boolean): Promise<void> {
  const after = await count(dir);
  ok(
    after > 0 && after % CHUNK === 0 && (!partial || after < N),
    `${after} clauses: whole transactions only`,
  );
  strictEqual((await runZpm(["doctor"], { cwd: dir })).code, 0);
}

Deno.test(`import: ${N} clauses complete; kill -9 mid-import leaves whole transactions`, async () => {
  const dir = await tempProject();
  const file = await bigFile(dir);
  const child = startImport(dir, file);
  for await (const line of readLines(child.stderr)) {
    if (/clauses committed/.test(line)) break; // at least one transaction is durable
  }
  child.kill("SIGKILL");
  await child.status;
  await wholeChunksOnly(dir, false);

  const fresh = await tempProject();
  const r = await runZpm(["import", file], { cwd: fresh });
  strictEqual(r.code, 0, r.stderr);
  strictEqual(await count(fresh), N);
});

Deno.test("import: the engine process killed mid-import stops it with a clear error; whole transactions only", async () => {
  const dir = await tempProject();
  const file = await bigFile(dir);
  const child = startImport(dir, file, { ZPM_DAEMON: "off", ZPM_CLI_INPROCESS: "0" });
  let stderr = "";
  let killed = 0;
  for await (const line of readLines(child.stderr)) {
    stderr += line + "\n";
    if (killed === 0 && /clauses committed/.test(line)) {
      for (const pid of await engineHosts(child.pid)) {
        Deno.kill(pid, "SIGKILL");
        killed++;
      }
    }
  }
  const status = await child.status;
  ok(killed > 0, `an engine host was running under the import: ${stderr}`);
  strictEqual(status.code, 1, stderr);
  match(stderr, /import chunk \d+ is not staged in this engine|engine process died/);
  match(stderr, /zpm import: stopped; \d+ clause\(s\) were committed before/);
  await wholeChunksOnly(dir, true);
});
