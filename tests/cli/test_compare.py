"""`ckpt compare`: the report equals what PyTorch's load_state_dict says, and the proposed
fixes, exported, make a strict load and a forward pass work (the acceptance test of issue 6)."""
import json
from collections import OrderedDict
import os
import subprocess
import tempfile
import unittest
import zipfile

import torch
import torch.nn.functional as F
from torchvision.models import resnet18
from torchvision.models.swin_transformer import SwinTransformer
from torchvision.models.vision_transformer import VisionTransformer

import reference as ref


def vit(image_size, classes):
    return VisionTransformer(image_size=image_size, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32,
                             mlp_dim=64, num_classes=classes)


def swin(window, classes):
    return SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[1, 1], num_heads=[1, 2],
                           window_size=[window, window], num_classes=classes)


def manifest_of(model):
    """The README's lines that describe any nn.Module."""
    return {k: {"shape": list(v.shape), "dtype": str(v.dtype).removeprefix("torch.")}
            for k, v in model.state_dict().items()}


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f)


def read_json(path):
    with open(path) as f:
        return json.load(f)


def pytorch_report(model, weights):
    """missing/unexpected as load_state_dict(strict=False) reports them, and the mis-shaped names
    (which PyTorch refuses outright: they are given the right shape here so it reports the rest)."""
    expected = model.state_dict()
    mismatched = sorted(k for k, v in weights.items() if k in expected and v.shape != expected[k].shape)
    patched = OrderedDict((k, torch.zeros_like(expected[k]) if k in mismatched else v) for k, v in weights.items())
    patched._metadata = getattr(weights, "_metadata", None)  # BatchNorm reads its version there
    result = model.load_state_dict(patched, strict=False)
    return sorted(result.missing_keys), sorted(result.unexpected_keys), mismatched


