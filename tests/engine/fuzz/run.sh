#!/usr/bin/env bash
# Builds the model-loader fuzz target with clang (libFuzzer, ASan, UBSan) and runs it.
# Usage: bash tests/engine/fuzz/run.sh [SECONDS]   (default 60; from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=build/fuzz-model-file
mkdir -p "$out/corpus"
clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Isrc -Isrc/third_party/cjson -Isrc/third_party/utf8proc -DUTF8PROC_STATIC -D_GNU_SOURCE \
    tests/engine/fuzz/fuzz_model_file.c src/model_file.c src/model.c src/sentiment.c src/convert.c \
    src/safetensors.c src/tokenizer.c src/unicode_text.c src/kernels.c src/kernels_scalar.c src/kernels_x86.c \
    src/kernels_wasm.c src/util.c src/third_party/cjson/cJSON.c src/third_party/utf8proc/utf8proc.c \
    -lm -o "$out/fuzz"
SENT_FUZZ_SEED="$out/corpus/seed.smf" "$out/fuzz" -max_total_time="${1:-60}" -max_len=8192 \
    -rss_limit_mb=2048 "$out/corpus"
