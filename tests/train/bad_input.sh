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

# distillation: teacher labels that do not join the data row for row are refused
tsv four 'id\tlabel\trating\ttext\n0\t1\t8\tgood\n1\t0\t2\tbad\n2\t1\t9\tfine\n3\t0\t1\tawful\n'
labels() { printf "file\trow\tp_positive\n$2" >"$tmp/$1.tsv"; }
labels wrong_name 'other.tsv.gz\t0\t0.9\nother.tsv.gz\t1\t0.1\nother.tsv.gz\t2\t0.8\nother.tsv.gz\t3\t0.2\n'
labels missing_row 'four.tsv.gz\t0\t0.9\nfour.tsv.gz\t1\t0.1\nfour.tsv.gz\t2\t0.8\n'
labels skipped_row 'four.tsv.gz\t0\t0.9\nfour.tsv.gz\t2\t0.8\nfour.tsv.gz\t3\t0.2\n'
labels bad_prob 'four.tsv.gz\t0\t1.5\nfour.tsv.gz\t1\t0.1\nfour.tsv.gz\t2\t0.8\nfour.tsv.gz\t3\t0.2\n'
printf 'four.tsv.gz\t0\t0.9\n' >"$tmp/no_header.tsv"
expect "teacher labels: other file" "wrong_name.tsv:2: rows must follow" train "$tmp/four.tsv.gz" --teacher "$tmp/wrong_name.tsv"
expect "teacher labels: missing row" "labels 3 rows of 1 files, the data has 4" train "$tmp/four.tsv.gz" --teacher "$tmp/missing_row.tsv"
expect "teacher labels: skipped row" "skipped_row.tsv:3: rows must follow" train "$tmp/four.tsv.gz" --teacher "$tmp/skipped_row.tsv"
expect "teacher labels: bad probability" "bad_prob.tsv:2: p_positive" train "$tmp/four.tsv.gz" --teacher "$tmp/bad_prob.tsv"
expect "teacher labels: no header" "no_header.tsv:1: expected the header" train "$tmp/four.tsv.gz" --teacher "$tmp/no_header.tsv"
expect "teacher labels: absent" "cannot open teacher labels" train "$tmp/four.tsv.gz" --teacher "$tmp/absent.tsv"
head -c 1000 /dev/urandom >"$tmp/bad_teacher.bin"
expect "teacher: corrupt file" "not a complete teacher file" "$bin" train teacher label --teacher "$tmp/bad_teacher.bin" \
    --data "$tmp/four.tsv.gz" --out "$tmp/l.tsv"
expect "teacher: corrupt model file" "bad_teacher.bin" "$bin" train teacher label --model "$tmp/bad_teacher.bin" \
    --data "$tmp/four.tsv.gz" --out "$tmp/l.tsv"
expect "teacher: label without a teacher" "or --model" "$bin" train teacher label --data x --out y
expect "teacher: fit with a model" "fit takes no --model" "$bin" train teacher fit --data x --out y --model m.smf
expect "teacher: unknown mode" "unknown mode" "$bin" train teacher predict --data x --out y
expect "teacher: bad number" "needs a number" "$bin" train teacher fit --data x --out y --bits 40
expect "teacher: bad data" "bad_escape.tsv.gz:2: bad escape" "$bin" train teacher fit --data "$tmp/bad_escape.tsv.gz" --out "$tmp/t.bin"
expect "distill-alpha above 1" "inconsistent" "$bin" train finetune --data x --vocab x --out-dir x --distill-alpha 1.5

mkdir -p "$tmp/resume"
expect "resume without checkpoint" "cannot open checkpoint" "$bin" train resume --out-dir "$tmp/resume"
printf 'SENTCKPT\001\000\000\000garbage' >"$tmp/resume/checkpoint.bin"
expect "corrupt checkpoint" "checkpoint .*: " "$bin" train resume --out-dir "$tmp/resume"
head -c 5 /dev/urandom >"$tmp/resume/checkpoint.bin"
expect "random checkpoint" "not a checkpoint" "$bin" train resume --out-dir "$tmp/resume"

# eval finds the default model as classify does, so the option it cannot do without is --data
expect "eval without data" "usage" "$bin" eval --model weights/sentiment.smf
head -c 100 /dev/urandom >"$tmp/bad.smf"
expect "eval corrupt model" "bad.smf" "$bin" eval --model "$tmp/bad.smf" --data tests/data/imdb_test_sample.tsv.gz

[ $failures -eq 0 ] && echo "bad_input: all cases rejected cleanly" || echo "bad_input: $failures failed"
[ $failures -eq 0 ]
