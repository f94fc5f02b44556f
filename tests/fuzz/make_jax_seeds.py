"""Seeds from the JAX ecosystem's writers, run in the test oracles' environment: OUT/folder/ holds
Orbax checkpoints written by orbax-checkpoint (OCDBT with zarr v2 and v3, per-array zarr
folders), each packed as fuzz_folder.cpp unpacks it (records of [u16 LE name length][name]
[u32 LE size][bytes]); OUT/msgpack/ holds flax.serialization.to_bytes of small states, one with
arrays cut into chunks; OUT/pt2/ holds a torch.export.save archive (the same environment's
torch 2.x). python make_jax_seeds.py OUT"""
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


def main(root):
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
