/**
 * Fuzzing a project's `.zpm/` from a fixed seed: manifest fields, journal bytes, snapshot headers
 * and bodies, and symbolic links into a decoy tree are mutated between tool calls to one
 * long-lived server (and, now and then, one-shot CLI commands). zpm must never crash, never hang,
 * and never change a file outside the project's memories (the decoy tree is hashed throughout).
 *
 * 200 cases by default; set ZPM_UNTRUSTED_FUZZ_CASES for a longer run and ZPM_UNTRUSTED_FUZZ_SEED
 * for another seed.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { isolatedEnv, McpClient } from "../helpers/zpm.ts";
import { type Crafted, craftedProject, said, treeHash, zpm } from "./helpers.ts";

const CASES = Number(Deno.env.get("ZPM_UNTRUSTED_FUZZ_CASES") ?? 200);
const SEED = Number(Deno.env.get("ZPM_UNTRUSTED_FUZZ_SEED") ?? 16);
/** Generous bound for one call: only a hang exceeds it. */
const CALL_BOUND_MS = 60_000;

/** mulberry32: a small seeded PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function withBound<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${CALL_BOUND_MS} ms`)),
      CALL_BOUND_MS,
    );
  });
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

/** One random change to the project's `.zpm/`; returns a description for failure messages. */
class Mutator {
  constructor(private readonly c: Crafted, private readonly r: () => number) {}

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)];
  }

  private bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => Math.floor(this.r() * 256));
  }

  private z(p: string): string {
    return join(this.c.root, ".zpm", p);
  }

  /**
   * Write as the fuzzer, never through a link (the fuzzer must not change the decoy itself): a
   * link on the way from `.zpm/` is replaced by a real directory, a link at `path` is removed.
   */
  private async put(path: string, data: Uint8Array | string): Promise<void> {
    const zpmDir = join(this.c.root, ".zpm");
    let dir = zpmDir;
    for (const part of relative(zpmDir, dirname(path)).split("/").filter((x) => x)) {
      dir = join(dir, part);
      const st = await Deno.lstat(dir).catch(() => null);
      if (st && !st.isDirectory) await Deno.remove(dir);
      if (!st || !st.isDirectory) await Deno.mkdir(dir);
    }
    if ((await Deno.lstat(path).catch(() => null))?.isSymlink) await Deno.remove(path);
    if (typeof data === "string") await Deno.writeTextFile(path, data);
    else await Deno.writeFile(path, data);
  }

  async mutate(): Promise<string> {
    const kind = this.pick(["manifest", "journal", "snapshot", "link"] as const);
    try {
      return await this[kind]();
    } catch (e) {
      return `${kind}: mutation skipped (${(e as Error).message})`;
    }
  }

  private async manifest(): Promise<string> {
    const path = this.z("mounts.json");
    const paths = [
      "../decoy",
      join(this.c.decoy, "sub"),
      ".zpm/kb/../../../decoy/sub",
      ".zpm",
      ".zpm/data",
      "",
      ".zpm/kb/notes",
      ".zpm/kb/linked",
      join(this.c.base, ".xdg/zpm/kb/../../../decoy"),
      join(this.c.base, ".xdg/zpm/kb/shared"),
      "\u0000",
    ];
    const names = ["default", "notes", "evil", "shared", "linked", "Bad-Name", ""];
    let doc: { version: unknown; mounts: Record<string, unknown>[] };
    try {
      doc = JSON.parse(await Deno.readTextFile(path));
      if (!Array.isArray(doc.mounts)) throw new Error("no mounts");
    } catch {
      doc = { version: 1, mounts: [] };
    }
    const what = this.pick(["add", "field", "garbage", "version"] as const);
    if (what === "add" || doc.mounts.length === 0) {
      doc.mounts.push({
        name: this.pick(names),
        path: this.pick(paths),
        scope: this.pick(["project", "global", "weird"]),
        mode: this.pick(["rw", "ro", "xx"]),
      });
    } else if (what === "field") {
      const e = this.pick(doc.mounts);
      const field = this.pick(["name", "path", "scope", "mode"]);
      e[field] = field === "path" ? this.pick(paths) : field === "name" ? this.pick(names) : this.pick([
        "project",
        "global",
        "rw",
        "ro",
        42,
      ]);
    } else if (what === "version") doc.version = this.pick([1, 2, "1", null]);
    if (what === "garbage") {
      await this.put(path, this.bytes(1 + Math.floor(this.r() * 64)));
      return "manifest: garbage";
    }
    await this.put(path, JSON.stringify(doc));
    return `manifest: ${what} ${JSON.stringify(doc.mounts.at(-1))}`;
  }

  private async journal(): Promise<string> {
    const wal = this.pick([this.z("data/journal.wal"), this.z("kb/notes/journal.wal")]);
    let data: Uint8Array;
    try {
      data = await Deno.readFile(wal);
    } catch {
      data = new Uint8Array(0);
    }
    const what = this.pick(["flip", "truncate", "append", "foreign", "torn"] as const);
    const at = Math.floor(this.r() * (data.length + 1));
    if (what === "flip" && data.length > 0) {
      data[Math.min(at, data.length - 1)] ^= 1 << Math.floor(this.r() * 8);
    } else if (what === "truncate") data = data.subarray(0, at);
    else if (what === "append") {
      data = new Uint8Array([...data, ...this.bytes(1 + Math.floor(this.r() * 40))]);
    } else if (what === "foreign") data = new TextEncoder().encode("# my notes\nnot a journal\n");
    else if (what === "torn") {
      data = new Uint8Array([...data, ...new TextEncoder().encode(`{"seq":99,"ts":1`)]);
    }
    await this.put(wal, data);
    return `journal: ${what} ${wal} at ${at}`;
  }

  private async snapshot(): Promise<string> {
    const headers = [
      "%% zpm snapshot 1700000000 ns=1700000000000000000 seq=0\n",
      "%% zpm snapshot 1700000000 ns=1 seq=999999999\n",
      "%% zpm snapshot x\n",
      "",
    ];
    const bodies = [
      `:- initialization(shell('touch ${join(this.c.decoy, "pwned")}')).\n`,
      `:- open('${join(this.c.decoy, "precious.txt")}', write, S), close(S).\n`,
      `evil :- shell('rm ${join(this.c.decoy, "precious.txt")}').\nf(1).\n`,
      "shell(_) :- true.\n",
      "f(1).\nf(2).\n",
      "f(1\n",
      "\u0000\u0001\u0002",
    ];
    const file = this.pick([this.z("kb/s1.pl"), this.z("kb/fuzz.pl"), this.z("kb/notes/s1.pl")]);
    await this.put(file, this.pick(headers) + this.pick(bodies));
    return `snapshot: ${file}`;
  }

  private async link(): Promise<string> {
    const where = this.pick([
      "data/journal.wal",
      "data/journal.lock",
      "mounts.json",
      "kb/s1.pl",
      "kb/notes",
      "kb/linked",
      "data",
      "kb/notes/journal.wal",
      "kb/notes/journal.lock",
    ]);
    const target = this.pick([
      join(this.c.decoy, "precious.txt"),
      join(this.c.decoy, "sub"),
      join(this.c.decoy, "sub", "key.pem"),
      join(this.c.decoy, "missing.txt"),
    ]);
    const path = this.z(where);
    await this.put(join(dirname(path), ".fuzz"), ""); // real directories on the way
    if (await exists(path)) await Deno.remove(path, { recursive: true });
    await Deno.symlink(target, path);
    return `link: ${where} -> ${target}`;
  }
}

