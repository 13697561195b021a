/**
 * The CLI side of the warm engine: a plain tool command (`zpm query-logic ...`) is sent over a Unix socket
 * to a per-project engine that stays up between commands, which runs the very same CLI code and sends back
 * the command's output (stdout and stderr, in order) and exit code. Never required: whenever the warm engine is off, missing,
 * of another build, or fails before it starts the command, the caller runs the command itself (null).
 *
 * Loads no engine, MCP or database module: this is the fast path.
 *
 * @module
 */
import { TOOL_COMMANDS } from "../tools/names.ts";
import { writeStderr, writeStdout } from "../io/output.ts";
import { daemonCommand, type DaemonTarget, permissionFlags, resolveTarget } from "./paths.ts";
import { connectSocket, type Exchange, exchange } from "./wire.ts";

/** A tool command found in the arguments: its name, whether it only reads, and its `--project` value. */
interface ToolCommand {
  name: string;
  readOnly: boolean;
  project: string | undefined;
}

/**
 * The tool command `argv` runs, or null for anything else (other commands, help, a `--project` flag
 * after the command name, which commander would also accept there: the root is decided here).
 */
export function toolCommandOf(argv: string[]): ToolCommand | null {
  let i = 0;
  let project: string | undefined;
  while (i < argv.length && argv[i].startsWith("-")) {
    if (argv[i] === "--project" && i + 1 < argv.length) {
      project = argv[i + 1];
      i += 2;
    } else if (argv[i].startsWith("--project=")) {
      project = argv[i].slice("--project=".length);
      i += 1;
    } else return null;
  }
  const name = argv[i];
  const readOnly = name === undefined ? undefined : TOOL_COMMANDS.get(name);
  if (readOnly === undefined) return null;
  // Help is laid out for this terminal's width, so it is printed here.
  const local = (a: string) =>
    a === "--project" || a.startsWith("--project=") || a === "-h" || a === "--help";
  if (argv.slice(i + 1).some(local)) return null;
  return { name, readOnly, project };
}

/** `ZPM_DAEMON`: "off" (or "0", "false") runs every command in its own process. */
export function daemonEnabled(): boolean {
  const v = (Deno.env.get("ZPM_DAEMON") ?? "").toLowerCase();
  return !["off", "0", "false", "no"].includes(v);
}

function msSetting(name: string, fallback: number): number {
  const n = Number(Deno.env.get(name));
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

/** Start a warm engine for `target` (detached, no stdio) and wait until it answers; null if it does not. */
async function startDaemon(target: DaemonTarget, permissions: string[]): Promise<Deno.UnixConn | null> {
  const { cmd, args } = daemonCommand(target, permissions);
  let exited: number | null = null;
  try {
    const child = new Deno.Command(cmd, {
      args,
      cwd: target.root,
      stdin: "null",
      stdout: "null",
      stderr: "null",
      detached: true,
    }).spawn();
    child.unref();
    child.status.then((s) => (exited = s.code), () => (exited = 1));
  } catch {
    return null;
  }
  const deadline = Date.now() + msSetting("ZPM_DAEMON_START_MS", 30_000);
  while (Date.now() < deadline) {
    const conn = await connectSocket(target.socket);
    if (conn) return conn;
    // Exit code 0: another warm engine for this key holds the lock and is starting; keep waiting.
    if (exited !== null && exited !== 0) return null;
    await new Promise((r) => setTimeout(r, 15));
  }
  return null;
}

function lostWrite(name: string): number {
  writeStderr(
    `zpm ${name}: the warm engine stopped while it ran this command, so whether the change was saved is unknown. ` +
      "Check the knowledge (e.g. `zpm query-logic --goal ...` or `zpm get-persistence-status`) before you " +
      "repeat it; `ZPM_DAEMON=off` runs commands without the warm engine.\n",
  );
  return 1;
}

/**
 * Run `argv` through the warm engine if it is a tool command and one can be used: returns the exit code
 * after writing the command's output, or null when the caller must run the command itself.
 */
export async function warmCall(argv: string[]): Promise<number | null> {
  let reply: Exchange;
  let command: ToolCommand | null;
  try {
    if (!daemonEnabled() || Deno.env.get("ZPM_CLI_INPROCESS") === "1") return null;
    command = toolCommandOf(argv);
    const permissions = command && permissionFlags();
    if (!command || !permissions) return null;
    const resolved = await resolveTarget(command.project, permissions);
    if (!("target" in resolved)) return null;
    const { target } = resolved;
    const conn = await connectSocket(target.socket) ?? await startDaemon(target, permissions);
    if (!conn) return null;
    reply = await exchange(conn, { op: "call", build: target.build, argv, cwd: Deno.cwd() });
  } catch {
    return null; // anything unexpected before the command started: run it here
  }
  if (reply.kind === "answer") {
    for (const [fd, text] of reply.output) (fd === 1 ? writeStdout : writeStderr)(text);
    return reply.code;
  }
  // Not started (refused, another build, gone before it began): nothing ran, so run it here.
  if (reply.kind === "not-started") return null;
  // Gone after it began: a read is simply run again here; a write may or may not have been saved.
  return command.readOnly ? null : lostWrite(command.name);
}
