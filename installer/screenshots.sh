#!/usr/bin/env bash
# Renders the README's screenshots of the main window under Xvfb, from the bundled sample:
# the file summary, a tensor with its statistics and histogram, the filter in use, rules,
# the comparison with a target model and the diff with a fine-tuned copy.
#   installer/screenshots.sh [OUTDIR]      (default docs/screenshots; needs a build)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/screenshots}"
app=build/release/app/ckpt-studio
sample=resources/samples/tiny_vit.pt
[ -x "$app" ] || installer/build.sh
mkdir -p "$out"
export XDG_CONFIG_HOME="$(mktemp -d)"   # fresh settings: default window layout
trap 'rm -rf "$XDG_CONFIG_HOME"' EXIT
shot() { xvfb-run -a -s "-screen 0 1400x900x24" "$app" "$sample" "$@" 2>/dev/null; }
shot --screenshot "$out/summary.png"
shot --select "state_dict/model.encoder.layers.encoder_layer_0.mlp.0.weight" --screenshot "$out/tensor.png"
shot --filter "*self_attention.*" --select "state_dict/model.encoder.layers.encoder_layer_1.self_attention.in_proj_weight" \
     --screenshot "$out/filter.png"
# Rules: a config loaded, a rule being typed (its matches highlighted), the plan in the tree.
cat > "$XDG_CONFIG_HOME/rules.json" <<'JSON'
{"version": 1, "weights": ["state_dict"],
 "rules": [
  {"action": "rename", "prefix": "model.", "to": ""},
  {"action": "freeze", "match": {"glob": "encoder.*"}},
  {"action": "unfreeze", "match": {"module": "encoder.layers.encoder_layer_2"}},
  {"action": "drop", "match": {"glob": "heads.*"}},
  {"action": "group", "group": "no_decay", "match": {"ndim": 1}, "options": {"weight_decay": 0.0}},
  {"action": "freeze", "match": {"glob": "decoder.*"}}
 ]}
JSON
shot --rules "$XDG_CONFIG_HOME/rules.json" --filter "*encoder_layer_[12]*" \
     --preview-rule '{"action":"cast","match":{"glob":"encoder.layers.*.mlp.*.weight"},"to":"bfloat16"}' \
     --screenshot "$out/rules.png"
# Compare and diff need a second file: a target model (96-pixel images, 5 classes, as a
# TorchScript archive) and a "fine-tuned" copy of the sample, both made by python3-torch.
/usr/bin/python3 - "$XDG_CONFIG_HOME" "$sample" <<'PY'
import sys, torch, torchvision
out, sample = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
target = torchvision.models.VisionTransformer(image_size=96, patch_size=8, num_layers=3, num_heads=2,
                                              hidden_dim=32, mlp_dim=64, num_classes=5).eval()
torch.jit.script(target).save(f"{out}/target.ts")
ckpt = torch.load(sample, weights_only=False)
sd = ckpt["state_dict"]
for i, k in enumerate(sorted(sd)):
    if ".mlp." in k or k.startswith("model.heads"):
        sd[k] = sd[k] + (0.002 * (i % 5 + 1)) * torch.randn_like(sd[k])
torch.save(ckpt, f"{out}/tuned.pt")
PY
shot --target "$XDG_CONFIG_HOME/target.ts" --screenshot "$out/compare.png"
xvfb-run -a -s "-screen 0 1400x900x24" "$app" "$sample" "$XDG_CONFIG_HOME/tuned.pt" \
    --select "model.encoder.layers.encoder_layer_1.mlp.0.weight" --screenshot "$out/diff.png" 2>/dev/null
ls -1 "$out"
