#!/usr/bin/env bash
# Creates, or reuses when it already matches installer/test-env.txt, the Python virtual
# environment of the test oracles (torch 2.x, safetensors, ...): outside the source tree, in
# ${CKPT_TEST_VENV:-~/.cache/checkpoint-studio/venv}. PyPI's torch is a CUDA build of several
# GB: it is installed once per machine, never per test. Prints the environment's python.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${CKPT_TEST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/checkpoint-studio/venv}"
requirements=installer/test-env.txt
built=installer/test-env-built.txt
stamp="$venv/.checkpoint-studio-requirements"
if [ -x "$venv/bin/python" ] && cat "$requirements" "$built" | cmp -s - "$stamp"; then
  echo "install-test-env: $venv matches $requirements and $built" >&2
else
  echo "install-test-env: installing $requirements and $built into $venv" >&2
  [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
  # Their setup.py imports torch, which is in place only now.
  DS_BUILD_OPS=0 "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input --no-build-isolation \
    -c "$requirements" -r "$built" >&2
  cat "$requirements" "$built" > "$stamp"
fi

# versitygw, a complete S3 gateway (SigV4 signatures, ListObjectsV2) over a folder, for the
# remote-source tests: built once from the Go module proxy into the cache, outside the tree.
tools="${XDG_CACHE_HOME:-$HOME/.cache}/checkpoint-studio/bin"
gw_version=v1.8.0
if [ "$(cat "$tools/versitygw.version" 2>/dev/null)" != "$gw_version" ] || [ ! -x "$tools/versitygw" ]; then
  go=go
  if ! command -v go >/dev/null || ! go version | grep -qE 'go1\.(2[1-9]|[3-9][0-9])'; then
    # No Go 1.21+ here (Debian 12 has 1.19): the toolchain the go command itself would fetch,
    # from the module proxy.
    toolchain="${XDG_CACHE_HOME:-$HOME/.cache}/checkpoint-studio/go"
    [ -x "$toolchain/bin/go" ] || installer/fetch-go-toolchain.py go1.26.8 "$toolchain" >&2
    go="$toolchain/bin/go"
  fi
  echo "install-test-env: building versitygw $gw_version into $tools" >&2
  GOBIN="$tools" GOFLAGS=-mod=mod "$go" install "github.com/versity/versitygw/cmd/versitygw@$gw_version" >&2
  echo "$gw_version" > "$tools/versitygw.version"
fi
echo "$venv/bin/python"
