/**
 * The kb cache (src/core/kb_cache.ts): a start from the cache answers and warns exactly as parsing the
 * kb files does; a changed file (even of the same size and time), a corrupted cache and a cache that is
 * not private are not used; a cache that is used still goes through the checks of kb loading (a
 * planted directive does not run, a reserved clause is refused); old caches are pruned.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { runZpm, tempProject, TEST_ENGINE_CACHE } from "../helpers/zpm.ts";
import { env } from "./_helpers.ts";

const A = [
  ":- op(700, xfx, likes).",
  "tom likes 'Zürich'.",
  "greeting --> [hello], name.",
  "name --> [world].",
  "broken(1.", // line 5: syntax error
  ":- initialization(halt).", // line 6: refused
  "call(_) :- true.", // line 7: reserved
  'r(X, "s") :- X likes _, \\+ X = ann.',
].join("\n") + "\n";
const B = "bob likes tea.\n:- dynamic(empty/1).\n";
const GOAL =
  "findall(X-Y, likes(X, Y), L1), findall(Z, (phrase(greeting, Z)), L2), findall(X2-S, r(X2, S), L3)";

/** A project with kb files and its own cache directory (seeded with the shared engine boot state). */
async function project(): Promise<{ dir: string; cache: string; env: Record<string, string> }> {
  const dir = await tempProject();
  await Deno.writeTextFile(join(dir, ".zpm/kb/a.pl"), A);
  await Deno.writeTextFile(join(dir, ".zpm/kb/b.pl"), B);
  const cache = await Deno.makeTempDir({ prefix: "zpm-kbcache-" });
  try {
    for await (const e of Deno.readDir(TEST_ENGINE_CACHE)) {
      if (e.name.endsWith(".prc")) await Deno.copyFile(join(TEST_ENGINE_CACHE, e.name), join(cache, e.name));
    }
  } catch { /* no shared boot state yet: the first run makes one */ }
  return { dir, cache, env: env(dir, { ZPM_ENGINE_CACHE: cache }) };
}

async function run(p: { dir: string; env: Record<string, string> }, extra: Record<string, string> = {}) {
  const r = await runZpm(["query-logic", "--goal", GOAL], { cwd: p.dir, env: { ...p.env, ...extra } });
  strictEqual(r.code, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

async function cacheFiles(cache: string): Promise<string[]> {
  const out = [];
  for await (const e of Deno.readDir(cache)) if (e.name.startsWith("kb-")) out.push(join(cache, e.name));
  return out;
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

Deno.test("kb cache: a start from the cache answers and warns as parsing the files does", async () => {
  const p = await project();
  const cold = await run(p, { ZPM_KB_CACHE: "off" });
  deepStrictEqual(await cacheFiles(p.cache), [], "ZPM_KB_CACHE=off writes no cache");
  ok(cold.stdout.includes('"L1":[{"functor":"-","args":["tom","Zürich"]}'), cold.stdout);
  for (const line of [/a\.pl:5: /, /a\.pl:6: .*initialization/, /a\.pl:7: .*call\/1 is reserved/]) {
    ok(line.test(cold.stderr), `${line} in ${cold.stderr}`);
  }
  // Caches not rewritten for 30 days are removed when one is written; recent ones stay.
  const stale = join(p.cache, "kb-stale.cache");
  const recent = join(p.cache, "kb-recent.cache");
  await Deno.writeTextFile(stale, "x");
  await Deno.writeTextFile(recent, "x");
  const old = new Date(Date.now() - 40 * 24 * 3600 * 1000);
  await Deno.utime(stale, old, old);
  const making = await run(p);
  deepStrictEqual(await Deno.stat(stale).then(() => true, () => false), false, "a stale cache is removed");
  await Deno.remove(recent);
  const files = await cacheFiles(p.cache);
  strictEqual(files.length, 1);
  strictEqual((await Deno.stat(files[0])).mode! & 0o777, 0o600);
  const cached = await run(p);
  deepStrictEqual(making, cold);
  deepStrictEqual(cached, cold);
});

Deno.test("kb cache: a changed file, a corrupted cache and a cache that is not private are not used", async () => {
  const p = await project();
  await run(p);
  const [file] = await cacheFiles(p.cache);
  // Same size and modification time, other content: the hash tells.
  const path = join(p.dir, ".zpm/kb/b.pl");
  const { mtime } = await Deno.stat(path);
  await Deno.writeTextFile(path, B.replace("tea", "pie"));
  await Deno.utime(path, mtime!, mtime!);
  ok((await run(p)).stdout.includes('["bob","pie"]'));
  // A flipped byte: ignored and rebuilt.
  const bytes = await Deno.readFile(file);
  bytes[bytes.length >> 1] ^= 0x20;
  await Deno.writeFile(file, bytes);
  ok((await run(p)).stdout.includes('["bob","pie"]'));
  const rebuilt = await Deno.readFile(file);
  const body = rebuilt.subarray(0, rebuilt.length - 32);
  deepStrictEqual(await sha256(body), rebuilt.subarray(body.length));
  // A well-formed cache planting a directive, a reserved clause and a fact: the checks still apply,
  // and a copy that is readable by others is not used at all.
  const c = JSON.parse(new TextDecoder().decode(body));
  const marker = join(p.dir, "pwned");
  c.caches[1] += `i(9, d(initialization(shell('touch ${marker}')))) .\n` +
    "i(10, c([(call(_) :- true)])) .\ni(11, c([planted(1)])) .\n";
  const planted = new TextEncoder().encode(JSON.stringify(c));
  const out = new Uint8Array(planted.length + 32);
  out.set(planted);
  out.set(await sha256(planted), planted.length);
  const plantedGoal = ["query-logic", "--goal", "planted(X)"];
  await Deno.writeFile(file, out, { mode: 0o644 });
  await Deno.chmod(file, 0o644);
  const open = await runZpm(plantedGoal, { cwd: p.dir, env: p.env });
  strictEqual(open.stdout.trim().split("\n")[0], "[]", "a cache readable by others is ignored");
  await Deno.writeFile(file, out);
  await Deno.chmod(file, 0o600);
  const used = await runZpm(plantedGoal, { cwd: p.dir, env: p.env });
  strictEqual(used.stdout.trim(), '[{"X":1}]', used.stderr);
  ok(/b\.pl:9: .*initialization/.test(used.stderr), used.stderr);
  ok(/b\.pl:10: .*call\/1 is reserved/.test(used.stderr), used.stderr);
  strictEqual(
    await Deno.stat(marker).then(() => true, () => false),
    false,
    "the planted directive did not run",
  );
});
