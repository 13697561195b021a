/**
 * A throwaway PostgreSQL cluster for tests: Debian's `postgresql` binaries, `initdb` in a temporary
 * directory (run as the unprivileged `nobody` when we are root, because the server refuses root),
 * trust authentication on 127.0.0.1, a free local port, the unix socket in the temporary directory,
 * started with `pg_ctl` and removed by `stop()`. `startCluster()` returns null, after a loud
 * console.warn saying why, only when no PostgreSQL installation can be found (`.ci/run` installs it).
 */
import { join } from "node:path";

/** A running throwaway cluster. */
export interface PgCluster {
  /** Connection URL of the `postgres` database as superuser `zpm` (no password: trust). */
  url: string;
  /** The TCP port. */
  port: number;
  /** The data directory. */
  dataDir: string;
  /** `pg_ctl restart -m immediate`: a crash restart (no checkpoint) of the server. */
  restartImmediate(): Promise<void>;
  /** Stop the server fast (for "database unreachable" tests); `start()` brings it back. */
  stopServer(): Promise<void>;
  /** Start a stopped server again. */
  start(): Promise<void>;
  /** Stop the server and remove its directory. */
  stop(): Promise<void>;
}

/** The directory holding initdb/pg_ctl, newest version first, or null when none is installed. */
export function findPgBin(): string | null {
  const root = "/usr/lib/postgresql";
  try {
    const versions = [...Deno.readDirSync(root)].map((e) => e.name).filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      try {
        Deno.statSync(join(root, v, "bin", "initdb"));
        return join(root, v, "bin");
      } catch { /* try the next */ }
    }
  } catch { /* not installed */ }
  return null;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

let root: boolean | null = null;

/** True when we run as root (`id -u`; no --allow-sys needed). */
function isRoot(): boolean {
  if (root === null) {
    const out = new Deno.Command("id", { args: ["-u"], stdout: "piped" }).outputSync();
    root = new TextDecoder().decode(out.stdout).trim() === "0";
  }
  return root;
}

async function run(cmd: string, args: string[], what: string): Promise<string> {
  const [c, a] = isRoot() ? ["runuser", ["-u", "nobody", "--", cmd, ...args]] : [cmd, args];
  const out = await new Deno.Command(c, { args: a, stdout: "piped", stderr: "piped", cwd: "/" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${what} failed (exit ${out.code}): ${text}`);
  return text;
}

/** Start a fresh cluster, or return null (after a loud warning) when PostgreSQL is not installed. */
export async function startCluster(): Promise<PgCluster | null> {
  const bin = findPgBin();
  if (!bin) {
    console.warn(
      "\n!!! PostgreSQL is not installed (no /usr/lib/postgresql/<ver>/bin/initdb): SKIPPING the PostgreSQL " +
        "store tests. Install it with `apt-get install -y postgresql` (.ci/run does this).\n",
    );
    return null;
  }
  const base = await Deno.makeTempDir({ prefix: "zpm-pg-" });
  await Deno.chmod(base, 0o755);
  const dataDir = join(base, "data");
  const sockDir = join(base, "sock");
  await Deno.mkdir(sockDir);
  if (isRoot()) {
    await new Deno.Command("chown", { args: ["-R", "nobody", base] }).output();
  }
  const port = freePort();
  await run(join(bin, "initdb"), [
    "-D",
    dataDir,
    "-U",
    "zpm",
    "--auth=trust",
    "--no-sync",
    "-E",
    "UTF8",
    "--locale=C",
  ], "initdb");
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${sockDir} -c fsync=on -c max_connections=100`;
  const log = join(base, "server.log");
  const start = () =>
    run(
      join(bin, "pg_ctl"),
      ["-D", dataDir, "-l", log, "-o", opts, "-w", "-t", "60", "start"],
      "pg_ctl start",
    )
      .then(() => {});
  await start();
  return {
    url: `postgres://zpm@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    start,
    async restartImmediate() {
      await run(
        join(bin, "pg_ctl"),
        ["-D", dataDir, "-l", log, "-o", opts, "-m", "immediate", "-w", "-t", "60", "restart"],
        "pg_ctl restart",
      );
    },
    async stopServer() {
      await run(join(bin, "pg_ctl"), ["-D", dataDir, "-m", "fast", "-w", "stop"], "pg_ctl stop");
    },
    async stop() {
      await run(join(bin, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"], "pg_ctl stop")
        .catch(() => {});
      await Deno.remove(base, { recursive: true }).catch(() => {});
    },
  };
}
