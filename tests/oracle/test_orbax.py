"""Orbax checkpoints written by orbax-checkpoint itself (OCDBT on and off, zarr v2 and v3, an
array cut across a mesh of 4 fake CPU devices, a CheckpointManager step of two items), read by
ckpt and compared in the same run with orbax's restore and TensorStore's own read: every
array's path, shape and dtype, and its values after export to PyTorch and safetensors; the
partial export of `params` alone; broken and hostile folders give one error line."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402
import orbax.checkpoint as ocp  # noqa: E402
import tensorstore as ts  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ckpt_run import ckpt, empty_config, one_line_error  # noqa: E402

KINDS = ("ocdbt", "plain", "zarr3", "zarr3-plain", "sharded")
_made = {}
_root = tempfile.mkdtemp(prefix="ckpt-orbax-")


def written(kind):
    """The folder orbax wrote for `kind` (once per run, in a subprocess: its JAX devices)."""
    if kind not in _made:
        folder = os.path.join(_root, kind)
        subprocess.run([sys.executable, os.path.join(HERE, "orbax_fixture.py"), kind, folder], check=True,
                       capture_output=True, timeout=600)
        _made[kind] = folder
    return _made[kind]


def flat(tree, prefix=()):
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from flat(v, prefix + (str(k),))
    elif isinstance(tree, (list, tuple)):
        for i, v in enumerate(tree):
            yield from flat(v, prefix + (str(i),))
    else:
        yield prefix, tree


def restored(folder):
    """What orbax itself restores, as {path: numpy array}."""
    tree = ocp.PyTreeCheckpointer().restore(folder)
    return {p: np.asarray(v) for p, v in flat(tree)}


def as_float(a):
    a = np.asarray(a)
    return a.astype(np.float32) if a.dtype.name == "bfloat16" else a


def torch_dtype(a):
    name = np.asarray(a).dtype.name
    if name == "bfloat16":  # ml_dtypes', which torch.from_numpy does not take
        return name
    return str(torch.from_numpy(np.zeros(1, dtype=name)).dtype).removeprefix("torch.")


class TestOrbax(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.cfg = empty_config(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def listing(self, folder):
        return {tuple(str(e) for e in t["path"]): t for t in json.loads(ckpt("inspect", "--json", folder).stdout)["tensors"]}

    def check_listing(self, folder, want):
        listed = self.listing(folder)
        self.assertEqual(set(listed), set(want), folder)
        for p, v in want.items():
            self.assertEqual(listed[p]["shape"], list(v.shape), p)
            self.assertEqual(listed[p]["dtype"], torch_dtype(v), p)

    def check_pytorch_export(self, folder, want):
        out = os.path.join(self.tmp.name, "out.pt")
        ckpt("apply", folder, "--config", self.cfg, "-o", out)
        got = torch.load(out, weights_only=True)
        for p, v in want.items():
            # The params pytree becomes a flat state_dict with '.'-joined names; the rest nests.
            node = got["params"][".".join(p[1:])] if p[0] == "params" else got
            if p[0] != "params":
                for k in p:
                    node = node[int(k)] if isinstance(node, list) else node[k]
            t = node.float().numpy() if node.dtype == torch.bfloat16 else node.numpy()
            self.assertTrue(np.array_equal(t, as_float(v)), p)

    def test_every_layout_lists_and_exports_what_orbax_restores(self):
        for kind in KINDS:
            with self.subTest(kind=kind):
                folder = written(kind)
                want = restored(folder)
                self.check_listing(folder, want)
                self.check_pytorch_export(folder, want)

    def test_sharded_array_is_listed_in_its_chunks(self):
        folder = written("sharded")
        listed = self.listing(folder)
        wide = listed[("params", "wide")]
        self.assertEqual(len(wide["chunks"]), 4, wide)  # one per device of the mesh
        self.assertEqual(sorted(c["offsets"][0] for c in wide["chunks"]), [0, 2, 4, 6])

    def test_values_equal_tensorstore_read_of_each_array(self):
        for kind, driver, ocdbt in (("sharded", "zarr", True), ("zarr3", "zarr3", True), ("zarr3-plain", "zarr3", False)):
            folder = written(kind)
            out = os.path.join(self.tmp.name, kind + ".safetensors")
            ckpt("apply", folder, "--config", self.cfg, "-o", out, "--format", "safetensors")
            got = load_file(out)
            for name, t in got.items():
                key = "params." + name
                kv = ({"driver": "ocdbt", "base": "file://" + folder, "path": key} if ocdbt
                      else {"driver": "file", "path": os.path.join(folder, key)})
                arr = ts.open({"driver": driver, "kvstore": kv}, open=True).result().read().result()
                mine = t.float().numpy() if t.dtype == torch.bfloat16 else t.numpy()
                self.assertTrue(np.array_equal(mine, as_float(arr)), (kind, name))

    def test_partial_export_of_params_skips_opt_state(self):
        folder = written("ocdbt")
        out = os.path.join(self.tmp.name, "params.safetensors")
        ckpt("apply", folder, "--config", self.cfg, "-o", out, "--format", "safetensors")
        want = {".".join(p[1:]): v for p, v in restored(folder).items() if p[0] == "params"}
        got = load_file(out)
        self.assertEqual(set(got), set(want))
        for k, v in want.items():
            mine = got[k].float().numpy() if got[k].dtype == torch.bfloat16 else got[k].numpy()
            self.assertTrue(np.array_equal(mine, as_float(v)), k)

    def test_manager_step_holds_each_item(self):
        folder = os.path.join(self.tmp.name, "mgr")
        subprocess.run([sys.executable, os.path.join(HERE, "orbax_fixture.py"), "manager", folder], check=True,
                       capture_output=True, timeout=600)
        step = os.path.join(folder, "3")
        want = {}
        for item in ("state", "extra"):
            want.update({(item,) + p: v for p, v in restored(os.path.join(step, item)).items()})
        self.check_listing(step, want)


class TestBrokenOrbax(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = os.path.join(self.tmp.name, "ck")
        shutil.copytree(written("ocdbt"), self.dir)

    def tearDown(self):
        self.tmp.cleanup()

    def data_files(self):
        out = []
        for base, _, names in os.walk(self.dir):
            out += [os.path.join(base, n) for n in names if os.path.basename(base) == "d"]
        return out

    def test_truncated_manifest(self):
        path = os.path.join(self.dir, "manifest.ocdbt")
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
        self.assertIn("manifest.ocdbt", one_line_error(self, self.dir))

    def test_damaged_node_fails_its_checksum(self):
        hit = 0
        for path in self.data_files():
            data = bytearray(open(path, "rb").read())
            if data[:4] == bytes.fromhex("0cdb20de"):  # a B+tree node
                data[len(data) // 2] ^= 0xFF
                open(path, "wb").write(bytes(data))
                hit += 1
        self.assertGreater(hit, 0)
        self.assertIn("CRC-32C", one_line_error(self, self.dir))

    def test_missing_data_file(self):
        for path in self.data_files():
            os.remove(path)
        self.assertIn("OCDBT data file", one_line_error(self, self.dir))

    def test_lying_zarr_shape(self):
        plain = os.path.join(self.tmp.name, "plain")
        shutil.copytree(written("plain"), plain)
        meta = os.path.join(plain, "params.embed", ".zarray")
        z = json.load(open(meta))
        z["shape"], z["chunks"] = [1 << 40, 1 << 40], [1 << 40, 1 << 40]
        json.dump(z, open(meta, "w"))
        self.assertIn("params.embed", one_line_error(self, plain))

    def test_array_name_leaving_the_folder(self):
        plain = os.path.join(self.tmp.name, "plain")
        shutil.copytree(written("plain"), plain)
        meta = os.path.join(plain, "_METADATA")
        m = json.load(open(meta))
        m["tree_metadata"]["('x',)"] = {"key_metadata": [{"key": "../../etc", "key_type": 2}],
                                        "value_metadata": {"value_type": "np.ndarray"}}
        json.dump(m, open(meta, "w"))
        self.assertIn("outside", one_line_error(self, plain))


def tearDownModule():
    shutil.rmtree(_root, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
