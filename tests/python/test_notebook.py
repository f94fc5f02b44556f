"""A notebook's flow: open a Lightning checkpoint, freeze by rules, build the optimizer's
groups from the plan, load the weights into the model and train one step."""
import pytest
import torch
import torchvision

import ckpt_studio
from conftest import fixture


def test_freeze_group_and_train_one_step():
    path = fixture("ok", "lightning.ckpt")
    config = {"rules": [{"action": "rename", "prefix": "model.", "to": ""},
                        {"action": "freeze", "match": "conv1.*"},
                        {"action": "freeze", "match": "layer1.*"},
                        {"action": "group", "match": "fc.*", "group": "head"}]}
    plan = ckpt_studio.plan(path, config)
    assert not [d for d in plan["diagnostics"] if d["severity"] == "error"]

    weights = ckpt_studio.load(path)
    renamed = {t["name"]: weights[t["source_name"]] for t in plan["tensors"] if t["name"] is not None}
    model = torchvision.models.resnet18(num_classes=1000)
    model.load_state_dict(renamed, strict=True)

    frozen = {t["name"] for t in plan["tensors"] if t["frozen"]}
    head = {t["name"] for t in plan["tensors"] if "head" in t["groups"]}
    params = dict(model.named_parameters())
    for name, p in params.items():
        p.requires_grad_(name not in frozen)
    body = [p for n, p in params.items() if p.requires_grad and n not in head]
    optimizer = torch.optim.SGD([{"params": body, "lr": 0.01},
                                 {"params": [params[n] for n in head], "lr": 0.1}], momentum=0.9)
    assert frozen >= {"conv1.weight", "layer1.0.conv1.weight"} and head == {"fc.weight", "fc.bias"}

    before = {n: p.detach().clone() for n, p in params.items()}
    model.train()
    loss = torch.nn.functional.cross_entropy(model(torch.randn(2, 3, 64, 64)), torch.tensor([1, 2]))
    loss.backward()
    optimizer.step()
    for n, p in params.items():
        moved = not torch.equal(p.detach(), before[n])
        assert moved == (n not in frozen), n
    # The file is as it was: the weights were private pages the step wrote, never the file's.
    again = ckpt_studio.load(path)
    assert torch.equal(again["model.fc.weight"], before["fc.weight"])
