#!/usr/bin/env bash
# `pip install .` for real: the wheel built from the source tree by scikit-build-core (the test
# environment's python, which has it and nanobind), installed into a fresh virtual environment
# with only NumPy, then used there: open, tensors as NumPy arrays, diff through the compute
# plugin shipped in the wheel, help().
#   pip_install.sh ORACLE_PYTHON SOURCE_DIR SAMPLE
set -euo pipefail
python="$1"
src="$(readlink -f "$2")"
sample="$(readlink -f "$3")"
tmp="$(mktemp -d /tmp/ckpt-pip.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
"$python" -m pip wheel --quiet --no-build-isolation --no-deps -w "$tmp/wheel" "$src"
/usr/bin/python3 -m venv "$tmp/venv"
numpy_pin="$(grep -E '^numpy==' "$src/installer/test-env.txt")"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check "$tmp"/wheel/ckpt_studio-*.whl "$numpy_pin"
cd "$tmp"
"$tmp/venv/bin/python" - "$sample" <<'PY'
import pydoc, sys
import numpy as np
import ckpt_studio
assert "site-packages" in ckpt_studio.__file__, ckpt_studio.__file__
ck = ckpt_studio.open(sys.argv[1])
sd = ck.state_dict()
assert len(sd) == ck.weights_candidates[0]["tensors"] and all(isinstance(a, np.ndarray) for a in sd.values())
name = next(iter(sd))
def safetensors(path, values):  # written by hand: the venv has nothing but NumPy
    import json, struct
    header = json.dumps({"w": {"dtype": "F32", "shape": [len(values)], "data_offsets": [0, 4 * len(values)]}}).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + struct.pack(f"<{len(values)}f", *values))
safetensors("a.safetensors", [1.0, 2.0, 3.0, 4.0])
safetensors("b.safetensors", [1.0, 2.0, 3.0, 5.0])
d = ckpt_studio.diff("a.safetensors", "b.safetensors")   # the math runs in the wheel's plugin
w = d["tensors"][0]
assert w["status"] == "changed" and "error" not in w and abs(w["max_abs"] - 1.0) < 1e-12, w
doc = pydoc.render_doc(ckpt_studio.open)
assert "metadata alone" in doc
print(f"pip_install: {ckpt_studio.__version__} from {ckpt_studio.__file__}: {len(sd)} arrays, {name} {sd[name].shape}")
PY
