#!/usr/bin/env python3
"""Benchmark: consolidating a torch.distributed.checkpoint of about 2.5 GB, written by 4 ranks
with FSDP2 (tests/oracle/dcp_fixture.py big), into one file: `ckpt apply` to safetensors
against torch's own dcp_to_torch_save, in one run, alternating, each after `sync`, next to
`cat` of the rank files (reading them, the floor). Reports median wall time and peak RSS
(GNU time) and checks that both outputs hold the same tensors bit for bit. Run by the test
oracles' Python:

    bench_dcp.py --ckpt build/release/app/ckpt [--dir /tmp/ckpt-bench] [--repeat 3]
"""
import glob
import json
import os
import statistics
import subprocess
import sys

import torch
from safetensors import safe_open

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_inspect import bench_arguments, timed  # noqa: E402

TORCH_CONSOLIDATE = ("import sys; from torch.distributed.checkpoint.format_utils import dcp_to_torch_save; "
                     "dcp_to_torch_save(sys.argv[1], sys.argv[2])")


def synced_timed(argv, **kw):
    subprocess.run(["sync"], check=True)
    return timed(argv, **kw)


def main():
    args = bench_arguments(repeat=3).parse_args()
    folder = os.path.join(args.dir, "dcp-4ranks")
    if not os.path.exists(os.path.join(folder, ".metadata")):
        subprocess.run([sys.executable, os.path.join(HERE, "..", "oracle", "dcp_fixture.py"), "big", folder, "4"],
                       check=True, env={**os.environ, "CKPT_DCP_MB": "2500"})
    ranks = sorted(glob.glob(os.path.join(folder, "*.distcp")))
    config = os.path.join(args.dir, "none.json")
    with open(config, "w") as f:
        json.dump({"rules": []}, f)
    out_ckpt, out_torch = os.path.join(args.dir, "dcp.safetensors"), os.path.join(args.dir, "dcp-torch.pt")
    cat, ours, theirs, durable = [], [], [], []
    for i in range(args.repeat):
        subprocess.run(["cat", *ranks], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
        cat.append(synced_timed(["sh", "-c", "cat " + " ".join(f"'{r}'" for r in ranks) + " > /dev/null"]))
        ours.append(synced_timed([args.ckpt, "apply", folder, "--config", config, "-o", out_ckpt, "--format", "safetensors"]))
        theirs.append(synced_timed([sys.executable, "-c", TORCH_CONSOLIDATE, folder, out_torch]))
        # torch.save does not fsync: the same, timed until its file is on disk as ckpt's is.
        durable.append(synced_timed(["sh", "-c", f"'{sys.executable}' -c '{TORCH_CONSOLIDATE}' '{folder}' '{out_torch}' && sync"]))
    reference = torch.load(out_torch, weights_only=True, mmap=True)["model"]
    with safe_open(out_ckpt, "pt") as mine:
        if set(mine.keys()) != set(reference):
            raise SystemExit("the two outputs hold different tensors")
        for k, v in reference.items():
            if not torch.equal(mine.get_tensor(k), v):
                raise SystemExit(f"{k} differs between the outputs")
    med = lambda runs: statistics.median(t for t, _ in runs)  # noqa: E731
    peak = lambda runs: max(m for _, m in runs)  # noqa: E731
    size = sum(os.path.getsize(r) for r in ranks)
    print(f"torch {torch.__version__}, {len(ranks)} rank files, {size / 1e9:.2f} GB, {len(reference)} tensors")
    print("| | wall time | vs reading the rank files | peak RSS |")
    print("|---|---|---|---|")
    print(f"| cat rank files > /dev/null | {med(cat):.2f} s | 1.0x | {peak(cat):.0f} MB |")
    print(f"| ckpt apply to safetensors (verified, fsync'd) | {med(ours):.2f} s | {med(ours) / med(cat):.1f}x | {peak(ours):.0f} MB |")
    print(f"| dcp_to_torch_save | {med(theirs):.2f} s | {med(theirs) / med(cat):.1f}x | {peak(theirs):.0f} MB |")
    print(f"| dcp_to_torch_save, then sync | {med(durable):.2f} s | {med(durable) / med(cat):.1f}x | {peak(durable):.0f} MB |")
    print(f"ckpt is {med(theirs) / med(ours):.1f}x faster than dcp_to_torch_save ({med(durable) / med(ours):.1f}x until "
          f"both files are on disk) with {peak(theirs) / peak(ours):.1f}x less memory; the outputs are bitwise equal")


if __name__ == "__main__":
    main()
