/**
 * `zpm upgrade [--channel stable|dev] [--dry-run] [--force]`: replace the installed zpm binary with a
 * release from GitHub (spec §10.6), fixing upstream's weaknesses (§14.7): releases are ordered by semantic
 * version and an older one is never installed without `--force`; the asset is streamed to disk (progress on
 * stderr) and hashed on the way; it must match the release's `SHA256SUMS`; the binary is replaced
 * atomically (`<self>.new`, same permissions, rename) and a `<self>.new` left by a crash is removed first.
 * Every failure prints `ERROR: <message>` on stderr, exits 1 and leaves the installed binary untouched.
 *
 * Environment: `ZPM_GITHUB_API_URL` (release API base), `ZPM_OVERRIDE_PLATFORM` (asset platform), and
 * `ZPM_UPGRADE_TARGET` (the file to replace; for tests and packaging, and the only way to use `upgrade`
 * when zpm runs from source).
 */
import { type Command, CommanderError, Option } from "commander";
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { VERSION } from "../version.ts";

/**
 * The GitHub repository releases come from. Placeholder owner: change it here, in scripts/install.sh
 * (`ZPM_REPOSITORY`) and in docs/distribution.md together; the release workflow refuses to publish when it
 * differs from the repository being released.
 */
export const RELEASE_REPOSITORY = "awf-project/zpm";
const DEFAULT_API = `https://api.github.com/repos/${RELEASE_REPOSITORY}`;
const USER_AGENT = "zpm-upgrade/1.0";
/** Platforms with a release asset, in the `<os>-<arch>` form of the asset names. */
export const PLATFORMS = ["linux-x86_64", "linux-arm64", "darwin-x86_64", "darwin-arm64", "windows-x86_64"];
const SUMS_ASSET = "SHA256SUMS";
const MAX_SUMS_BYTES = 1 << 20;
/** A request that sends nothing for this long is abandoned. */
const STALL_MS = 60_000;

/** A failure with a message meant for the user. */
export class UpgradeError extends Error {
  override name = "UpgradeError";
}

// ---------------------------------------------------------------------------------------------------------
// Versions

/** A parsed semantic version (https://semver.org); build metadata is ignored. */
export interface SemVer {
  core: [number, number, number];
  pre: (string | number)[];
}

const SEMVER_RE =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** Parse `1.2.3`, `v1.2.3-rc.1+build`; null when the tag is not a semantic version. */
export function parseVersion(tag: string): SemVer | null {
  const m = SEMVER_RE.exec(tag.trim());
  if (!m) return null;
  const core = [Number(m[1]), Number(m[2]), Number(m[3])] as [number, number, number];
  if (!core.every(Number.isSafeInteger)) return null;
  const pre = m[4] === undefined ? [] : m[4].split(".").map((id) => /^\d+$/.test(id) ? Number(id) : id);
  return { core, pre };
}

/** Semantic-version precedence: negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: SemVer, b: SemVer): number {
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return a.core[i] - b.core[i];
  // A version without pre-release identifiers ranks above any pre-release of it.
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length;
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i], y = b.pre[i];
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return x - y;
    if (typeof x === "number") return -1; // numeric identifiers rank below alphanumeric ones
    if (typeof y === "number") return 1;
    return x < y ? -1 : 1;
  }
  return a.pre.length - b.pre.length;
}

// ---------------------------------------------------------------------------------------------------------
// Releases

/** One downloadable file of a release. */
export interface Asset {
  name: string;
  url: string;
  size: number;
}

/** A release as zpm uses it. */
export interface Release {
  tag: string;
  version: SemVer;
  prerelease: boolean;
  publishedAt: string;
  assets: Asset[];
}

