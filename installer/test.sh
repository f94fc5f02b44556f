#!/usr/bin/env bash
# Quick start, part two: installs what is needed (Debian packages, the test oracles' Python
# environment), builds, and runs every test (CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
installer/install-deps.sh
oracle="$(installer/install-test-env.sh)"
CKPT_ORACLE_PYTHON="$oracle" installer/build.sh
ctest --preset release --output-on-failure "$@"
