/**
 * The warm engine (`zpm __daemon`, started by the CLI): keeps one project open with its engines booted and
 * answers CLI tool commands sent over a private Unix socket, one at a time, by running the same CLI code
 * with the command's working directory and capturing its output. It is just another server-runtime
 * process on the project (the journal stays the truth); it holds a lock for its whole life so one runs per
 * key, and stops itself after `ZPM_DAEMON_IDLE_MS` without commands (default 10 minutes).
 *
 * @module
 */
import { join } from "node:path";
import { log } from "../io/log.ts";
import { captureOutput, type OutputCapture, writeText } from "../io/output.ts";
import { setProjectOpener } from "../cli/project_boot.ts";
import { runCli } from "../cli/cli.ts";
import { type OpenOptions, Project } from "../project/project.ts";
import { limitsFromEnv } from "../core/limits.ts";
import { VERSION } from "../version.ts";
import { buildId } from "./paths.ts";
import { TOOL_COMMANDS } from "../tools/names.ts";
import { type Answer, readLine, type Request, STARTED, writeConn } from "./wire.ts";

/** Idle time before the warm engine stops (ms), from `ZPM_DAEMON_IDLE_MS`. */
export function idleMs(): number {
  const n = Number(Deno.env.get("ZPM_DAEMON_IDLE_MS"));
  return Number.isSafeInteger(n) && n > 0 ? n : 600_000;
}

/** Open projects kept across commands, by root; reopened when `.zpm/` was replaced. */
const projects = new Map<string, { stamp: string; project: Promise<Project> }>();

function zpmStamp(root: string): string {
  try {
    const st = Deno.statSync(join(root, ".zpm"));
    return `${st.dev}:${st.ino}`;
  } catch {
    return "missing";
  }
}

async function openWarm(opts: OpenOptions): Promise<Project> {
  if (opts.runtime !== "one-shot") return await Project.open(opts);
  const stamp = zpmStamp(opts.root);
  let entry = projects.get(opts.root);
  if (entry && entry.stamp !== stamp) {
    projects.delete(opts.root);
    (await entry.project.catch(() => null))?.shutdown();
    entry = undefined;
  }
  if (!entry) {
    const project = Project.open({ ...opts, runtime: "warm" });
    entry = { stamp, project };
    projects.set(opts.root, entry);
    project.catch(() => projects.delete(opts.root));
  }
  return await entry.project;
}

/** Diagnostics between commands go to the warm engine's log file. */
function fileCapture(path: string): OutputCapture {
  let file: Deno.FsFile | null = null;
  try {
    file = Deno.openSync(path, { write: true, create: true, truncate: true, mode: 0o600 });
  } catch { /* no log */ }
  const write = (text: string) => {
    try {
      if (file) writeText(file, text);
    } catch { /* best effort */ }
  };
  return { out: write, err: write };
}

/** Run `zpm __daemon <socket> <lock> <log> <root>`; returns the exit code. */
export async function runDaemon(args: string[]): Promise<number> {
  const [socket, lockPath, logPath, root] = args;
  if (!socket || !lockPath || !logPath || !root) return 2;
  const lock = Deno.openSync(lockPath, { read: true, write: true, create: true, mode: 0o600 });
  if (!lock.tryLockSync(true)) return 0; // another warm engine serves this key
  const background = fileCapture(logPath);
  captureOutput(background);
  const build = buildId();
  log(`zpm warm engine: pid ${Deno.pid}, project ${root}, zpm ${VERSION}, socket ${socket}`);
  setProjectOpener(openWarm);
  try {
    await openWarm({ root, runtime: "one-shot", limits: limitsFromEnv(), version: VERSION, log });
  } catch (e) {
    log(`zpm warm engine: opening ${root} failed (${e}); each command reports it`);
  }
  try {
    Deno.removeSync(socket); // a stale socket: we hold the lock, so its engine is gone
  } catch { /* none */ }
  const listener = Deno.listen({ transport: "unix", path: socket });
  Deno.chmodSync(socket, 0o600);
  const ino = Deno.lstatSync(socket).ino;
  let busy = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let queue = Promise.resolve();
  const stop = async (why: string) => {
    clearTimeout(timer);
    log(`zpm warm engine: stopping (${why})`);
    try {
      listener.close();
    } catch { /* closed */ }
    try {
      if (Deno.lstatSync(socket).ino === ino) Deno.removeSync(socket);
    } catch { /* gone */ }
    await queue;
    for (const p of projects.values()) await (await p.project.catch(() => null))?.shutdown();
    Deno.exit(0);
  };
  const arm = () => {
    clearTimeout(timer);
    if (busy === 0) timer = setTimeout(() => stop("idle"), idleMs());
  };
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  arm();
  const answer = async (conn: Deno.Conn, req: Request) => {
    if (req.op === "status") {
      const status = { pid: Deno.pid, root, socket, idleMs: idleMs(), version: VERSION };
      return await writeConn(conn, JSON.stringify(status) + "\n");
    }
    if (req.op === "stop") {
      await writeConn(conn, JSON.stringify({ stopping: Deno.pid }) + "\n");
      return void stop("zpm daemon stop");
    }
    if (req.build !== build) {
      return await writeConn(conn, JSON.stringify({ refused: "another build" }) + "\n");
    }
    try {
      Deno.chdir(req.cwd);
    } catch {
      return await writeConn(conn, JSON.stringify({ refused: `no directory ${req.cwd}` }) + "\n");
    }
    await writeConn(conn, STARTED + "\n");
    const out: Answer = { output: [], code: 1 };
    const t0 = performance.now();
    // Pieces in order, so `2>&1` interleaves as it does without the warm engine.
    const put = (fd: 1 | 2, text: string) => {
      const last = out.output.at(-1);
      if (last?.[0] === fd) last[1] += text;
      else out.output.push([fd, text]);
    };
    captureOutput({ out: (t) => put(1, t), err: (t) => put(2, t) });
    try {
      out.code = await runCli(req.argv);
    } finally {
      captureOutput(background);
    }
    // The command's name only: its arguments are the user's data.
    const name = req.argv.find((a) => !a.startsWith("-") && TOOL_COMMANDS.has(a)) ?? "?";
    log(`zpm warm engine: ${name} exit ${out.code} (${(performance.now() - t0).toFixed(1)} ms)`);
    // Tests only: a pause between running the command and answering, to kill the engine in between.
    const delay = Number(Deno.env.get("ZPM_TEST_DAEMON_DELAY_MS") ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    await writeConn(conn, JSON.stringify(out) + "\n");
  };
  const serve = async (conn: Deno.Conn) => {
    let req: Request | null = null;
    try {
      req = JSON.parse(await readLine(conn) ?? "null") as Request | null;
    } catch { /* a client that went away or sent garbage */ }
    if (req?.op === "status") {
      // Answered at once, also while a command runs; asking is not activity (it does not delay the idle stop).
      await answer(conn, req).catch(() => {});
      try {
        conn.close();
      } catch { /* closed */ }
      return;
    }
    busy++;
    clearTimeout(timer);
    // Commands run one at a time, in arrival order (a command's output is captured process-wide).
    queue = queue.then(async () => {
      try {
        if (req) await answer(conn, req);
      } catch { /* a client that went away */ }
      try {
        conn.close();
      } catch { /* closed */ }
      busy--;
      arm();
    });
  };
  for await (const conn of listener) serve(conn);
  return 0;
}
