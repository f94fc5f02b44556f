#!/usr/bin/env python3
"""Benchmark: the Python package's time to a usable state dict, and its peak memory, against
what a user would otherwise run, side by side in one run:

    bench_python.py --ckpt build/release/app/ckpt --package build/release/python [--dir /tmp/ckpt-bench]
                    [--repeat 5]

Run it with the test oracles' Python. Makes, once (kept in --dir), the LLaMA-shaped fp16 state
dict of bench_inspect (2.4 GB) as llama.pt (torch.save) and llama.safetensors (save_file).
Each measurement is a fresh process that has already imported torch (and ckpt_studio or
safetensors) before the clock starts; it times the call that gives a dict of every tensor,
and reports the process's peak RSS over what it had before the call (ru_maxrss), warm page
cache, medians of --repeat:
  - .pt:          ckpt_studio.load  vs  torch.load(mmap=True, weights_only=True)
  - .safetensors: ckpt_studio.load  vs  safetensors.torch.load_file
and then the peak once every tensor's values are summed (touched), for both.
"""
import json
import os
import statistics
import subprocess
import sys
import textwrap

import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_inspect import bench_arguments, llama_state_dict  # noqa: E402

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    import torch
    kind, path, touch = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    if kind == "ckpt":
        import ckpt_studio
        load = lambda: ckpt_studio.load(path)
    elif kind == "torch":
        load = lambda: torch.load(path, mmap=True, weights_only=True)
    else:
        import safetensors.torch
        load = lambda: safetensors.torch.load_file(path)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    sd = load()
    seconds = time.perf_counter() - t
    assert len(sd) > 200
    if touch:
        total = sum(float(v.float().sum()) for v in sd.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mb": (peak - before) / 1024}))
""")


def run(kind, path, package, repeat, touch=False):
    env = {**os.environ, "PYTHONPATH": package}
    out = []
    for _ in range(repeat):
        r = subprocess.run([sys.executable, "-c", CHILD, kind, path, "1" if touch else "0"], env=env,
                           capture_output=True, text=True, check=True)
        out.append(json.loads(r.stdout))
    return statistics.median(o["seconds"] for o in out), statistics.median(o["peak_mb"] for o in out)


def main():
    parser = bench_arguments(5)
    parser.add_argument("--package", required=True, help="the folder holding ckpt_studio")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    pt, st = os.path.join(args.dir, "llama.pt"), os.path.join(args.dir, "llama.safetensors")
    if not os.path.exists(pt) or not os.path.exists(st):
        sd = llama_state_dict()
        for v in sd.values():
            v.normal_()
        if not os.path.exists(pt):
            torch.save(sd, pt)
        if not os.path.exists(st):
            save_file(sd, st)
    size = os.path.getsize(pt) / 2**30
    print(f"LLaMA-shaped fp16 state dict, {size:.2f} GiB; medians of {args.repeat}, warm cache")
    for label, path, other, name in (("pt", pt, "torch", "torch.load(mmap=True, weights_only=True)"),
                                     ("safetensors", st, "safetensors", "safetensors.torch.load_file")):
        ours = run("ckpt", path, args.package, args.repeat)
        theirs = run(other, path, args.package, args.repeat)
        print(f"{label:12s} ckpt_studio.load {ours[0] * 1000:8.1f} ms {ours[1]:8.1f} MB | {name} "
              f"{theirs[0] * 1000:8.1f} ms {theirs[1]:8.1f} MB | {theirs[0] / ours[0]:6.1f}x faster")
        touched_ours = run("ckpt", path, args.package, 1, touch=True)
        touched_theirs = run(other, path, args.package, 1, touch=True)
        print(f"{'':12s} every value summed: peak {touched_ours[1]:8.1f} MB vs {touched_theirs[1]:8.1f} MB")


if __name__ == "__main__":
    main()
