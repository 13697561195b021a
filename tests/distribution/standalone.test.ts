/**
 * The program does not depend on running from the source tree.
 *
 * `deno compile` cannot run on machines without dl.deno.land (its runtime download), so the first test
 * builds the other self-contained form, a single-file bundle (`deno bundle`), copies nothing else, and runs
 * it from a directory outside the checkout with read/write permission for that directory only: `zpm init`,
 * a CLI tool call (in-process engine), and `zpm serve` answering MCP calls through its engine host child,
 * which is started from the same bundle (`__engine-host`) and holds no permissions at all.
 *
 * With `ZPM_TEST_BINARY=<compiled zpm>` (the release workflow sets it) the second test runs the same
 * scenario with a copy of the compiled binary, whose engine host must be `<binary> __engine-host`, and
 * lets that binary upgrade itself from a local release host.
 */
import { ok, strictEqual as assertEquals } from "node:assert/strict";
import { assetName, detectPlatform } from "../../src/upgrade/platform.ts";
import { readLines } from "../../src/io/lines.ts";
import { sha256, startReleaseServer, tempDir } from "./release_server.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const BINARY = Deno.env.get("ZPM_TEST_BINARY");

interface Launcher {
  cmd: string;
  /** Arguments before zpm's own. */
  prefix: string[];
  /** How the engine host child's command line starts. */
  host: string;
}

Deno.test("standalone: a bundle outside the checkout runs the CLI and serves MCP through its engine host", async () => {
  const dir = await tempDir("standalone-");
  ok(!dir.startsWith(ROOT), `${dir} must be outside the checkout ${ROOT}`);
  const bundle = `${dir}/dist/zpm.js`;
  const built = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "deno", `--config=${CONFIG}`, "--output", bundle, MAIN],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(built.code, 0, new TextDecoder().decode(built.stderr));
  ok(!(await Deno.readTextFile(bundle)).includes(ROOT), "the bundle must not name the checkout");
  await scenario(dir, {
    cmd: Deno.execPath(),
    prefix: [
      "run",
      "--quiet",
      "--no-config",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      "--allow-env",
      `--allow-run=${Deno.execPath()}`,
      "--allow-sys=osRelease,uid",
      bundle,
    ],
    host: `${Deno.execPath()} run --quiet --no-prompt --no-config file://${bundle} __engine-host`,
  });
});

Deno.test({
  name: "standalone: the compiled binary (ZPM_TEST_BINARY) serves MCP and upgrades itself",
  ignore: !BINARY,
  async fn() {
    const dir = await tempDir("compiled-");
    const zpm = `${dir}/bin/zpm`;
    await Deno.mkdir(`${dir}/bin`);
    await Deno.copyFile(BINARY!, zpm);
    await Deno.chmod(zpm, 0o755);
    await scenario(dir, { cmd: zpm, prefix: [], host: `${zpm} __engine-host` });

    const asset = assetName(detectPlatform(undefined));
    const next = `v${Number((await output(zpm, ["version"])).replace(/^zpm /, "").split(".")[0]) + 1}.0.0`;
    const srv = startReleaseServer([{ tag: next, assets: { [asset]: "the next zpm" } }]);
    try {
      const env = { ZPM_GITHUB_API_URL: srv.api };
      const dry = await output(zpm, ["upgrade", "--dry-run"], env);
      assertEquals(
        dry,
        `version: ${next}\nasset_url: ${srv.origin}/dl/${next}/${asset}\n` +
          `checksum: ${sha256("the next zpm")}\ninstall_path: ${zpm}\n`,
      );
      await output(zpm, ["upgrade"], env);
      assertEquals(await Deno.readTextFile(zpm), "the next zpm");
      assertEquals((await Deno.stat(zpm)).mode! & 0o777, 0o755);
    } finally {
      await srv.close();
    }
  },
});

async function output(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const out = await new Deno.Command(cmd, { args, env, stdin: "null" }).output();
  const dec = new TextDecoder();
  assertEquals(out.code, 0, `${cmd} ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

/** init, a CLI tool call, then `serve` over MCP with the engine host checked; all in `dir`. */
async function scenario(dir: string, zpm: Launcher) {
  const project = `${dir}/project`;
  await Deno.mkdir(project);
  const command = (args: string[]) =>
    new Deno.Command(zpm.cmd, {
      args: [...zpm.prefix, ...args],
      cwd: project,
      // No warm engine left behind (tests/daemon/ covers it).
      env: { HOME: `${dir}/home`, XDG_DATA_HOME: `${dir}/home/.xdg`, ZPM_DAEMON: "off" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    });
  const run = async (args: string[]) => {
    const child = command(args).spawn();
    await child.stdin.close();
    const out = await child.output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  };

  const init = await run(["init"]);
  assertEquals(init.code, 0, init.stderr);
  assertEquals(init.stdout, "Initialized .zpm/ project directory\n");
  const fact = await run(["remember-fact", "--fact", "parent(tom, bob)"]);
  assertEquals(fact.code, 0, fact.stderr);
  assertEquals(fact.stdout, "Asserted: parent(tom, bob)\n");

  const server = command(["serve"]).spawn();
  const writer = server.stdin.getWriter();
  const send = (msg: unknown) => writer.write(new TextEncoder().encode(JSON.stringify(msg) + "\n"));
  const lines = readLines(server.stdout)[Symbol.asyncIterator]();
  let id = 0;
  const request = async (method: string, params: unknown) => {
    const my = ++id;
    await send({ jsonrpc: "2.0", id: my, method, params });
    for (;;) {
      const next = await lines.next();
      if (next.done) throw new Error("zpm serve exited before answering");
      const msg = JSON.parse(next.value);
      if (msg.id === my) return msg;
    }
  };
  const call = async (name: string, args: unknown) =>
    (await request("tools/call", { name, arguments: args })).result.content[0].text;
  try {
    const hello = await request("initialize", {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "zpm-tests", version: "1" },
    });
    assertEquals(hello.result.serverInfo.name, "zpm");
    await send({ jsonrpc: "2.0", method: "notifications/initialized" });
    assertEquals(await call("remember_fact", { fact: "parent(bob, ann)" }), "Asserted: parent(bob, ann)");
    const rule = await call("define_rule", { head: "grandparent(X, Z)", body: "parent(X, Y), parent(Y, Z)" });
    ok(rule.startsWith("Asserted: grandparent("), rule);
    assertEquals(await call("query_logic", { goal: "grandparent(tom, W)" }), '[{"W":"ann"}]');
    // The engine host is a child of the server, started from the same program (checked where `ps` exists).
    const children = await childCommandLines(server.pid);
    if (children !== null) {
      const hosts = children.filter((c) => c.includes("__engine-host"));
      assertEquals(hosts.length, 1, children.join("\n"));
      ok(hosts[0].startsWith(zpm.host), `${hosts[0]}\ndoes not start with\n${zpm.host}`);
    }
  } finally {
    await writer.close();
  }
  const status = await server.status;
  const stderr = new TextDecoder().decode(await new Response(server.stderr).arrayBuffer());
  assertEquals(status.code, 0, stderr);
}

/** Command lines of the direct children of `pid`, or null where `ps --ppid` is not available. */
async function childCommandLines(pid: number): Promise<string[] | null> {
  try {
    const out = await new Deno.Command("ps", { args: ["-o", "args=", "--ppid", String(pid)], stderr: "null" })
      .output();
    if (!out.success) return null;
    return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.trim() !== "");
  } catch {
    return null;
  }
}
