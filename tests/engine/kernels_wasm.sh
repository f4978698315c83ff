#!/usr/bin/env bash
# tests/unit/test_kernels.c compiled to WebAssembly (`make kernels-wasm`) and run under node: the
# wasm SIMD128 kernels as the browser runs them (the native unit test covers them only through
# libsimde's emulation).
set -euo pipefail
cd "$(dirname "$0")/../.."
test=build/wasm/test_kernels.cjs
[ -f "$test" ] || { echo "$test is missing: run make kernels-wasm"; exit 1; }
node "$test" | tee build/test-artifacts/test_kernels_wasm.log
grep -q "wasm-simd128" build/test-artifacts/test_kernels_wasm.log || { echo "the wasm table was not tested"; exit 1; }
