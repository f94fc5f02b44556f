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
echo "$venv/bin/python"
