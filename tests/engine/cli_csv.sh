#!/usr/bin/env bash
# `sentiment classify --input FILE`: CSV, TSV and one-review-per-line files in, a CSV out with the
# input's columns kept and label, positive, tokens, truncated, error added. The page's own reader
# and writer (web/csv.js, under node) read our output back: the input's fields come back as the
# page reads the input, and the bytes are what the page would write. Bad rows (wrong field count,
# empty text, over the size limit, a quote never closed) get their error and cost their
# neighbours nothing; --column and its errors; fatal errors exit non-zero; --threads 3 writes the
# bytes --threads 1 writes on 100 IMDb reviews, with the stdin filter's labels and probabilities.
set -uo pipefail
cd "$(dirname "$0")/../.."
SENT=build/sentiment
TMP=build/test-artifacts/engine/cli-csv
rm -rf "$TMP" && mkdir -p "$TMP"
source tests/check.sh
[ -f weights/sentiment.smf ] || { echo "cli_csv: weights/sentiment.smf is missing"; exit 1; }
field() { python3 -c 'import csv,sys; csv.field_size_limit(1 << 30); r=list(csv.reader(open(sys.argv[1],newline="",encoding="utf-8"))); print(r[int(sys.argv[2])][int(sys.argv[3])])' "$@"; }

# --- a CSV with every feature of the dialect -------------------------------------------------
# BOM, CRLF, quoted commas, doubled quotes, a line break inside a field, an empty text, a unicode
# review, a blank line (skipped, as the page skips it) and a row with too many fields mid-file.
printf '\xEF\xBB\xBFid,review,note\r\n' > "$TMP/mixed.csv"
printf '1,"A wonderful film, moving and ""superb"" acting.",first\r\n' >> "$TMP/mixed.csv"
printf '2,"Dull and far too long.\nA waste of two hours.",\r\n' >> "$TMP/mixed.csv"
printf '3,too,many,fields\r\n' >> "$TMP/mixed.csv"
printf '4,,empty text\r\n\r\n' >> "$TMP/mixed.csv"
printf '5,"Caf\xC3\xA9 na\xC3\xAFve \xE2\x80\x94 I loved every minute \xF0\x9F\x8E\xAC",unicode\n' >> "$TMP/mixed.csv"
printf '6,Great acting and a clever plot.,"last, no line break"' >> "$TMP/mixed.csv"
"$SENT" classify --input "$TMP/mixed.csv" --output "$TMP/mixed.out.csv" 2> "$TMP/mixed.err"
check "mixed csv exits 0" test $? -eq 0
check "no stderr when stderr is not a terminal" test ! -s "$TMP/mixed.err"
check "header kept, answer columns added" test "$(head -n1 "$TMP/mixed.out.csv")" = $'id,review,note,label,positive,tokens,truncated,error\r'

# The page reads our output: input fields as it reads the input, the answers where they belong,
# and formatDelimited of what it read is our output byte for byte.
cat > "$TMP/page_check.mjs" <<'EOF'
import { readFileSync } from 'node:fs';
import { parseDelimited, formatDelimited } from '../../../../web/csv.js';
const [input, output, delimiter] = process.argv.slice(2);
const rows = parseDelimited(readFileSync(input, 'utf8'), delimiter).rows;
const outText = readFileSync(output, 'utf8');
const out = parseDelimited(outText, ',').rows;
const header = rows[0];
const body = rows.slice(1).filter((r) => !(r.length === 1 && r[0].trim() === ''));
const fail = (m) => { console.log(m); process.exit(1); };
if (JSON.stringify(out[0]) !== JSON.stringify([...header, 'label', 'positive', 'tokens', 'truncated', 'error'])) fail(`header ${out[0]}`);
if (out.length !== body.length + 1) fail(`${out.length - 1} output rows for ${body.length} input rows`);
body.forEach((r, i) => {
    const o = out[i + 1];
    const want = header.map((_, c) => r[c] ?? '');
    if (JSON.stringify(o.slice(0, header.length)) !== JSON.stringify(want)) fail(`row ${i + 1}: ${JSON.stringify(o)} vs ${JSON.stringify(want)}`);
    const [label, positive, tokens, truncated, error] = o.slice(header.length);
    const answered = /^(Positive|Negative)$/.test(label) && /^[01]\.\d{6}$/.test(positive) && /^\d+$/.test(tokens) && /^(true|false)$/.test(truncated) && error === '';
    const refused = label === '' && positive === '' && tokens === '' && truncated === '' && error !== '';
    if (!answered && !refused) fail(`row ${i + 1}: answer columns ${JSON.stringify(o.slice(header.length))}`);
});
if (formatDelimited(out) !== outText) fail('formatDelimited of the output is not the output');
console.log(`ok ${body.length}`);
EOF
check "the page's reader/writer agree with ours (csv)" node "$TMP/page_check.mjs" "$TMP/mixed.csv" "$TMP/mixed.out.csv" ','
col() { field "$TMP/mixed.out.csv" "$1" "$2"; }
check "row 1 positive" test "$(col 1 3)" = Positive
check "row 2 (line break inside) negative" test "$(col 2 3)" = Negative
check "row 2 keeps its line break" test "$(col 2 1)" = $'Dull and far too long.\nA waste of two hours.'
check "too many fields: an error naming the line" test "$(col 3 7)" = "line 5: 4 fields; the header has 3"
check "too many fields: no answer" test -z "$(col 3 3)$(col 3 4)$(col 3 5)$(col 3 6)"
check "empty text: its error" test "$(col 4 7)" = "text has no words to classify"
check "unicode review answered" test "$(col 5 3)" = Positive
check "the row after the bad ones answered" test "$(col 6 3)" = Positive
check "last row without a line break kept" test "$(col 6 2)" = "last, no line break"

