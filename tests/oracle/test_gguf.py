"""GGUF files written by the `gguf` package's GGUFWriter (llama.cpp's own Python), with tensors
of every type ckpt decodes: quantized by `gguf.quants.quantize` where it can (Q4_0, Q4_1, Q5_0,
Q5_1, Q8_0, MXFP4, BF16), and random blocks with finite scales for the K-quants and IQ4 types
it only dequantizes. Compared in the same run with GGUFReader (names, shapes in PyTorch order,
types, offsets, metadata) and with `gguf.quants.dequantize` bit for bit (float32) after export;
hostile headers give one error line with bounded memory."""
import json
import os
import resource
import struct
import subprocess
import sys
import unittest

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants
import torch
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ckpt_run import FolderTest, ckpt, one_line_error  # noqa: E402

QUANTIZED = [T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.MXFP4]
# Types gguf-py dequantizes but cannot write: random blocks, their float16 scales set finite
# (offsets of d/dmin in each block, from ggml-common.h).
RANDOM_BLOCKS = {T.Q2_K: (80, 82), T.Q3_K: (108,), T.Q4_K: (0, 2), T.Q5_K: (0, 2), T.Q6_K: (208,),
                 T.IQ4_NL: (0,), T.IQ4_XS: (0,)}


def random_blocks(rng, qtype, rows, cols):
    block_elems, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, (rows * cols // block_elems, block_bytes), dtype=np.uint8)
    for at in RANDOM_BLOCKS[qtype]:
        blocks[:, at:at + 2] = (rng.standard_normal(len(blocks)) * 0.01).astype(np.float16).view(np.uint8).reshape(-1, 2)
    return blocks.reshape(rows, cols // block_elems * block_bytes)


class TestGguf(FolderTest):
    def write(self, name, endianess=gguf.GGUFEndian.LITTLE):
        rng = np.random.default_rng(0)
        path = self.path(name)
        w = gguf.GGUFWriter(path, "llama", endianess=endianess)
        w.add_block_count(2)
        w.add_context_length(4096)
        w.add_float32("llama.rope.freq_base", 10000.0)
        w.add_array("tokenizer.ggml.tokens", [f"tok{i}" for i in range(100)])
        w.add_array("tokenizer.ggml.scores", [float(i) for i in range(5)])
        w.add_bool("general.flag", True)
        w.add_tensor("token_embd.weight", rng.standard_normal((8, 64)).astype(np.float32))
        w.add_tensor("output_norm.weight", rng.standard_normal(64).astype(np.float16))
        w.add_tensor("blk.0.ids", np.arange(12, dtype=np.int32).reshape(3, 4))
        if endianess == gguf.GGUFEndian.LITTLE:
            x = rng.standard_normal((4, 512)).astype(np.float32)
            for t in QUANTIZED + [T.BF16]:
                w.add_tensor(f"blk.0.{t.name.lower()}.weight", quants.quantize(x, t), raw_dtype=t)
            for t in RANDOM_BLOCKS:
                w.add_tensor(f"blk.1.{t.name.lower()}.weight", random_blocks(rng, t, 3, 512), raw_dtype=t)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        return path

    def check(self, path):
        reader = gguf.GGUFReader(path)
        report = json.loads(ckpt("inspect", "--json", path).stdout)
        self.assertEqual(report["format"], "gguf")
        listed = {t["name"]: t for t in report["tensors"]}
        self.assertEqual(set(listed), {t.name for t in reader.tensors})
        want = {}
        for t in reader.tensors:
            shape = [int(n) for n in reversed(t.shape)]
            got = listed[t.name]
            self.assertEqual(got["shape"], shape, t.name)
            plain = t.tensor_type in (T.F32, T.F16, T.BF16, T.I32)
            if plain and t.tensor_type != T.BF16:
                self.assertEqual(got["dtype"], np.dtype(t.data.dtype).name, t.name)
            else:
                self.assertEqual(got.get("encoding", t.tensor_type.name) if t.tensor_type != T.BF16 else "BF16",
                                 t.tensor_type.name, t.name)
            self.assertEqual(got["byte_offset"] if plain else got["compressed_offset"], int(t.data_offset), t.name)
            values = np.asarray(t.data)
            if t.tensor_type in (T.F32, T.F16, T.I32):
                want[t.name] = values.reshape(shape)
            else:
                want[t.name] = quants.dequantize(values, t.tensor_type).reshape(shape)
        self.assertEqual(report["metadata"]["llama.context_length"], "4096")
        self.assertEqual(report["metadata"]["general.architecture"], "llama")
        self.assertTrue(report["metadata"]["tokenizer.ggml.tokens"].startswith('[100 strings: "tok0", "tok1", "tok2", ...'))
        self.assertEqual(report["metadata"]["tokenizer.ggml.scores"], "[0, 1, 2, 3, 4]")
        # The values: what gguf.quants.dequantize gives, bit for bit, after export.
        out = self.path("out.safetensors")
        ckpt("apply", path, "--config", self.cfg, "-o", out, "--format", "safetensors")
        got = load_file(out)
        self.assertEqual(set(got), set(want))
        for name, v in want.items():
            g = got[name].float().numpy() if got[name].dtype == torch.bfloat16 else got[name].numpy()
            if v.dtype == np.float32:
                self.assertEqual(g.dtype, np.float32, name)
                self.assertTrue(np.array_equal(g.view(np.uint32), v.view(np.uint32)), name)
            else:
                self.assertTrue(np.array_equal(g, v), name)
        return report

    def test_every_decoded_type_equals_gguf_dequantize(self):
        report = self.check(self.write("model.gguf"))
        self.assertEqual(len(report["tensors"]), 3 + len(QUANTIZED) + 1 + len(RANDOM_BLOCKS))

    def test_big_endian_file(self):
        self.check(self.write("big.gguf", gguf.GGUFEndian.BIG))

    def test_dequantized_to_a_chosen_dtype(self):
        # GGUF to safetensors in float16 or bfloat16: a cast rule on the dequantized values,
        # rounded as torch rounds gguf's own float32 dequantization.
        path = self.write("cast.gguf")
        reader = gguf.GGUFReader(path)
        for dtype, torch_dtype in (("float16", torch.float16), ("bfloat16", torch.bfloat16)):
            cfg = self.path(dtype + ".json")
            with open(cfg, "w") as f:
                json.dump({"rules": [{"action": "cast", "match": {"dtype": "float32"}, "to": dtype}]}, f)
            out = self.path(dtype + ".safetensors")
            ckpt("apply", path, "--config", cfg, "-o", out, "--format", "safetensors")
            got = load_file(out)
            for t in reader.tensors:
                if t.tensor_type not in QUANTIZED + list(RANDOM_BLOCKS):
                    continue
                want = quants.dequantize(np.asarray(t.data), t.tensor_type).reshape([int(n) for n in reversed(t.shape)])
                self.assertEqual(got[t.name].dtype, torch_dtype, t.name)
                self.assertTrue(torch.equal(got[t.name], torch.from_numpy(want.astype(np.float32)).to(torch_dtype)), t.name)

    def test_blocks_converted_to_big_endian_by_llama_cpp(self):
        # llama.cpp's gguf_convert_endian.py swaps each block's half fields (Q4_0, Q8_0, Q4_K,
        # Q6_K; MXFP4 has none) and every plain value: the big-endian file reads as the same values.
        rng = np.random.default_rng(3)
        little = self.path("little.gguf")
        w = gguf.GGUFWriter(little, "llama")
        w.add_block_count(1)
        x = rng.standard_normal((4, 512)).astype(np.float32)
        for t in (T.Q4_0, T.Q8_0, T.MXFP4, T.BF16):
            w.add_tensor(f"q.{t.name.lower()}", quants.quantize(x, t), raw_dtype=t)
        for t in (T.Q4_K, T.Q6_K):
            w.add_tensor(f"r.{t.name.lower()}", random_blocks(rng, t, 3, 512), raw_dtype=t)
        w.add_tensor("f16", x.astype(np.float16))
        w.add_tensor("f32", x)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        big = self.path("big.gguf")
        with open(little, "rb") as f, open(big, "wb") as g:
            g.write(f.read())
        script = os.path.join(os.path.dirname(gguf.__file__), "scripts", "gguf_convert_endian.py")
        r = subprocess.run([sys.executable, script, big, "big"], input="YES\n", capture_output=True, text=True,
                           timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("(big-endian)", json.loads(ckpt("inspect", "--json", big).stdout)["metadata"]["gguf.version"])
        outs = []
        for path in (little, big):
            out = path + ".safetensors"
            ckpt("apply", path, "--config", self.cfg, "-o", out, "--format", "safetensors")
            outs.append(load_file(out))
        self.assertEqual(set(outs[0]), set(outs[1]))
        for name in outs[0]:
            self.assertTrue(torch.equal(outs[0][name], outs[1][name]), name)
        for t in gguf.GGUFReader(little).tensors:  # and both are gguf's own dequantization
            want = quants.dequantize(np.asarray(t.data), t.tensor_type).reshape([int(n) for n in reversed(t.shape)])
            self.assertTrue(np.array_equal(outs[1][t.name].float().numpy(), want.astype(np.float32)), t.name)

    def test_diff_against_the_original_equals_numpy(self):
        # The quantization error of each type, as ckpt diff reports it against the float32
        # original, equals numpy's figures on gguf's own dequantized values.
        from safetensors.numpy import save_file
        x = np.random.default_rng(3).standard_normal((8, 512)).astype(np.float32)
        path = self.path("q.gguf")
        w = gguf.GGUFWriter(path, "llama")
        for t in QUANTIZED:
            w.add_tensor(f"{t.name.lower()}.weight", quants.quantize(x, t), raw_dtype=t)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        orig = self.path("orig.safetensors")
        save_file({f"{t.name.lower()}.weight": x for t in QUANTIZED}, orig)
        r = ckpt("diff", "--json", orig, path, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)  # they differ
        report = json.loads(r.stdout)
        rows = {r["name"]: r for r in report["tensors"]}
        a = x.astype(np.float64).ravel()
        for t in QUANTIZED:
            b = quants.dequantize(quants.quantize(x, t), t).astype(np.float64).ravel()
            r = rows[f"{t.name.lower()}.weight"]
            self.assertAlmostEqual(r["cosine"], a @ b / np.linalg.norm(a) / np.linalg.norm(b), places=9, msg=t.name)
            self.assertAlmostEqual(r["rel_l2"], np.linalg.norm(b - a) / np.linalg.norm(a), places=9, msg=t.name)
            self.assertAlmostEqual(r["max_abs"], np.abs(b - a).max(), places=9, msg=t.name)

    def test_chat_templates_flagged_where_jinja_s_sandbox_refuses_them(self):
        from jinja2.exceptions import SecurityError
        from jinja2.sandbox import ImmutableSandboxedEnvironment
        templates = {
            "chatml": "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}"
                      "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
            "namespace": "{% set ns = namespace(first=true) %}{% for m in messages %}{% if ns.first %}{{ m.content }}"
                         "{% set ns.first = false %}{% endif %}{% endfor %}",
            "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
            "globals": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
            # Names spelled by escapes, reached through the attr filter: no "__" in the text.
            "attr": "{{ (messages|attr('\\x5f\\x5fclass\\x5f\\x5f')).mro() }}",
        }
        env = ImmutableSandboxedEnvironment()
        for name, text in templates.items():
            try:
                env.from_string(text).render(messages=[{"role": "user", "content": "hi"}], add_generation_prompt=True)
                refused = False
            except SecurityError:
                refused = True
            path = self.path(name + ".gguf")
            w = gguf.GGUFWriter(path, "llama")
            w.add_chat_template(text)
            w.add_tensor("w", np.zeros(4, np.float32))
            w.write_header_to_file()
            w.write_kv_data_to_file()
            w.write_tensors_to_file()
            w.close()
            report = json.loads(ckpt("inspect", "--json", path).stdout)
            self.assertEqual(report["dangerous"], refused, name)
            self.assertEqual(report["metadata"]["tokenizer.chat_template"], text, name)

    def test_split_model_opens_as_one(self):
        # GGUFWriter's split_max_tensors writes m-0000N-of-00003.gguf as gguf-split does.
        folder = self.path("split")
        os.makedirs(folder)
        rng = np.random.default_rng(5)
        w = gguf.GGUFWriter(os.path.join(folder, "m.gguf"), "llama", split_max_tensors=2)
        w.add_context_length(8)
        x = rng.standard_normal((2, 64)).astype(np.float32)
        for i in range(5):
            w.add_tensor(f"blk.{i}.weight", quants.quantize(x * i, T.Q8_0), raw_dtype=T.Q8_0)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        splits = sorted(os.listdir(folder))
        self.assertEqual(splits, [f"m-0000{n}-of-00003.gguf" for n in (1, 2, 3)])
        want = {}
        for name in splits:
            for t in gguf.GGUFReader(os.path.join(folder, name)).tensors:
                want[t.name] = quants.dequantize(np.asarray(t.data), t.tensor_type).reshape([int(n) for n in reversed(t.shape)])
        for name in (splits[0], splits[2]):  # opened from any split
            path = os.path.join(folder, name)
            report = json.loads(ckpt("inspect", "--json", path).stdout)
            self.assertEqual({t["name"] for t in report["tensors"]}, set(want))
            self.assertEqual(report["metadata"]["llama.context_length"], "8")
            out = self.path("split.safetensors")
            ckpt("apply", path, "--config", self.cfg, "-o", out, "--format", "safetensors")
            got = load_file(out)
            for k, v in want.items():
                self.assertTrue(np.array_equal(got[k].numpy().view(np.uint32), v.view(np.uint32)), k)
        os.remove(os.path.join(folder, splits[1]))
        self.assertIn("split 2 of 3", one_line_error(self, os.path.join(folder, splits[0])))

    def test_export_to_gguf_q8_0_as_gguf_quantizes(self):
        from safetensors.torch import save_file
        rng = np.random.default_rng(9)
        # Scales across the half range: subnormal block scales (1e-7), ordinary, large (1e3).
        w = rng.standard_normal((12, 96)).astype(np.float32) * np.repeat([1e-7, 1e-3, 1.0, 1e3], 3)[:, None].astype(np.float32)
        state = {"model.w": torch.from_numpy(w), "model.h": torch.randn(4, 64).half(), "model.b": torch.randn(64).bfloat16(),
                 "model.norm": torch.randn(96), "steps": torch.arange(5, dtype=torch.int32)}
        src = self.path("src.safetensors")
        save_file(state, src)
        q = self.path("q8.gguf")
        ckpt("apply", src, "--config", self.cfg, "-o", q, "--gguf-type", "q8_0")
        reader = gguf.GGUFReader(q)
        types = {t.name: t.tensor_type for t in reader.tensors}
        self.assertEqual(types, {"model.w": T.Q8_0, "model.h": T.Q8_0, "model.b": T.BF16, "model.norm": T.F32, "steps": T.I32})
        for t in reader.tensors:
            want = state[t.name]
            if t.tensor_type == T.Q8_0:  # byte for byte what gguf's quantize writes
                self.assertTrue(np.array_equal(np.asarray(t.data).reshape(-1),
                                               quants.quantize(want.float().numpy(), T.Q8_0).reshape(-1)), t.name)
            elif t.tensor_type == T.BF16:
                self.assertTrue(np.array_equal(np.asarray(t.data).reshape(-1).view(np.uint16), want.view(torch.int16).numpy().reshape(-1).view(np.uint16)))
            else:
                self.assertTrue(np.array_equal(np.asarray(t.data).reshape(want.shape), want.numpy()), t.name)
        # And back: safetensors of the Q8_0 values, as gguf dequantizes them.
        back = self.path("back.safetensors")
        ckpt("apply", q, "--config", self.cfg, "-o", back)
        got = load_file(back)
        want = quants.dequantize(quants.quantize(w, T.Q8_0), T.Q8_0)
        self.assertTrue(np.array_equal(got["model.w"].numpy().view(np.uint32), want.view(np.uint32)))
        # Without --gguf-type every tensor keeps its dtype; float64 has a GGUF type, complex none.
        plain = self.path("plain.gguf")
        ckpt("apply", src, "--config", self.cfg, "-o", plain)
        self.assertEqual({t.name: t.tensor_type for t in gguf.GGUFReader(plain).tensors}["model.h"], T.F16)
        bad = self.path("complex.safetensors")
        save_file({"c": torch.randn(4, dtype=torch.complex64)}, bad)
        r = ckpt("apply", bad, "--config", self.cfg, "-o", self.path("c.gguf"), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(os.path.exists(self.path("c.gguf")))

    def test_gguf_to_gguf_keeps_the_metadata(self):
        path = self.write("model.gguf")
        out = self.path("copy.gguf")
        ckpt("apply", path, "--config", self.cfg, "-o", out)
        a, b = gguf.GGUFReader(path), gguf.GGUFReader(out)
        fields = lambda r: {k: [bytes(p) for p in f.parts[1:]] for k, f in r.fields.items() if not k.startswith("GGUF.")}  # noqa: E731
        self.assertEqual(fields(a), fields(b))
        self.assertEqual({t.name: t.tensor_type for t in b.tensors},
                         {t.name: (T.F32 if t.tensor_type not in (T.F32, T.F16, T.BF16, T.I32) else t.tensor_type) for t in a.tensors})

    def test_hostile_headers(self):
        def header(version=3, tensors=0, kv=0, rest=b""):
            return b"GGUF" + struct.pack("<IQQ", version, tensors, kv) + rest
        cases = {
            "truncated": header(kv=1, rest=struct.pack("<Q", 5) + b"gen"),
            "lying_count": header(tensors=10 ** 12),
            "huge_string": header(kv=1, rest=struct.pack("<Q", 2 ** 62) + b"x" * 16),
            "billion_array": header(kv=1, rest=struct.pack("<Q", 1) + b"a" + struct.pack("<IIQ", 9, 0, 10 ** 9)),
            "version1": header(version=1),
            "past_the_end": header(tensors=1, rest=struct.pack("<Q", 1) + b"w" + struct.pack("<IQIQ", 1, 32, 0, 1 << 20)),
            "misaligned": header(tensors=1, rest=struct.pack("<Q", 1) + b"w" + struct.pack("<IQIQ", 1, 32, 0, 3)),
            "bad_rows": header(tensors=1, rest=struct.pack("<Q", 1) + b"w" + struct.pack("<IQIQ", 1, 33, 12, 0)),
            "unknown_type": header(tensors=1, rest=struct.pack("<Q", 1) + b"w" + struct.pack("<IQIQ", 1, 4, 77, 0)),
        }
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        for name, data in cases.items():
            p = self.path(name + ".gguf")
            with open(p, "wb") as f:
                f.write(data + (b"" if name == "truncated" else b"\0" * 64))
            one_line_error(self, p)
        self.assertLess(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, max(before, 1) + 256 * 1024)
        # A real file cut short: its last tensor runs past the end.
        path = self.write("cut.gguf")
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) - 100)
        self.assertIn("past the end", one_line_error(self, path))


if __name__ == "__main__":
    unittest.main()
