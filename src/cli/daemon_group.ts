/** `zpm daemon status|stop`: the warm engine of this project (with these settings and this build). */
import type { Command } from "commander";
import { writeStdout } from "../io/output.ts";
import { daemonEnabled } from "../daemon/client.ts";
import { type DaemonTarget, permissionFlags, resolveTarget } from "../daemon/paths.ts";
import { connectSocket, roundTrip } from "../daemon/wire.ts";

/** The warm engine's status reply. */
interface Status {
  pid: number;
  root: string;
  socket: string;
  idleMs: number;
}

async function find(project: string | undefined): Promise<{ target: DaemonTarget } | { problem: string }> {
  if (!daemonEnabled()) return { problem: "off (ZPM_DAEMON=off)" };
  const permissions = permissionFlags();
  if (!permissions) return { problem: "not used: this process lacks a permission the warm engine needs" };
  const r = await resolveTarget(project, permissions);
  return "target" in r ? r : { problem: `not used: ${r.problem}` };
}

async function ask(target: DaemonTarget, op: "status" | "stop"): Promise<Record<string, unknown> | null> {
  const conn = await connectSocket(target.socket);
  if (!conn) return null;
  try {
    return JSON.parse((await roundTrip(conn, { op })).split("\n")[0]);
  } catch {
    return null;
  }
}

/** True once nobody holds the warm engine's lock (it has exited), waiting up to `ms`. */
async function waitGone(lockPath: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      using f = Deno.openSync(lockPath, { read: true, write: true });
      if (f.tryLockSync(true)) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

/** Add `zpm daemon status` and `zpm daemon stop`. */
export function registerDaemonGroup(program: Command, setExit: (code: number) => void): void {
  const group = program.command("daemon").description(
    'the warm engine that answers this project\'s CLI tool commands (see README "Warm engine")',
  );
  group.command("status").description("say whether the warm engine runs, and where its socket is")
    .action(async () => {
      const found = await find(program.opts().project);
      if ("problem" in found) return writeStdout(`warm engine: ${found.problem}\n`);
      const s = await ask(found.target, "status") as Status | null;
      writeStdout(
        s
          ? `warm engine: running (pid ${s.pid}), project ${s.root}, socket ${s.socket}, stops after ${s.idleMs} ms idle\n`
          : `warm engine: not running (socket ${found.target.socket}); the next tool command starts it\n`,
      );
    });
  group.command("stop").description("stop the warm engine (the next tool command starts a new one)")
    .action(async () => {
      const found = await find(program.opts().project);
      if ("problem" in found) return writeStdout(`warm engine: ${found.problem}\n`);
      const r = await ask(found.target, "stop");
      if (!r) return writeStdout("warm engine: not running\n");
      if (await waitGone(found.target.lock, 10_000)) {
        return writeStdout(`warm engine: stopped (pid ${r.stopping})\n`);
      }
      writeStdout(`warm engine: pid ${r.stopping} did not stop within 10 s; it stops itself when idle\n`);
      setExit(1);
    });
}
