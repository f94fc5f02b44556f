"""The ckpt under test (CKPT_BIN), run the way the oracle suites run it."""
import json
import os
import subprocess
import tempfile
import unittest

CKPT = os.environ.get("CKPT_BIN", "ckpt")


def ckpt(*args, check=True):
    r = subprocess.run([CKPT, *args], capture_output=True, text=True, timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"ckpt {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


def empty_config(folder):
    """A rules config with no rules, written in `folder`: apply writes the checkpoint as it is."""
    path = os.path.join(folder, "none.json")
    with open(path, "w") as f:
        json.dump({"rules": []}, f)
    return path


def one_line_error(test, path):
    """ckpt inspect of a broken input: exit 2 and one line on stderr, which is returned."""
    r = ckpt("inspect", path, check=False)
    test.assertEqual(r.returncode, 2, r.stdout + r.stderr)
    test.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
    return r.stderr


class FolderTest(unittest.TestCase):
    """A test with a temporary folder of its own (`path(name)` in it) and an empty rules config
    there (`cfg`), removed after each test."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.cfg = empty_config(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)
