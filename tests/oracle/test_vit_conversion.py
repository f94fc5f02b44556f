"""The shipped config resources/configs/flax_vit_to_torchvision.json converts a Flax ViT (the
google-research/vision_transformer layout, built here with flax.linen and saved with Orbax)
to torchvision's VisionTransformer: `ckpt apply` writes a state_dict that
load_state_dict(strict=True) takes, and the two models give the same logits on one image."""
import json
import os
import sys
import tempfile
import unittest

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import flax.linen as nn  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import orbax.checkpoint as ocp  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ckpt_run import ckpt  # noqa: E402

CONFIG = os.path.join(HERE, "..", "..", "resources", "configs", "flax_vit_to_torchvision.json")
D, HEADS, MLP, LAYERS, PATCH, SIZE, CLASSES = 48, 3, 96, 3, 4, 16, 5


class MlpBlock(nn.Module):
    @nn.compact
    def __call__(self, x):
        return nn.Dense(D, name="Dense_1")(nn.gelu(nn.Dense(MLP, name="Dense_0")(x), approximate=False))


class EncoderBlock(nn.Module):
    @nn.compact
    def __call__(self, x):
        y = nn.LayerNorm(epsilon=1e-6, name="LayerNorm_0")(x)
        x = x + nn.MultiHeadDotProductAttention(num_heads=HEADS, name="MultiHeadDotProductAttention_1")(y, y)
        return x + MlpBlock(name="MlpBlock_3")(nn.LayerNorm(epsilon=1e-6, name="LayerNorm_2")(x))


class PosEmbed(nn.Module):
    @nn.compact
    def __call__(self, x):
        return x + self.param("pos_embedding", nn.initializers.normal(0.5), (1, x.shape[1], D))


class Encoder(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = PosEmbed(name="posembed_input")(x)
        for i in range(LAYERS):
            x = EncoderBlock(name=f"encoderblock_{i}")(x)
        return nn.LayerNorm(epsilon=1e-6, name="encoder_norm")(x)


class ViT(nn.Module):
    @nn.compact
    def __call__(self, img):
        x = nn.Conv(D, (PATCH, PATCH), strides=(PATCH, PATCH), padding="VALID", name="embedding")(img)
        n, h, w, c = x.shape
        x = x.reshape(n, h * w, c)
        cls = self.param("cls", nn.initializers.normal(0.5), (1, 1, D))
        x = Encoder(name="Transformer")(jnp.concatenate([jnp.tile(cls, [n, 1, 1]), x], axis=1))
        return nn.Dense(CLASSES, name="head")(x[:, 0])


def randomised(params, seed):
    """Every parameter drawn at random (biases and norms too), so no mapping hides behind zeros or ones."""
    leaves, tree = jax.tree_util.tree_flatten(params)
    rng = np.random.default_rng(seed)
    return jax.tree_util.tree_unflatten(tree, [jnp.asarray(rng.standard_normal(x.shape) * 0.2, x.dtype) for x in leaves])


class TestVitConversion(unittest.TestCase):
    def test_shipped_config_gives_torchvision_vit_with_equal_logits(self):
        img = np.random.default_rng(1).standard_normal((1, SIZE, SIZE, 3)).astype(np.float32)
        params = randomised(ViT().init(jax.random.PRNGKey(0), img)["params"], 2)
        want = np.asarray(ViT().apply({"params": params}, img))
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "vit")
            c = ocp.StandardCheckpointer()
            c.save(folder, {"params": params, "opt_state": {"count": np.array(3)}})
            c.wait_until_finished()
            # The shipped config is for ViT-B (hidden size 768); this model's is D.
            with open(CONFIG) as f:
                cfg = json.load(f)
            for r in cfg["rules"]:
                if "shape" in r:
                    r["shape"] = [D if s == 768 else s for s in r["shape"]]
            cfg_path = os.path.join(tmp, "vit.json")
            with open(cfg_path, "w") as f:
                json.dump(cfg, f)
            out = os.path.join(tmp, "vit.safetensors")
            ckpt("apply", folder, "--config", cfg_path, "-o", out, "--format", "safetensors")
            from safetensors.torch import load_file
            state = load_file(out)
        model = torchvision.models.VisionTransformer(image_size=SIZE, patch_size=PATCH, num_layers=LAYERS,
                                                     num_heads=HEADS, hidden_dim=D, mlp_dim=MLP, num_classes=CLASSES)
        model.load_state_dict(state, strict=True)
        model.eval()
        with torch.no_grad():
            got = model(torch.from_numpy(img).permute(0, 3, 1, 2)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


if __name__ == "__main__":
    unittest.main()
