#!/usr/bin/env python3
"""Benchmark: opening a 4 GB GGUF (every tensor's name, shape and type listed, the metadata
read) with ckpt against the gguf package's GGUFReader, what a llama.cpp user would run:

    bench_gguf.py --ckpt build/release/app/ckpt --open build/release/tests/bench/open_checkpoint
                  [--dir /tmp/ckpt-bench] [--repeat 5]

Run it with the test oracles' Python (installer/install-test-env.sh prints it). Makes, once
(kept in --dir), llama-7b-q4_k.gguf: a LLaMA-7B-shaped model as GGUFWriter writes it (Q4_K
weights, F32 norms, a 32,000-token vocabulary with scores and types, a chat template), 3.8 GB;
its tensor data is a hole (a sparse file): the writer writes the header and tensor infos, the
file is then extended to the size they describe. Times, warm page cache, medians of --repeat:
ckpt opening in-process (open_checkpoint) and the whole `ckpt inspect --json` process, against
GGUFReader(path) plus the listing, in a Python process that already imported gguf.
"""
import os
import statistics
import subprocess
import sys
import textwrap
import time

import gguf
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_inspect import bench_arguments  # noqa: E402

T = gguf.GGMLQuantizationType


def make(path, layers=32, hidden=4096, inter=11008, vocab=32000):
    w = gguf.GGUFWriter(path, "llama")
    w.add_context_length(4096)
    w.add_embedding_length(hidden)
    w.add_block_count(layers)
    w.add_head_count(32)
    w.add_array("tokenizer.ggml.tokens", [f"tok{i}" for i in range(vocab)])
    w.add_array("tokenizer.ggml.scores", [float(-i) for i in range(vocab)])
    w.add_array("tokenizer.ggml.token_type", [1] * vocab)
    w.add_chat_template("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}")

    sizes = []

    def info(name, shape, qtype):
        block, size = gguf.GGML_QUANT_SIZES[qtype]
        n = int(np.prod(shape)) // block * size
        sizes.append(n)
        byte_shape = tuple(shape[:-1]) + (shape[-1] // block * size,)  # as raw_dtype takes it
        w.add_tensor_info(name, byte_shape, np.dtype(np.uint8), n, raw_dtype=qtype)
    info("token_embd.weight", (vocab, hidden), T.Q4_K)
    for i in range(layers):
        for n, s in [("attn_q", (hidden, hidden)), ("attn_k", (hidden, hidden)), ("attn_v", (hidden, hidden)),
                     ("attn_output", (hidden, hidden)), ("ffn_gate", (inter, hidden)), ("ffn_up", (inter, hidden)),
                     ("ffn_down", (hidden, inter))]:
            info(f"blk.{i}.{n}.weight", s, T.Q4_K)
        info(f"blk.{i}.attn_norm.weight", (hidden,), T.F32)
        info(f"blk.{i}.ffn_norm.weight", (hidden,), T.F32)
    info("output_norm.weight", (hidden,), T.F32)
    info("output.weight", (vocab, hidden), T.Q6_K)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    w.close()
    # The data the infos describe, as a hole: each tensor padded to the default alignment (32),
    # the data starting at the next multiple of it after the infos, as the writer lays it out.
    align = lambda n: (n + 31) // 32 * 32  # noqa: E731
    with open(path, "r+b") as f:
        f.truncate(align(os.path.getsize(path)) + sum(align(n) for n in sizes))
    assert len(gguf.GGUFReader(path).tensors) == len(sizes)


PYTHON = """
import sys, time
import gguf
t = time.perf_counter()
r = gguf.GGUFReader(sys.argv[1])
listing = [(x.name, tuple(int(n) for n in x.shape), x.tensor_type) for x in r.tensors]
fields = {k: f.parts[-1] for k, f in r.fields.items()}
print(time.perf_counter() - t, len(listing))
"""


def median_of(times):
    return statistics.median(times)


def main():
    parser = bench_arguments(repeat=5)
    parser.add_argument("--open", required=True, help="the open_checkpoint benchmark program")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    path = os.path.join(args.dir, "llama-7b-q4_k.gguf")
    if not os.path.exists(path):
        make(path)
    size = os.path.getsize(path)
    ours_open = float(subprocess.run([args.open, path, str(args.repeat)], capture_output=True, text=True,
                                     check=True).stdout.split()[0]) / 1e3
    ours_cli = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        subprocess.run([args.ckpt, "inspect", "--json", path], stdout=subprocess.DEVNULL, check=True)
        ours_cli.append(time.perf_counter() - t)
    theirs = []
    for _ in range(args.repeat):
        out = subprocess.run([sys.executable, "-c", textwrap.dedent(PYTHON), path], capture_output=True, text=True,
                             check=True).stdout.split()
        theirs.append(float(out[0]))
    t_ours, t_cli, t_theirs = ours_open, median_of(ours_cli), median_of(theirs)
    print(f"{os.path.basename(path)} ({size / 1e9:.2f} GB)")
    print(f"  ckpt open in-process   {t_ours * 1e3:9.2f} ms")
    print(f"  ckpt inspect --json    {t_cli * 1e3:9.2f} ms (whole process)")
    print(f"  gguf.GGUFReader        {t_theirs * 1e3:9.2f} ms (the call alone)")
    print(f"  ratio in-process       {t_theirs / t_ours:9.1f}x faster")
    print(f"  ratio whole process    {t_theirs / t_cli:9.1f}x faster")


if __name__ == "__main__":
    main()
