#!/usr/bin/env python3
"""Benchmark: `ckpt diff --json` against Python loading both files and looping, in one run.

    bench_diff.py --ckpt build/release/app/ckpt [--dir /tmp/ckpt-bench] [--repeat 3]

Makes (once; kept in --dir) two LLaMA-shaped fp16 state dicts of about 2.5 GB each: the
second is the first "fine-tuned" (small noise on the attention and MLP weights of every other
layer, the rest byte-identical). Then times, on a warm page cache, whole processes:
  - ckpt: `ckpt diff --json A B > /dev/null`;
  - Python: torch.load both, then per tensor the same metrics in float64 (what a researcher
    writes: max |a-b|, mean |a-b|, ||a-b||/||a||, cosine), skipping torch.equal pairs;
with the peak resident memory of each (GNU time's %M). Prints a Markdown table with ratios.
"""
import json
import os
import statistics
import subprocess
import sys
import textwrap

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_inspect import bench_arguments, llama_state_dict, timed  # noqa: E402

PYTHON_DIFF = textwrap.dedent("""
    import sys, torch
    a = torch.load(sys.argv[1], map_location="cpu")
    b = torch.load(sys.argv[2], map_location="cpu")
    out = {}
    for k, x in a.items():
        y = b.get(k)
        if y is None or x.shape != y.shape or torch.equal(x, y):
            continue
        x, y = x.double(), y.double()
        d = x - y
        na, nb = x.norm(), y.norm()
        out[k] = (d.abs().max().item(), d.abs().mean().item(), (d.norm() / na).item(),
                  ((x * y).sum() / (na * nb)).item())
    print(len(out))
""")


def make_files(folder):
    a, b = os.path.join(folder, "llama.pt"), os.path.join(folder, "llama_tuned.pt")
    if not os.path.exists(a) or not os.path.exists(b):
        torch.manual_seed(0)
        sd = llama_state_dict()
        print("making", a, file=sys.stderr)
        torch.save(sd, a)
        print("making", b, file=sys.stderr)
        for name, t in sd.items():
            layer = name.split(".")[2] if name.startswith("model.layers.") else None
            if layer is not None and int(layer) % 2 == 0 and t.dim() == 2:
                t.add_(torch.randn_like(t) * 1e-3)
        torch.save(sd, b)
    return a, b


def main():
    args = bench_arguments(repeat=3).parse_args()
    os.makedirs(args.dir, exist_ok=True)
    a, b = make_files(args.dir)
    ckpt = os.path.abspath(args.ckpt)
    timed([ckpt, "diff", "--json", a, b], ok=(0, 1))  # warm the page cache for both
    ours = [timed([ckpt, "diff", "--json", a, b], ok=(0, 1)) for _ in range(args.repeat)]
    theirs = [timed([sys.executable, "-c", PYTHON_DIFF, a, b]) for _ in range(args.repeat)]
    t_ours, m_ours = statistics.median(x[0] for x in ours), max(x[1] for x in ours)
    t_theirs, m_theirs = statistics.median(x[0] for x in theirs), max(x[1] for x in theirs)
    size = (os.path.getsize(a) + os.path.getsize(b)) / 1e9
    print(f"torch {torch.__version__} ({sys.executable})")
    print("| files | ckpt diff --json | Python load + loop | speed-up | ckpt peak RSS | Python peak RSS | memory ratio |")
    print("|---|---|---|---|---|---|---|")
    print(f"| 2 x LLaMA fp16 ({size:.1f} GB) | {t_ours:.1f} s | {t_theirs:.1f} s | {t_theirs / t_ours:.1f}x | "
          f"{m_ours:.0f} MB | {m_theirs:.0f} MB | {m_ours / m_theirs:.2f} |")
    print(json.dumps(dict(ckpt_s=t_ours, python_s=t_theirs, ckpt_rss_mb=m_ours, python_rss_mb=m_theirs)))


if __name__ == "__main__":
    main()
