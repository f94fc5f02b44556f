"""`ckpt inspect --json` (and `ckpt inspect`'s errors) byte for byte as the commit named in
BASELINE printed them, on every fixture, hostile file, fixture folder and bundled sample, but
for the inputs inspect_changes.txt names with the issue that changed them on purpose.

The baseline's `ckpt` is built from that commit (git archive; cached outside the source tree
under ~/.cache/checkpoint-studio, keyed by the commit) and both binaries read the same files
in the same run: several fixtures differ from run to run (legacy storage keys are memory
addresses, one hostile file is random bytes), so no stored answer could stand in for it. An
issue that changes the output on purpose moves BASELINE to its own last commit."""
import fnmatch
import os
import pathlib
import subprocess
import unittest

import reference as ref

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BASELINE = (HERE / "inspect_baseline").read_text().split()[0]


def declared_changes():
    """glob -> reason, from inspect_changes.txt."""
    out = {}
    for line in (HERE / "inspect_changes.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            glob, reason = line.split(None, 1)
            out[glob] = reason
    return out


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "checkpoint-studio" / "baseline" / BASELINE


def baseline_ckpt():
    """The baseline's ckpt, built once per commit."""
    where = cache_dir()
    binary = where / "build" / "app" / "ckpt"
    if binary.is_file():
        return binary
    src = where / "src"
    src.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASELINE], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive.stdout, check=True)
    subprocess.run(["cmake", "-S", str(src), "-B", str(where / "build"), "-G", "Ninja",
                    "-DCMAKE_BUILD_TYPE=Release"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", str(where / "build"), "--target", "ckpt",
                    "--parallel", str(os.cpu_count() or 2)], check=True, stdout=subprocess.DEVNULL)
    return binary


def inputs():
    """Every fixture file and folder, and the bundled samples."""
    fixtures = pathlib.Path(ref.FIXTURES)
    paths = sorted(p for p in fixtures.rglob("*") if p.name != "PWNED")
    paths += sorted((ROOT / "resources" / "samples").glob("*.pt"))
    return paths


def inspect(binary, path):
    r = subprocess.run([str(binary), "inspect", "--json", str(path)], capture_output=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def have_commit():
    return subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", BASELINE + "^{commit}"],
                          capture_output=True).returncode == 0


class InspectUnchanged(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not have_commit():
            raise unittest.SkipTest(f"the baseline commit {BASELINE} is not in this clone (a shallow clone?)")
        cls.baseline = baseline_ckpt()

    def test_every_input_reads_as_before(self):
        paths = inputs()
        self.assertGreater(len(paths), 150, "the fixtures are missing")
        changed, read = [], 0
        declared, used = declared_changes(), set()
        fixtures = pathlib.Path(ref.FIXTURES)
        for path in paths:
            ours, theirs = inspect(ref.CKPT, path), inspect(self.baseline, path)
            read += ours[0] == 0
            relative = str(path.relative_to(fixtures)) if fixtures in path.parents else ""
            glob = next((g for g in declared if fnmatch.fnmatch(relative, g)), None)
            if glob:
                used.add(glob)
                if ours[0] != theirs[0] and not declared[glob].startswith("reads now:"):
                    changed.append(f"{relative}: exit {ours[0]}, before {theirs[0]} ({declared[glob]})")
                continue
            if ours != theirs:
                changed.append(f"{path.relative_to(ROOT) if ROOT in path.parents else path}: "
                               f"now {ours[0]} {ours[2][:200]!r} {ours[1][:200]!r}, "
                               f"before {theirs[0]} {theirs[2][:200]!r} {theirs[1][:200]!r}")
        self.assertEqual(changed, [])
        self.assertEqual(sorted(set(declared) - used), [], "declared changes that match no input")
        self.assertGreater(read, 60, "most fixtures should read")

    def test_the_comparison_sees_a_change(self):
        """The baseline is a real, different binary that answers: a file it reads gives JSON,
        and the same file under another name gives another answer."""
        sample = ROOT / "resources" / "samples" / "tiny_vit.pt"
        status, out, _ = inspect(self.baseline, sample)
        self.assertEqual(status, 0)
        self.assertIn(b'"format":"pytorch-zip"', out)
        self.assertNotEqual(pathlib.Path(ref.CKPT).resolve(), self.baseline.resolve())


if __name__ == "__main__":
    unittest.main()
