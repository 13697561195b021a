/**
 * `zpm upgrade` end to end: the real CLI (from source, ZPM_UPGRADE_TARGET naming a fake installed binary)
 * against a fake release host on 127.0.0.1. After every failure the fake binary must be byte-identical,
 * keep its mode, and no temporary file may be left beside it.
 */
import { deepStrictEqual, match, ok, strictEqual as assertEquals } from "node:assert/strict";
import { findChecksum } from "../../src/upgrade/checksums.ts";
import { assetName, detectPlatform } from "../../src/upgrade/platform.ts";
import { replaceFile } from "../../src/upgrade/replace.ts";
import { compareVersions, parseVersion, type SemVer } from "../../src/upgrade/versions.ts";
import { VERSION } from "../../src/version.ts";
import { PERMS } from "../helpers/zpm.ts";
import { type FakeRelease, sha256, startReleaseServer, tempDir } from "./release_server.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const ASSET = "zpm-linux-x86_64";
const MAJOR = Number(VERSION.split(".")[0]);
const OLDER = "v0.0.0";
const NEWER = `v${MAJOR + 1}.0.0`;
const NEWEST = `v${MAJOR + 2}.0.0`;
const DEV_2 = `v${MAJOR + 3}.0.0-dev.2`;
const DEV_10 = `v${MAJOR + 3}.0.0-dev.10`;
const INSTALLED = new TextEncoder().encode("#!/bin/sh\necho 'the installed zpm'\n");

/** A fake binary of about 600 KB, so the download arrives in many chunks. */
function binary(tag: string): string {
  return `fake zpm ${tag} for linux-x86_64\n`.repeat(20000);
}

function release(tag: string, extra: Partial<FakeRelease> = {}): FakeRelease {
  return {
    tag,
    prerelease: tag.includes("-"),
    assets: { [ASSET]: binary(tag), "zpm-darwin-arm64": `darwin ${tag}` },
    ...extra,
  };
}

