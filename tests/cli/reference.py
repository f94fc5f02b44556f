"""What PyTorch itself says about a fixture, for the CLI tests to compare against."""
import json
import os
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
from fixture_classes import register_main_classes  # noqa: E402
import safetensors_writer  # noqa: E402

register_main_classes()
CKPT = os.environ.get("CKPT_BIN", "ckpt")
FIXTURES = os.environ.get("CKPT_FIXTURES", "")


def manifest():
    with open(os.path.join(FIXTURES, "manifest.json")) as f:
        return json.load(f)


def fixture(relative):
    return os.path.join(FIXTURES, relative)


def run(*args, timeout=30):
    """Runs ckpt; returns (exit status, stdout bytes, stderr bytes)."""
    r = subprocess.run([CKPT, *args], capture_output=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def inspect_json(path):
    status, out, err = run("inspect", "--json", path)
    assert status == 0, f"ckpt inspect {path} failed: {err.decode(errors='replace')}"
    return json.loads(out)


def key_element(k):
    if isinstance(k, str):
        return k
    if isinstance(k, bool) or isinstance(k, int):
        return int(k)
    return repr(k)


def torch_listing(obj):
    """Every (path, tensor) reachable in a torch.load result, walked the way ckpt documents
    it: dicts by key, lists/tuples by position, objects through their __dict__ (their pickled
    state), sparse tensors as their parts; a container reached twice is expanded at its first
    path only."""
    out, expanded = [], set()

    def walk(o, path):
        if isinstance(o, torch.Tensor) and o.layout != torch.strided:
            # A sparse tensor is listed as its parts, by the names of torch's accessors.
            parts = {torch.sparse_coo: ["_indices", "_values"],
                     torch.sparse_csr: ["crow_indices", "col_indices", "values"],
                     torch.sparse_csc: ["ccol_indices", "row_indices", "values"]}[o.layout]
            for name in parts:
                out.append((path + [name.lstrip("_")], getattr(o, name)()))
            return
        if isinstance(o, torch.Tensor):
            out.append((path, o))
            return
        if isinstance(o, (dict, list, tuple)) or hasattr(o, "__dict__"):
            if id(o) in expanded or isinstance(o, type):
                return
            expanded.add(id(o))
        if isinstance(o, dict):
            for k, v in o.items():
                walk(v, path + [key_element(k)])
        elif isinstance(o, (list, tuple)):
            for i, v in enumerate(o):
                walk(v, path + [i])
        elif hasattr(o, "__dict__") and not isinstance(o, type):
            for k, v in vars(o).items():
                walk(v, path + [key_element(k)])

    walk(obj, [])
    return out


def dtype_name(t):
    return str(t.dtype).replace("torch.", "")


def storage_ptr(t):
    if t.is_quantized or t.device.type == "meta":
        return None
    s = t.storage()
    return s.data_ptr() if s.size() > 0 else None


def safetensors_listing(path):
    return safetensors_writer.read_header(path)


CODES = {"BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "int16", "F16": "float16",
         "BF16": "bfloat16", "I32": "int32", "F32": "float32", "F64": "float64",
         "I64": "int64", "C64": "complex64"}
