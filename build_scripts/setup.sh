#!/usr/bin/env bash
# Installs what the build and the tests need on Debian 12, skipping what is already there.
# Idempotent; run as root (or with sudo available). `--if-needed` returns at once when nothing
# is missing, which is what `make run` uses.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, with a file or command that proves each is installed.
declare -A probe=(
    [build-essential]=/usr/bin/gcc
    [make]=/usr/bin/make
    [emscripten]=/usr/bin/emcc
    [libsimde-dev]=/usr/include/simde/wasm/simd128.h
    [libopenblas-dev]=/usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h
    [zlib1g-dev]=/usr/include/zlib.h
    [chromium]=/usr/bin/chromium
    [nodejs]=/usr/bin/node
    [python3-torch]=/usr/lib/python3/dist-packages/torch/__init__.py
    [python3-numpy]=/usr/lib/python3/dist-packages/numpy/__init__.py
    [python3-onnx]=/usr/lib/python3/dist-packages/onnx/__init__.py
    [parallel]=/usr/bin/parallel
    [valgrind]=/usr/bin/valgrind
    [clang]=/usr/bin/clang
    # clang's libFuzzer and sanitizer runtimes (make fuzz): only a recommendation of clang-14,
    # which --no-install-recommends below leaves out.
    [libclang-rt-14-dev]=/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
    [pkg-config]=/usr/bin/pkg-config
)
missing=()
for pkg in "${!probe[@]}"; do
    [ -e "${probe[$pkg]}" ] || missing+=("$pkg")
done
# npm comes with Debian's nodejs only as a separate package; nodesource's nodejs bundles it.
command -v npm >/dev/null || missing+=(npm)

need_npm=0
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    need_npm=1
fi

if [ "${1:-}" = "--if-needed" ] && [ ${#missing[@]} -eq 0 ] && [ $need_npm -eq 0 ]; then
    exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    echo "setup: Debian packages present"
fi

# Node packages used by tests and benchmarks only (reference tokenizer, peers, browser driver).
# --ignore-scripts: no package may download binaries at install time (no network but registries).
if [ $need_npm -eq 1 ]; then
    echo "setup: installing node packages (npm ci)"
    npm ci --ignore-scripts --no-audit --no-fund
else
    echo "setup: node packages present"
fi
echo "setup: done"
