"""Keras and HDF5 files written by Keras 3 itself (its torch backend: `model.save` to .keras and
to legacy .h5, `save_weights` to .weights.h5, Keras 2's weights-only layout through Keras's own
legacy writer) and by h5py (user block, chunked and gzip, compact, big-endian, links), read by
ckpt and compared in the same run with h5py's read of every dataset: path, shape, dtype, and
the values after export to safetensors and PyTorch. A Lambda layer is reported dangerous, as
Keras's safe_mode refuses it and modelscan flags it; broken, lying and hostile files give one
error line with bounded memory."""
import contextlib
import io
import json
import os
import resource
import struct
import subprocess
import sys
import unittest
import zipfile

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import keras  # noqa: E402
import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ckpt_run import FolderTest, CKPT, ckpt, one_line_error  # noqa: E402


def model(bf16=False):
    inp = keras.Input((6, 6, 3))
    x = keras.layers.Conv2D(4, 3, name="conv")(inp)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(8, name="hidden", dtype="bfloat16" if bf16 else None)(x)
    out = keras.layers.Dense(3, name="head")(x)
    m = keras.Model(inp, out)
    m.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    m.fit(rng.standard_normal((4, 6, 6, 3)), rng.standard_normal((4, 3)), verbose=0)
    return m


def h5_datasets(f):
    """Every dataset h5py reads, by path, as NumPy arrays (bfloat16 as Keras reads it back)."""
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            a = obj[()]
            if obj.attrs.get("dtype") == "bfloat16":
                a = np.asarray(a).view(ml_dtypes.bfloat16)
            out[name] = np.asarray(a)
    f.visititems(visit)
    return out


def torch_dtype_name(a):
    if a.dtype == ml_dtypes.bfloat16:
        return "bfloat16"
    return str(torch.from_numpy(np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("=")).reshape(-1)[:0]).dtype).removeprefix("torch.")


def same(got, want):
    if want.dtype == ml_dtypes.bfloat16:
        return np.array_equal(np.asarray(got).view(np.uint16), want.view(np.uint16))
    return np.array_equal(got, want)


