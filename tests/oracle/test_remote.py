"""Checkpoints where they live: every fixture read over HTTP from nginx inspects exactly as from
disk, a Hub-like server (302 to a CDN, tree API) and a real S3 gateway (versitygw, SigV4) serve
repositories and prefixes, and broken servers (no Range, 403, dropped connections, endless
bodies, changing lengths) each give the expected result or one error line. huggingface_hub's
get_safetensors_metadata runs against the same server, and the request counts are compared."""
import json
import os
import shutil
import sys
import tempfile
import time
import unittest

from ckpt_run import ckpt, CKPT
from remote_servers import Misbehaving, Nginx, VersityGateway
import subprocess

FIXTURES = os.environ.get("CKPT_FIXTURES", "")


def run(*args, env=None, timeout=300):
    return subprocess.run([CKPT, *args], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))


def fixture_files():
    """Every regular file among the fixtures, relative to the fixtures folder."""
    out = []
    for folder in ("ok", "bad", "compare"):
        for dirpath, _, files in os.walk(os.path.join(FIXTURES, folder)):
            out += [os.path.relpath(os.path.join(dirpath, f), FIXTURES) for f in sorted(files)]
    return sorted(out)


def same_paths(text, path):
    """`text` with `path` written PATH and its folder FOLDER (a sharded model's shards)."""
    return text.replace(path, "PATH").replace(path.rsplit("/", 1)[0] + "/", "FOLDER/")


class RemoteTest(unittest.TestCase):
    """One nginx and one misbehaving server for the whole class, over a copy of the fixtures
    (the cache test changes files) and a cache folder of its own per test."""

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="ckpt-served-")
        for folder in ("ok", "bad", "compare"):
            shutil.copytree(os.path.join(FIXTURES, folder), os.path.join(cls.root, folder), symlinks=True)
        cls.nginx = Nginx(cls.root, cls.repos())
        cls.bad = Misbehaving(cls.root)

    @classmethod
    def repos(cls):
        """The Hub repositories the server holds: {ORG/NAME: {path in repo: fixture path}}."""
        return {}

    @classmethod
    def tearDownClass(cls):
        cls.nginx.close()
        cls.bad.close()
        shutil.rmtree(cls.root, ignore_errors=True)

    def setUp(self):
        self.cache = tempfile.mkdtemp(prefix="ckpt-cache-")
        self.env = {"CKPT_CACHE_DIR": self.cache, "CKPT_HTTP_BACKOFF_MS": "10", "HF_ENDPOINT": self.nginx.url,
                    "HF_TOKEN": "", "HF_HOME": self.cache}

    def tearDown(self):
        shutil.rmtree(self.cache, ignore_errors=True)

    def served(self, rel, location="files"):
        return f"{self.nginx.url}/{location}/{rel}"

    def same_as_local(self, command, local, remote, env=None):
        """`ckpt COMMAND` of the remote and of the local path: same exit status, same output and
        errors once each path is written the same way."""
        a = run(*command, local, env=self.env)
        b = run(*command, remote, env=dict(self.env, **(env or {})))
        self.assertEqual(b.returncode, a.returncode, f"{remote}: {b.stderr}")
        self.assertEqual(same_paths(b.stdout, remote), same_paths(a.stdout, local), remote)
        # A file the server does not have is its 404.
        self.assertEqual(same_paths(b.stderr, remote).replace("HTTP 404: not found", "No such file or directory"),
                         same_paths(a.stderr, local), remote)
        return b

    def count(self, what):
        """Runs `what` and returns the requests nginx answered meanwhile."""
        before = len(self.nginx.requests())
        what()
        return self.nginx.requests()[before:]


