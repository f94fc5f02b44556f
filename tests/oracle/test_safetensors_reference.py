"""`ckpt inspect` against the reference safetensors reader (the installed `safetensors`
package, `safe_open`) on a corpus written from the reference's rules: its JSON header read as
serde_json reads it into a struct with a flattened map, then its validation. Every case must
be accepted by both or refused by both, and an accepted file must list the same names, shapes,
dtypes and metadata. The one difference kept on purpose is named in KNOWN_DIFFERENCES."""
import json
import os
import random
import struct
import subprocess
import tempfile
import unittest

from safetensors import safe_open

CKPT = os.environ.get("CKPT_BIN", "ckpt")

# safetensors codes and the PyTorch names `ckpt inspect` gives them.
DTYPES = {"BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "int16", "U16": "uint16", "I32": "int32",
          "U32": "uint32", "I64": "int64", "U64": "uint64", "F16": "float16", "BF16": "bfloat16",
          "F32": "float32", "F64": "float64", "C64": "complex64", "F8_E5M2": "float8_e5m2",
          "F8_E4M3": "float8_e4m3fn", "F8_E5M2FNUZ": "float8_e5m2fnuz", "F8_E4M3FNUZ": "float8_e4m3fnuz",
          "F8_E8M0": "float8_e8m0fnu", "F4": "float4_e2m1fn", "F6_E2M3": "float6_e2m3fn",
          "F6_E3M2": "float6_e3m2fn"}


def st(header, data=b""):
    text = header.encode() if isinstance(header, str) else header
    return struct.pack("<Q", len(text)) + text + data


def entry(name="a", dtype="F32", shape="[2]", offsets="[0,8]"):
    return f'"{name}":{{"dtype":"{dtype}","shape":{shape},"data_offsets":{offsets}}}'


