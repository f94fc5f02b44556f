"""plan, apply, compare, diff, scan and inspect from Python return what the ckpt command's
--json prints for the same inputs, run side by side."""
import json
import subprocess

import pytest
import torch

import ckpt_studio
from conftest import CKPT, ckpt_json, fixture

RULES = {"rules": [{"action": "rename", "prefix": "model.", "to": ""},
                   {"action": "freeze", "match": "layer1.*"},
                   {"action": "group", "match": "fc.*", "group": "head"}]}


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(RULES))
    return str(path)


def test_inspect_is_the_cli():
    path = fixture("ok", "lightning.ckpt")
    cli, status = ckpt_json("inspect", path)
    assert status == 0 and ckpt_studio.inspect(path) == cli


def test_plan_with_a_dict_or_a_file_is_the_cli(config):
    path = fixture("ok", "lightning.ckpt")
    cli, status = ckpt_json("plan", path, "--config", config)
    assert status == 0
    assert ckpt_studio.plan(path, RULES) == cli
    assert ckpt_studio.plan(path, config) == cli
    frozen = [t["name"] for t in cli["tensors"] if t["frozen"]]
    assert frozen and all(n.startswith("layer1.") for n in frozen)


def test_emit_config_is_the_cli(config):
    path = fixture("ok", "lightning.ckpt")
    r = subprocess.run([CKPT, "plan", path, "--config", config, "--emit", "python"], capture_output=True, text=True)
    assert r.returncode == 0 and ckpt_studio.emit_config(path, config, "python") == r.stdout
    with pytest.raises(ckpt_studio.CheckpointError, match="json, yaml, python"):
        ckpt_studio.emit_config(path, config, "toml")


def test_apply_writes_what_the_cli_writes(tmp_path, config):
    path = fixture("ok", "lightning.ckpt")
    ours, theirs = tmp_path / "py.safetensors", tmp_path / "cli.safetensors"
    done = ckpt_studio.apply(path, config, ours)
    r = subprocess.run([CKPT, "apply", path, "--config", config, "-o", str(theirs)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert done["written"] and done["summary"] == r.stdout.strip().replace(str(theirs), str(ours))
    a, b = ckpt_studio.load(ours), ckpt_studio.load(theirs)
    assert list(a) == list(b) and "conv1.weight" in a
    assert all(torch.equal(a[k], b[k]) for k in a)
    # Every name renamed to one: the plan has errors and nothing is written.
    bad = ckpt_studio.apply(path, {"rules": [{"action": "rename", "regex": ".*", "to": "same"}]}, tmp_path / "no.pt")
    assert not bad["written"] and bad["plan_errors"] and not (tmp_path / "no.pt").exists()
    with pytest.raises(ckpt_studio.CheckpointError, match="not 'zip'"):
        ckpt_studio.apply(path, config, tmp_path / "x.out", format="zip")


def test_compare_is_the_cli(tmp_path, config):
    path = fixture("ok", "lightning.ckpt")
    target = fixture("ok", "resnet18.pt")
    cli, status = ckpt_json("compare", path, "--target", target)
    ours = ckpt_studio.compare(path, target)
    assert status == 1 and not ours["strict_ok"]
    assert {k: v for k, v in ours.items() if k not in ("suggested_config", "config_errors")} == cli
    suggest = tmp_path / "suggest.json"
    subprocess.run([CKPT, "compare", path, "--target", target, "--suggest", str(suggest)], capture_output=True)
    assert ours["suggested_config"] == json.loads(suggest.read_text())
    fixed = ckpt_studio.compare(path, target, config=ours["suggested_config"])
    assert fixed["strict_ok"], fixed["verdict"]


def test_diff_is_the_cli(tmp_path):
    a = tmp_path / "a.safetensors"
    b = tmp_path / "b.safetensors"
    import safetensors.torch
    w = torch.randn(16, 16)
    safetensors.torch.save_file({"w": w, "same": torch.ones(3)}, str(a))
    safetensors.torch.save_file({"w": w + 0.01, "same": torch.ones(3), "new": torch.zeros(2)}, str(b))
    cli, status = ckpt_json("diff", str(a), str(b))
    ours = ckpt_studio.diff(a, b)
    assert status == 1 and ours == cli
    changed = {t["name"]: t for t in ours["tensors"]}["w"]
    ref = torch.nn.functional.cosine_similarity(w.double().flatten(), (w + 0.01).double().flatten(), dim=0)
    assert abs(changed["cosine"] - float(ref)) < 1e-9


def test_scan_is_the_cli():
    for name in ("evil.pt", "resnet18.pt"):
        path = fixture("ok", name)
        cli, status = ckpt_json("scan", path)
        ours = ckpt_studio.scan(path)
        assert ours.pop("exit_status") == status
        assert ours == cli


def test_diff_in_a_process_without_torch_is_the_cli(tmp_path):
    """Without PyPI's torch loaded the core's compute plugin runs in the calling process."""
    import os
    import sys
    import safetensors.torch
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    safetensors.torch.save_file({"w": torch.arange(12.0).reshape(3, 4)}, str(a))
    safetensors.torch.save_file({"w": torch.arange(12.0).reshape(3, 4) * 2}, str(b))
    code = ("import json, sys; import ckpt_studio; from ckpt_studio import _isolated; "
            "assert not _isolated.needs_isolation(); print(json.dumps(ckpt_studio.diff(sys.argv[1], sys.argv[2])))")
    r = subprocess.run([sys.executable, "-c", code, str(a), str(b)], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": os.environ["CKPT_PYTHON_PACKAGE"]})
    assert r.returncode == 0, r.stderr
    cli, _ = ckpt_json("diff", str(a), str(b))
    assert json.loads(r.stdout) == cli