class TestHttp(RemoteTest):
    def test_every_fixture_inspects_over_http_as_from_disk(self):
        files = fixture_files()
        self.assertGreater(len(files), 50)
        for rel in files:
            with self.subTest(rel):
                self.same_as_local(["inspect", "--json"], os.path.join(self.root, rel), self.served(rel))

    def test_scan_and_diff_over_http_as_from_disk(self):
        for rel in ("ok/evil.pt", "ok/lightning.ckpt", "ok/evil_raw.pkl", "ok/tiny_vit_scripted.pt", "ok/dtypes.npz"):
            if not os.path.exists(os.path.join(self.root, rel)):
                continue
            with self.subTest(rel):
                self.same_as_local(["scan", "--json"], os.path.join(self.root, rel), self.served(rel))
        local = os.path.join(self.root, "ok/resnet18.pt")
        r = run("diff", local, self.served("ok/resnet18.pt"), "--json", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        changed_local = run("diff", os.path.join(self.root, "ok/tiny_vit.pt"), os.path.join(self.root, "ok/tiny_vit.safetensors"), env=self.env)
        changed_remote = run("diff", self.served("ok/tiny_vit.pt"), self.served("ok/tiny_vit.safetensors"), env=self.env)
        self.assertEqual(changed_remote.returncode, changed_local.returncode, changed_remote.stderr)
        self.assertEqual(changed_remote.stdout.replace(self.served("ok/"), ""), changed_local.stdout.replace(os.path.join(self.root, "ok/"), ""))

    def test_only_the_metadata_is_fetched(self):
        for rel in ("ok/resnet18.pt", "ok/lightning.ckpt", "ok/tiny_vit.safetensors"):
            size = os.path.getsize(os.path.join(self.root, rel))
            log = self.count(lambda: self.assertEqual(run("inspect", self.served(rel), "--no-cache").returncode, 0))
            sent = sum(r[3] for r in log)
            with self.subTest(rel):
                self.assertTrue(all(r[4].startswith("bytes=") for r in log), log)
                self.assertLess(sent, max(0.02 * size, 300 << 10), f"{rel}: {sent} of {size} bytes, {len(log)} requests")

    def test_apply_from_an_address_writes_what_a_local_apply_writes(self):
        config = os.path.join(self.cache, "none.json")
        with open(config, "w") as f:
            json.dump({"rules": []}, f)
        for rel, out in (("ok/lightning.ckpt", "out.pt"), ("ok/resnet18.pt", "out.safetensors")):
            with self.subTest(rel):
                # The same name in two folders: a .pt's records are named after its file.
                local, remote = os.path.join(self.cache, "local", out), os.path.join(self.cache, "remote", out)
                os.makedirs(os.path.dirname(local), exist_ok=True)
                os.makedirs(os.path.dirname(remote), exist_ok=True)
                peaks = []
                for source, target in ((os.path.join(self.root, rel), local), (self.served(rel), remote)):
                    r = subprocess.run(["/usr/bin/time", "-f", "%M", CKPT, "apply", source, "--config", config, "-o", target,
                                        "--no-cache"], capture_output=True, text=True, env=dict(os.environ, **self.env), timeout=300)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    peaks.append(int(r.stderr.strip().splitlines()[-1]) * 1024)
                with open(local, "rb") as f1, open(remote, "rb") as f2:
                    self.assertTrue(f1.read() == f2.read(), "the remote apply wrote other bytes")
                # Streamed piece by piece: the 140 MB file is never held whole.
                size = os.path.getsize(os.path.join(self.root, rel))
                if size > (128 << 20):
                    self.assertLess(peaks[1], peaks[0] + (64 << 20), f"peaks {peaks} for a {size} byte file")

    def test_compare_against_targets_at_addresses(self):
        listed = json.loads(run("inspect", "--json", os.path.join(self.root, "ok/tiny_vit.safetensors")).stdout)
        manifest = os.path.join(self.root, "ok", "target_manifest.json")
        with open(manifest, "w") as f:
            json.dump({t["name"]: {"shape": t["shape"], "dtype": t["dtype"]} for t in listed["tensors"][:-1]}, f)
        try:
            for target in ("ok/tiny_vit.safetensors", "ok/tiny_vit_scripted.pt", "ok/target_manifest.json"):
                with self.subTest(target):
                    local = os.path.join(self.root, target)
                    a = run("compare", os.path.join(self.root, "ok/tiny_vit.pt"), "--target", local, "--json", env=self.env)
                    b = run("compare", self.served("ok/tiny_vit.pt"), "--target", self.served(target), "--json", env=self.env)
                    self.assertEqual(b.returncode, a.returncode, b.stderr)
                    self.assertEqual(b.stdout.replace(self.served("ok/"), "FOLDER/"), a.stdout.replace(os.path.join(self.root, "ok/"), "FOLDER/"))
        finally:
            os.remove(manifest)

    def test_a_rules_config_takes_from_an_address(self):
        outputs = []
        for where in (os.path.join(self.root, "ok/tiny_vit.safetensors"), self.served("ok/tiny_vit.safetensors")):
            config = os.path.join(self.cache, "take.json")
            with open(config, "w") as f:
                json.dump({"sources": {"vit": where}, "rules": [{"action": "take", "from": "vit", "match": "*", "prefix": "", "to": "vit."}]}, f)
            r = run("plan", os.path.join(self.root, "ok/resnet18.pt"), "--config", config, "--json", env=self.env)
            self.assertEqual(r.returncode, 0, r.stderr)
            outputs.append(r.stdout.replace(where, "SOURCE"))
        self.assertEqual(outputs[1], outputs[0])
        self.assertIn('"vit.', outputs[0])

    def test_a_server_that_ignores_range(self):
        # Near the start of a file the bytes are read as far as needed; far in, one clear line.
        self.same_as_local(["inspect", "--json"], os.path.join(self.root, "ok/tiny_vit.safetensors"),
                           self.served("ok/tiny_vit.safetensors", "norange"))
        big = os.path.join(self.root, "ok", "big_tail.safetensors")
        with open(os.path.join(self.root, "ok/tiny_vit.safetensors"), "rb") as f:
            data = f.read()
        # A zip's directory lies at its end: 80 MB of stored padding puts it out of reach.
        import zipfile
        bigzip = os.path.join(self.root, "ok", "big_archive.pt")
        with zipfile.ZipFile(bigzip, "w", zipfile.ZIP_STORED) as z:
            z.writestr("big_archive/data.pkl", b"\x80\x02}q\x00.")
            z.writestr("big_archive/data/0", os.urandom(1 << 20) * 80)
        try:
            r = run("inspect", self.served("ok/big_archive.pt", "norange"), "--no-cache", env=self.env)
            self.assertEqual(r.returncode, 2)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn("ignores Range", r.stderr)
        finally:
            os.remove(bigzip)
        del data, big

    def test_status_and_transport_errors_are_one_line(self):
        cases = [
            (self.served("ok/resnet18.pt", "forbidden"), "HTTP 403: needs a token"),
            (self.served("ok/no_such_file.pt"), "HTTP 404: not found"),
            (f"{self.bad.url}/drop/ok/resnet18.pt", "connection dropped midway"),
            (f"{self.bad.url}/liar/ok/resnet18.pt", "changed on the server"),
            ("http://checkpoint-studio-test.invalid/model.pt", "cannot resolve the host name"),
        ]
        for address, expected in cases:
            with self.subTest(address):
                started = time.time()
                r = run("inspect", address, "--no-cache", env=dict(self.env, CKPT_HTTP_RETRIES="2"), timeout=60)
                self.assertEqual(r.returncode, 2, r.stdout)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertIn(expected, r.stderr)
                self.assertLess(time.time() - started, 30)

    def test_https_is_verified_and_never_redirected_to_http(self):
        local = os.path.join(self.root, "ok/tiny_vit.safetensors")
        address = f"{self.nginx.tls_url}/files/ok/tiny_vit.safetensors"
        # A certificate nobody vouches for: one TLS line.
        r = run("inspect", address, "--no-cache", env=dict(self.env, CURL_CA_BUNDLE="", SSL_CERT_FILE=""))
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("TLS", r.stderr)
        # Trusted, it reads as from disk; a redirect from https to http is refused.
        trusted = {"CURL_CA_BUNDLE": self.nginx.tls_cert}
        self.same_as_local(["inspect", "--json"], local, address, env=trusted)
        r = run("inspect", f"{self.nginx.tls_url}/downgrade/ok/tiny_vit.safetensors", "--no-cache", env=dict(self.env, **trusted))
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("scheme that is not allowed", r.stderr)

    def test_an_endless_body_is_bounded(self):
        # The Hub's tree API answered with a body that never ends: cut at 64 MiB.
        r = run("inspect", "hf://org/endless", env=dict(self.env, HF_ENDPOINT=f"{self.bad.url}/endless"), timeout=120)
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("more than 64 MiB", r.stderr)

    def test_fetched_ranges_are_cached_and_never_mixed_with_a_changed_file(self):
        rel = "ok/served_copy.pt"
        shutil.copyfile(os.path.join(self.root, "ok/resnet18.pt"), os.path.join(self.root, rel))
        try:
            address = self.served(rel)
            first = self.count(lambda: self.same_as_local(["diff", os.path.join(self.root, "ok/resnet18.pt")], address, address))
            again = self.count(lambda: self.same_as_local(["diff", os.path.join(self.root, "ok/resnet18.pt")], address, address))
            self.assertGreater(sum(r[3] for r in first), 40 << 20)  # the diff read every tensor
            self.assertLess(sum(r[3] for r in again), 1 << 20)  # the second only its first range
            self.assertLessEqual(len(again), 2)
            # The file changes on the server (a new ETag): nothing of the old bytes is used.
            time.sleep(1.1)
            shutil.copyfile(os.path.join(self.root, "ok/resnet18_legacy.pt"), os.path.join(self.root, rel))
            self.same_as_local(["inspect", "--json"], os.path.join(self.root, rel), address)
            nocache = self.count(lambda: run("diff", os.path.join(self.root, rel), address, "--no-cache", env=self.env))
            self.assertGreater(sum(r[3] for r in nocache), 40 << 20)
        finally:
            os.remove(os.path.join(self.root, rel))


class TestHub(RemoteTest):
    @classmethod
    def repos(cls):
        ok = os.path.join(cls.root, "ok")
        # Distributed checkpoints, written by torch 2.x on two gloo ranks: plain and zstd items.
        dcp = {}
        for kind in ("fsdp2", "zstd"):
            out = os.path.join(cls.root, "dcp_" + kind)
            subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "dcp_fixture.py"), kind, out, "2"],
                           check=True, capture_output=True, timeout=300)
            dcp[f"org/dcp-{kind}"] = {name: os.path.join(out, name) for name in os.listdir(out)}
        # DeepSpeed ZeRO-2 on two ranks (its root: `latest` names the tag folder).
        out = os.path.join(cls.root, "deepspeed")
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "ds_fixture.py"), "2", out, "2"],
                       check=True, capture_output=True, timeout=600)
        dcp["org/deepspeed"] = {os.path.relpath(os.path.join(d, f), out): os.path.join(d, f) for d, _, fs in os.walk(out) for f in fs}
        # Orbax, written by orbax-checkpoint: OCDBT (the default), plain zarr, a manager's root.
        for kind in ("ocdbt", "plain", "manager"):
            out = os.path.join(cls.root, "orbax_" + kind)
            subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "orbax_fixture.py"), kind, out],
                           check=True, capture_output=True, timeout=300)
            dcp[f"org/orbax-{kind}"] = {os.path.relpath(os.path.join(d, f), out): os.path.join(d, f)
                                        for d, _, fs in os.walk(out) for f in fs}
        sharded = {name: os.path.join(ok, "sharded_st", name) for name in os.listdir(os.path.join(ok, "sharded_st"))}
        return {"org/sharded": dict(sharded, **{"README.md": os.path.join(FIXTURES, "manifest.json")}),
                "org/single": {"model.safetensors": os.path.join(ok, "tiny_vit.safetensors"),
                               "weights/pytorch_model.bin": os.path.join(ok, "resnet18.pt")},
                "org/private": {"model.safetensors": os.path.join(ok, "tiny_vit.safetensors")}, **dcp}

    def test_orbax_and_deepspeed_inspect_as_their_folders(self):
        for kind in ("orbax_ocdbt", "orbax_plain", "orbax_manager", "deepspeed"):
            folder = os.path.join(self.root, kind)
            local = run("inspect", "--json", folder, env=self.env)
            self.assertEqual(local.returncode, 0, local.stderr)
            with self.subTest(kind):
                address = "hf://org/" + kind.replace("_", "-")
                remote = run("inspect", "--json", address, "--no-cache", env=self.env)
                self.assertEqual(remote.returncode, 0, remote.stderr)
                a = json.loads(local.stdout.replace(folder + "/", "FOLDER/").replace(folder, "FOLDER"))
                b = json.loads(remote.stdout.replace(address + "/", "FOLDER/").replace(address, "FOLDER"))
                self.assertEqual(b["tensors"], a["tensors"])
                self.assertEqual(b["metadata"], a["metadata"])
                self.assertEqual(b["format"], a["format"])

    def test_distributed_checkpoints_inspect_as_their_folders(self):
        for kind in ("fsdp2", "zstd"):
            folder = os.path.join(self.root, "dcp_" + kind)
            local = run("inspect", "--json", folder, env=self.env)
            self.assertEqual(local.returncode, 0, local.stderr)
            for address in (f"hf://org/dcp-{kind}", self.served(f"../dcp_{kind}/.metadata")):
                with self.subTest(address):
                    log = self.count(lambda: self.__dict__.update(
                        remote=run("inspect", "--json", address, "--no-cache", env=self.env)))
                    remote = self.remote
                    self.assertEqual(remote.returncode, 0, remote.stderr)
                    base = address.rsplit("/", 1)[0] + "/" if address.endswith(".metadata") else address + "/"
                    a = json.loads(local.stdout.replace(folder + "/", "FOLDER/"))
                    b = json.loads(remote.stdout.replace(base, "FOLDER/"))
                    self.assertEqual(b["tensors"], a["tensors"])
                    self.assertEqual(b["metadata"], a["metadata"])
                    # The ranks' files at once, each item's ends together: a few requests a file.
                    self.assertLess(len(log), 8 * len(os.listdir(folder)), log)

    def test_a_sharded_repository_inspects_as_its_folder(self):
        folder = os.path.join(self.root, "ok", "sharded_st")
        a = run("inspect", "--json", folder, env=self.env)
        for address in ("hf://org/sharded", "hf://org/sharded@main", "hf://org/sharded/model.safetensors.index.json"):
            with self.subTest(address):
                b = run("inspect", "--json", address, env=self.env)
                self.assertEqual(b.returncode, 0, b.stderr)
                base = address.split("/model.safetensors")[0] + "/"
                ja = json.loads(a.stdout.replace(folder + "/", "FOLDER/"))
                jb = json.loads(b.stdout.replace(base, "FOLDER/"))
                self.assertEqual(jb["tensors"], ja["tensors"])
                self.assertEqual(jb["format"], ja["format"])

    def test_files_folders_and_revisions(self):
        self.same_as_local(["inspect", "--json"], os.path.join(self.root, "ok", "tiny_vit.safetensors"), "hf://org/single/model.safetensors")
        self.same_as_local(["inspect", "--json"], os.path.join(self.root, "ok", "resnet18.pt"), "hf://org/single@v1.0/weights/pytorch_model.bin")
        b = run("inspect", "hf://org/single/weights", env=self.env)  # a folder with one checkpoint
        self.assertEqual(b.returncode, 0, b.stderr)
        r = run("inspect", "hf://org/single/missing.safetensors", env=self.env)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no such file or folder", r.stderr)

    def test_a_private_repository_needs_the_token_which_is_never_shown(self):
        r = run("inspect", "hf://org/private/model.safetensors", env=self.env)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("needs a token", r.stderr)
        for token in (Nginx.TOKEN, "hf_wrongTokenThatMustNotBePrinted"):
            r = run("inspect", "--json", "hf://org/private", env=dict(self.env, HF_TOKEN=token))
            self.assertNotIn(token, r.stdout + r.stderr)
            self.assertEqual(r.returncode, 0 if token == Nginx.TOKEN else 2, r.stderr)

    def test_no_more_requests_than_huggingface_hub(self):
        from huggingface_hub import HfApi
        api = HfApi(endpoint=self.nginx.url, token=False)
        reference = {}
        theirs = self.count(lambda: reference.update(meta=api.get_safetensors_metadata("org/sharded")))
        ours = []
        ours = self.count(lambda: ours.append(run("inspect", "--json", "hf://org/sharded", "--no-cache", env=self.env)))
        out = json.loads(run("inspect", "--json", "hf://org/sharded", env=self.env).stdout)
        self.assertLessEqual(len(ours), len(theirs), f"ours {ours}\ntheirs {theirs}")
        meta = reference["meta"]
        names = {t["name"]: t for t in out["tensors"]}
        expected = {name: (info, f) for f, m in meta.files_metadata.items() for name, info in m.tensors.items()}
        self.assertEqual(set(names), set(expected))
        dtypes = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64", "I32": "int32",
                  "U8": "uint8", "I8": "int8", "BOOL": "bool", "F64": "float64", "I16": "int16"}
        for name, (info, shard) in expected.items():
            self.assertEqual(names[name]["shape"], info.shape, name)
            self.assertEqual(names[name]["dtype"], dtypes[info.dtype], name)
            self.assertTrue(names[name]["file"].endswith("/" + shard), name)
            self.assertEqual(names[name]["nbytes"], info.data_offsets[1] - info.data_offsets[0], name)


