"""Surgery across checkpoints (`take`, `stack`, `unstack`, `split`, `concat`, `transpose`,
`reshape`, `lora`, `merge`) against the tools a user would otherwise script it with, in the same
run: torch.stack / torch.split / torch.cat, transformers' own rotary permutation, PEFT's
merge_and_unload(), mergekit's merges, and load_state_dict(strict=True) plus a forward pass."""
import json
import os
import subprocess
import tempfile
import unittest

import torch
from safetensors.torch import load_file, save_file

CKPT = os.environ.get("CKPT_BIN", "ckpt")
VENV_BIN = os.path.join(__import__("sys").prefix, "bin")


def apply(folder, source, config, fmt="safetensors", name="out"):
    """Runs ckpt apply with `config` (written beside the sources) and loads what it wrote."""
    cfg = os.path.join(folder, name + ".json")
    with open(cfg, "w") as f:
        json.dump(config, f)
    out = os.path.join(folder, name + (".safetensors" if fmt == "safetensors" else ".pt"))
    r = subprocess.run([CKPT, "apply", source, "--config", cfg, "-o", out, "--format", fmt],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError(f"ckpt apply failed ({r.returncode}): {r.stderr}")
    return load_file(out) if fmt == "safetensors" else torch.load(out, weights_only=True)


def plan(folder, source, config):
    cfg = os.path.join(folder, "plan.json")
    with open(cfg, "w") as f:
        json.dump(config, f)
    r = subprocess.run([CKPT, "plan", source, "--config", cfg, "--json"], capture_output=True, text=True, timeout=120)
    return r.returncode, json.loads(r.stdout) if r.stdout.strip().startswith("{") else None, r.stderr


class TestLayout(unittest.TestCase):
    """Stack, unstack, split and concat are byte copies: bitwise equal to torch's own."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        torch.manual_seed(0)
        self.sd = {f"layers.{i}.attn.w": torch.randn(6, 5) for i in range(12)}  # 12: numeric order, not "10" < "2"
        self.sd.update({f"layers.{i}.norm": torch.randn(5, dtype=torch.bfloat16) for i in range(12)})
        self.sd.update({f"moe.experts.{e}.w1": torch.randn(8, 4) for e in range(4)})
        self.sd["qkv.weight"] = torch.randn(3 * 6 + 2, 7)
        self.sd["head.weight"] = torch.randn(3, 4, 5)
        self.path = os.path.join(self.dir, "m.safetensors")
        save_file(self.sd, self.path)

    def tearDown(self):
        self.tmp.cleanup()

    def test_stack_equals_torch_stack_and_unstack_gives_back_the_original(self):
        stacked = apply(self.dir, self.path, {"rules": [
            {"action": "stack", "match": {"regex": r"^layers\.(\d+)\.(.+)$"}, "to": r"layers.\2", "key": r"\1", "axis": 0}]})
        self.assertEqual(set(stacked) - set(self.sd), {"layers.attn.w", "layers.norm"})
        self.assertTrue(torch.equal(stacked["layers.attn.w"], torch.stack([self.sd[f"layers.{i}.attn.w"] for i in range(12)])))
        self.assertEqual(stacked["layers.norm"].dtype, torch.bfloat16)
        self.assertTrue(torch.equal(stacked["layers.norm"], torch.stack([self.sd[f"layers.{i}.norm"] for i in range(12)])))
        back_path = os.path.join(self.dir, "stacked.safetensors")
        save_file(stacked, back_path)
        back = apply(self.dir, back_path, {"rules": [
            {"action": "unstack", "match": {"regex": r"^layers\.(attn\.w|norm)$"}, "to": r"layers.{i}.\1", "axis": 0}]}, name="back")
        self.assertEqual(set(back), set(self.sd))
        for k in self.sd:
            self.assertTrue(torch.equal(back[k], self.sd[k]), k)

    def test_stack_on_another_axis_and_moe_experts_split_back(self):
        out = apply(self.dir, self.path, {"rules": [
            {"action": "stack", "match": {"regex": r"^moe\.experts\.(\d+)\.w1$"}, "to": "moe.w1", "key": r"\1", "axis": -1}]})
        want = torch.stack([self.sd[f"moe.experts.{e}.w1"] for e in range(4)], dim=-1)
        self.assertTrue(torch.equal(out["moe.w1"], want))
        save_file(out, os.path.join(self.dir, "moe.safetensors"))
        back = apply(self.dir, os.path.join(self.dir, "moe.safetensors"), {"rules": [
            {"action": "unstack", "match": {"name": "moe.w1"}, "to": "moe.experts.{i}.w1", "axis": 2}]}, name="moe-back")
        for e in range(4):
            self.assertTrue(torch.equal(back[f"moe.experts.{e}.w1"], self.sd[f"moe.experts.{e}.w1"]))

    def test_split_equals_torch_split_and_concat_rebuilds_it(self):
        parts = apply(self.dir, self.path, {"rules": [
            {"action": "split", "match": {"regex": r"^(.+)\.qkv\.weight$|^qkv\.weight$"}, "axis": 0,
             "parts": [{"to": "q_proj.weight", "size": 8}, {"to": "k_proj.weight"}, {"to": "v_proj.weight"}]}]})
        q, k, v = torch.split(self.sd["qkv.weight"], [8, 6, 6])
        for name, want in (("q_proj.weight", q), ("k_proj.weight", k), ("v_proj.weight", v)):
            self.assertTrue(torch.equal(parts[name], want), name)
        self.assertNotIn("qkv.weight", parts)
        save_file(parts, os.path.join(self.dir, "parts.safetensors"))
        fused = apply(self.dir, os.path.join(self.dir, "parts.safetensors"), {"rules": [
            {"action": "concat", "match": {"regex": r"^(q|k|v)_proj\.weight$"}, "to": "qkv.weight", "key": r"\1",
             "order": ["q", "k", "v"], "axis": 0}]}, name="fused")
        self.assertTrue(torch.equal(fused["qkv.weight"], self.sd["qkv.weight"]))
        # Along axis 1 too.
        cat1 = apply(self.dir, self.path, {"rules": [
            {"action": "concat", "match": {"regex": r"^moe\.experts\.(\d+)\.w1$"}, "to": "moe.w1", "key": r"\1", "axis": 1}]}, name="cat1")
        self.assertTrue(torch.equal(cat1["moe.w1"], torch.cat([self.sd[f"moe.experts.{e}.w1"] for e in range(4)], 1)))

    def test_transpose_and_reshape_equal_torch_and_pytorch_output_matches(self):
        for fmt in ("safetensors", "pt"):
            out = apply(self.dir, self.path, {"rules": [
                {"action": "transpose", "match": {"name": "head.weight"}, "dims": [2, 0, 1]},
                {"action": "reshape", "match": {"name": "qkv.weight"}, "shape": [-1, 2, 7]}]}, fmt=fmt, name="t-" + fmt)
            self.assertTrue(torch.equal(out["head.weight"], self.sd["head.weight"].permute(2, 0, 1).contiguous()))
            self.assertTrue(torch.equal(out["qkv.weight"], self.sd["qkv.weight"].reshape(-1, 2, 7)))
            self.assertTrue(torch.equal(out["layers.3.attn.w"], self.sd["layers.3.attn.w"]))

    def test_plan_names_shapes_and_diagnostics(self):
        rc, j, _ = plan(self.dir, self.path, {"rules": [
            {"action": "stack", "match": {"regex": r"^layers\.(\d+)\.(attn\.w)$"}, "to": r"layers.\2", "key": r"\1"}]})
        self.assertEqual(rc, 0)
        made = {a["name"]: a for a in j["added"]}
        self.assertEqual(made["layers.attn.w"]["shape"], [12, 6, 5])
        self.assertEqual(made["layers.attn.w"]["dtype"], "float32")
        self.assertEqual(sum(t["consumed_by"] == 0 for t in j["tensors"]), 12)
        # A key missing (layer 5 dropped first), a shape that does not divide, a missing source.
        rc, j, _ = plan(self.dir, self.path, {"sources": {"ft": "nowhere.safetensors"}, "rules": []})
        self.assertNotEqual(rc, 0)
        rc, j, _ = plan(self.dir, self.path, {"rules": [
            {"action": "drop", "match": {"glob": "layers.5.*"}},
            {"action": "stack", "match": {"regex": r"^layers\.(\d+)\.(attn\.w)$"}, "to": r"layers.\2", "key": r"\1"},
            {"action": "split", "match": {"name": "qkv.weight"}, "parts": [{"to": "a"}, {"to": "b"}, {"to": "c"}]}]})
        self.assertNotEqual(rc, 0)
        messages = [d["message"] for d in j["diagnostics"] if d["severity"] == "error"]
        self.assertTrue(any("key 5 is missing" in m for m in messages), messages)
        self.assertTrue(any("does not divide" in m for m in messages), messages)


class TestCompareProposesLayouts(unittest.TestCase):
    """`ckpt compare` proposes stack, unstack, split and concat when the target's names and
    shapes call for them; the proposals, applied, load strictly into the target."""

    def run_case(self, checkpoint, target, kinds):
        with tempfile.TemporaryDirectory() as d:
            ck, tg, fixes = (os.path.join(d, n) for n in ("ck.safetensors", "target.safetensors", "fixes.json"))
            save_file(checkpoint, ck)
            save_file(target, tg)
            r = subprocess.run([CKPT, "compare", ck, "--target", tg, "--json", "--suggest", fixes],
                               capture_output=True, text=True, timeout=120)
            report = json.loads(r.stdout)
            self.assertEqual(sorted({p["kind"] for p in report["proposals"]}), sorted(kinds), report["proposals"])
            r = subprocess.run([CKPT, "compare", ck, "--target", tg, "--config", fixes, "--json"],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout[-2000:])
            with open(fixes) as f:
                config = json.load(f)
            return apply(d, ck, config)

    def test_stack_and_unstack(self):
        torch.manual_seed(3)
        per_layer = {f"blocks.{i}.{w}": torch.randn(4, 3) for i in range(11) for w in ("attn.w", "mlp.w")}
        per_layer["head.weight"] = torch.randn(2, 3)
        stacked = {"blocks.attn.w": torch.stack([per_layer[f"blocks.{i}.attn.w"] for i in range(11)]),
                   "blocks.mlp.w": torch.stack([per_layer[f"blocks.{i}.mlp.w"] for i in range(11)]),
                   "head.weight": per_layer["head.weight"]}
        out = self.run_case(per_layer, {k: torch.zeros_like(v) for k, v in stacked.items()}, ["stack"])
        self.assertTrue(all(torch.equal(out[k], stacked[k]) for k in stacked))
        back = self.run_case(stacked, {k: torch.zeros_like(v) for k, v in per_layer.items()}, ["unstack"])
        self.assertTrue(all(torch.equal(back[k], per_layer[k]) for k in per_layer))

    def test_split_and_concat_a_fused_qkv(self):
        torch.manual_seed(4)
        fused = {f"layers.{i}.attn.qkv.weight": torch.randn(24, 8) for i in range(2)}
        parts = {}
        for i in range(2):
            q, k, v = torch.split(fused[f"layers.{i}.attn.qkv.weight"], [8, 8, 8])
            parts.update({f"layers.{i}.attn.q.weight": q, f"layers.{i}.attn.k.weight": k, f"layers.{i}.attn.v.weight": v})
        out = self.run_case(fused, {k: torch.zeros_like(v) for k, v in parts.items()}, ["split"])
        self.assertTrue(all(torch.equal(out[k], parts[k]) for k in parts))
        back = self.run_case(parts, {k: torch.zeros_like(v) for k, v in fused.items()}, ["concat"])
        self.assertTrue(all(torch.equal(back[k], fused[k]) for k in fused))


class TestTakeIntoCombinedModel(unittest.TestCase):
    """Orbax's model-surgery example made real: an image encoder from one file, a text
    transformer from another, a new fusion layer; the result loads strictly and runs."""

    def test_combined_model_loads_strictly_and_runs(self):
        import torchvision

        class Text(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = torch.nn.Embedding(50, 16)
                layer = torch.nn.TransformerEncoderLayer(16, 2, 32, batch_first=True)
                self.encoder = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)

            def forward(self, ids):
                return self.encoder(self.embed(ids)).mean(1)

        def vit():
            return torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2,
                                                         hidden_dim=16, mlp_dim=32, num_classes=16)

        class Combined(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.image = vit()
                self.text = Text()
                self.fusion = torch.nn.Linear(32, 8)

            def forward(self, pixels, ids):
                return self.fusion(torch.cat([self.image(pixels), self.text(ids)], -1))

        torch.manual_seed(1)
        image, text = vit(), Text()
        with tempfile.TemporaryDirectory() as d:
            torch.save({"state_dict": image.state_dict(), "epoch": 3}, os.path.join(d, "vit.ckpt"))
            save_file({k: v.contiguous() for k, v in text.state_dict().items()}, os.path.join(d, "text.safetensors"))
            config = {
                "sources": {"text": "text.safetensors"},
                "weights": ["state_dict"],
                "rules": [
                    {"action": "rename", "prefix": "", "to": "image."},
                    {"action": "take", "from": "text", "match": {"glob": "*"}, "prefix": "", "to": "text."},
                    {"action": "add", "name": "fusion.weight", "shape": [8, 32], "fill": "normal"},
                    {"action": "add", "name": "fusion.bias", "shape": [8], "fill": "zeros"},
                ]}
            for fmt in ("safetensors", "pt"):
                out = apply(d, os.path.join(d, "vit.ckpt"), config, fmt=fmt, name="combined-" + fmt)
                weights = out if fmt == "safetensors" else out["state_dict"]
                model = Combined()
                model.load_state_dict(weights, strict=True)
                for k, v in image.state_dict().items():
                    self.assertTrue(torch.equal(weights["image." + k], v), k)
                for k, v in text.state_dict().items():
                    self.assertTrue(torch.equal(weights["text." + k], v), k)
                model.eval()
                y = model(torch.randn(2, 3, 32, 32), torch.randint(0, 50, (2, 5)))
                self.assertEqual(tuple(y.shape), (2, 8))
                self.assertTrue(torch.isfinite(y).all())

    def test_the_written_config_names_its_sources_and_rebuilds_the_result(self):
        with tempfile.TemporaryDirectory() as d, tempfile.TemporaryDirectory() as elsewhere:
            save_file({"a": torch.randn(3)}, os.path.join(d, "self.safetensors"))
            save_file({"enc.w": torch.randn(2, 2)}, os.path.join(d, "other.safetensors"))
            cfg = os.path.join(d, "rules.json")
            with open(cfg, "w") as f:
                json.dump({"sources": {"o": "other.safetensors"}, "rules": [{"action": "take", "from": "o", "match": "enc.*"}]}, f)
            first, written = os.path.join(d, "first.safetensors"), os.path.join(elsewhere, "written.json")
            subprocess.run([CKPT, "apply", os.path.join(d, "self.safetensors"), "--config", cfg, "-o", first,
                            "--format", "safetensors", "--write-config", written], check=True, capture_output=True)
            with open(written) as f:
                doc = json.load(f)
            identity = doc["source"]["sources"]["o"]
            self.assertEqual(identity["size"], os.path.getsize(os.path.join(d, "other.safetensors")))
            self.assertEqual(identity["tensors"], 1)
            self.assertTrue(identity["listing_hash"].startswith("fnv1a64:"))
            self.assertEqual(doc["resolved"]["made"], {"enc.w": "o:enc.w"})
            again = os.path.join(elsewhere, "again.safetensors")
            subprocess.run([CKPT, "apply", os.path.join(d, "self.safetensors"), "--config", written, "-o", again,
                            "--format", "safetensors"], check=True, capture_output=True, cwd="/")
            a, b = load_file(first), load_file(again)
            self.assertEqual(set(a), set(b))
            self.assertTrue(all(torch.equal(a[k], b[k]) for k in a))

    def test_a_taken_name_that_exists_needs_replace(self):
        with tempfile.TemporaryDirectory() as d:
            save_file({"a": torch.zeros(2), "b": torch.ones(2)}, os.path.join(d, "self.safetensors"))
            save_file({"a": torch.full((2,), 7.0)}, os.path.join(d, "other.safetensors"))
            rc, j, _ = plan(d, os.path.join(d, "self.safetensors"),
                            {"sources": {"o": "other.safetensors"}, "rules": [{"action": "take", "from": "o", "match": "a"}]})
            self.assertNotEqual(rc, 0)
            self.assertTrue(any("exists already" in x["message"] for x in j["diagnostics"]))
            out = apply(d, os.path.join(d, "self.safetensors"),
                        {"sources": {"o": "other.safetensors"}, "rules": [{"action": "take", "from": "o", "match": "a", "replace": True}]})
            self.assertTrue(torch.equal(out["a"], torch.full((2,), 7.0)))
            self.assertTrue(torch.equal(out["b"], torch.ones(2)))


class TestRotaryPermutation(unittest.TestCase):
    def test_meta_to_hugging_face_equals_transformers(self):
        from transformers import LlamaConfig
        from transformers.core_model_loading import PermuteForRope

        config = LlamaConfig(hidden_size=64, num_attention_heads=4, num_key_value_heads=4)
        torch.manual_seed(2)
        sd = {f"layers.{i}.attention.wq.weight": torch.randn(64, 64) for i in range(2)}
        sd["layers.0.attention.wv.weight"] = torch.randn(64, 64)
        with tempfile.TemporaryDirectory() as d:
            save_file(sd, os.path.join(d, "meta.safetensors"))
            q = {"regex": r"\.wq\.weight$"}
            out = apply(d, os.path.join(d, "meta.safetensors"), {"rules": [
                {"action": "reshape", "match": q, "shape": [4, 8, 2, 64]},
                {"action": "transpose", "match": q, "dims": [0, 2, 1, 3]},
                {"action": "reshape", "match": q, "shape": [64, 64]}]})
            for i in range(2):
                want = PermuteForRope()._permute_for_rope(sd[f"layers.{i}.attention.wq.weight"], config)
                self.assertTrue(torch.equal(out[f"layers.{i}.attention.wq.weight"], want))
            self.assertTrue(torch.equal(out["layers.0.attention.wv.weight"], sd["layers.0.attention.wv.weight"]))


def tiny_llama(seed, folder):
    from transformers import LlamaConfig, LlamaForCausalLM
    config = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder)
    return model


class TestLora(unittest.TestCase):
    """Equal to PEFT's merge_and_unload() to 1e-6 in float32."""

    def check(self, make_base, lora_config, rslora_name, safetensors=True):
        from peft import get_peft_model
        with tempfile.TemporaryDirectory() as d:
            base = make_base(os.path.join(d, "base"))
            peft_model = get_peft_model(base, lora_config)
            torch.manual_seed(5)
            with torch.no_grad():
                for n, p in peft_model.named_parameters():
                    if "lora_B" in n:
                        p.normal_(0, 0.5)  # PEFT starts B at zero: nothing to merge
            peft_model.save_pretrained(os.path.join(d, "adapter"), safe_serialization=safetensors)
            self.assertTrue(os.path.exists(os.path.join(d, "adapter", "adapter_model." + ("safetensors" if safetensors else "bin"))))
            merged = peft_model.merge_and_unload().state_dict()
            out = apply(d, os.path.join(d, "base", "model.safetensors"),
                        {"sources": {"adapter": "adapter/"}, "rules": [{"action": "lora", "from": "adapter"}]},
                        name=rslora_name)
            changed = 0
            for k, v in out.items():
                self.assertIn(k, merged)
                self.assertLessEqual((v - merged[k]).abs().max().item(), 1e-6, k)
                changed += not torch.equal(v, load_file(os.path.join(d, "base", "model.safetensors"))[k])
            self.assertGreater(changed, 0)

    def test_plain_and_rslora_on_llama(self):
        from peft import LoraConfig
        for rslora in (False, True):
            config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"],
                                use_rslora=rslora, init_lora_weights=True)
            self.check(lambda f: tiny_llama(3, f), config, "rslora" if rslora else "plain")

    def test_gpt2_fan_in_fan_out(self):
        from peft import LoraConfig
        from transformers import GPT2Config, GPT2LMHeadModel

        def gpt2(folder):
            torch.manual_seed(4)
            m = GPT2LMHeadModel(GPT2Config(vocab_size=64, n_positions=32, n_embd=32, n_layer=2, n_head=2))
            m.save_pretrained(folder)
            return m
        config = LoraConfig(r=2, lora_alpha=16, target_modules=["c_attn"], fan_in_fan_out=True)
        self.check(gpt2, config, "gpt2")
        self.check(gpt2, config, "gpt2-bin", safetensors=False)  # adapter_model.bin, a pickle read as data

    def test_an_adapter_weight_without_a_base_is_named(self):
        from peft import LoraConfig, get_peft_model
        with tempfile.TemporaryDirectory() as d:
            base = tiny_llama(3, os.path.join(d, "base"))
            get_peft_model(base, LoraConfig(r=2, target_modules=["q_proj"])).save_pretrained(os.path.join(d, "adapter"))
            sd = load_file(os.path.join(d, "base", "model.safetensors"))
            del sd["model.layers.1.self_attn.q_proj.weight"]
            save_file(sd, os.path.join(d, "cut.safetensors"))
            rc, j, _ = plan(d, os.path.join(d, "cut.safetensors"),
                            {"sources": {"adapter": "adapter"}, "rules": [{"action": "lora", "from": "adapter"}]})
            self.assertNotEqual(rc, 0)
            errors = [x["message"] for x in j["diagnostics"] if x["severity"] == "error"]
            self.assertTrue(any("model.layers.1.self_attn.q_proj.lora_A" in m and "q_proj.weight" in m for m in errors), errors)


