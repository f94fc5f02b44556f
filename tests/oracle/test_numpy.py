"""NumPy .npy and .npz files written by numpy itself (np.save, np.savez, np.savez_compressed),
read by ckpt and compared in the same run with np.load: every array's key, shape and dtype,
and its values after export; arrays of objects are scanned, never listed or run; broken files
give one error line."""
import json
import os
import sys
import tempfile
import unittest

import numpy as np
import torch
from safetensors.numpy import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ckpt_run import ckpt, empty_config, one_line_error  # noqa: E402


def arrays():
    rng = np.random.default_rng(0)
    return {
        "params/encoder/kernel": rng.standard_normal((4, 3)).astype(np.float32),
        "params/encoder/bias": np.arange(3, dtype=np.int64),
        "params/head/w": np.asfortranarray(rng.standard_normal((2, 5))),  # column-major
        "step": np.array(7, dtype=np.int32),
        "half": rng.standard_normal((3, 2)).astype(np.float16),
        "mask": np.array([True, False, True]),
        "ids": np.arange(6, dtype=np.uint16).reshape(2, 3),
        "bytes": np.arange(5, dtype=np.uint8),
        "c": (rng.standard_normal(3) + 1j * rng.standard_normal(3)).astype(np.complex64),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }


def exported_weights(arrays):
    """What an export of np.load's arrays holds as the weights: keys with '/' form a tree
    whose `params` are the weights, named '.'-joined below it; flat keys are all weights."""
    if not any("/" in k for k in arrays):
        return arrays
    return {k[len("params/"):].replace("/", "."): v for k, v in arrays.items() if k.startswith("params/")}


class TestNumpy(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.cfg = empty_config(self.dir)

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def check_listing(self, path):
        want = np.load(path)
        want = {k: want[k] for k in want.files} if hasattr(want, "files") else {os.path.basename(path)[:-4]: want}
        listed = {t["name"]: t for t in json.loads(ckpt("inspect", "--json", path).stdout)["tensors"]}
        self.assertEqual(set(listed), set(want))
        for k, v in want.items():
            self.assertEqual(listed[k]["shape"], list(v.shape), k)
            self.assertEqual(listed[k]["dtype"], str(torch.from_numpy(np.ascontiguousarray(v, dtype=v.dtype.newbyteorder("="))).dtype).removeprefix("torch."), k)
        return want

    def check_export(self, path, want):
        out = self.path("out.safetensors")
        ckpt("apply", path, "--config", self.cfg, "-o", out, "--format", "safetensors")
        got = load_file(out)
        weights = exported_weights(want)
        self.assertEqual(set(got), set(weights))
        for k, v in weights.items():
            self.assertEqual(got[k].dtype, v.dtype.newbyteorder("="), k)
            self.assertTrue(np.array_equal(got[k], v), k)
        pt = self.path("out.pt")
        ckpt("apply", path, "--config", self.cfg, "-o", pt)
        loaded = torch.load(pt, weights_only=True)
        for k, v in want.items():
            node = loaded
            if "/" in "".join(want):  # a tree: params' weights '.'-joined below it, the rest nested
                parts = k.split("/")
                node = loaded["params"][".".join(parts[1:])] if parts[0] == "params" else loaded
                if parts[0] != "params":
                    for p in parts:
                        node = node[p]
            else:
                node = loaded[k]
            self.assertTrue(np.array_equal(node.numpy(), v), k)

    def test_savez_stored_and_compressed(self):
        for save in (np.savez, np.savez_compressed):
            path = self.path(save.__name__ + ".npz")
            save(path, **arrays())
            self.check_export(path, self.check_listing(path))

    def test_slash_keys_form_the_tree_unless_they_cannot(self):
        path = self.path("big_vision.npz")
        np.savez(path, **arrays())
        report = json.loads(ckpt("inspect", "--json", path).stdout)
        self.assertEqual({tuple(t["path"]) for t in report["tensors"]}, {tuple(k.split("/")) for k in arrays()})
        self.assertEqual(report["weights_candidates"][0]["path"], ["params"])
        clash = self.path("clash.npz")
        np.savez(clash, **{"a": np.ones(2), "a/b": np.ones(3)})
        report = json.loads(ckpt("inspect", "--json", clash).stdout)
        self.assertEqual({tuple(t["path"]) for t in report["tensors"]}, {("a",), ("a/b",)})
        self.assertTrue(any("listed flat" in w for w in report["warnings"]))

    def test_save_one_array_under_its_stem(self):
        path = self.path("weights.npy")
        np.save(path, arrays()["params/head/w"])
        self.check_export(path, self.check_listing(path))

    def test_npz_export_loads_in_numpy_with_the_values(self):
        # From an npz (a Fortran-order array among them), a big-endian one, and a torch.save
        # state_dict (a transposed view, int8, bool): np.load gives the same arrays back.
        out = self.path("out.npz")
        big = {"a": np.arange(6, dtype=">f4").reshape(2, 3), "b": np.arange(3, dtype=">i8")}
        for name, want in (("src.npz", arrays()), ("big.npz", big)):
            src = self.path(name)
            np.savez(src, **want)
            ckpt("apply", src, "--config", self.cfg, "-o", out)
            got = np.load(out)
            want = exported_weights(want)
            self.assertEqual(set(got.files), set(want))
            for k, v in want.items():
                self.assertTrue(np.array_equal(got[k], v), k)
                self.assertEqual(got[k].dtype, v.dtype.newbyteorder("="), k)
        state = {"w": torch.arange(12.0).reshape(3, 4).t(), "q": torch.tensor([-3, 4], dtype=torch.int8),
                 "m": torch.tensor([True, False])}
        pt = self.path("state.pt")
        torch.save(state, pt)
        ckpt("apply", pt, "--config", self.cfg, "-o", out, "--format", "npz")
        got = np.load(out)
        for k, v in state.items():
            self.assertTrue(np.array_equal(got[k], v.numpy()), k)

    def test_big_endian_arrays(self):
        path = self.path("big.npz")
        np.savez(path, a=np.arange(6, dtype=">f4").reshape(2, 3), b=np.arange(3, dtype=">i8"))
        self.check_export(path, self.check_listing(path))

    def test_object_arrays_are_scanned_not_run(self):
        class Boom:
            def __reduce__(self):
                return (os.system, ("echo pwned",))
        path = self.path("objects.npz")
        np.savez(path, w=np.ones(3, dtype=np.float32), o=np.array([Boom()], dtype=object))
        report = json.loads(ckpt("inspect", "--json", path).stdout)
        self.assertEqual([t["name"] for t in report["tensors"]], ["w"])
        self.assertTrue(report["dangerous"])
        self.assertTrue(any("objects" in w for w in report["warnings"]))

    def test_broken_files_give_one_line(self):
        path = self.path("t.npz")
        np.savez_compressed(path, **arrays())
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
        self.assertIn("zip", one_line_error(self, path).lower())
        npy = self.path("lie.npy")
        np.save(npy, np.ones((4, 4), dtype=np.float32))
        with open(npy, "r+b") as f:
            f.truncate(os.path.getsize(npy) - 8)  # the header promises 64 bytes of data
        self.assertIn("lie", one_line_error(self, npy))


if __name__ == "__main__":
    unittest.main()
