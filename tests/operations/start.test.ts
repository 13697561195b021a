/**
 * A start that cannot go wrong: `zpm serve --project DIR` without `.zpm/` completes the MCP
 * handshake and answers tool calls with "run `zpm init` in DIR" (the CLI says the same, exit 1);
 * `deno task zpm` run from another directory uses that directory's `.zpm/` (INIT_CWD); `zpm init`
 * writes a .gitignore that covers every memory's journal files.
 */
import { match, ok, strictEqual } from "node:assert/strict";
import { isolatedEnv, McpClient, runZpm, tempProject, zpmCommand } from "../helpers/zpm.ts";
import { readLines } from "../../src/io/lines.ts";

const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

Deno.test("serve --project DIR without .zpm/ completes the handshake and every tool call says to run zpm init", async () => {
  const home = await tempProject(false);
  const bare = await Deno.makeTempDir({ prefix: "zpm-bare-" });
  const mcp = await McpClient.start({ cwd: home, args: ["--project", bare] });
  try {
    const tools = (await mcp.request("tools/list", {})).result as { tools: unknown[] };
    ok(tools.tools.length > 0);
    const r = await mcp.call("remember_fact", { fact: "a(1)" });
    strictEqual(r.isError, true);
    match(r.content[0].text, new RegExp(`Run \`zpm init\` in ${bare}`));
  } finally {
    strictEqual(await mcp.close(), 1);
  }
  match(mcp.stderr, /Run `zpm init`/);
  const cli = await runZpm(["--project", bare, "remember-fact", "--fact", "a(1)"], { cwd: home });
  strictEqual(cli.code, 1);
  match(cli.stderr, /Run `zpm init`/);
  ok(![...Deno.readDirSync(bare)].length, "nothing was created in DIR");
});

Deno.test("deno task zpm from another directory uses that directory's .zpm/ (INIT_CWD)", async () => {
  const dir = await tempProject();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", `--config=${CONFIG}`, "zpm", "remember-fact", "--fact", "here(1)"],
    cwd: dir,
    // As from a user's shell: no INIT_CWD inherited from a `deno task test` that runs this suite
    // (deno task keeps an INIT_CWD that is already set).
    clearEnv: true,
    env: withoutInitCwd({ ...Deno.env.toObject(), ...isolatedEnv(dir) }),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  strictEqual(out.code, 0, err);
  match(await Deno.readTextFile(`${dir}/.zpm/data/journal.wal`), /here\(1\)/);
  ok(!err.includes("per-user default"), err);
});

Deno.test("zpm init writes a .gitignore covering every memory's journal, lock, archive and broken-tail files", async () => {
  const dir = await tempProject();
  const gi = await Deno.readTextFile(`${dir}/.zpm/.gitignore`);
  for (
    const line of [
      "data/",
      "kb/**/journal.wal",
      "kb/**/journal.wal.*",
      "kb/**/journal-*.wal",
      "kb/**/journal.lock",
    ]
  ) {
    ok(gi.split("\n").includes(line), `${line} in ${gi}`);
  }
  await Deno.writeTextFile(`${dir}/.zpm/.gitignore`, "data/\n");
  await runZpm(["list-memories"], { cwd: dir });
  strictEqual(await Deno.readTextFile(`${dir}/.zpm/.gitignore`), gi, "an old .gitignore is upgraded");
});

Deno.test({
  name:
    "serve started by hand in a terminal says once that it waits for an MCP client; a client's pipe hears nothing",
  // `script` (util-linux) gives the server a terminal as stdin, as a shell would.
  ignore: !hasScript(),
  fn: async () => {
    const dir = await tempProject();
    const { cmd, args } = zpmCommand(["serve"]);
    const line = [cmd, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    const child = new Deno.Command("script", {
      args: ["-qec", line, "/dev/null"],
      cwd: dir,
      env: isolatedEnv(dir),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let seen = "";
    const deadline = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const writer = child.stdin.getWriter();
    for await (const l of readLines(child.stdout)) {
      seen += l + "\n";
      if (l.includes("waiting for an MCP client")) {
        await writer.write(new TextEncoder().encode("\x04")); // Ctrl-D: end of input on the terminal
        await writer.close();
      }
    }
    const status = await child.status;
    clearTimeout(deadline);
    await child.stderr.cancel();
    const waits = seen.split("\n").filter((l) => l.includes("waiting for an MCP client"));
    strictEqual(waits.length, 1, seen);
    ok(
      waits[0].includes(`project ${await Deno.realPath(dir)}`) || waits[0].includes(`project ${dir}`),
      waits[0],
    );
    strictEqual(status.code, 0, seen);
    // Through a pipe (as from an MCP client) the line is not printed.
    const mcp = await McpClient.start({ cwd: dir });
    await mcp.close();
    ok(!mcp.stderr.includes("waiting for an MCP client"), mcp.stderr);
  },
});

function hasScript(): boolean {
  try {
    return new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

function withoutInitCwd(env: Record<string, string>): Record<string, string> {
  const { INIT_CWD: _, ...rest } = env;
  return rest;
}
