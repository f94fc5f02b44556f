"""`ckpt plan` against the Python reference semantics (fnmatch, re) on real torchvision names,
config errors, and JSON/YAML equivalence."""
import json
import os
import subprocess
import tempfile
import unittest

import plan_reference
import reference as ref

# (fixture, config): every matcher and action, in the combinations training scripts use.
CASES = {
    "resnet_freeze_unfreeze": ("ok/resnet18.pt", {"rules": [
        {"action": "freeze", "match": {"glob": "layer[123].*"}},
        {"action": "unfreeze", "match": {"module": "layer3.1"}},
        {"action": "freeze", "match": {"regex": r"^bn\d\."}},
    ]}),
    "resnet_drop_group_cast": ("ok/resnet18.pt", {"rules": [
        {"action": "drop", "match": {"prefix": "fc."}},
        {"action": "drop", "match": {"dtype": "int64"}},
        {"action": "group", "group": "no_decay", "match": {"any": [{"ndim": 1}, {"suffix": ".bias"}]},
         "options": {"weight_decay": 0.0}},
        {"action": "group", "group": "convs", "match": {"shape": ["*", "*", 3, 3]}, "options": {"lr": 1e-4}},
        {"action": "cast", "match": {"all": [{"dtype": "float"}, {"not": {"suffix": "running_var"}}]},
         "to": "bfloat16"},
        {"action": "cast", "match": {"numel": {"min": 1000000}}, "to": "float16"},
    ]}),
    "resnet_rename_then_match": ("ok/resnet18.pt", {"rules": [
        {"action": "rename", "regex": r"^layer(\d)\.(\d)\.", "to": r"blocks.\1.\2."},
        {"action": "rename", "prefix": "fc.", "to": "head."},
        {"action": "freeze", "match": {"glob": "blocks.[12].*"}},
        {"action": "freeze", "match": {"name": "head.weight"}},
        {"action": "rename", "regex": r"\.(weight|bias)$", "to": r"._\g<1>", "match": {"prefix": "head."}},
    ]}),
    # Regular expressions on names PCRE2's fast path takes (ASCII) and names RE2 takes
    # (non-ASCII), and Python's template syntax: named groups, \\10 (group ten), octal.
    "odd_names_regex": ("ok/odd_names.pt", {"rules": [
        {"action": "rename", "regex": r"^module\.(.*)$", "to": r"\1"},
        {"action": "rename", "regex": r"(?i)^encoder\.layer\.(\d+)\.", "to": r"enc.\g<1>."},
        {"action": "rename", "regex": r"^(?P<blk>blocks)\.(?P<n>\d+)\.(attn|mlp)\.", "to": r"\g<n>.\3.\g<blk>."},
        {"action": "rename", "regex": r"^(a)\.(b)\.(c)\.(d)\.(e)\.(f)\.(g)\.(h)\.(i)\.(j)\.(k)$", "to": r"\10\11-\101"},
        {"action": "freeze", "match": {"regex": r".\.layer"}},
        {"action": "freeze", "match": {"regex": r"^[^.]{2}\.layer"}},
        {"action": "group", "group": "w", "match": {"regex": r"(?i)weight$"}},
        {"action": "drop", "match": {"regex": r"\t"}},
        {"action": "rename", "regex": r"(?s)line.break", "to": "line_break"},
        {"action": "rename", "regex": r"x*", "to": "-", "match": {"prefix": "UPPER"}},
        {"action": "unfreeze", "match": {"regex": r"(?i)^CAF"}},
        {"action": "rename", "regex": r"\.", "to": "/"},
    ]}),
    # Patterns that can match empty, replaced the way re.sub does it (after an empty match,
    # a longer one at the same place still counts).
    "resnet_empty_matches": ("ok/resnet18.pt", {"rules": [
        {"action": "rename", "regex": r"^(.*?)", "to": r"\g<0>.", "match": {"prefix": "fc."}},
        {"action": "rename", "regex": r"a??", "to": "-", "match": {"prefix": "bn1."}},
        {"action": "rename", "regex": r"(\d*)", "to": r"<\1>", "match": {"prefix": "layer1.0.bn1"}},
        {"action": "rename", "regex": r"x*", "to": "_", "match": {"name": "conv1.weight"}},
        {"action": "rename", "regex": r"(.*?)*(.*?)*", "to": r"y\g<0>", "match": {"prefix": "layer4.1.bn2.r"}},
        {"action": "rename", "regex": r"\b", "to": "|", "match": {"prefix": "layer3.0.downsample"}},
    ]}),
    "resnet_aliases_numel": ("ok/resnet18.pt", {
        "aliases": {"stem": ["conv1.*", "bn1.*"], "deep": ["layer4.*"]},
        "rules": [
            {"action": "freeze", "match": {"alias": "stem"}},
            {"action": "freeze", "match": {"all": [{"alias": "deep"}, {"numel": {"max": 512}}]}},
            {"action": "group", "group": "small", "match": {"numel": {"min": 2, "max": 64}}},
        ]}),
    "resnet_diagnostics": ("ok/resnet18.pt", {"rules": [
        {"action": "freeze", "match": {"glob": "encoder.*"}},
        {"action": "freeze", "match": {"module": "conv1"}},
        {"action": "unfreeze", "match": {"prefix": "conv1"}},
        {"action": "rename", "regex": r"^layer\d\.", "to": ""},
        {"action": "cast", "match": {"glob": "fc.*"}, "to": "float16"},
        {"action": "drop", "match": {"glob": "fc.*"}},
        {"action": "freeze", "enabled": False, "match": {"glob": "nothing.*"}},
    ]}),
    "lightning_prefix": ("ok/lightning.ckpt", {"weights": ["state_dict"], "rules": [
        {"action": "rename", "regex": r"^module\.(.*)$", "to": r"\1"},
        {"action": "rename", "prefix": "model.", "to": ""},
        {"action": "freeze", "match": {"any": [{"module": "layer1"}, {"module": "layer2"}]}},
        {"action": "unfreeze", "match": {"module": "layer2.1"}},
    ]}),
    "vit_contract_shape": ("ok/tiny_vit.pt", {
        "aliases": {"vision_encoder": ["encoder.*", "conv_proj.*"]},
        "rules": [
            {"action": "freeze", "match": {"any": [{"prefix": "encoder."}, {"alias": "vision_encoder"}]}},
            {"action": "unfreeze", "match": {"module": "encoder.layers.encoder_layer_1"}},
            {"action": "drop", "match": {"glob": "heads.*"}},
            {"action": "group", "group": "no_decay", "match": {"ndim": 1}, "options": {"weight_decay": 0.0}},
            {"action": "cast", "match": {"all": [{"dtype": "float32"}, {"not": {"suffix": ".bias"}}]},
             "to": "bfloat16"},
        ]}),
    "mobilenet_classes": ("ok/mobilenet_v3_small.pt", {"rules": [
        {"action": "freeze", "match": {"glob": "features.[0-5].*"}},
        {"action": "freeze", "match": {"glob": "features.?.block.[!0]*"}},
        {"action": "unfreeze", "match": {"regex": r"block\.\d\.fc\d"}},
    ]}),
}


