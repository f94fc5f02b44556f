"""Core calls that need the LibTorch compute plugin (diff's math, apply's casts and resizes),
run in a child process when this one has loaded PyPI's torch: the plugin is built on Debian's
LibTorch, and two LibTorch versions in one process abort. The child runs the same _core call
and nothing else (it never imports torch); its answer or its one-line error comes back."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from . import _core

_CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from ckpt_studio import _core
name, args = json.loads(sys.stdin.read())
try:
    out = getattr(_core, name)(*args)
except _core.CheckpointError as e:
    print(json.dumps({"error": str(e)}))
else:
    print(json.dumps({"result": out}))
"""


def needs_isolation() -> bool:
    return "torch" in sys.modules


def call(name: str, *args):
    """_core.<name>(*args), in this process or a clean child."""
    if not needs_isolation():
        return getattr(_core, name)(*args)
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    r = subprocess.run([sys.executable, "-c", _CHILD, package_parent], input=json.dumps([name, list(args)]),
                       capture_output=True, text=True)
    lines = r.stdout.strip().splitlines()
    if r.returncode != 0 or not lines:
        last = (r.stderr.strip().splitlines() or ["no output"])[-1]
        raise _core.CheckpointError(f"the core's process for {name} failed ({r.returncode}): {last}")
    answer = json.loads(lines[-1])
    if "error" in answer:
        raise _core.CheckpointError(answer["error"])
    return answer["result"]
