#!/usr/bin/env python3
"""Benchmark: a linear merge of two LLaMA-shaped fp16 safetensors models (2.4 GB each, the
shapes of bench_inspect.py) by `ckpt apply` against mergekit-yaml on the same merge, in one
run, alternating, each after `sync`, next to `cat a b > /dev/null` (reading both inputs, the
floor). Reports median wall time and peak RSS (GNU time) and checks the two outputs agree.
Run by the test oracles' Python (mergekit is in that environment):

    bench_merge.py --ckpt build/release/app/ckpt [--dir /tmp/ckpt-bench] [--repeat 3]
"""
import json
import os
import shutil
import statistics
import subprocess
import sys

import torch
from safetensors import safe_open
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_inspect import bench_arguments, llama_state_dict, timed  # noqa: E402

CONFIG = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048,
          "intermediate_size": 5632, "num_hidden_layers": 24, "num_attention_heads": 32,
          "num_key_value_heads": 4, "vocab_size": 32000, "max_position_embeddings": 2048,
          "rms_norm_eps": 1e-5, "tie_word_embeddings": False, "torch_dtype": "float16"}


def make_model(folder, seed):
    if os.path.exists(os.path.join(folder, "model.safetensors")):
        return
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(seed)
    save_file(llama_state_dict(), os.path.join(folder, "model.safetensors"))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(CONFIG, f)


def synced_timed(argv, **kw):
    subprocess.run(["sync"], check=True)
    return timed(argv, **kw)


def main():
    args = bench_arguments(repeat=3).parse_args()
    a, b = os.path.join(args.dir, "merge-a"), os.path.join(args.dir, "merge-b")
    make_model(a, 1)
    make_model(b, 2)
    fa, fb = os.path.join(a, "model.safetensors"), os.path.join(b, "model.safetensors")
    rules = os.path.join(args.dir, "merge.json")
    with open(rules, "w") as f:
        json.dump({"sources": {"b": fb}, "rules": [
            {"action": "merge", "method": "linear", "match": {"glob": "*"}, "weights": {"self": 0.5, "b": 0.5}}]}, f)
    recipe = os.path.join(args.dir, "merge.yml")
    with open(recipe, "w") as f:
        f.write(f"merge_method: linear\nmodels:\n  - model: {a}\n    parameters: {{weight: 0.5}}\n"
                f"  - model: {b}\n    parameters: {{weight: 0.5}}\ndtype: float16\n")
    out_ckpt, out_mk = os.path.join(args.dir, "merged.safetensors"), os.path.join(args.dir, "merged-mk")
    mergekit = os.path.join(sys.prefix, "bin", "mergekit-yaml")
    cat, ours, theirs = [], [], []
    for i in range(args.repeat):
        subprocess.run(["cat", fa, fb], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
        cat.append(synced_timed(["sh", "-c", f"cat '{fa}' '{fb}' > /dev/null"]))
        ours.append(synced_timed([args.ckpt, "apply", fa, "--config", rules, "-o", out_ckpt, "--format", "safetensors"]))
        theirs.append(synced_timed([mergekit, recipe, out_mk, "--no-copy-tokenizer"]))
        if i + 1 < args.repeat:
            os.unlink(out_ckpt)
            shutil.rmtree(out_mk)
    # The two merges agree (fp16 results of one float32 computation).
    worst = 0.0
    mk_file = os.path.join(out_mk, "model.safetensors")
    if not os.path.exists(mk_file):
        mk_file = sorted(os.path.join(out_mk, n) for n in os.listdir(out_mk) if n.endswith(".safetensors"))
    files = mk_file if isinstance(mk_file, list) else [mk_file]
    with safe_open(out_ckpt, "pt") as mine:
        for path in files:
            with safe_open(path, "pt") as other:
                for k in other.keys():
                    worst = max(worst, (mine.get_tensor(k).float() - other.get_tensor(k).float()).abs().max().item())
    med = lambda runs: statistics.median(t for t, _ in runs)  # noqa: E731
    peak = lambda runs: max(m for _, m in runs)  # noqa: E731
    print(f"torch {torch.__version__}, inputs {os.path.getsize(fa) / 1e9:.2f} GB + {os.path.getsize(fb) / 1e9:.2f} GB")
    print("| | wall time | vs reading both inputs | peak RSS |")
    print("|---|---|---|---|")
    print(f"| cat a b > /dev/null | {med(cat):.2f} s | 1.0x | {peak(cat):.0f} MB |")
    print(f"| ckpt apply (linear merge, verified, fsync'd) | {med(ours):.2f} s | {med(ours) / med(cat):.1f}x | {peak(ours):.0f} MB |")
    print(f"| mergekit-yaml | {med(theirs):.2f} s | {med(theirs) / med(cat):.1f}x | {peak(theirs):.0f} MB |")
    print(f"ckpt is {med(theirs) / med(ours):.1f}x faster than mergekit with {peak(theirs) / peak(ours):.1f}x less memory; "
          f"largest difference between the outputs {worst:.2e}")


if __name__ == "__main__":
    main()
