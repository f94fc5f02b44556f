"""Seeds from the JAX ecosystem's writers, run in the test oracles' environment: OUT/folder/ holds
Orbax checkpoints written by orbax-checkpoint (OCDBT with zarr v2 and v3, per-array zarr
folders), each packed as fuzz_folder.cpp unpacks it (records of [u16 LE name length][name]
[u32 LE size][bytes]); OUT/msgpack/ holds flax.serialization.to_bytes of small states, one with
arrays cut into chunks; OUT/pt2/ holds a torch.export.save archive (the same environment's
torch 2.x); OUT/hdf5/ holds Keras 3 and legacy Keras weight files, each with the catalog the
HDF5 helper would print for it as h5py sees the file, packed as fuzz_hdf5_catalog.cpp unpacks
it ([u32 LE size][catalog JSON][file bytes]); OUT/gguf/ holds GGUF files the gguf package writes
(metadata of every value type, a tensor of each block type ckpt decodes, both byte orders).
python make_jax_seeds.py OUT"""
import json
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "oracle", "orbax_fixture.py")


def pack(folder):
    out = b""
    for base, _, names in sorted(os.walk(folder)):
        for n in sorted(names):
            path = os.path.join(base, n)
            rel = os.path.relpath(path, folder).encode()
            data = open(path, "rb").read()
            out += struct.pack("<H", len(rel)) + rel + struct.pack("<I", len(data)) + data
    return out


def msgpack_seeds(out):
    import flax.serialization as fs
    import numpy as np
    os.makedirs(out, exist_ok=True)
    tree = {"params": {"dense": {"kernel": np.arange(12, dtype=np.float32).reshape(3, 4), "bias": np.zeros(4, np.int64)}},
            "step": np.array(3, np.int32), "note": "text", "flags": [True, None, 2.5, -7]}
    open(os.path.join(out, "state.msgpack"), "wb").write(fs.to_bytes(tree))
    fs.MAX_CHUNK_SIZE = 16
    open(os.path.join(out, "chunked.msgpack"), "wb").write(fs.to_bytes(tree))


def pt2_seeds(out):
    import torch
    os.makedirs(out, exist_ok=True)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 2)
            self.tied = self.lin.weight
            self.register_buffer("count", torch.arange(4))

        def forward(self, x):
            return self.lin(x) + self.count.sum()

    torch.export.save(torch.export.export(Net(), (torch.ones(1, 3),)), os.path.join(out, "net.pt2"))


def h5py_catalog(path):
    """What ckpt-hdf5-reader lists, as h5py reads the file (contiguous datasets by offset)."""
    import h5py
    import numpy as np

    def attrs(o):
        out = {}
        for k, v in o.attrs.items():
            v = v.decode() if isinstance(v, bytes) else v
            v = v.tolist() if isinstance(v, np.ndarray) else v
            v = [x.decode() if isinstance(x, bytes) else x for x in v] if isinstance(v, list) else v
            out[k] = v.item() if isinstance(v, np.generic) else v
        return out
    groups, datasets = [{"path": "", "attributes": {}}], []
    with h5py.File(path) as f:
        groups[0]["attributes"] = attrs(f)

        def visit(name, o):
            if isinstance(o, h5py.Group):
                groups.append({"path": name, "attributes": attrs(o)})
                return
            dt = o.dtype
            kind = {"f": "float", "i": "integer", "u": "integer", "b": "bool", "V": "opaque"}.get(dt.kind, "other")
            bits = {2: (5, 10), 4: (8, 23), 8: (11, 52)}.get(dt.itemsize, (0, 0)) if kind == "float" else (0, 0)
            d = {"path": name, "type": {"kind": kind, "size": dt.itemsize, "bigEndian": dt.byteorder == ">",
                                        "signed": dt.kind != "u", "exponentBits": bits[0], "mantissaBits": bits[1],
                                        "text": str(dt)},
                 "shape": list(o.shape), "null": False, "layout": "contiguous", "storageBytes": o.id.get_storage_size(),
                 "filters": [], "attributes": attrs(o)}
            if o.id.get_offset() is not None:
                d["offset"] = o.id.get_offset()
            else:
                d["data"] = np.ascontiguousarray(o[()]).tobytes().hex()
            datasets.append(d)
        f.visititems(visit)
    return json.dumps({"groups": groups, "datasets": datasets, "warnings": []}).encode()


def hdf5_seeds(out):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format
    os.makedirs(out, exist_ok=True)
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2, dtype="bfloat16")])
    with tempfile.TemporaryDirectory() as tmp:
        files = {"keras3.weights.h5": lambda p: m.save_weights(p), "legacy_model.h5": lambda p: m.save(p),
                 "legacy_weights.h5": lambda p: legacy_h5_format.save_weights_to_hdf5_group(h5py.File(p, "w"), m)}
        for name, save in files.items():
            p = os.path.join(tmp, name)
            save(p)
            catalog = h5py_catalog(p)
            with open(os.path.join(out, name + ".seed"), "wb") as f:
                f.write(struct.pack("<I", len(catalog)) + catalog + open(p, "rb").read())


def gguf_seeds(out):
    import gguf
    import numpy as np
    from gguf import GGMLQuantizationType as T
    from gguf import quants
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    for order in (gguf.GGUFEndian.LITTLE, gguf.GGUFEndian.BIG):
        p = os.path.join(out, f"{order.name.lower()}.gguf")
        w = gguf.GGUFWriter(p, "llama", endianess=order)
        w.add_uint32("a.u32", 7)
        w.add_int8("a.i8", -3)
        w.add_float64("a.f64", 0.5)
        w.add_bool("a.flag", True)
        w.add_array("a.tokens", ["x", "y", "z"])
        w.add_array("a.nested", [[1, 2], [3]])
        w.add_chat_template("{{ messages[0].content }}")
        w.add_tensor("f32", rng.standard_normal((2, 32)).astype(np.float32))
        w.add_tensor("f16", rng.standard_normal(32).astype(np.float16))
        if order == gguf.GGUFEndian.LITTLE:
            x = rng.standard_normal((1, 256)).astype(np.float32)
            for t in (T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.MXFP4, T.BF16):
                w.add_tensor(t.name, quants.quantize(x, t), raw_dtype=t)
            for t in (T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K, T.IQ4_XS, T.IQ2_XXS):
                size = gguf.GGML_QUANT_SIZES[t][1]
                w.add_tensor(t.name, rng.integers(0, 256, (1, size), dtype=np.uint8), raw_dtype=t)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()


def main(root):
    gguf_seeds(os.path.join(root, "gguf"))
    hdf5_seeds(os.path.join(root, "hdf5"))
    msgpack_seeds(os.path.join(root, "msgpack"))
    pt2_seeds(os.path.join(root, "pt2"))
    out = os.path.join(root, "folder")
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("ocdbt", "plain", "zarr3", "zarr3-plain"):
            folder = os.path.join(tmp, kind)
            subprocess.run([sys.executable, FIXTURE, kind, folder], check=True, capture_output=True, timeout=600)
            with open(os.path.join(out, kind + ".pack"), "wb") as f:
                f.write(pack(folder))


if __name__ == "__main__":
    main(sys.argv[1])
