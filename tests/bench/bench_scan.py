#!/usr/bin/env python3
"""Benchmark: `ckpt scan` against picklescan and modelscan, the scanners a user would otherwise
run, side by side on the same files in one run:

    bench_scan.py --ckpt build/release/app/ckpt [--dir /tmp/ckpt-bench] [--repeat 5]

Run it with the test oracles' Python (installer/install-test-env.sh prints it): picklescan and
modelscan come from there. Uses (making them once in --dir) moe.pt, 100,000 small tensors by
torch.save, and scan-folder/, 100 files as a downloaded model repository holds them (state
dicts, Lightning-style checkpoints, optimizer states, NumPy arrays, pickles, configs, one
malicious pickle). Times whole processes, as a user runs them (`ckpt scan FILE`, `picklescan
-p FILE`, `modelscan -p FILE`), warm page cache, medians of --repeat, and the in-process call
of each scanner's Python API (picklescan's scan_file_path, modelscan's ModelScan.scan) to
leave out their interpreter start. A run over 30 s is not repeated; one over 300 s is stopped
and shown as '>= 300 s'. Prints a Markdown table with the ratios."""
import json
import os
import pickle
import statistics
import subprocess
import sys
import textwrap
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_inspect import bench_arguments, moe_state_dict  # noqa: E402

VENV_BIN = os.path.dirname(sys.executable)


class Evil:
    def __reduce__(self):  # pickled, never called
        return (os.system, ("echo pwned",))


def make_folder(folder):
    if os.path.isdir(folder) and len(os.listdir(folder)) >= 100:
        return
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(0)
    for i in range(100):
        path = os.path.join(folder, f"file_{i:03d}")
        kind = i % 6
        if kind == 0:
            torch.save({f"layer{j}.weight": torch.randn(64, 64) for j in range(20)}, path + ".pt")
        elif kind == 1:
            torch.save({"state_dict": {f"m.{j}": torch.randn(32) for j in range(30)}, "epoch": i,
                        "hyper_parameters": {"lr": 0.1, "name": "x"}}, path + ".ckpt")
        elif kind == 2:
            w = torch.nn.Linear(32, 32)
            opt = torch.optim.Adam(w.parameters())
            w(torch.randn(2, 32)).sum().backward()
            opt.step()
            torch.save(opt.state_dict(), path + "_optim.pt")
        elif kind == 3:
            np.savez(path + ".npz", a=np.arange(1000), b=np.ones((10, 10)))
        elif kind == 4:
            with open(path + ".pkl", "wb") as f:
                pickle.dump({"vocab": {str(j): j for j in range(500)}}, f)
        else:
            with open(path + ".json", "w") as f:
                json.dump({"hidden_size": 64, "layers": 20}, f)
    with open(os.path.join(folder, "file_099_evil.pkl"), "wb") as f:
        pickle.dump(Evil(), f)


def median_seconds(cmd, repeat, limit=300):
    """Median of `repeat` runs; a run over 30 s is not repeated, one over `limit` is stopped
    (reported as at least `limit`)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        try:
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=limit)
        except subprocess.TimeoutExpired:
            return float(limit)
        times.append(time.perf_counter() - t)
        if times[-1] > 30:
            break
    return statistics.median(times)


API = textwrap.dedent("""
    import contextlib, io, logging, statistics, sys, time
    logging.disable(logging.CRITICAL)
    tool, path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if tool == "picklescan":
        from picklescan.scanner import scan_file_path, scan_directory_path
        import os
        call = (lambda: scan_directory_path(path)) if os.path.isdir(path) else (lambda: scan_file_path(path))
    else:
        from modelscan.modelscan import ModelScan
        from modelscan.settings import DEFAULT_SETTINGS
        call = lambda: ModelScan(settings=DEFAULT_SETTINGS).scan(path)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            call()
        times.append(time.perf_counter() - t)
        if times[-1] > 30:
            break
    print(statistics.median(times))
""")


def api_seconds(tool, path, repeat, limit=300):
    try:
        r = subprocess.run([sys.executable, "-c", API, tool, path, str(repeat)], capture_output=True, text=True,
                           timeout=limit)
    except subprocess.TimeoutExpired:
        return float(limit)
    return float(r.stdout.strip().splitlines()[-1])


def main():
    args = bench_arguments(repeat=5).parse_args()
    os.makedirs(args.dir, exist_ok=True)
    moe = os.path.join(args.dir, "moe.pt")
    if not os.path.exists(moe):
        torch.save(moe_state_dict(), moe)
    folder = os.path.join(args.dir, "scan-folder")
    make_folder(folder)
    rows = []
    for label, path in [("moe.pt, 100,000 tensors", moe), ("folder of 100 files", folder)]:
        ours = median_seconds([args.ckpt, "scan", path], args.repeat)
        row = {"input": label, "ckpt scan": ours}
        for tool in ("picklescan", "modelscan"):
            row[tool] = median_seconds([os.path.join(VENV_BIN, tool), "-p", path], args.repeat)
            row[tool + " (API)"] = api_seconds(tool, path, args.repeat)
        rows.append(row)
    print("| input | ckpt scan | picklescan | modelscan | picklescan API | modelscan API |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        c = r["ckpt scan"]
        cells = [(">= " if r[t] >= 300 else "") + f"{r[t]:.2f} s ({r[t] / c:.0f}x)"
                 for t in ("picklescan", "modelscan", "picklescan (API)", "modelscan (API)")]
        print(f"| {r['input']} | {c * 1000:.0f} ms | " + " | ".join(cells) + " |")
    print(json.dumps(rows), file=sys.stderr)


if __name__ == "__main__":
    main()
