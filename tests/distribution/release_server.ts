/**
 * A fake GitHub release host on 127.0.0.1 for the distribution tests. It serves
 *   GET /repos/o/zpm/releases                 the API list (what `zpm upgrade` reads),
 *   GET /dl/<tag>/<name>                      302 to /files/<tag>/<name> (like GitHub's asset redirects),
 *   GET /files/<tag>/<name>                   the asset bytes,
 *   GET /latest/download/<name>               302 to the newest stable release's asset (what install.sh reads).
 * `SHA256SUMS` is generated from the assets unless the release gives its own text or `null` (none).
 * Also `tempDir`: temporary directories that disappear when the test process ends.
 */
import { createHash } from "node:crypto";

/** One release served by the fake host. */
export interface FakeRelease {
  tag: string;
  prerelease?: boolean;
  publishedAt?: string;
  /** Asset name → content. */
  assets: Record<string, Uint8Array | string>;
  /** `SHA256SUMS` text; default: correct sums of all assets; null: no such asset. */
  sums?: string | null;
  /** Names listed in the API whose download answers this HTTP status instead. */
  failing?: Record<string, number>;
}

/** A running fake host. */
export interface ReleaseServer {
  /** Value for ZPM_GITHUB_API_URL. */
  api: string;
  /** Value for ZPM_RELEASE_URL (install.sh). */
  latest: string;
  origin: string;
  /** Paths requested so far. */
  requests: string[];
  close(): Promise<void>;
}

const TEMP_ROOT = Deno.makeTempDirSync({ prefix: "zpm-distribution-" });
globalThis.addEventListener("unload", () => Deno.removeSync(TEMP_ROOT, { recursive: true }));

/** A fresh temporary directory, removed when the test process ends. */
export async function tempDir(prefix: string): Promise<string> {
  return await Deno.realPath(await Deno.makeTempDir({ dir: TEMP_ROOT, prefix }));
}

/** SHA-256 as lowercase hex. */
export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** `sha256sum` output for some files. */
export function sumsOf(assets: Record<string, Uint8Array | string>): string {
  return Object.entries(assets).map(([name, data]) => `${sha256(data)}  ${name}\n`).join("");
}

function bytes(data: Uint8Array | string): Uint8Array<ArrayBuffer> {
  return typeof data === "string" ? new TextEncoder().encode(data) : new Uint8Array(data);
}

/** Start the fake host on a free port. */
export function startReleaseServer(releases: FakeRelease[]): ReleaseServer {
  const files = new Map<string, Map<string, Uint8Array<ArrayBuffer>>>();
  for (const r of releases) {
    const m = new Map(Object.entries(r.assets).map(([n, d]) => [n, bytes(d)]));
    if (r.sums !== null) m.set("SHA256SUMS", bytes(r.sums ?? sumsOf(r.assets)));
    files.set(r.tag, m);
  }
  const requests: string[] = [];
  let origin = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    requests.push(path);
    if (path === "/repos/o/zpm/releases") {
      return Response.json(releases.map((r) => ({
        tag_name: r.tag,
        name: r.tag,
        draft: false,
        prerelease: r.prerelease ?? false,
        published_at: r.publishedAt ?? "2026-01-01T00:00:00Z",
        assets: [...files.get(r.tag)!].map(([name, data]) => ({
          name,
          size: data.length,
          browser_download_url: `${origin}/dl/${r.tag}/${name}`,
        })),
      })));
    }
    let m = /^\/dl\/([^/]+)\/([^/]+)$/.exec(path);
    if (m) return Response.redirect(`${origin}/files/${m[1]}/${m[2]}`, 302);
    m = /^\/latest\/download\/([^/]+)$/.exec(path);
    if (m) {
      const latest = releases.find((r) => !r.prerelease);
      if (latest && files.get(latest.tag)!.has(m[1])) {
        return Response.redirect(`${origin}/files/${latest.tag}/${m[1]}`, 302);
      }
      return new Response("Not Found", { status: 404 });
    }
    m = /^\/files\/([^/]+)\/([^/]+)$/.exec(path);
    if (m) {
      const status = releases.find((r) => r.tag === m![1])?.failing?.[m[2]];
      if (status) return new Response("failing on purpose", { status });
      const data = files.get(m[1])?.get(m[2]);
      if (data) return new Response(data, { headers: { "content-type": "application/octet-stream" } });
    }
    return new Response("Not Found", { status: 404 });
  });
  origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    api: `${origin}/repos/o/zpm`,
    latest: `${origin}/latest/download`,
    origin,
    requests,
    close: () => server.shutdown(),
  };
}
