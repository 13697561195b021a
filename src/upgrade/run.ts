/**
 * One upgrade from start to end: resolve the target and platform, pick the newest
 * release of the channel, refuse an older one without `--force`, look up its checksum, then install.
 *
 * Environment: `ZPM_GITHUB_API_URL` (release API base), `ZPM_OVERRIDE_PLATFORM` (asset platform), and
 * `ZPM_UPGRADE_TARGET` (the file to replace; for tests and packaging, and the only way to use `upgrade`
 * when zpm runs from source).
 */
import { VERSION } from "../version.ts";
import { findChecksum, MAX_SUMS_BYTES, SUMS_ASSET } from "./checksums.ts";
import { UpgradeError } from "./errors.ts";
import { readLimited } from "./http.ts";
import { assetName, detectPlatform, resolveTarget } from "./platform.ts";
import { DEFAULT_API, fetchReleases, selectRelease } from "./releases.ts";
import { install } from "./replace.ts";
import { compareVersions, parseVersion } from "./versions.ts";

/** What `zpm upgrade` was asked to do: the channel, `--dry-run` (change nothing) and `--force`. */
export interface UpgradeOptions {
  channel: "stable" | "dev";
  dryRun: boolean;
  force: boolean;
}

/** Run an upgrade; returns the lines for stdout, throws `UpgradeError` on failure (target untouched). */
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
