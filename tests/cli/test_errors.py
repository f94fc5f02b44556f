"""Broken, truncated and hostile files: exit status 2 and one line `error: PATH: ...`."""
import os
import unittest

import reference as ref


class UnreadableInput(unittest.TestCase):
    def check_error(self, path, *command):
        status, out, err = ref.run(*command, path, timeout=20)  # a hang fails here
        self.assertEqual(status, 2, f"{path}: exit status")
        self.assertEqual(out, b"", "nothing on stdout")
        text = err.decode("utf-8")  # must be valid UTF-8 even when the file is not
        lines = text.splitlines()
        self.assertEqual(len(lines), 1, f"one line, got {text!r}")
        self.assertTrue(lines[0].startswith(f"error: {path}: "), lines[0])
        self.assertGreater(len(lines[0]), len(f"error: {path}: ") + 5, "says what is wrong")
        return lines[0]

    def test_every_broken_fixture(self):
        bad = ref.manifest()["bad"]
        self.assertGreater(len(bad), 35)
        for e in bad:
            for command in (("inspect",), ("inspect", "--json"), ("scan",)):
                with self.subTest(file=e["file"], why=e["why"], command=command):
                    self.check_error(ref.fixture(e["file"]), *command)

    def test_messages_name_the_problem(self):
        expectations = {
            "bad/empty.pt": "empty file",
            "bad/truncated_tail.pt": "truncated",
            "bad/deep_nesting.pt": "nesting deeper",
            "bad/huge_string.pt": "truncated",
            "bad/storage_missing.pt": "data/0 is missing",
            "bad/view_past_storage.pt": "past the end of storage",
            "bad/st_overlap.safetensors": "overlaps",
            "bad/st_gap.safetensors": "gap",
            # A name given twice counts by its last entry, as in the reference: here [4, 8].
            "bad/st_duplicate.safetensors": "gap in the data before tensor a",
            "bad/st_header_too_big.safetensors": "runs past the end",
            "bad/escaping_shard/model.safetensors.index.json": "outside its folder",
            "bad/no_such_file.pt": "no such file",
        }
        for name, words in expectations.items():
            with self.subTest(file=name):
                line = self.check_error(ref.fixture(name), "inspect")
                self.assertIn(words, line.lower() if words.islower() else line)

    def test_partial_failure_reports_each_path(self):
        good, broken = ref.fixture("ok/tiny_vit.pt"), ref.fixture("bad/garbage.pt")
        status, out, err = ref.run("inspect", good, broken)
        self.assertEqual(status, 2)
        self.assertIn(b"tiny_vit.pt", out)
        self.assertEqual(err.decode().count("error: "), 1)

    def test_usage_errors(self):
        for args in (("inspect",), ("scan",), ("inspect", "--bogus", "x"), ("frobnicate",)):
            with self.subTest(args=args):
                status, _, _ = ref.run(*args)
                self.assertEqual(status, 2)

    def test_an_index_number_too_big_for_a_double_is_kept_as_written(self):
        """Found by fuzz_sharded_index: metadata 1e999 (Python's json reads inf) is shown as
        written, not refused with the JSON library's exception."""
        import json
        import tempfile
        import torch
        import safetensors_writer
        with tempfile.TemporaryDirectory() as d:
            safetensors_writer.save({"w": torch.ones(2)}, os.path.join(d, "model-00001-of-00001.safetensors"))
            index = os.path.join(d, "model.safetensors.index.json")
            with open(index, "w") as f:
                f.write('{"metadata": {"total_size": 8, "scale": 1e999, "nested": {"a": [1, 2e999]}},'
                        ' "weight_map": {"w": "model-00001-of-00001.safetensors"}}')
            self.assertEqual(json.load(open(index))["metadata"]["scale"], float("inf"))  # the reference reads it
            status, out, err = ref.run("inspect", "--json", index, timeout=20)
            self.assertEqual(status, 0, err)
            meta = json.loads(out)["metadata"]
            self.assertEqual(meta["scale"], "1e999")
            self.assertEqual(meta["nested"], '{"a":[1,2e999]}')
            self.assertEqual(meta["total_size"], "8")

    def test_directory_without_model(self):
        self.check_error(ref.fixture("pickles"), "inspect")


if __name__ == "__main__":
    unittest.main()
