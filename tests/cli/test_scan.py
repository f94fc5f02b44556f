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
                report = json.loads(out)
                # A folder (a sharded checkpoint) is scanned file by file.
                for scan in report.get("files", [report]):
                    globals_ = {f"{g['module']}.{g['name']}": g["category"] for g in scan["globals"]}
                    if e.get("needs_classes") and "functools.partial" in globals_:
                        # A whole module pickled with its classes: torchvision wraps LayerNorm in
                        # functools.partial, whose state can make it call anything; the classes
                        # are code loading needs, not code that acts.
                        self.assertEqual({g for g, c in globals_.items() if c == "dangerous"}, {"functools.partial"})
                        self.assertIn("torchvision.models.vision_transformer", scan["needed_modules"])
                        self.assertEqual(status, 3)
                        continue
                    self.assertEqual(status, 0)
                    self.assertFalse(scan["dangerous"])
                    expected = "needs-code" if scan["needed_modules"] else ("skipped" if scan.get("format") == "skipped" else "data")
                    self.assertEqual(scan["verdict"], expected)
                    self.assertEqual(bool(scan["needed_modules"]), bool(e.get("needs_classes")), globals_)

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

    def test_what_a_pickle_names_before_it_breaks_counts(self):
        """A pickle that names os.system and then breaks (a cut tail, a memo key never put; in
        a zip's data.pkl too) is dangerous (exit 3), not only unreadable; what it names before
        the break is what Python's own pickletools reads."""
        import io
        import pickle
        import pickletools
        import tempfile
        import zipfile

        class Evil:
            def __reduce__(self):
                return (os.system, ("true",))

        whole = pickle.dumps({"w": Evil()}, protocol=2)
        cut = whole[:whole.index(b"R") + 1]           # REDUCE, then nothing: no STOP
        bad_memo = whole[:whole.index(b"R") + 1] + b"h\x63."  # BINGET of a key never put
        saved = io.BytesIO()
        torch.save({"w": torch.ones(2)}, saved)
        src = zipfile.ZipFile(io.BytesIO(saved.getvalue()))
        with tempfile.TemporaryDirectory() as d:
            cases = {"cut.pkl": cut, "bad_memo.pkl": bad_memo}
            zpath = os.path.join(d, "cut_in_zip.pt")
            with zipfile.ZipFile(zpath, "w", zipfile.ZIP_STORED) as z:
                for n in src.namelist():
                    z.writestr(n, cut if n.endswith("data.pkl") else src.read(n))
            for name, data in cases.items():
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
            for name in list(cases) + ["cut_in_zip.pt"]:
                path = os.path.join(d, name)
                with self.subTest(file=name):
                    names = []  # what Python's pickletools reads of the payload before its break
                    try:
                        for op, arg, _ in pickletools.genops(cut):
                            if op.name == "GLOBAL":
                                names.append(tuple(arg.split(" ")))
                    except Exception:  # noqa: BLE001 - the break itself
                        pass
                    self.assertIn(("posix", "system"), names)
                    status, out, err = ref.run("scan", "--json", path)
                    self.assertEqual(status, 3, err)
                    report = json.loads(out)
                    self.assertTrue(report["dangerous"])
                    self.assertIn("error", report)
                    self.assertEqual([(g["module"], g["name"]) for g in report["globals"]], [("posix", "system")])
                    self.assertEqual(len(err.strip().splitlines()), 1, err)
                    status, out, _ = ref.run("scan", path)
                    self.assertEqual(status, 3)
                    self.assertIn(b"before the error", out)
            # A payload behind a harmless first pickle (pickle.load stops at the first STOP;
            # the bytes after it are scanned), whole or cut.
            first = pickle.dumps([1, 2], protocol=2)
            for name, data in {"second.pkl": first + whole, "second_cut.pkl": first + cut}.items():
                path = os.path.join(d, name)
                with open(path, "wb") as f:
                    f.write(data)
                with self.subTest(file=name):
                    status, out, err = ref.run("scan", "--json", path)
                    self.assertEqual(status, 3, err)
                    report = json.loads(out)
                    self.assertEqual([(g["module"], g["name"]) for g in report["globals"] if g["category"] == "dangerous"],
                                     [("posix", "system")])
                    status, out, err = ref.run("inspect", "--json", path)
                    self.assertEqual(status, 0, err)
                    self.assertEqual(json.loads(out)["format"], "pickle")
            # A harmless pickle that breaks stays only unreadable.
            harmless = os.path.join(d, "harmless_cut.pkl")
            with open(harmless, "wb") as f:
                f.write(pickle.dumps({"a": [1, 2, 3]}, protocol=2)[:-4])
            status, out, err = ref.run("scan", "--json", harmless)
            self.assertEqual(status, 2, out)
            self.assertEqual(len(err.strip().splitlines()), 1, err)

    def test_a_pickle_may_start_with_any_opcode_that_pushes(self):
        """pickle.load takes a protocol 0/1 pickle that starts with any value ("I1\\n0": an int,
        popped) before its payload; scan reads it too. A text file stays not a checkpoint."""
        import pickletools
        import tempfile

        payload = b'cposix\nsystem\n(S"true"\ntR.'
        starts = {"int": b"I1\n0", "string": b"S'x'\n0", "none": b"N0", "binint1": b"K\x010",
                  "unicode": b"Vx\n0", "float": b"F1.5\n0", "long": b"L5L\n0"}
        with tempfile.TemporaryDirectory() as d:
            for name, start in starts.items():
                data = start + payload
                ops = [op.name for op, _, _ in pickletools.genops(data)]
                self.assertEqual(ops[-2:], ["REDUCE", "STOP"])  # Python reads it through
                path = os.path.join(d, name + ".pkl")
                with open(path, "wb") as f:
                    f.write(data)
                with self.subTest(start=name):
                    status, out, err = ref.run("scan", "--json", path)
                    self.assertEqual(status, 3, err)
                    self.assertIn(("posix", "system"), [(g["module"], g["name"]) for g in json.loads(out)["globals"]])
            path = os.path.join(d, "notes.txt")
            with open(path, "wb") as f:
                f.write(b"Some notes about the model\n")
            status, out, err = ref.run("inspect", path)
            self.assertEqual(status, 2)
            self.assertEqual(err.decode().strip(), f"error: {path}: not a checkpoint (neither zip, pickle nor safetensors)")

    def test_every_standard_library_module_is_classified(self):
        """By allowlist: a name from any module of the running Python's standard library is
        data only if it is one of the plain value types; any other is dangerous, never unknown."""
        import sys
        import tempfile

        modules = sorted(m for m in sys.stdlib_module_names if m != "__main__")
        # One pickle naming a function of every module (GLOBAL, then POP), ending with None.
        data = b"".join(b"c" + m.encode() + b"\nsome_function\n0" for m in modules) + b"N."
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "stdlib.pkl")
            with open(path, "wb") as f:
                f.write(data)
            status, out, err = ref.run("scan", "--json", path)
            self.assertEqual(status, 3, err)
            categories = {g["module"]: g["category"] for g in json.loads(out)["globals"]}
            self.assertEqual(sorted(categories), modules)
            self.assertEqual({m for m, c in categories.items() if c != "dangerous"}, set())
        # The value types stay data.
        for module, name in [("collections", "OrderedDict"), ("argparse", "Namespace"), ("pathlib", "PosixPath"),
                             ("datetime", "datetime"), ("decimal", "Decimal"), ("uuid", "UUID")]:
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "value.pkl")
                with open(path, "wb") as f:
                    f.write(b"c" + module.encode() + b"\n" + name.encode() + b"\n0N.")
                status, out, _ = ref.run("scan", "--json", path)
                self.assertEqual(status, 0, (module, name))


if __name__ == "__main__":
    unittest.main()