class Compare(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        torch.manual_seed(0)

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def compare(self, checkpoint, target, *extra):
        status, out, err = ref.run("compare", checkpoint, "--target", target, "--json", *extra, timeout=120)
        self.assertIn(status, (0, 1), err.decode())
        return status, json.loads(out)

    def assert_matches_pytorch(self, report, model, weights):
        missing, unexpected, mismatched = pytorch_report(model, weights)
        self.assertEqual(sorted(report["missing"]), missing)
        self.assertEqual(sorted(report["unexpected"]), unexpected)
        self.assertEqual(sorted(m["name"] for m in report["mismatched"]), mismatched)
        expected = model.state_dict()
        for m in report["mismatched"]:
            self.assertEqual(m["checkpoint_shape"], list(weights[m["name"]].shape))
            self.assertEqual(m["target_shape"], list(expected[m["name"]].shape))
        self.assertEqual(report["strict_ok"], not (missing or unexpected or mismatched))

    def fix_and_load(self, source, target, model, weights_of=lambda obj: obj, extra=()):
        """--suggest, apply, then a strict load and a forward pass in PyTorch."""
        suggested = self.path("suggested.json")
        status, _ = self.compare(source, target, "--suggest", suggested, *extra)
        self.assertEqual(status, 1)
        fixed = self.path("fixed.pt")
        r = subprocess.run([ref.CKPT, "apply", source, "--config", suggested, "-o", fixed], capture_output=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        status, report = self.compare(fixed, target)
        self.assertEqual(status, 0, report["verdict"])
        self.assertTrue(report["strict_ok"])
        weights = weights_of(torch.load(fixed))
        model.load_state_dict(weights, strict=True)
        return weights, read_json(suggested)

    def test_vit_with_ddp_prefix_new_resolution_and_classes(self):
        source, model = vit(32, 10), vit(48, 5)
        ckpt = {"state_dict": {"module." + k: v for k, v in source.state_dict().items()}, "epoch": 3}
        torch.save(ckpt, self.path("vit.pt"))
        targets = {"pt": self.path("target.pt"), "ts": self.path("target.ts"), "json": self.path("target.json")}
        torch.save(model.state_dict(), targets["pt"])
        torch.jit.script(model).save(targets["ts"])
        write_json(targets["json"], manifest_of(model))
        for kind, target in targets.items():
            with self.subTest(target=kind):
                if kind == "ts" and int(torch.__version__.split(".")[0]) >= 2:
                    # torch 2.x's ViT scripts scaled_dot_product_attention, which LibTorch 1.13
                    # (the reader here) does not have: one line that says so.
                    status, _, err = ref.run("compare", self.path("vit.pt"), "--target", target, "--json", timeout=120)
                    if status == 2:
                        self.assertEqual(len(err.decode().splitlines()), 1, err)
                        self.assertIn("Unknown builtin op: aten::scaled_dot_product_attention", err.decode())
                        continue
                status, report = self.compare(self.path("vit.pt"), target)
                self.assertEqual(status, 1)
                self.assert_matches_pytorch(report, model, ckpt["state_dict"])
                weights, config = self.fix_and_load(self.path("vit.pt"), target, model, lambda o: o["state_dict"])
                self.assertEqual(model(torch.randn(2, 3, 48, 48)).shape, (2, 5))
                # The position embeddings are resampled as timm does it: class token kept aside,
                # the grid bicubic without aligned corners.
                old = ckpt["state_dict"]["module.encoder.pos_embedding"]
                grid = old[:, 1:].reshape(1, 4, 4, 32).permute(0, 3, 1, 2)
                grid = F.interpolate(grid, size=(6, 6), mode="bicubic", align_corners=False)
                expected = torch.cat([old[:, :1], grid.permute(0, 2, 3, 1).reshape(1, 36, 32)], 1)
                torch.testing.assert_close(weights["encoder.pos_embedding"], expected, rtol=1e-6, atol=1e-6)
                # The classifier keeps its first rows.
                self.assertTrue(torch.equal(weights["heads.head.weight"], ckpt["state_dict"]["module.heads.head.weight"][:5]))
                kinds = [r["action"] for r in config["rules"]]
                self.assertEqual(kinds[0], "rename")

    def test_swin_with_new_window_against_checkpoint_torchscript_and_manifest(self):
        source, model = swin(4, 10), swin(6, 5)
        weights = {"module." + k: v for k, v in source.state_dict().items()}
        torch.save(weights, self.path("swin.pt"))
        torch.save(model.state_dict(), self.path("target.pt"))
        torch.jit.script(model).save(self.path("target.ts"))
        write_json(self.path("target.json"), manifest_of(model))
        for target in ("target.pt", "target.ts"):
            with self.subTest(target=target):
                status, report = self.compare(self.path("swin.pt"), self.path(target))
                self.assert_matches_pytorch(report, model, weights)
                fixed, _ = self.fix_and_load(self.path("swin.pt"), self.path(target), model)
                self.assertEqual(model(torch.randn(2, 3, 64, 64)).shape, (2, 5))
                # The relative position index is the target's own; the bias table is resampled.
                expected = model.state_dict()
                for k in fixed:
                    if k.endswith("relative_position_index"):
                        self.assertTrue(torch.equal(fixed[k], expected[k]))
                table = weights["module.features.1.0.attn.relative_position_bias_table"]
                grid = table.reshape(7, 7, 1).permute(2, 0, 1).unsqueeze(0)
                grid = F.interpolate(grid, size=(11, 11), mode="bicubic", align_corners=False)
                torch.testing.assert_close(fixed["features.1.0.attn.relative_position_bias_table"],
                                           grid.squeeze(0).permute(1, 2, 0).reshape(121, 1), rtol=1e-6, atol=1e-6)
        # A manifest carries no values: the index buffers stay mismatched, said so, not invented.
        status, report = self.compare(self.path("swin.pt"), self.path("target.json"), "--suggest", self.path("s.json"))
        self.assert_matches_pytorch(report, model, weights)
        suggested = read_json(self.path("s.json"))
        self.assertFalse(any("relative_position_index" in json.dumps(r) for r in suggested["rules"]))

    def test_resnet_with_two_prefixes_and_a_new_classifier_from_torchscript(self):
        source, model = resnet18(num_classes=10), resnet18(num_classes=7)
        weights = {"module._orig_mod." + k: v for k, v in source.state_dict().items()}
        torch.save(weights, self.path("r.pt"))
        torch.jit.script(model.eval()).save(self.path("r.ts"))
        status, report = self.compare(self.path("r.pt"), self.path("r.ts"))
        self.assert_matches_pytorch(report, model, weights)
        self.assertEqual(len(report["unexpected"]), len(weights))
        fixed, config = self.fix_and_load(self.path("r.pt"), self.path("r.ts"), model)
        model.eval()(torch.randn(1, 3, 64, 64))
        self.assertTrue(torch.equal(fixed["layer1.0.conv1.weight"], source.state_dict()["layer1.0.conv1.weight"]))

    def test_a_prefix_replaced_by_another_is_one_rename(self):
        class Wrapped(torch.nn.Module):
            def __init__(self, name):
                super().__init__()
                self.add_module(name, resnet18(num_classes=3))

        source, model = Wrapped("backbone"), Wrapped("encoder")
        torch.save(source.state_dict(), self.path("b.pt"))
        write_json(self.path("e.json"), manifest_of(model))
        status, report = self.compare(self.path("b.pt"), self.path("e.json"))
        self.assert_matches_pytorch(report, model, source.state_dict())
        first = report["proposals"][0]
        self.assertEqual(first["kind"], "prefix")
        self.assertEqual(first["rules"], [{"action": "rename", "prefix": "backbone.", "to": "encoder."}])
        self.assertEqual(len(report["proposals"]), 1)
        self.fix_and_load(self.path("b.pt"), self.path("e.json"), model)

    def test_the_missing_are_filled_from_the_target_and_the_unexpected_dropped(self):
        source, model = resnet18(num_classes=4), resnet18(num_classes=4)
        # A real state_dict keeps its _metadata (BatchNorm version 2): PyTorch then reports the
        # absent num_batches_tracked as missing, where a plain dict would have them defaulted.
        weights = source.state_dict()
        for k in [k for k in weights if k.endswith("num_batches_tracked")]:
            del weights[k]
        weights["extra.projection"] = torch.randn(3, 3)
        torch.save(weights, self.path("r.pt"))
        torch.save(model.state_dict(), self.path("target.pt"))
        status, report = self.compare(self.path("r.pt"), self.path("target.pt"))
        self.assertEqual(report["unexpected"], ["extra.projection"])
        self.assert_matches_pytorch(report, model, weights)
        kinds = {p["kind"] for p in report["proposals"]}
        self.assertEqual(kinds, {"drop", "fill"})
        fixed, _ = self.fix_and_load(self.path("r.pt"), self.path("target.pt"), model)
        self.assertNotIn("extra.projection", fixed)
        self.assertTrue(torch.equal(fixed["bn1.num_batches_tracked"], model.state_dict()["bn1.num_batches_tracked"]))
        # Without the metadata, PyTorch defaults them: not missing, and nothing to fill.
        plain = {k: v for k, v in weights.items() if k != "extra.projection"}
        torch.save(plain, self.path("plain.pt"))
        status, report = self.compare(self.path("plain.pt"), self.path("target.pt"))
        self.assertEqual(status, 0)
        self.assert_matches_pytorch(report, model, plain)
        self.assertEqual(len(report["defaulted"]), 20)

    def test_a_different_model_is_named_so_and_gets_no_fixes(self):
        """A Swin checkpoint against a ViT target (the DDP prefix on it): dropping the one and
        filling in the other would re-initialise the model; the verdict says so instead."""
        source, model = swin(4, 10), vit(32, 10)
        torch.save({"module." + k: v for k, v in source.state_dict().items()}, self.path("swin.pt"))
        torch.save(model.state_dict(), self.path("vit_target.pt"))
        status, report = self.compare(self.path("swin.pt"), self.path("vit_target.pt"))
        self.assertEqual(status, 1)
        self.assertTrue(report["different_models"])
        self.assertEqual(report["proposals"], [])
        self.assertTrue(report["verdict"].startswith("different models: only "), report["verdict"])
        kin = report["kinship"]
        self.assertEqual(kin["target_tensors"], len(model.state_dict()))
        self.assertEqual(kin["checkpoint_tensors"], len(source.state_dict()))
        self.assertLess(kin["counterparts"] * 2, min(kin["target_tensors"], kin["checkpoint_tensors"]))
        self.assert_matches_pytorch(report, model, {"module." + k: v for k, v in source.state_dict().items()})
        # The same model behind a prefix is not a different one: it gets its fixes.
        torch.save({"module." + k: v for k, v in model.state_dict().items()}, self.path("vit_ddp.pt"))
        status, report = self.compare(self.path("vit_ddp.pt"), self.path("vit_target.pt"))
        self.assertFalse(report["different_models"])
        self.assertEqual(report["kinship"]["counterparts"], len(model.state_dict()))
        self.assertEqual([p["kind"] for p in report["proposals"]], ["prefix"])

    def test_a_grown_classifier_is_padded_and_new_tensors_filled(self):
        source, model = resnet18(num_classes=5), resnet18(num_classes=8)
        torch.save(source.state_dict(), self.path("r5.pt"))
        torch.save(model.state_dict(), self.path("r8.pt"))
        fixed, config = self.fix_and_load(self.path("r5.pt"), self.path("r8.pt"), model)
        old = source.state_dict()
        # Old rows kept; the bias grows with zeros, the weight with a normal draw of the rows' std.
        self.assertTrue(torch.equal(fixed["fc.weight"][:5], old["fc.weight"]))
        self.assertTrue(torch.equal(fixed["fc.bias"][:5], old["fc.bias"]))
        self.assertTrue(torch.equal(fixed["fc.bias"][5:], torch.zeros(3)))
        new_rows = fixed["fc.weight"][5:].double()
        self.assertAlmostEqual(new_rows.mean().item(), 0.0, delta=0.1 * old["fc.weight"].double().std().item())
        self.assertAlmostEqual(new_rows.std().item() / old["fc.weight"].double().std().item(), 1.0, delta=0.1)
        fills = {r["match"]["name"]: r.get("fill") for r in config["rules"] if r["action"] == "resize"}
        self.assertEqual(fills, {"fc.weight": "normal", "fc.bias": "zeros"})
        # The mean row, asked for by hand, and tensors added with zeros, ones and a normal draw.
        rules = {"rules": [{"action": "resize", "match": {"name": "fc.weight"}, "shape": [8, 512], "method": "rows", "fill": "mean"},
                           {"action": "resize", "match": {"name": "fc.bias"}, "shape": [8], "method": "rows"},
                           {"action": "add", "name": "extra.zeros", "shape": [2, 3], "fill": "zeros"},
                           {"action": "add", "name": "extra.ones", "shape": [4], "dtype": "float16", "fill": "ones"},
                           {"action": "add", "name": "extra.normal", "shape": [1000], "fill": "normal", "std": 0.5}]}
        write_json(self.path("manual.json"), rules)
        out = self.path("manual.pt")
        r = subprocess.run([ref.CKPT, "apply", self.path("r5.pt"), "--config", self.path("manual.json"), "-o", out],
                           capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        w = torch.load(out)
        torch.testing.assert_close(w["fc.weight"][5:], old["fc.weight"].double().mean(0, keepdim=True).float().expand(3, 512),
                                   rtol=1e-6, atol=1e-7)
        self.assertTrue(torch.equal(w["extra.zeros"], torch.zeros(2, 3)))
        self.assertTrue(torch.equal(w["extra.ones"], torch.ones(4, dtype=torch.float16)))
        self.assertAlmostEqual(w["extra.normal"].std().item(), 0.5, delta=0.05)
        # Reproducible: the same config writes the same draw.
        r = subprocess.run([ref.CKPT, "apply", self.path("r5.pt"), "--config", self.path("manual.json"), "-o",
                            self.path("again.pt")], capture_output=True, timeout=120)
        self.assertTrue(torch.equal(torch.load(self.path("again.pt"))["extra.normal"], w["extra.normal"]))

    def test_renamed_layers_are_paired_by_shape_and_order(self):
        source = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))

        class Named(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1, self.fc2 = torch.nn.Linear(4, 8), torch.nn.Linear(8, 3)

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x)))

        model = Named()
        torch.save(source.state_dict(), self.path("seq.pt"))
        write_json(self.path("named.json"), manifest_of(model))
        status, report = self.compare(self.path("seq.pt"), self.path("named.json"))
        self.assert_matches_pytorch(report, model, source.state_dict())
        renames = [p for p in report["proposals"] if p["kind"] == "rename"]
        self.assertEqual(len(renames), 4)
        self.assertTrue(all(0 < p["confidence"] <= 1 for p in renames))
        fixed, _ = self.fix_and_load(self.path("seq.pt"), self.path("named.json"), model)
        x = torch.randn(5, 4)
        torch.testing.assert_close(model(x), source(x))

    def test_dtype_differences_load_and_are_cast_on_request(self):
        model = resnet18(num_classes=3)
        half = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
        torch.save(half, self.path("half.pt"))
        torch.save(model.state_dict(), self.path("target.pt"))
        status, report = self.compare(self.path("half.pt"), self.path("target.pt"), "--suggest", self.path("s.json"))
        self.assertEqual(status, 0)  # load_state_dict converts dtypes
        self.assertTrue(report["strict_ok"])
        floating = sorted(k for k, v in half.items() if v.is_floating_point())
        self.assertEqual(sorted(d["name"] for d in report["dtype_differs"]), floating)
        self.assertTrue(all(d["checkpoint_dtype"] == "float16" and d["target_dtype"] == "float32"
                            for d in report["dtype_differs"]))
        config = read_json(self.path("s.json"))
        self.assertEqual(config["rules"], [{"action": "cast", "match": {"dtype": "float16"}, "to": "float32"}])

    def test_a_config_is_applied_before_comparing(self):
        model = resnet18(num_classes=3)
        torch.save({"model." + k: v for k, v in model.state_dict().items()}, self.path("m.pt"))
        torch.save(model.state_dict(), self.path("target.pt"))
        with open(self.path("rules.json"), "w") as f:
            json.dump({"rules": [{"action": "rename", "prefix": "model.", "to": ""},
                                 {"action": "drop", "match": {"prefix": "fc."}}]}, f)
        status, report = self.compare(self.path("m.pt"), self.path("target.pt"), "--config", self.path("rules.json"))
        self.assertEqual(status, 1)
        self.assertEqual(sorted(report["missing"]), ["fc.bias", "fc.weight"])
        self.assertEqual(report["unexpected"], [])

    def test_rules_match_by_layer_type_from_a_torchscript_archive(self):
        model = resnet18(num_classes=3).eval()
        torch.save(model.state_dict(), self.path("m.pt"))
        torch.jit.script(model).save(self.path("m.ts"))
        config = self.path("types.json")
        write_json(config, {"types": self.path("m.ts"),
                            "rules": [{"action": "freeze", "match": {"type": "BatchNorm2d"}},
                                      {"action": "drop", "match": {"type": "Linear"}}]})
        status, out, err = ref.run("plan", self.path("m.pt"), "--config", config, "--json", timeout=120)
        self.assertEqual(status, 0, err.decode())
        plan = json.loads(out)
        frozen = {t["name"] for t in plan["tensors"] if t["frozen"]}
        dropped = {t["path"][-1] for t in plan["tensors"] if t["name"] is None}
        of_type = lambda cls: {f"{m}.{k}" for m, mod in model.named_modules() if type(mod) is cls
                               for k in mod.state_dict(keep_vars=True)}
        self.assertEqual(frozen, of_type(torch.nn.BatchNorm2d))
        self.assertEqual(dropped, of_type(torch.nn.Linear))
        # A manifest that records module classes works the same.
        manifest = {k: dict(v, module_type=type(model.get_submodule(k.rpartition(".")[0])).__name__)
                    for k, v in manifest_of(model).items()}
        write_json(self.path("m.json"), manifest)
        write_json(config, {"types": self.path("m.json"), "rules": [{"action": "freeze", "match": {"type": "BatchNorm2d"}}]})
        status, out, _ = ref.run("plan", self.path("m.pt"), "--config", config, "--json")
        self.assertEqual({t["name"] for t in json.loads(out)["tensors"] if t["frozen"]}, of_type(torch.nn.BatchNorm2d))
        # Without "types" the config is refused, naming the field.
        write_json(config, {"rules": [{"action": "freeze", "match": {"type": "BatchNorm2d"}}]})
        status, _, err = ref.run("plan", self.path("m.pt"), "--config", config)
        self.assertEqual(status, 2)
        self.assertIn("rules[0].match.type", err.decode())

    def test_bad_targets_give_one_line_and_exit_2(self):
        model = resnet18(num_classes=3)
        torch.save(model.state_dict(), self.path("m.pt"))
        cases = {"notjson.json": b"{not json", "list.json": b"[1, 2]", "badshape.json": b'{"a": {"shape": [-1]}}',
                 "baddtype.json": b'{"a": {"shape": [1], "dtype": "float99"}}', "garbage.pt": b"\x00" * 100}
        for name, data in cases.items():
            with open(self.path(name), "wb") as f:
                f.write(data)
            with self.subTest(target=name):
                status, out, err = ref.run("compare", self.path("m.pt"), "--target", self.path(name))
                self.assertEqual(status, 2)
                self.assertEqual(out, b"")
                lines = err.decode().splitlines()
                self.assertEqual(len(lines), 1, lines)
                self.assertIn(name, lines[0])
        status, _, err = ref.run("compare", self.path("m.pt"), "--target", self.path("absent.pt"))
        self.assertEqual(status, 2)

    def test_a_reader_that_crashes_or_fails_costs_one_line(self):
        model = resnet18(num_classes=3).eval()
        torch.save(model.state_dict(), self.path("m.pt"))
        torch.jit.script(model).save(self.path("m.ts"))
        for name, body in (("crash", "kill -SEGV $$"), ("fail", "echo 'bad archive' >&2; exit 2")):
            reader = self.path(name + ".sh")
            with open(reader, "w") as f:
                f.write("#!/bin/sh\n" + body + "\n")
            os.chmod(reader, 0o755)
            r = subprocess.run([ref.CKPT, "compare", self.path("m.pt"), "--target", self.path("m.ts")],
                               capture_output=True, timeout=60, env=dict(os.environ, CKPT_SCRIPT_READER=reader))
            with self.subTest(reader=name):
                self.assertEqual(r.returncode, 2)
                lines = r.stderr.decode().splitlines()
                self.assertEqual(len(lines), 1, lines)
                self.assertIn("m.ts", lines[0])
                self.assertIn("crashed" if name == "crash" else "bad archive", lines[0])

    def test_torchscript_that_would_run_setstate_code_is_refused(self):
        class Stateful(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.linear = torch.nn.Linear(2, 2)

            @torch.jit.export
            def __getstate__(self):
                return (self.linear.weight, self.training)

            @torch.jit.export
            def __setstate__(self, state: tuple[torch.Tensor, bool]):
                self.training = state[1]

            def forward(self, x):
                return self.linear(x)

        try:
            torch.jit.script(Stateful()).save(self.path("stateful.ts"))
        except Exception as e:  # the scripting itself is not what is under test
            self.skipTest(f"TorchScript cannot script the fixture: {e}")
        with zipfile.ZipFile(self.path("stateful.ts")) as z:
            self.assertTrue(any(b"__setstate__" in z.read(n) for n in z.namelist() if n.endswith(".py")))
        torch.save(Stateful().state_dict(), self.path("m.pt"))
        status, out, err = ref.run("compare", self.path("m.pt"), "--target", self.path("stateful.ts"))
        self.assertEqual(status, 2)
        self.assertIn("__setstate__", err.decode())


if __name__ == "__main__":
    unittest.main()
