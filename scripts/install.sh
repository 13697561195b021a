#!/bin/sh
# Install zpm, the durable Prolog memory for LLM agents, from a GitHub release:
#
#   curl -fsSL https://github.com/awf-project/zpm/releases/latest/download/install.sh | sh
#
# Downloads the zpm binary for this machine and the release's SHA256SUMS, verifies the SHA-256, and
# installs it atomically as $INSTALL_DIR/zpm. Environment:
#   INSTALL_DIR      where to install (default ~/.local/bin)
#   ZPM_VERSION      a release tag such as v1.2.0 (default: the latest stable release)
#   ZPM_RELEASE_URL  base URL the files are downloaded from, for mirrors and tests
#                    (default https://github.com/$ZPM_REPOSITORY/releases/latest/download)
#   ZPM_INSTALL_UNAME_S, ZPM_INSTALL_UNAME_M  stand in for `uname -s` / `uname -m` (tests)
# Needs curl or wget, and sha256sum or shasum.
set -eu

# The repository releases come from (placeholder owner; keep in step with RELEASE_REPOSITORY in
# src/cli/upgrade.ts).
ZPM_REPOSITORY="awf-project/zpm"

say() { printf 'zpm install: %s\n' "$*" >&2; }
die() {
  printf 'zpm install: ERROR: %s\n' "$*" >&2
  exit 1
}

# --- platform -------------------------------------------------------------------------------------
os=${ZPM_INSTALL_UNAME_S:-$(uname -s)}
arch=${ZPM_INSTALL_UNAME_M:-$(uname -m)}
case "$os/$arch" in
  Linux/x86_64 | Linux/amd64) platform=linux-x86_64 ;;
  Linux/aarch64 | Linux/arm64) platform=linux-arm64 ;;
  Darwin/x86_64) platform=darwin-x86_64 ;;
  Darwin/arm64 | Darwin/aarch64) platform=darwin-arm64 ;;
  *) die "unsupported platform: $os $arch (zpm releases exist for Linux x86_64/arm64 and macOS x86_64/arm64)" ;;
esac
asset="zpm-$platform"

# --- tools ----------------------------------------------------------------------------------------
if command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsSL --retry 2 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -O "$2" "$1"; }
else
  die "neither curl nor wget is installed; install one of them and run this again"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  die "neither sha256sum nor shasum is installed, so the download cannot be verified"
fi

# --- where from, where to -------------------------------------------------------------------------
if [ -n "${ZPM_RELEASE_URL:-}" ]; then
  base=${ZPM_RELEASE_URL%/}
elif [ -n "${ZPM_VERSION:-}" ]; then
  base="https://github.com/$ZPM_REPOSITORY/releases/download/$ZPM_VERSION"
else
  base="https://github.com/$ZPM_REPOSITORY/releases/latest/download"
fi
if [ -z "${INSTALL_DIR:-}" ]; then
  [ -n "${HOME:-}" ] || die "HOME is not set; set INSTALL_DIR to choose where zpm goes"
  INSTALL_DIR="$HOME/.local/bin"
fi
target="$INSTALL_DIR/zpm"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zpm-install.XXXXXX") || die "cannot create a temporary directory"
staged=""
cleanup() {
  rm -rf "$tmp"
  if [ -n "$staged" ]; then rm -f "$staged"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- download and verify --------------------------------------------------------------------------
fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS" || die "cannot download $base/SHA256SUMS"
expected=$(awk -v want="$asset" '{
  name = $2; sub(/^\*/, "", name); sub(/^\.\//, "", name); sub(/.*\//, "", name)
  if (name == want) { print tolower($1); exit }
}' "$tmp/SHA256SUMS")
[ -n "$expected" ] || die "SHA256SUMS at $base has no checksum for $asset"
case "$expected" in
  *[!0-9a-f]*) die "SHA256SUMS has a malformed checksum for $asset: $expected" ;;
esac
[ ${#expected} -eq 64 ] || die "SHA256SUMS has a malformed checksum for $asset: $expected"

say "downloading $asset from $base"
fetch "$base/$asset" "$tmp/$asset" || die "cannot download $base/$asset"
actual=$(sha256 "$tmp/$asset")
[ "$actual" = "$expected" ] || die "checksum mismatch for $asset: SHA256SUMS says $expected, the download has $actual; nothing was installed"

# --- install atomically: stage in the target directory, then rename over the old binary -------------
mkdir -p "$INSTALL_DIR" || die "cannot create $INSTALL_DIR"
staged="$INSTALL_DIR/.zpm.install.$$"
cp "$tmp/$asset" "$staged" || die "cannot write to $INSTALL_DIR"
chmod 755 "$staged"
mv -f "$staged" "$target" || die "cannot replace $target"
staged=""

version=$("$target" version 2>/dev/null) || version=""
say "installed ${version:-zpm} ($platform) to $target"

case ":${PATH:-}:" in
  *":$INSTALL_DIR:"* | *":${INSTALL_DIR%/}:"*) ;;
  *)
    say "WARNING: $INSTALL_DIR is not on your PATH; add it, e.g. to ~/.profile:"
    say "  export PATH=\"$INSTALL_DIR:\$PATH\""
    ;;
esac
