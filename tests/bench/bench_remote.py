#!/usr/bin/env python3
"""Benchmark: listing a 30-shard sharded safetensors model on a Hub-like server 50 ms away,
with ckpt against huggingface_hub's get_safetensors_metadata, what a Hub user would run:

    bench_remote.py --ckpt build/release/app/ckpt [--dir /tmp/ckpt-bench] [--repeat 5] [--rtt 0.05]

Run it with the test oracles' Python (installer/install-test-env.sh prints it). Makes, once
(kept in --dir), a LLaMA-shaped model of 30 shards of 2 GB each (60 GB; the tensor data are
holes of sparse files, the headers real), and serves it with nginx as the Hub does
(tests/oracle/remote_servers.py: tree API, resolve/ answering 302 to a CDN origin). The round
trip is added with `tc netem` in a network namespace where the kernel has netem, else by a
proxy that delays every byte by half of it each way, in front of both origins. Counts the
requests and bytes nginx served to each tool; times are medians of --repeat, ckpt's the whole
`ckpt inspect --json hf://...` process without its disk cache, huggingface_hub's the call alone
in a Python process that already imported it, with an empty Hub cache each time.
"""
import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "oracle"))
from remote_servers import LatencyProxy, Nginx  # noqa: E402

SHARDS = 30
SHARD_BYTES = 2 << 30


def make(folder):
    """30 shards of a 32-layer model's tensors, their data sparse, and the index."""
    os.makedirs(folder, exist_ok=True)
    index = {"metadata": {"total_size": 0}, "weight_map": {}}
    names = []
    for layer in range(96):
        for part in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                     "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "input_layernorm", "post_attention_layernorm"):
            names.append(f"model.layers.{layer}.{part}.weight")
    per_shard = (len(names) + SHARDS - 1) // SHARDS
    for s in range(SHARDS):
        file = f"model-{s + 1:05}-of-{SHARDS:05}.safetensors"
        mine = names[s * per_shard:(s + 1) * per_shard]
        each = SHARD_BYTES // max(1, len(mine)) // 2 * 2
        header, offset = {"__metadata__": {"format": "pt"}}, 0
        for n in mine:
            header[n] = {"dtype": "BF16", "shape": [each // 2], "data_offsets": [offset, offset + each]}
            offset += each
            index["weight_map"][n] = file
        text = json.dumps(header).encode()
        text += b" " * (-len(text) % 8)
        path = os.path.join(folder, file)
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text)
            f.truncate(8 + len(text) + offset)
        index["metadata"]["total_size"] += offset
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"architectures": ["LlamaForCausalLM"], "num_hidden_layers": 96}, f)


def netem_available():
    r = subprocess.run(["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "0ms"],
                       capture_output=True, text=True)
    if r.returncode == 0:
        subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], capture_output=True)
    return r.returncode == 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "ckpt-bench"))
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--rtt", type=float, default=0.05)
    a = p.parse_args()

    folder = os.path.join(a.dir, "hub-30-shards")
    if not os.path.exists(os.path.join(folder, "model.safetensors.index.json")):
        make(folder)
    files = {f: os.path.join(folder, f) for f in sorted(os.listdir(folder))}
    total = sum(os.path.getsize(f) for f in files.values())
    served = tempfile.mkdtemp(prefix="ckpt-bench-served-")

    # The proxies are made first so that the Hub's 302s can name the CDN's.
    if netem_available():
        sys.exit("netem is available: run this in a network namespace with `tc qdisc add dev lo root netem "
                 f"delay {a.rtt / 2 * 1000:.0f}ms` instead of the proxies (not automated here)")
    from remote_servers import free_port
    cdn_proxy_port = free_port()
    nginx = Nginx(served, {"org/big30": files}, cdn_redirect_port=cdn_proxy_port)
    hub_proxy = LatencyProxy(nginx.port, a.rtt / 2)
    cdn_proxy = LatencyProxy(nginx.cdn_port, a.rtt / 2, port=cdn_proxy_port)
    how = f"a proxy delaying each direction by {a.rtt / 2 * 1000:.0f} ms (no netem in this kernel)"

    env = dict(os.environ, HF_ENDPOINT=hub_proxy.url, CKPT_NO_CACHE="1", HF_TOKEN="")

    def served_since(before):
        log = nginx.requests()[before:]
        return len(log), sum(r[3] for r in log)

    ours, ours_requests = [], None
    for _ in range(a.repeat):
        before = len(nginx.requests())
        t = time.perf_counter()
        r = subprocess.run([a.ckpt, "inspect", "--json", "hf://org/big30"], capture_output=True, text=True, env=env)
        ours.append(time.perf_counter() - t)
        if r.returncode != 0:
            sys.exit(r.stderr)
        ours_requests = served_since(before)
        listed = len(json.loads(r.stdout)["tensors"])

    os.environ["HF_ENDPOINT"] = hub_proxy.url
    from huggingface_hub import HfApi
    theirs, theirs_requests = [], None
    for _ in range(a.repeat):
        with tempfile.TemporaryDirectory() as cache:
            os.environ["HF_HUB_CACHE"] = cache
            api = HfApi(endpoint=hub_proxy.url, token=False)
            before = len(nginx.requests())
            t = time.perf_counter()
            meta = api.get_safetensors_metadata("org/big30")
            theirs.append(time.perf_counter() - t)
            theirs_requests = served_since(before)
            their_listed = sum(len(f.tensors) for f in meta.files_metadata.values())

    o, h = statistics.median(ours), statistics.median(theirs)
    print(f"model: {SHARDS} shards, {listed} tensors, {total / 2**30:.1f} GiB; round trip {a.rtt * 1000:.0f} ms by {how}")
    print(f"ckpt inspect hf://:             {o:.3f} s, {ours_requests[0]} requests, {ours_requests[1]:,} bytes "
          f"({100 * ours_requests[1] / total:.4f}% of the model)")
    print(f"get_safetensors_metadata:       {h:.3f} s, {theirs_requests[0]} requests, {theirs_requests[1]:,} bytes "
          f"({their_listed} tensors)")
    print(f"ratio (huggingface_hub / ckpt): {h / o:.2f}x time, {theirs_requests[0] / ours_requests[0]:.2f}x requests")
    hub_proxy.close()
    cdn_proxy.close()
    nginx.close()


if __name__ == "__main__":
    main()
