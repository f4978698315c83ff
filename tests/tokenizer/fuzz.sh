#!/usr/bin/env bash
# Fuzzes the tokenizer with libFuzzer for SECONDS (default 60), starting from the edge cases.
#   bash tests/tokenizer/fuzz.sh [SECONDS]
# A crash leaves its input in build/fuzz/ (crash-*) and exits non-zero.
set -eu
cd "$(dirname "$0")/../.."
mkdir -p build/fuzz/corpus
clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -Isrc/engine -Isrc/third_party/utf8proc -DUTF8PROC_STATIC \
    -D_GNU_SOURCE tests/tokenizer/fuzz_tokenizer.c src/engine/tokenizer.c src/engine/unicode_text.c src/engine/util.c \
    src/third_party/utf8proc/utf8proc.c -o build/fuzz/fuzz_tokenizer
cp tests/tokenizer/edge_cases.txt build/fuzz/corpus/
build/fuzz/fuzz_tokenizer -max_total_time="${1:-60}" -max_len=4096 -artifact_prefix=build/fuzz/ build/fuzz/corpus
