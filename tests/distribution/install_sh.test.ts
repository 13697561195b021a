/**
 * scripts/install.sh run by the system `sh` (dash on Debian) against a fake release host on 127.0.0.1:
 * platform mapping, SHA-256 verification, atomic install, the PATH warning, and its failure paths.
 */
import { deepStrictEqual, match, ok, strictEqual as assertEquals } from "node:assert/strict";
import { type FakeRelease, sha256, startReleaseServer, tempDir } from "./release_server.ts";

const SCRIPT = new URL("../../scripts/install.sh", import.meta.url).pathname;
const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";
const PLATFORMS = ["linux-x86_64", "linux-arm64", "darwin-x86_64", "darwin-arm64"];
const OLD_ZPM = "#!/bin/sh\necho 'zpm 0.0.1 (the installed one)'\n";

/** A fake zpm for a platform: a shell script, so install.sh can run `zpm version` on this machine. */
function fakeZpm(platform: string): string {
  return `#!/bin/sh\necho 'zpm 9.9.9 ${platform}'\n# ${"padding ".repeat(1000)}\n`;
}

function release(extra: Partial<FakeRelease> = {}): FakeRelease {
  return {
    tag: "v9.9.9",
    assets: Object.fromEntries(PLATFORMS.map((p) => [`zpm-${p}`, fakeZpm(p)])),
    ...extra,
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function runInstall(env: Record<string, string>): Promise<Run> {
  const out = await new Deno.Command("/bin/sh", { args: [SCRIPT], env, clearEnv: true, stdin: "null" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A home with an install directory (holding an older zpm when `existing`) and a private TMPDIR. */
async function sandbox(existing = false): Promise<{ home: string; bin: string; tmp: string }> {
  const home = await tempDir("install-");
  const bin = `${home}/.local/bin`;
  await Deno.mkdir(bin, { recursive: true });
  await Deno.mkdir(`${home}/tmp`);
  if (existing) await Deno.writeTextFile(`${bin}/zpm`, OLD_ZPM, { mode: 0o755 });
  return { home, bin, tmp: `${home}/tmp` };
}

async function listDir(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

Deno.test("install.sh: uname pairs map to the right asset, which is verified and installed", async () => {
  const srv = startReleaseServer([release()]);
  try {
    const pairs: [string, string, string][] = [
      ["Linux", "x86_64", "linux-x86_64"],
      ["Linux", "amd64", "linux-x86_64"],
      ["Linux", "aarch64", "linux-arm64"],
      ["Linux", "arm64", "linux-arm64"],
      ["Darwin", "x86_64", "darwin-x86_64"],
      ["Darwin", "arm64", "darwin-arm64"],
    ];
    for (const [s, m, platform] of pairs) {
      const { home, bin, tmp } = await sandbox();
      const r = await runInstall({
        PATH: SYSTEM_PATH,
        HOME: home,
        TMPDIR: tmp,
        ZPM_RELEASE_URL: srv.latest,
        ZPM_INSTALL_UNAME_S: s,
        ZPM_INSTALL_UNAME_M: m,
      });
      assertEquals(r.code, 0, `${s} ${m}: ${r.stderr}`);
      assertEquals(await Deno.readTextFile(`${bin}/zpm`), fakeZpm(platform), `${s} ${m}`);
      assertEquals((await Deno.stat(`${bin}/zpm`)).mode! & 0o777, 0o755);
      match(r.stderr, new RegExp(`installed zpm 9\\.9\\.9 ${platform} \\(${platform}\\) to ${bin}/zpm\n`));
      match(r.stderr, /WARNING: .*\/\.local\/bin is not on your PATH/);
      deepStrictEqual(await listDir(bin), ["zpm"]);
      deepStrictEqual(await listDir(tmp), [], "temporary files are removed");
    }
  } finally {
    await srv.close();
  }
});

Deno.test("install.sh: INSTALL_DIR on PATH, replacing an older zpm, with wget and shasum instead of curl and sha256sum", async () => {
  const srv = startReleaseServer([release()]);
  try {
    // A PATH with only the tools install.sh needs, wget and shasum but neither curl nor sha256sum.
    const { home, bin, tmp } = await sandbox(true);
    const tools = `${home}/tools`;
    await Deno.mkdir(tools);
    for (const t of ["uname", "wget", "shasum", "cut", "mktemp", "rm", "awk", "mkdir", "cp", "chmod", "mv"]) {
      const where = await new Deno.Command("/bin/sh", { args: ["-c", `command -v ${t}`] }).output();
      const path = new TextDecoder().decode(where.stdout).trim();
      ok(where.code === 0 && path, `this test needs ${t}`);
      await Deno.symlink(path, `${tools}/${t}`);
    }
    const r = await runInstall({
      PATH: `${tools}:${bin}`,
      HOME: home,
      TMPDIR: tmp,
      INSTALL_DIR: bin,
      ZPM_RELEASE_URL: `${srv.latest}/`,
      ZPM_INSTALL_UNAME_S: "Linux",
      ZPM_INSTALL_UNAME_M: "x86_64",
    });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(await Deno.readTextFile(`${bin}/zpm`), fakeZpm("linux-x86_64"));
    ok(!r.stderr.includes("WARNING"), r.stderr);
    ok(srv.requests.includes("/files/v9.9.9/zpm-linux-x86_64"), srv.requests.join(" "));
  } finally {
    await srv.close();
  }
});

Deno.test("install.sh: failures exit 1 with a clear message and leave an installed zpm untouched", async () => {
  const down = startReleaseServer([]);
  const downUrl = down.latest;
  await down.close();
  const cases: {
    name: string;
    release?: FakeRelease;
    s?: string;
    m?: string;
    url?: string;
    error: RegExp;
  }[] = [
    {
      name: "unsupported OS",
      s: "FreeBSD",
      m: "amd64",
      error:
        /ERROR: unsupported platform: FreeBSD amd64 \(zpm releases exist for Linux x86_64\/arm64 and macOS/,
    },
    {
      name: "unsupported arch",
      s: "Linux",
      m: "riscv64",
      error: /ERROR: unsupported platform: Linux riscv64/,
    },
    {
      name: "checksum mismatch",
      release: release({ sums: `${sha256("tampered")}  zpm-linux-x86_64\n` }),
      error: new RegExp(
        `ERROR: checksum mismatch for zpm-linux-x86_64: SHA256SUMS says ${
          sha256("tampered")
        }, the download has ${sha256(fakeZpm("linux-x86_64"))}; nothing was installed`,
      ),
    },
    {
      name: "missing SHA256SUMS",
      release: release({ sums: null }),
      error: /ERROR: cannot download http:\/\/127\.0\.0\.1:\d+\/latest\/download\/SHA256SUMS/,
    },
    {
      name: "asset not in SHA256SUMS",
      release: release({ sums: `${sha256("x")}  zpm-linux-x86_64.sig\n` }),
      error:
        /ERROR: SHA256SUMS at http:\/\/127\.0\.0\.1:\d+\/latest\/download has no checksum for zpm-linux-x86_64/,
    },
    {
      name: "malformed checksum",
      release: release({ sums: `XYZ  zpm-linux-x86_64\n` }),
      error: /ERROR: SHA256SUMS has a malformed checksum for zpm-linux-x86_64: xyz/,
    },
    {
      name: "asset download fails",
      release: release({ failing: { "zpm-linux-x86_64": 404 } }),
      error: /ERROR: cannot download http:\/\/127\.0\.0\.1:\d+\/latest\/download\/zpm-linux-x86_64/,
    },
    {
      name: "server down",
      url: downUrl,
      error: /ERROR: cannot download http:\/\/127\.0\.0\.1:\d+\/latest\/download\/SHA256SUMS/,
    },
  ];
  for (const c of cases) {
    const srv = startReleaseServer([c.release ?? release()]);
    const { home, bin, tmp } = await sandbox(true);
    try {
      const r = await runInstall({
        PATH: SYSTEM_PATH,
        HOME: home,
        TMPDIR: tmp,
        ZPM_RELEASE_URL: c.url ?? srv.latest,
        ZPM_INSTALL_UNAME_S: c.s ?? "Linux",
        ZPM_INSTALL_UNAME_M: c.m ?? "x86_64",
      });
      assertEquals(r.code, 1, `${c.name}: ${r.stderr}`);
      match(r.stderr, c.error, c.name);
      assertEquals(await Deno.readTextFile(`${bin}/zpm`), OLD_ZPM, c.name);
      deepStrictEqual(await listDir(bin), ["zpm"], c.name);
      deepStrictEqual(await listDir(tmp), [], `${c.name}: temporary files are removed`);
      if (c.s) deepStrictEqual(srv.requests, [], `${c.name}: nothing is downloaded`);
    } finally {
      await srv.close();
    }
  }
});