/** Validate a GitHub `/releases` answer; drafts and tags that are not semantic versions are left out. */
export function parseReleases(body: unknown, source: string): Release[] {
  const bad = (why: string) => new UpgradeError(`unexpected answer from ${source}: ${why}`);
  if (!Array.isArray(body)) throw bad("expected a JSON array of releases");
  const out: Release[] = [];
  body.forEach((r, i) => {
    if (typeof r !== "object" || r === null) throw bad(`release #${i + 1} is not an object`);
    const tag = r.tag_name;
    if (typeof tag !== "string") throw bad(`release #${i + 1} has no tag_name`);
    if (typeof r.prerelease !== "boolean") throw bad(`release ${tag} has no prerelease flag`);
    if (!Array.isArray(r.assets)) throw bad(`release ${tag} has no assets list`);
    const assets = r.assets.map((a: Record<string, unknown>) => {
      if (typeof a?.name !== "string" || typeof a.browser_download_url !== "string") {
        throw bad(`an asset of release ${tag} has no name or browser_download_url`);
      }
      return { name: a.name, url: a.browser_download_url, size: typeof a.size === "number" ? a.size : 0 };
    });
    const version = parseVersion(tag);
    if (r.draft === true || !version) return;
    const publishedAt = typeof r.published_at === "string" ? r.published_at : "";
    out.push({ tag, version, prerelease: r.prerelease, publishedAt, assets });
  });
  return out;
}

/** The newest release of a channel: stable ignores prereleases, dev includes them. */
export function selectRelease(releases: Release[], channel: "stable" | "dev"): Release {
  const candidates = channel === "stable" ? releases.filter((r) => !r.prerelease) : releases;
  if (candidates.length === 0) {
    if (channel === "stable" && releases.length > 0) {
      throw new UpgradeError(
        "no stable release is published yet; run `zpm upgrade --channel dev` to get the newest prerelease",
      );
    }
    throw new UpgradeError("no releases are published yet");
  }
  return candidates.reduce((best, r) => {
    const c = compareVersions(r.version, best.version);
    return c > 0 || c === 0 && r.publishedAt > best.publishedAt ? r : best;
  });
}

/** The expected SHA-256 (lowercase hex) of `asset` from `SHA256SUMS` text (`sha256sum` / `shasum` format). */
export function findChecksum(sums: string, asset: string): string | null {
  let found: string | null = null;
  for (const raw of sums.split("\n")) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(.+)$/.exec(raw.trim());
    if (!m) continue;
    const name = m[2].trim().replace(/^\.\//, "").replace(/^.*\//, "");
    if (name !== asset) continue;
    const hex = m[1].toLowerCase();
    if (found !== null && found !== hex) {
      throw new UpgradeError(`${SUMS_ASSET} lists two different checksums for ${asset}`);
    }
    found = hex;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------
// Platform and target

/** The release asset name for a platform. */
export function assetName(platform: string): string {
  return `zpm-${platform}${platform.startsWith("windows-") ? ".exe" : ""}`;
}

/** This machine's platform (or `override`, as `linux-x86_64` or `zpm-linux-x86_64`). */
export function detectPlatform(
  override: string | undefined,
  os: string = Deno.build.os,
  arch: string = Deno.build.arch,
): string {
  const supported = `supported: ${PLATFORMS.join(", ")}`;
  if (override !== undefined && override !== "") {
    const p = override.trim().replace(/^zpm-/, "").replace(/\.exe$/, "");
    if (!PLATFORMS.includes(p)) {
      throw new UpgradeError(`unsupported platform '${override}' in ZPM_OVERRIDE_PLATFORM (${supported})`);
    }
    return p;
  }
  const a = arch === "x86_64" ? "x86_64" : arch === "aarch64" ? "arm64" : arch;
  const p = `${os}-${a}`;
  if (!PLATFORMS.includes(p)) {
    throw new UpgradeError(
      `unsupported platform ${os}/${arch}: no zpm release is built for it (${supported})`,
    );
  }
  return p;
}

/** The binary to replace: `ZPM_UPGRADE_TARGET`, else this executable when it is a compiled zpm. */
export async function resolveTarget(override: string | undefined): Promise<string> {
  let path: string;
  if (override) path = override;
  else if (Deno.build.standalone) path = Deno.execPath();
  else {
    throw new UpgradeError(
      `this zpm is not an installed binary: it runs under \`deno run\` (${Deno.mainModule}), so there is ` +
        "nothing to upgrade and nothing was changed. Update the source checkout instead (git pull), or " +
        "install a release binary (see docs/distribution.md). ZPM_UPGRADE_TARGET=<file> names a binary " +
        "to replace (for tests and packaging).",
    );
  }
  let real: string;
  try {
    real = await Deno.realPath(path);
  } catch (e) {
    throw new UpgradeError(`cannot use install path ${path}: ${reason(e)}`);
  }
  const info = await Deno.stat(real);
  if (!info.isFile) throw new UpgradeError(`install path ${real} is not a regular file`);
  return real;
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

function reason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (!(e instanceof Error)) return String(e);
  // fetch throws "fetch failed" whose cause says "error sending request for url (…): client error
  // (Connect): tcp connect error: Connection refused (os error 111)": keep the last, useful part.
  let message = e.message;
  for (let c: unknown = e.cause; c instanceof Error; c = c.cause) message = c.message;
  message = message.replace(/ \(os error \d+\)$/, "");
  if (/dns error/i.test(message)) return `host name not found (${message.replace(/^.*: /, "")})`;
  const m = /: ([^:]*(?:refused|reset|timed out|unreachable|closed)[^:]*)$/i.exec(message);
  return m ? m[1].toLowerCase() : message;
}

/** GET `url` with a stall timeout; the caller reads the body and must call `done()` afterwards. */
async function get(
  url: string,
  accept: string,
): Promise<{ res: Response; alive: () => void; done: () => void }> {
  const ac = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const alive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ac.abort(new Error(`no data for ${STALL_MS / 1000} s`)), STALL_MS);
  };
  const done = () => clearTimeout(timer);
  alive();
  try {
    const res = await fetch(url, {
      headers: { "User-Agent": USER_AGENT, Accept: accept },
      signal: ac.signal,
    });
    alive();
    return { res, alive, done };
  } catch (e) {
    done();
    if (e instanceof Deno.errors.NotCapable) {
      throw new UpgradeError(
        `no network permission to reach ${new URL(url).host} (this zpm lacks --allow-net)`,
      );
    }
    throw new UpgradeError(`cannot reach ${url}: ${reason(e)}; check the network connection`);
  }
}

