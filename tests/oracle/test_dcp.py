"""torch.distributed.checkpoint (DCP) folders written by torch 2.x itself, with 1, 2 and 4
processes on gloo (tests/oracle/dcp_fixture.py), read by ckpt and compared with torch in the
same run: every tensor's global shape and dtype as DCP's own reader reports them, the
consolidated export against dcp_to_torch_save, rules on the way, diff against the
consolidated file, and broken folders as one-line errors."""
import json
import math
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import unittest

import torch
import torch.distributed.checkpoint as dcp
from safetensors.torch import load_file
from torch.distributed.checkpoint.format_utils import dcp_to_torch_save
from torch.distributed.checkpoint.metadata import TensorStorageMetadata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ckpt_run import ckpt, empty_config, one_line_error  # noqa: E402
_folders = {}
_tmp = tempfile.TemporaryDirectory()


def written(kind, world):
    """A DCP folder written once per run by real torch processes."""
    key = (kind, world)
    if key not in _folders:
        out = os.path.join(_tmp.name, f"{kind}{world}")
        r = subprocess.run([sys.executable, os.path.join(HERE, "dcp_fixture.py"), kind, out, str(world)],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise AssertionError(f"dcp_fixture {kind} {world} failed: {r.stderr[-2000:]}")
        _folders[key] = out
    return _folders[key]


def inspect(path):
    return json.loads(ckpt("inspect", "--json", path).stdout)


def flat(obj, prefix=()):
    """(path tuple, leaf) of a nested state dict, as ckpt's paths read."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from flat(v, prefix + (str(k),))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from flat(v, prefix + (str(i),))
    else:
        yield prefix, obj


def assert_same_tree(test, want, got, where=""):
    """Equal nesting, keys in order, leaves of the same type; tensors bitwise equal."""
    if isinstance(want, torch.Tensor):
        test.assertIsInstance(got, torch.Tensor, where)
        test.assertEqual((want.dtype, want.shape), (got.dtype, got.shape), where)
        test.assertTrue(torch.equal(want.view(-1).view(torch.uint8) if want.numel() else want,
                                    got.reshape(-1).view(torch.uint8) if got.numel() else got), where)
    elif isinstance(want, dict):
        test.assertIsInstance(got, dict, where)
        test.assertEqual(list(want), list(got), where)
        for k in want:
            assert_same_tree(test, want[k], got[k], f"{where}/{k}")
    elif isinstance(want, (list, tuple)):
        test.assertEqual(type(want), type(got), where)
        test.assertEqual(len(want), len(got), where)
        for i, (a, b) in enumerate(zip(want, got)):
            assert_same_tree(test, a, b, f"{where}/{i}")
    else:
        test.assertEqual((type(want), want), (type(got), got), where)


class TestDcpRead(unittest.TestCase):
    """ckpt inspect lists what DCP's own reader reports: names, global shapes, dtypes, chunks."""

    def check_against_metadata(self, folder):
        meta = dcp.FileSystemReader(folder).read_metadata()
        listed = {tuple(t["path"]): t for t in inspect(folder)["tensors"]}
        want = {}
        for fqn, md in meta.state_dict_metadata.items():
            if isinstance(md, TensorStorageMetadata):
                want[tuple(str(p) for p in meta.planner_data[fqn])] = md
        self.assertEqual(set(listed), set(want))
        for path, md in want.items():
            t = listed[path]
            self.assertEqual(t["shape"], list(md.size), path)
            self.assertEqual(t["dtype"], str(md.properties.dtype).removeprefix("torch."), path)
            if len(md.chunks) > 1:
                got = sorted((c["offsets"], c["sizes"]) for c in t["chunks"] if math.prod(c["sizes"]))
                self.assertEqual(got, sorted((list(c.offsets), list(c.sizes)) for c in md.chunks if math.prod(c.sizes)), path)
                for c in t["chunks"]:
                    self.assertTrue(os.path.basename(c["file"]).startswith(f"__{c['rank']}_"), c)
        return listed

    def test_plain_single_process(self):
        listed = self.check_against_metadata(written("plain", 1))
        self.assertIn(("optim", "state", "0.weight", "exp_avg"), listed)

    def test_fsdp2_two_and_four_ranks(self):
        for world in (2, 4):
            folder = written("fsdp2", world)
            listed = self.check_against_metadata(folder)
            emb = listed[("model", "0.weight")]
            self.assertEqual(len(emb["chunks"]), world)
            self.assertEqual(sorted({c["rank"] for c in emb["chunks"]}), list(range(world)))
            self.assertEqual(inspect(folder)["metadata"]["ranks"], str(world))

    def test_zstd_compressed_items(self):
        listed = self.check_against_metadata(written("zstd", 2))
        meta = dcp.FileSystemReader(written("zstd", 2)).read_metadata()
        self.assertTrue(all(info.transform_descriptors == ["stream.zstd/1"] for info in meta.storage_data.values()))
        self.assertIn(("model", "0.weight"), listed)

    def test_dtensor_cut_along_two_dimensions(self):
        listed = self.check_against_metadata(written("dtensor", 4))
        grid = listed[("state", "grid")]
        self.assertEqual(len(grid["chunks"]), 4)
        self.assertTrue(any(c["offsets"][1] > 0 for c in grid["chunks"]))
        self.assertIsNotNone(listed[("state", "shared")]["storage"])  # replicated: kept whole on one rank

    def test_dcp_load_into_empty_tensors_gives_the_exported_values(self):
        folder = written("dtensor", 4)
        out = os.path.join(_tmp.name, "dt-values.safetensors")
        cfg = empty_config(_tmp.name)
        ckpt("apply", folder, "--config", cfg, "-o", out, "--format", "safetensors")
        mine = load_file(out)
        meta = dcp.FileSystemReader(folder).read_metadata()
        sd = {"state": {k.split(".", 1)[1]: torch.empty(md.size, dtype=md.properties.dtype)
                        for k, md in meta.state_dict_metadata.items() if isinstance(md, TensorStorageMetadata)}}
        dcp.load(sd, checkpoint_id=folder, no_dist=True)
        self.assertEqual(set(mine), set(sd["state"]))
        for k, v in sd["state"].items():
            self.assertTrue(torch.equal(mine[k], v), k)


class TestDcpExport(unittest.TestCase):
    """The consolidated file equals what dcp_to_torch_save writes from the same folder."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.cfg = empty_config(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_pytorch_export_equals_dcp_to_torch_save(self):
        for kind, world in (("plain", 1), ("fsdp2", 2), ("fsdp2", 4), ("dtensor", 4), ("zstd", 2)):
            folder = written(kind, world)
            ref = os.path.join(self.tmp.name, f"{kind}{world}-ref.pt")
            dcp_to_torch_save(folder, ref)
            out = os.path.join(self.tmp.name, f"{kind}{world}.pt")
            ckpt("apply", folder, "--config", self.cfg, "-o", out)
            assert_same_tree(self, torch.load(ref, weights_only=False), torch.load(out, weights_only=True), kind)

    def test_rules_on_the_way_drop_the_optimizer_cast_and_rename(self):
        folder = written("fsdp2", 4)
        cfg = os.path.join(self.tmp.name, "rules.json")
        with open(cfg, "w") as f:
            json.dump({"rules": [{"action": "cast", "match": "*", "to": "bfloat16"},
                                 {"action": "rename", "regex": r"^0\.(.*)$", "to": r"embed.\1"}]}, f)
        out = os.path.join(self.tmp.name, "model.safetensors")
        ckpt("apply", folder, "--config", cfg, "-o", out, "--format", "safetensors", "--shard-size", "64B")
        ref = os.path.join(self.tmp.name, "ref.pt")
        dcp_to_torch_save(folder, ref)
        model = torch.load(ref, weights_only=False)["model"]
        index = json.load(open(os.path.join(self.tmp.name, "model.safetensors.index.json")))
        got = {}
        for shard in sorted(set(index["weight_map"].values())):
            got.update(load_file(os.path.join(self.tmp.name, shard)))
        want = {("embed." + k[2:] if k.startswith("0.") else k): v.to(torch.bfloat16) for k, v in model.items()}
        self.assertEqual(set(got), set(want))
        self.assertGreater(len(set(index["weight_map"].values())), 1)
        for k, v in want.items():
            self.assertTrue(torch.equal(got[k], v), k)

    def test_diff_against_the_consolidated_file_is_all_identical(self):
        folder = written("fsdp2", 2)
        out = os.path.join(self.tmp.name, "c.pt")
        ckpt("apply", folder, "--config", self.cfg, "-o", out)
        r = ckpt("diff", folder, out, "--json")
        report = json.loads(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout[-500:])
        self.assertGreater(len(report["tensors"]), 0)
        self.assertTrue(all(t["status"] == "identical" for t in report["tensors"]), report["tensors"])

    def test_compare_as_target(self):
        folder = written("fsdp2", 2)
        out = os.path.join(self.tmp.name, "c.safetensors")
        ckpt("apply", folder, "--config", self.cfg, "-o", out, "--format", "safetensors")
        r = ckpt("compare", out, "--target", folder, "--json", check=False)
        self.assertEqual(r.returncode, 0, r.stdout[-800:] + r.stderr)


class TestDcpSafety(unittest.TestCase):
    """The .metadata pickle gets the same scan as any pickle: DCP's own classes need code,
    the Enum member lookup is no danger, and a hostile .metadata is found."""

    def test_real_metadata_needs_code_but_nothing_dangerous(self):
        folder = written("plain", 1)
        report = json.loads(ckpt("scan", os.path.join(folder, ".metadata"), "--json", check=False).stdout)
        text = json.dumps(report)
        self.assertIn("_MEM_FORMAT_ENCODING", text)
        self.assertFalse(inspect(folder)["dangerous"])

    def test_hostile_metadata_is_dangerous(self):
        folder = os.path.join(_tmp.name, "hostile")
        shutil.copytree(written("plain", 1), folder, dirs_exist_ok=True)
        meta = dcp.FileSystemReader(folder).read_metadata()

        class Boom:
            def __reduce__(self):
                return (os.system, ("echo pwned",))
        meta.planner_data["x"] = Boom()
        with open(os.path.join(folder, ".metadata"), "wb") as f:
            pickle.dump(meta, f)
        r = ckpt("scan", os.path.join(folder, ".metadata"), check=False)
        self.assertEqual(r.returncode, 3, r.stdout)
        self.assertIn("system", r.stdout)


class TestDcpBroken(unittest.TestCase):
    """A broken folder gives one line naming the file and the problem, never a crash."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = os.path.join(self.tmp.name, "ck")
        shutil.copytree(written("fsdp2", 2), self.folder)

    def tearDown(self):
        self.tmp.cleanup()

    def error_of(self):
        return one_line_error(self, self.folder)

    def rewrite(self, change):
        meta = dcp.FileSystemReader(self.folder).read_metadata()
        change(meta)
        with open(os.path.join(self.folder, ".metadata"), "wb") as f:
            pickle.dump(meta, f)

    def test_truncated_rank_file(self):
        path = os.path.join(self.folder, "__1_0.distcp")
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
        self.assertIn("__1_0.distcp", self.error_of())

    def test_missing_rank_file(self):
        os.remove(os.path.join(self.folder, "__0_0.distcp"))
        self.assertIn("__0_0.distcp", self.error_of())

    def test_overlapping_chunks(self):
        def overlap(meta):
            md = meta.state_dict_metadata["model.0.weight"]
            md.chunks[1].offsets = torch.Size([0, 0])
        self.rewrite(overlap)
        self.assertIn("model.0.weight", self.error_of())

    def test_corrupt_compressed_item(self):
        self.folder = os.path.join(self.tmp.name, "zs")
        shutil.copytree(written("zstd", 2), self.folder)
        meta = dcp.FileSystemReader(self.folder).read_metadata()
        info = next(v for k, v in meta.storage_data.items() if k.fqn == "model.0.weight" and k.offset is not None)
        with open(os.path.join(self.folder, info.relative_path), "r+b") as f:
            f.seek(info.offset + info.length // 2)
            f.write(b"\xff" * 8)
        self.assertIn(info.relative_path, self.error_of())

    def test_two_entries_naming_the_same_bytes(self):
        def share(meta):
            keys = [k for k in meta.storage_data if k.offset is not None]
            meta.storage_data[keys[1]] = meta.storage_data[keys[0]]
        self.rewrite(share)
        self.assertIn("another entry's", self.error_of())

    def test_data_file_outside_the_folder(self):
        def escape(meta):
            for info in meta.storage_data.values():
                info.relative_path = "../elsewhere.distcp"
        self.rewrite(escape)
        self.assertIn("outside its folder", self.error_of())

    def test_chunk_shape_that_lies(self):
        def lie(meta):
            md = meta.state_dict_metadata["model.0.weight"]
            md.size = torch.Size([md.size[0] + 1, md.size[1]])
            md.chunks[-1].sizes = torch.Size([md.chunks[-1].sizes[0] + 1, md.chunks[-1].sizes[1]])
        self.rewrite(lie)
        self.assertIn("model.0.weight", self.error_of())


def tearDownModule():
    _tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
