#!/usr/bin/env bash
# Braid: run every test. `.ci/run` calls this; it installs what it needs, so
# it passes on a fresh Debian/Ubuntu machine as well as on one with leftovers.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: a C toolchain, and what the desktop app (Tauri/WebKitGTK)
# needs to build, plus Xvfb, WebKitWebDriver and ImageMagick for its
# end-to-end tests, and a private D-Bus + GNOME Keyring for the secrets
# screen's test against a real keychain.
need_apt=()
for pkg in build-essential pkg-config libdbus-1-dev libwebkit2gtk-4.1-dev libssl-dev libayatana-appindicator3-dev \
  librsvg2-dev libxdo-dev file xvfb xauth webkit2gtk-driver imagemagick dbus gnome-keyring; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

# The app crate embeds ui/dist at compile time, so the UI is built before any
# cargo build, lint or test of the workspace.
echo "== ui: install, lint, type-check, unit tests, build"
(
  cd ui
  npm ci --no-audit --no-fund --loglevel=error
  npm run lint
  npm run typecheck
  npm test
  npm run build
)

echo "== format"
cargo fmt --all --check
echo "== lint"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== tests"
# --workspace includes the desktop app: its command tests and the check that
# ui/src/bindings.ts matches the Rust commands.
cargo test --workspace --locked

echo "== desktop app: end-to-end (WebDriver, real app under Xvfb)"
export PATH="$HOME/.cargo/bin:$PATH"
command -v tauri-driver >/dev/null 2>&1 || cargo install tauri-driver --locked
# The app, and the CLI the e2e tests compare it with (`braid show --json`).
cargo build -p braid-desktop -p braid-cli --locked
(
  cd tests/e2e
  npm ci --no-audit --no-fund --loglevel=error
  BRAID_E2E_ARTIFACTS="${BRAID_E2E_ARTIFACTS:-/tmp}" xvfb-run -a -s "-screen 0 1440x900x24" npm test
)