class TestS3(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = VersityGateway()
        ok = os.path.join(FIXTURES, "ok")
        cls.s3.put("models", "vit/tiny_vit.safetensors", os.path.join(ok, "tiny_vit.safetensors"))
        for name in os.listdir(os.path.join(ok, "sharded_st")):
            cls.s3.put("models", "sharded/" + name, os.path.join(ok, "sharded_st", name))
        # More objects than one listing page holds (1000): the folder is found on the second.
        for i in range(1005):
            open(os.path.join(cls.s3.root, "models", "sharded", f"aa_note_{i:04}.txt"), "w").close()

    @classmethod
    def tearDownClass(cls):
        cls.s3.close()

    def run_s3(self, *args, **env):
        return run(*args, env=dict(self.s3.env(), CKPT_NO_CACHE="1", CKPT_HTTP_BACKOFF_MS="10", **env))

    def test_objects_and_prefixes_signed(self):
        ok = os.path.join(FIXTURES, "ok")
        local = run("inspect", "--json", os.path.join(ok, "tiny_vit.safetensors"))
        remote = self.run_s3("inspect", "--json", "s3://models/vit/tiny_vit.safetensors")
        self.assertEqual(remote.returncode, 0, remote.stderr)
        self.assertEqual(json.loads(remote.stdout)["tensors"], json.loads(local.stdout)["tensors"])
        folder = run("inspect", "--json", os.path.join(ok, "sharded_st"))
        expected = json.loads(folder.stdout.replace(os.path.join(ok, "sharded_st") + "/", "FOLDER/"))["tensors"]
        for address in ("s3://models/sharded", "s3://models/sharded/"):
            r = self.run_s3("inspect", "--json", address)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout.replace("s3://models/sharded/", "FOLDER/"))["tensors"], expected)

    def test_a_wrong_secret_and_a_missing_key_are_one_line(self):
        for address, env, expected in (
                ("s3://models/vit/tiny_vit.safetensors", {"AWS_SECRET_ACCESS_KEY": "not-the-secret"}, "HTTP 403"),
                ("s3://models/vit/missing.safetensors", {}, "no such file or folder"),
                ("s3://nosuchbucket/x.pt", {}, "HTTP 404")):
            with self.subTest(address):
                r = self.run_s3("inspect", address, **env)
                self.assertEqual(r.returncode, 2, r.stdout)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertIn(expected, r.stderr)
                self.assertNotIn("not-the-secret", r.stderr)


if __name__ == "__main__":
    unittest.main()
