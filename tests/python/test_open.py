"""ckpt_studio.open / load: the same tensors torch.load and safetensors give, viewing the
file without a copy, and the object tree without running it."""
import gc
import os
import resource

import numpy as np
import pytest
import safetensors.torch
import torch
from safetensors import safe_open

import ckpt_studio
from conftest import fixture


def same(test_sd, ref):
    assert list(test_sd) == list(ref)
    for k, t in ref.items():
        got = test_sd[k]
        assert got.dtype == t.dtype and got.shape == t.shape and got.stride() == t.stride(), k
        assert torch.equal(got, t), k


@pytest.mark.parametrize("name", ["resnet18.pt", "mobilenet_v3_small.pt", "torch2_float8.pt", "odd_names.pt"])
def test_state_dict_is_torch_load(name):
    path = fixture("ok", name)
    same(ckpt_studio.load(path), torch.load(path, weights_only=True, mmap=True))


def test_legacy_file_is_torch_load():
    path = fixture("ok", "resnet18_legacy.pt")
    same(ckpt_studio.load(path), torch.load(path, weights_only=True))


def test_safetensors_is_safe_open(tmp_path):
    tensors = {"a.weight": torch.randn(7, 5), "b.bias": torch.arange(9, dtype=torch.int16),
               "c": torch.randn(3, 4).to(torch.bfloat16), "empty": torch.zeros(0, 3)}
    path = str(tmp_path / "m.safetensors")
    safetensors.torch.save_file(tensors, path)
    with safe_open(path, "pt") as f:
        ref = {k: f.get_tensor(k) for k in f.keys()}
    got = ckpt_studio.load(path)
    assert set(got) == set(ref)
    for k in ref:
        assert got[k].dtype == ref[k].dtype and torch.equal(got[k], ref[k]), k


def test_sharded_folder_is_every_shard():
    folder = fixture("ok", "sharded_st")
    ref = {}
    for f in sorted(os.listdir(folder)):
        if f.endswith(".safetensors"):
            ref.update(safetensors.torch.load_file(os.path.join(folder, f)))
    got = ckpt_studio.load(folder)
    assert set(got) == set(ref)
    for k in ref:
        assert torch.equal(got[k], ref[k]), k


def test_views_share_the_mapping_and_writes_stay_private(tmp_path):
    path = str(tmp_path / "tied.pt")
    w = torch.randn(4, 6)
    torch.save({"enc.weight": w, "dec.weight": w, "half": w[2:]}, path)
    before = open(path, "rb").read()
    sd = ckpt_studio.load(path)
    assert sd["enc.weight"].data_ptr() == sd["dec.weight"].data_ptr()  # one storage, as saved
    assert sd["half"].data_ptr() == sd["enc.weight"].data_ptr() + 2 * 6 * 4
    sd["enc.weight"].add_(1)                      # a write: a private page, never the file
    assert torch.equal(sd["dec.weight"], w + 1)
    assert open(path, "rb").read() == before
    assert torch.equal(ckpt_studio.load(path)["enc.weight"], w)
    copied = ckpt_studio.load(path, copy=True)["enc.weight"]
    assert torch.equal(copied, w)


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def test_memory_does_not_grow_with_the_file(tmp_path):
    path = str(tmp_path / "big.safetensors")
    safetensors.torch.save_file({f"layer{i}.weight": torch.ones(1024, 1024) for i in range(64)}, path)  # 256 MiB
    gc.collect()
    start = rss_mb()
    sd = ckpt_studio.load(path)
    assert len(sd) == 64
    assert rss_mb() - start < 32, "the state dict read the tensors' bytes"
    assert float(sd["layer63.weight"][1023, 1023]) == 1.0
    assert rss_mb() - start < 40, "touching one element read more than its pages"


def test_numpy_arrays_without_torch():
    path = fixture("ok", "resnet18.pt")
    ref = torch.load(path, weights_only=True, mmap=True)
    arrays = ckpt_studio.load(path, framework="numpy")
    for k, t in ref.items():
        a = arrays[k]
        assert isinstance(a, np.ndarray) and not a.flags.writeable
        np.testing.assert_array_equal(a, t.numpy())
        assert a.strides == tuple(s * t.element_size() for s in t.stride())


def test_tree_names_globals_and_never_runs_them(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = str(tmp_path / "evil.pt")
    torch.save({"w": torch.ones(2), "payload": Evil()}, path)
    ck = ckpt_studio.open(path)
    tree = ck.tree()
    payload = tree["payload"]
    assert isinstance(payload, ckpt_studio.OpaqueObject)
    assert (payload.module, payload.name) == (os.system.__module__, "system")
    assert payload.args == (f"touch {marker}",)
    assert isinstance(tree["w"], ckpt_studio.TensorRef) and tree["w"].shape == (2,)
    assert torch.equal(ck.tensor(tree["w"]), torch.ones(2))
    assert ck.safety()["dangerous"] is True
    assert not marker.exists()


def test_lightning_tree_and_report():
    path = fixture("ok", "lightning.ckpt")
    ck = ckpt_studio.open(path)
    assert ck.format == "pytorch-zip"
    tree = ck.tree()
    assert tree["epoch"] == 3 and tree["global_step"] == 120
    args = tree["hyper_parameters"]["args"]
    assert (args.module, args.name, args.state) == ("argparse", "Namespace", {"depth": 18, "act": "relu"})
    assert ck.weights_candidates[0]["path"] == ["state_dict"]
    assert len(ck.tensors) == ck.report["tensor_count"]
    assert ck.keys() == list(tree["state_dict"].keys())


def test_errors_name_the_input(tmp_path):
    with pytest.raises(ckpt_studio.CheckpointError, match="^/nonexistent/x.pt: "):
        ckpt_studio.open("/nonexistent/x.pt")
    good = open(fixture("ok", "resnet18.pt"), "rb").read()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good[: len(good) // 3])
    with pytest.raises(ckpt_studio.CheckpointError, match=f"^{cut}: "):
        ckpt_studio.load(str(cut))
    with pytest.raises(ckpt_studio.CheckpointError, match="^config: "):
        ckpt_studio.plan(fixture("ok", "resnet18.pt"), {"rules": [{"freeze": 3}]})
    with pytest.raises(KeyError):
        ckpt_studio.open(fixture("ok", "resnet18.pt")).tensor("no.such.tensor")
