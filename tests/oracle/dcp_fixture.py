"""Writes real torch.distributed.checkpoint (DCP) folders with torch 2.x on the CPU: several
processes on the gloo backend over loopback, as a training job would.

    python dcp_fixture.py KIND OUT WORLD [PORT]

KIND is one of
  plain   one process, dcp.save of a nested state dict: model, Adam state by get_state_dict,
          a step counter, strings, lists
  fsdp2   a model sharded with FSDP2 (fully_shard) on a CPU mesh of WORLD ranks, AdamW state;
          rows that do not divide (7 over 4 ranks, 3 over 4: a rank holds nothing)
  dtensor DTensors on a 2 x (WORLD/2) mesh: cut along two dimensions, along the second,
          replicated (kept on one rank), a bf16 tensor and an int64 buffer
  zstd    fsdp2, each item written through DCP's ZStandard extension ("stream.zstd/1")
  big     one float32 tensor per layer, about OUT_MB (env CKPT_DCP_MB, default 2500) in all,
          FSDP2-sharded on WORLD ranks: the benchmark's input
"""
import os
import socket
import sys

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
import torch.multiprocessing as mp


def model_for(kind):
    torch.manual_seed(0)
    if kind == "big":
        mb = int(os.environ.get("CKPT_DCP_MB", "2500"))
        width = 2048
        layers = max(1, mb * (1 << 20) // (width * width * 4))
        return torch.nn.Sequential(*[torch.nn.Linear(width, width, bias=False) for _ in range(layers)])
    return torch.nn.Sequential(torch.nn.Embedding(7, 10), torch.nn.Linear(10, 3), torch.nn.LayerNorm(3))


def plain(out):
    from torch.distributed.checkpoint.state_dict import get_state_dict
    m = model_for("plain")
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    m(torch.tensor([[1, 2, 3]])).sum().backward()
    opt.step()
    msd, osd = get_state_dict(m, opt)
    dcp.save({"model": msd, "optim": osd, "step": 7, "extra": {"name": "run1", "sizes": [1, 2], "ratio": 0.5}},
             checkpoint_id=out)


def fsdp2(rank, world, out, kind):
    from torch.distributed.checkpoint.state_dict import get_state_dict
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    mesh = init_device_mesh("cpu", (world,))
    if kind == "big":  # made on the meta device and sharded before any bytes exist
        with torch.device("meta"):
            m = model_for(kind)
    else:
        m = model_for(kind)
    for layer in m:
        fully_shard(layer, mesh=mesh)
    fully_shard(m, mesh=mesh)
    if kind == "big":
        m.to_empty(device="cpu")
        torch.manual_seed(rank)
        with torch.no_grad():
            for p in m.parameters():
                p.to_local().normal_()
        dcp.save({"model": m.state_dict()}, checkpoint_id=out)
        return
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3)
    m(torch.tensor([[1, 2, 3]])).sum().backward()
    opt.step()
    msd, osd = get_state_dict(m, opt)
    if kind == "zstd":
        from torch.distributed.checkpoint import FileSystemWriter
        from torch.distributed.checkpoint._extension import ZStandard
        dcp.save({"model": msd, "optim": osd, "epoch": 3}, storage_writer=FileSystemWriter(out, _extensions=[ZStandard()]))
        return
    dcp.save({"model": msd, "optim": osd, "epoch": 3}, checkpoint_id=out)


def dtensor(rank, world, out):
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import Replicate, Shard, distribute_tensor
    mesh = init_device_mesh("cpu", (2, world // 2))
    torch.manual_seed(0)
    full = {
        "grid": torch.randn(6, 9),
        "cols": torch.randn(5, 8),
        "shared": torch.randn(4, 3),
        "half": torch.randn(10, 4).to(torch.bfloat16),
        "counts": torch.arange(12, dtype=torch.int64).reshape(3, 4),
    }
    placements = {
        "grid": [Shard(0), Shard(1)],
        "cols": [Replicate(), Shard(1)],
        "shared": [Replicate(), Replicate()],
        "half": [Shard(0), Replicate()],
        "counts": [Shard(1), Shard(0)],
    }
    sd = {k: distribute_tensor(v, mesh, placements[k]) for k, v in full.items()}
    sd["plain"] = torch.ones(2, 2) * (rank + 1) if rank == 0 else torch.ones(2, 2)
    dcp.save({"state": sd}, checkpoint_id=out)


def worker(rank, world, kind, out, port):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        if kind == "dtensor":
            dtensor(rank, world, out)
        else:
            fsdp2(rank, world, out, kind)
        dist.barrier()  # every rank done with the save before any tears gloo down
    finally:
        dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    kind, out, world = sys.argv[1], sys.argv[2], int(sys.argv[3])
    port = int(sys.argv[4]) if len(sys.argv) > 4 else free_port()
    if kind == "plain":
        plain(out)
    else:
        mp.spawn(worker, args=(world, kind, out, port), nprocs=world)


if __name__ == "__main__":
    main()
