#!/usr/bin/env bash
# Makes tests/data/imdb_test_sample.tsv.gz, the committed sample that the shipped-model test
# scores: 500 negative and 500 positive reviews of the IMDb *test* split, drawn with Python's
# random.Random(20241126).sample from each label's rows (in file order), written in file order
# with the same header and escapes as the source, gzip level 9 with mtime 0 (reproducible bytes).
#   bash build_scripts/data/make_test_sample.sh [../shared/data/imdb/test.tsv.gz] [tests/data/imdb_test_sample.tsv.gz]
set -euo pipefail
cd "$(dirname "$0")/../.."
src=${1:-../shared/data/imdb/test.tsv.gz}
out=${2:-tests/data/imdb_test_sample.tsv.gz}
/usr/bin/python3 - "$src" "$out" <<'PY'
import gzip, random, sys
src, out = sys.argv[1], sys.argv[2]
with gzip.open(src, "rt", encoding="utf-8", newline="\n") as f:
    lines = f.read().split("\n")
header, rows = lines[0], [l for l in lines[1:] if l]
label_col = header.split("\t").index("label")
by_label = {"0": [], "1": []}
for i, row in enumerate(rows):
    by_label[row.split("\t")[label_col]].append(i)
rng = random.Random(20241126)
chosen = sorted(rng.sample(by_label["0"], 500) + rng.sample(by_label["1"], 500))
data = (header + "\n" + "".join(rows[i] + "\n" for i in chosen)).encode("utf-8")
with open(out, "wb") as f:
    with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0, filename="") as g:
        g.write(data)
print(f"{out}: {len(chosen)} reviews from {src}")
PY
