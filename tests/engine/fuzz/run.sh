#!/usr/bin/env bash
# Builds the model-loader fuzz target with clang (libFuzzer, ASan, UBSan) and runs it.
# Usage: bash tests/engine/fuzz/run.sh [SECONDS]   (default 60; from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=build/fuzz-model-file
mkdir -p "$out/corpus"
clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Isrc -Isrc/engine -Isrc/third_party/cjson -Isrc/third_party/utf8proc -DUTF8PROC_STATIC -D_GNU_SOURCE \
    tests/engine/fuzz/fuzz_model_file.c src/engine/model_file.c src/engine/distilbert_params.c src/engine/model.c \
    src/engine/sentiment.c src/tools/convert.c src/tools/safetensors.c src/engine/tokenizer.c src/engine/unicode_text.c \
    src/engine/kernels.c src/engine/kernels_scalar.c src/engine/kernels_x86.c src/engine/kernels_wasm.c src/engine/util.c \
    src/third_party/cjson/cJSON.c src/third_party/utf8proc/utf8proc.c \
    -lm -o "$out/fuzz"
SENT_FUZZ_SEED="$out/corpus/seed.smf" "$out/fuzz" -max_total_time="${1:-60}" -max_len=8192 \
    -rss_limit_mb=2048 "$out/corpus"