/** The API lists NEWER before NEWEST and DEV_2 after DEV_10: selection must go by version, not order. */
const STANDARD: FakeRelease[] = [
  release(DEV_10, { publishedAt: "2026-05-01T00:00:00Z" }),
  release(DEV_2, { publishedAt: "2026-04-01T00:00:00Z" }),
  release(NEWER, { publishedAt: "2026-03-01T00:00:00Z" }),
  release(NEWEST, { publishedAt: "2026-02-01T00:00:00Z" }),
  release(OLDER, { publishedAt: "2026-01-01T00:00:00Z" }),
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A directory holding a fake installed binary `zpm` (mode 0751). */
async function fakeInstall(): Promise<{ dir: string; target: string }> {
  const dir = await tempDir("upgrade-");
  const target = `${dir}/zpm`;
  await Deno.writeFile(target, INSTALLED, { mode: 0o751 });
  await Deno.chmod(target, 0o751);
  return { dir, target: await Deno.realPath(target) };
}

async function listDir(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

/** The fake binary is exactly what it was and nothing was left beside it. */
async function assertUntouched(dir: string, target: string, r: Run) {
  deepStrictEqual(await Deno.readFile(target), INSTALLED, `target changed; stderr: ${r.stderr}`);
  assertEquals((await Deno.stat(target)).mode! & 0o777, 0o751);
  deepStrictEqual(await listDir(dir), ["zpm"]);
}

/** Run `zpm upgrade …` from source; `env` values of null remove the variable. */
async function upgrade(args: string[], env: Record<string, string | null>): Promise<Run> {
  const full: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) if (!k.startsWith("ZPM_")) full[k] = v;
  full.ZPM_OVERRIDE_PLATFORM = "linux-x86_64";
  for (const [k, v] of Object.entries(env)) {
    if (v === null) delete full[k];
    else full[k] = v;
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      `--config=${CONFIG}`,
      ...PERMS,
      "--allow-net=127.0.0.1",
      MAIN,
      "upgrade",
      ...args,
    ],
    env: full,
    clearEnv: true,
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("upgrade: stable installs the highest stable version over the target, keeping its mode", async () => {
  const srv = startReleaseServer(STANDARD);
  const { dir, target } = await fakeInstall();
  try {
    const r = await upgrade([], { ZPM_GITHUB_API_URL: srv.api, ZPM_UPGRADE_TARGET: target });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, `Upgraded zpm from ${VERSION} to ${NEWEST} (stable channel) at ${target}\n`);
    match(r.stderr, new RegExp(`Downloading ${ASSET} \\(0\\.\\d MiB\\)`));
    assertEquals(await Deno.readTextFile(target), binary(NEWEST));
    assertEquals((await Deno.stat(target)).mode! & 0o777, 0o751);
    deepStrictEqual(await listDir(dir), ["zpm"]);
    ok(srv.requests.includes(`/files/${NEWEST}/SHA256SUMS`), srv.requests.join(" "));
  } finally {
    await srv.close();
  }
});

Deno.test("upgrade: --channel dev --dry-run shows the newest prerelease and changes nothing", async () => {
  const srv = startReleaseServer(STANDARD);
  const { dir, target } = await fakeInstall();
  try {
    const r = await upgrade(["--channel", "dev", "--dry-run"], {
      ZPM_GITHUB_API_URL: srv.api,
      ZPM_UPGRADE_TARGET: target,
    });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(
      r.stdout,
      `version: ${DEV_10}\nasset_url: ${srv.origin}/dl/${DEV_10}/${ASSET}\n` +
        `checksum: ${sha256(binary(DEV_10))}\ninstall_path: ${target}\n`,
    );
    await assertUntouched(dir, target, r);
    ok(!srv.requests.some((p) => p.endsWith(`/${ASSET}`)), "dry run must not download the binary");
  } finally {
    await srv.close();
  }
});

Deno.test("upgrade: a leftover <target>.new from a crash is removed and the upgrade succeeds", async () => {
  const srv = startReleaseServer(STANDARD);
  const { dir, target } = await fakeInstall();
  try {
    await Deno.writeTextFile(`${target}.new`, "half-written binary from a crash");
    const r = await upgrade([], { ZPM_GITHUB_API_URL: srv.api, ZPM_UPGRADE_TARGET: target });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(await Deno.readTextFile(target), binary(NEWEST));
    deepStrictEqual(await listDir(dir), ["zpm"]);
  } finally {
    await srv.close();
  }
});

Deno.test("upgrade: equal version is up to date; --force installs an older release", async () => {
  const srv = startReleaseServer([release(`v${VERSION}`), release(OLDER)]);
  const { dir, target } = await fakeInstall();
  try {
    const same = await upgrade([], { ZPM_GITHUB_API_URL: srv.api, ZPM_UPGRADE_TARGET: target });
    assertEquals(same.code, 0, same.stderr);
    assertEquals(same.stdout, `zpm is already up to date (v${VERSION})\n`);
    await assertUntouched(dir, target, same);
  } finally {
    await srv.close();
  }
  const old = startReleaseServer([release(OLDER)]);
  try {
    const r = await upgrade(["--force"], { ZPM_GITHUB_API_URL: old.api, ZPM_UPGRADE_TARGET: target });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, `Upgraded zpm from ${VERSION} to ${OLDER} (stable channel) at ${target}\n`);
    assertEquals(await Deno.readTextFile(target), binary(OLDER));
  } finally {
    await old.close();
  }
});

