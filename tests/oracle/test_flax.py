"""Flax msgpack checkpoints written by flax itself (`flax.serialization.to_bytes` of a real
linen model's variables, and of arrays flax cuts into chunks), read by ckpt and compared in the
same run with `flax.serialization.msgpack_restore`: every array's path, shape and dtype, and
its values after export; broken files give one error line."""
import os
import sys
import unittest

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import flax.linen as nn  # noqa: E402
import flax.serialization as fs  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ckpt_run import FolderTest, ckpt, one_line_error  # noqa: E402
import json  # noqa: E402
import msgpack  # noqa: E402


class Net(nn.Module):
    @nn.compact
    def __call__(self, x, train=False):
        x = nn.Conv(8, (3, 3))(x)
        x = nn.BatchNorm(use_running_average=not train)(x)
        x = nn.relu(x).reshape((x.shape[0], -1))
        x = nn.Dense(16, dtype=jnp.bfloat16, param_dtype=jnp.bfloat16)(x)
        return nn.Dense(4)(x)


def flat(tree, prefix=()):
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from flat(v, prefix + (k,))
    else:
        yield prefix, tree


def as_float(a):
    a = np.asarray(a)
    return a.astype(np.float32) if a.dtype.name == "bfloat16" else a


def torch_values(t):
    return t.float().numpy() if t.dtype == torch.bfloat16 else t.numpy()


class TestFlax(FolderTest):
    def write(self, name, tree):
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(fs.to_bytes(tree))
        with open(p, "rb") as f:
            return p, {k: np.asarray(v) for k, v in flat(fs.msgpack_restore(f.read()))}

    def check(self, path, want):
        listed = {tuple(t["path"]): t for t in json.loads(ckpt("inspect", "--json", path).stdout)["tensors"]}
        self.assertEqual(set(listed), {k for k, v in want.items() if isinstance(v, np.ndarray)})
        for k, t in listed.items():
            self.assertEqual(t["shape"], list(want[k].shape), k)
        out = self.path("out.pt")
        ckpt("apply", path, "--config", self.cfg, "-o", out)
        got = torch.load(out, weights_only=True)
        for k, v in want.items():
            node = got["params"][".".join(k[1:])] if k[0] == "params" else got
            if k[0] != "params":
                for part in k:
                    node = node[part]
            self.assertTrue(np.array_equal(torch_values(node), as_float(v)), k)

    def test_linen_model_variables(self):
        variables = Net().init(jax.random.PRNGKey(0), jnp.ones((1, 6, 6, 3)))
        path, want = self.write("flax_model.msgpack", jax.device_get(variables))
        self.check(path, want)
        st = self.path("weights.safetensors")
        ckpt("apply", path, "--config", self.cfg, "-o", st, "--format", "safetensors")
        got = load_file(st)
        params = {".".join(k[1:]): v for k, v in want.items() if k[0] == "params"}
        self.assertEqual(set(got), set(params))  # the params alone, not batch_stats
        for k, v in params.items():
            self.assertTrue(np.array_equal(torch_values(got[k]), as_float(v)), k)

    def test_arrays_flax_cuts_into_chunks(self):
        old = fs.MAX_CHUNK_SIZE
        fs.MAX_CHUNK_SIZE = 64  # as flax cuts arrays past 2^30 bytes, on small ones
        try:
            rng = np.random.default_rng(0)
            tree = {"params": {"w": rng.standard_normal((10, 7)).astype(np.float32),
                               "b": np.arange(5, dtype=np.int64)},
                    "step": np.array(3, np.int32)}
            path, want = self.write("checkpoint_3", tree)
        finally:
            fs.MAX_CHUNK_SIZE = old
        self.check(path, want)

    def test_truncated_and_lying_files(self):
        variables = jax.device_get(Net().init(jax.random.PRNGKey(0), jnp.ones((1, 6, 6, 3))))
        data = fs.to_bytes(variables)
        p = self.path("cut.msgpack")
        with open(p, "wb") as f:
            f.write(data[: len(data) // 2])
        self.assertIn("truncated", one_line_error(self, p))
        # An ndarray whose shape claims more bytes than it holds.
        lie = fs.to_bytes({"params": {"w": np.zeros((4, 4), np.float32)}})
        lie = lie.replace(msgpack.packb([4, 4]), msgpack.packb([4, 40]), 1)
        p = self.path("lie.msgpack")
        with open(p, "wb") as f:
            f.write(lie)
        self.assertIn("not what its shape and dtype take", one_line_error(self, p))


if __name__ == "__main__":
    unittest.main()
