"""`ckpt diff`: statuses and metrics agree with PyTorch's own float64 computation."""
import json
import math
import os
import tempfile
import unittest

import torch
import torchvision

import reference as ref
import safetensors_writer


def expected_metrics(a, b):
    """What PyTorch says, in float64: max |a-b|, mean |a-b|, ||a-b|| / ||a||, cosine."""
    a, b = a.double().flatten(), b.double().flatten()
    d = a - b
    na, nb = a.norm().item(), b.norm().item()
    rel = d.norm().item() / na if na > 0 else (math.inf if d.norm().item() > 0 else 0.0)
    cos = (a @ b).item() / (na * nb) if na > 0 and nb > 0 else (1.0 if na == nb else 0.0)
    return {"max_abs": d.abs().max().item(), "mean_abs": d.abs().mean().item(), "rel_l2": rel, "cosine": cos,
            "changed_elements": int((a != b).sum().item())}


class Diff(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        torch.manual_seed(0)
        model = torchvision.models.resnet18(num_classes=10)
        cls.before = {k: v.clone() for k, v in model.state_dict().items()}
        # A few optimizer steps with layer1's weights frozen (its BatchNorm statistics still move).
        model.layer1.requires_grad_(False)
        opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
        for _ in range(3):
            loss = model(torch.randn(4, 3, 64, 64)).logsumexp(1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        cls.after = {k: v.clone() for k, v in model.state_dict().items()}
        cls.bf16 = {k: (v.bfloat16() if v.is_floating_point() else v) for k, v in cls.after.items()}
        for name in ("before", "after", "bf16"):
            torch.save(getattr(cls, name), cls.path(name + ".pt"))

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    @classmethod
    def path(cls, name):
        return os.path.join(cls.dir.name, name)

    def diff(self, a, b, *extra, expect=1):
        status, out, err = ref.run("diff", a, b, "--json", *extra, timeout=120)
        self.assertEqual(status, expect, err.decode())
        return json.loads(out)

    def assert_metrics(self, report, a, b, statuses):
        by_name = {t["name"]: t for t in report["tensors"]}
        self.assertEqual(set(by_name), set(a) | set(b))
        for name, t in by_name.items():
            with self.subTest(name=name):
                self.assertIn(t["status"], statuses)
                if t["status"] == "identical":
                    self.assertTrue(torch.equal(a[name], b[name]) and a[name].dtype == b[name].dtype)
                    continue
                self.assertFalse(torch.equal(a[name], b[name]) and a[name].dtype == b[name].dtype)
                want = expected_metrics(a[name], b[name])
                self.assertEqual(t["changed_elements"], want["changed_elements"])
                for key in ("max_abs", "mean_abs", "rel_l2", "cosine"):
                    if math.isinf(want[key]):
                        self.assertIsNone(t[key])
                    else:
                        self.assertTrue(math.isclose(t[key], want[key], rel_tol=1e-5, abs_tol=1e-12),
                                        f"{key}: {t[key]} vs {want[key]}")

    def test_before_and_after_optimizer_steps(self):
        report = self.diff(self.path("before.pt"), self.path("after.pt"))
        self.assertFalse(report["identical"])
        self.assert_metrics(report, self.before, self.after, {"identical", "changed"})
        statuses = {t["name"]: t["status"] for t in report["tensors"]}
        self.assertEqual(statuses["layer1.0.conv1.weight"], "identical")  # frozen
        self.assertEqual(statuses["layer2.0.conv1.weight"], "changed")
        changed = sum(v.numel() for k, v in self.before.items() if not torch.equal(v, self.after[k]))
        self.assertEqual(report["totals"]["parameters_changed"], changed)
        # Modules in model order, each with its relative change over the compared tensors.
        modules = [m["module"] for m in report["modules"]]
        self.assertEqual(modules[:2], ["conv1", "bn1"])
        conv = next(m for m in report["modules"] if m["module"] == "layer2.0.conv1")
        a, b = self.before["layer2.0.conv1.weight"].double(), self.after["layer2.0.conv1.weight"].double()
        self.assertTrue(math.isclose(conv["rel_change"], ((a - b).norm() / a.norm()).item(), rel_tol=1e-5))
        frozen = next(m for m in report["modules"] if m["module"] == "layer1.0.conv1")
        self.assertEqual(frozen["rel_change"], 0)

    def test_a_bf16_copy_against_fp32(self):
        report = self.diff(self.path("after.pt"), self.path("bf16.pt"))
        self.assert_metrics(report, self.after, self.bf16, {"identical", "dtype_changed"})
        floating = {k for k, v in self.after.items() if v.is_floating_point()}
        self.assertEqual({t["name"] for t in report["tensors"] if t["status"] == "dtype_changed"}, floating)

    def test_identical_files_and_text_output(self):
        self.diff(self.path("after.pt"), self.path("after.pt"), expect=0)
        status, out, _ = ref.run("diff", self.path("before.pt"), self.path("after.pt"), "--top", "3")
        self.assertEqual(status, 1)
        lines = out.decode().splitlines()
        self.assertEqual(len([l for l in lines if l.split()[1:2] == ["changed"]]), 3)
        self.assertIn("110 changed", out.decode())

    def test_added_removed_and_shape_changed(self):
        b = dict(self.before)
        del b["fc.bias"]
        b["fc.weight"] = torch.zeros(5, 512)
        b["extra.scale"] = torch.ones(3)
        torch.save(b, self.path("edited.pt"))
        report = self.diff(self.path("before.pt"), self.path("edited.pt"))
        statuses = {t["name"]: t["status"] for t in report["tensors"]}
        self.assertEqual(statuses["fc.bias"], "removed")
        self.assertEqual(statuses["fc.weight"], "shape_changed")
        self.assertEqual(statuses["extra.scale"], "added")
        self.assertEqual(report["counts"]["identical"], len(self.before) - 2)
        self.assertEqual(report["tensors"][-1]["name"], "extra.scale")  # B's extras come last

    def test_a_config_aligns_renamed_names(self):
        torch.save({"module." + k: v for k, v in self.before.items()}, self.path("ddp.pt"))
        report = self.diff(self.path("ddp.pt"), self.path("before.pt"))
        self.assertEqual(report["counts"]["added"], len(self.before))
        self.assertEqual(report["counts"]["removed"], len(self.before))
        config = self.path("strip.json")
        with open(config, "w") as f:
            json.dump({"rules": [{"action": "rename", "prefix": "module.", "to": ""},
                                 {"action": "freeze", "match": {"glob": "*"}}]}, f)
        report = self.diff(self.path("ddp.pt"), self.path("before.pt"), "--config", config, expect=0)
        self.assertTrue(report["identical"])

    def test_views_and_formats(self):
        base = torch.randn(6, 4)
        a = {"w": base, "wt": base.t(), "row": base[2]}
        changed = base.clone()
        changed[0, 0] += 1
        b = {"w": base.clone(), "wt": changed.t(), "row": changed[2]}
        torch.save(a, self.path("views_a.pt"))
        torch.save(b, self.path("views_b.pt"))
        report = self.diff(self.path("views_a.pt"), self.path("views_b.pt"))
        self.assert_metrics(report, a, b, {"identical", "changed"})
        statuses = {t["name"]: t["status"] for t in report["tensors"]}
        self.assertEqual(statuses, {"w": "identical", "wt": "changed", "row": "identical"})
        # The same weights as safetensors are the same model.
        safetensors_writer.save({k: v.contiguous() for k, v in self.before.items()}, self.path("before.safetensors"))
        self.diff(self.path("before.pt"), self.path("before.safetensors"), expect=0)

    def test_tensors_without_values(self):
        q = torch.quantize_per_tensor(torch.randn(4, 4), 0.1, 3, torch.qint8)
        a = {"meta": torch.empty(3, 3, device="meta"), "q": q, "c": torch.randn(5, dtype=torch.complex64),
             "flags": torch.tensor([True, False])}
        torch.save(a, self.path("odd_a.pt"))
        # Against itself: identical, meta tensors included (equal shape and dtype, no bytes).
        report = self.diff(self.path("odd_a.pt"), self.path("odd_a.pt"), expect=0)
        self.assertEqual({t["status"] for t in report["tensors"]}, {"identical"})
        b = dict(a, c=a["c"] * 2, flags=torch.tensor([True, True]),
                 q=torch.quantize_per_tensor(torch.randn(4, 4), 0.1, 3, torch.qint8))
        torch.save(b, self.path("odd_b.pt"))
        report = self.diff(self.path("odd_a.pt"), self.path("odd_b.pt"))
        by_name = {t["name"]: t for t in report["tensors"]}
        self.assertEqual(by_name["meta"]["status"], "identical")
        # Quantized values are not compared (their integers mean nothing alone): said so.
        self.assertEqual(by_name["q"]["status"], "changed")
        self.assertIn("qint8", by_name["q"]["error"])
        # Bool values compare as 0 and 1; complex ones by modulus: ||a - 2a|| / ||a|| = 1, and
        # a . conj(2a) is real and positive (cosine 1).
        flags = expected_metrics(a["flags"], b["flags"])
        self.assertTrue(math.isclose(by_name["flags"]["cosine"], flags["cosine"], rel_tol=1e-6))
        self.assertTrue(math.isclose(by_name["c"]["rel_l2"], 1.0, rel_tol=1e-6))
        self.assertTrue(math.isclose(by_name["c"]["cosine"], 1.0, rel_tol=1e-6))

    def test_unreadable_input_gives_one_line_and_exit_2(self):
        with open(self.path("garbage.pt"), "wb") as f:
            f.write(b"\x00" * 64)
        for args in ((self.path("garbage.pt"), self.path("before.pt")),
                     (self.path("before.pt"), self.path("garbage.pt")),
                     (self.path("before.pt"), self.path("absent.pt"))):
            status, out, err = ref.run("diff", *args)
            self.assertEqual(status, 2)
            self.assertEqual(out, b"")
            lines = err.decode().splitlines()
            self.assertEqual(len(lines), 1)
            self.assertTrue(os.path.basename(args[1] if "before" in args[0] else args[0]) in lines[0], lines[0])


if __name__ == "__main__":
    unittest.main()
