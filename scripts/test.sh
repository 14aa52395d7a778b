#!/usr/bin/env bash
# Braid: run every test. `.ci/run` calls this; it installs what it needs, so
# it passes on a fresh Debian/Ubuntu machine as well as on one with leftovers.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in build-essential pkg-config libdbus-1-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq "${need_apt[@]}"
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

echo "== format"
cargo fmt --all --check
echo "== lint"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== tests"
cargo test --workspace --locked
