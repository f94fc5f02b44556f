"""DeepSpeed ZeRO checkpoints (stages 1, 2, 3; 1 and 2 ranks) written by DeepSpeed itself on
the CPU (tests/oracle/ds_fixture.py), read by ckpt and compared in the same run with
DeepSpeed's own consolidation: zero_to_fp32 for the fp32 weights, ds_to_universal for the
optimizer moments; and broken folders as one-line errors."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import torch
from safetensors.torch import load_file

os.environ.setdefault("DS_ACCELERATOR", "cpu")
from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ckpt_run import ckpt, empty_config, one_line_error  # noqa: E402
_tmp = tempfile.TemporaryDirectory()
_written = {}
CASES = ((1, 2), (2, 2), (3, 2), (2, 1))


def written(stage, world):
    if (stage, world) not in _written:
        out = os.path.join(_tmp.name, f"zero{stage}-{world}")
        for attempt in range(2):
            shutil.rmtree(out, ignore_errors=True)
            r = subprocess.run([sys.executable, os.path.join(HERE, "ds_fixture.py"), str(stage), out, str(world)],
                               capture_output=True, text=True, timeout=900)
            # DeepSpeed's gloo ranks on the CPU now and then abort at exit ("terminate called
            # without an active exception", SIGABRT): the writer crashed, not what it wrote;
            # it is written once more. Any other failure is the test's.
            if r.returncode == 0 or "(SIGABRT)" not in r.stderr:
                break
        if r.returncode != 0:
            raise AssertionError(f"ds_fixture {stage} {world} failed: {r.stderr[-3000:]}")
        _written[(stage, world)] = out
    return _written[(stage, world)]


class TestZeroToFp32(unittest.TestCase):
    """The fp32 weights ckpt writes are zero_to_fp32's, name for name and bit for bit."""

    def test_every_stage_and_rank_count(self):
        with tempfile.TemporaryDirectory() as tmp:
            for stage, world in CASES:
                folder = written(stage, world)
                out = os.path.join(tmp, f"z{stage}{world}.safetensors")
                ckpt("apply", folder, "--config", empty_config(tmp), "-o", out, "--format", "safetensors")
                mine = load_file(out)
                ref = get_fp32_state_dict_from_zero_checkpoint(folder)
                self.assertEqual(set(mine), set(ref), (stage, world))
                for k, v in ref.items():
                    v = v.contiguous()
                    self.assertEqual(mine[k].dtype, v.dtype, (stage, world, k))
                    self.assertTrue(torch.equal(mine[k], v), (stage, world, k))

    def test_inspect_names_the_stage_and_prefers_the_fp32_weights(self):
        for stage, world in CASES:
            report = json.loads(ckpt("inspect", "--json", written(stage, world)).stdout)
            self.assertEqual(report["format"], "deepspeed")
            self.assertEqual(report["metadata"]["zero_stage"], str(stage))
            self.assertEqual(report["metadata"]["ranks"], str(world))
            self.assertEqual(report["weights_candidates"][0]["path"], ["fp32"])
            if world > 1:  # the embedding's 66 elements are cut between the two ranks
                embed = next(t for t in report["tensors"] if t["path"] == ["fp32", "embed.weight"])
                if embed["storage"] is None:
                    self.assertTrue(all(c["flat"] for c in embed["chunks"]))
                    self.assertEqual(sum(c["sizes"][0] for c in embed["chunks"]), 66)

    def test_the_tag_folder_opens_the_same(self):
        folder = written(2, 2)
        tag = open(os.path.join(folder, "latest")).read().strip()
        a = json.loads(ckpt("inspect", "--json", folder).stdout)["tensors"]
        b = json.loads(ckpt("inspect", "--json", os.path.join(folder, tag)).stdout)["tensors"]
        self.assertEqual([(t["name"], t["shape"], t["dtype"]) for t in a], [(t["name"], t["shape"], t["dtype"]) for t in b])


class TestMoments(unittest.TestCase):
    """exp_avg and exp_avg_sq per parameter equal DeepSpeed's universal checkpoint's."""

    def test_moments_equal_ds_to_universal(self):
        with tempfile.TemporaryDirectory() as tmp:
            for stage, world in CASES:
                folder = written(stage, world)
                tag = open(os.path.join(folder, "latest")).read().strip()
                universal = os.path.join(tmp, f"u{stage}{world}")
                r = subprocess.run([sys.executable, "-m", "deepspeed.checkpoint.ds_to_universal", "--input_folder",
                                    os.path.join(folder, tag), "--output_folder", universal, "--num_extract_workers", "1",
                                    "--num_merge_workers", "1", "--inject_missing_state"],
                                   capture_output=True, text=True, timeout=600, env={**os.environ, "DS_ACCELERATOR": "cpu"})
                self.assertEqual(r.returncode, 0, r.stderr[-2000:])
                out = os.path.join(tmp, f"z{stage}{world}.pt")
                ckpt("apply", folder, "--config", empty_config(tmp), "-o", out)
                mine = torch.load(out, weights_only=True)
                names = os.listdir(os.path.join(universal, "zero"))
                self.assertGreater(len(names), 5)
                for name in names:
                    for slot in ("fp32", "exp_avg", "exp_avg_sq"):
                        if not os.path.exists(os.path.join(universal, "zero", name, slot + ".pt")):
                            self.assertNotIn(name, mine["optimizer"]["state"])  # a frozen parameter: no moments
                            continue
                        theirs = torch.load(os.path.join(universal, "zero", name, slot + ".pt"), weights_only=False)
                        theirs = theirs["param"] if isinstance(theirs, dict) else theirs
                        if slot == "fp32" and name not in mine["fp32"]:
                            # Stage 1 records no frozen parameters; zero_to_fp32 leaves them out,
                            # the universal checkpoint takes the module's 16-bit values.
                            got = mine["module"][name].float()
                            theirs = theirs.float()
                        else:
                            got = mine["fp32"][name] if slot == "fp32" else mine["optimizer"]["state"][name][slot]
                        self.assertTrue(torch.equal(got.flatten(), theirs.flatten()), (stage, world, name, slot))


class TestBroken(unittest.TestCase):
    """A folder that does not add up gives one line naming what, never a crash."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = os.path.join(self.tmp.name, "ds")
        shutil.copytree(written(2, 2), self.folder)
        self.tag = os.path.join(self.folder, open(os.path.join(self.folder, "latest")).read().strip())

    def tearDown(self):
        self.tmp.cleanup()

    def error_of(self):
        return one_line_error(self, self.folder)

    def test_a_rank_missing(self):
        os.remove(next(os.path.join(self.tag, n) for n in os.listdir(self.tag) if "rank_1" in n and "optim" in n))
        self.assertIn("partition_count", self.error_of())

    def test_latest_naming_no_folder(self):
        with open(os.path.join(self.folder, "latest"), "w") as f:
            f.write("global_step99")
        self.assertIn("global_step99", self.error_of())

    def test_latest_escaping(self):
        with open(os.path.join(self.folder, "latest"), "w") as f:
            f.write("../../etc")
        self.assertIn("latest", self.error_of())

    def test_truncated_optimizer_states(self):
        path = next(os.path.join(self.tag, n) for n in os.listdir(self.tag) if "rank_0" in n and "optim" in n)
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
        self.assertIn(os.path.basename(path), self.error_of())


def tearDownModule():
    _tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
