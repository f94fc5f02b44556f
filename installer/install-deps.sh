#!/usr/bin/env bash
# Installs the Debian 12 packages Checkpoint Studio needs to build, run and test.
# Idempotent: packages already present are not reinstalled, and apt is not touched at all
# when everything is there.
set -euo pipefail

packages=(
  # build (git: the inspect baseline test builds an earlier commit with git archive)
  cmake ninja-build g++ pkg-config git
  # libraries
  qt6-base-dev libqcustomplot-dev libqcustomplot2.1-qt6 libtorch-dev nlohmann-json3-dev libre2-dev libpcre2-dev libyaml-cpp-dev libbenchmark-dev
  libgl-dev zlib1g-dev libzstd-dev libblosc-dev libmsgpack-dev libhdf5-dev libcurl4-openssl-dev libisal-dev
  # tests: real fixtures from PyTorch, a display for GUI tests and screenshots
  python3 python3-torch python3-torchvision python3-yaml xvfb xauth x11-apps imagemagick time
  # the remote-source tests' HTTP server (fixtures with range support, a Hub-like location)
  nginx-light
  # the test oracles' virtual environment (installer/install-test-env.sh); python3-dev: the
  # Python package's module
  python3-venv python3-dev
  # the .deb's checks: metadata validators, lintian, a clean Debian 12 chroot to install it in
  desktop-file-utils appstream lintian mmdebstrap
  # the libFuzzer targets (the fuzz preset): clang with its sanitizer and fuzzer runtimes
  clang-14 libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
