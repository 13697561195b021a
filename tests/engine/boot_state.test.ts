/**
 * The engine boot-state cache (src/engine/boot_state.ts): a one-shot command writes a saved state into
 * `ZPM_ENGINE_CACHE` and later commands start from it with the same answers; a damaged or foreign state
 * file is never used (the command still answers, and the file is replaced by a good one); with the cache
 * off nothing is written.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { isolatedEnv, runZpm, tempProject } from "../helpers/zpm.ts";

async function stateFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) names.push(e.name);
  } catch { /* no directory */ }
  return names.sort();
}

/** Whether `bytes` ends with the SHA-256 of the rest (as every state file written by zpm does). */
async function intact(bytes: Uint8Array<ArrayBuffer>): Promise<boolean> {
  const body = bytes.subarray(0, bytes.length - 32);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  return bytes.length > 1000 && digest.every((b, i) => b === bytes[body.length + i]);
}

async function remember(cwd: string, cache: string, fact: string) {
  const r = await runZpm(["remember-fact", "--fact", fact], {
    cwd,
    env: isolatedEnv(cwd, { ZPM_ENGINE_CACHE: cache }),
  });
  strictEqual(r.code, 0, r.stderr);
}

async function query(cwd: string, cache: string): Promise<string> {
  const r = await runZpm(["query-logic", "--goal", "likes(X, Y)"], {
    cwd,
    env: isolatedEnv(cwd, { ZPM_ENGINE_CACHE: cache }),
  });
  strictEqual(r.code, 0, r.stderr);
  return r.stdout;
}

Deno.test("boot state: written once, reused, and a damaged file is replaced, never trusted", async () => {
  const cwd = await tempProject();
  const cache = `${cwd}/engine-cache`;
  await remember(cwd, cache, "likes(alice, tea)");
  const files = await stateFiles(cache);
  strictEqual(files.length, 1, `one state file expected, got ${files}`);
  ok(/^engine-[0-9a-f]{32}\.prc$/.test(files[0]), files[0]);
  const path = `${cache}/${files[0]}`;
  const good = await Deno.readFile(path);
  ok(await intact(good));
  const expected = await query(cwd, cache);
  ok(expected.includes("alice"), expected);

  // Started from the cached state: the same answer, the file untouched.
  deepStrictEqual(await query(cwd, cache), expected);
  deepStrictEqual(await Deno.readFile(path), good);

  // A flipped byte in the middle and a truncated file: answered from source, and the file rewritten whole.
  const flipped = good.slice();
  flipped[flipped.length >> 1] ^= 0xff;
  for (const bad of [flipped, good.subarray(0, good.length >> 1)]) {
    await Deno.writeFile(path, bad);
    deepStrictEqual(await query(cwd, cache), expected);
    ok(await intact(await Deno.readFile(path)), "the damaged state must be replaced by an intact one");
  }

  // Garbage with a valid checksum (as if made by another build): not a loadable state, so discarded.
  const junk = new TextEncoder().encode("not a saved state");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", junk));
  await Deno.writeFile(path, new Uint8Array([...junk, ...digest]));
  deepStrictEqual(await query(cwd, cache), expected);
  deepStrictEqual(await stateFiles(cache), files);
  ok(await intact(await Deno.readFile(path)), "the junk state must be replaced");
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("boot state: ZPM_ENGINE_CACHE=off writes nothing and still answers", async () => {
  const cwd = await tempProject();
  await remember(cwd, "off", "likes(bob, coffee)");
  ok((await query(cwd, "off")).includes("bob"));
  deepStrictEqual(await stateFiles(`${cwd}/.cache/zpm`), []);
  deepStrictEqual(await stateFiles(`${cwd}/off`), []);
  await Deno.remove(cwd, { recursive: true });
});
