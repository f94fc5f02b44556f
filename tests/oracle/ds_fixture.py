"""Writes a real DeepSpeed ZeRO checkpoint with DeepSpeed itself, on the CPU (its cpu
accelerator, gloo between ranks): a small bf16 model with two parameter groups, a frozen
parameter, a buffer and sizes that do not divide by the ranks, trained two steps.

    python ds_fixture.py STAGE OUT WORLD

runs WORLD processes through torch.distributed.run and saves to OUT (tag global_step2).
"""
import os
import socket
import subprocess
import sys


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Model:
    @staticmethod
    def make():
        import torch

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = torch.nn.Embedding(11, 6)
                self.proj = torch.nn.Linear(6, 5)
                self.norm = torch.nn.LayerNorm(5)
                self.head = torch.nn.Linear(5, 3)
                self.frozen = torch.nn.Linear(3, 3)
                self.frozen.requires_grad_(False)
                self.register_buffer("scale", torch.linspace(0.5, 1.5, 3))

            def forward(self, x):
                return self.frozen(self.head(self.norm(self.proj(self.embed(x))))) * self.scale
        return Net()


def worker(stage, out):
    os.environ.setdefault("DS_ACCELERATOR", "cpu")
    import deepspeed
    import torch
    deepspeed.init_distributed(dist_backend="gloo")
    torch.manual_seed(0)
    m = Model.make()
    decay = [p for n, p in m.named_parameters() if p.requires_grad and n.endswith("weight")]
    rest = [p for n, p in m.named_parameters() if p.requires_grad and not n.endswith("weight")]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}], lr=1e-2)
    cfg = {"train_micro_batch_size_per_gpu": 1, "gradient_accumulation_steps": 1, "bf16": {"enabled": True},
           "zero_optimization": {"stage": stage}, "zero_allow_untested_optimizer": True}
    engine, _, _, _ = deepspeed.initialize(model=m, optimizer=opt, config=cfg)
    for _ in range(2):
        loss = engine(torch.tensor([[1, 2, 3]])).float().sum()
        engine.backward(loss)
        engine.step()
    engine.save_checkpoint(out)


def main():
    if os.environ.get("CKPT_DS_WORKER"):
        worker(int(sys.argv[1]), sys.argv[2])
        return
    stage, out, world = sys.argv[1], sys.argv[2], sys.argv[3]
    env = {**os.environ, "CKPT_DS_WORKER": "1", "DS_ACCELERATOR": "cpu", "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", world, "--master_port",
                    str(free_port()), os.path.abspath(__file__), stage, out], env=env, check=True)


if __name__ == "__main__":
    main()
