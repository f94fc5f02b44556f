"""Zip records as PyTorch's reader finds them, against torch 2.x in the same run: of several
records named alike (names compare without case), `ckpt inspect` lists the one torch.load reads
and warns; every data.pkl among them is scanned; short records PyTorch reads deflated open."""
import io
import json
import os
import pickle
import random
import subprocess
import tempfile
import unittest
import warnings
import zipfile

import torch

CKPT = os.environ.get("CKPT_BIN", "ckpt")
warnings.simplefilter("ignore")  # zipfile warns about duplicate names: that is the point


def saved(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    return zipfile.ZipFile(io.BytesIO(buf.getvalue()))


def write(path, entries, deflate=()):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries:
            z.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED if name in deflate else zipfile.ZIP_STORED)


def ckpt(*args):
    r = subprocess.run([CKPT, *args], capture_output=True, timeout=60)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


class ZipRecordsAsTorchReadsThem(unittest.TestCase):
    def test_repeated_names_list_what_torch_reads(self):
        rng = random.Random(7)
        t = torch.arange(4, dtype=torch.float32)
        with tempfile.TemporaryDirectory() as d:
            for trial in range(40):
                base = saved({"copy0": t})
                entries = [(n, base.read(n)) for n in base.namelist()]
                prefix = entries[0][0].split("/")[0]
                for k in range(1, rng.randint(2, 6)):
                    other = saved({f"copy{k}": t})
                    name = f"{prefix}/data.pkl"
                    if rng.random() < 0.3:
                        name = f"{prefix}/DATA.pkl" if rng.random() < 0.5 else f"{prefix}/Data.PKL"
                    entries.insert(rng.randint(1, len(entries)), (name, other.read(f"{other.namelist()[0].split('/')[0]}/data.pkl")))
                path = os.path.join(d, f"t{trial}.pt")
                write(path, entries)
                theirs = list(torch.load(path, weights_only=True).keys())
                status, out, err = ckpt("inspect", "--json", path)
                with self.subTest(trial=trial, names=[n for n, _ in entries]):
                    self.assertEqual(status, 0, err)
                    j = json.loads(out)
                    self.assertEqual([t["name"] for t in j["tensors"]], theirs)
                    self.assertTrue(any("records are named" in w for w in j["warnings"]), j["warnings"])

    def test_a_second_data_pkl_cannot_hide_code_from_scan(self):
        """Wherever the code-calling pickle sits, scan finds it; the weights_only verdict is
        torch's own for the pickle torch reads."""
        base = saved({"w": torch.zeros(2)})
        entries = [(n, base.read(n)) for n in base.namelist()]
        prefix = entries[0][0].split("/")[0]
        evil = (f"{prefix}/data.pkl", pickle.dumps(os.getcwd, protocol=2))
        with tempfile.TemporaryDirectory() as d:
            for at in range(1, len(entries) + 1):
                path = os.path.join(d, f"two_pickles_{at}.pt")
                write(path, entries[:at] + [evil] + entries[at:])
                try:
                    torch.load(path, weights_only=True)
                    torch_accepts = True
                except Exception:  # noqa: BLE001 - torch refused the pickle it read
                    torch_accepts = False
                status, out, _ = ckpt("scan", "--json", path)
                with self.subTest(at=at):
                    self.assertEqual(status, 3, out)
                    j = json.loads(out)
                    self.assertIn("getcwd", [g["name"] for g in j["globals"]])
                    self.assertEqual(j["weights_only"]["torch_2_6"]["ok"], torch_accepts)

    def test_deflated_short_records_are_read(self):
        base = saved({"w": torch.ones(3)})
        names = base.namelist()
        with tempfile.TemporaryDirectory() as d:
            for record in ("version", "byteorder", "data.pkl"):
                path = os.path.join(d, f"deflated_{record}.pt")
                target = next(n for n in names if n.endswith("/" + record))
                write(path, [(n, base.read(n)) for n in names], deflate={target})
                self.assertEqual(list(torch.load(path, weights_only=True)), ["w"])
                status, out, err = ckpt("inspect", "--json", path)
                with self.subTest(record=record):
                    self.assertEqual(status, 0, err)
                    self.assertEqual([t["name"] for t in json.loads(out)["tensors"]], ["w"])


    def test_a_compressed_storage_record_is_read_inflated(self):
        """torch.load inflates a deflated data/N record; so does ckpt: it lists it, says so,
        and its values export and diff as torch reads them."""
        sd = {"w": torch.arange(1000, dtype=torch.float32), "b": torch.ones(2, dtype=torch.float16)}
        base = saved(sd)
        names = base.namelist()
        with tempfile.TemporaryDirectory() as d:
            path, plain = os.path.join(d, "deflated_storage.pt"), os.path.join(d, "plain.pt")
            write(path, [(n, base.read(n)) for n in names], deflate={n for n in names if "/data/" in n})
            write(plain, [(n, base.read(n)) for n in names])
            loaded = torch.load(path, weights_only=True)
            self.assertTrue(torch.equal(loaded["w"], sd["w"]))
            status, out, err = ckpt("inspect", "--json", path)
            self.assertEqual(status, 0, err)
            j = json.loads(out)
            self.assertEqual(sorted(t["name"] for t in j["tensors"]), ["b", "w"])
            self.assertTrue(all(t["compressed"] for t in j["tensors"]), j["tensors"])
            self.assertTrue(any("read inflated" in w for w in j["warnings"]), j["warnings"])
            config = os.path.join(d, "rules.json")
            with open(config, "w") as f:
                json.dump({"rules": []}, f)
            out_st = os.path.join(d, "out.safetensors")
            status, out, err = ckpt("apply", path, "--config", config, "-o", out_st)
            self.assertEqual(status, 0, out + err)
            from safetensors.torch import load_file
            exported = load_file(out_st)
            for k, v in loaded.items():
                self.assertTrue(torch.equal(exported[k], v), k)
            status, out, err = ckpt("diff", "--json", path, plain)
            self.assertEqual(status, 0, out + err)
            self.assertEqual({t["status"] for t in json.loads(out)["tensors"]}, {"identical"}, out)

if __name__ == "__main__":
    unittest.main()
