"""`ckpt scan`'s verdict for torch >= 2.6 (`weights_only.torch_2_6.ok`) against the installed
torch 2.x's real `torch.load(weights_only=True)` on every torch.save fixture and hostile file
that ckpt opens: both accept or both refuse. (A bare pickle is no torch.save file: torch.load
refuses it whatever it holds.) The loads run in one process of their own, with a time limit."""
import json
import os
import pathlib
import subprocess
import sys
import unittest

CKPT = os.environ.get("CKPT_BIN", "ckpt")
FIXTURES = pathlib.Path(os.environ.get("CKPT_FIXTURES", ""))

LOAD = """
import json, sys, torch
for path in sys.argv[1:]:
    try:
        torch.load(path, weights_only=True, map_location="cpu")
        print(json.dumps([path, True, ""]), flush=True)
    except Exception as e:  # noqa: BLE001 - any refusal counts as one
        print(json.dumps([path, False, (type(e).__name__ + ": " + str(e))[-300:]]), flush=True)
"""


def torch_verdicts(paths):
    r = subprocess.run([sys.executable, "-c", LOAD, *map(str, paths)], capture_output=True, text=True, timeout=600)
    return {p: (ok, why) for p, ok, why in map(json.loads, r.stdout.splitlines())}


class WeightsOnlyVerdict(unittest.TestCase):
    def test_every_fixture_agrees_with_torch(self):
        files = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in (".pt", ".pkl", ".ckpt", ".bin", ".pth"))
        self.assertGreater(len(files), 40, "the fixtures are missing")
        verdicts = {}
        for path in files:
            r = subprocess.run([CKPT, "scan", "--json", str(path)], capture_output=True, timeout=60)
            if r.returncode not in (0, 3):
                continue  # ckpt refuses the file itself: test_errors' business
            scan = json.loads(r.stdout)
            if scan["format"] == "pickle" or not scan["weights_only"]["torch_2_6"]["applicable"]:
                continue
            verdicts[str(path)] = scan["weights_only"]["torch_2_6"]
        theirs = torch_verdicts(verdicts)
        self.assertEqual(sorted(theirs), sorted(verdicts), "torch answered for every file")
        for path, verdict in verdicts.items():
            accepted, why = theirs[path]
            with self.subTest(file=str(pathlib.Path(path).relative_to(FIXTURES))):
                self.assertEqual(verdict["ok"], accepted,
                                 f"ckpt says {'accepted' if verdict['ok'] else verdict['blockers'][:3]}, torch: {why or 'accepted'}")
        self.assertGreater(len(verdicts), 20)

    def test_files_torch_2_writes_agree_with_torch(self):
        """The same on files this torch writes, in both of its layouts."""
        import argparse
        import collections
        import tempfile
        import torch

        class Reduces:  # a class whose pickle calls os.getcwd
            def __reduce__(self):
                return (os.getcwd, ())

        model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
        opt = torch.optim.Adam(model.parameters())
        model(torch.randn(2, 3)).sum().backward()
        opt.step()
        objects = {
            "state_dict": model.state_dict(),
            "optimizer": {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3},
            "dtypes": {str(d): torch.zeros(2, dtype=d) for d in (torch.float16, torch.bfloat16, torch.int8, torch.bool,
                                                              torch.complex64, torch.float8_e4m3fn, torch.uint16)},
            "ordered": collections.OrderedDict(a=torch.ones(1)),
            "namespace": {"args": argparse.Namespace(lr=0.1), "w": torch.ones(1)},
            "path": {"p": pathlib.PurePosixPath("/data"), "w": torch.ones(1)},
            "plain values": {"s": {1, 2}, "t": (1, 2.5, None, "x", b"y"), "c": 1 + 2j, "big": 2 ** 80},
            "code": {"x": Reduces()},
            "module": model,
        }
        with tempfile.TemporaryDirectory() as d:
            verdicts = {}
            for name, obj in objects.items():
                for zip_layout in (True, False):
                    path = os.path.join(d, f"{name.replace(' ', '_')}_{'zip' if zip_layout else 'legacy'}.pt")
                    torch.save(obj, path, _use_new_zipfile_serialization=zip_layout)
                    r = subprocess.run([CKPT, "scan", "--json", path], capture_output=True, timeout=60)
                    with self.subTest(file=os.path.basename(path)):
                        self.assertIn(r.returncode, (0, 3), r.stderr)
                        verdicts[path] = json.loads(r.stdout)["weights_only"]["torch_2_6"]
            theirs = torch_verdicts(verdicts)
            for path, verdict in verdicts.items():
                accepted, why = theirs[path]
                with self.subTest(file=os.path.basename(path)):
                    self.assertEqual(verdict["ok"], accepted,
                                     f"ckpt says {'accepted' if verdict['ok'] else verdict['blockers'][:3]}, torch: {why or 'accepted'}")


if __name__ == "__main__":
    unittest.main()
