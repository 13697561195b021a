/**
 * Installing a verified binary: download beside the target as `<target>.new` (a leftover from a crash is
 * removed first), check its SHA-256, give it the target's mode, and rename it over the target atomically.
 */
import { dirname } from "node:path";
import { fsyncDir } from "../io/files.ts";
import { SUMS_ASSET } from "./checksums.ts";
import { download } from "./download.ts";
import { reason, UpgradeError } from "./errors.ts";
import type { Asset } from "./releases.ts";

async function removeIfPresent(path: string) {
  try {
    await Deno.remove(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw new UpgradeError(`cannot remove the leftover ${path} from an earlier upgrade: ${reason(e)}`);
  }
}

/**
 * Atomically put `tmp` in the place of `target` (same directory). With `aside` (Windows, where a running
 * executable cannot be replaced but can be renamed) the old binary is first moved to `<target>.old`.
 */
export async function replaceFile(
  tmp: string,
  target: string,
  aside: boolean = Deno.build.os === "windows",
): Promise<void> {
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
  // Not supported everywhere; the rename itself is done.
  await fsyncDir(dirname(target)).catch(() => {});
}

/**
 * Download `asset`, require its SHA-256 to be `expected`, and install it over `target` keeping the target's
 * mode; on any failure `target` is untouched and no `<target>.new` is left.
 */
export async function install(target: string, asset: Asset, expected: string): Promise<void> {
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
