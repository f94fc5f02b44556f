"""GGUF against the transformers model it was made from, through the shipped configs
resources/configs/gguf_{llama,qwen2,gemma2}_to_hf.json.

Tiny random LLaMA (grouped-query attention), Mistral (written as a "llama" GGUF), Qwen2 (q/k/v biases) and Gemma 2 models are saved
by transformers and written to GGUF the way llama.cpp's convert_hf_to_gguf.py does: names by the
`gguf` package's own tensor-name map, LLaMA's q/k rows permuted per head, Gemma's norms stored
as weight + 1, the metadata transformers reads. The oracle is transformers itself:
`from_pretrained(gguf_file=...)` (its GGUF loader undoes the permutation and the +1). In the same
run: `ckpt apply --config` gives exactly the tensors transformers loads, a strict
load_state_dict and the same logits; `ckpt diff original model.gguf --config` aligns every tensor
(identical for F32, per-tensor cosine equal to NumPy's on gguf's dequantized Q8_0); and the
way back, `ckpt apply` of the safetensors with permute_heads writes a Q8_0 GGUF that
transformers loads."""
import json
import os
import sys
import unittest

import gguf
import numpy as np
import torch
from gguf import GGMLQuantizationType as T
from gguf import quants
from safetensors.torch import load_file

import transformers

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ckpt_run import FolderTest, ckpt  # noqa: E402

CONFIGS = os.path.join(HERE, "..", "..", "resources", "configs")
VOCAB = 96

MODELS = {
    "llama": (transformers.LlamaConfig, transformers.LlamaForCausalLM, gguf.MODEL_ARCH.LLAMA,
              dict(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False)),
    # convert_hf_to_gguf.py writes MistralForCausalLM as a "llama" GGUF, permuted the same way.
    "mistral": (transformers.MistralConfig, transformers.MistralForCausalLM, gguf.MODEL_ARCH.LLAMA,
                dict(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False)),
    "qwen2": (transformers.Qwen2Config, transformers.Qwen2ForCausalLM, gguf.MODEL_ARCH.QWEN2,
              dict(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False)),
    "gemma2": (transformers.Gemma2Config, transformers.Gemma2ForCausalLM, gguf.MODEL_ARCH.GEMMA2,
               dict(num_attention_heads=4, num_key_value_heads=2, head_dim=16, tie_word_embeddings=True,
                    query_pre_attn_scalar=16)),
}


