"""Seed corpora for the fuzz targets, written by the real libraries (Debian's torch 1.13 and
numpy, CPython's pickle, the fixtures' safetensors writer): small files of every kind the
targets read. python3 make_seeds.py OUT writes OUT/<kind>/<files>."""
import collections
import io
import json
import os
import pickle
import sys
import zipfile

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import safetensors_writer  # noqa: E402

out = sys.argv[1]
for kind in ("pickle", "zip", "npy", "npz", "config", "safetensors", "index", "listing"):
    os.makedirs(os.path.join(out, kind), exist_ok=True)


def write(kind, name, data):
    with open(os.path.join(out, kind, name), "wb") as f:
        f.write(data)


class Evil:
    def __reduce__(self):  # pickled only
        return (os.system, ("true",))


state = collections.OrderedDict(w=torch.arange(6, dtype=torch.float32).reshape(2, 3), b=torch.zeros(3, dtype=torch.int64))
values = {"list": [1, "a", 2.5, None, True], "dict": {"a": (1, 2), "b": b"xy", 3: frozenset({1})},
          "big": list(range(300)), "evil": Evil(), "nested": [[[]]], "set": {1, 2}, "bytes": bytearray(b"ab")}
for name, value in values.items():
    for protocol in (0, 2, 4, 5):
        write("pickle", f"{name}_p{protocol}.pkl", pickle.dumps(value, protocol=protocol))
buffer = io.BytesIO()
torch.save(state, buffer, _use_new_zipfile_serialization=False)
write("pickle", "legacy.pt", buffer.getvalue())
for name, obj in {"state": state, "nested": {"model": state, "epoch": 3, "opt": {"lr": 0.1}},
                  "views": {"a": state["w"], "b": state["w"][1:]}}.items():
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write("zip", f"{name}.pt", buffer.getvalue())
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("a/data.pkl", pickle.dumps(state["w"].tolist()))
    z.writestr("a/version", "3\n")
write("zip", "deflated.zip", buffer.getvalue())
for name, array in {"f4": np.arange(6, dtype="<f4").reshape(2, 3), "obj": np.array([(1, 2), "x"], dtype=object),
                    "structured": np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8", (2,))]), "fortran": np.asfortranarray(np.ones((2, 2)))}.items():
    buffer = io.BytesIO()
    np.save(buffer, array)
    write("npy", f"{name}.npy", buffer.getvalue())
for name, save in (("stored", np.savez), ("compressed", np.savez_compressed)):
    buffer = io.BytesIO()
    save(buffer, w=np.arange(6, dtype="<f4").reshape(2, 3), o=np.array([1, "x"], dtype=object),
         **{"params/b": np.zeros(3, dtype="<i8"), "params/f": np.asfortranarray(np.ones((2, 3), dtype="<f2"))})
    write("npz", f"{name}.npz", buffer.getvalue())
configs = {
    "freeze.json": json.dumps({"version": 1, "rules": [{"action": "freeze", "match": {"glob": "layer[123].*"}},
                                                       {"action": "drop", "match": {"prefix": "fc."}},
                                                       {"action": "unfreeze", "match": {"module": "layer3.1"}}]}),
    "cast.yaml": "version: 1\nrules:\n  - action: cast\n    match: {glob: '*.weight'}\n    dtype: bfloat16\n  - action: drop\n    match: {module: decoder}\n",
    "schedule.yaml": "version: 1\nweights: state_dict\nrules:\n  - action: freeze\n    match: {glob: 'layer1.*'}\nschedule:\n  - {step: 100, unfreeze: {glob: 'layer1.*'}}\n",
    "surgery.json": json.dumps({"sources": {"t": "t.safetensors", "i": {"path": "v.ckpt", "weights": ["state_dict"]}}, "rules": [
        {"action": "take", "from": "t", "match": {"prefix": "enc."}, "prefix": "enc.", "to": "text."},
        {"action": "stack", "match": {"regex": r"^l\.(\d+)\.(.+)$"}, "to": r"l.\2", "key": r"\1", "axis": 0},
        {"action": "concat", "match": {"regex": "^(q|k|v)$"}, "to": "qkv", "key": r"\1", "order": ["q", "k", "v"], "axis": 1},
        {"action": "unstack", "match": "x", "to": "x.{i}"},
        {"action": "split", "match": "qkv", "parts": [{"to": "q", "size": 2}, {"to": "k"}]},
        {"action": "transpose", "match": "w", "dims": [1, 0]}, {"action": "reshape", "match": "w", "shape": [2, -1]},
        {"action": "lora", "from": "i", "scale": 0.5},
        {"action": "merge", "method": "ties", "match": "*", "weights": {"self": 1, "t": 1}, "base": "i", "density": 0.3}]}),
}
for name, text in configs.items():
    write("config", name, (b"\x01" if name.endswith(".yaml") else b"\x00") + text.encode())
safetensors_writer.save(dict(state), os.path.join(out, "safetensors", "small.safetensors"), {"format": "pt"})
safetensors_writer.save({"x": torch.ones(2, dtype=torch.bfloat16)}, os.path.join(out, "safetensors", "bf16.safetensors"))
write("index", "model.safetensors.index.json", json.dumps(
    {"metadata": {"total_size": 36}, "weight_map": {"w": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}).encode())
# Remote listings, as the Hub's tree API and S3's ListObjectsV2 document them, and addresses;
# the first byte picks the parser (fuzz_listing.cpp).
tree = [{"type": "file", "oid": "a" * 40, "size": 1519, "path": "config.json"},
        {"type": "directory", "oid": "b" * 40, "size": 0, "path": "sub"},
        {"type": "file", "oid": "c" * 40, "size": 4975698, "path": "model-00001-of-00002.safetensors",
         "lfs": {"oid": "d" * 64, "size": 4975698, "pointerSize": 135}}]
write("listing", "tree.json", b"\x00" + json.dumps(tree).encode())
write("listing", "subtree.json", b"\x00" + json.dumps([{"type": "file", "path": "sub/folder/x.bin", "size": 3}]).encode())
xml = ('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
       "<Name>models</Name><Prefix>runs/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>"
       "<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
       "<Contents><Key>runs/model.safetensors</Key><Size>1024</Size><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></Contents>"
       "<Contents><Key>runs/a&amp;b.pt</Key><Size>1</Size></Contents>"
       "<CommonPrefixes><Prefix>runs/step-1000/</Prefix></CommonPrefixes></ListBucketResult>")
write("listing", "list.xml", b"\x01" + xml.encode())
for i, address in enumerate(["hf://meta-llama/Llama-3.1-8B", "hf://datasets/org/name@refs%2Fpr%2F1/a/b.json",
                             "s3://bucket/runs/step-1000/", "hf://org/repo/../x"]):
    write("listing", f"address{i}.txt", b"\x02" + address.encode())
write("listing", "escapes.txt", b"\x03" + b"a%2Fb%zz&amp;&#x41;&#65;&bogus;%")
print("seeds written to", out)
