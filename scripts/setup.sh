#!/usr/bin/env bash
# Braid: set up everything on a fresh Debian/Ubuntu machine and start the
# main job. Today (before the desktop app lands) that is: build the `braid`
# CLI, then validate and plan the example workflows.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: a C toolchain for crates that build C code.
need_apt=()
for pkg in build-essential pkg-config libdbus-1-dev curl ca-certificates; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq "${need_apt[@]}"
fi

# Rust (edition 2024 needs 1.85 or newer): use rustup when cargo is missing.
if ! command -v cargo >/dev/null 2>&1; then
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi

cargo build --release --bin braid
braid=target/release/braid
"$braid" validate workflows/*.json
"$braid" plan workflows/blog-publishing.json
