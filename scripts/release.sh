#!/bin/sh
# Build the zpm release set with `deno compile`: one self-contained binary per platform, install.sh, and
# SHA256SUMS over all of them, in $OUT_DIR (default dist/). Run from anywhere:
#
#   sh scripts/release.sh                                  all platforms
#   TARGETS="linux-x86_64 darwin-arm64" sh scripts/release.sh
#   RELEASE_TAG=v1.2.0 sh scripts/release.sh               also check the tag against deno.json's version
#
# `deno compile` downloads Deno's runtime for each target (denort-<triple>.zip) from dl.deno.land. Where that
# host is unreachable, fetch the zip on another machine, unzip it, and build that one platform with
#   DENORT_BIN=/path/to/denort TARGETS=linux-x86_64 OUT_DIR=dist sh scripts/release.sh
# (repeat per platform into the same OUT_DIR; SHA256SUMS always covers every binary there).
#
# No --include is needed: swipl-wasm's swipl-bundle.js carries its WebAssembly and Prolog library inline,
# and nothing else is read from disk at run time (tests/distribution/standalone.test.ts runs the program
# outside the checkout with the engine host child holding no file permissions at all).
set -eu

cd "$(dirname "$0")/.."
DENO=${DENO:-deno}
OUT_DIR=${OUT_DIR:-dist}
TARGETS=${TARGETS:-linux-x86_64 linux-arm64 darwin-x86_64 darwin-arm64 windows-x86_64}
# The permissions the binary runs with: those of `deno task zpm`, plus the network for `zpm upgrade`.
PERMS="--allow-read --allow-write --allow-env --allow-run --allow-sys=osRelease,uid --allow-net"

say() { printf 'release: %s\n' "$*" >&2; }
die() {
  printf 'release: ERROR: %s\n' "$*" >&2
  exit 1
}

triple() {
  case $1 in
    linux-x86_64) echo x86_64-unknown-linux-gnu ;;
    linux-arm64) echo aarch64-unknown-linux-gnu ;;
    darwin-x86_64) echo x86_64-apple-darwin ;;
    darwin-arm64) echo aarch64-apple-darwin ;;
    windows-x86_64) echo x86_64-pc-windows-msvc ;;
    *) return 1 ;;
  esac
}

asset() {
  case $1 in
    windows-*) echo "zpm-$1.exe" ;;
    *) echo "zpm-$1" ;;
  esac
}

host_platform() {
  case "$(uname -s)/$(uname -m)" in
    Linux/x86_64) echo linux-x86_64 ;;
    Linux/aarch64 | Linux/arm64) echo linux-arm64 ;;
    Darwin/x86_64) echo darwin-x86_64 ;;
    Darwin/arm64) echo darwin-arm64 ;;
    *) echo none ;;
  esac
}

if command -v sha256sum >/dev/null 2>&1; then
  sums() { sha256sum "$@"; }
elif command -v shasum >/dev/null 2>&1; then
  sums() { shasum -a 256 "$@"; }
else
  die "neither sha256sum nor shasum is installed"
fi

command -v "$DENO" >/dev/null 2>&1 || die "deno not found (set DENO=/path/to/deno)"
version=$("$DENO" eval 'console.log(JSON.parse(Deno.readTextFileSync("deno.json")).version)')
if [ -n "${RELEASE_TAG:-}" ] && [ "$RELEASE_TAG" != "v$version" ]; then
  die "tag $RELEASE_TAG does not match the version in deno.json ($version); tag v$version or bump deno.json"
fi
for t in $TARGETS; do triple "$t" >/dev/null || die "unknown target '$t' (known: linux-x86_64 linux-arm64 darwin-x86_64 darwin-arm64 windows-x86_64)"; done
if [ -n "${DENORT_BIN:-}" ]; then
  [ -f "$DENORT_BIN" ] || die "DENORT_BIN=$DENORT_BIN is not a file"
  # shellcheck disable=SC2086 # count the words
  set -- $TARGETS
  [ $# -eq 1 ] || die "DENORT_BIN is the runtime of one target: build one platform per run (TARGETS=<platform>)"
fi

mkdir -p "$OUT_DIR"
log=$(mktemp "${TMPDIR:-/tmp}/zpm-release.XXXXXX")
trap 'rm -f "$log"' EXIT

# deno compile needs the npm packages in node_modules (denoland/deno#31451).
"$DENO" install --frozen >"$log" 2>&1 || {
  cat "$log" >&2
  die "deno install failed"
}

say "zpm $version: building $TARGETS into $OUT_DIR/"
for t in $TARGETS; do
  out="$OUT_DIR/$(asset "$t")"
  # shellcheck disable=SC2086 # PERMS is a list of flags
  if ! "$DENO" compile --quiet $PERMS --target "$(triple "$t")" --output "$out" src/main.ts >"$log" 2>&1; then
    cat "$log" >&2
    if grep -q 'dl\.deno\.land\|denort' "$log"; then
      die "deno compile could not get Deno's runtime for $(triple "$t") (denort-$(triple "$t").zip from dl.deno.land is unreachable). Download it on a machine that can reach dl.deno.land, unzip it, and run: DENORT_BIN=/path/to/denort TARGETS=$t sh scripts/release.sh"
    fi
    die "deno compile failed for $t"
  fi
  say "built $out"
done

# The binary for this machine must run and report the release version.
host=$(host_platform)
if [ -x "$OUT_DIR/zpm-$host" ]; then
  hint=""
  [ -z "${DENORT_BIN:-}" ] || hint=" (DENORT_BIN must be denort from denort-<triple>.zip; the full deno binary does not work)"
  got=$("$OUT_DIR/zpm-$host" version </dev/null) || die "$OUT_DIR/zpm-$host does not run$hint"
  [ "$got" = "zpm $version" ] || die "$OUT_DIR/zpm-$host reports '$got', expected 'zpm $version'"
  say "checked: $OUT_DIR/zpm-$host version → $got"
fi

cp scripts/install.sh "$OUT_DIR/install.sh"
(
  cd "$OUT_DIR"
  files=""
  for f in zpm-* install.sh; do [ -f "$f" ] && files="$files $f"; done
  # shellcheck disable=SC2086 # file names without spaces
  sums $files >SHA256SUMS.tmp
  mv SHA256SUMS.tmp SHA256SUMS
)
say "wrote $OUT_DIR/SHA256SUMS"