# The same texts through the stdin filter: the same labels and probabilities.
for r in 1 5 6; do col "$r" 1; done > "$TMP/mixed.txt"
"$SENT" classify < "$TMP/mixed.txt" | sed 's/.*"label":"\([A-Za-z]*\)","positive":\([0-9.]*\).*/\1 \2/' > "$TMP/mixed.filter"
for r in 1 5 6; do echo "$(col "$r" 3) $(col "$r" 4)"; done > "$TMP/mixed.table"
check "labels and probabilities equal the stdin filter's" cmp -s "$TMP/mixed.filter" "$TMP/mixed.table"

# A review over the engine's size limit gets the engine's error; a quote never closed (up to the
# end of the file: a later quote would close it, for the page too) gets its error, and the lines
# after the one it opened on are read and answered.
{
    printf 'id,text\n1,A fine film.\n2,'
    head -c 1100000 /dev/zero | tr '\0' 'a'
    printf '\n3,A lovely little film.\n4,"this quote is never closed\n5,A dreadful film.\n'
} > "$TMP/bad.csv"
"$SENT" classify --input "$TMP/bad.csv" --output "$TMP/bad.out.csv"
check "bad rows: exit 0" test $? -eq 0
bad() { field "$TMP/bad.out.csv" "$1" "$2"; }
check "bad rows: five answers" test "$(python3 -c 'import csv,sys; csv.field_size_limit(1 << 30); print(len(list(csv.reader(open(sys.argv[1],newline="")))))' "$TMP/bad.out.csv")" -eq 6
check "before the bad rows: answered" test "$(bad 1 2)" = Positive
check "over the size limit: the engine's error" grep -q '^text is 1100000 bytes; the limit is' <(bad 2 6)
check "after the long row: answered" test "$(bad 3 2)" = Positive
check "quote never closed: its error" test "$(bad 4 6)" = "line 5: a quoted field is never closed"
check "quote never closed: the next line answered" test "$(bad 5 0),$(bad 5 2)" = "5,Negative"

# --- TSV: tabs, quoted the same way; default column 'Review' in any case ------------------------
printf 'Review\tid\n"Loved it\tevery minute of it."\t1\nTerrible, boring and badly acted.\t2\n' > "$TMP/in.tsv"
"$SENT" classify --input "$TMP/in.tsv" --output "$TMP/tsv.out.csv"
check "tsv exits 0" test $? -eq 0
check "the page's reader/writer agree with ours (tsv)" node "$TMP/page_check.mjs" "$TMP/in.tsv" "$TMP/tsv.out.csv" $'\t'
check "tsv: quoted tab kept" test "$(field "$TMP/tsv.out.csv" 1 0)" = $'Loved it\tevery minute of it.'
check "tsv: labels" test "$(field "$TMP/tsv.out.csv" 1 2) $(field "$TMP/tsv.out.csv" 2 2)" = "Positive Negative"

# --- TXT: one review per line; blank lines skipped, line numbers kept; stdin with --format -----
printf 'A wonderful film.\r\n\nDull and far too long.\n' > "$TMP/in.txt"
"$SENT" classify --input "$TMP/in.txt" --output "$TMP/txt.out.csv"
check "txt exits 0" test $? -eq 0
check "txt output" test "$(cut -d, -f1-4 "$TMP/txt.out.csv" | tr -d '\r')" = $'line,text,label,positive\n1,A wonderful film.,Positive,'"$(field "$TMP/txt.out.csv" 1 3)"$'\n3,Dull and far too long.,Negative,'"$(field "$TMP/txt.out.csv" 2 3)"
"$SENT" classify --input - --format txt < "$TMP/in.txt" > "$TMP/txt.stdin.csv"
check "stdin (--input - --format txt) = the file" cmp -s "$TMP/txt.out.csv" "$TMP/txt.stdin.csv"

