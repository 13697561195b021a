/** The `SHA256SUMS` file of a release: its name, its size bound, and looking up an asset's checksum. */
import { splitLines } from "../io/lines.ts";
import { UpgradeError } from "./errors.ts";

/** The release asset that lists the SHA-256 of every other asset (`sha256sum` output). */
export const SUMS_ASSET = "SHA256SUMS";
/** A `SHA256SUMS` larger than this (1 MiB) is refused rather than read. */
export const MAX_SUMS_BYTES = 1 << 20;

/**
 * The expected SHA-256 (lowercase hex) of `asset` from `SHA256SUMS` text (`sha256sum` / `shasum` format,
 * `*` binary marker and directory prefixes allowed); null when it is not listed, an `UpgradeError` when it is
 * listed twice with different sums.
 */
export function findChecksum(sums: string, asset: string): string | null {
  let found: string | null = null;
  for (const raw of splitLines(sums)) {
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