class TestKeras(FolderTest):
    def check(self, path, want, weights_root):
        """ckpt lists what h5py reads, and exports the datasets under `weights_root` as the
        weights (safetensors: '.'-joined names below it) with the values h5py reads."""
        report = json.loads(ckpt("inspect", "--json", path).stdout)
        listed = {t["name"]: t for t in report["tensors"]}
        self.assertEqual(set(listed), set(want))
        for k, v in want.items():
            self.assertEqual(listed[k]["shape"], list(v.shape), k)
            self.assertEqual(listed[k]["dtype"], torch_dtype_name(v), k)
        st = self.path("out.safetensors")
        ckpt("apply", path, "--config", self.cfg, "-o", st, "--format", "safetensors")
        got = load_file(st)
        prefix = weights_root + "/" if weights_root else ""
        weights = {k[len(prefix):].replace("/", "."): v for k, v in want.items() if k.startswith(prefix)}
        self.assertEqual(set(got), set(weights))
        for k, v in weights.items():
            self.assertTrue(same(got[k], v), k)
        pt = self.path("out.pt")
        ckpt("apply", path, "--config", self.cfg, "-o", pt)
        loaded = torch.load(pt, weights_only=True)
        state = loaded[weights_root] if weights_root else loaded
        for k, v in weights.items():
            t = state[k]
            self.assertTrue(same(t.view(torch.int16).numpy() if t.dtype == torch.bfloat16 else t.numpy(), v), k)
        return report

    def test_keras3_files_of_a_trained_model(self):
        m = model(bf16=True)
        m.save(self.path("m.keras"))
        m.save_weights(self.path("m.weights.h5"))
        with h5py.File(self.path("m.weights.h5")) as f:
            want = h5_datasets(f)
        self.assertIn("layers/dense/vars/0", want)
        self.assertEqual(want["layers/dense/vars/0"].dtype, ml_dtypes.bfloat16)
        report = self.check(self.path("m.weights.h5"), want, "layers")
        self.assertEqual(report["format"], "keras-weights-h5")
        # The .keras zip holds the same weights file: read where it lies inside the zip.
        with zipfile.ZipFile(self.path("m.keras")) as z:
            with z.open("model.weights.h5") as member, h5py.File(io.BytesIO(member.read())) as f:
                want = h5_datasets(f)
            meta = json.loads(z.read("metadata.json"))
        report = self.check(self.path("m.keras"), want, "layers")
        self.assertEqual(report["format"], "keras")
        self.assertEqual(report["metadata"]["keras_version"], meta["keras_version"])
        self.assertEqual(report["metadata"]["model_class"], "Functional")
        self.assertFalse(report["dangerous"])
        # Keras loads what it saved, so the weights ckpt exported are the model's own.
        loaded = keras.saving.load_model(self.path("m.keras"))
        got = load_file(self.path("out.safetensors"))
        self.assertTrue(np.array_equal(got["dense.vars.1"].view(np.uint16),
                                       np.asarray(loaded.get_layer("hidden").bias.numpy()).view(np.uint16)))
        self.assertTrue(np.array_equal(got["conv2d.vars.0"], loaded.get_layer("conv").kernel.numpy()))

    def test_legacy_h5_whole_model_and_weights_only(self):
        m = model()
        m.save(self.path("m.h5"))
        with h5py.File(self.path("m.h5")) as f:
            want = h5_datasets(f)
            keras_version = f.attrs["keras_version"]
        self.assertIn("model_weights/head/head/kernel", want)
        report = self.check(self.path("m.h5"), want, "model_weights")
        self.assertEqual(report["format"], "keras-legacy-h5")
        self.assertEqual(report["metadata"]["keras_version"], keras_version)
        self.assertEqual(report["metadata"]["model_class"], "Functional")
        with h5py.File(self.path("w.h5"), "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, m)
        with h5py.File(self.path("w.h5")) as f:
            want = h5_datasets(f)
        self.assertIn("head/head/kernel", want)
        self.assertEqual(self.check(self.path("w.h5"), want, "")["format"], "keras-legacy-h5")

    def test_hdf5_layouts_h5py_writes(self):
        rng = np.random.default_rng(1)
        path = self.path("layouts.h5")
        with h5py.File(path, "w", userblock_size=512) as f:
            f["dense/kernel"] = rng.standard_normal((5, 7)).astype(np.float32)
            f.create_dataset("gz", data=rng.standard_normal((40, 30)), chunks=(16, 16), compression="gzip", shuffle=True)
            f.create_dataset("small", data=np.arange(4000, dtype=np.int16) % 7, compression="lzf")
            sid = h5py.h5s.create_simple((4,))
            plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            plist.set_layout(h5py.h5d.COMPACT)
            dset = h5py.h5d.create(f.id, b"compact", h5py.h5t.STD_U8LE, sid, plist)
            dset.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([1, 2, 3, 250], np.uint8))
            f["be"] = np.arange(6, dtype=">f8").reshape(2, 3)
            f["mask"] = np.array([True, False, True])
            f["half"] = rng.standard_normal(4).astype(np.float16)
            f["step"] = np.int64(12)
            f["empty"] = np.zeros((0, 3), np.float32)
            f["ids/u32"] = np.arange(3, dtype=np.uint32)
            f["alias"] = h5py.SoftLink("/dense/kernel")
            f["elsewhere"] = h5py.ExternalLink("/etc/passwd", "/x")
            f["text"] = "not a tensor"
        with h5py.File(path) as f:
            want = h5_datasets(f)
        for k in ("alias", "elsewhere", "text"):
            want.pop(k, None)
        # One table has one byte order (the file's majority): a big-endian dataset among
        # little-endian ones is left out, as is one whose filter (h5py's own lzf) libhdf5
        # alone does not have; each with a warning.
        be = want.pop("be")
        want.pop("small")
        report = self.check(path, want, "")
        warnings = "\n".join(report["warnings"])
        self.assertIn("elsewhere: an external link, not followed", warnings)
        self.assertIn("alias: a soft link, not followed", warnings)
        self.assertIn("text: variable-length string", warnings)
        self.assertIn("be: stored big-endian", warnings)
        self.assertIn("small: its data cannot be read", warnings)
        only_be = self.path("be.h5")
        with h5py.File(only_be, "w") as f:
            f["be"] = be
        self.check(only_be, {"be": be}, "")

    def test_lambda_layers_are_dangerous_as_keras_and_modelscan_say(self):
        m = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(2)])
        m.save(self.path("lambda.keras"))
        m.save(self.path("lambda.h5"))
        clean = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        clean.save(self.path("clean.keras"))
        clean.save(self.path("clean.h5"))
        for name in ("lambda.keras", "clean.keras"):
            try:
                keras.saving.load_model(self.path(name), safe_mode=True)
                keras_refuses = False
            except ValueError as e:
                self.assertIn("Lambda", str(e))
                keras_refuses = True
            report = json.loads(ckpt("inspect", "--json", self.path(name)).stdout)
            self.assertEqual(report["dangerous"], keras_refuses, name)
        from modelscan.modelscan import ModelScan
        from modelscan.settings import DEFAULT_SETTINGS
        for name in ("lambda.h5", "clean.h5"):
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                flagged = ModelScan(settings=DEFAULT_SETTINGS).scan(self.path(name))["summary"]["total_issues"] > 0
            r = ckpt("scan", self.path(name), check=False)
            self.assertEqual(r.returncode == 3, flagged, name + ": " + r.stdout)
        # A config naming a function outside Keras (what CVE-2025-1550 used): dangerous too.
        hostile = self.path("hostile.keras")
        with zipfile.ZipFile(self.path("clean.keras")) as src, zipfile.ZipFile(hostile, "w") as out:
            for item in src.infolist():
                data = src.read(item.filename)
                if item.filename == "config.json":
                    c = json.loads(data)
                    c["config"]["layers"][-1]["config"]["activation"] = {
                        "module": "builtins", "class_name": "function", "config": "exec", "registered_name": "exec"}
                    data = json.dumps(c).encode()
                out.writestr(item, data)
        report = json.loads(ckpt("inspect", "--json", hostile).stdout)
        self.assertTrue(report["dangerous"])

    def test_broken_lying_and_hostile_files(self):
        m = model()
        m.save_weights(self.path("m.weights.h5"))
        with open(self.path("m.weights.h5"), "rb") as f:
            data = f.read()
        cut = self.path("cut.weights.h5")
        with open(cut, "wb") as f:
            f.write(data[: len(data) // 3])
        self.assertIn("cut.weights.h5", one_line_error(self, cut) + cut)
        # Dimensions that claim 2^40 x 2^40 elements of the (3, 3, 3, 4) kernel.
        with h5py.File(self.path("m.weights.h5")) as f:
            self.assertEqual(f["layers/conv2d/vars/0"].shape, (3, 3, 3, 4))
        dims = struct.pack("<QQQQ", 3, 3, 3, 4)  # the kernel's and its two Adam moments' dataspaces
        self.assertGreaterEqual(data.count(dims), 3)
        huge = self.path("huge.weights.h5")
        with open(huge, "wb") as f:
            f.write(data.replace(dims, struct.pack("<QQQQ", 1 << 40, 1 << 40, 3, 4)))
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        r = ckpt("inspect", huge, check=False)
        self.assertLess(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, max(before, 1) + 512 * 1024)
        if r.returncode == 0:  # libhdf5 refused the dataset: it is left out, with a warning
            self.assertNotIn("layers/conv2d/vars/0 ", r.stdout)
        else:
            self.assertEqual(r.returncode, 2)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        # Bytes flipped across the file: each read either works or fails with one line.
        rng = np.random.default_rng(7)
        for i in range(24):
            bad = bytearray(data)
            for at in rng.integers(0, 4096, 16):
                bad[at] ^= int(rng.integers(1, 256))
            p = self.path(f"flip{i}.h5")
            with open(p, "wb") as f:
                f.write(bad)
            r = subprocess.run([CKPT, "inspect", p], capture_output=True, text=True, timeout=180)
            self.assertIn(r.returncode, (0, 2), r.stderr)
            if r.returncode == 2:
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        # A .keras whose weights are deflated, and a zip without them.
        keras_path = self.path("m.keras")
        m.save(keras_path)
        deflated = self.path("deflated.keras")
        with zipfile.ZipFile(keras_path) as src, zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as out:
            for item in src.infolist():
                out.writestr(item.filename, src.read(item.filename))
        self.assertIn("compressed", one_line_error(self, deflated))
        empty = self.path("empty.keras")
        with zipfile.ZipFile(empty, "w") as out:
            out.writestr("metadata.json", "{}")
        self.assertIn("model.weights.h5", one_line_error(self, empty))


if __name__ == "__main__":
    unittest.main()
