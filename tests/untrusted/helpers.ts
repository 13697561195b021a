/**
 * Helpers for the untrusted-project tests: a decoy tree outside the project (the files a hostile
 * `.zpm/` tries to reach), a fingerprint of a tree that changes when any byte, name, mode or link
 * in it changes, and a one-shot zpm runner for a crafted project.
 */
import { join } from "node:path";
import { type CliResult, isolatedEnv, runZpm } from "../helpers/zpm.ts";

/** A project and a decoy tree beside it, sharing one temp directory (also the fake HOME). */
export interface Crafted {
  /** The temp directory (HOME for zpm). */
  base: string;
  /** The project root (holds `.zpm/`). */
  root: string;
  /** Files outside the project that nothing may change. */
  decoy: string;
}

/** Make a temp dir with an initialised project `proj/` and a decoy tree `decoy/` (two files, a sub-directory). */
export async function craftedProject(): Promise<Crafted> {
  const base = await Deno.makeTempDir({ prefix: "zpm-untrusted-" });
  const root = join(base, "proj");
  const decoy = join(base, "decoy");
  await Deno.mkdir(join(decoy, "sub"), { recursive: true });
  await Deno.writeTextFile(join(decoy, "precious.txt"), "my precious notes\n");
  await Deno.writeTextFile(join(decoy, "sub", "key.pem"), "-----BEGIN KEY-----\nabc\n-----END KEY-----\n");
  await Deno.mkdir(root);
  const r = await zpm({ base, root, decoy }, ["init"]);
  if (r.code !== 0) throw new Error(`zpm init failed: ${r.stderr}`);
  return { base, root, decoy };
}

/** Run one zpm command in the crafted project (HOME and XDG_DATA_HOME inside the temp dir). */
export function zpm(c: Crafted, args: string[]): Promise<CliResult> {
  return runZpm(args, { cwd: c.root, env: isolatedEnv(c.base) });
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Every entry under `dir` (not following links) with its kind, mode and content hash or link target. */
export async function treeHash(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string) => {
    const names = [];
    for await (const e of Deno.readDir(d)) names.push(e.name);
    for (const name of names.sort()) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = await Deno.lstat(p);
      const mode = (st.mode ?? 0).toString(8);
      if (st.isSymlink) out.push(`${r} link ${await Deno.readLink(p)}`);
      else if (st.isDirectory) {
        out.push(`${r} dir ${mode}`);
        await walk(p, r);
      } else out.push(`${r} file ${mode} ${st.size} ${await sha256(await Deno.readFile(p))}`);
    }
  };
  await walk(dir, "");
  return out;
}

/** The combined text of a CLI result, for matching error messages. */
export function said(r: CliResult): string {
  return `${r.stdout}\n${r.stderr}`;
}
