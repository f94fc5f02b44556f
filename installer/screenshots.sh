#!/usr/bin/env bash
# Renders the README's screenshots of the main window under Xvfb, from the bundled sample:
# the file summary, a tensor with its statistics and histogram, and the filter in use.
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
ls -1 "$out"
