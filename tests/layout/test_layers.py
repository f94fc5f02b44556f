"""The house rules of model/: rooms include only the rooms below them, as their CMakeLists.txt
declare (`ckpt_room(NAME ... ROOMS lower ...)`), the top of model/ holds no sources, and no
.cpp grows past 600 lines. Each check runs on the real tree and, to show that it can fail, on
a small tree that breaks it."""
import os
import pathlib
import re
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
INCLUDE = re.compile(r'^\s*#\s*include\s*"model/([a-z_0-9]+)/', re.M)
ROOM_CALL = re.compile(r'ckpt_room\(\s*([a-z_0-9]+)(.*?)\)\s*$', re.S | re.M)
MAX_CPP_LINES = 600


def declared_rooms(model):
    """room -> the rooms its CMakeLists.txt names under ROOMS."""
    rooms = {}
    for cmake in sorted(model.glob("*/CMakeLists.txt")):
        for name, args in ROOM_CALL.findall(cmake.read_text()):
            words = args.split()
            below = []
            if "ROOMS" in words:
                for w in words[words.index("ROOMS") + 1:]:
                    if w.isupper() and w in ("SOURCES", "PRIVATE"):
                        break
                    below.append(w)
            rooms[name] = below
    return rooms


def closure(rooms):
    """room -> every room it may include, or a ValueError naming a cycle."""
    out = {}

    def visit(room, trail):
        if room in trail:
            raise ValueError("rooms form a cycle: " + " -> ".join(trail + [room]))
        if room not in out:
            below = set()
            for r in rooms.get(room, []):
                below |= {r} | visit(r, trail + [room])
            out[room] = below
        return out[room]

    for room in rooms:
        visit(room, [])
    return out


def upward_includes(model):
    """(file, included room) for every include a room may not make."""
    allowed = closure(declared_rooms(model))
    bad = []
    for path in sorted(model.rglob("*")):
        if path.suffix not in (".h", ".cpp") or path.parent == model:
            continue
        room = path.relative_to(model).parts[0]
        for target in INCLUDE.findall(path.read_text(errors="replace")):
            if target != room and target not in allowed.get(room, set()):
                bad.append((str(path.relative_to(model)), target))
    return bad


def loose_files(model):
    return sorted(p.name for p in model.iterdir()
                  if p.is_file() and p.name not in ("CMakeLists.txt", "README.md"))


def long_files(root):
    out = []
    for top in ("model", "ui", "widgets", "app"):
        for path in (root / top).rglob("*.cpp"):
            n = path.read_text(errors="replace").count("\n")
            if n > MAX_CPP_LINES:
                out.append(f"{path.relative_to(root)} ({n} lines)")
    return sorted(out)


def make_tree(base, files):
    for name, text in files.items():
        p = base / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return base


SMALL = {
    "model/CMakeLists.txt": "",
    "model/low/CMakeLists.txt": "ckpt_room(low SOURCES a.cpp)\n",
    "model/high/CMakeLists.txt": "ckpt_room(high SOURCES b.cpp ROOMS low PRIVATE z)\n",
    "model/low/a.h": "#pragma once\n",
    "model/high/b.h": '#include "model/low/a.h"\n',
}


class Layers(unittest.TestCase):
    def test_rooms_are_declared_and_acyclic(self):
        rooms = declared_rooms(ROOT / "model")
        for room in ("base", "sources", "pickle", "formats", "checkpoint", "rules", "report"):
            self.assertIn(room, rooms)
        closure(rooms)  # raises on a cycle
        self.assertEqual(rooms["base"], [])

    def test_no_room_includes_a_higher_one(self):
        self.assertEqual(upward_includes(ROOT / "model"), [])

    def test_nothing_but_cmake_and_readme_on_top_of_model(self):
        self.assertEqual(loose_files(ROOT / "model"), [])
        self.assertTrue((ROOT / "model" / "README.md").is_file())

    def test_no_cpp_over_600_lines(self):
        self.assertEqual(long_files(ROOT), [])

    def test_the_checks_catch_what_they_look_for(self):
        with tempfile.TemporaryDirectory() as d:
            tree = make_tree(pathlib.Path(d), SMALL)
            self.assertEqual(upward_includes(tree / "model"), [])
            (tree / "model/low/a.cpp").write_text('#include "model/high/b.h"\n')
            self.assertEqual(upward_includes(tree / "model"), [("low/a.cpp", "high")])
            (tree / "model/loose.cpp").write_text("")
            self.assertEqual(loose_files(tree / "model"), ["loose.cpp"])
            (tree / "model/low/CMakeLists.txt").write_text("ckpt_room(low SOURCES a.cpp ROOMS high)\n")
            with self.assertRaises(ValueError):
                closure(declared_rooms(tree / "model"))
            for top in ("ui", "widgets", "app"):
                (tree / top).mkdir()
            (tree / "ui/big.cpp").write_text("x\n" * (MAX_CPP_LINES + 1))
            self.assertEqual(long_files(tree), [f"ui/big.cpp ({MAX_CPP_LINES + 1} lines)"])


if __name__ == "__main__":
    unittest.main()
