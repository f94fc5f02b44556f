"""`ckpt inspect --json` against torch.load (and the safetensors spec) on real fixtures."""
import json
import os
import unicodedata
import unittest

import torch

import reference as ref

ENTRIES = ref.manifest()["ok"]


def entries(kind):
    return [e for e in ENTRIES if e["kind"] == kind]


class InspectAgainstTorchLoad(unittest.TestCase):
    def compare(self, path, loaded):
        ours = ref.inspect_json(path)
        theirs = ref.torch_listing(loaded)
        self.assertEqual([t["path"] for t in ours["tensors"]], [p for p, _ in theirs],
                         "tensor paths (in order)")
        with open(path, "rb") as f:
            data = f.read()
        ours_ptr, theirs_ptr = {}, {}
        for row, (p, t) in zip(ours["tensors"], theirs):
            with self.subTest(path=p):
                self.assertEqual(row["dtype"], ref.dtype_name(t))
                self.assertEqual(row["shape"], list(t.shape))
                self.assertEqual(row["nbytes"], t.numel() * t.element_size())
                self.assertEqual(row["requires_grad"], t.requires_grad)
                self.assertEqual(row["parameter"], isinstance(t, torch.nn.Parameter))
                if t.device.type == "meta":
                    self.assertIsNone(row["storage"])
                    continue
                self.assertEqual(row["offset"], t.storage_offset())
                self.assertEqual(row["strides"], list(t.stride()))
                self.check_bytes(data, row, t)
                ptr = ref.storage_ptr(t)
                if ptr is not None:
                    ours_ptr.setdefault(row["storage"], set()).add(ptr)
                    theirs_ptr.setdefault(ptr, set()).add(row["storage"])
        # Sharing: one storage of ours is one storage of torch's, and back.
        for key, ptrs in ours_ptr.items():
            self.assertEqual(len(ptrs), 1, f"storage {key} maps to several torch storages")
        for ptr, keys in theirs_ptr.items():
            self.assertEqual(len(keys), 1, f"torch storage shared by our storages {keys}")
        return ours

    def check_bytes(self, data, row, t):
        """The bytes at the reported file offset are the tensor's own."""
        if t.numel() == 0:
            return
        expected = t.int_repr() if t.is_quantized else t
        if t.dtype in (torch.quint4x2, torch.quint2x4):
            # Packed several to a byte: int_repr gives the bytes, which fill the storage.
            raw = bytes(data[row["byte_offset"]:row["byte_offset"] + row["storage_nbytes"]])
            self.assertEqual(raw, bytes(expected.flatten().tolist()), f"bytes of {row['path']}")
            return
        if not expected.is_contiguous():
            # A view: rebuild it from the whole storage the way torch does.
            itemsize = expected.element_size()
            begin = row["byte_offset"] - row["offset"] * itemsize
            storage = torch.frombuffer(bytearray(data[begin:begin + row["storage_nbytes"]]),
                                       dtype=expected.dtype)
            got = storage.as_strided(list(t.shape), list(t.stride()), row["offset"])
        else:
            raw = bytearray(data[row["byte_offset"]:row["byte_offset"] + row["nbytes"]])
            got = torch.frombuffer(raw, dtype=expected.dtype).reshape(t.shape)
        self.assertTrue(torch.equal(got, expected), f"bytes of {row['path']}")

    def test_torch_files(self):
        for e in entries("torch"):
            with self.subTest(file=e["file"]):
                path = ref.fixture(e["file"])
                self.compare(path, torch.load(path, map_location="cpu"))

    def test_format_and_sizes(self):
        for e in entries("torch"):
            path = ref.fixture(e["file"])
            ours = ref.inspect_json(path)
            self.assertEqual(ours["file_size"], os.path.getsize(path))
            legacy = "legacy" in e["file"]
            self.assertEqual(ours["format"], "pytorch-legacy" if legacy else "pytorch-zip")

    def test_lightning_weights_found(self):
        ours = ref.inspect_json(ref.fixture("ok/lightning.ckpt"))
        self.assertEqual(ours["weights_candidates"][0]["path"], ["state_dict"])
        loaded = torch.load(ref.fixture("ok/lightning.ckpt"))
        self.assertEqual(ours["weights_candidates"][0]["tensors"], len(loaded["state_dict"]))
        paths = [c["path"] for c in ours["weights_candidates"]]
        self.assertFalse(any("optimizer_states" in p for p in paths), paths)

    def test_state_dict_is_its_own_weights(self):
        ours = ref.inspect_json(ref.fixture("ok/resnet18.pt"))
        self.assertEqual(ours["weights_candidates"][0]["path"], [])
        self.assertEqual(ours["parameters"],
                         sum(t.numel() for t in torch.load(ref.fixture("ok/resnet18.pt")).values()))

    def test_tied_weights_share_storage(self):
        ours = ref.inspect_json(ref.fixture("ok/special.pt"))
        rows = {tuple(t["path"]): t for t in ours["tensors"]}
        emb, head = rows[("tied", "0.weight")], rows[("tied", "1.weight")]
        self.assertEqual(emb["storage"], head["storage"])
        self.assertTrue(emb["shares_storage"])
        middle = rows[("views", "middle")]
        self.assertEqual(middle["storage"], rows[("views", "base")]["storage"])
        self.assertEqual(middle["offset"], 2)

    def test_one_parameter_at_two_places_is_tied(self):
        """The same Parameter object saved under two names (a tied embedding and head written
        from a dict of parameters): torch.load gives one object; both places are marked."""
        import tempfile
        emb = torch.nn.Parameter(torch.randn(5, 3))
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "tied.pt")
            torch.save({"embed.weight": emb, "head.weight": emb, "bias": torch.zeros(5)}, path)
            loaded = torch.load(path)
            self.assertIs(loaded["embed.weight"], loaded["head.weight"])
            rows = {t["name"]: t for t in ref.inspect_json(path)["tensors"]}
            self.assertTrue(rows["embed.weight"]["shares_storage"])
            self.assertTrue(rows["head.weight"]["shares_storage"])
            self.assertFalse(rows["bias"]["shares_storage"])

    def test_safetensors_single_and_sharded(self):
        path = ref.fixture("ok/tiny_vit.safetensors")
        ours = ref.inspect_json(path)
        self.assertEqual(ours["format"], "safetensors")
        self.assertEqual(ours["metadata"], {"format": "pt", "source": "fixtures"})
        spec = ref.safetensors_listing(path)
        self.assertEqual({t["path"][0] for t in ours["tensors"]}, set(spec))
        for row in ours["tensors"]:
            code, shape, nbytes = spec[row["path"][0]]
            self.assertEqual(row["dtype"], ref.CODES[code])
            self.assertEqual(row["shape"], shape)
            self.assertEqual(row["nbytes"], nbytes)
        for e in entries("sharded"):
            with self.subTest(file=e["file"]):
                ours = ref.inspect_json(ref.fixture(e["file"]))
                folder = ref.fixture(e["file"])
                folder = folder if os.path.isdir(folder) else os.path.dirname(folder)
                expected = {}
                for shard in sorted(os.listdir(folder)):
                    full = os.path.join(folder, shard)
                    if shard.endswith(".safetensors"):
                        for name, (code, shape, _) in ref.safetensors_listing(full).items():
                            expected[name] = (ref.CODES[code], shape)
                    elif shard.endswith(".bin"):
                        for name, t in torch.load(full).items():
                            expected[name] = (ref.dtype_name(t), list(t.shape))
                got = {t["path"][0]: (t["dtype"], t["shape"]) for t in ours["tensors"]}
                self.assertEqual(got, expected)
                self.assertEqual(len(ours["files"]), 2)

    def test_torchscript_parameters_listed(self):
        for e in entries("torchscript"):
            ours = ref.inspect_json(ref.fixture(e["file"]))
            self.assertEqual(ours["format"], "torchscript")
            names = {".".join(str(p) for p in t["path"]) for t in ours["tensors"]}
            missing = set(e["names"]) - names
            self.assertFalse(missing, f"parameters/buffers not listed: {sorted(missing)[:5]}")

    def test_torchscript_list_and_dict_attributes_listed(self):
        """A scripted module's List[Tensor] and Dict[str, Tensor] attributes: the pickle wraps
        them in calls that restore their types; their tensors are listed where they sit."""
        import tempfile
        from typing import Dict, List

        class Holder(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = torch.nn.Linear(2, 2)
                self.tl: List[torch.Tensor] = [torch.ones(3), torch.zeros(4)]
                self.td: Dict[str, torch.Tensor] = {"a": torch.full((5,), 2.0)}

            def forward(self, x):
                return self.lin(x) + self.tl[0].sum() + self.td["a"].sum()

        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "attributes.pt")
            scripted = torch.jit.script(Holder())
            scripted.save(path)
            loaded = torch.jit.load(path)
            expected = {("tl", 0): loaded.tl[0], ("tl", 1): loaded.tl[1], ("td", "a"): loaded.td["a"],
                        ("lin", "weight"): loaded.lin.weight, ("lin", "bias"): loaded.lin.bias}
            rows = {tuple(t["path"]): t for t in ref.inspect_json(path)["tensors"]}
            self.assertEqual(set(rows), set(expected))
            for p, t in expected.items():
                self.assertEqual(rows[p]["shape"], list(t.shape), p)

    def test_torch2_layout(self):
        """UntypedStorage + _rebuild_tensor_v3 with float8/uint16 and 2.x's extra records."""
        for e in entries("torch2"):
            ours = ref.inspect_json(ref.fixture(e["file"]))
            self.assertEqual(ours["archive_version"], 3)
            got = [{k: t[k] for k in ("path", "dtype", "shape", "nbytes", "offset")}
                   for t in ours["tensors"]]
            self.assertEqual(got, e["expect"])

    def test_hostile_but_valid_pickles_open_small_and_fast(self):
        import resource
        import subprocess

        def limit():
            resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

        for e in entries("hostile"):
            with self.subTest(file=e["file"], why=e["why"]):
                r = subprocess.run([ref.CKPT, "inspect", "--json", ref.fixture(e["file"])],
                                   capture_output=True, timeout=20, preexec_fn=limit)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(json.loads(r.stdout)["tensors"], [])

    def test_several_paths_give_an_array(self):
        status, out, _ = ref.run("inspect", "--json", ref.fixture("ok/tiny_vit.pt"),
                                 ref.fixture("ok/tiny_vit.safetensors"))
        self.assertEqual(status, 0)
        self.assertEqual([r["format"] for r in json.loads(out)], ["pytorch-zip", "safetensors"])

    def test_text_table(self):
        status, out, _ = ref.run("inspect", ref.fixture("ok/lightning.ckpt"))
        self.assertEqual(status, 0)
        text = out.decode()
        self.assertIn("state_dict/model.conv1.weight", text)
        self.assertIn("[64, 3, 7, 7]", text)
        self.assertIn("weights     state_dict:", text)

    def test_text_says_which_reader_took_the_file_and_why(self):
        for fixture, line in [("ok/lightning.ckpt", "read by     pytorch-zip (starts with PK\\3\\4"),
                              ("ok/tiny_vit.safetensors", "read by     safetensors (named *.safetensors)"),
                              ("ok/resnet18_legacy.pt", "read by     pytorch-legacy (starts with a pickle's"),
                              ("ok/sharded_bin", "read by     sharded-index (the folder holds "
                                                 "pytorch_model.bin.index.json; named *.json)")]:
            with self.subTest(fixture=fixture):
                status, out, _ = ref.run("inspect", ref.fixture(fixture))
                self.assertEqual(status, 0)
                self.assertIn(line, out.decode())

    def test_text_table_keeps_odd_names_on_one_aligned_line(self):
        status, out, _ = ref.run("inspect", ref.fixture("ok/odd_names.pt"))
        self.assertEqual(status, 0)
        lines = out.decode().splitlines()
        table = lines[1:lines.index("")]
        names = list(torch.load(ref.fixture("ok/odd_names.pt")).keys())
        self.assertEqual(len(table), len(names))  # a newline in a name does not break the table
        self.assertIn("line\\nbreak.weight", table[names.index("line\nbreak.weight")])
        self.assertIn("tab\\x0bbed.bias", table[names.index("tab\vbed.bias")])
        self.assertIn("\u5c42.4.bias", table[names.index("\u5c42.4.bias")])  # other scripts as they are

        def columns(text):  # what a terminal gives it: CJK takes two columns
            return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1
                       for c in text)
        self.assertEqual(len({columns(line[:line.index("float32")]) for line in table}), 1)


if __name__ == "__main__":
    unittest.main()
