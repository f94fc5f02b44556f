"""`ckpt apply`: what it writes loads in PyTorch and equals the source where the rules do not
touch it; failures leave nothing behind."""
import json
import os
import resource
import signal
import subprocess
import tempfile
import unittest

import torch

import reference as ref
import safetensors_writer


def write_config(folder, config):
    path = os.path.join(folder, "rules.json")
    with open(path, "w") as f:
        json.dump(config, f)
    return path


def same_tensor(a, b):
    if a.is_quantized != b.is_quantized:
        return False
    if a.is_quantized:
        return (torch.equal(a.int_repr(), b.int_repr()) and a.qscheme() == b.qscheme()
                and (a.qscheme() != torch.per_tensor_affine or (a.q_scale() == b.q_scale() and a.q_zero_point() == b.q_zero_point())))
    if a.device.type == "meta":
        return b.device.type == "meta" and a.shape == b.shape and a.dtype == b.dtype
    return (a.dtype == b.dtype and a.shape == b.shape and a.stride() == b.stride()
            and a.storage_offset() == b.storage_offset() and torch.equal(a, b)
            and type(a) is type(b) and a.requires_grad == b.requires_grad)


def sharing(listing):
    """Which paths share a storage, as a set of frozensets."""
    groups = {}
    for p, t in listing:
        ptr = ref.storage_ptr(t)
        if ptr is not None:
            groups.setdefault(ptr, set()).add(tuple(p))
    return {frozenset(g) for g in groups.values() if len(g) > 1}


