#!/usr/bin/env bash
# Builds checkpoint-studio_<version>_amd64.deb into build/release (the release build, then
# cpack -G DEB). Prints the .deb's path.
set -euo pipefail
cd "$(dirname "$0")/.."
installer/build.sh >&2
(cd build/release && cpack -G DEB >&2)
ls -1 build/release/checkpoint-studio_*_amd64.deb | tail -1