def listing(fixture, weights):
    data = ref.inspect_json(ref.fixture(fixture))
    base = weights if weights is not None else data["weights_candidates"][0]["path"]
    return [{"name": t["path"][-1], "dtype": t["dtype"], "shape": t["shape"], "numel": t["numel"]}
            for t in data["tensors"]
            if t["path"][:-1] == base and isinstance(t["path"][-1], str)]


def plan(fixture, config, suffix=".json", extra=()):
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False) as f:
        f.write(config if isinstance(config, str) else json.dumps(config))
    try:
        status, out, err = ref.run("plan", ref.fixture(fixture), "--config", f.name, "--json", *extra)
    finally:
        os.unlink(f.name)
    return status, (json.loads(out) if out.strip() else None), err.decode()


class PlanAgainstPython(unittest.TestCase):
    def test_every_case(self):
        for name, (fixture, config) in CASES.items():
            with self.subTest(case=name):
                status, ours, err = plan(fixture, config)
                self.assertIn(status, (0, 1), err)
                rows, counts, diagnostics = plan_reference.evaluate(listing(fixture, config.get("weights")), config)
                got = [{k: t[k] for k in ("name", "frozen", "groups", "dtype")} for t in ours["tensors"]]
                self.assertEqual(len(got), len(rows))
                for g, r in zip(got, rows):
                    self.assertEqual(g, r)
                self.assertEqual([r["tensors"] for r in ours["rules"]],
                                 [c if config["rules"][k].get("enabled", True) else 0 for k, c in enumerate(counts)])
                self.assertEqual({(d["severity"], d["rule"]) for d in ours["diagnostics"]}, diagnostics)
                self.assertEqual(status, 1 if any(s == "error" for s, _ in diagnostics) else 0)
                # The totals the CLI prints and the window shows, from the reference's rows.
                numel = [t["numel"] for t in listing(fixture, config.get("weights"))]
                kept = [(r["frozen"], n) for r, n in zip(rows, numel) if r["name"] is not None]
                self.assertEqual(ours["totals"], {
                    "tensors": len(rows), "dropped": len(rows) - len(kept),
                    "frozen_parameters": sum(n for f, n in kept if f),
                    "trainable_parameters": sum(n for f, n in kept if not f),
                    "dropped_parameters": sum(n for r, n in zip(rows, numel) if r["name"] is None),
                    "consumed": 0, "made": 0})  # no surgery rule in these cases

    def test_diagnostics_are_the_ones_users_need(self):
        status, ours, _ = plan(*CASES["resnet_diagnostics"])
        self.assertEqual(status, 1)
        messages = {d["rule"]: (d["severity"], d["message"]) for d in ours["diagnostics"]}
        self.assertEqual(messages[0][0], "error")
        self.assertIn("matches no tensor", messages[0][1])  # the silent-freeze bug, caught
        self.assertEqual(messages[1][0], "warning")          # freeze conv1 undone by rule 2
        self.assertIn("overridden", messages[1][1])
        self.assertIn("collide", messages[3][1])             # layer1.0.x and layer2.0.x -> 0.x
        self.assertEqual(messages[4][0], "warning")          # cast of tensors later dropped
        self.assertNotIn(6, messages)                        # disabled rules say nothing

    def test_schedule_changes_freezing_by_step(self):
        config = {"rules": [{"action": "freeze", "match": {"glob": "layer*"}}],
                  "schedule": [{"step": 1000, "rules": [{"action": "unfreeze", "match": {"module": "layer4"}}]},
                               {"step": 5000, "rules": [{"action": "unfreeze", "match": {"glob": "layer*"}}]}]}
        frozen = {}
        for step in (0, 1000, 4999, 5000):
            _, ours, _ = plan("ok/resnet18.pt", config, extra=("--step", str(step)))
            frozen[step] = sum(t["frozen"] for t in ours["tensors"])
        self.assertGreater(frozen[0], frozen[1000])
        self.assertEqual(frozen[1000], frozen[4999])
        self.assertEqual(frozen[5000], 0)

    def test_yaml_and_json_are_the_same_config(self):
        fixture, config = CASES["vit_contract_shape"]
        yaml_text = """
version: 1
aliases:
  vision_encoder: ["encoder.*", "conv_proj.*"]
rules:
  - {action: freeze, match: {any: [{prefix: "encoder."}, {alias: vision_encoder}]}}
  - {action: unfreeze, match: {module: encoder.layers.encoder_layer_1}}
  - {action: drop, match: {glob: "heads.*"}}
  - {action: group, group: no_decay, match: {ndim: 1}, options: {weight_decay: 0.0}}
  - action: cast
    match: {all: [{dtype: float32}, {not: {suffix: .bias}}]}
    to: bfloat16
"""
        _, from_json, _ = plan(fixture, config)
        _, from_yaml, err = plan(fixture, yaml_text, suffix=".yaml")
        self.assertIsNotNone(from_yaml, err)
        self.assertEqual(from_json["tensors"], from_yaml["tensors"])

    def test_invalid_configs_name_rule_and_field(self):
        cases = [
            ({"rules": [{"action": "frezee", "match": {"glob": "*"}}]}, "rules[0].action"),
            ({"rules": [{"action": "freeze", "match": {"globb": "*"}}]}, "rules[0].match: unknown matcher 'globb'"),
            ({"rules": [{"action": "freeze", "match": {"glob": 3}}]}, "rules[0].match.glob: expected a string"),
            ({"rules": [{"action": "freeze"}]}, "rules[0]: missing \"match\""),
            ({"rules": [{"action": "cast", "match": {"glob": "*"}, "to": "float17"}]}, "rules[0].to: unknown dtype"),
            ({"rules": [{"action": "freeze", "match": {"regex": "layer("}}]}, "rules[0].match.regex: invalid regular expression"),
            ({"rules": [{"action": "freeze", "match": {"alias": "nope"}}]}, "rules[0].match.alias: no alias named 'nope'"),
            ({"rules": [{}, {"action": "freeze", "match": {"shape": [1, "x"]}}]}, "rules[0]: missing \"action\""),
            ({"rules": [{"action": "freeze", "match": {"shape": [1, "x"]}}]}, "rules[0].match.shape[1]: expected an integer"),
            ({"rules": [{"action": "rename", "to": "x"}]}, "rules[0]: a rename needs either"),
            ({"rules": [{"action": "freeze", "match": {"glob": "*"}, "mtach": 1}]}, "rules[0]: unknown field 'mtach'"),
            ({"weights": ["nowhere"], "rules": []}, "weights: no tensors at nowhere"),
            ("{not json", "not valid JSON"),
            ({"rulez": []}, "config: unknown field 'rulez'"),
        ]
        for config, words in cases:
            with self.subTest(words=words):
                status, out, err = plan("ok/resnet18.pt", config)
                self.assertEqual(status, 2)
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertTrue(err.startswith("error: "), err)
                self.assertIn(words, err)


