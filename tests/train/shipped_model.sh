#!/usr/bin/env bash
# The shipped model scores what weights/MODEL_CARD.md says on the committed 1,000-review IMDb test
# sample (tests/data/imdb_test_sample.tsv.gz, made by build_scripts/data/make_test_sample.sh), within
# half a point: a changed engine, kernel or model file that costs accuracy fails here.
set -eu
cd "$(dirname "$0")/../.."
EXPECTED_ACCURACY=92.70  # percent, measured with build/sentiment eval (see the model card)
TOLERANCE=0.5
model=weights/sentiment.smf
[ -f "$model" ] || { echo "FAIL: $model is missing"; exit 1; }
json=$(build/sentiment eval --model "$model" --data tests/data/imdb_test_sample.tsv.gz --json)
echo "$json"
/usr/bin/python3 - "$json" "$EXPECTED_ACCURACY" "$TOLERANCE" <<'PY'
import json, sys
r, expected, tol = json.loads(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
got = 100 * r["accuracy"]
ok = r["reviews"] == 1000 and r["failed"] == 0 and abs(got - expected) <= tol
print(f"shipped model: {got:.2f}% on the sample, documented {expected:.2f}% (+-{tol}): {'ok' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
