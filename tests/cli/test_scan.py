"""`ckpt scan`: dangerous pickles are found and never run; weights_only verdicts match the
PyTorch we have (1.13) on every fixture."""
import json
import os
import unittest

import torch

import reference as ref

ENTRIES = ref.manifest()["ok"]


class Scan(unittest.TestCase):
    def test_os_system_is_flagged_and_not_run(self):
        for e in [e for e in ENTRIES if e["kind"] == "evil"]:
            with self.subTest(file=e["file"]):
                path = ref.fixture(e["file"])
                marker = e["marker"]
                self.assertFalse(os.path.exists(marker))
                status, out, _ = ref.run("scan", "--json", path)
                self.assertEqual(status, 3, "exit 3: something dangerous")
                report = json.loads(out)
                self.assertTrue(report["dangerous"])
                dangerous = [g for g in report["globals"] if g["category"] == "dangerous"]
                self.assertEqual([(g["module"], g["name"]) for g in dangerous],
                                 [("posix", "system")])
                self.assertFalse(report["weights_only"]["torch_1_13"]["ok"])
                self.assertFalse(report["weights_only"]["torch_2_6"]["ok"])
                self.assertIn("global posix.system", " ".join(
                    report["weights_only"]["torch_2_6"]["blockers"]))
                # Inspecting shows the file too, still without running it.
                status, out, _ = ref.run("inspect", path)
                self.assertEqual(status, 0)
                self.assertIn(b"DANGEROUS", out)
                status, _, _ = ref.run("scan", path)
                self.assertEqual(status, 3)
                self.assertFalse(os.path.exists(marker), "the payload ran")

    def test_evil_checkpoint_still_lists_its_weights(self):
        ours = ref.inspect_json(ref.fixture("ok/evil.pt"))
        self.assertEqual([t["path"] for t in ours["tensors"]], [["weight"]])

    def test_clean_files_exit_zero(self):
        for e in [e for e in ENTRIES if e["kind"] in ("torch", "safetensors", "sharded")]:
            with self.subTest(file=e["file"]):
                status, out, _ = ref.run("scan", "--json", ref.fixture(e["file"]))
                self.assertEqual(status, 0)
                self.assertFalse(json.loads(out)["dangerous"])

    def test_main_classes_are_unknown_not_dangerous(self):
        status, out, _ = ref.run("scan", "--json", ref.fixture("ok/lightning.ckpt"))
        self.assertEqual(status, 0)
        categories = {f"{g['module']}.{g['name']}": g["category"]
                      for g in json.loads(out)["globals"]}
        self.assertEqual(categories["__main__.MainConfig"], "unknown")
        self.assertEqual(categories["argparse.Namespace"], "safe")
        self.assertEqual(categories["torch._utils._rebuild_tensor_v2"], "tensor-rebuild")

    def test_weights_only_verdict_matches_the_running_torch(self):
        """The verdict for the torch that runs this test (1.13 or >= 2.6) against its own
        torch.load(weights_only=True) on every torch fixture."""
        major, minor = (int(x) for x in torch.__version__.split(".")[:2])
        key = "torch_2_6" if (major, minor) >= (2, 6) else "torch_1_13"
        checked = 0
        for e in [e for e in ENTRIES if e["kind"] == "torch"]:
            with self.subTest(file=e["file"]):
                path = ref.fixture(e["file"])
                try:
                    torch.load(path, weights_only=True)
                    accepted = True
                except Exception:  # noqa: BLE001 - any refusal counts
                    accepted = False
                status, out, _ = ref.run("scan", "--json", path)
                verdict = json.loads(out)["weights_only"][key]
                self.assertEqual(verdict["ok"], accepted, verdict["blockers"])
                self.assertEqual(bool(verdict["blockers"]), not accepted)
                checked += 1
        self.assertGreater(checked, 8)

    def test_safetensors_are_not_torch_load_files(self):
        status, out, _ = ref.run("scan", "--json", ref.fixture("ok/tiny_vit.safetensors"))
        report = json.loads(out)
        self.assertEqual(report["globals"], [])
        self.assertFalse(report["weights_only"]["torch_1_13"]["applicable"])


if __name__ == "__main__":
    unittest.main()
