#!/usr/bin/python3
"""Benchmark: `ckpt inspect --json` against `torch.load` on the same files, in one run.

    bench_inspect.py --ckpt build/release/app/ckpt [--dir /tmp/ckpt-bench] [--repeat 5]

Makes (once; kept in --dir) a LLaMA-shaped fp16 state dict of about 2.5 GB and a MoE-shaped
file of 100,000 small tensors, then times, on a warm page cache:
  - ckpt: the whole process (`ckpt inspect --json FILE > /dev/null`), median of --repeat runs;
  - torch.load: only the call, inside a Python process that already imported torch, median;
and the peak resident memory of each process (GNU time's %M). Prints a Markdown table with
the ratios; the README quotes it. Timings are for comparing in one session, not absolutes.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

import torch


def llama_state_dict(layers=24, hidden=2048, inter=5632, kv=256, vocab=32000):
    sd = {"model.embed_tokens.weight": torch.empty(vocab, hidden, dtype=torch.float16)}
    for i in range(layers):
        p = f"model.layers.{i}."
        for name, shape in [("self_attn.q_proj.weight", (hidden, hidden)),
                            ("self_attn.k_proj.weight", (kv, hidden)),
                            ("self_attn.v_proj.weight", (kv, hidden)),
                            ("self_attn.o_proj.weight", (hidden, hidden)),
                            ("mlp.gate_proj.weight", (inter, hidden)),
                            ("mlp.up_proj.weight", (inter, hidden)),
                            ("mlp.down_proj.weight", (hidden, inter)),
                            ("input_layernorm.weight", (hidden,)),
                            ("post_attention_layernorm.weight", (hidden,))]:
            sd[p + name] = torch.empty(*shape, dtype=torch.float16).normal_()
    sd["model.norm.weight"] = torch.ones(hidden, dtype=torch.float16)
    sd["lm_head.weight"] = torch.empty(vocab, hidden, dtype=torch.float16).normal_()
    return sd


def moe_state_dict(layers=50, experts=500):
    sd = {}
    for i in range(layers):
        for e in range(experts):
            p = f"model.layers.{i}.block_sparse_moe.experts.{e}."
            sd[p + "w1.weight"] = torch.randn(16, 8, dtype=torch.float16)
            sd[p + "w2.weight"] = torch.randn(8, 16, dtype=torch.float16)
            sd[p + "w3.weight"] = torch.randn(16, 8, dtype=torch.float16)
            sd[p + "router.bias"] = torch.zeros(4, dtype=torch.float16)
    return sd


def make_files(folder):
    files = {"llama-2.5GB-fp16": os.path.join(folder, "llama.pt"),
             "moe-100k-tensors": os.path.join(folder, "moe.pt")}
    if not os.path.exists(files["llama-2.5GB-fp16"]):
        print("making", files["llama-2.5GB-fp16"], file=sys.stderr)
        torch.save(llama_state_dict(), files["llama-2.5GB-fp16"])
    if not os.path.exists(files["moe-100k-tensors"]):
        print("making", files["moe-100k-tensors"], file=sys.stderr)
        torch.save(moe_state_dict(), files["moe-100k-tensors"])
    return files


def timed(argv, ok=(0,)):
    """(wall seconds, peak RSS in MB) of a command, from GNU time; `ok`: the exit statuses
    that are not failures (diff says 1 when the files differ)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        r = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name, *argv], stdout=subprocess.DEVNULL)
        if r.returncode not in ok:
            raise RuntimeError(f"{argv[0]} failed with {r.returncode}")
        wall, rss = t.read().split()[-2:]
    return float(wall), int(rss) / 1024


def bench_arguments(repeat):
    """The options every benchmark takes: the ckpt binary, the folder of made files, repeats."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", required=True)
    parser.add_argument("--dir", default="/tmp/ckpt-bench")
    parser.add_argument("--repeat", type=int, default=repeat)
    return parser


TORCH_LOAD = textwrap.dedent("""
    import sys, time, torch
    t = time.perf_counter()
    obj = torch.load(sys.argv[1], map_location="cpu")
    print(time.perf_counter() - t)
""")


def bench(ckpt, path, repeat):
    ours, ours_rss = [], 0.0
    for _ in range(repeat):
        # The process's own clock from inside: fork+exec+open+JSON out, whole.
        r = subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent(f"""
            import subprocess, time
            t = time.perf_counter()
            subprocess.run([{ckpt!r}, "inspect", "--json", {path!r}], check=True,
                           stdout=subprocess.DEVNULL)
            print(time.perf_counter() - t)""")], capture_output=True, text=True, check=True)
        ours.append(float(r.stdout))
        ours_rss = max(ours_rss, timed([ckpt, "inspect", "--json", path])[1])
    theirs, theirs_rss = [], 0.0
    for _ in range(max(1, repeat // 2)):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
            r = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name, "/usr/bin/python3",
                                "-c", TORCH_LOAD, path], capture_output=True, text=True, check=True)
            theirs.append(float(r.stdout.split()[-1]))
            theirs_rss = max(theirs_rss, int(t.read().split()[-1]) / 1024)
    return statistics.median(ours), ours_rss, statistics.median(theirs), theirs_rss


def main():
    parser = bench_arguments(repeat=5)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    files = make_files(args.dir)
    rows = []
    print("| file | size | ckpt inspect --json | torch.load | speed-up | ckpt peak RSS | torch.load peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for name, path in files.items():
        ours, ours_rss, theirs, theirs_rss = bench(os.path.abspath(args.ckpt), path, args.repeat)
        size = os.path.getsize(path) / 1e9
        rows.append(dict(file=name, size_gb=size, ckpt_s=ours, ckpt_rss_mb=ours_rss,
                         torch_load_s=theirs, torch_rss_mb=theirs_rss, ratio=theirs / ours))
        print(f"| {name} | {size:.2f} GB | {ours * 1000:.1f} ms | {theirs * 1000:.0f} ms | "
              f"{theirs / ours:.1f}x | {ours_rss:.0f} MB | {theirs_rss:.0f} MB |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
