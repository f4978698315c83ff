#!/usr/bin/env bash
# The kernel micro-benchmark compiled to WebAssembly (SIMD128) and run under node: what the page's
# kernels reach, scalar vs SIMD, on the same shapes as `build/sentiment bench-kernels`.
# Usage: bash build_scripts/bench_kernels_wasm.sh   (from the repository root; needs emcc, node)
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
out=build/wasm-kernels
mkdir -p "$out"
emcc -std=c11 -O3 -msimd128 -Isrc -D_GNU_SOURCE -DSENT_KERNELS_BENCH_MAIN -sALLOW_MEMORY_GROWTH=1 -sSINGLE_FILE=1 \
    -sENVIRONMENT=node src/kernels_bench.c src/kernels.c src/kernels_scalar.c src/kernels_wasm.c src/kernels_x86.c \
    src/util.c -o "$out/bench_kernels.cjs"
echo "node $(node --version), wasm SIMD128 build (emcc -O3 -msimd128)"
node "$out/bench_kernels.cjs"
