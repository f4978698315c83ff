#!/usr/bin/env bash
# The trainer and eval on hostile input: each case must exit non-zero with a message that names
# the problem (and the file:line for data), never crash. Uses only committed files.
set -u
cd "$(dirname "$0")/../.."
bin=build/sentiment
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# expect NAME PATTERN command...: non-zero exit below 128 (no signal) and PATTERN in stderr.
expect() {
    local name=$1 pattern=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q -- "$pattern" "$tmp/err"; then
        echo "ok   $name: $(head -c 150 "$tmp/err" | tr '\n' ' ')"
    else
        echo "FAIL $name (exit $rc): $(head -c 300 "$tmp/err")"
        failures=$((failures + 1))
    fi
}

tsv() { printf "$2" | gzip -c >"$tmp/$1.tsv.gz"; }
tsv bad_escape 'id\tlabel\trating\ttext\n0\t1\t8\tgood\\x film\n'
tsv no_label 'id\trating\ttext\n0\t8\tgood\n'
tsv text_not_last 'id\ttext\tlabel\n0\tgood\t1\n'
tsv short_row 'id\tlabel\trating\ttext\n0\t1\t8\tfine\n1\t1\n'
tsv bad_label 'id\tlabel\trating\ttext\n0\t7\t8\tgood\n'
: >"$tmp/empty.tsv.gz"
head -c 2000 tests/data/imdb_test_sample.tsv.gz >"$tmp/truncated.tsv.gz"

train() { "$bin" train finetune --vocab weights/vocab.txt --out-dir "$tmp/run" --layers 1 --dim 16 \
    --heads 2 --hidden 32 --seq-len 16 --head-tokens 4 --batch 2 --steps 1 --data "$@"; }
expect "bad escape" "bad_escape.tsv.gz:2: bad escape" train "$tmp/bad_escape.tsv.gz"
expect "no label column" "no_label.tsv.gz:1: no \`label\` column" train "$tmp/no_label.tsv.gz"
expect "text not last" "text_not_last.tsv.gz:1: the last column must be" train "$tmp/text_not_last.tsv.gz"
expect "short row" "short_row.tsv.gz:3: fewer columns" train "$tmp/short_row.tsv.gz"
expect "label out of range" "bad_label.tsv.gz:2: label is not" train "$tmp/bad_label.tsv.gz"
expect "empty file" "empty.tsv.gz:1: empty file" train "$tmp/empty.tsv.gz"
expect "truncated gzip" "truncated.tsv.gz" train "$tmp/truncated.tsv.gz"
expect "missing file" "cannot open" train "$tmp/absent.tsv.gz"
expect "unknown flag" "unknown option --bogus" "$bin" train finetune --bogus 1
expect "bad number" "needs a non-negative integer" "$bin" train finetune --layers two
expect "heads do not divide dim" "inconsistent shape" "$bin" train finetune --data x --vocab x --out-dir x --dim 30 --heads 4

mkdir -p "$tmp/resume"
expect "resume without checkpoint" "cannot open checkpoint" "$bin" train resume --out-dir "$tmp/resume"
printf 'SENTCKPT\001\000\000\000garbage' >"$tmp/resume/checkpoint.bin"
expect "corrupt checkpoint" "checkpoint .*: " "$bin" train resume --out-dir "$tmp/resume"
head -c 5 /dev/urandom >"$tmp/resume/checkpoint.bin"
expect "random checkpoint" "not a checkpoint" "$bin" train resume --out-dir "$tmp/resume"

expect "eval without model" "usage" "$bin" eval --data tests/data/imdb_test_sample.tsv.gz
head -c 100 /dev/urandom >"$tmp/bad.smf"
expect "eval corrupt model" "bad.smf" "$bin" eval --model "$tmp/bad.smf" --data tests/data/imdb_test_sample.tsv.gz

[ $failures -eq 0 ] && echo "bad_input: all cases rejected cleanly" || echo "bad_input: $failures failed"
[ $failures -eq 0 ]
