#!/usr/bin/python3
"""Makes the bundled sample checkpoints (run with Debian's python3-torch):

  samples/tiny_vit.pt   a small Vision Transformer (torchvision's own class) saved the way
                        PyTorch Lightning saves: state_dict with a `model.` prefix, Adam state
                        after one step, hyper-parameters. A few hundred KB.

Deterministic (fixed seed). Later issues add a target architecture and a fine-tuned second
version of the same model beside it, for comparing and diffing.
"""
import argparse
import os

import torch
import torchvision


def tiny_vit():
    torch.manual_seed(1234)
    return torchvision.models.VisionTransformer(
        image_size=64, patch_size=8, num_layers=3, num_heads=2, hidden_dim=32, mlp_dim=64,
        num_classes=10)


def lightning_style(model):
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.05)
    model(torch.randn(2, 3, 64, 64)).sum().backward()
    optimizer.step()
    state = {"model." + k: v for k, v in model.state_dict().items()}
    return {
        "epoch": 12,
        "global_step": 4800,
        "pytorch-lightning_version": "2.1.0",
        "state_dict": state,
        "optimizer_states": [optimizer.state_dict()],
        "lr_schedulers": [],
        "hparams_name": "kwargs",
        "hyper_parameters": {"image_size": 64, "patch_size": 8, "num_layers": 3,
                             "hidden_dim": 32, "num_classes": 10, "lr": 3e-4},
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "samples"))
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    torch.save(lightning_style(tiny_vit()), os.path.join(out, "tiny_vit.pt"))


if __name__ == "__main__":
    main()