def permute(w, heads):
    """convert_hf_to_gguf.py's LlamaModel.permute: each head's rotary halves interleaved."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def hf_model(arch):
    config_class, model_class, _, extra = MODELS[arch]
    torch.manual_seed(0)
    config = config_class(vocab_size=VOCAB, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                          max_position_embeddings=128, rms_norm_eps=1e-6, **extra)
    model = model_class(config).eval()
    with torch.no_grad():  # norms away from their all-ones start, so the +1 and -1 show
        for name, p in model.named_parameters():
            if "norm" in name:
                p.add_(torch.randn_like(p) * 0.1)
    return model


def write_gguf(path, arch, model, qtype):
    """The model as llama.cpp's converter writes it: F32 vectors, matrices in `qtype`."""
    config = model.config
    gguf_arch = MODELS[arch][2]
    name = gguf.MODEL_ARCH_NAMES[gguf_arch]
    names = gguf.get_tensor_name_map(gguf_arch, config.num_hidden_layers)
    w = gguf.GGUFWriter(path, name)
    w.add_block_count(config.num_hidden_layers)
    w.add_context_length(config.max_position_embeddings)
    w.add_embedding_length(config.hidden_size)
    w.add_feed_forward_length(config.intermediate_size)
    w.add_head_count(config.num_attention_heads)
    w.add_head_count_kv(config.num_key_value_heads)
    w.add_layer_norm_rms_eps(config.rms_norm_eps)
    w.add_rope_freq_base(config.rope_theta if hasattr(config, "rope_theta") else 10000.0)
    w.add_key_length(config.head_dim if hasattr(config, "head_dim") else 16)
    w.add_value_length(config.head_dim if hasattr(config, "head_dim") else 16)
    w.add_vocab_size(VOCAB)
    w.add_tokenizer_model("llama")
    w.add_token_list([f"t{i}" for i in range(VOCAB)])
    w.add_token_scores([0.0] * VOCAB)
    w.add_token_types([1] * VOCAB)
    original = {}
    for key, tensor in model.state_dict().items():
        if arch == "gemma2" and key == "lm_head.weight":
            continue  # tied: llama.cpp skips it
        data = tensor.numpy().astype(np.float32)
        original[key] = data
        if gguf_arch == gguf.MODEL_ARCH.LLAMA and key.endswith("q_proj.weight"):
            data = permute(data, config.num_attention_heads)
        if gguf_arch == gguf.MODEL_ARCH.LLAMA and key.endswith("k_proj.weight"):
            data = permute(data, config.num_key_value_heads)
        if arch == "gemma2" and key.endswith("norm.weight"):
            data = data + 1
        stem, suffix = key.rsplit(".", 1)
        gname = names.get_name(stem) + "." + suffix
        if data.ndim == 2 and qtype != T.F32:
            w.add_tensor(gname, quants.quantize(data, qtype), raw_dtype=qtype)
        else:
            w.add_tensor(gname, data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return original


def transformers_load(folder, name, arch):
    model = MODELS[arch][1].from_pretrained(folder, gguf_file=name, torch_dtype=torch.float32)
    return model.eval()


class TestGgufTransformers(FolderTest):
    def convert(self, arch, qtype=T.F32):
        model = hf_model(arch)
        path = self.path(f"{arch}.gguf")
        original = write_gguf(path, arch, model, qtype)
        config = os.path.join(CONFIGS, f"gguf_{'llama' if arch == 'mistral' else arch}_to_hf.json")
        return model, path, original, config

    def test_apply_gives_what_transformers_loads(self):
        for arch in MODELS:
            with self.subTest(arch=arch):
                model, path, original, config = self.convert(arch)
                out = self.path(f"{arch}.safetensors")
                ckpt("apply", path, "--config", config, "-o", out, "--format", "safetensors")
                got = load_file(out)
                loaded = transformers_load(self.tmp.name, os.path.basename(path), arch).state_dict()
                tied = model.config.tie_word_embeddings
                want_keys = set(loaded) - ({"lm_head.weight"} if tied else set())
                self.assertEqual(set(got), want_keys)
                for key, value in got.items():
                    self.assertTrue(torch.equal(value, loaded[key]), key)
                    if arch == "gemma2" and key.endswith("norm.weight"):  # (w + 1) - 1 rounds in float32
                        np.testing.assert_allclose(value.numpy(), original[key], rtol=0, atol=1e-7, err_msg=key)
                    else:
                        self.assertTrue(np.array_equal(value.numpy(), original[key]), key)
                fresh = MODELS[arch][1](model.config).eval()
                missing, unexpected = fresh.load_state_dict(got, strict=not tied)
                self.assertEqual(unexpected, [])
                self.assertEqual(set(missing), {"lm_head.weight"} if tied else set())
                if tied:
                    fresh.tie_weights()
                ids = torch.arange(12).reshape(1, 12) % VOCAB
                with torch.no_grad():
                    if arch == "gemma2":
                        torch.testing.assert_close(fresh(ids).logits, model(ids).logits, rtol=1e-5, atol=1e-5)
                    else:
                        self.assertTrue(torch.equal(fresh(ids).logits, model(ids).logits), arch)

    def test_diff_aligns_through_the_config(self):
        for arch in MODELS:
            with self.subTest(arch=arch):
                model, path, original, config = self.convert(arch)
                orig = self.path(f"{arch}_orig.safetensors")
                from safetensors.torch import save_file
                save_file({k: torch.from_numpy(v) for k, v in original.items()}, orig)
                r = ckpt("diff", "--json", orig, path, "--config", config, check=False)
                report = json.loads(r.stdout)
                tensors = {t["name"]: t for t in report["tensors"]}
                self.assertEqual(set(tensors), set(original))
                # Gemma's norms come back as (w + 1) - 1, rounded in float32: changed by an ulp or so.
                shifted = {k for k in original if arch == "gemma2" and k.endswith("norm.weight")}
                self.assertEqual(r.returncode, 1 if shifted else 0, r.stderr)
                self.assertEqual(report["counts"]["identical"], len(original) - len(shifted), report["counts"])
                for key in shifted:
                    want = float(np.abs((original[key] + np.float32(1)) - np.float32(1) - original[key]).max())
                    self.assertEqual(tensors[key]["max_abs"], want, key)
                # Without the config nothing lines up.
                r = ckpt("diff", "--json", orig, path, check=False)
                self.assertEqual(r.returncode, 1)
                self.assertEqual(json.loads(r.stdout)["counts"]["identical"], 0)

    def test_diff_of_q8_0_equals_numpy(self):
        model, path, original, config = self.convert("llama", T.Q8_0)
        orig = self.path("orig.safetensors")
        from safetensors.torch import save_file
        save_file({k: torch.from_numpy(v) for k, v in original.items()}, orig)
        r = ckpt("diff", "--json", orig, path, "--config", config, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        report = json.loads(r.stdout)
        loaded = transformers_load(self.tmp.name, os.path.basename(path), "llama").state_dict()
        by_name = {t["name"]: t for t in report["tensors"]}
        self.assertEqual(set(by_name), set(original))
        checked = 0
        for key, a in original.items():
            b = loaded[key].numpy().astype(np.float64)
            a = a.astype(np.float64)
            t = by_name[key]
            if np.array_equal(a, b):
                self.assertEqual(t["status"], "identical", key)
                continue
            cosine = float(a.ravel() @ b.ravel() / (np.linalg.norm(a) * np.linalg.norm(b)))
            self.assertAlmostEqual(t["cosine"], cosine, places=12, msg=key)
            self.assertAlmostEqual(t["max_abs"], float(np.abs(a - b).max()), places=12, msg=key)
            self.assertAlmostEqual(t["rel_l2"], float(np.linalg.norm(a - b) / np.linalg.norm(a)), places=10, msg=key)
            checked += 1
        self.assertGreaterEqual(checked, 14)  # every matrix: q, k, v, o, gate, up, down x 2, embeddings, output

    def test_export_to_gguf_that_transformers_loads(self):
        # The way back: the transformers safetensors to GGUF by a config that renames to
        # llama.cpp's names, permutes q/k with the head counts it sets in gguf_metadata, and
        # writes matrices in each type; transformers' GGUF loader reads it back.
        model = hf_model("llama")
        c = model.config
        orig = self.path("orig.safetensors")
        original = {k: v.contiguous() for k, v in model.state_dict().items()}
        from safetensors.torch import save_file
        save_file(original, orig)
        names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, c.num_hidden_layers)
        renames = []
        for key in original:
            stem, suffix = key.rsplit(".", 1)
            renames.append({"action": "rename", "regex": "^" + key.replace(".", "\\.") + "$",
                            "to": names.get_name(stem) + "." + suffix})
        config = {
            "gguf_metadata": {
                "general.architecture": "llama", "general.name": "tiny",
                "llama.block_count": c.num_hidden_layers, "llama.context_length": c.max_position_embeddings,
                "llama.embedding_length": c.hidden_size, "llama.feed_forward_length": c.intermediate_size,
                "llama.attention.head_count": c.num_attention_heads,
                "llama.attention.head_count_kv": c.num_key_value_heads,
                "llama.attention.layer_norm_rms_epsilon": c.rms_norm_eps, "llama.rope.freq_base": 10000.0,
                "llama.vocab_size": VOCAB, "tokenizer.ggml.model": "llama",
                "tokenizer.ggml.tokens": [f"t{i}" for i in range(VOCAB)],
                "tokenizer.ggml.scores": {"type": "float32", "value": [0.0] * VOCAB},
                "tokenizer.ggml.token_type": {"type": "int32", "value": [1] * VOCAB},
            },
            "rules": [
                {"action": "permute_heads", "match": {"regex": "q_proj\\.weight$"}, "heads": "llama.attention.head_count"},
                {"action": "permute_heads", "match": {"regex": "k_proj\\.weight$"},
                 "heads": ["llama.attention.head_count_kv", "llama.attention.head_count"]},
            ] + renames,
        }
        cfg = self.path("to_gguf.json")
        with open(cfg, "w") as f:
            json.dump(config, f)
        casts = {"f32": np.float32, "f16": np.float16, "bf16": None, "q8_0": None}
        for qtype, cast in casts.items():
            with self.subTest(type=qtype):
                out = self.path(f"tiny-{qtype}.gguf")
                ckpt("apply", orig, "--config", cfg, "-o", out, "--format", "gguf", "--gguf-type", qtype)
                reader = gguf.GGUFReader(out)
                self.assertEqual(reader.fields["llama.attention.head_count"].parts[-1].tolist(), [4])
                self.assertEqual(reader.fields["llama.attention.head_count"].types, [gguf.GGUFValueType.UINT32])
                self.assertEqual(reader.fields["llama.rope.freq_base"].types, [gguf.GGUFValueType.FLOAT32])
                by_name = {t.name: t for t in reader.tensors}
                for key, value in original.items():
                    stem, suffix = key.rsplit(".", 1)
                    t = by_name[names.get_name(stem) + "." + suffix]
                    data = value.numpy()
                    if key.endswith("q_proj.weight"):
                        data = permute(data, c.num_attention_heads)
                    if key.endswith("k_proj.weight"):
                        data = permute(data, c.num_key_value_heads)
                    if data.ndim == 1:
                        self.assertEqual(t.tensor_type, T.F32, key)
                    elif qtype == "q8_0":  # byte for byte what gguf-py's quantize writes
                        self.assertEqual(t.tensor_type, T.Q8_0, key)
                        self.assertTrue(np.array_equal(np.asarray(t.data).ravel(), quants.quantize(data, T.Q8_0).ravel()), key)
                    elif qtype == "bf16":
                        self.assertEqual(t.tensor_type, T.BF16, key)
                        want = torch.from_numpy(data).to(torch.bfloat16).view(torch.int16).numpy()
                        self.assertTrue(np.array_equal(np.asarray(t.data).view(np.int16).ravel(), want.ravel()), key)
                    else:
                        self.assertTrue(np.array_equal(np.asarray(t.data).ravel(), data.astype(cast).ravel()), key)
                loaded = transformers_load(self.tmp.name, os.path.basename(out), "llama").state_dict()
                self.assertEqual(set(loaded), set(original))
                if qtype == "f32":  # transformers undoes the permutation: the original comes back
                    for key, value in original.items():
                        self.assertTrue(torch.equal(loaded[key], value), key)

    def test_bad_gguf_metadata_is_one_line(self):
        orig = self.path("w.safetensors")
        from safetensors.torch import save_file
        save_file({"w": torch.zeros(2, 32)}, orig)
        cases = {
            "small": ({"type": "uint8", "value": 300}, "gguf_metadata.small: 300 does not fit the type"),
            "mixed": ([1, "a"], "gguf_metadata.mixed: a list mixes strings, bools and numbers"),
            "empty": ([], "an empty list has no type"),
            "general.alignment": (64, "the writer sets the file's layout"),
            "typo": ({"type": "uint33", "value": 1}, "'uint33' is not one of"),
        }
        for key, (value, want) in cases.items():
            with self.subTest(key=key):
                cfg = self.path("bad.json")
                with open(cfg, "w") as f:
                    json.dump({"gguf_metadata": {key: value}, "rules": []}, f)
                out = self.path("bad.gguf")
                r = ckpt("apply", orig, "--config", cfg, "-o", out, "--format", "gguf", check=False)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertIn(want, r.stderr)
                self.assertFalse(os.path.exists(out))

    def test_heads_from_metadata_are_required(self):
        # A LLaMA GGUF without its head counts: the plan names the key it lacks, nothing is written.
        path = self.path("nohead.gguf")
        w = gguf.GGUFWriter(path, "llama")
        for key in ("token_embd", "output_norm", "output"):
            w.add_tensor(key + ".weight", np.zeros((8, 8), np.float32))
        for key in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up",
                    "ffn_down"):
            w.add_tensor(f"blk.0.{key}.weight", np.zeros((8, 8), np.float32))
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        r = ckpt("apply", path, "--config", os.path.join(CONFIGS, "gguf_llama_to_hf.json"), "-o",
                 self.path("x.safetensors"), check=False)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
        self.assertEqual(len(errors), 2, r.stderr)  # q and k each name what they lack
        self.assertIn("no metadata key 'llama.attention.head_count'", errors[0])
        self.assertIn("'llama.attention.head_count_kv' or 'llama.attention.head_count'", errors[1])
        self.assertFalse(os.path.exists(self.path("x.safetensors")))


if __name__ == "__main__":
    unittest.main()
