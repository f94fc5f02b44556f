"""`ckpt scan` side by side with picklescan, modelscan and fickling (installed in the test
environment), on the corpus scanner_corpus.py rebuilds from those projects' test suites: every
malicious sample is dangerous here, every file any of them flags (outside the benign set) is
dangerous here, and no benign file (real torchvision and Lightning-style checkpoints, optimizer
states, NumPy arrays, plain pickles of every protocol) is. What each tool misses, and what it
flags among the benign files, is printed, not asserted: those are their figures.

The corpus is scanned as one folder (`ckpt scan --json DIR`), which is also the test of the
folder mode: one verdict per file, one exit status."""
import contextlib
import io
import json
import logging
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import scanner_corpus  # noqa: E402

CKPT = os.environ.get("CKPT_BIN", "ckpt")


def picklescan_flags(path):
    from picklescan.scanner import scan_file_path
    return scan_file_path(path).infected_files > 0


def modelscan_flags(path):
    from modelscan.modelscan import ModelScan
    from modelscan.settings import DEFAULT_SETTINGS
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return ModelScan(settings=DEFAULT_SETTINGS).scan(path)["summary"]["total_issues"] > 0


def fickling_flags(path):
    """Severity above LIKELY_SAFE from fickling's analysis (not from a parse error alone), as
    its own tests assert."""
    import fickling
    from fickling.analysis import Severity
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        if zipfile.is_zipfile(path):
            results = list(fickling.scan_zip_archive(path, graceful=True).values())
        else:
            results = [fickling.scan_file(path, graceful=True)]
    return any(a.severity > Severity.LIKELY_SAFE for r in results for a in r.results)


TOOLS = {"picklescan": picklescan_flags, "modelscan": modelscan_flags, "fickling": fickling_flags}


class ScannersSideBySide(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        logging.disable(logging.CRITICAL)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.root = pathlib.Path(cls.tmp.name) / "corpus"
        cls.manifest = scanner_corpus.build(str(cls.root))
        os.remove(cls.root / "manifest.json")  # the folder holds the samples only
        r = subprocess.run([CKPT, "scan", "--json", str(cls.root)], capture_output=True, timeout=600)
        cls.status = r.returncode
        report = json.loads(r.stdout)
        cls.ours = {str(pathlib.Path(f["file"]).relative_to(cls.root)): f for f in report["files"]}
        cls.counts = report["counts"]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_every_malicious_sample_is_dangerous(self):
        malicious = [e["file"] for e in self.manifest if e["kind"] == "malicious"]
        self.assertGreater(len(malicious), 400)
        missed = [f for f in malicious if self.ours[f]["verdict"] != "dangerous"]
        self.assertEqual(missed, [])
        self.assertEqual(self.status, 3, "one dangerous file makes the folder's exit status 3")

    def test_no_benign_file_is_dangerous(self):
        benign = [e["file"] for e in self.manifest if e["kind"] == "benign"]
        self.assertGreater(len(benign), 35)
        flagged = {f: [g["module"] + "." + g["name"] for g in self.ours[f]["globals"] if g["category"] == "dangerous"]
                   + self.ours[f]["anomalies"] for f in benign if self.ours[f]["dangerous"]}
        self.assertEqual(flagged, {})
        # The real checkpoints are data, read whole.
        for name in ("benign/resnet18.pt", "benign/resnet18_legacy.pt", "benign/adam_state.pt", "benign/int_arrays.npz"):
            self.assertEqual(self.ours[name]["verdict"], "data", name)

    def test_a_superset_of_what_each_tool_flags(self):
        kinds = {e["file"]: e["kind"] for e in self.manifest}
        figures = {}
        for tool, flags in TOOLS.items():
            flagged, errors = set(), 0
            for f in kinds:
                try:
                    if flags(str(self.root / f)):
                        flagged.add(f)
                except Exception:  # noqa: BLE001 - a tool that cannot read a file flags nothing
                    errors += 1
            malicious = {f for f in kinds if kinds[f] == "malicious"}
            with self.subTest(tool=tool):
                not_ours = sorted(f for f in flagged - {f for f in kinds if kinds[f] == "benign"}
                                  if self.ours[f]["verdict"] != "dangerous")
                self.assertEqual(not_ours, [], f"{tool} flags these and ckpt scan does not")
                self.assertGreater(len(flagged & malicious), 100, f"{tool} did not run")
            figures[tool] = {"flags malicious": len(flagged & malicious), "of": len(malicious),
                             "flags benign": sorted(f for f in flagged if kinds[f] == "benign"), "errors": errors}
        ours = sum(1 for f in kinds if kinds[f] == "malicious" and self.ours[f]["verdict"] == "dangerous")
        figures["ckpt scan"] = {"flags malicious": ours, "of": len([k for k in kinds.values() if k == "malicious"]),
                                "flags benign": sorted(f for f in kinds if kinds[f] == "benign" and self.ours[f]["dangerous"])}
        print("\nscanner figures:", json.dumps(figures, indent=1), file=sys.stderr)

    def test_sarif(self):
        """--format sarif is SARIF 2.1.0 as an independent reader (sarif-pydantic) takes it, with
        one error result per dangerous global and anomaly and the rules the results point at."""
        from sarif_pydantic import Sarif
        r = subprocess.run([CKPT, "scan", "--format", "sarif", str(self.root)], capture_output=True, timeout=600)
        self.assertEqual(r.returncode, 3)
        log = Sarif.model_validate_json(r.stdout)
        self.assertEqual(log.version, "2.1.0")
        raw = json.loads(r.stdout)
        run = raw["runs"][0]
        rules = run["tool"]["driver"]["rules"]
        for result in run["results"]:
            self.assertEqual(rules[result["ruleIndex"]]["id"], result["ruleId"])
            self.assertIn(result["level"], ("error", "warning", "note"))
            self.assertTrue(result["message"]["text"])
            uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            self.assertIn(str(pathlib.Path(uri).relative_to(self.root)), self.ours)
        dangerous = sum(1 for f in self.ours.values() for g in f["globals"] if g["category"] == "dangerous")
        anomalies = sum(len(f["anomalies"]) for f in self.ours.values())
        by_rule = {}
        for result in run["results"]:
            by_rule[result["ruleId"]] = by_rule.get(result["ruleId"], 0) + 1
        self.assertEqual(by_rule.get("CKPT001"), dangerous)
        self.assertEqual(by_rule.get("CKPT002"), anomalies)
        self.assertEqual(len(run["artifacts"]), sum(1 for f in self.ours.values() if f["verdict"] != "skipped"))

    def test_folder_counts_add_up(self):
        self.assertEqual(sum(self.counts.values()), len(self.manifest))
        self.assertEqual(self.counts["dangerous"], sum(1 for f in self.ours.values() if f["verdict"] == "dangerous"))


if __name__ == "__main__":
    unittest.main()
