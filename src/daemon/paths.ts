/**
 * Where a warm engine lives and which one a command may use: a private per-user socket directory
 * (never inside the project), and a key made of the user, the canonical project root, the settings
 * that change behaviour and the build, so a command never reaches an engine that would answer it
 * differently. Light on purpose: the CLI's fast path loads this before it knows whether it needs more.
 *
 * @module
 */
import { join } from "node:path";
import { resolveRoot } from "../project/root.ts";
import { VERSION } from "../version.ts";
import { textSha256 } from "../io/sealed_file.ts";

/** The files of one warm engine, and what it serves. */
export interface DaemonTarget {
  /** The private socket directory. */
  dir: string;
  /** The Unix socket clients connect to. */
  socket: string;
  /** Held (flock) by the running warm engine for its whole life. */
  lock: string;
  /** The warm engine's own diagnostics (start, stop, background warnings). */
  log: string;
  /** The canonical project root. */
  root: string;
  /** This program's build identity; a warm engine of another build is never used. */
  build: string;
}

/** Settings that change what a command does, besides every `ZPM_*` variable. */
const KEY_ENV = /^(ZPM_|PG)|^(HOME|USERPROFILE|XDG_DATA_HOME|XDG_CONFIG_HOME|XDG_CACHE_HOME|TMPDIR)$/;
/** Settings that only concern the warm engine itself. */
const NOT_KEY_ENV = new Set(["ZPM_DAEMON", "ZPM_DAEMON_DIR", "ZPM_DAEMON_START_MS", "ZPM_TASK_CWD"]);

/** This process's user id (needs `--allow-sys=uid`; never prompts), or null. */
export function currentUid(): number | null {
  try {
    return Deno.permissions.querySync({ name: "sys", kind: "uid" }).state === "granted" ? Deno.uid() : null;
  } catch {
    return null;
  }
}

/** The per-user socket directory: `ZPM_DAEMON_DIR`, `$XDG_RUNTIME_DIR/zpm`, else `$TMPDIR/zpm-<uid>`. */
export function socketDirPath(uid: number): string {
  const set = Deno.env.get("ZPM_DAEMON_DIR");
  if (set) return set;
  const runtime = Deno.env.get("XDG_RUNTIME_DIR");
  if (runtime) return join(runtime, "zpm");
  return join(Deno.env.get("TMPDIR") || "/tmp", `zpm-${uid}`);
}

/**
 * Create (0700) or check the socket directory: a real directory (not a link), owned by this user,
 * closed to others. Returns the problem, or null when it is safe to use.
 */
export function checkSocketDir(dir: string, uid: number): string | null {
  let st: Deno.FileInfo;
  try {
    st = Deno.lstatSync(dir);
  } catch {
    try {
      Deno.mkdirSync(dir, { mode: 0o700 });
      st = Deno.lstatSync(dir);
    } catch (e) {
      return `cannot create ${dir}: ${(e as Error).message}`;
    }
  }
  if (st.isSymlink) return `${dir} is a symbolic link`;
  if (!st.isDirectory) return `${dir} is not a directory`;
  if (st.uid !== uid) return `${dir} belongs to user ${st.uid}, not to this user (${uid})`;
  if (((st.mode ?? 0) & 0o077) !== 0) {
    return `${dir} is open to other users (mode ${(st.mode ?? 0).toString(8)})`;
  }
  return null;
}

function stampOf(path: string): string {
  try {
    const st = Deno.statSync(path);
    return `${st.size}:${st.mtime?.getTime()}:${st.ino}`;
  } catch {
    return "-";
  }
}

/** Size, time and inode of every file under `dir` (the program's sources when run from source). */
function treeStamp(dir: string, out: string[]): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    out.push(`${dir}=-`);
    return;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory) treeStamp(path, out);
    else out.push(`${path}=${stampOf(path)}`);
  }
}

let build: string | null = null;

/**
 * This program's build: the binary (compiled), the bundle file, or Deno plus every source file under
 * src/ and the config beside it (run from source), so an edited checkout never uses an older engine.
 */
