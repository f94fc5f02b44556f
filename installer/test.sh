#!/usr/bin/env bash
# Quick start, part two: installs what is needed (Debian packages, the test oracles' Python
# environment), builds, and runs every test (CTest), then the fuzz targets' short runs.
set -euo pipefail
cd "$(dirname "$0")/.."
installer/install-deps.sh
oracle="$(installer/install-test-env.sh)"
CKPT_ORACLE_PYTHON="$oracle" installer/build.sh
ctest --preset release --output-on-failure "$@"
# The libFuzzer targets, built with clang, ASan and UBSan, each run for a few seconds.
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --parallel "$(nproc)"
ctest --preset fuzz --output-on-failure
