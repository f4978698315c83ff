#!/usr/bin/env bash
# Engine parity with the PyTorch reference: for each config, write a random-weight Hugging Face
# checkpoint and golden outputs (tests/reference/distilbert_reference.py), convert it with
# `sentiment convert` to fp32 and int8 .smf files, and compare the C engine (every kernel table)
# with PyTorch: fp32 logits and hidden states within 1e-4 relative, int8 within 0.1 relative and
# the same decision as fp32 on >= 99.5 % of random inputs; then the wasm build under node. Artifacts go to build/test-artifacts/engine
# and are regenerated when the reference script changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=build/test-artifacts/engine
PY=/usr/bin/python3
REF=tests/reference/distilbert_reference.py
SENT=build/sentiment
PARITY=build/engine/parity
# One thread: the machine is shared, and OpenMP threads waiting on a busy core cost more than
# they give on these small matrices.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

if ! "$PY" -c 'import torch' 2>/dev/null; then
    echo "parity: $PY cannot import torch (Debian python3-torch; build_scripts/setup.sh installs it)"
    exit 77
fi

# checkpoint NAME PRESET LENGTHS: reference checkpoint + golden batches + fp32/int8 conversions.
checkpoint() {
    local dir=$OUT/$1
    if [ ! -f "$dir/golden.safetensors" ] || [ "$REF" -nt "$dir/golden.safetensors" ]; then
        "$PY" "$REF" --out "$dir" --vocab weights/vocab.txt --preset "$2" --lengths "$3" >/dev/null
    fi
    "$SENT" convert --hf "$dir" --out "$dir/fp32.smf" 2>/dev/null
    # int8.smf: a scale per 64 inputs (files converted before 3 December, and --group 64);
    # int8-row.smf: convert's default, one scale per row.
    "$SENT" convert --hf "$dir" --out "$dir/int8.smf" --quant int8 --group 64 2>/dev/null
    "$SENT" convert --hf "$dir" --out "$dir/int8-row.smf" --quant int8 2>/dev/null
}

checkpoint tiny tiny '1,2,17,30,40;64'
checkpoint small small '1,2,511,512;3,20,50,60'
checkpoint base base '512;1,2,37'

status=0
run() { "$@" || status=1; }
for name in tiny small; do
    for golden in "$OUT/$name"/golden*.safetensors; do
        run "$PARITY" golden "$OUT/$name/fp32.smf" "$golden"
        run "$PARITY" golden "$OUT/$name/int8.smf" "$golden" --tol 0.1 --hidden-tol 0.1
        run "$PARITY" golden "$OUT/$name/int8-row.smf" "$golden" --tol 0.1 --hidden-tol 0.1
    done
done
# distilbert-base: 512 tokens on the SIMD tables, the short padded batch on all of them.
run "$PARITY" golden "$OUT/base/fp32.smf" "$OUT/base/golden.safetensors" --tables simd
run "$PARITY" golden "$OUT/base/fp32.smf" "$OUT/base/golden1.safetensors"
run "$PARITY" golden "$OUT/base/int8.smf" "$OUT/base/golden.safetensors" --tol 0.1 --hidden-tol 0.1 --tables simd
run "$PARITY" golden "$OUT/base/int8.smf" "$OUT/base/golden1.safetensors" --tol 0.1 --hidden-tol 0.1
run "$PARITY" agree "$OUT/base/fp32.smf" "$OUT/base/int8.smf" 200 64
# One scale per row is coarser: measured 98.5-99.0 % same decisions on these random weights (whose
# margins are small), so it is held to 98 %; on the shipped model it kept both validation
# accuracies within 0.1 point of fp32 (weights/MODEL_CARD.md).
run "$PARITY" agree "$OUT/base/fp32.smf" "$OUT/base/int8-row.smf" 200 64 --min-agree 0.98
# The wasm build under node against the native engine, on the same files.
if [ -f build/wasm/sentiment.mjs ]; then
    run node tests/engine/wasm_parity.mjs "$OUT/small/fp32.smf" "$OUT/small/int8.smf" "$OUT/small/int8-row.smf" "$OUT/base/int8.smf"
else
    echo "parity: build/wasm/sentiment.mjs missing (make wasm)"; status=1
fi
exit $status
