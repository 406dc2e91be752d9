#!/usr/bin/env bash
# `npm run zoo [-- ARGS]`: export the zoo from PyTorch, convert every ONNX to .tessera (f32 and f16) with the
# Tessera CLI, then check everything on the CPU reference (tools/zoo/check_cpu.ts prints the rel-L2 table).
#
#   npm run zoo                               # CIFAR-scale models + the small CI members (default)
#   npm run zoo -- --scale all                # everything, ImageNet and video included (slow on CPU)
#   npm run zoo -- --only resnet50,r3d-18     # just these
#   ZOO_OUT=/tmp/zoo npm run zoo              # another output folder (default zoo-out/, git-ignored)
#   ZOO_SKIP_EXPORT=1 npm run zoo -- ...      # reuse what is already exported
#   npm run zoo -- --webgpu [--f16]           # last step: also run every selected model on WebGPU in headless
#                                             # Chromium (tools/zoo/check_webgpu.ts; slow for ImageNet/video models)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${ZOO_OUT:-zoo-out}
PY=/usr/bin/python3   # Debian's python: the only one with torch/torchvision/onnx

# The same --only / --scale selection drives all three steps.
check_args=()
webgpu=()
while (($#)); do
  case "$1" in
    --only|--scale) check_args+=("$1" "$2"); shift 2 ;;
    --webgpu) webgpu+=(--webgpu); shift ;;
    --f16) webgpu+=(--f16); shift ;;
    *) echo "zoo: unknown argument '$1' (use --only NAMES, --scale cifar|all, --webgpu [--f16])" >&2; exit 2 ;;
  esac
done
[[ " ${check_args[*]-} " == *" --scale "* || " ${check_args[*]-} " == *" --only "* ]] || check_args+=(--scale cifar)

if [[ -z "${ZOO_SKIP_EXPORT:-}" ]]; then
  "$PY" tools/zoo/export_all.py -o "$OUT" "${check_args[@]}"
fi

# Convert each selected model whose .tessera files are missing or older than its model.onnx.
mapfile -t names < <("$PY" - "$OUT" "${check_args[@]}" <<'PYEOF'
import json, os, sys
out, args = sys.argv[1], sys.argv[2:]
only = set(args[args.index('--only') + 1].split(',')) if '--only' in args else None
scale = args[args.index('--scale') + 1] if '--scale' in args else 'all'
for name in sorted(os.listdir(out)):
    meta_path = os.path.join(out, name, 'meta.json')
    if not os.path.isfile(meta_path):
        continue
    meta = json.load(open(meta_path))
    if (only is None or name in only) and (only is not None or scale == 'all' or meta['scale'] == 'cifar' or meta.get('fixture')):
        print(name)
PYEOF
)
for name in "${names[@]}"; do
  dir="$OUT/$name"
  for variant in f32 f16; do
    target="$dir/model.$variant.tessera"
    if [[ ! -f "$target" || "$target" -ot "$dir/model.onnx" ]]; then
      flags=(); [[ $variant == f16 ]] && flags=(--fp16)
      npx --no-install tsx src/cli/main.ts convert "$dir/model.onnx" -o "$target" --name "$name" "${flags[@]}" \
        > "$dir/convert.$variant.log" 2>&1 || { echo "convert FAILED: $name ($variant), see $dir/convert.$variant.log" >&2; }
    fi
  done
done

status=0
npx --no-install tsx tools/zoo/check_cpu.ts "$OUT" "${check_args[@]}" --json "$OUT/cpu-check.json" || status=$?

# Optional last step: the same selection on WebGPU in one headless Chromium (table + $OUT/webgpu-check.json).
if [[ " ${webgpu[*]-} " == *" --webgpu "* ]]; then
  f16=(); [[ " ${webgpu[*]} " == *" --f16 "* ]] && f16=(--f16)
  npx --no-install tsx tools/zoo/check_webgpu.ts "$OUT" "${check_args[@]}" "${f16[@]}" || status=$?
fi
exit $status
