#!/usr/bin/env bash
# More than one process (or machine): the classify filter under GNU parallel, as the README shows it,
# must give byte-for-byte the output of one process, in input order.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v parallel >/dev/null || { echo "GNU parallel is not installed (build_scripts/setup.sh installs it)"; exit 1; }
work=build/test-artifacts/cli-parallel
mkdir -p "$work"
# 100 committed IMDb test reviews, one per line (their TSV escapes kept: each stays one line).
zcat tests/data/imdb_test_sample.tsv.gz | awk -F'\t' 'NR > 1 && NR <= 101 { print $4 }' > "$work/reviews.txt"
printf '%s\n' "" "Not bad at all." >> "$work/reviews.txt"   # an empty line: its error object must keep its place
build/sentiment classify < "$work/reviews.txt" > "$work/one.jsonl"
parallel --will-cite --pipe --keep-order -N 15 -j 2 build/sentiment classify < "$work/reviews.txt" > "$work/parallel.jsonl"
lines_in=$(wc -l < "$work/reviews.txt")
[ "$(wc -l < "$work/one.jsonl")" -eq "$lines_in" ] || { echo "FAIL: one process answered $(wc -l < "$work/one.jsonl") of $lines_in lines"; exit 1; }
cmp "$work/one.jsonl" "$work/parallel.jsonl" || { echo "FAIL: GNU parallel's output differs from one process's"; exit 1; }
echo "ok - $lines_in lines: GNU parallel (jobs of 15 lines, 2 at a time) gives the same output as one process"
