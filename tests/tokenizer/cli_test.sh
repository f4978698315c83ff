#!/usr/bin/env bash
# `sentiment tokenize` as a program: options, errors, one output line per input line whatever
# happens to a line, lines without a final newline, and a 10 MB review (streamed untruncated,
# and head+tail truncated to 512). Ids themselves are checked by parity.sh and the unit tests.
set -u
cd "$(dirname "$0")/../.."
bin=build/sentiment
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source tests/check.sh

$bin tokenize --help >"$tmp/help" 2>&1
check "--help exits 0" test $? -eq 0
check "--help documents the empty line on errors" grep -q "empty line" "$tmp/help"

echo hi | $bin tokenize --bogus >/dev/null 2>&1
check "an unknown option exits 2" test $? -eq 2
echo hi | $bin tokenize --max-len 1 >/dev/null 2>&1
check "--max-len 1 exits 2" test $? -eq 2
echo hi | $bin tokenize --max-len 10 --head 9 --truncation head-tail >/dev/null 2>&1
check "--head over max-len - 2 exits 2" test $? -eq 2
echo hi | $bin tokenize --vocab "$tmp/missing.txt" >/dev/null 2>"$tmp/err"
check "a missing vocab exits 1" test $? -eq 1
check "a missing vocab is named" grep -q "missing.txt" "$tmp/err"
printf '\x00\x01' >"$tmp/bad_vocab.txt"
echo hi | $bin tokenize --vocab "$tmp/bad_vocab.txt" >/dev/null 2>"$tmp/err"
check "a corrupt vocab exits 1 with a reason" grep -q "NUL" "$tmp/err"

check "The movie was GREAT!" test "$(echo 'The movie was GREAT!' | $bin tokenize)" = "101 1996 3185 2001 2307 999 102"
check "--offsets prints id:start:end" test "$(echo 'Héllo!' | $bin tokenize --offsets)" = "101:0:0 7592:0:6 999:6:7 102:7:7"
check "a last line without newline is answered" test "$(printf 'a\nthe' | $bin tokenize | tail -n 1)" = "101 1996 102"
check "no input, no output" test -z "$(printf '' | $bin tokenize)"
check "an empty line is [CLS] [SEP]" test "$(printf '\n' | $bin tokenize)" = "101 102"
check "invalid UTF-8 is removed, not an error" test "$(printf 'the\xff movie\n' | $bin tokenize)" = "101 1996 3185 102"

# A line over --max-line-bytes: an error on stderr and an empty line; the others still answered.
printf 'the movie\n%s\ngreat\n' "$(head -c 100 /dev/zero | tr '\0' x)" | $bin tokenize --max-line-bytes 50 >"$tmp/out" 2>"$tmp/err"
check "a rejected line makes the exit status 1" test $? -eq 1
check "a rejected line leaves an empty line in its place" test "$(cat "$tmp/out")" = "$(printf '101 1996 3185 102\n\n101 2307 102')"
check "a rejected line is reported with its number" grep -q "line 2" "$tmp/err"

# 10 MB review: 1,048,576 x "the movie " = 2,097,152 pieces.
head -c 10485760 /dev/zero | tr '\0' x | sed 's/xxxxxxxxxx/the movie /g' >"$tmp/huge.txt"
echo >>"$tmp/huge.txt"
echo "great" >>"$tmp/huge.txt"
$bin tokenize <"$tmp/huge.txt" >"$tmp/out"
check "a 10 MB line streams all its pieces" test "$(head -n 1 "$tmp/out" | wc -w)" -eq $((2097152 + 2))
check "the line after a 10 MB line" test "$(tail -n 1 "$tmp/out")" = "101 2307 102"
$bin tokenize --max-len 512 --truncation head-tail --head 128 <"$tmp/huge.txt" >"$tmp/out"
check "a 10 MB line truncated head+tail has 512 ids" test "$(head -n 1 "$tmp/out" | wc -w)" -eq 512
check "head+tail ends with the text's end" test "$(head -n 1 "$tmp/out" | awk '{print $(NF-2), $(NF-1), $NF}')" = "1996 3185 102"
# Memory: the line (10 MB, its buffer grown by doubling) plus O(max_len), not O(tokens).
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$tmp/rss" $bin tokenize --max-len 512 --truncation head-tail <"$tmp/huge.txt" >/dev/null
    check "a 10 MB line needs under 40 MB (got $(cat "$tmp/rss") KB)" test "$(cat "$tmp/rss")" -lt 40000
fi

check_summary cli_test
