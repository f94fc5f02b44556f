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
ls -1 "$out"