def corpus():
    """(name, bytes): each a rule of the reference's reader, on both of its sides."""
    a, z8 = entry(), b"\0" * 8
    nest = lambda depth: "[" * depth + "]" * depth  # noqa: E731
    cases = {
        "plain": st("{" + a + "}", z8),
        "empty object": st("{}"),
        "empty header": st(""),
        "only the length": struct.pack("<Q", 60),
        "shorter than the length": b"\x05\0\0",
        "header past the end": st("{" + a + "}")[:20],
        "header length over 100 MB": struct.pack("<Q", 100_000_001) + b"{}",
        "header not UTF-8": st(b'{"\xff":' + entry("", "F32")[3:].encode() + b"}", z8),
        "header is only an opening brace": st("{"),
        "header is a list": st("[]"),
        "header is a number": st("1"),
        "byte order mark": st(b"\xef\xbb\xbf{" + a.encode() + b"}", z8),
        "leading whitespace": st(" \t\r\n{" + a + "}", z8),
        "trailing whitespace": st("{" + a + "}\r\n\t ", z8),
        "trailing NUL": st("{" + a + "}\0\0\0", z8),
        "trailing form feed": st("{" + a + "}\x0c", z8),
        "trailing comma": st("{" + a + ",}", z8),
        "comment": st("{" + a + "/* x */}", z8),
        "single quotes": st("{'a':{}}"),
        "whitespace inside": st('{ "a" : { "dtype" : "F32" , "shape" : [ 2 ] , "data_offsets" : [ 0 , 8 ] } }', z8),
        "escaped name": st("{" + entry("\\u0061\\n\\\"x") + "}", z8),
        "surrogate pair name": st("{" + entry("\\ud83d\\ude00") + "}", z8),
        "lone high surrogate": st("{" + entry("\\ud800") + "}", z8),
        "lone low surrogate": st("{" + entry("\\udc00") + "}", z8),
        "raw control character in a name": st("{" + entry("a\tb") + "}", z8),
        "UTF-8 name": st("{" + entry("gewicht.ä.日本") + "}", z8),
        "metadata": st('{"__metadata__":{"format":"pt","x":"1"},' + a + "}", z8),
        "metadata null": st('{"__metadata__":null,' + a + "}", z8),
        "metadata given twice": st('{"__metadata__":{"x":"1"},"__metadata__":{"y":"2"},' + a + "}", z8),
        "metadata key given twice": st('{"__metadata__":{"x":"1","x":"2"},' + a + "}", z8),
        "metadata value a number": st('{"__metadata__":{"x":1},' + a + "}", z8),
        "metadata a list": st('{"__metadata__":[],' + a + "}", z8),
        "metadata shaped like a tensor": st('{"__metadata__":{"dtype":"F32"},' + a + "}", z8),
        "name given twice, same entry": st("{" + a + "," + a + "}", z8),
        "name given twice, the last fits": st("{" + entry(shape="[4]", offsets="[0,16]") + "," + a + "}", z8),
        "name given twice, the first fits": st("{" + a + "," + entry(shape="[4]", offsets="[0,16]") + "}", z8),
        "name given twice, leaving a gap": st("{" + a + "," + entry(offsets="[8,16]") + "}", z8 + z8),
        "field given twice": st('{"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}', z8),
        "unknown field": st('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":{"x":[1,2]}}}', z8),
        "entry as a list": st('{"a":["F32",[2],[0,8]]}', z8),
        "entry as a list of four": st('{"a":["F32",[2],[0,8],0]}', z8),
        "entry as a list of two": st('{"a":["F32",[2]]}', z8),
        "entry null": st('{"a":null}'),
        "entry a number": st('{"a":1}'),
        "dtype as a variant map": st('{"a":{"dtype":{"F32":null},"shape":[2],"data_offsets":[0,8]}}', z8),
        "dtype variant map with a value": st('{"a":{"dtype":{"F32":1},"shape":[2],"data_offsets":[0,8]}}', z8),
        "dtype variant map of two": st('{"a":{"dtype":{"F32":null,"I8":null},"shape":[2],"data_offsets":[0,8]}}', z8),
        "dtype lowercase": st("{" + entry(dtype="f32") + "}", z8),
        "dtype unknown": st("{" + entry(dtype="F13") + "}", z8),
        "missing dtype": st('{"a":{"shape":[2],"data_offsets":[0,8]}}', z8),
        "missing shape": st('{"a":{"dtype":"F32","data_offsets":[0,8]}}', z8),
        "missing offsets": st('{"a":{"dtype":"F32","shape":[2]}}', z8),
        "shape null": st("{" + entry(shape="null") + "}", z8),
        "shape scalar": st("{" + entry(shape="[]", offsets="[0,4]") + "}", b"\0" * 4),
        "shape with zero": st("{" + entry(shape="[2,0]", offsets="[0,0]") + "}"),
        "shape negative": st("{" + entry(shape="[-2]") + "}", z8),
        "shape minus zero": st("{" + entry(shape="[-0]", offsets="[0,0]") + "}"),
        "shape float": st("{" + entry(shape="[2.0]") + "}", z8),
        "shape exponent": st("{" + entry(shape="[2e0]") + "}", z8),
        "shape string": st("{" + entry(shape='["2"]') + "}", z8),
        "shape boolean": st("{" + entry(shape="[true]") + "}", z8),
        "shape leading zero": st("{" + entry(shape="[02]") + "}", z8),
        "shape past u64": st("{" + entry(shape="[18446744073709551616, 0]", offsets="[0,0]") + "}"),
        "numel overflow": st("{" + entry(dtype="I32", shape="[2,18446744073709551614]", offsets="[0,16]") + "}", b"\0" * 16),
        "bytes overflow": st("{" + entry(dtype="I32", shape="[2,9223372036854775807]", offsets="[0,16]") + "}", b"\0" * 16),
        "dimension 2^63 in a zero-element tensor": st("{" + entry(shape="[0,9223372036854775808]", offsets="[0,0]") + "}"),
        # The reader takes entries as writers write them straight from the text (plain numbers
        # of up to 18 digits, any whitespace between tokens), and the rest by the full rules.
        "18-digit dimension in a zero-element tensor": st("{" + entry(shape="[0,999999999999999999]", offsets="[0,0]") + "}"),
        "19-digit dimension in a zero-element tensor": st("{" + entry(shape="[0,1000000000000000000]", offsets="[0,0]") + "}"),
        "offsets leading zero": st("{" + entry(offsets="[0,08]") + "}", z8),
        "offsets minus zero": st("{" + entry(shape="[0]", offsets="[-0,0]") + "}"),
        "offsets with a space": st("{" + entry(offsets="[0, 8]") + "}", z8),
        "offsets with a form feed": st("{" + entry(offsets="[0,\x0c8]") + "}", z8),
        "dtype with a space inside": st("{" + entry(dtype="F32 ") + "}", z8),
        "entry as Python's json writes it": st('{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', z8),
        "entry with newlines and tabs": st('{"a":\n\t{"dtype":"F32",\r\n"shape":[ ],"data_offsets":[0,4]}}', b"\0" * 4),
        "dtype with an escape": st("{" + entry(dtype="F3\\u0032") + "}", z8),
        "offsets a map": st("{" + entry(offsets='{"0":0,"1":8}') + "}", z8),
        "offsets of three": st("{" + entry(offsets="[0,8,8]") + "}", z8),
        "offsets backwards": st("{" + entry(shape="[0]", offsets="[8,0]") + "}", z8),
        "offsets past u64": st("{" + entry(offsets="[0,18446744073709551616]") + "}", z8),
        "size differs from shape": st("{" + entry(dtype="I32", shape="[2,2]", offsets="[0,4]") + "}", b"\0" * 4),
        "gap before the first": st("{" + entry(offsets="[8,16]") + "}", z8 + z8),
        "overlap": st("{" + a + "," + entry("b") + "}", z8),
        "out of order in the text": st("{" + entry("b", offsets="[8,16]") + "," + a + "}", z8 + z8),
        "zero-size tensors at both ends": st("{" + entry("z", shape="[0]", offsets="[0,0]") + "," + a + "," +
                                             entry("y", shape="[0]", offsets="[8,8]") + "}", z8),
        "data longer than described": st("{" + a + "}", z8 + b"\0"),
        "data shorter than described": st("{" + a + "}", b"\0" * 6),
        "sub-byte F4": st("{" + entry(dtype="F4", shape="[4]", offsets="[0,2]") + "}", b"\0\0"),
        "sub-byte F4 not filling a byte": st("{" + entry(dtype="F4", shape="[3]", offsets="[0,2]") + "}", b"\0\0"),
        "F6 filling bytes": st("{" + entry(dtype="F6_E2M3", shape="[4]", offsets="[0,3]") + "}", b"\0" * 3),
        "nested 125 deep in an unknown field": st('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":' + nest(125) + "}}", z8),
        "nested 126 deep in an unknown field": st('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":' + nest(126) + "}}", z8),
        "nested 200000 deep": st(nest(200000)),
    }
    for code in DTYPES:
        bits = {"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E5M2FNUZ": 8, "F8_E4M3FNUZ": 8,
                "F8_E8M0": 8, "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
                "I64": 64, "U64": 64, "F64": 64, "C64": 64, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6}[code]
        n = 8 * bits // 8
        cases[f"dtype {code}"] = st("{" + entry(dtype=code, shape="[8]", offsets=f"[0,{n}]") + "}", b"\0" * n)
    # Many tensors, in reverse order in the text.
    many = ",".join(entry(f"t.{i}", offsets=f"[{8 * i},{8 * i + 8}]") for i in reversed(range(300)))
    cases["300 tensors written in reverse"] = st("{" + many + "}", b"\0" * 2400)
    return cases


