#!/usr/bin/env bash
# Runs one tokenizer parity suite against Hugging Face's tokenizer (tests/tokenizer/parity.mjs):
#   unicode  CLI on tests/tokenizer/edge_cases.txt and every Unicode scalar value
#   imdb     CLI on all 100,000 IMDb reviews (train, test, unsup)
#   wasm     the WebAssembly build under node on 3,000 test reviews and the edge cases
# Needs ../shared (tokenizer.json, IMDb); exits 77 with the reason when it is absent.
set -u
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-../shared}
DATA=${DATA:-$SHARED/data/imdb}
json=$SHARED/vocab/tokenizer.json
need() {
    for f in "$@"; do
        [ -e "$f" ] || { echo "tokenizer parity: $f not found (set SHARED / DATA); skipping"; exit 77; }
    done
}
common=(--tokenizer-json "$json" --vocab weights/vocab.txt)
case "${1:-}" in
unicode)
    need "$json"
    exec node --expose-gc tests/tokenizer/parity.mjs --engine cli --cli build/sentiment "${common[@]}" \
        --edge tests/tokenizer/edge_cases.txt --codepoints ;;
imdb)
    need "$json" "$DATA/train.tsv.gz" "$DATA/test.tsv.gz" "$DATA/unsup.tsv.gz"
    exec node --expose-gc tests/tokenizer/parity.mjs --engine cli --cli build/sentiment "${common[@]}" \
        --imdb "$DATA/train.tsv.gz,$DATA/test.tsv.gz,$DATA/unsup.tsv.gz" ;;
wasm)
    need "$json" "$DATA/test.tsv.gz"
    exec node --expose-gc tests/tokenizer/parity.mjs --engine wasm --wasm build/wasm/sentiment.mjs "${common[@]}" \
        --imdb "$DATA/test.tsv.gz" --limit 3000 --edge tests/tokenizer/edge_cases.txt ;;
*)
    echo "usage: $0 unicode|imdb|wasm" >&2
    exit 2 ;;
esac
