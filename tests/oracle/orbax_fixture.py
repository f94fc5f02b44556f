"""Writes an Orbax checkpoint with orbax-checkpoint itself (run in a subprocess: JAX is given
four fake CPU devices before it starts).

usage: orbax_fixture.py KIND FOLDER
KIND: ocdbt (StandardCheckpointer's default: OCDBT, zarr v2), plain (no OCDBT), zarr3,
zarr3-plain, sharded (an array cut across a mesh of 4 devices), manager (a CheckpointManager
step with two items)."""
import os
import sys

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import orbax.checkpoint as ocp  # noqa: E402


def state():
    rng = np.random.default_rng(0)
    return {
        "params": {
            "encoder": {
                "layer_0": {"kernel": jnp.asarray(rng.standard_normal((16, 32)), jnp.float32),
                            "bias": jnp.asarray(rng.standard_normal(32), jnp.bfloat16)},
                "layer_1": {"kernel": jnp.asarray(rng.standard_normal((32, 8)), jnp.bfloat16)},
            },
            "embed": jnp.asarray(rng.integers(0, 100, (40, 6)), jnp.int32),
            "blocks": [jnp.asarray(rng.standard_normal((3, 3)), jnp.float32),
                       jnp.asarray(rng.standard_normal(300), jnp.float32)],
        },
        "opt_state": {"mu": np.arange(12.0).reshape(3, 4), "count": np.array(5, np.int64)},
        "step": 7,
        "mask": np.array([True, False, True]),
    }


def main(kind, folder):
    tree = state()
    if kind == "sharded":
        mesh = jax.sharding.Mesh(np.array(jax.devices()).reshape(4), ("x",))
        spec = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("x", None))
        tree["params"]["wide"] = jax.device_put(jnp.arange(8 * 5, dtype=jnp.float32).reshape(8, 5), spec)
        tree["params"]["wide_bf16"] = jax.device_put(jnp.arange(12 * 3, dtype=jnp.bfloat16).reshape(12, 3), spec)
    if kind in ("ocdbt", "sharded"):
        c = ocp.StandardCheckpointer()
        c.save(folder, tree)
        c.wait_until_finished()
    elif kind in ("plain", "zarr3", "zarr3-plain"):
        handler = ocp.PyTreeCheckpointHandler(use_ocdbt=kind == "zarr3", use_zarr3=kind.startswith("zarr3"))
        ocp.Checkpointer(handler).save(folder, args=ocp.args.PyTreeSave(tree))
    elif kind == "manager":
        with ocp.CheckpointManager(folder, item_names=("state", "extra")) as m:
            m.save(3, args=ocp.args.Composite(state=ocp.args.StandardSave(tree),
                                              extra=ocp.args.StandardSave({"ema": tree["params"]["embed"] * 2})))
            m.wait_until_finished()
    else:
        raise SystemExit(f"unknown kind {kind}")


if __name__ == "__main__":
    main(sys.argv[1], os.path.abspath(sys.argv[2]))
