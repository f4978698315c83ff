#!/usr/bin/env bash
# Runs every test suite after `make` has built the binaries (make test calls this). Each suite is
# one command; it passes when it exits 0. A suite that needs ../shared data and cannot find it
# prints why it skipped and exits 77; CI has the data, so there (CI=true) a skip is a failure.
set -u
cd "$(dirname "$0")/.."
export SHARED="${SHARED:-../shared}"
export DATA="${DATA:-$SHARED/data/imdb}"
export NODE_PATH=/usr/share/nodejs
mkdir -p build/test-artifacts

passed=0 failed=0 skipped=0 failures=()
suite() {
    local name=$1; shift
    echo "=== $name"
    local start=$SECONDS
    "$@"
    local rc=$?
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1)); echo "--- ok $name ($((SECONDS - start)) s)"
    elif [ $rc -eq 77 ] && [ "${CI:-}" != "true" ]; then
        skipped=$((skipped + 1)); echo "--- SKIPPED $name (needs data that is not here; see above)"
    else
        failed=$((failed + 1)); failures+=("$name"); echo "--- FAILED $name (exit $rc, $((SECONDS - start)) s)"
    fi
}

# C unit tests, built with -fsanitize=address,undefined.
for t in build/tests/test_*; do
    [ -x "$t" ] && suite "unit/$(basename "$t")" "$t"
done

# Further suites (parity with references, wasm under node, the browser) are listed here.

# The thread pool's test again under ThreadSanitizer (a data race fails it: TSan exits 66).
suite "unit/test_parallel-tsan" build/tsan/bin/test_parallel

# Every libFuzzer target in tests/fuzz/ for FUZZ_SECONDS (the Makefile's default; the environment
# may override it) on its seeds, under ASan/UBSan: a crash, leak or timeout fails it.
suite "fuzz" make --no-print-directory fuzz
# The unit tests built without sanitizers, each under valgrind memcheck: an error or a definitely
# lost byte fails it.
suite "valgrind" make --no-print-directory valgrind

# The kernel tables' unit test compiled to WebAssembly: SIMD128 as the browser runs it.
suite "kernels/wasm" bash tests/engine/kernels_wasm.sh

# The engine: parity with the PyTorch reference (fp32 and int8, every kernel table, small configs
# and distilbert-base), then the wasm build under node against the native engine; classify and
# convert as programs.
suite "engine/parity" bash tests/engine/parity.sh
suite "engine/cli" bash tests/engine/cli_test.sh
suite "engine/cli-parallel" bash tests/engine/cli_parallel.sh
# Hostile stdin lines answered alone; missing, truncated or corrupt models fatal with a message.
suite "engine/hostile-cli" bash tests/engine/hostile_cli.sh
# classify --input: CSV / TSV / TXT files in, a CSV out; --threads N = --threads 1.
suite "engine/cli-csv" bash tests/engine/cli_csv.sh
# The ONNX export the peers' benchmark runs (build_scripts/data/export_onnx.py) against PyTorch and
# the engine, under onnxruntime-node.
suite "engine/onnx-parity" bash tests/engine/onnx_parity.sh

# The tokenizer: the CLI as a program, then ids and byte spans against Hugging Face's tokenizer
# (golden ids computed at test time from the npm package; needs ../shared).
suite "tokenizer/cli" bash tests/tokenizer/cli_test.sh
suite "tokenizer/unicode-parity" bash tests/tokenizer/parity.sh unicode
suite "tokenizer/imdb-parity" bash tests/tokenizer/parity.sh imdb
suite "tokenizer/wasm-parity" bash tests/tokenizer/parity.sh wasm

# The page: its pure modules under node, the ES module's API under node (make web), then the
# built site in headless chromium; the npm package (make npm) packed, installed offline and used
# from node and from a page.
suite "web/modules" node tests/web/modules_test.mjs
suite "web/module-api" node tests/web/module_api_test.mjs build/web/lib/index.js
suite "web/page" node tests/web/page_test.mjs build/web
# The page when the download drops, stalls or never answers, the kept copy is damaged, or storage
# refuses (quota, private mode); then the engine workers' memory over 2,000 classifications and
# 200 explanations (docs/reliability.md, "Browser").
suite "web/download-faults" node tests/web/download_faults_test.mjs build/web
suite "web/long-run" node tests/web/long_run_test.mjs build/web
# The pthreads build (2 and 3 threads) answers exactly as the single-threaded one, under node.
suite "web/threads" node tests/web/threads_test.mjs build/web/lib
suite "web/npm" bash tests/web/npm_test.sh
suite "web/explain-faithfulness" node tests/web/explain_faithfulness.mjs

# The trainer: hostile data/checkpoints rejected cleanly; train -> export -> convert -> eval works.
suite "train/bad-input" bash tests/train/bad_input.sh
suite "train/pipeline" bash tests/train/pipeline.sh
suite "train/torch-mirror" bash tests/train/torch_mirror.sh
suite "train/shipped-model" bash tests/train/shipped_model.sh
# The shipped model on 76 short hand-written reviews (negation, contrast, star ratings, ...).
suite "train/probe-reviews" bash tests/train/probe_reviews.sh

# The C library installed with `make install PREFIX=…` and used through pkg-config.
suite "lib/install" bash tests/lib/install_test.sh

echo
[ ${#failures[@]} -gt 0 ] && printf 'failed suite: %s\n' "${failures[@]}"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
