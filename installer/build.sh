#!/usr/bin/env bash
# Configures and builds Checkpoint Studio into build/ (Release by default).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${CKPT_PRESET:-release}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" --parallel "$(nproc)"
