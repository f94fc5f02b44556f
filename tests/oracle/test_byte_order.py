"""A checkpoint saved on a big-endian machine, against torch 2.x in the same run: torch.load
reads its byteorder record and swaps; `ckpt apply` keeps the bytes and the record in PyTorch
output (casts computed in the right order), and writes little-endian safetensors, so that both
outputs load to the source's values."""
import io
import json
import os
import subprocess
import tempfile
import unittest
import zipfile

import torch
from safetensors.torch import load_file

CKPT = os.environ.get("CKPT_BIN", "ckpt")


def big_endian_copy(sd, path):
    """torch.save's archive with the storages byte-swapped and byteorder "big", as a
    big-endian machine writes it."""
    buf = io.BytesIO()
    torch.save(sd, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    # data/<key> -> the dtype of the tensor stored there, to swap by element.
    import pickle

    class Peek(pickle.Unpickler):
        dtypes = {}

        def find_class(self, module, name):
            if module == "torch._utils" and name == "_rebuild_tensor_v2":
                return lambda storage, *a: storage
            if module == "torch" and name.endswith("Storage"):
                return name
            if module == "collections" and name == "OrderedDict":
                import collections
                return collections.OrderedDict
            raise pickle.UnpicklingError(name)

        def persistent_load(self, pid):
            _, storage_type, key, _, _ = pid
            Peek.dtypes[key] = storage_type
            return key

    prefix = src.namelist()[0].split("/")[0]
    Peek(io.BytesIO(src.read(f"{prefix}/data.pkl"))).load()
    widths = {"FloatStorage": (4, 1), "LongStorage": (8, 1), "HalfStorage": (2, 1), "ComplexFloatStorage": (4, 2),
              "DoubleStorage": (8, 1), "BFloat16Storage": (2, 1), "IntStorage": (4, 1)}
    with zipfile.ZipFile(path, "w") as z:
        for n in src.namelist():
            data = src.read(n)
            if n.endswith("/byteorder"):
                data = b"big"
            elif "/data/" in n:
                unit = widths[Peek.dtypes[n.rsplit("/", 1)[1]]][0]
                data = b"".join(data[i:i + unit][::-1] for i in range(0, len(data), unit))
            z.writestr(n, data)


class BigEndian(unittest.TestCase):
    def test_exports_keep_the_values(self):
        sd = {"w": torch.tensor([-1.925, 2.5, 3.0e-3]), "i": torch.arange(-2, 3, dtype=torch.int64),
              "c": torch.tensor([1 + 2j, -3.5 + 0.25j], dtype=torch.complex64),
              "h": torch.tensor([1.5, -0.125], dtype=torch.float16), "d": torch.tensor([1e-300, -2.0], dtype=torch.float64)}
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "big.pt")
            big_endian_copy(sd, path)
            loaded = torch.load(path, weights_only=True)
            for k, v in sd.items():
                self.assertTrue(torch.equal(loaded[k], v), f"torch reads {k} back")  # the oracle swaps
            config = os.path.join(tmp, "rules.json")
            with open(config, "w") as f:
                json.dump({"rules": [{"action": "cast", "match": {"name": "d"}, "to": "float32"}]}, f)
            for out, read in [("out.pt", lambda p: torch.load(p, weights_only=True)), ("out.safetensors", load_file)]:
                target = os.path.join(tmp, out)
                r = subprocess.run([CKPT, "apply", path, "--config", config, "-o", target], capture_output=True, timeout=60)
                with self.subTest(output=out):
                    self.assertEqual(r.returncode, 0, r.stderr)
                    got = read(target)
                    for k, v in sd.items():
                        want = v.to(torch.float32) if k == "d" else v
                        self.assertTrue(torch.equal(got[k], want), f"{k}: {got[k]} != {want}")


if __name__ == "__main__":
    unittest.main()
