#!/usr/bin/env bash
# tests/unit/test_kernels.c compiled to WebAssembly and run under node: the wasm SIMD128 kernels
# as the browser runs them (the native unit test covers them only through libsimde's emulation).
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
out=build/wasm-kernels
mkdir -p "$out"
emcc -std=c11 -O2 -msimd128 -Isrc -Itests/unit -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wno-unused-parameter -Werror \
    -sALLOW_MEMORY_GROWTH=1 -sSINGLE_FILE=1 -sENVIRONMENT=node tests/unit/test_kernels.c src/kernels.c \
    src/kernels_scalar.c src/kernels_wasm.c src/kernels_x86.c src/util.c -o "$out/test_kernels.cjs"
node "$out/test_kernels.cjs" | tee "$out/test_kernels.log"
grep -q "wasm-simd128" "$out/test_kernels.log" || { echo "the wasm table was not tested"; exit 1; }
