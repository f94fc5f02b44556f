"""`ckpt scan` beyond one checkpoint (issue 14): --strict and the modules loading needs, plain
zips of pickles, NumPy .npy/.npz (object arrays carry a pickle, numeric ones do not), folders
scanned recursively with one verdict per file and one exit status, and the anomalies that let
two parsers read one pickle differently. Files are made here by CPython's pickle, numpy and
zipfile; nothing is loaded."""
import io
import json
import os
import pickle
import struct
import tempfile
import unittest
import zipfile

import numpy as np

import reference as ref


class Payload:
    def __reduce__(self):  # pickled, never called
        return (os.system, ("echo pwned",))


class Config:
    """A project class: loading needs its code (pickled as __main__.Config or test_scan_containers.Config)."""

    def __init__(self):
        self.lr = 0.1


def write(folder, name, data):
    path = os.path.join(folder, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def scan_json(path, *extra):
    status, out, err = ref.run("scan", "--json", *extra, path)
    return status, (json.loads(out) if out else None), err


class Strict(unittest.TestCase):
    def test_project_code_is_needed_and_strict_refuses_it(self):
        with tempfile.TemporaryDirectory() as d:
            path = write(d, "config.pkl", pickle.dumps({"config": Config(), "step": 3}))
            status, report, _ = scan_json(path)
            self.assertEqual(status, 0)
            self.assertEqual(report["verdict"], "needs-code")
            self.assertEqual(report["needed_modules"], [Config.__module__])
            status, report, _ = scan_json(path, "--strict")
            self.assertEqual(status, 3)
            status, out, _ = ref.run("scan", path)
            self.assertIn(b"needs code  " + Config.__module__.encode(), out)

    def test_data_passes_strict(self):
        with tempfile.TemporaryDirectory() as d:
            path = write(d, "data.pkl", pickle.dumps({"a": [1, 2.5, "x"], "b": (None, True)}, protocol=4))
            status, report, _ = scan_json(path, "--strict")
            self.assertEqual((status, report["verdict"], report["needed_modules"]), (0, "data", []))


class Containers(unittest.TestCase):
    def test_plain_zip_members_are_scanned(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("readme.txt", b"hello")
            z.writestr("nested/weights.bin", pickle.dumps(Payload(), protocol=2))
        with tempfile.TemporaryDirectory() as d:
            status, report, _ = scan_json(write(d, "bundle.zip", buffer.getvalue()))
            self.assertEqual((status, report["format"], report["pickles"]), (3, "zip", ["nested/weights.bin"]))
            self.assertIn(("posix", "system"), {(g["module"], g["name"]) for g in report["globals"]})

    def test_zip_without_pickles_is_no_checkpoint(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("readme.txt", b"hello")
        with tempfile.TemporaryDirectory() as d:
            status, out, err = ref.run("scan", write(d, "docs.zip", buffer.getvalue()))
            self.assertEqual((status, out), (2, b""))
            self.assertEqual(len(err.splitlines()), 1)

    def test_numpy_files(self):
        with tempfile.TemporaryDirectory() as d:
            cases = {
                "ints.npy": (lambda p: np.save(p, np.arange(6).reshape(2, 3)), 0, "data"),
                "objects.npy": (lambda p: np.save(p, np.array([(1, 2), "x"], dtype=object)), 0, "data"),
                "payload.npy": (lambda p: np.save(p, np.array([Payload()], dtype=object)), 3, "dangerous"),
                "ints.npz": (lambda p: np.savez(p, a=np.arange(3), b=np.ones(2)), 0, "data"),
                "payload.npz": (lambda p: np.savez_compressed(p, a=np.arange(3), b=np.array([Payload()], dtype=object)),
                                3, "dangerous"),
                "structured.npy": (lambda p: np.save(p, np.zeros(2, dtype=[("a", "<i4"), ("o", "O")])), 0, "data"),
            }
            for name, (make, expected_status, verdict) in cases.items():
                with self.subTest(name=name):
                    path = os.path.join(d, name)
                    make(path)
                    status, report, err = scan_json(path)
                    self.assertEqual((status, report["verdict"]), (expected_status, verdict), err)
            # A header numpy.load would not read: one error line, exit 2.
            for name, data in {"bad_version.npy": b"\x93NUMPY\x09\x00\x10\x00{}",
                               "bad_dict.npy": b"\x93NUMPY\x01\x00\x10\x00{'descr': os}   \n",
                               "cut.npy": b"\x93NUMPY\x01\x00\xff\x00{'descr'"}.items():
                with self.subTest(name=name):
                    status, out, err = ref.run("scan", write(d, name, data))
                    self.assertEqual((status, out), (2, b""))
                    self.assertEqual(len(err.splitlines()), 1, err)
                    self.assertIn(b"npy: ", err)


class Folders(unittest.TestCase):
    def test_one_verdict_per_file_and_one_exit_status(self):
        with tempfile.TemporaryDirectory() as d:
            write(d, "model/config.json", b'{"hidden_size": 8}')
            write(d, "model/README.md", b"Not a pickle.\n")
            write(d, "model/weights.pkl", pickle.dumps({"w": [0.0, 1.0]}, protocol=4))
            write(d, "model/sub/deeper/extra.pkl", pickle.dumps(Config(), protocol=2))
            os.symlink(d, os.path.join(d, "model", "loop"))  # a folder link: not followed
            status, report, _ = scan_json(os.path.join(d, "model"))
            self.assertEqual(status, 0)
            verdicts = {os.path.relpath(f["file"], os.path.join(d, "model")): f["verdict"] for f in report["files"]}
            self.assertEqual(verdicts, {"README.md": "skipped", "config.json": "skipped", "weights.pkl": "data",
                                        "sub/deeper/extra.pkl": "needs-code"})
            self.assertEqual(report["counts"]["needs-code"], 1)
            self.assertEqual(scan_json(os.path.join(d, "model"), "--strict")[0], 3)
            write(d, "model/sub/evil.pt", pickle.dumps(Payload(), protocol=2))
            write(d, "model/sub/broken.pkl", pickle.dumps([1, 2, 3])[:-3])  # framed, cut: unreadable, no anomaly
            status, report, err = scan_json(os.path.join(d, "model"))
            self.assertEqual(status, 3)
            self.assertEqual(report["counts"]["dangerous"], 1)
            self.assertEqual(report["counts"]["unreadable"], 1)
            self.assertIn(b"broken.pkl", err)
            # Without the dangerous file, the unreadable one makes it 2.
            os.remove(os.path.join(d, "model/sub/evil.pt"))
            self.assertEqual(scan_json(os.path.join(d, "model"))[0], 2)
            status, out, _ = ref.run("scan", os.path.join(d, "model"))
            self.assertIn(b"summary     ", out)

    def test_empty_folder(self):
        with tempfile.TemporaryDirectory() as d:
            status, report, _ = scan_json(d)
            self.assertEqual((status, report["files"]), (0, []))


class Anomalies(unittest.TestCase):
    """What lets two unpicklers read one file differently is dangerous, with or without a
    dangerous global in it."""

    def scan_bytes(self, data):
        with tempfile.TemporaryDirectory() as d:
            return scan_json(write(d, "x.pkl", data))

    def test_value_straddling_its_frame(self):
        body = pickle.BINUNICODE + struct.pack("<I", 20) + b"A" * 20
        data = pickle.PROTO + b"\x04" + pickle.FRAME + struct.pack("<Q", 5) + body + pickle.STOP
        status, report, _ = self.scan_bytes(data)
        self.assertEqual((status, report["verdict"]), (3, "dangerous"))
        self.assertIn("straddles the end of its FRAME", report["anomalies"][0])

    def test_frame_inside_frame_and_late_proto(self):
        data = (pickle.PROTO + b"\x04" + pickle.FRAME + struct.pack("<Q", 13) + pickle.NONE + pickle.FRAME
                + struct.pack("<Q", 2) + pickle.NONE + pickle.POP + pickle.STOP)
        self.assertIn("a FRAME opens inside another frame", self.scan_bytes(data)[1]["anomalies"][0])
        data = pickle.PROTO + b"\x02" + pickle.NONE + pickle.POP + pickle.PROTO + b"\x02" + pickle.NONE + pickle.STOP
        self.assertIn("PROTO after the start", self.scan_bytes(data)[1]["anomalies"][0])

    def test_frame_longer_than_the_file(self):
        # Complete inside a frame that claims 255 bytes: pickle.py loads it, the C unpickler
        # refuses it. Cut short instead, it is only unreadable.
        data = pickle.PROTO + b"\x04" + pickle.FRAME + struct.pack("<Q", 255) + pickle.NONE + pickle.STOP
        status, report, _ = self.scan_bytes(data)
        self.assertEqual(status, 3)
        self.assertIn("claims more bytes than there are", report["anomalies"][0])
        status, out, _ = ref.run("scan", "--json", self.write_tmp(data[:-1]))
        self.assertEqual((status, out), (2, b""))

    def write_tmp(self, data):
        self.tmp = tempfile.TemporaryDirectory()
        return write(self.tmp.name, "cut.pkl", data)

    def test_build_on_a_plain_container(self):
        data = pickle.PROTO + b"\x02" + pickle.EMPTY_DICT + pickle.EMPTY_DICT + pickle.BUILD + pickle.STOP
        status, report, _ = self.scan_bytes(data)
        self.assertEqual(status, 3)
        self.assertIn("BUILD on a plain list, set or dict", report["anomalies"][0])

    def test_well_formed_frames_are_not_anomalies(self):
        for value in ([1, 2, 3], b"x" * 100000, [1, b"y" * 100000, 2], list(range(200000))):
            for protocol in (2, 4, 5):
                with self.subTest(protocol=protocol, size=len(value)):
                    status, report, _ = self.scan_bytes(pickle.dumps(value, protocol=protocol))
                    self.assertEqual((status, report["anomalies"]), (0, []))

    def test_zip_records_named_alike(self):
        buffer = io.BytesIO()
        import warnings
        with zipfile.ZipFile(buffer, "w") as z, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z.writestr("a.pkl", pickle.dumps([1]))
            z.writestr("a.pkl", pickle.dumps([2]))
        with tempfile.TemporaryDirectory() as d:
            status, report, _ = scan_json(write(d, "twice.zip", buffer.getvalue()))
            self.assertEqual(status, 3)
            self.assertIn("2 records are named a.pkl", report["anomalies"][0])


if __name__ == "__main__":
    unittest.main()