export function buildId(): string {
  if (build) return build;
  const parts = [VERSION, Deno.version.deno, Deno.execPath(), stampOf(Deno.execPath())];
  const here = new URL(import.meta.url);
  if (Deno.build.standalone || here.protocol !== "file:") parts.push(Deno.mainModule);
  else if (import.meta.url === Deno.mainModule) parts.push(stampOf(here.pathname)); // a single-file bundle
  else {
    treeStamp(new URL("../", here).pathname, parts);
    for (const f of ["deno.json", "deno.lock"]) parts.push(stampOf(new URL(`../../${f}`, here).pathname));
  }
  return build = parts.join("\n");
}

/** What decides where a command goes: the target, or why no warm engine can be used. */
export type Resolution = { target: DaemonTarget } | { problem: string };

/**
 * The warm engine for a command with `--project` value `flag` (undefined: none), or why there is none
 * (no project yet, an unsafe socket directory, an unknown user).
 */
export async function resolveTarget(flag: string | undefined, permissions: string[]): Promise<Resolution> {
  const { root, source } = resolveRoot(flag);
  let real: string;
  try {
    real = Deno.realPathSync(root);
    if (!Deno.statSync(join(real, ".zpm")).isDirectory) return { problem: `no .zpm/ directory in ${root}` };
  } catch {
    return { problem: `no .zpm/ directory in ${root}` };
  }
  const uid = currentUid();
  if (uid === null) return { problem: "cannot tell this process's user id (run with --allow-sys=uid)" };
  const dir = socketDirPath(uid);
  const problem = checkSocketDir(dir, uid);
  if (problem) return { problem };
  const env = Object.entries(Deno.env.toObject())
    .filter(([k]) => KEY_ENV.test(k) && !NOT_KEY_ENV.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const key = await textSha256(
    JSON.stringify({ uid, root: real, source, env, permissions, build: buildId() }),
  );
  const base = join(dir, key.slice(0, 32));
  const socket = `${base}.sock`;
  // A Unix socket path is limited to about 104 bytes.
  if (new TextEncoder().encode(socket).length > 100) return { problem: `socket path too long: ${socket}` };
  return { target: { dir, socket, lock: `${base}.lock`, log: `${base}.log`, root: real, build: buildId() } };
}

/**
 * The Deno flags this process runs with that the warm engine needs too (read, write, env, run, net, and
 * sys as far as granted), or null when this process may not use a warm engine.
 */
export function permissionFlags(): string[] | null {
  if (Deno.build.standalone) return [];
  const granted = (d: Deno.PermissionDescriptor) => Deno.permissions.querySync(d).state === "granted";
  const flags: string[] = [];
  for (const name of ["read", "write", "env", "run"] as const) {
    if (!granted({ name })) return null;
    flags.push(`--allow-${name}`);
  }
  // Deno counts a Unix socket as network access (all of it, or the socket's exact path).
  if (!granted({ name: "net" })) return null;
  flags.push("--allow-net");
  if (granted({ name: "sys" })) flags.push("--allow-sys");
  else {
    const kinds = (["osRelease", "uid"] as const).filter((kind) => granted({ name: "sys", kind }));
    if (kinds.length) flags.push(`--allow-sys=${kinds.join(",")}`);
  }
  return flags;
}

/** The command line that starts a warm engine from this very program. */
export function daemonCommand(target: DaemonTarget, permissions: string[]): { cmd: string; args: string[] } {
  const tail = ["__daemon", target.socket, target.lock, target.log, target.root];
  if (Deno.build.standalone) return { cmd: Deno.execPath(), args: tail };
  // As for the engine host: a single-file bundle runs without a config, never one found in the cwd.
  const config = import.meta.url === Deno.mainModule
    ? "--no-config"
    : `--config=${new URL("../../deno.json", import.meta.url).pathname}`;
  return {
    cmd: Deno.execPath(),
    args: ["run", "--quiet", "--no-prompt", config, ...permissions, Deno.mainModule, ...tail],
  };
}
