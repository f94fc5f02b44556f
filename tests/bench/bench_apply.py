#!/usr/bin/env python3
"""Benchmark: `ckpt apply` (rename every weight, drop one) against the Python it replaces
(`torch.load`, edit the dict, `torch.save`) on the 2.4 GB LLaMA-shaped file of
bench_inspect.py, in one run, alternating, each after `sync` so one's writes do not slow the
other. Reports median wall time and peak RSS (GNU time). ckpt's time includes its fsync and
reading the output back to verify it; torch.save does neither.

    bench_apply.py --ckpt build/release/app/ckpt [--dir /tmp/ckpt-bench] [--repeat 3]
"""
import json
import os
import statistics
import subprocess
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_inspect import bench_arguments, timed  # noqa: E402

PYTHON = """
import sys, torch
sd = torch.load(sys.argv[1])
sd = {k[len("model."):] if k.startswith("model.") else k: v for k, v in sd.items() if k != "lm_head.weight"}
torch.save(sd, sys.argv[2])
"""
RULES = {"rules": [{"action": "rename", "prefix": "model.", "to": ""},
                   {"action": "drop", "match": {"name": "lm_head.weight"}}]}


def synced_timed(argv):
    """bench_inspect.timed after `sync`: every run starts with nothing left to write back."""
    subprocess.run(["sync"], check=True)
    return timed(argv)


def main():
    args = bench_arguments(repeat=3).parse_args()
    source = os.path.join(args.dir, "llama.pt")
    if not os.path.exists(source):
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "bench_inspect.py"),
                        "--ckpt", args.ckpt, "--dir", args.dir, "--repeat", "1"], check=True)
    config = os.path.join(args.dir, "rules.json")
    with open(config, "w") as f:
        json.dump(RULES, f)
    out_ckpt, out_py = os.path.join(args.dir, "out_ckpt.pt"), os.path.join(args.dir, "out_py.pt")
    ours, theirs = [], []
    for _ in range(args.repeat):
        ours.append(synced_timed([args.ckpt, "apply", source, "--config", config, "-o", out_ckpt]))
        os.unlink(out_ckpt)
        theirs.append(synced_timed([sys.executable, "-c", PYTHON, source, out_py]))
        os.unlink(out_py)
    t_ours, t_theirs = statistics.median(t for t, _ in ours), statistics.median(t for t, _ in theirs)
    m_ours, m_theirs = max(m for _, m in ours), max(m for _, m in theirs)
    print(f"torch {torch.__version__} ({sys.executable})")
    print("| | wall time | peak RSS |")
    print("|---|---|---|")
    print(f"| ckpt apply (verified, fsync'd) | {t_ours:.1f} s | {m_ours:.0f} MB |")
    print(f"| torch.load + edit + torch.save | {t_theirs:.1f} s | {m_theirs:.0f} MB |")
    print(f"| ratio | {t_theirs / t_ours:.1f}x faster | {m_theirs / m_ours:.0f}x less |")


if __name__ == "__main__":
    main()
