"""torch.export archives (.pt2) written by torch.export.save, read by ckpt and compared in the
same run with torch.export.load: the weights and constants with their names, dtypes, shapes
and values (after export too), tied weights sharing one storage, the graph's input signature;
broken archives give one error line."""
import io
import json
import os
import pickle
import sys
import tempfile
import unittest
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ckpt_run import ckpt, empty_config, one_line_error  # noqa: E402


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.bn = torch.nn.BatchNorm2d(4)
        self.head = torch.nn.Linear(4, 4)
        self.tied = self.head.weight  # one parameter under two names
        self.low = torch.nn.Parameter(torch.randn(4, dtype=torch.bfloat16))
        self.register_buffer("steps", torch.arange(6, dtype=torch.int64).reshape(2, 3))
        self.scale = torch.tensor([0.5, 2.0])  # a plain attribute: a lifted constant

    def forward(self, x):
        y = self.bn(self.conv(x)).mean((2, 3))
        return self.head(y) * self.scale.sum() + self.low.float().sum() + self.steps.sum()


def exported(path):
    torch.manual_seed(0)
    ep = torch.export.export(Net().eval(), (torch.randn(1, 3, 8, 8),))
    torch.export.save(ep, path)
    return torch.export.load(path)


class TestPt2(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "net.pt2")
        self.ep = exported(self.path)

    def tearDown(self):
        self.tmp.cleanup()

    def test_weights_constants_and_signature_match_torch_export_load(self):
        info = json.loads(ckpt("inspect", "--json", self.path).stdout)
        listed = {tuple(t["path"]): t for t in info["tensors"]}
        want = {("state_dict", k): v for k, v in self.ep.state_dict.items()}
        want.update({("constants", k): v for k, v in self.ep.constants.items()})
        self.assertEqual(set(listed), set(want))
        for k, v in want.items():
            self.assertEqual(listed[k]["shape"], list(v.shape), k)
            self.assertEqual(listed[k]["dtype"], str(v.dtype).removeprefix("torch."), k)
        self.assertTrue(listed[("state_dict", "tied")]["shares_storage"])
        out = os.path.join(self.tmp.name, "out.pt")
        ckpt("apply", self.path, "--config", empty_config(self.tmp.name), "-o", out)
        got = torch.load(out, weights_only=True)
        for (group, name), v in want.items():
            self.assertTrue(torch.equal(got[group][name], v.detach()), name)
        self.assertEqual(got["state_dict"]["tied"].data_ptr(), got["state_dict"]["head.weight"].data_ptr())
        # The archive's JSON spells InputKind.CONSTANT_TENSOR "tensor_constant".
        kind = {"constant_tensor": "tensor_constant"}
        specs = [f"{kind.get(s.kind.name.lower(), s.kind.name.lower())} {s.target or s.arg.name}"
                 for s in self.ep.graph_signature.input_specs]
        self.assertEqual(got["graph_inputs"], specs)

    def test_truncated_archive(self):
        with open(self.path, "rb") as f:
            data = f.read()
        cut = os.path.join(self.tmp.name, "cut.pt2")
        with open(cut, "wb") as f:
            f.write(data[: len(data) // 2])
        self.assertIn("truncated", one_line_error(self, cut))

    def test_view_past_its_storage(self):
        bad = os.path.join(self.tmp.name, "bad.pt2")
        with zipfile.ZipFile(self.path) as src, zipfile.ZipFile(bad, "w") as dst:
            for item in src.infolist():
                data = src.read(item)
                if item.filename.endswith("_weights_config.json"):
                    cfg = json.loads(data)
                    cfg["config"]["head.bias"]["tensor_meta"]["sizes"] = [{"as_int": 1000}]
                    data = json.dumps(cfg).encode()
                dst.writestr(item, data)
        self.assertIn("runs past", one_line_error(self, bad))

    def test_pickles_torch_export_load_would_run_are_scanned(self):
        # torch.export.load unpickles opaque_obj_ constants (pickle.loads) and use_pickle
        # weights (torch.load(weights_only=False)): a hostile archive hides code there.
        class Boom:
            def __reduce__(self):
                return (os.system, ("echo pwned",))
        evil = os.path.join(self.tmp.name, "evil.pt2")
        saved = io.BytesIO()
        torch.save({"x": Boom()}, saved)
        with zipfile.ZipFile(self.path) as src, zipfile.ZipFile(evil, "w") as dst:
            top = src.namelist()[0].split("/")[0]
            for item in src.infolist():
                data = src.read(item)
                if item.filename.endswith("_constants_config.json"):
                    cfg = json.loads(data)
                    cfg["config"]["evil"] = {"path_name": "opaque_obj_0", "is_param": False, "use_pickle": True,
                                             "tensor_meta": None}
                    data = json.dumps(cfg).encode()
                if item.filename.endswith("_weights_config.json"):
                    cfg = json.loads(data)
                    cfg["config"]["boom"] = {"path_name": "weight_99", "is_param": True, "use_pickle": True,
                                             "tensor_meta": None}
                    data = json.dumps(cfg).encode()
                dst.writestr(item, data)
            dst.writestr(f"{top}/data/constants/opaque_obj_0", pickle.dumps(Boom()))
            dst.writestr(f"{top}/data/weights/weight_99", saved.getvalue())
        report = json.loads(ckpt("scan", "--json", evil, check=False).stdout)
        found = json.dumps(report)
        self.assertIn("opaque_obj_0", found)
        self.assertIn("weight_99", found)
        self.assertIn("system", found)
        info = json.loads(ckpt("inspect", "--json", evil).stdout)
        self.assertTrue(info["dangerous"])
        self.assertNotIn(("constants", "evil"), {tuple(t["path"]) for t in info["tensors"]})
        clean = json.loads(ckpt("inspect", "--json", self.path).stdout)
        self.assertFalse(clean["dangerous"])


if __name__ == "__main__":
    unittest.main()
