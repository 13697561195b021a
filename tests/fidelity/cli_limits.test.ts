/** Issue 11, limits on the command line: a one-shot command has the server's wall-clock deadline. */
import { match, ok, strictEqual } from "node:assert/strict";
import { runZpm, tempProject } from "../helpers/zpm.ts";
import { env } from "../e2e/_helpers.ts";

Deno.test("fidelity/cli: query-logic is stopped at ZPM_QUERY_TIMEOUT_MS and prints no huge answer", async () => {
  const dir = await tempProject();
  const e = (extra: Record<string, string> = {}) => ({ cwd: dir, env: env(dir, extra) });
  strictEqual((await runZpm(["remember-fact", "--fact", "kept(1)"], e())).code, 0);
  const t0 = Date.now();
  const r = await runZpm(
    ["query-logic", "--goal", "numlist(1, 2000000, L), sum_list(L, S)"],
    e({ ZPM_QUERY_TIMEOUT_MS: "200" }),
  );
  const took = Date.now() - t0;
  strictEqual(r.code, 1, r.stderr);
  match(
    r.stdout,
    /^ERROR: Query execution failed: time limit \(200 ms\) exceeded: the goal was stopped; no knowledge was lost\n$/,
  );
  ok(took < 30_000, `took ${took} ms (hang bound)`);
  // an endless goal too
  const loop = await runZpm(["query-logic", "--goal", "repeat, fail"], e({ ZPM_QUERY_TIMEOUT_MS: "200" }));
  strictEqual(loop.code, 1);
  match(loop.stdout, /time limit \(200 ms\) exceeded|inference limit/);
  const q = await runZpm(["query-logic", "--goal", "kept(X)"], e());
  strictEqual(q.stdout, '[{"X":1}]\n');
});