class Classifier(torch.nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.features = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
                                            torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
        self.head = torch.nn.Linear(16, classes)

    def forward(self, x):
        return self.head(self.features(x))


class Apply(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def apply(self, fixture, config, out, *extra, **run):
        cfg = write_config(self.dir.name, config)
        r = subprocess.run([ref.CKPT, "apply", ref.fixture(fixture), "--config", cfg, "-o", out, *extra],
                           capture_output=True, timeout=120, **run)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def test_object_graphs_with_cycles_are_written_back(self):
        """A Lightning-style checkpoint with OneCycleLR state: torch 1.13 keeps its bound
        `anneal_func`, whose scheduler holds the optimizer, so the pickle reaches a tuple again
        from inside it. Export writes it as pickle does, and torch reads it back."""
        torch.manual_seed(0)
        model = torch.nn.Linear(4, 3)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)
        model(torch.randn(2, 4)).sum().backward()
        opt.step()
        sched.step()
        state = sched.state_dict()
        if type(state.get("anneal_func")).__name__ != "method":
            # torch 2.x keeps no bound method there: put one back, as 1.13's state has it.
            state["anneal_func"] = sched.get_last_lr
        path = os.path.join(self.dir.name, "onecycle.ckpt")
        torch.save({"state_dict": {"model." + k: v for k, v in model.state_dict().items()},
                    "optimizer_states": [opt.state_dict()], "lr_schedulers": [state]}, path)
        cfg = write_config(self.dir.name, {"weights": ["state_dict"],
                                           "rules": [{"action": "rename", "prefix": "model.", "to": ""}]})
        out = os.path.join(self.dir.name, "out.ckpt")
        r = subprocess.run([ref.CKPT, "apply", path, "--config", cfg, "-o", out], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        a, b = torch.load(path), torch.load(out)
        self.assertEqual(sorted(b["state_dict"]), ["bias", "weight"])
        sa, sb = a["lr_schedulers"][0], b["lr_schedulers"][0]
        self.assertEqual(type(sb["anneal_func"]).__name__, "method")
        self.assertEqual(sb["anneal_func"].__func__, sa["anneal_func"].__func__)
        self.assertIsInstance(sb["anneal_func"].__self__, torch.optim.lr_scheduler.OneCycleLR)
        self.assertEqual({k: v for k, v in sa.items() if k != "anneal_func"},
                         {k: v for k, v in sb.items() if k != "anneal_func"})
        oa, ob = a["optimizer_states"][0], b["optimizer_states"][0]
        self.assertEqual(oa["param_groups"], ob["param_groups"])
        self.assertEqual(sorted(oa["state"]), sorted(ob["state"]))
        for k in oa["state"]:
            for name, v in oa["state"][k].items():
                self.assertTrue(torch.equal(v, ob["state"][k][name]), (k, name))

    def test_a_quantized_linear_is_renamed_and_dropped_whole(self):
        """A dynamically quantized Linear keeps its weight and bias in a _packed_params tuple
        beside a dtype: a rename moves those keys too, so the renamed model loads strictly."""
        torch.manual_seed(0)

        def quantized(prefix):
            seq = torch.nn.Sequential()
            seq.add_module(prefix, torch.nn.Linear(4, 3))
            seq.add_module("keep", torch.nn.Linear(3, 2))
            return torch.ao.quantization.quantize_dynamic(seq, {torch.nn.Linear}, dtype=torch.qint8)

        source = quantized("old")
        path = os.path.join(self.dir.name, "quantized.pt")
        torch.save({"model": source.state_dict()}, path)
        out = os.path.join(self.dir.name, "renamed.pt")
        status, _, err = self.apply_path(path, {"weights": ["model"], "rules": [
            {"action": "rename", "prefix": "old.", "to": "new."}]}, out)
        self.assertEqual(status, 0, err)
        target = quantized("new")
        target.load_state_dict(torch.load(out)["model"], strict=True)
        x = torch.randn(5, 4)
        self.assertTrue(torch.equal(target(x), source(x)))
        dropped = os.path.join(self.dir.name, "dropped.pt")
        status, _, err = self.apply_path(path, {"weights": ["model"], "rules": [
            {"action": "drop", "match": {"glob": "old.*"}}]}, dropped)
        self.assertEqual(status, 0, err)
        self.assertEqual(sorted(k for k in torch.load(dropped)["model"] if k.startswith("old.")), [])

    def apply_path(self, path, config, out):
        cfg = write_config(self.dir.name, config)
        r = subprocess.run([ref.CKPT, "apply", path, "--config", cfg, "-o", out], capture_output=True, timeout=60)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def test_a_meta_tensor_cannot_be_cast_or_resized(self):
        path = os.path.join(self.dir.name, "meta.pt")
        torch.save({"meta": torch.empty(3, 3, device="meta"), "w": torch.randn(3, 3)}, path)
        out = os.path.join(self.dir.name, "out.pt")
        for rule in ({"action": "cast", "match": {"name": "meta"}, "to": "float16"},
                     {"action": "resize", "match": {"name": "meta"}, "shape": [4, 3], "method": "rows"}):
            cfg = write_config(self.dir.name, {"rules": [rule]})
            r = subprocess.run([ref.CKPT, "apply", path, "--config", cfg, "-o", out], capture_output=True, timeout=60)
            with self.subTest(action=rule["action"]):
                self.assertEqual(r.returncode, 2)
                self.assertEqual(r.stderr.decode().splitlines(),
                                 [f"error: {out}: meta: cannot cast or resize: a meta tensor has no data"])
                self.assertFalse(os.path.exists(out))

    def test_untouched_round_trip_equals_the_source(self):
        for fixture in ("ok/resnet18.pt", "ok/lightning.ckpt", "ok/special.pt", "ok/dtypes.pt",
                        "ok/resnet18_legacy.pt", "ok/special_protocol4.pt", "ok/tiny_vit_module.pt",
                        "ok/bare_tensor.pt", "ok/tensor_list.pt"):
            with self.subTest(fixture=fixture):
                out = os.path.join(self.dir.name, "out.pt")
                status, _, err = self.apply(fixture, {"rules": []}, out)
                self.assertEqual(status, 0, err)
                a = torch.load(ref.fixture(fixture))
                b = torch.load(out)
                la, lb = ref.torch_listing(a), ref.torch_listing(b)
                self.assertEqual([p for p, _ in la], [p for p, _ in lb])
                for (p, x), (_, y) in zip(la, lb):
                    self.assertTrue(same_tensor(x, y), p)
                self.assertEqual(sharing(la), sharing(lb))  # tied weights and views stay shared

    def test_non_tensor_content_is_kept(self):
        out = os.path.join(self.dir.name, "out.ckpt")
        status, _, err = self.apply("ok/lightning.ckpt", {"weights": ["state_dict"], "rules": [
            {"action": "rename", "prefix": "model.", "to": ""}]}, out)
        self.assertEqual(status, 0, err)
        a, b = torch.load(ref.fixture("ok/lightning.ckpt")), torch.load(out)
        self.assertEqual(a["hyper_parameters"], b["hyper_parameters"])  # __main__ class restored
        self.assertEqual(a["loops"], b["loops"])
        self.assertEqual(a["state_dict"]._metadata, b["state_dict"]._metadata)
        self.assertEqual(list(b["state_dict"]), [k[len("model."):] for k in a["state_dict"]])
        # Renames keep parameter order, so the optimizer state stays valid and is kept.
        self.assertEqual(len(a["optimizer_states"][0]["state"]), len(b["optimizer_states"][0]["state"]))

    def test_weights_only_files_stay_weights_only(self):
        out = os.path.join(self.dir.name, "out.pt")
        config = {"rules": [{"action": "rename", "regex": r"^layer(\d)\.", "to": r"stage\1."},
                            {"action": "drop", "match": {"prefix": "fc."}}]}
        status, _, err = self.apply("ok/resnet18.pt", config, out)
        self.assertEqual(status, 0, err)
        b = torch.load(out, weights_only=True)  # PyTorch 1.13's weights_only unpickler
        a = torch.load(ref.fixture("ok/resnet18.pt"))
        self.assertNotIn("fc.weight", b)
        self.assertTrue(torch.equal(b["stage1.0.conv1.weight"], a["layer1.0.conv1.weight"]))
        self.assertEqual(len(b), len(a) - 2)
        import torchvision
        model = torchvision.models.resnet18()
        model.fc = torch.nn.Identity()
        renamed = {k.replace("stage", "layer", 1) if k.startswith("stage") else k: v for k, v in b.items()}
        model.load_state_dict(renamed, strict=True)

    def test_optimizer_state_is_remapped_when_certain(self):
        """Dropping parameters renumbers Adam's state; PyTorch loads it into the smaller model."""
        import torchvision
        out = os.path.join(self.dir.name, "out.ckpt")
        config = {"weights": ["state_dict"], "rules": [
            {"action": "drop", "match": {"glob": "model.fc.*"}},
            {"action": "drop", "match": {"name": "model.layer1.0.conv1.weight"}}]}
        status, stdout, err = self.apply("ok/lightning.ckpt", config, out)
        self.assertEqual(status, 0, err)
        self.assertIn("optimizer state remapped", stdout)
        a, b = torch.load(ref.fixture("ok/lightning.ckpt")), torch.load(out)
        model = torchvision.models.resnet18()
        model.fc = torch.nn.Identity()
        del model.layer1[0].conv1  # the dropped parameter
        model.layer1[0].conv1 = torch.nn.Identity()
        optimizer = torch.optim.Adam(model.parameters())
        optimizer.load_state_dict(b["optimizer_states"][0])  # group sizes must match
        params = list(model.parameters())
        old_params = [k for k in a["state_dict"] if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))]
        kept = [k for k in old_params if not k.startswith("model.fc.") and k != "model.layer1.0.conv1.weight"]
        self.assertEqual(len(params), len(kept))
        for new_index, name in enumerate(kept):
            old_index = old_params.index(name)
            self.assertTrue(torch.equal(b["optimizer_states"][0]["state"][new_index]["exp_avg"],
                                        a["optimizer_states"][0]["state"][old_index]["exp_avg"]), name)
            self.assertEqual(optimizer.state[params[new_index]]["exp_avg"].shape, params[new_index].shape)

    def test_optimizer_state_is_never_left_inconsistent(self):
        out = os.path.join(self.dir.name, "out.ckpt")
        # Renames keep the indices, and certain drops are remapped: both simply work.
        config = {"weights": ["state_dict"], "rules": [
            {"action": "drop", "match": {"glob": "model.fc.*"}},
            {"action": "rename", "prefix": "model.", "to": ""}]}
        status, _, err = self.apply("ok/lightning.ckpt", config, out)
        self.assertEqual(status, 0, err)  # renames and certain drops: fine
        uncertain = {"weights": ["state_dict"], "rules": [{"action": "drop", "match": {"name": "model.bn1.running_mean"}},
                                                          {"action": "drop", "match": {"name": "model.fc.bias"}}]}
        # A checkpoint whose optimizer lists fewer parameters than the weights hold cannot be
        # matched for certain: build one.
        src = torch.load(ref.fixture("ok/lightning.ckpt"))
        src["optimizer_states"][0]["param_groups"][0]["params"].pop()
        del src["optimizer_states"][0]["state"][len(src["optimizer_states"][0]["state"]) - 1]
        odd = os.path.join(self.dir.name, "odd.ckpt")
        torch.save(src, odd)
        cfg = write_config(self.dir.name, uncertain)
        r = subprocess.run([ref.CKPT, "apply", odd, "--config", cfg, "-o", out + "2"], capture_output=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot be matched for certain", r.stderr.decode())
        self.assertFalse(os.path.exists(out + "2"))
        r = subprocess.run([ref.CKPT, "apply", odd, "--config", cfg, "-o", out + "2", "--optimizer", "drop"],
                           capture_output=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("optimizer_states", torch.load(out + "2"))
        r = subprocess.run([ref.CKPT, "apply", odd, "--config", cfg, "-o", out + "3", "--weights-only"],
                           capture_output=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(torch.load(out + "3", weights_only=True)), 120)

    def fine_tuning_checkpoint(self, groups=1):
        """A Lightning-style checkpoint of a small classifier (1000 classes) after one Adam step,
        its hyper-parameters naming the class count twice."""
        import argparse
        model = Classifier(1000)
        params = list(model.parameters())
        optimizer = torch.optim.Adam(params if groups == 1 else
                                     [{"params": params[:-2]}, {"params": params[-2:], "lr": 1e-2}], lr=1e-3)
        model(torch.randn(2, 3, 8, 8)).sum().backward()
        optimizer.step()
        path = os.path.join(self.dir.name, f"finetune{groups}.ckpt")
        torch.save({"state_dict": {"model." + k: v for k, v in model.state_dict().items()},
                    "optimizer_states": [optimizer.state_dict()],
                    "hyper_parameters": {"num_classes": 1000, "lr": 1e-3,
                                         "args": argparse.Namespace(num_classes=1000, width=16)}}, path)
        return path

    def apply_to(self, path, config, out, *extra):
        cfg = write_config(self.dir.name, config)
        r = subprocess.run([ref.CKPT, "apply", path, "--config", cfg, "-o", out, *extra], capture_output=True, timeout=120)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def resume(self, path, classes, groups=1):
        """What resuming training does: the weights and the optimizer state into a fresh model
        and optimizer, and one step."""
        b = torch.load(path)
        model = Classifier(classes)
        model.load_state_dict({k[len("model."):]: v for k, v in b["state_dict"].items()}, strict=True)
        params = list(model.parameters())
        optimizer = torch.optim.Adam(params if groups == 1 else
                                     [{"params": params[:-2]}, {"params": params[-2:], "lr": 1e-2}], lr=1e-3)
        optimizer.load_state_dict(b["optimizer_states"][0])
        model(torch.randn(2, 3, 8, 8)).sum().backward()
        optimizer.step()
        return b, optimizer, params

    def test_optimizer_state_after_a_resize_is_refused_or_reset_never_left_misfit(self):
        src = self.fine_tuning_checkpoint()
        out = os.path.join(self.dir.name, "out.ckpt")
        config = {"weights": ["state_dict"], "rules": [
            {"action": "resize", "match": {"name": "model.head.weight"}, "shape": [10, 16], "method": "rows"},
            {"action": "resize", "match": {"name": "model.head.bias"}, "shape": [10], "method": "rows"}]}
        status, _, err = self.apply_to(src, config, out)
        self.assertEqual(status, 2)
        self.assertEqual(err.splitlines(), [
            f"error: {out}: the optimizer state no longer fits the exported weights (model.head.weight [1000, 16] -> "
            "[10, 16], model.head.bias [1000] -> [10]): reset those entries (--optimizer reset), drop the optimizer "
            "state (--optimizer drop), or export --weights-only"])
        self.assertFalse(os.path.exists(out))
        status, stdout, err = self.apply_to(src, config, out, "--optimizer", "reset")
        self.assertEqual(status, 0, err)
        self.assertIn("optimizer state remapped (2 entries reset)", stdout)
        # The class count is named twice in the hyper-parameters: both are said to look stale.
        self.assertEqual(sorted(err.splitlines()), [
            "warning: hyper_parameters.args.num_classes is 1000, but model.head.weight's dimension 0 is now 10",
            "warning: hyper_parameters.num_classes is 1000, but model.head.weight's dimension 0 is now 10"])
        a = torch.load(src)
        _, optimizer, params = self.resume(out, 10)
        sa, sb = a["optimizer_states"][0]["state"], torch.load(out)["optimizer_states"][0]["state"]
        self.assertEqual(sorted(sb), list(range(len(params) - 2)))  # the head starts fresh
        for i in sb:
            self.assertTrue(torch.equal(sa[i]["exp_avg"], sb[i]["exp_avg"]), i)
        self.assertEqual(optimizer.state[params[-2]]["exp_avg"].shape, (10, 16))
        status, _, err = self.apply_to(src, config, out + "2", "--optimizer", "drop")
        self.assertEqual(status, 0, err)
        self.assertNotIn("optimizer_states", torch.load(out + "2"))

    def test_optimizer_state_after_drop_and_add_lists_every_parameter(self):
        for groups in (1, 2):
            with self.subTest(groups=groups):
                src = self.fine_tuning_checkpoint(groups)
                out = os.path.join(self.dir.name, f"out{groups}.ckpt")
                config = {"weights": ["state_dict"], "rules": [
                    {"action": "drop", "match": {"prefix": "model.head."}},
                    {"action": "drop", "match": {"name": "model.features.0.bias"}},
                    {"action": "add", "name": "model.features.0.bias", "shape": [16], "fill": "zeros"},
                    {"action": "add", "name": "model.head.weight", "shape": [10, 16], "fill": "normal"},
                    {"action": "add", "name": "model.head.bias", "shape": [10], "fill": "zeros"}]}
                status, _, err = self.apply_to(src, config, out)
                self.assertEqual(status, 2)
                self.assertEqual(err.splitlines(), [
                    f"error: {out}: the optimizer state no longer fits the exported weights (model.features.0.bias "
                    "[16] -> [16] (added anew), model.head.weight [1000, 16] -> [10, 16] (added anew), "
                    "model.head.bias [1000] -> [10] (added anew)): reset those entries (--optimizer reset), drop "
                    "the optimizer state (--optimizer drop), or export --weights-only"])
                self.assertFalse(os.path.exists(out))
                status, stdout, err = self.apply_to(src, config, out, "--optimizer", "reset")
                self.assertEqual(status, 0, err)
                self.assertIn("optimizer state remapped (3 entries reset)", stdout)
                a = torch.load(src)
                # Added tensors take the places of the ones they replace: the model's own order.
                self.assertEqual(list(torch.load(out)["state_dict"]), list(a["state_dict"]))
                _, optimizer, params = self.resume(out, 10, groups)  # torch 2 steps the loaded tensors
                sa, sb = a["optimizer_states"][0], torch.load(out)["optimizer_states"][0]
                self.assertEqual([len(g["params"]) for g in sb["param_groups"]],
                                 [len(g["params"]) for g in sa["param_groups"]])
                names = [k for k in a["state_dict"] if "running" not in k and "num_batches" not in k]
                fresh = {names.index(n) for n in ("model.features.0.bias", "model.head.weight", "model.head.bias")}
                self.assertEqual(set(sb["state"]), set(range(len(params))) - fresh)
                for i in sb["state"]:
                    self.assertTrue(torch.equal(sa["state"][i]["exp_avg"], sb["state"][i]["exp_avg"]), i)

    def test_safetensors_output(self):
        out = os.path.join(self.dir.name, "out.safetensors")
        config = {"weights": ["tied"], "rules": [{"action": "rename", "prefix": "1.", "to": "head."}]}
        status, _, err = self.apply("ok/special.pt", config, out)
        self.assertEqual(status, 0, err)
        got = safetensors_writer.load(out)
        src = torch.load(ref.fixture("ok/special.pt"))["tied"]
        self.assertEqual(set(got), {"0.weight", "head.weight"})
        self.assertTrue(torch.equal(got["head.weight"], src["1.weight"]))
        # Tied weights written once, the alias recorded.
        status, _, err = self.apply("ok/special.pt", config, out, "--tied", "alias")
        self.assertEqual(status, 0, err)
        with open(out, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(n))
        self.assertEqual(set(header) - {"__metadata__"}, {"0.weight"})
        self.assertEqual(json.loads(header["__metadata__"]["aliases"]), {"head.weight": "0.weight"})
        # Views and strided tensors are written as their own contiguous bytes.
        out2 = os.path.join(self.dir.name, "views.safetensors")
        status, _, err = self.apply("ok/special.pt", {"weights": ["noncontig"], "rules": []}, out2)
        self.assertEqual(status, 0, err)
        got = safetensors_writer.load(out2)
        src = torch.load(ref.fixture("ok/special.pt"))["noncontig"]
        for k in src:
            self.assertTrue(torch.equal(got[k], src[k]), k)
        self.assertEqual(ref.inspect_json(out2)["format"], "safetensors")

    def test_casts_equal_pytorchs_own_to(self):
        config = {"rules": [
            {"action": "cast", "match": {"all": [{"dtype": "float32"}, {"ndim": 4}]}, "to": "bfloat16"},
            {"action": "cast", "match": {"prefix": "fc."}, "to": "float16"}]}
        src = torch.load(ref.fixture("ok/resnet18.pt"))
        for suffix in (".pt", ".safetensors"):
            with self.subTest(format=suffix):
                out = os.path.join(self.dir.name, "cast" + suffix)
                status, _, err = self.apply("ok/resnet18.pt", config, out)
                self.assertEqual(status, 0, err)
                got = torch.load(out) if suffix == ".pt" else safetensors_writer.load(out)
                for name, t in src.items():
                    want = t.to(torch.bfloat16) if (t.dtype == torch.float32 and t.dim() == 4) else \
                        t.to(torch.float16) if name.startswith("fc.") else t
                    self.assertEqual(got[name].dtype, want.dtype, name)
                    self.assertTrue(torch.equal(got[name], want), name)
        self.assertTrue(torch.load(os.path.join(self.dir.name, "cast.pt"), weights_only=True) is not None)

    def test_sharded_safetensors_open_as_one_model(self):
        out = os.path.join(self.dir.name, "model.safetensors")
        status, _, err = self.apply("ok/resnet18.pt", {"rules": []}, out, "--shard-size", "10MB")
        self.assertEqual(status, 0, err)
        index_path = os.path.join(self.dir.name, "model.safetensors.index.json")
        with open(index_path) as f:
            index = json.load(f)
        shards = sorted(set(index["weight_map"].values()))
        self.assertGreater(len(shards), 3)
        self.assertEqual(shards[0], f"model-00001-of-{len(shards):05d}.safetensors")
        src = torch.load(ref.fixture("ok/resnet18.pt"))
        got = {}
        for shard in shards:
            part = safetensors_writer.load(os.path.join(self.dir.name, shard))
            self.assertLessEqual(os.path.getsize(os.path.join(self.dir.name, shard)), 10_000_000 + 100_000 + 20_000_000)
            got.update(part)
        self.assertEqual(set(got), set(src))
        for k in src:
            self.assertTrue(torch.equal(got[k], src[k]), k)
        self.assertEqual(ref.inspect_json(index_path)["tensor_count"], len(src))
        self.assertEqual(index["metadata"]["total_size"], sum(t.numel() * t.element_size() for t in src.values()))

    def test_plan_errors_write_nothing(self):
        out = os.path.join(self.dir.name, "out.pt")
        status, _, err = self.apply("ok/resnet18.pt", {"rules": [{"action": "freeze", "match": {"glob": "encoder.*"}}]}, out)
        self.assertEqual(status, 1)
        self.assertIn("matches no tensor", err)
        self.assertFalse(os.path.exists(out))

    def test_failures_leave_no_file(self):
        config = {"rules": []}
        # The input itself.
        src = os.path.join(self.dir.name, "src.pt")
        with open(ref.fixture("ok/resnet18.pt"), "rb") as f, open(src, "wb") as g:
            g.write(f.read())
        before = os.path.getsize(src)
        cfg = write_config(self.dir.name, config)
        r = subprocess.run([ref.CKPT, "apply", src, "--config", cfg, "-o", src], capture_output=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("overwrite the input", r.stderr.decode())
        self.assertEqual(os.path.getsize(src), before)
        # A folder that does not exist.
        status, _, err = self.apply("ok/resnet18.pt", config, os.path.join(self.dir.name, "no", "such", "out.pt"))
        self.assertEqual(status, 2)
        self.assertEqual(len(err.strip().splitlines()), 1)
        # A disk that fills up: a file size limit stops the write half-way.
        full = os.path.join(self.dir.name, "full")
        os.mkdir(full)

        def limit():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

        status, _, err = self.apply("ok/resnet18.pt", config, os.path.join(full, "out.pt"), preexec_fn=limit)
        self.assertEqual(status, 2)
        self.assertIn("write failed", err)
        self.assertEqual(os.listdir(full), [], "no partial or temporary file left")

    def test_read_only_destination(self):
        """An immutable folder refuses even root (tests run as root, so chmod would not)."""
        locked = os.path.join(self.dir.name, "locked")
        os.mkdir(locked)
        if subprocess.run(["chattr", "+i", locked], capture_output=True).returncode != 0:
            self.skipTest("this filesystem has no immutable attribute")
        self.addCleanup(subprocess.run, ["chattr", "-i", locked])
        status, _, err = self.apply("ok/resnet18.pt", {"rules": []}, os.path.join(locked, "out.pt"))
        self.assertEqual(status, 2)
        self.assertIn("cannot create a file there", err)
        self.assertEqual(os.listdir(locked), [])


if __name__ == "__main__":
    unittest.main()