function httpError(what: string, url: string, res: Response): UpgradeError {
  if ((res.status === 403 || res.status === 429) && res.headers.get("x-ratelimit-remaining") === "0") {
    const reset = Number(res.headers.get("x-ratelimit-reset"));
    const when = reset ? ` (resets at ${new Date(reset * 1000).toISOString()})` : "";
    return new UpgradeError(`GitHub API rate limit exceeded${when}; try again later`);
  }
  const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
  return new UpgradeError(`${what} failed: ${status} from ${url}`);
}

/** Read a whole (small) body, refusing more than `limit` bytes. */
async function readLimited(url: string, limit: number, what: string): Promise<string> {
  const { res, alive, done } = await get(url, "application/octet-stream");
  try {
    if (!res.ok) throw httpError(`download of ${what}`, url, res);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body ?? []) {
      alive();
      size += chunk.length;
      if (size > limit) throw new UpgradeError(`${what} from ${url} is larger than ${limit} bytes`);
      chunks.push(chunk);
    }
    return new TextDecoder().decode(concat(chunks, size));
  } catch (e) {
    if (e instanceof UpgradeError) throw e;
    throw new UpgradeError(`download of ${what} from ${url} failed: ${reason(e)}`);
  } finally {
    done();
    await res.body?.cancel().catch(() => {});
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

async function fetchReleases(api: string): Promise<Release[]> {
  const url = `${api.replace(/\/+$/, "")}/releases?per_page=100`;
  const { res, done } = await get(url, "application/vnd.github+json");
  let text: string;
  try {
    if (!res.ok) {
      await res.body?.cancel();
      if (res.status === 404) {
        throw new UpgradeError(`no release list at ${url} (HTTP 404); check ZPM_GITHUB_API_URL`);
      }
      throw httpError("release list request", url, res);
    }
    text = await res.text();
  } catch (e) {
    if (e instanceof UpgradeError) throw e;
    throw new UpgradeError(`reading the release list from ${url} failed: ${reason(e)}`);
  } finally {
    done();
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new UpgradeError(`unexpected answer from ${url}: not JSON`);
  }
  return parseReleases(body, url);
}

// ---------------------------------------------------------------------------------------------------------
// Download and install

function mib(n: number): string {
  return `${(n / 1048576).toFixed(1)} MiB`;
}

/** Progress on stderr: a line redrawn in place on a terminal, a start and an end line otherwise. */
class Progress {
  private readonly tty = Deno.stderr.isTerminal();
  private last = 0;
  constructor(private readonly name: string, private readonly total: number) {
    this.write(`Downloading ${name}${total ? ` (${mib(total)})` : ""}…${this.tty ? "" : "\n"}`);
  }
  update(received: number, final = false) {
    if (!this.tty) {
      if (final) this.write(`Downloaded ${this.name}: ${mib(received)}\n`);
      return;
    }
    const now = Date.now();
    if (!final && now - this.last < 100) return;
    this.last = now;
    const pct = this.total ? ` (${Math.floor(received * 100 / this.total)}%)` : "";
    const of = this.total ? ` / ${mib(this.total)}` : "";
    this.write(`\r\x1b[KDownloading ${this.name}: ${mib(received)}${of}${pct}${final ? "\n" : ""}`);
  }
  private write(text: string) {
    const bytes = new TextEncoder().encode(text);
    for (let off = 0; off < bytes.length;) off += Deno.stderr.writeSync(bytes.subarray(off));
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array) {
  for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
}

/** Stream `asset` into `file`, returning the SHA-256 (lowercase hex) of what was written. */
async function download(asset: Asset, file: Deno.FsFile, path: string): Promise<string> {
  const { res, alive, done } = await get(asset.url, "application/octet-stream");
  try {
    if (!res.ok) throw httpError(`download of ${asset.name}`, asset.url, res);
    const total = asset.size || Number(res.headers.get("content-length") ?? 0);
    const progress = new Progress(asset.name, total);
    const hash = createHash("sha256");
    let received = 0;
    for await (const chunk of res.body ?? []) {
      alive();
      hash.update(chunk);
      try {
        await writeAll(file, chunk);
      } catch (e) {
        throw new UpgradeError(`cannot write ${path}: ${reason(e)}`);
      }
      received += chunk.length;
      progress.update(received);
    }
    progress.update(received, true);
    if (asset.size && received !== asset.size) {
      throw new UpgradeError(
        `download of ${asset.name} is incomplete: got ${received} of ${asset.size} bytes from ${asset.url}`,
      );
    }
    return hash.digest("hex");
  } catch (e) {
    if (e instanceof UpgradeError) throw e;
    throw new UpgradeError(`download of ${asset.name} from ${asset.url} failed: ${reason(e)}`);
  } finally {
    done();
    await res.body?.cancel().catch(() => {});
  }
}

async function removeIfPresent(path: string) {
  try {
    await Deno.remove(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw new UpgradeError(`cannot remove the leftover ${path} from an earlier upgrade: ${reason(e)}`);
  }
}

async function syncDir(dir: string) {
  try {
    using d = await Deno.open(dir, { read: true });
    await d.sync();
  } catch { /* not supported everywhere (Windows); the rename itself is done */ }
}

/**
 * Atomically put `tmp` in the place of `target` (same directory). With `aside` (Windows, where a running
 * executable cannot be replaced but can be renamed) the old binary is first moved to `<target>.old`.
 */
export async function replaceFile(tmp: string, target: string, aside = Deno.build.os === "windows") {
  if (!aside) {
    await Deno.rename(tmp, target);
  } else {
    const old = `${target}.old`;
    await Deno.remove(old).catch(() => {});
    await Deno.rename(target, old);
    try {
      await Deno.rename(tmp, target);
    } catch (e) {
      await Deno.rename(old, target);
      throw e;
    }
    await Deno.remove(old).catch(() => {}); // still running on Windows: removed by the next upgrade
  }
  await syncDir(dirname(target));
}

/** Download, verify and install `asset` over `target`; on failure `target` is untouched. */
async function install(target: string, asset: Asset, expected: string): Promise<void> {
  const mode = (await Deno.stat(target)).mode;
  const tmp = `${target}.new`;
  await removeIfPresent(tmp);
  let file: Deno.FsFile | null;
  try {
    file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
  } catch (e) {
    throw new UpgradeError(
      `cannot create ${tmp}: ${reason(e)} (the directory ${dirname(target)} must be writable)`,
    );
  }
  let installed = false;
  try {
    const actual = await download(asset, file, tmp);
    await file.sync();
    file.close();
    file = null;
    if (actual !== expected) {
      throw new UpgradeError(
        `checksum mismatch for ${asset.name}: ${SUMS_ASSET} says ${expected}, the download has ${actual}; ` +
          "nothing was installed",
      );
    }
    try {
      if (mode !== null) await Deno.chmod(tmp, mode & 0o7777);
      await replaceFile(tmp, target);
    } catch (e) {
      throw new UpgradeError(`cannot replace ${target}: ${reason(e)}`);
    }
    installed = true;
  } finally {
    file?.close();
    if (!installed) await Deno.remove(tmp).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------------
// The command

/** What `zpm upgrade` was asked to do. */
export interface UpgradeOptions {
  channel: "stable" | "dev";
  dryRun: boolean;
  force: boolean;
}

/** Run an upgrade; returns the lines for stdout, throws `UpgradeError` on failure. */
export async function runUpgrade(opts: UpgradeOptions): Promise<string[]> {
  const target = await resolveTarget(Deno.env.get("ZPM_UPGRADE_TARGET"));
  const platform = detectPlatform(Deno.env.get("ZPM_OVERRIDE_PLATFORM"));
  const releases = await fetchReleases(Deno.env.get("ZPM_GITHUB_API_URL") || DEFAULT_API);
  const release = selectRelease(releases, opts.channel);
  const current = parseVersion(VERSION);
  const order = current ? compareVersions(release.version, current) : 1;
  if (order === 0 && !opts.force) return [`zpm is already up to date (${release.tag})`];
  if (order < 0 && !opts.force) {
    throw new UpgradeError(
      `the newest ${opts.channel} release, ${release.tag}, is older than this zpm (${VERSION}); nothing was ` +
        "changed (use --force to install it anyway)",
    );
  }
  const wanted = assetName(platform);
  const asset = release.assets.find((a) => a.name === wanted);
  if (!asset) {
    const have = release.assets.map((a) => a.name).filter((n) => n.startsWith("zpm-")).join(", ") || "none";
    throw new UpgradeError(
      `release ${release.tag} has no ${wanted} for this platform (${platform}); its binaries: ${have}`,
    );
  }
  const sumsAsset = release.assets.find((a) => a.name === SUMS_ASSET);
  if (!sumsAsset) {
    throw new UpgradeError(
      `release ${release.tag} has no ${SUMS_ASSET} file, so ${wanted} cannot be verified; nothing was installed`,
    );
  }
  const sums = await readLimited(sumsAsset.url, MAX_SUMS_BYTES, SUMS_ASSET);
  const expected = findChecksum(sums, wanted);
  if (!expected) {
    throw new UpgradeError(`${SUMS_ASSET} of release ${release.tag} has no checksum for ${wanted}`);
  }
  if (opts.dryRun) {
    return [
      `version: ${release.tag}`,
      `asset_url: ${asset.url}`,
      `checksum: ${expected}`,
      `install_path: ${target}`,
    ];
  }
  await install(target, asset, expected);
  return [`Upgraded zpm from ${VERSION} to ${release.tag} (${opts.channel} channel) at ${target}`];
}

function writeText(stream: typeof Deno.stdout | typeof Deno.stderr, text: string) {
  const bytes = new TextEncoder().encode(text);
  for (let off = 0; off < bytes.length;) off += stream.writeSync(bytes.subarray(off));
}

/** Add `zpm upgrade` to the program. */
export function registerUpgrade(program: Command): void {
  program.command("upgrade")
    .description("replace this zpm binary with the newest release (SHA-256 verified)")
    .addOption(
      new Option("--channel <channel>", "stable releases only, or dev (prereleases too)")
        .choices(["stable", "dev"]).default("stable"),
    )
    .option("--dry-run", "show the release, asset, checksum and install path; change nothing")
    .option("--force", "install the selected release even if it is not newer than this zpm")
    .addHelpText(
      "after",
      "\nEnvironment:\n" +
        `  ZPM_GITHUB_API_URL     release API (default ${DEFAULT_API})\n` +
        `  ZPM_OVERRIDE_PLATFORM  asset platform instead of this machine's (${PLATFORMS.join(", ")})\n` +
        "  ZPM_UPGRADE_TARGET     file to replace instead of this executable (tests, packaging)\n",
    )
    .action(async (opts: { channel: "stable" | "dev"; dryRun?: boolean; force?: boolean }) => {
      let lines: string[];
      try {
        lines = await runUpgrade({ channel: opts.channel, dryRun: !!opts.dryRun, force: !!opts.force });
      } catch (e) {
        const message = e instanceof UpgradeError
          ? e.message
          : `upgrade failed: ${e instanceof Error ? e.message : String(e)}`;
        writeText(Deno.stderr, `ERROR: ${message}\n`);
        throw new CommanderError(1, "zpm.upgradeFailed", message);
      }
      writeText(Deno.stdout, lines.map((l) => l + "\n").join(""));
    });
}
