/** The releases zpm can upgrade to: where they are published, reading GitHub's list, and picking one. */
import { reason, UpgradeError } from "./errors.ts";
import { get, httpError } from "./http.ts";
import { compareVersions, parseVersion, type SemVer } from "./versions.ts";

/**
 * The GitHub repository releases come from. Placeholder owner: change it here, in scripts/install.sh
 * (`ZPM_REPOSITORY`) and in docs/distribution.md together; the release workflow refuses to publish when it
 * differs from the repository being released.
 */
export const RELEASE_REPOSITORY = "awf-project/zpm";
/** The release API base used when ZPM_GITHUB_API_URL is not set. */
export const DEFAULT_API = `https://api.github.com/repos/${RELEASE_REPOSITORY}`;

/** One downloadable file of a release; `size` is 0 when GitHub did not say. */
export interface Asset {
  name: string;
  url: string;
  size: number;
}

/** A published, non-draft release whose tag is a semantic version, as zpm uses it. */
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
  body.forEach((item: unknown, i) => {
    if (typeof item !== "object" || item === null) throw bad(`release #${i + 1} is not an object`);
    const r = item as Record<string, unknown>;
    const tag = r.tag_name;
    if (typeof tag !== "string") throw bad(`release #${i + 1} has no tag_name`);
    if (typeof r.prerelease !== "boolean") throw bad(`release ${tag} has no prerelease flag`);
    if (!Array.isArray(r.assets)) throw bad(`release ${tag} has no assets list`);
    const assets = (r.assets as unknown[]).map((entry): Asset => {
      const a = entry as Record<string, unknown> | null | undefined;
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

/**
 * The newest release of a channel by version (ties: the later published): stable ignores prereleases, dev
 * includes them; an `UpgradeError` when the channel has none.
 */
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

/** Fetch and validate the release list (first 100) from a GitHub-style API base `api`. */
export async function fetchReleases(api: string): Promise<Release[]> {
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