class TestMerges(unittest.TestCase):
    """Equal to mergekit's output on a tiny LLaMA (random weights) to 1e-5."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        for seed, name in ((0, "base"), (1, "ft1"), (2, "ft2")):
            tiny_llama(seed, os.path.join(cls.dir, name))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def mergekit(self, name, yaml_text):
        cfg = os.path.join(self.dir, name + ".yml")
        with open(cfg, "w") as f:
            f.write(yaml_text)
        out = os.path.join(self.dir, "mk-" + name)
        r = subprocess.run([os.path.join(VENV_BIN, "mergekit-yaml"), cfg, out, "--no-copy-tokenizer"],
                           capture_output=True, text=True, timeout=600, cwd=self.dir)
        if r.returncode != 0:
            raise AssertionError(r.stderr[-2000:])
        return load_file(os.path.join(out, "model.safetensors"))

    def ours(self, name, rule, edited="ft1"):
        return apply(self.dir, os.path.join(self.dir, edited, "model.safetensors"), {
            "sources": {n: f"{n}/model.safetensors" for n in ("base", "ft1", "ft2") if n != edited},
            "rules": [dict(rule, action="merge", match={"glob": "*"})]}, name="ours-" + name)

    def compare(self, ours, theirs):
        self.assertEqual(set(ours), set(theirs))
        for k in ours:
            self.assertEqual(ours[k].dtype, theirs[k].dtype, k)
            self.assertLessEqual((ours[k] - theirs[k]).abs().max().item(), 1e-5, k)

    def test_linear(self):
        theirs = self.mergekit("linear", "merge_method: linear\nmodels:\n  - model: ./ft1\n    parameters: {weight: 0.3}\n"
                                         "  - model: ./ft2\n    parameters: {weight: 0.9}\ndtype: float32\n")
        self.compare(self.ours("linear", {"method": "linear", "weights": {"self": 0.3, "ft2": 0.9}}), theirs)

    def test_task_arithmetic(self):
        theirs = self.mergekit("ta", "merge_method: task_arithmetic\nbase_model: ./base\nmodels:\n"
                                     "  - model: ./ft1\n    parameters: {weight: 0.6}\n"
                                     "  - model: ./ft2\n    parameters: {weight: 0.5}\ndtype: float32\n")
        self.compare(self.ours("ta", {"method": "task_arithmetic", "base": "base", "weights": {"self": 0.6, "ft2": 0.5}}), theirs)

    def test_slerp(self):
        theirs = self.mergekit("slerp", "merge_method: slerp\nbase_model: ./ft1\nmodels:\n  - model: ./ft1\n  - model: ./ft2\n"
                                        "parameters:\n  t: 0.3\ndtype: float32\n")
        self.compare(self.ours("slerp", {"method": "slerp", "base": "self", "weights": {"ft2": 1}, "t": 0.3}), theirs)

    def test_ties(self):
        theirs = self.mergekit("ties", "merge_method: ties\nbase_model: ./base\nmodels:\n"
                                       "  - model: ./ft1\n    parameters: {weight: 0.7, density: 0.4}\n"
                                       "  - model: ./ft2\n    parameters: {weight: 0.5, density: 0.4}\ndtype: float32\n")
        self.compare(self.ours("ties", {"method": "ties", "base": "base", "weights": {"self": 0.7, "ft2": 0.5},
                                        "density": 0.4}), theirs)


if __name__ == "__main__":
    unittest.main()
