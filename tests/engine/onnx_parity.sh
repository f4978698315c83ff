#!/usr/bin/env bash
# The ONNX export the peers' benchmark runs is the same network as our engine: a small
# random-weight checkpoint from the PyTorch reference (with golden logits), exported by
# build_scripts/data/export_onnx.py (fp32 and dynamic int8), converted by `sentiment convert`, then
# tests/engine/onnx_parity.mjs compares onnxruntime-node with PyTorch and with the engine.
# Artifacts go to build/test-artifacts/onnx-parity (regenerated when either script changes).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=build/test-artifacts/onnx-parity/small
PY=/usr/bin/python3
REF=tests/reference/distilbert_reference.py
EXPORT=build_scripts/data/export_onnx.py

if ! "$PY" -c 'import torch, onnx' 2>/dev/null; then
    echo "onnx-parity: $PY cannot import torch and onnx (Debian python3-torch, python3-onnx; build_scripts/setup.sh installs them)"
    exit 77
fi

if [ ! -f "$OUT/model_int8.onnx" ] || [ "$REF" -nt "$OUT/model_int8.onnx" ] || [ "$EXPORT" -nt "$OUT/model_int8.onnx" ]; then
    rm -rf "$OUT"
    "$PY" "$REF" --out "$OUT" --vocab weights/vocab.txt --preset small --lengths '1,2,17,100;512' >/dev/null
    # stderr holds torch's tracer warnings; shown only when the export fails.
    "$PY" "$EXPORT" --hf "$OUT" --out "$OUT/model.onnx" --int8 "$OUT/model_int8.onnx" 2>"$OUT/export.log" \
        || { cat "$OUT/export.log"; exit 1; }
fi
build/sentiment convert --hf "$OUT" --out "$OUT/fp32.smf" 2>/dev/null
node tests/engine/onnx_parity.mjs "$OUT"
