#!/usr/bin/env bash
# `sentiment classify` against hostile input as a program: a stdin stream with bad lines among
# good ones (empty, blank, Unicode-only spaces, controls, bidi only, NUL inside, 2 MB) answers
# every line in order, the bad ones with their error object; invalid UTF-8, a BOM and bidi
# controls are classified; a missing, truncated, mislabelled or corrupt model is fatal: non-zero
# exit and a message naming the problem. Uses the shipped model (weights/sentiment.smf).
set -uo pipefail
cd "$(dirname "$0")/../.."
SENT=build/sentiment
MODEL=weights/sentiment.smf
TMP=build/test-artifacts/engine/hostile
mkdir -p "$TMP"
source tests/check.sh
[ -f "$MODEL" ] || { echo "hostile_cli: $MODEL missing"; exit 1; }

{
    echo "A wonderful film, I loved it."                  # 1 good
    echo ""                                               # 2 empty
    printf '\xc2\xa0\xe3\x80\x80\n'                       # 3 no-break and ideographic spaces only
    printf '\x01\x02\x1b\n'                               # 4 controls only
    printf '\xe2\x80\xae\xe2\x81\xa6\xe2\x80\xac\n'       # 5 bidi controls only
    printf 'good \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82 \x80 film\n'   # 6 ill-formed UTF-8: classified
    printf '\xef\xbb\xbfA dull, boring film.\n'           # 7 BOM: classified
    printf 'great \xe2\x80\xaefilm\xe2\x80\xac\n'         # 8 bidi inside: classified
    printf 'nul\0inside a great film\n'                   # 9 NUL byte: classified
    head -c 2097152 /dev/zero | tr '\0' 'a'; echo         # 10 over the 1 MB limit
    echo "Terrible. I walked out."                        # 11 good
} > "$TMP/in.txt"
"$SENT" classify --model "$MODEL" --batch 4 < "$TMP/in.txt" > "$TMP/out.jsonl" 2> "$TMP/err.txt"
check "classify exits 0 with bad lines" test $? -eq 0
check "one answer per line" test "$(wc -l < "$TMP/out.jsonl")" -eq 11
line() { sed -n "${1}p" "$TMP/out.jsonl"; }
for i in 1 6 7 8 9 11; do check "line $i answered" grep -q '^{"label":"\(Positive\|Negative\)"' <(line $i); done
for i in 2 3 4 5; do check "line $i: no words" grep -q '^{"error":"text has no words to classify"}$' <(line $i); done
check "line 10: the size limit" grep -q '^{"error":"text is 2097152 bytes; the limit is 1048576"}$' <(line 10)
check "line 1 positive, line 11 negative" test "$(line 1 | cut -c1-19)$(line 11 | cut -c1-19)" = '{"label":"Positive"{"label":"Negative"'

# Fatal: the model itself.
fatal() {  # fatal DESCRIPTION PATTERN MODEL: classify exits non-zero with a message matching PATTERN
    local out rc
    out=$(echo "a great film" | "$SENT" classify --model "$3" 2>&1 >/dev/null); rc=$?
    if [ $rc -ne 0 ] && grep -q "$2" <<< "$out"; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAIL $1 (exit $rc): $out"; fi
}
fatal "missing model" "cannot open" "$TMP/no-such.smf"
fatal "model is a directory" "not a regular file" "$TMP"
: > "$TMP/empty.smf"; fatal "empty model" "too short" "$TMP/empty.smf"
head -c 100000 "$MODEL" > "$TMP/truncated.smf"; fatal "truncated model" "truncated" "$TMP/truncated.smf"
{ printf 'NOTSMF!!'; tail -c +9 "$MODEL"; } > "$TMP/magic.smf"; fatal "wrong magic" "bad magic" "$TMP/magic.smf"
cp "$MODEL" "$TMP/flipped.smf" && printf '\x55' | dd of="$TMP/flipped.smf" bs=1 seek=5000000 conv=notrunc status=none
fatal "flipped byte" "checksum mismatch" "$TMP/flipped.smf"
printf 'hello\n' > "$TMP/text.smf"; fatal "a text file" "too short\|bad magic" "$TMP/text.smf"

check_summary hostile_cli
