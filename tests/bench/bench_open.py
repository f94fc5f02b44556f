#!/usr/bin/env python3
"""Benchmark: opening (every name, shape and dtype listed) with `ckpt inspect --json` against
what a user would otherwise run, torch 2.x and safetensors from the test environment:

    bench_open.py --ckpt build/release/app/ckpt --open build/release/tests/bench/open_checkpoint
                  [--dir /tmp/ckpt-bench] [--repeat 5] [--json OUT]

Run it with the test oracles' Python (installer/install-test-env.sh prints it). Makes, once
(kept in --dir):
  - llama.pt: a LLaMA-shaped fp16 state dict of 2.4 GB (torch.save);
  - moe.pt: 100,000 small tensors (torch.save);
  - moe.safetensors: the same 100,000 tensors (safetensors.torch.save_file);
  - deepseek/: a DeepSeek-V3-shaped sharded model (FP8 weights with their scale_inv tensors),
    163 safetensors shards and an index of ~91k names; the shards' tensor bytes are holes
    (sparse files), only headers are written.
Times, warm page cache, medians of --repeat: opening in-process (open_checkpoint: the
library call and the listing, as the Python side is timed) and the whole `ckpt inspect
--json` process (with 40 MB of JSON for 100k tensors), against the call alone in a Python
process that already imported torch/safetensors:
  - .pt: torch.load(mmap=True, weights_only=True), then every name, shape and dtype;
  - safetensors: safe_open, then every key with get_slice(k).get_shape() and get_dtype();
  - the sharded index: json.load of the index, then safe_open of each shard as above.
"""
import json
import os
import statistics
import struct
import subprocess
import sys
import textwrap
import time

import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_inspect import bench_arguments, llama_state_dict, moe_state_dict  # noqa: E402