class ConfigOutputs(unittest.TestCase):
    CONFIG = {"aliases": {"stem": ["conv1.*", "bn1.*"]}, "rules": [
        {"action": "freeze", "match": {"glob": "layer[123].*"}},
        {"action": "unfreeze", "match": {"module": "layer3.1"}},
        {"action": "freeze", "match": {"alias": "stem"}},
        {"action": "group", "group": "no_decay", "match": {"any": [{"ndim": 1}, {"suffix": ".bias"}]},
         "options": {"weight_decay": 0.0}},
        {"action": "group", "group": "head", "match": {"prefix": "fc."}, "options": {"lr": 0.01, "weight_decay": 0.1}},
    ]}

    def emit(self, fmt, config=None, fixture="ok/resnet18.pt"):
        with tempfile.TemporaryDirectory() as d:
            cfg = os.path.join(d, "rules.json")
            with open(cfg, "w") as f:
                json.dump(config or self.CONFIG, f)
            out = os.path.join(d, "out")
            status, _, err = ref.run("plan", ref.fixture(fixture), "--config", cfg, "--emit", fmt, "-o", out)
            self.assertEqual(status, 0, err)
            with open(out) as f:
                return f.read()

    def test_python_function_freezes_exactly_the_plan(self):
        import torch
        import torchvision
        source = self.emit("python")
        namespace = {}
        exec(compile(source, "apply_rules.py", "exec"), namespace)
        model = torchvision.models.resnet18()
        groups = namespace["apply_rules"](model, lr=1e-3)
        _, planned, _ = plan("ok/resnet18.pt", self.CONFIG)
        params = dict(model.named_parameters())
        expected = {t["name"] for t in planned["tensors"] if t["frozen"] and t["name"] in params}
        self.assertEqual({n for n, p in params.items() if not p.requires_grad}, expected)
        self.assertGreater(len(expected), 20)
        by_name = {g["name"]: g for g in groups}
        self.assertEqual(by_name["no_decay"]["weight_decay"], 0.0)
        self.assertEqual(by_name["head"]["lr"], 0.01)
        ids = {id(p): n for n, p in params.items()}
        planned_groups = {t["name"]: t["groups"] for t in planned["tensors"]}
        for g in groups:
            for p in g["params"]:
                name = ids[id(p)]
                self.assertTrue(p.requires_grad)
                first = planned_groups[name][0] if planned_groups[name] else "default"
                self.assertEqual(g["name"], first, name)
        # Every trainable parameter is in exactly one group: the optimizer accepts them.
        self.assertEqual(sum(len(g["params"]) for g in groups), sum(p.requires_grad for p in params.values()))
        torch.optim.AdamW(groups)

    def test_python_function_refuses_a_model_that_lacks_frozen_names(self):
        import torchvision
        namespace = {}
        exec(compile(self.emit("python"), "apply_rules.py", "exec"), namespace)
        with self.assertRaises(KeyError):
            namespace["apply_rules"](torchvision.models.mobilenet_v3_small())

    def test_config_round_trips_and_is_canonical(self):
        as_json = self.emit("json")
        as_yaml = self.emit("yaml")
        reordered = json.loads(json.dumps(self.CONFIG))
        reordered["rules"][4]["options"] = {"weight_decay": 0.1, "lr": 0.01}
        reordered = {"rules": reordered["rules"], "aliases": reordered["aliases"]}
        self.assertEqual(self.emit("json", reordered), as_json)
        doc = json.loads(as_json)
        self.assertEqual(doc["source"]["name"], "resnet18.pt")
        self.assertTrue(doc["source"]["listing_hash"].startswith("fnv1a64:"))
        _, planned, _ = plan("ok/resnet18.pt", self.CONFIG)
        self.assertEqual(set(doc["resolved"]["frozen"]), {t["name"] for t in planned["tensors"] if t["frozen"]})
        self.assertEqual(doc["resolved"]["groups"]["head"]["members"], ["fc.bias", "fc.weight"])
        # Written configs load back (the resolved part is ignored) and plan the same, in both forms.
        for text, suffix in ((as_json, ".json"), (as_yaml, ".yaml")):
            _, again, err = plan("ok/resnet18.pt", text, suffix=suffix)
            self.assertIsNotNone(again, err)
            self.assertEqual(again["tensors"], planned["tensors"])

    DIALECT_CONFIG = {"rules": [
        {"action": "freeze", "match": {"glob": "layer[123].*"}},
        {"action": "unfreeze", "match": {"module": "layer3.1"}},
        {"action": "freeze", "match": {"regex": r"^layer4\.1\.bn\d\.weight$"}},
        {"action": "drop", "match": {"prefix": "fc."}},
        {"action": "drop", "match": {"name": "bn1.running_mean"}},
        {"action": "group", "group": "no_decay", "match": {"ndim": 1}, "options": {"weight_decay": 0.0}},
    ]}

    def test_kempnerforge_specs_freeze_exactly_the_plan(self):
        """Applied the way kempnerforge.training.freeze.freeze_params applies them."""
        import fnmatch
        import tomllib
        import torchvision
        specs = tomllib.loads(self.emit("kempnerforge", self.DIALECT_CONFIG))["freeze"]
        model = torchvision.models.resnet18()
        for spec in specs:
            for name, p in model.named_parameters():
                if fnmatch.fnmatch(name, spec["module"]):
                    p.requires_grad = not spec["frozen"]
        _, planned, _ = plan("ok/resnet18.pt", self.DIALECT_CONFIG)
        params = dict(model.named_parameters())
        self.assertEqual({n for n, p in params.items() if not p.requires_grad},
                         {t["name"] for t in planned["tensors"] if t["frozen"] and t["name"] in params})
        self.assertIn({"module": "layer1.*", "frozen": True}, specs)
        self.assertEqual(specs, sorted(specs, key=lambda s: s["module"]))  # canonical order

    def test_linnaeus_metadata_drops_exactly_the_plan(self):
        """drop_params/drop_buffers applied as linnaeus' load_pretrained applies them: on the keys
        once "module." is stripped, each drop_params pattern searched as a regular expression
        ("\\b" added unless it ends in "."), each drop_buffers one as a substring."""
        import re
        import torch
        import yaml
        doc = yaml.safe_load(self.emit("linnaeus", self.DIALECT_CONFIG))
        meta = doc["pretrained_ckpt_handling_metadata"]
        state = torch.load(ref.fixture("ok/resnet18.pt"))
        clean = [k[len("module."):] if k.startswith("module.") else k for k in state]
        kept = [k for k in clean
                if not any(re.search(p if p.endswith(".") else p + r"\b", k) for p in meta["drop_params"])
                and not any(p in k for p in meta["drop_buffers"])]
        _, planned, _ = plan("ok/resnet18.pt", self.DIALECT_CONFIG)
        self.assertEqual(kept, [t["source_name"] for t in planned["tensors"] if t["name"] is not None])
        self.assertIn("layer1.0.bn1.running_mean", kept)  # a substring match would have dropped it
        self.assertFalse(meta["strict"])
        frozen = doc["filters"]["frozen"]["FILTERS"][0]["PATTERNS"]
        matched = {t["name"] for t in planned["tensors"] if t["name"] and any(t["name"].startswith(p) for p in frozen)}
        self.assertEqual(matched, {t["name"] for t in planned["tensors"] if t["frozen"]})

    def test_linnaeus_filters_keep_the_rules_dimension_and_layer_type(self):
        """A group by ndim becomes linnaeus' own dimension filter, not a list of every name; the
        filter, run as linnaeus' DimensionFilter runs it on the model, picks the planned members."""
        import torchvision
        import yaml
        config = {"rules": [{"action": "group", "group": "no_decay", "match": {"ndim": 1}}]}
        doc = yaml.safe_load(self.emit("linnaeus", config))
        filters = doc["filters"]["no_decay"]["FILTERS"]
        self.assertEqual(filters, [{"TYPE": "dimension", "DIMENSIONS": [1]}])
        model = torchvision.models.resnet18()
        chosen = {n for n, p in model.named_parameters() if len(p.shape) in filters[0]["DIMENSIONS"]}
        _, planned, _ = plan("ok/resnet18.pt", config)
        params = dict(model.named_parameters())
        self.assertEqual(chosen, {t["name"] for t in planned["tensors"] if "no_decay" in t["groups"] and t["name"] in params})

    def test_anemoi_block_names_whole_modules(self):
        text = self.emit("anemoi")
        self.assertIn("anemoi.training.train.modify.FreezingModelModifier", text)
        modules = [l.split('"')[1] for l in text.splitlines() if l.strip().startswith('- "')]
        self.assertEqual(modules, ["conv1", "bn1", "layer1", "layer2", "layer3.0"])  # model order
        self.assertNotIn("TransferLearningModelModifier", text)  # nothing dropped

    def test_anemoi_transfer_learning_block_when_names_are_dropped(self):
        import yaml
        doc = yaml.safe_load(self.emit("anemoi", self.DIALECT_CONFIG))
        modifiers = doc["training"]["model_modifier"]["modifiers"]
        self.assertEqual(modifiers[0]["_target_"], "anemoi.training.train.modify.TransferLearningModelModifier")
        self.assertEqual((modifiers[0]["strict"], modifiers[0]["skip_mismatched"]), (False, True))
        self.assertTrue(modifiers[0]["checkpoint_path"].endswith("resnet18.pt"))
        self.assertEqual(modifiers[1]["_target_"], "anemoi.training.train.modify.FreezingModelModifier")

if __name__ == "__main__":
    unittest.main()
