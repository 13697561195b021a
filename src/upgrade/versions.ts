/**
 * Release versions: tags are semantic versions (https://semver.org, strict syntax, an optional leading
 * `v`), ordered by the `semver` package; build metadata is ignored.
 */
// @deno-types="@types/semver"
import { compare, parse, type SemVer as ParsedVersion } from "semver";

/** A parsed semantic version (the `semver` package's `SemVer`). */
export type SemVer = ParsedVersion;

/** Parse `1.2.3` or `v1.2.3-rc.1+build` (surrounding spaces allowed); null when not a semantic version. */
export function parseVersion(tag: string): SemVer | null {
  return parse(tag);
}

/** Semantic-version precedence: negative when a < b, 0 when equal (build metadata aside), positive when a > b. */
export function compareVersions(a: SemVer, b: SemVer): number {
  return compare(a, b);
}