async function restore(c: Crafted, template: string): Promise<void> {
  await Deno.remove(join(c.root, ".zpm"), { recursive: true }).catch(() => {});
  const cp = await new Deno.Command("cp", { args: ["-a", template, join(c.root, ".zpm")] }).output();
  assert.equal(cp.code, 0, new TextDecoder().decode(cp.stderr));
}

Deno.test(`untrusted fuzz: ${CASES} mutated .zpm/ cases (seed ${SEED}) never crash, hang or write outside`, async () => {
  const c = await craftedProject();
  for (
    const args of [
      ["create-memory", "--name", "notes"],
      ["create-memory", "--name", "shared", "--scope", "global"],
      ["remember-fact", "--fact", "f(0)"],
      ["remember-fact", "--fact", "n(0)", "--memory", "notes"],
      ["save-snapshot", "--name", "s1"],
      ["save-snapshot", "--name", "s1", "--memory", "notes"],
      ["remember-fact", "--fact", "f(1)"],
    ]
  ) {
    const r = await zpm(c, args);
    assert.equal(r.code, 0, `${args.join(" ")}: ${said(r)}`);
  }
  const template = join(c.base, "template");
  const cp = await new Deno.Command("cp", { args: ["-a", join(c.root, ".zpm"), template] }).output();
  assert.equal(cp.code, 0);
  const decoyBefore = await treeHash(c.decoy);
  const r = rng(SEED);
  const mutator = new Mutator(c, r);
  const mcp = await McpClient.start({ cwd: c.root, env: isolatedEnv(c.base) });
  const log: string[] = [];
  try {
    for (let i = 0; i < CASES; i++) {
      if (i % 20 === 0) await restore(c, template);
      const steps = 1 + Math.floor(r() * 3);
      for (let s = 0; s < steps; s++) log.push(`#${i} ${await mutator.mutate()}`);
      const memory = ["default", "notes", "shared", "evil", "linked"][Math.floor(r() * 5)];
      const calls: [string, Record<string, unknown>][] = [
        ["list_memories", {}],
        ["remember_fact", { fact: `fz(${i})`, memory }],
        ["query_logic", { goal: "f(X)", memory }],
      ];
      const extra = Math.floor(r() * 4);
      if (extra === 0) calls.push(["save_snapshot", { name: `z${i}`, memory }]);
      if (extra === 1) calls.push(["restore_snapshot", { name: "s1", memory }]);
      if (extra === 2) calls.push(["get_persistence_status", {}]);
      for (const [tool, args] of calls) {
        const what = `case #${i} ${tool} ${JSON.stringify(args)}`;
        const res = await withBound(what, mcp.call(tool, args)).catch((e) => {
          throw new Error(
            `${what}: ${(e as Error).message}\n${log.slice(-6).join("\n")}\n${mcp.stderr.slice(-2000)}`,
          );
        });
        assert.ok(Array.isArray(res.content), what);
      }
      if (i % 100 === 99) {
        assert.deepEqual(
          await treeHash(c.decoy),
          decoyBefore,
          `decoy changed by case #${i}:\n${log.slice(-12).join("\n")}`,
        );
        // One-shot commands on the same mutated project: they exit normally (0 or 1), never crash.
        for (const args of [["doctor"], ["list-memories"], ["remember-fact", "--fact", `cli(${i})`]]) {
          const out = await withBound(`zpm ${args.join(" ")}`, zpm(c, args));
          assert.ok(
            out.code === 0 || out.code === 1,
            `zpm ${args.join(" ")} crashed (${out.code}): ${said(out)}`,
          );
          assert.doesNotMatch(out.stderr, /Uncaught|panicked|RangeError: Maximum call stack/, args.join(" "));
        }
      }
    }
    const alive = await withBound("echo", mcp.text("echo", { message: "still here" }));
    assert.match(alive, /still here/);
  } finally {
    await mcp.close().catch(() => mcp.kill());
  }
  assert.deepEqual(await treeHash(c.decoy), decoyBefore, "the decoy tree changed");
  await Deno.remove(c.base, { recursive: true }).catch(() => {});
});
