/**
 * `zpm doctor` covers every memory: mid-log damage in a named project memory and in a mounted
 * global memory (under a temporary XDG_DATA_HOME) is found, refused for writes, and repaired with
 * `zpm doctor --memory NAME --repair MODE`; bare `--repair` explains the modes; `--json` reports
 * user-file syntax errors with file:line, bad snapshots and a corrupt mounts.json.
 */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { runZpm, tempProject } from "../helpers/zpm.ts";

async function zpm(dir: string, ...args: string[]) {
  return await runZpm(args, { cwd: dir });
}

/** Three transactions in `memory`, then one flipped byte inside the second. */
async function damagedMemory(dir: string, memory: string, walDir: string) {
  for (const n of [1, 2, 3]) {
    const r = await zpm(dir, "remember-fact", "--fact", `n(${n})`, "--memory", memory);
    strictEqual(r.code, 0, r.stderr);
  }
  const wal = `${walDir}/journal.wal`;
  const bytes = await Deno.readFile(wal);
  const second = new TextDecoder().decode(bytes).indexOf("n(2)");
  ok(second > 0);
  bytes[second + 1] ^= 0x04;
  await Deno.writeFile(wal, bytes);
}

for (const scope of ["project", "global"] as const) {
  Deno.test(`doctor: damage in a ${scope} memory is found and repaired with --memory and --repair`, async () => {
    const dir = await tempProject();
    strictEqual((await zpm(dir, "create-memory", "--name", "notes", "--scope", scope)).code, 0);
    const walDir = scope === "project" ? `${dir}/.zpm/kb/notes` : `${dir}/.xdg/zpm/kb/notes`;
    await damagedMemory(dir, "notes", walDir);
    const w = await zpm(dir, "remember-fact", "--fact", "n(4)", "--memory", "notes");
    strictEqual(w.code, 1, "writes are refused while the journal is damaged");

    const all = await zpm(dir, "doctor");
    strictEqual(all.code, 1, all.stdout);
    match(all.stdout, /memory 'default' .*\n {2}journal.wal: ok/);
    match(all.stdout, new RegExp(`memory 'notes' .*\\[${scope}\\]\\n {2}journal.wal: DAMAGED at byte`));
    match(all.stdout, /zpm doctor --memory notes --repair skip/);

    const bare = await zpm(dir, "doctor", "--repair");
    strictEqual(bare.code, 1);
    match(bare.stderr, /--repair keep-prefix .*\n.*--repair skip/);

    const json = JSON.parse((await zpm(dir, "doctor", "--json", "--memory", "notes")).stdout);
    strictEqual(json.healthy, false);
    deepStrictEqual(json.memories.map((m: { memory: string }) => m.memory), ["notes"]);
    strictEqual(json.memories[0].damage.kind, "corrupt");

    const fix = await zpm(dir, "doctor", "--memory", "notes", "--repair", "skip");
    strictEqual(fix.code, 0, fix.stdout + fix.stderr);
    match(fix.stdout, /repaired 'notes': dropped the damaged transaction/);
    ok([...Deno.readDirSync(walDir)].some((e) => e.name.startsWith("journal.wal.bak-")), "a backup is kept");

    strictEqual((await zpm(dir, "remember-fact", "--fact", "n(4)", "--memory", "notes")).code, 0);
    const q = await zpm(dir, "query-logic", "--goal", "n(X)", "--memory", "notes");
    strictEqual(q.stdout, '[{"X":1},{"X":3},{"X":4}]\n', "the transaction after the damage was kept");
    strictEqual((await zpm(dir, "doctor")).code, 0);
  });
}

Deno.test("doctor: user-file syntax errors (file:line), bad snapshots, unmounted memories and a corrupt mounts.json", async () => {
  const dir = await tempProject();
  await Deno.writeTextFile(`${dir}/.zpm/kb/base.pl`, "ok(1).\nbad(( .\nok(2).\n");
  await Deno.writeTextFile(`${dir}/.zpm/kb/broken-snap.pl`, "%% zpm snapshot 1714000000\nfoo(.\n");
  await Deno.mkdir(`${dir}/.zpm/kb/loose`);
  const r = await zpm(dir, "doctor", "--json");
  strictEqual(r.code, 1);
  const rep = JSON.parse(r.stdout);
  const def = rep.memories.find((m: { memory: string }) => m.memory === "default");
  match(def.userFileErrors.join("\n"), /base\.pl:2: /);
  strictEqual(def.snapshots[0].ok, false);
  match(def.snapshots[0].problem, /not valid Prolog/);
  const loose = rep.memories.find((m: { memory: string }) => m.memory === "loose");
  strictEqual(loose.mounted, false);
  strictEqual(rep.manifest.ok, true);

  await Deno.remove(`${dir}/.zpm/kb/base.pl`);
  await Deno.remove(`${dir}/.zpm/kb/broken-snap.pl`);
  strictEqual((await zpm(dir, "doctor")).code, 0);
  await Deno.writeTextFile(`${dir}/.zpm/mounts.json`, '{"version":1,"mounts":[{"name":');
  const m = await zpm(dir, "doctor");
  strictEqual(m.code, 1);
  match(m.stdout, /mounts\.json: mounts\.json is not valid/);
});
