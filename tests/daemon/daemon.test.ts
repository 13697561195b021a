/**
 * The warm engine (README "Warm engine"): CLI tool commands answered by a per-project engine over a
 * private Unix socket print exactly what they print without it, and every way it can be missing, stale,
 * refused or killed leaves the CLI working. Every test stops its warm engine.
 */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { type CliResult, tempProject, zpmCommand } from "../helpers/zpm.ts";
import { env } from "../e2e/_helpers.ts";
import { TOOLS } from "../../src/tools/registry.ts";
import { TOOL_COMMANDS } from "../../src/tools/names.ts";

/**
 * Run zpm as `deno task zpm` does, with all network access: Deno counts the warm engine's Unix socket
 * as network access (the other tests allow 127.0.0.1 only, so they never use a warm engine).
 */
async function runZpm(
  args: string[],
  opts: { cwd: string; env: Record<string, string> },
): Promise<CliResult> {
  const { cmd, args: full } = zpmCommand(args);
  const out = await new Deno.Command(cmd, {
    args: full.map((a) => (a.startsWith("--allow-net=") ? "--allow-net" : a)),
    cwd: opts.cwd,
    env: opts.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A project plus a private socket directory; `run` goes through the warm engine unless told "off". */
async function setup(extra: Record<string, string> = {}) {
  const dir = await tempProject();
  const sockets = await Deno.makeTempDir({ prefix: "zpm-sock-" });
  await Deno.chmod(sockets, 0o700);
  const base = { ZPM_DAEMON_DIR: sockets, ZPM_DAEMON_IDLE_MS: "120000", ...extra };
  const run = (args: string[], mode: "on" | "off" = "on", more: Record<string, string> = {}) =>
    runZpm(args, { cwd: dir, env: env(dir, { ...base, ZPM_DAEMON: mode, ...more }) });
  const status = async (more: Record<string, string> = {}) =>
    (await run(["daemon", "status"], "on", more)).stdout;
  const pid = async (more: Record<string, string> = {}) => {
    const m = (await status(more)).match(/running \(pid (\d+)\)/);
    return m ? Number(m[1]) : null;
  };
  const stop = async (more: Record<string, string> = {}) => {
    const r = await run(["daemon", "stop"], "on", more);
    match(r.stdout, /warm engine: (stopped|not running)/, r.stdout + r.stderr);
    await Deno.remove(sockets, { recursive: true }).catch(() => {});
  };
  return { dir, sockets, run, status, pid, stop };
}

const same = (dirA: string, a: CliResult, dirB: string, b: CliResult, what: string) => {
  const norm = (d: string, r: CliResult) => ({
    code: r.code,
    stdout: r.stdout.replaceAll(d, "<P>"),
    stderr: r.stderr.replaceAll(d, "<P>"),
  });
  deepStrictEqual(norm(dirB, b), norm(dirA, a), what);
};

Deno.test("daemon: the warm-engine client's list of tool commands matches the registry", () => {
  deepStrictEqual(
    [...TOOL_COMMANDS],
    TOOLS.map((t) => [t.name.replaceAll("_", "-"), t.hints.readOnly]),
  );
});

Deno.test("daemon: tool commands print the same bytes and exit codes with and without the warm engine", async () => {
  // A generous inference limit so that the endless goal below meets the wall-clock deadline.
  const limits = { ZPM_QUERY_TIMEOUT_MS: "1500", ZPM_INFERENCE_LIMIT: "400000000" };
  const cold = await setup(limits);
  const warm = await setup(limits);
  try {
    const steps: string[][] = [
      ["remember-fact", "--fact", "p(1)"],
      ["remember-fact", "--fact", "p(2)."],
      ["query-logic", "--goal", "p(X)"],
      ["query-logic", "--goal", "p(X)", "--format", "json"],
      ["query-logic", "--goal", "p(X"], // syntax error
      ["query-logic", "--goal", "nosuch(X)"],
      ["query-logic"], // missing required option
      ["query-logic", "--goal", "true", "--limit", "abc"], // bad integer
      ["query-logic", "--goal", "true", "--bogus"], // unknown option
      ["remember-fact", "--fact", "   "], // invalid argument
      ["forget-fact", "--fact", "p(1)"],
      ["query-logic", "--goal", "repeat, fail"], // wall-clock deadline
      ["query-logic", "--goal", "findall(Y, p(Y), L)"], // after the deadline: a fresh engine, same knowledge
      ["create-memory", "--name", "notes"],
      ["remember-fact", "--fact", "n(a)", "--memory", "notes"],
      ["query-logic", "--goal", "n(X)", "--memory", "notes"],
      ["query-logic", "--goal", "n(X)", "--memory", "nosuch"],
      ["list-memories"],
      ["get-persistence-status"],
      ["echo", "--message", "héllo ✓ \u{1F600}"],
    ];
    for (const args of steps) {
      const a = await cold.run(args, "off");
      const b = await warm.run(args);
      same(cold.dir, a, warm.dir, b, args.join(" "));
    }
    ok(await warm.pid(), "the warm engine runs");
    // Its log has a line per command it answered: all of them went through it.
    const logs = [...Deno.readDirSync(warm.sockets)].filter((e) => e.name.endsWith(".log"));
    strictEqual(logs.length, 1);
    const answered = Deno.readTextFileSync(join(warm.sockets, logs[0].name)).match(/ exit \d+ \(/g) ?? [];
    strictEqual(answered.length, steps.length, "every command was answered by the warm engine");
    strictEqual(await cold.pid(), null, "ZPM_DAEMON=off started no warm engine");
    // The journal is the truth: a command run without the warm engine sees what it wrote, and vice versa.
    strictEqual((await warm.run(["remember-fact", "--fact", "p(3)"], "off")).code, 0);
    strictEqual(
      (await warm.run(["query-logic", "--goal", "aggregate_all(count, p(_), N)"])).stdout,
      '[{"N":2}]\n',
    );
  } finally {
    await warm.stop();
    await cold.stop();
  }
});

Deno.test("daemon: stdout and stderr keep their order (2>&1), e.g. with the per-user default project", async () => {
  const dir = await tempProject(false); // no .zpm/ here: the per-user default project, with a note on stderr
  const sockets = await Deno.makeTempDir({ prefix: "zpm-sock-" });
  await Deno.chmod(sockets, 0o700);
  const run = async (args: string[], mode: string) => {
    const { cmd, args: full } = zpmCommand(args);
    const out = await new Deno.Command("/bin/sh", {
      args: [
        "-c",
        '"$0" "$@" 2>&1',
        cmd,
        ...full.map((a) => (a.startsWith("--allow-net=") ? "--allow-net" : a)),
      ],
      cwd: dir,
      env: env(dir, { ZPM_DAEMON: mode, ZPM_DAEMON_DIR: sockets, ZPM_DAEMON_IDLE_MS: "120000" }),
      stdout: "piped",
    }).output();
    return { code: out.code, both: new TextDecoder().decode(out.stdout) };
  };
  try {
    await run(["remember-fact", "--fact", "u(1)"], "off"); // creates the per-user default project
    const cold = await run(["query-logic", "--goal", "u(X)"], "off");
    const warm = await run(["query-logic", "--goal", "u(X)"], "on");
    match(cold.both, /^zpm: no \.zpm\/ directory found from .*per-user default project.*\n\[\{"X":1\}\]\n$/s);
    deepStrictEqual(warm, cold);
    ok([...Deno.readDirSync(sockets)].some((e) => e.name.endsWith(".sock")), "answered by a warm engine");
  } finally {
    match((await run(["daemon", "stop"], "on")).both, /warm engine: stopped/);
    await Deno.remove(sockets, { recursive: true }).catch(() => {});
  }
});

Deno.test("daemon: first commands at once start one warm engine; none holds the caller's pipes", async () => {
  const t = await setup({ ZPM_DAEMON_IDLE_MS: "300000" });
  try {
    // If the warm engine kept the first caller's stdout/stderr open, these would wait for its idle stop (5 min).
    const t0 = Date.now();
    const rs = await Promise.all([1, 2, 3].map((i) => t.run(["remember-fact", "--fact", `c(${i})`])));
    ok(Date.now() - t0 < 120_000, "hang bound: the callers' pipes were closed");
    for (const [i, r] of rs.entries()) strictEqual(r.stdout, `Asserted: c(${i + 1})\n`, r.stderr);
    const names = [...Deno.readDirSync(t.sockets)].map((e) => e.name).sort();
    strictEqual(names.filter((n) => n.endsWith(".sock")).length, 1, names.join(" "));
    const log = Deno.readTextFileSync(join(t.sockets, names.find((n) => n.endsWith(".log"))!));
    strictEqual(log.match(/ exit 0 \(/g)?.length, 3, log);
    strictEqual(log.match(/zpm warm engine: pid /g)?.length, 1, log);
  } finally {
    await t.stop();
  }
});

Deno.test("daemon: a stale socket and a killed warm engine are replaced; the call works", async () => {
  const t = await setup();
  try {
    const socket = (await t.status()).match(/socket (\S+)\)/)?.[1];
    ok(socket, "status names the socket");
    // A leftover non-socket file where the socket belongs.
    await Deno.writeTextFile(socket, "stale");
    strictEqual((await t.run(["remember-fact", "--fact", "k(1)"])).code, 0);
    const first = await t.pid();
    ok(first, "a warm engine runs");
    // kill -9 while idle: the socket file stays behind, nobody listens.
    Deno.kill(first, "SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    ok((await Deno.lstat(socket)).isSocket, "the dead engine's socket is still there");
    const r = await t.run(["query-logic", "--goal", "k(X)"]);
    strictEqual(r.stdout, '[{"X":1}]\n', r.stderr);
    const second = await t.pid();
    ok(second && second !== first, "a new warm engine answers");
  } finally {
    await t.stop();
  }
});

Deno.test("daemon: killed during a read, the CLI runs it itself; during a write, it says the outcome is unknown", async () => {
  const t = await setup({ ZPM_TEST_DAEMON_DELAY_MS: "4000" });
  const journal = join(t.dir, ".zpm", "data", "journal.wal");
  const journalHas = async (text: string) =>
    (await Deno.readTextFile(journal).catch(() => "")).includes(text);
  try {
    strictEqual((await t.run(["remember-fact", "--fact", "r(1)"])).code, 0);
    // A read: answered again here, same bytes as without the warm engine.
    let pid = await t.pid();
    ok(pid);
    const read = t.run(["query-logic", "--goal", "r(X)"]);
    await new Promise((r) => setTimeout(r, 1500));
    Deno.kill(pid, "SIGKILL");
    deepStrictEqual(await read, await t.run(["query-logic", "--goal", "r(X)"], "off"));
    // A write: it ran (it is in the journal), the answer was lost; zpm says so and does not run it twice.
    strictEqual((await t.run(["query-logic", "--goal", "true"])).code, 0);
    pid = await t.pid();
    ok(pid);
    const write = t.run(["remember-fact", "--fact", "w(1)"]);
    const end = Date.now() + 30_000;
    while (!(await journalHas("w(1)")) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    Deno.kill(pid, "SIGKILL");
    const w = await write;
    strictEqual(w.code, 1);
    match(w.stderr, /stopped while it ran this command, so whether the change was saved is unknown/);
    strictEqual(w.stdout, "");
    const q = await t.run(["query-logic", "--goal", "aggregate_all(count, w(_), N)"], "off");
    strictEqual(q.stdout, '[{"N":1}]\n', "applied exactly once");
  } finally {
    await t.stop();
  }
});

Deno.test("daemon: an unsafe socket directory is ignored: the command runs in its own process", async () => {
  const t = await setup();
  const real = await Deno.makeTempDir({ prefix: "zpm-sock-real-" });
  await Deno.chmod(real, 0o700);
  const link = join(t.sockets, "link");
  await Deno.symlink(real, link);
  const open = join(t.sockets, "open");
  await Deno.mkdir(open, { mode: 0o755 });
  await Deno.chmod(open, 0o755);
  const cases: [string, Record<string, string>, RegExp][] = [
    ["symbolic link", { ZPM_DAEMON_DIR: link }, /is a symbolic link/],
    ["open to others", { ZPM_DAEMON_DIR: open }, /open to other users/],
  ];
  // This test's user (from a file it creates: the test runner has no --allow-sys).
  const me = (await Deno.stat(await Deno.makeTempFile({ dir: t.sockets }))).uid;
  if (me === 0) {
    const foreign = join(t.sockets, "foreign");
    await Deno.mkdir(foreign, { mode: 0o700 });
    await Deno.chown(foreign, 65534, 65534);
    cases.push(["another user's", { ZPM_DAEMON_DIR: foreign }, /belongs to user 65534/]);
  }
  for (const [i, [what, more, why]] of cases.entries()) {
    const r = await t.run(["remember-fact", "--fact", `s(${i})`], "on", more);
    strictEqual(r.code, 0, `${what}: ${r.stderr}`);
    match(await t.status(more), why, what);
  }
  deepStrictEqual([...Deno.readDirSync(real)], [], "nothing was created through the link");
  const count = (await t.run(["query-logic", "--goal", "aggregate_all(count, s(_), N)"], "off")).stdout;
  strictEqual(count, `[{"N":${cases.length}}]\n`);
});

Deno.test("daemon: a warm engine of another build refuses; it stops after its idle time", async () => {
  const t = await setup({ ZPM_DAEMON_IDLE_MS: "4000" });
  try {
    strictEqual((await t.run(["remember-fact", "--fact", "x(0)"])).code, 0);
    const socket = (await t.status()).match(/socket (\S+),/)?.[1];
    ok(socket);
    // A client of another build (the test runner may not open Unix sockets: a child process does).
    const req = { op: "call", build: "another build", argv: ["remember-fact", "--fact", "x(1)"], cwd: t.dir };
    const code = `const c = await Deno.connect({ transport: "unix", path: Deno.args[0] });
      await c.write(new TextEncoder().encode(Deno.args[1] + "\\n"));
      await Deno.stdout.write(new Uint8Array(await new Response(c.readable).arrayBuffer()));`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", code, socket, JSON.stringify(req)],
      stdout: "piped",
    }).output();
    const reply = new TextDecoder().decode(out.stdout);
    match(reply, /"refused":"another build"/);
    strictEqual(
      (await t.run(["query-logic", "--goal", "aggregate_all(count, x(_), N)"], "off")).stdout,
      '[{"N":1}]\n',
    );
    // Idle stop: the socket goes away by itself.
    const end = Date.now() + 30_000;
    while (Date.now() < end && (await t.pid()) !== null) await new Promise((r) => setTimeout(r, 250));
    strictEqual(await t.pid(), null, "stopped after ZPM_DAEMON_IDLE_MS");
  } finally {
    await t.stop();
  }
});
