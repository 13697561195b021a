/** Which release asset fits this machine, and which file an upgrade replaces. */
import { reason, UpgradeError } from "./errors.ts";

/** Platforms with a release asset, in the `<os>-<arch>` form of the asset names. */
export const PLATFORMS = ["linux-x86_64", "linux-arm64", "darwin-x86_64", "darwin-arm64", "windows-x86_64"];

/** The release asset name for a platform: `zpm-<platform>`, with `.exe` on Windows. */
export function assetName(platform: string): string {
  return `zpm-${platform}${platform.startsWith("windows-") ? ".exe" : ""}`;
}

/**
 * This machine's platform from Deno's `os`/`arch` (or `override`, from ZPM_OVERRIDE_PLATFORM, as
 * `linux-x86_64` or `zpm-linux-x86_64`); an `UpgradeError` when no release is built for it.
 */
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

/**
 * The real path of the binary to replace: `override` (ZPM_UPGRADE_TARGET), else this executable when it is
 * a compiled zpm; an `UpgradeError` when zpm runs from source or the path is not a regular file.
 */
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
