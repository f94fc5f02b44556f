#!/usr/bin/env bash
# The .deb, made from this build tree and checked: lintian without errors, then installed with
# apt in a clean Debian 12 chroot (deb_in_clean_chroot.sh).
#   check_deb.sh BUILD_DIR SAMPLE
set -euo pipefail
build="$(readlink -f "$1")"
here="$(dirname "$(readlink -f "$0")")"
out="$(mktemp -d /tmp/ckpt-deb.XXXXXX)"
trap 'rm -rf "$out"' EXIT
(cd "$build" && cpack -G DEB -B "$out" >/dev/null)
deb="$(ls "$out"/checkpoint-studio_*_amd64.deb)"
echo "check_deb: $(basename "$deb")"
lintian --fail-on error --suppress-tags maintscript-calls-ldconfig "$deb"
"$here/deb_in_clean_chroot.sh" "$deb" "$2"