Deno.test("upgrade: every failure exits 1 with a clear message and leaves the binary byte-identical", async () => {
  ok(VERSION !== "0.0.0", "the older-release case needs a version above 0.0.0");
  const down = startReleaseServer([]);
  const downApi = down.api;
  await down.close();
  const wrongSums = `${sha256("something else")}  ${ASSET}\n${sha256("x")}  zpm-darwin-arm64\n`;
  const cases: {
    name: string;
    releases: FakeRelease[];
    args?: string[];
    env?: Record<string, string>;
    api?: string;
    error: RegExp;
    offline?: boolean;
  }[] = [
    {
      name: "checksum mismatch",
      releases: [release(NEWER, { sums: wrongSums })],
      error: new RegExp(
        `^ERROR: checksum mismatch for ${ASSET}: SHA256SUMS says ${sha256("something else")}`,
      ),
    },
    {
      name: "missing SHA256SUMS",
      releases: [release(NEWER, { sums: null })],
      error: new RegExp(`^ERROR: release ${NEWER} has no SHA256SUMS file, so ${ASSET} cannot be verified`),
    },
    {
      name: "asset not listed in SHA256SUMS",
      releases: [release(NEWER, { sums: `${sha256("x")}  ./dist/zpm-linux-x86_64.sig\n` })],
      error: new RegExp(`^ERROR: SHA256SUMS of release ${NEWER} has no checksum for ${ASSET}`),
    },
    {
      name: "missing asset",
      releases: [{ tag: NEWER, assets: { "zpm-darwin-arm64": "d" } }],
      error: new RegExp(
        `^ERROR: release ${NEWER} has no ${ASSET} for this platform \\(linux-x86_64\\); its binaries: zpm-darwin-arm64`,
      ),
    },
    {
      name: "asset download fails",
      releases: [release(NEWER, { failing: { [ASSET]: 500 } })],
      error: new RegExp(
        `^ERROR: download of ${ASSET} failed: HTTP 500 .*from http://127\\.0\\.0\\.1:\\d+/dl/`,
      ),
    },
    {
      name: "unknown platform",
      releases: STANDARD,
      env: { ZPM_OVERRIDE_PLATFORM: "plan9-mips" },
      error:
        /^ERROR: unsupported platform 'plan9-mips' in ZPM_OVERRIDE_PLATFORM \(supported: linux-x86_64, linux-arm64, darwin-x86_64, darwin-arm64/,
      offline: true,
    },
    {
      name: "server down",
      releases: [],
      api: downApi,
      error:
        /^ERROR: cannot reach http:\/\/127\.0\.0\.1:\d+\/repos\/o\/zpm\/releases\?per_page=100: connection refused/,
    },
    {
      name: "no release list there",
      releases: STANDARD,
      api: "WRONG",
      error:
        /^ERROR: no release list at http:\/\/127\.0\.0\.1:\d+\/nowhere\/releases\?per_page=100 \(HTTP 404\); check ZPM_GITHUB_API_URL/,
    },
    {
      name: "older release",
      releases: [release(OLDER)],
      error: new RegExp(
        `^ERROR: the newest stable release, ${OLDER}, is older than this zpm \\(${VERSION}\\); nothing was changed \\(use --force`,
      ),
    },
    {
      name: "only prereleases on stable",
      releases: [release(DEV_10)],
      error: /^ERROR: no stable release is published yet; run `zpm upgrade --channel dev`/,
    },
    {
      name: "unknown channel",
      releases: STANDARD,
      args: ["--channel", "nightly"],
      error: /argument 'nightly' is invalid\. Allowed choices are stable, dev\./,
      offline: true,
    },
  ];
  await Promise.all(cases.map(async (c) => {
    const srv = startReleaseServer(c.releases);
    const { dir, target } = await fakeInstall();
    try {
      const api = c.api === "WRONG" ? `${srv.origin}/nowhere` : c.api ?? srv.api;
      const r = await upgrade(c.args ?? [], {
        ZPM_GITHUB_API_URL: api,
        ZPM_UPGRADE_TARGET: target,
        ...c.env,
      });
      assertEquals(r.code, 1, `${c.name}: exit code; stdout: ${r.stdout}`);
      match(r.stderr, new RegExp(c.error.source, "m"), `${c.name}: stderr was ${r.stderr}`);
      assertEquals(r.stdout, "", `${c.name}: stdout`);
      await assertUntouched(dir, target, r);
      if (c.offline) deepStrictEqual(srv.requests, [], `${c.name}: must fail before any request`);
    } finally {
      await srv.close();
    }
  }));
});

Deno.test("upgrade: from source without ZPM_UPGRADE_TARGET explains and changes nothing", async () => {
  const srv = startReleaseServer(STANDARD);
  try {
    const r = await upgrade([], { ZPM_GITHUB_API_URL: srv.api, ZPM_UPGRADE_TARGET: null });
    assertEquals(r.code, 1);
    match(
      r.stderr,
      /^ERROR: this zpm is not an installed binary: it runs under `deno run` \(file:\/\/.*main\.ts\)/,
    );
    match(r.stderr, /nothing was changed/);
    deepStrictEqual(srv.requests, []);
  } finally {
    await srv.close();
  }
});

Deno.test("upgrade: semantic-version precedence", () => {
  const order = [
    "0.0.0",
    "0.9.9",
    "1.0.0-0",
    "1.0.0-2",
    "1.0.0-10",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "v1.0.0",
    "1.0.1",
    "1.2.0",
    "1.10.0",
    "2.0.0",
  ];
  const parsed = order.map((t) => parseVersion(t) as SemVer);
  ok(parsed.every((p) => p !== null));
  for (let i = 0; i < parsed.length; i++) {
    for (let j = 0; j < parsed.length; j++) {
      assertEquals(
        Math.sign(compareVersions(parsed[i], parsed[j])),
        Math.sign(i - j),
        `${order[i]} vs ${order[j]}`,
      );
    }
  }
  assertEquals(compareVersions(parseVersion("1.0.0+build.5")!, parseVersion("v1.0.0")!), 0);
  for (const bad of ["1.0", "01.0.0", "1.0.0-", "latest", "v1.0.0.0", "1.0.0-a..b"]) {
    assertEquals(parseVersion(bad), null, bad);
  }
});

Deno.test("upgrade: SHA256SUMS parsing, platform names", () => {
  const h = (c: string) => c.repeat(64);
  const sums =
    `${h("A")}  zpm-linux-x86_64\n${h("b")} *zpm-darwin-arm64\n${h("c")}  ./out/zpm-linux-arm64\n` +
    `${h("d")}  zpm-linux-x86_64.sig\n  \ngarbage\n`;
  assertEquals(findChecksum(sums, "zpm-linux-x86_64"), h("a"));
  assertEquals(findChecksum(sums, "zpm-darwin-arm64"), h("b"));
  assertEquals(findChecksum(sums, "zpm-linux-arm64"), h("c"));
  assertEquals(findChecksum(sums, "zpm-linux"), null);
  assertEquals(findChecksum(sums, "zpm-darwin-x86_64"), null);

  assertEquals(detectPlatform(undefined, "linux", "x86_64"), "linux-x86_64");
  assertEquals(detectPlatform(undefined, "linux", "aarch64"), "linux-arm64");
  assertEquals(detectPlatform(undefined, "darwin", "x86_64"), "darwin-x86_64");
  assertEquals(detectPlatform(undefined, "darwin", "aarch64"), "darwin-arm64");
  assertEquals(detectPlatform(undefined, "windows", "x86_64"), "windows-x86_64");
  assertEquals(detectPlatform("zpm-darwin-arm64", "linux", "x86_64"), "darwin-arm64");
  assertEquals(assetName("windows-x86_64"), "zpm-windows-x86_64.exe");
  assertEquals(assetName("linux-arm64"), "zpm-linux-arm64");
  for (const [os, arch] of [["freebsd", "x86_64"], ["windows", "aarch64"], ["linux", "riscv64"]]) {
    let message = "";
    try {
      detectPlatform(undefined, os, arch);
    } catch (e) {
      message = (e as Error).message;
    }
    match(message, new RegExp(`^unsupported platform ${os}/${arch}`));
  }
});

Deno.test("upgrade: the Windows-style replace (move aside, move in) leaves only the new binary", async () => {
  const dir = await tempDir("upgrade-");
  await Deno.writeTextFile(`${dir}/zpm.exe`, "old");
  await Deno.writeTextFile(`${dir}/zpm.exe.old`, "from an earlier upgrade");
  await Deno.writeTextFile(`${dir}/zpm.exe.new`, "new");
  await replaceFile(`${dir}/zpm.exe.new`, `${dir}/zpm.exe`, true);
  assertEquals(await Deno.readTextFile(`${dir}/zpm.exe`), "new");
  deepStrictEqual(await listDir(dir), ["zpm.exe"]);
});
