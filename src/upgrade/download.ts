/** Streaming a release asset to disk with progress on stderr, hashing it (SHA-256) on the way. */
import { createHash } from "node:crypto";
import { writeAll } from "../io/files.ts";
import { reason, UpgradeError } from "./errors.ts";
import { get, httpError } from "./http.ts";
import { writeText } from "../io/output.ts";
import type { Asset } from "./releases.ts";

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
    writeText(Deno.stderr, text);
  }
}

/**
 * Stream `asset` into `file` (opened at `path`, named in errors), returning the SHA-256 (lowercase hex) of
 * what was written; an `UpgradeError` on HTTP or write failure, or when fewer bytes than announced arrive.
 */
export async function download(asset: Asset, file: Deno.FsFile, path: string): Promise<string> {
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