def random_json(rng, depth=0):
    """A JSON value as text: every kind, escapes, numbers past u64, nesting, repeated keys."""
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return rng.choice(["null", "true", "false"])
    if kind == 1:
        return rng.choice(["0", "-0", "7", "-12", "18446744073709551615", "18446744073709551616", "1.5",
                           "-2e10", "3E+2", "0.0e-0", "123456789012345678901234567890"])
    if kind in (2, 3):
        return random_string(rng)
    if kind in (6, 7):
        return "[" + ",".join(random_json(rng, depth + 1) for _ in range(rng.randrange(4))) + "]"
    keys = [random_string(rng) for _ in range(rng.randrange(4))]
    if keys and rng.random() < 0.2:
        keys.append(keys[0])  # a key given twice: ignored content may repeat keys
    return "{" + ",".join(f"{k}{rng.choice(['', ' '])}:{random_json(rng, depth + 1)}" for k in keys) + "}"


def random_string(rng):
    parts = rng.choices(["a", "Z", "weight", ".", " ", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\ud83d\\ude00",
                         "\\u0000", "é", "漢", "\\t"], k=rng.randrange(6))
    return '"' + "".join(parts) + '"'


def mutated(rng, text):
    """The text with one random slip: a character dropped, doubled or put in, or a cut."""
    i = rng.randrange(len(text) + 1)
    how = rng.randrange(4)
    if how == 0 and i < len(text):
        return text[:i] + text[i + 1:]
    if how == 1 and i < len(text):
        return text[:i] + text[i] + text[i:]
    if how == 2:
        return text[:i] + rng.choice([",", "]", "}", ":", '"', "\\", "\x01", "[", "{", "x", " ", "0"]) + text[i:]
    return text[:i]