# --- --column, and the errors that stop a run -----------------------------------------------------
printf 'title,body,stars\nA,An outstanding and moving film.,5\nB,Awful.,1\n' > "$TMP/cols.csv"
"$SENT" classify --input "$TMP/cols.csv" --column body --output "$TMP/cols.out.csv"
check "--column body" test "$(field "$TMP/cols.out.csv" 1 3) $(field "$TMP/cols.out.csv" 2 3)" = "Positive Negative"
expect_fail() {  # expect_fail DESCRIPTION MESSAGE-REGEX ARGS...: non-zero exit and the message on stderr
    local what=$1 re=$2; shift 2
    "$SENT" classify "$@" > "$TMP/fail.out" 2> "$TMP/fail.err"
    local rc=$?
    check "$what: non-zero exit" test $rc -ne 0
    check "$what: message" grep -qE -e "$re" "$TMP/fail.err"
}
expect_fail "no such column" "no column named 'stars2'; its columns are: 'title', 'body', 'stars'" \
    --input "$TMP/cols.csv" --column stars2 --output "$TMP/never.csv"
check "no such column: no output file" test ! -e "$TMP/never.csv"
expect_fail "no text column" "no column named text or review; pass --column NAME, one of: 'title', 'body', 'stars'" \
    --input "$TMP/cols.csv"
expect_fail "missing input" "cannot open $TMP/nothing.csv" --input "$TMP/nothing.csv"
expect_fail "unknown extension" "pass --format" --input "$TMP/mixed.err"
expect_fail "empty csv" "needs a header row" --input /dev/null --format csv
cp "$TMP/cols.csv" "$TMP/same.csv"
expect_fail "output = input" "is the input file" --input "$TMP/same.csv" --output "$TMP/same.csv"
check "output = input: input intact" cmp -s "$TMP/cols.csv" "$TMP/same.csv"
expect_fail "--threads without --input" "need --input" --threads 2
expect_fail "--threads out of range" "--threads" --input "$TMP/cols.csv" --threads 100000

# --- progress on a terminal only --------------------------------------------------------------
if command -v script >/dev/null; then
    script -qec "$SENT classify --input $TMP/in.txt --output $TMP/tty.csv" /dev/null > "$TMP/tty.log"
    check "progress line on a terminal" grep -q 'classify: 2 rows, [0-9.]* rows/s' "$TMP/tty.log"
fi

# --- 100 IMDb reviews: --threads 3 = --threads 1 = the stdin filter ---------------------------
# The TSV.gz escapes (\\ \t \n \r) decoded into real CSV fields; the same texts one per line.
python3 - "$TMP" <<'EOF'
import csv, gzip, sys
out = sys.argv[1]
rows = []
with gzip.open('tests/data/imdb_test_sample.tsv.gz', 'rt', encoding='utf-8') as f:
    f.readline()
    for line in f:
        if len(rows) == 100: break
        id_, label, rating, text = line.rstrip('\n').split('\t')
        text = text.replace('\\\\', '\0').replace('\\t', '\t').replace('\\n', '\n').replace('\\r', '\r').replace('\0', '\\')
        assert '\n' not in text and '\r' not in text
        rows.append((id_, label, text))
with open(f'{out}/reviews.csv', 'w', newline='', encoding='utf-8') as f:
    w = csv.writer(f, lineterminator='\r\n'); w.writerow(['id', 'label', 'text']); w.writerows(rows)
with open(f'{out}/reviews.txt', 'w', encoding='utf-8') as f:
    f.writelines(r[2] + '\n' for r in rows)
EOF
"$SENT" classify --input "$TMP/reviews.csv" --output "$TMP/t1.csv" --threads 1
"$SENT" classify --input "$TMP/reviews.csv" --output "$TMP/t3.csv" --threads 3
check "100 reviews answered" test "$(grep -c ',\(Positive\|Negative\),' "$TMP/t1.csv")" -eq 100
check "--threads 3 output = --threads 1 output" cmp -s "$TMP/t1.csv" "$TMP/t3.csv"
"$SENT" classify < "$TMP/reviews.txt" | sed 's/.*"label":"\([A-Za-z]*\)","positive":\([0-9.]*\),.*"tokens":\([0-9]*\),"truncated":\([a-z]*\).*/\1,\2,\3,\4/' > "$TMP/filter.txt"
python3 -c 'import csv,sys; [print(",".join(r[3:7])) for r in list(csv.reader(open(sys.argv[1],newline="",encoding="utf-8")))[1:]]' "$TMP/t1.csv" > "$TMP/table.txt"
check "labels, probabilities, tokens, truncated = the stdin filter's" cmp -s "$TMP/filter.txt" "$TMP/table.txt"

check_summary cli_csv
