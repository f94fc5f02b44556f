"""Orbax checkpoints written by orbax-checkpoint itself (OCDBT on and off, zarr v2 and v3, an
array cut across a mesh of 4 fake CPU devices, a CheckpointManager step of two items), read by
ckpt and compared in the same run with orbax's restore and TensorStore's own read: every
array's path, shape and dtype, and its values after export to PyTorch and safetensors; the
partial export of `params` alone; broken and hostile folders give one error line."""
import json
import os
import shutil
import struct
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
from ckpt_run import FolderTest, ckpt, one_line_error  # noqa: E402

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


def read_json(path):
    with open(path) as f:
        return json.load(f)


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f)


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


def _crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def _varint(n):
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _ocdbt_object(magic, body):
    """An encoded OCDBT manifest or node (TensorStore's index.rst): header, body, CRC-32C."""
    head_len = 4 + 8
    tail = _varint(0) + _varint(0) + body  # version 0, uncompressed
    length = head_len + len(tail) + 4
    data = struct.pack(">I", magic) + struct.pack("<Q", length) + tail
    return data + struct.pack("<I", _crc32c(data))


_TABLE = _varint(1) + _varint(3) + _varint(0) + b"d/x"  # one data file, d/x


def _interior(height, children):
    """A B+tree interior node whose children are (offset, length) in d/x, keys k0000, k0001..."""
    keys = [f"k{i:04d}".encode() for i in range(len(children))]
    body = bytes([height]) + _TABLE + _varint(len(keys))
    body += b"".join(_varint(1) for _ in keys[1:])            # prefix lengths: "k"
    body += _varint(len(keys[0])) + b"".join(_varint(len(k) - 1) for k in keys[1:])
    body += b"".join(_varint(0) for _ in keys)                # subtree common prefixes
    body += keys[0] + b"".join(k[1:] for k in keys[1:])
    body += b"".join(_varint(0) for _ in keys)                # file ids
    body += b"".join(_varint(o) for o, _ in children) + b"".join(_varint(n) for _, n in children)
    body += b"".join(_varint(0) for _ in range(3 * len(keys)))
    return _ocdbt_object(0x0CDB20DE, body)


def _leaf():
    body = bytes([0]) + _TABLE + _varint(1) + _varint(1) + b"k" + _varint(1) + b"\x00" + b"v"
    return _ocdbt_object(0x0CDB20DE, body)


def _write_ocdbt(folder, data, root, height):
    os.makedirs(os.path.join(folder, "d"), exist_ok=True)
    with open(os.path.join(folder, "d", "x"), "wb") as f:
        f.write(data)
    body = bytes(16) + bytes([0]) + _varint(1024) + _varint(1 << 20) + bytes([4]) + _varint(0) + _TABLE
    body += _varint(1) + _varint(1) + bytes([height]) + _varint(0) + _varint(root[0]) + _varint(root[1])
    body += _varint(1) + _varint(0) + _varint(0) + struct.pack("<Q", 0) + _varint(0)
    with open(os.path.join(folder, "manifest.ocdbt"), "wb") as f:
        f.write(_ocdbt_object(0x0CDB3A2A, body))


class TestOrbax(FolderTest):
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
        # The manager's root opens its latest finished step: not 1 (older), not 7 (no
        # _CHECKPOINT_METADATA: a save that did not finish).
        shutil.copytree(step, os.path.join(folder, "1"))
        os.makedirs(os.path.join(folder, "7", "state"))
        self.check_listing(folder, want)
        info = json.loads(ckpt("inspect", "--json", folder).stdout)
        self.assertEqual(info["metadata"]["step"], "3")


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
            with open(path, "rb") as f:
                data = bytearray(f.read())
            if data[:4] == bytes.fromhex("0cdb20de"):  # a B+tree node
                data[len(data) // 2] ^= 0xFF
                with open(path, "wb") as f:
                    f.write(bytes(data))
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
        z = read_json(meta)
        z["shape"], z["chunks"] = [1 << 40, 1 << 40], [1 << 40, 1 << 40]
        write_json(meta, z)
        self.assertIn("params.embed", one_line_error(self, plain))

    def test_array_name_leaving_the_folder(self):
        plain = os.path.join(self.tmp.name, "plain")
        shutil.copytree(written("plain"), plain)
        meta = os.path.join(plain, "_METADATA")
        m = read_json(meta)
        m["tree_metadata"]["('x',)"] = {"key_metadata": [{"key": "../../etc", "key_type": 2}],
                                        "value_metadata": {"value_type": "np.ndarray"}}
        write_json(meta, m)
        self.assertIn("outside", one_line_error(self, plain))

    def test_ocdbt_node_pointing_at_itself(self):
        folder = os.path.join(self.tmp.name, "cycle")
        # An interior node whose one child is the node itself: the heights cannot agree.
        length = len(_interior(1, [(0, 0)]))
        for _ in range(3):  # the node's own length is in it: settle it
            node = _interior(1, [(0, length)])
            length = len(node)
        _write_ocdbt(folder, node, (0, len(node)), 1)
        self.assertIn("height", one_line_error(self, folder))

    def test_ocdbt_tree_that_multiplies_its_paths(self):
        folder = os.path.join(self.tmp.name, "dag")
        leaf = _leaf()
        mid = _interior(1, [(0, len(leaf))] * 1100)
        root = _interior(2, [(len(leaf), len(mid))] * 1100)  # 1100 * 1100 paths to one leaf
        _write_ocdbt(folder, leaf + mid + root, (len(leaf) + len(mid), len(root)), 2)
        self.assertIn("2^20 nodes", one_line_error(self, folder))


def tearDownModule():
    shutil.rmtree(_root, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
