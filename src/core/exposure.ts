/**
 * Which of a memory's files other users can read: `zpm doctor` warns about them, since a memory
 * often holds what an agent learned about private work. zpm creates its files 0600 and its
 * directories 0700; older versions (and upstream) created them world-readable.
 *
 * @module
 */
import { join } from "node:path";

/** Group/other read bits. */
const OTHERS_READ = 0o044;

/**
 * Paths among `dirs` and the regular files directly in them whose mode lets other users read
 * them (links are not followed). Empty on Windows, which has no such mode bits.
 */
export async function openExposure(dirs: string[]): Promise<string[]> {
  if (Deno.build.os === "windows") return [];
  const out: string[] = [];
  const seen = new Set<string>();
  const check = async (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    try {
      const st = await Deno.lstat(path);
      if (!st.isSymlink && st.mode !== null && (st.mode & OTHERS_READ) !== 0) out.push(path);
    } catch { /* missing */ }
  };
  for (const dir of dirs) {
    await check(dir);
    try {
      for await (const e of Deno.readDir(dir)) if (e.isFile) await check(join(dir, e.name));
    } catch { /* missing or unreadable */ }
  }
  return out;
}
