"""The Python package's tests: ckpt_studio (from the build tree, CKPT_PYTHON_PACKAGE) against
torch 2.x, safetensors and the ckpt command (CKPT_BIN) in the same run."""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.environ.get("CKPT_PYTHON_PACKAGE", ""))

FIXTURES = os.environ.get("CKPT_FIXTURES", "")
CKPT = os.environ.get("CKPT_BIN", "ckpt")


def fixture(*parts):
    path = os.path.join(FIXTURES, *parts)
    if not os.path.exists(path):
        pytest.fail(f"fixture {path} is missing (the fixtures test makes it)")
    return path


def ckpt_json(*args):
    """What `ckpt ARGS --json` prints, and its exit status."""
    r = subprocess.run([CKPT, *args, "--json"], capture_output=True, text=True, timeout=600)
    assert r.stdout, r.stderr
    return json.loads(r.stdout), r.returncode
