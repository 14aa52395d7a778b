#!/usr/bin/env bash
# Braid: set up everything on a fresh Debian/Ubuntu machine and start the
# main job: the desktop editor with workflows/blog-publishing.json open.
# Along the way it builds the `braid` CLI and checks every example with it.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: a C toolchain, WebKitGTK and friends for the desktop app
# (Tauri v2), Xvfb for machines without a display.
need_apt=()
for pkg in build-essential pkg-config libdbus-1-dev curl ca-certificates libwebkit2gtk-4.1-dev libssl-dev \
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev file xvfb xauth imagemagick; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Rust (edition 2024 needs 1.85 or newer): use rustup when cargo is missing.
if ! command -v cargo >/dev/null 2>&1; then
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi

# Node.js 20.19+ builds the editor's UI (Vite 8).
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; then
  echo "error: Node.js 20.19 or newer is needed to build the editor (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "       Install it from nodejs.org or your distribution, then run this script again." >&2
  exit 1
fi

cargo build --release --bin braid
# Respect a shared CARGO_TARGET_DIR if one is set.
target_dir="${CARGO_TARGET_DIR:-target}"
braid="$target_dir/release/braid"
examples=()
for f in workflows/*.json; do
  [[ $f == *.layout.json ]] || examples+=("$f") # sidecars are layouts, not workflows
done
"$braid" validate "${examples[@]}"
"$braid" plan workflows/blog-publishing.json

# The desktop app: the UI first (the app embeds ui/dist), then the shell.
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build)
cargo build --release -p braid-desktop
app="$target_dir/release/braid-desktop"
example=workflows/blog-publishing.json

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "Starting the Braid editor with $example …"
  exec "$app" "$example"
fi

# No display (a server, CI, a container): prove the app starts by running it
# on a virtual screen for a few seconds and taking a screenshot.
shot="$target_dir/braid-desktop-smoke.png"
echo "No display here, so the editor cannot show a window."
xvfb-run -a -s "-screen 0 1280x800x24" bash -c "
  \"$app\" \"$example\" & pid=\$!
  sleep 8
  import -window root \"$shot\" || true
  kill \$pid 2>/dev/null || true
  wait \$pid 2>/dev/null || true
" && echo "It started on a virtual screen; a screenshot of it is in $shot."
echo "To use it here, run it under Xvfb and view it over VNC, or on a desktop run:"
echo "  $app $example"
echo "Headless, for example:  xvfb-run -a -s \"-screen 0 1280x800x24\" $app $example"