def deepseek_shards(folder, layers=61, experts=256, shards=163):
    """Headers of a DeepSeek-V3-like model (bf16; dense first 3 layers, then MoE), holes for data."""
    names = []
    hidden, inter, moe_inter, vocab = 7168, 18432, 2048, 129280
    names.append(("model.embed_tokens.weight", [vocab, hidden]))
    for i in range(layers):
        p = f"model.layers.{i}."
        for n, s in [("self_attn.q_a_proj.weight", [1536, hidden]), ("self_attn.q_a_layernorm.weight", [1536]),
                     ("self_attn.q_b_proj.weight", [24576, 1536]), ("self_attn.kv_a_proj_with_mqa.weight", [576, hidden]),
                     ("self_attn.kv_a_layernorm.weight", [512]), ("self_attn.kv_b_proj.weight", [32768, 512]),
                     ("self_attn.o_proj.weight", [hidden, 16384]), ("input_layernorm.weight", [hidden]),
                     ("post_attention_layernorm.weight", [hidden])]:
            names.append((p + n, s))
        if i < 3:
            for n, s in [("mlp.gate_proj.weight", [inter, hidden]), ("mlp.up_proj.weight", [inter, hidden]),
                         ("mlp.down_proj.weight", [hidden, inter])]:
                names.append((p + n, s))
            continue
        names.append((p + "mlp.gate.weight", [experts, hidden]))
        names.append((p + "mlp.gate.e_score_correction_bias", [experts]))
        for e in list(range(experts)) + ["shared"]:
            q = p + (f"mlp.experts.{e}." if e != "shared" else "mlp.shared_experts.")
            for n, s in [("gate_proj.weight", [moe_inter, hidden]), ("up_proj.weight", [moe_inter, hidden]),
                         ("down_proj.weight", [hidden, moe_inter])]:
                names.append((q + n, s))
                names.append((q + n + "_scale_inv", [-(-s[0] // 128), -(-s[1] // 128)]))
    names.append(("model.norm.weight", [hidden]))
    names.append(("lm_head.weight", [vocab, hidden]))
    os.makedirs(folder, exist_ok=True)
    per = -(-len(names) // shards)
    weight_map = {}
    for k in range(shards):
        part = names[k * per:(k + 1) * per]
        shard = f"model-{k + 1:05d}-of-{shards:06d}.safetensors"
        header, offset = {}, 0
        for name, shape in part:
            dtype = "F32" if name.endswith("_scale_inv") else "F8_E4M3" if name.endswith("proj.weight") else "BF16"
            n = {"F32": 4, "BF16": 2, "F8_E4M3": 1}[dtype]
            for d in shape:
                n *= d
            header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
            offset += n
            weight_map[name] = shard
        text = json.dumps(header).encode()
        text += b" " * ((8 - len(text) % 8) % 8)
        with open(os.path.join(folder, shard), "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text)
            f.truncate(8 + len(text) + offset)  # a hole: no tensor bytes on disk
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2)
    return len(weight_map)


def make(folder):
    os.makedirs(folder, exist_ok=True)
    paths = {k: os.path.join(folder, v) for k, v in
             [("llama", "llama.pt"), ("moe", "moe.pt"), ("moe_st", "moe.safetensors"), ("deepseek", "deepseek")]}
    if not os.path.exists(paths["llama"]):
        torch.manual_seed(0)
        torch.save(llama_state_dict(), paths["llama"])
    if not os.path.exists(paths["moe"]) or not os.path.exists(paths["moe_st"]):
        sd = moe_state_dict()
        torch.save(sd, paths["moe"])
        save_file(sd, paths["moe_st"])
    if not os.path.exists(os.path.join(paths["deepseek"], "model.safetensors.index.json")):
        deepseek_shards(paths["deepseek"])
    return paths


PYTHON = {
    "pt": """
import sys, time, torch
t = time.perf_counter()
sd = torch.load(sys.argv[1], mmap=True, weights_only=True)
listing = [(k, tuple(v.shape), v.dtype) for k, v in sd.items()]
print(time.perf_counter() - t, len(listing))
""",
    "st": """
import sys, time
from safetensors import safe_open
t = time.perf_counter()
with safe_open(sys.argv[1], framework="pt") as f:
    listing = [(k, f.get_slice(k).get_shape(), f.get_slice(k).get_dtype()) for k in f.keys()]
print(time.perf_counter() - t, len(listing))
""",
    "index": """
import sys, time, json, os
from safetensors import safe_open
t = time.perf_counter()
folder = sys.argv[1]
weight_map = json.load(open(os.path.join(folder, "model.safetensors.index.json")))["weight_map"]
listing = []
for shard in sorted(set(weight_map.values())):
    with safe_open(os.path.join(folder, shard), framework="pt") as f:
        listing += [(k, f.get_slice(k).get_shape(), f.get_slice(k).get_dtype()) for k in f.keys()]
print(time.perf_counter() - t, len(listing))
""",
}


def time_open(program, path, repeat):
    out = subprocess.run([program, path, str(repeat)], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]) / 1e3


def time_ckpt(ckpt, path, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([ckpt, "inspect", "--json", path], stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def time_python(kind, path, repeat):
    times = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", textwrap.dedent(PYTHON[kind]), path], capture_output=True,
                             text=True, check=True).stdout.split()
        times.append(float(out[0]))
    return statistics.median(times)


def main():
    parser = bench_arguments(repeat=5)
    parser.add_argument("--open", required=True, help="the open_checkpoint benchmark program")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    paths = make(args.dir)
    rows = []
    for label, key, kind in [("llama-2.4GB-fp16 (.pt)", "llama", "pt"), ("moe-100k-tensors (.pt)", "moe", "pt"),
                             ("moe-100k-tensors (.safetensors)", "moe_st", "st"),
                             ("deepseek-v3-shaped index, 163 shards", "deepseek", "index")]:
        opened = time_open(args.open, paths[key], args.repeat)
        process = time_ckpt(args.ckpt, paths[key], args.repeat)
        theirs = time_python(kind, paths[key], args.repeat)
        rows.append({"file": label, "open_ms": opened * 1e3, "process_ms": process * 1e3,
                     "reference_ms": theirs * 1e3, "speedup": theirs / opened})
    print(f"torch {torch.__version__}")
    print("| file | ckpt open (in-process) | ckpt inspect --json (process) | reference (call) | speed-up (open) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['file']} | {r['open_ms']:.1f} ms | {r['process_ms']:.1f} ms | {r['reference_ms']:.1f} ms "
              f"| {r['speedup']:.1f}x |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
