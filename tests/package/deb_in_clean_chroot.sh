#!/usr/bin/env bash
# The fresh-machine check of the .deb: a clean Debian 12 chroot (mmdebstrap, kept as a tarball
# in the cache and reused), `apt install ./checkpoint-studio_*.deb` in it, then `ckpt --version`
# and `ckpt inspect` of the bundled sample there. Needs root (chroot, mount): run as a user, it
# runs itself through sudo, as install-deps.sh does, keeping that user's cache. Needs Debian's
# mirror.
#   deb_in_clean_chroot.sh DEB SAMPLE [CACHE]
set -euo pipefail
deb="$(readlink -f "$1")"
sample="$(readlink -f "$2")"
cache="${3:-${XDG_CACHE_HOME:-$HOME/.cache}/checkpoint-studio}"
if [ "$(id -u)" -ne 0 ]; then
  exec sudo "$(readlink -f "$0")" "$deb" "$sample" "$cache"
fi
base="$cache/bookworm-apt.tar"
mkdir -p "$cache"
if [ ! -s "$base" ]; then
  mmdebstrap --quiet --variant=apt bookworm "$cache/bookworm-apt.part.tar" http://deb.debian.org/debian
  mv "$cache/bookworm-apt.part.tar" "$base"
fi
root="$(mktemp -d /tmp/ckpt-chroot.XXXXXX)"
cleanup() {
  umount "$root/var/cache/apt/archives" 2>/dev/null || true
  umount "$root/proc" 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$base"
mount -t proc proc "$root/proc"
# The packages apt downloads (LibTorch, Qt: ~400 MB) are kept between runs.
mkdir -p "$cache/chroot-apt-archives/partial"
mount --bind "$cache/chroot-apt-archives" "$root/var/cache/apt/archives"
cp "$deb" "$sample" "$root/tmp/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" apt-get -qq update
DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get -qq install -y --no-install-recommends "/tmp/$(basename "$deb")" >/dev/null
chroot "$root" ckpt --version
chroot "$root" ckpt inspect "/tmp/$(basename "$sample")" | tail -3
test -f "$root/usr/share/applications/checkpoint-studio.desktop"
test -f "$root/usr/share/mime/packages/checkpoint-studio.xml"
echo "deb_in_clean_chroot: installed and ran in a clean Debian 12"
