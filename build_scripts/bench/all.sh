#!/usr/bin/env bash
# Runs the benchmarks after `make` has built the binaries (`make bench` calls this). Benchmarks
# print numbers; they never pass or fail on speed. One block per benchmark; add yours at the
# end. A block that needs ../shared data and cannot find it says so and is skipped.
set -u
cd "$(dirname "$0")/../.."
SHARED="${SHARED:-../shared}"
DATA="${DATA:-$SHARED/data/imdb}"
status=0

# Tokenizer: native C, wasm under node, Hugging Face tokenizers and transformers.js, in one run
# on IMDb test (all 25,000 reviews; BENCH_TOKENIZER_LIMIT=N for fewer).
if [ -f "$DATA/test.tsv.gz" ] && [ -f "$SHARED/vocab/tokenizer.json" ]; then
    node build_scripts/bench/tokenizer.mjs --data "$DATA/test.tsv.gz" \
        --tokenizer-json "$SHARED/vocab/tokenizer.json" ${BENCH_TOKENIZER_LIMIT:+--limit "$BENCH_TOKENIZER_LIMIT"} || status=1
else
    echo "bench: tokenizer skipped: $DATA/test.tsv.gz or $SHARED/vocab/tokenizer.json not found"
fi

# Compute kernels: every table this CPU runs (scalar reference, AVX2, AVX-512, VNNI) on
# DistilBERT's shapes, against the measured fp32 peak; then the wasm SIMD128 table under node.
build/sentiment bench-kernels || status=1
node build/wasm/bench_kernels.cjs || status=1

# The page in headless chromium: batch reviews/s and time per explanation, with and without
# cross-origin isolation (several workers vs one), on IMDb test reviews with the shipped model.
if [ -f "$DATA/test.tsv.gz" ] && [ -f weights/sentiment.smf ]; then
    make -s web >/dev/null && node build_scripts/bench/page.mjs --data "$DATA/test.tsv.gz" || status=1
else
    echo "bench: page skipped: $DATA/test.tsv.gz or weights/sentiment.smf not found"
fi

# Engine: ms per review and GFLOP/s at 128/256/512 tokens, distilbert-base and a small config
# (random weights), fp32 vs int8, scalar vs SIMD natively; then the same models in wasm under node.
mkdir -p build/bench
build/sentiment bench --save build/bench || status=1
node build_scripts/bench/engine_wasm.mjs build/bench || status=1

# Engine vs the peers (onnxruntime-web, transformers.js, onnxruntime-node) on the same network
# (ONNX export of the same random weights) and the same IMDb reviews, in one run: under node and
# in headless chromium.
peer_args=()
[ -f "$DATA/test.tsv.gz" ] && peer_args+=(--data "$DATA/test.tsv.gz")
[ -f "$SHARED/vocab/tokenizer.json" ] && peer_args+=(--tokenizer-json "$SHARED/vocab/tokenizer.json")
node build_scripts/bench/engine_peers.mjs --chromium "${peer_args[@]}" || status=1

exit $status
