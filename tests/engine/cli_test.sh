#!/usr/bin/env bash
# `sentiment classify` and `sentiment convert` as programs: one JSON answer per input line, bad
# lines (empty, blank, 10 MB, invalid UTF-8) answered alone, long reviews truncated and flagged,
# missing or damaged inputs refused with a message and a non-zero exit. Uses the tiny checkpoint
# that tests/engine/parity.sh writes (generated here if absent).
set -uo pipefail
cd "$(dirname "$0")/../.."
SENT=build/sentiment
DIR=build/test-artifacts/engine/tiny
TMP=build/test-artifacts/engine/cli
mkdir -p "$TMP"
source tests/check.sh

if [ ! -f "$DIR/model.safetensors" ]; then
    if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
        echo "cli_test: needs /usr/bin/python3 with torch to write the test checkpoint"; exit 77
    fi
    /usr/bin/python3 tests/reference/distilbert_reference.py --out "$DIR" --vocab weights/vocab.txt \
        --preset tiny --lengths '1,2,17,30,40;64' >/dev/null
fi
MODEL=$TMP/tiny.smf
check "convert fp32" "$SENT" convert --hf "$DIR" --out "$MODEL" 2>/dev/null

# Five lines in, five answers out, in order; the bad ones are errors, the others results.
{
    echo "A wonderful film, I loved it."
    echo ""
    printf '   \t  \n'
    head -c 10485760 /dev/zero | tr '\0' 'a'; echo
    printf 'broken \xff\xfe bytes \xc3 here\n'
    python3 -c "print(' '.join(['great'] * 700))"
} > "$TMP/in.txt"
"$SENT" classify --model "$MODEL" --batch 3 < "$TMP/in.txt" > "$TMP/out.jsonl"
check "classify exits 0" test $? -eq 0
check "one answer per line" test "$(wc -l < "$TMP/out.jsonl")" -eq 6
line() { sed -n "${1}p" "$TMP/out.jsonl"; }
check "line 1 is a result" grep -q '^{"label":"\(Positive\|Negative\)","positive":[01]\.[0-9]*,"probs":\[' <(line 1)
check "empty line is an error" grep -q '^{"error":"text has no words to classify"}$' <(line 2)
check "blank line is an error" grep -q '^{"error":' <(line 3)
check "10 MB line is an error" grep -q '^{"error":"text is 10485760 bytes; the limit is' <(line 4)
check "invalid UTF-8 is classified" grep -q '"tokens":5,' <(line 5)
check "long review truncated" grep -q '"tokens":64,"truncated":true' <(line 6)

# --text, --offsets and the scalar kernels give the same answer as stdin.
"$SENT" classify --model "$MODEL" --text "A wonderful film, I loved it." --offsets --kernels scalar > "$TMP/text.json"
check "--text --offsets" grep -q '"spans":\[\[0,0\],\[0,1\],\[2,11\]' "$TMP/text.json"
positive() { sed 's/.*"positive":\([0-9.]*\).*/\1/'; }
check "--text (scalar) = stdin (SIMD)" awk -v a="$(positive < "$TMP/text.json")" -v b="$(line 1 | positive)" \
    'BEGIN { d = a - b; exit !(a > 0 && (d < 0 ? -d : d) < 1e-4) }'

# Refusals: a message on stderr and a non-zero exit.
refuses() {  # refuses PATTERN COMMAND...
    local pattern=$1; shift
    local err; err=$("$@" 2>&1 >/dev/null </dev/null) && return 1
    grep -q -- "$pattern" <<< "$err" || { echo "  got: $err"; return 1; }
}
check "missing model" refuses "cannot open model" "$SENT" classify --model "$TMP/none.smf"
head -c 1000 "$MODEL" > "$TMP/truncated.smf"
check "truncated model" refuses "truncated" "$SENT" classify --model "$TMP/truncated.smf"
check "a directory as model" refuses "not a regular file" "$SENT" classify --model "$TMP"
check "bad --batch" refuses "batch" "$SENT" classify --model "$MODEL" --batch 0
check "convert without --hf" refuses "usage" "$SENT" convert --out "$TMP/x.smf"
check "convert of a missing dir" refuses "config.json" "$SENT" convert --hf "$TMP/nothing" --out "$TMP/x.smf"
mkdir -p "$TMP/badcfg" && cp "$DIR"/{model.safetensors,vocab.txt} "$TMP/badcfg/"
sed 's/"dim": 32/"dim": 48/' "$DIR/config.json" > "$TMP/badcfg/config.json"
check "convert with a wrong dim" refuses "has shape" "$SENT" convert --hf "$TMP/badcfg" --out "$TMP/x.smf"
sed 's/"gelu"/"relu"/' "$DIR/config.json" > "$TMP/badcfg/config.json"
check "convert with relu" refuses "gelu" "$SENT" convert --hf "$TMP/badcfg" --out "$TMP/x.smf"
cp "$DIR/config.json" "$TMP/badcfg/config.json"
head -c 5000 "$DIR/model.safetensors" > "$TMP/badcfg/model.safetensors"
check "convert of a truncated safetensors" refuses "data_offsets\|does not fit" "$SENT" convert --hf "$TMP/badcfg" --out "$TMP/x.smf"
check "convert --quant bad" refuses "fp32 or int8" "$SENT" convert --hf "$DIR" --out "$TMP/x.smf" --quant int4

check_summary engine/cli