def random_cases(seed=13, count=400):
    """Headers with random JSON in the places the reference skips or reads (an unknown field, a
    name, metadata), half of them then slipped; (name, bytes)."""
    rng = random.Random(seed)
    cases = []
    for n in range(count):
        name = random_string(rng)
        extra = random_json(rng)
        fields = [('"dtype"', '"F32"'), ('"shape"', "[2]"), ('"data_offsets"', "[0,8]"), ('"extra"', extra)]
        rng.shuffle(fields)
        tensor = "{" + ",".join(f"{k}:{v}" for k, v in fields) + "}"
        meta = '"__metadata__":{' + ",".join(f"{random_string(rng)}:{random_string(rng)}"
                                             for _ in range(rng.randrange(3))) + "},"
        text = "{" + (meta if rng.random() < 0.5 else "") + f"{name}:{tensor}" + "}"
        if n % 2:
            text = mutated(rng, text)
        cases.append((f"random {n}: {text[:80]}", st(text.encode(), b"\0" * 8)))
    return cases


KNOWN_DIFFERENCES = {
    # A PyTorch size is an int64: such a dimension cannot be listed as one, so ckpt refuses
    # the file with one line where the reference (which lists u64 sizes) takes it.
    "dimension 2^63 in a zero-element tensor": "is larger than a PyTorch size holds",
}


def reference(path):
    """What safe_open lists, or None when it refuses the file."""
    try:
        with safe_open(path, framework="np") as f:
            tensors = sorted((k, list(f.get_slice(k).get_shape()), DTYPES[f.get_slice(k).get_dtype()])
                             for k in f.keys())
            return tensors, f.metadata() or {}
    except Exception:  # noqa: BLE001 - any refusal counts as one
        return None


def ours(path):
    r = subprocess.run([CKPT, "inspect", "--json", path], capture_output=True, timeout=60)
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace")
    j = json.loads(r.stdout)
    return (sorted((t["name"], t["shape"], t["dtype"]) for t in j["tensors"]), j["metadata"]), ""


class SafetensorsAsTheReferenceReadsIt(unittest.TestCase):
    def test_a_header_over_100_MB_opens_with_a_warning(self):
        """Such files exist (safetensors issue 668); the reference refuses them, ckpt lists them
        and says so."""
        header = '{"__metadata__":{"pad":"' + "x" * 100_000_000 + '"},' + entry() + "}"
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "big_header.safetensors")
            with open(path, "wb") as f:
                f.write(st(header, b"\0" * 8))
            self.assertIsNone(reference(path))
            r = subprocess.run([CKPT, "inspect", "--json", path], capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            j = json.loads(r.stdout)
            self.assertEqual([(t["name"], t["shape"]) for t in j["tensors"]], [("a", [2])])
            self.assertTrue(any("refuses headers over 100,000,000 bytes" in w for w in j["warnings"]), j["warnings"])

    def test_every_case_agrees(self):
        self.agree(list(corpus().items()), 30)

    def test_random_json_agrees(self):
        """Random JSON where the reference reads or skips it, and random slips in it: ckpt's JSON
        reader must take exactly what serde_json (inside the reference) takes."""
        self.agree(random_cases(), 100)

    def agree(self, cases, least):
        with tempfile.TemporaryDirectory() as d:
            accepted = refused = 0
            for i, (name, data) in enumerate(cases):
                path = os.path.join(d, f"case{i}.safetensors")
                with open(path, "wb") as f:
                    f.write(data)
                theirs = reference(path)
                mine, error = ours(path)
                with self.subTest(case=name):
                    if name in KNOWN_DIFFERENCES:
                        self.assertIsNotNone(theirs, "the reference now refuses it: drop the known difference")
                        self.assertIsNone(mine)
                        self.assertIn(KNOWN_DIFFERENCES[name], error)
                        continue
                    self.assertEqual(mine is None, theirs is None,
                                     f"reference {'accepts' if theirs else 'refuses'}, ckpt {error or 'accepts'}")
                    if mine is not None:
                        self.assertEqual(mine, theirs)
                    else:
                        self.assertEqual(len(error.strip().splitlines()), 1, error)
                accepted += theirs is not None
                refused += theirs is None
            # The corpus is worth something only if it has both sides.
            self.assertGreater(accepted, least)
            self.assertGreater(refused, least)


if __name__ == "__main__":
    unittest.main()
