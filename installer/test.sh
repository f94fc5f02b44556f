#!/usr/bin/env bash
# Quick start, part two: installs what is needed, builds, and runs every test (CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
installer/install-deps.sh
installer/build.sh
ctest --preset release --output-on-failure "$@"
