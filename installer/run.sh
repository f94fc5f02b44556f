#!/usr/bin/env bash
# Quick start, part one: installs what is needed, builds, and opens the app on the bundled sample.
# Without a display it says so and prints `ckpt inspect` of the sample instead.
set -euo pipefail
cd "$(dirname "$0")/.."
installer/install-deps.sh
installer/build.sh
sample="resources/samples/tiny_vit.pt"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec build/release/app/ckpt-studio "$sample"
fi
echo "run: no display (DISPLAY is unset), so here is 'ckpt inspect $sample' instead:"
exec build/release/app/ckpt inspect "$sample"
