#!/usr/bin/env bash
# The trainer's outputs feed the rest of the project: a tiny pretraining run, then a fine-tuning
# run from it, on the committed sample (a smoke test of the plumbing, not a model) must write log.csv, a checkpoint and a Hugging Face directory that `convert` turns into a
# model `classify` and `eval` can use; `train resume` of the finished run must do no more steps.
set -eu
cd "$(dirname "$0")/../.."
bin=build/sentiment
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

shape=(--layers 1 --dim 32 --heads 2 --hidden 64 --seq-len 32 --max-positions 32 --head-tokens 8)
"$bin" train pretrain --data tests/data/imdb_test_sample.tsv.gz --vocab weights/vocab.txt \
    --out-dir "$tmp/mlm" "${shape[@]}" --batch 8 --steps 4 --warmup 2 --valid-size 100 2>"$tmp/mlm.log"
grep -q "valid MLM loss" "$tmp/mlm.log" && grep -q '"vocab_projector.bias"' <(head -c 4000 "$tmp/mlm/hf/model.safetensors") \
    || { cat "$tmp/mlm.log"; echo "FAIL: pretraining"; exit 1; }

"$bin" train finetune --data tests/data/imdb_test_sample.tsv.gz --vocab weights/vocab.txt \
    --out-dir "$tmp/run" "${shape[@]}" --init "$tmp/mlm/checkpoint.bin" \
    --batch 8 --steps 6 --warmup 2 --valid-size 100 --log-every 2 2>"$tmp/log"
grep -q "initialised from $tmp/mlm/checkpoint.bin" "$tmp/log" || { cat "$tmp/log"; echo "FAIL: --init"; exit 1; }
grep -q "done: 6 steps" "$tmp/log" || { cat "$tmp/log"; echo "FAIL: training did not finish"; exit 1; }
for f in checkpoint.bin log.csv hf/model.safetensors hf/config.json hf/vocab.txt; do
    [ -s "$tmp/run/$f" ] || { echo "FAIL: $f missing"; exit 1; }
done
[ "$(grep -c '^[0-9]' "$tmp/run/log.csv")" -eq 4 ] || { cat "$tmp/run/log.csv"; echo "FAIL: log.csv rows"; exit 1; }
grep -q '"n_layers":	1' "$tmp/run/hf/config.json" || grep -q '"n_layers": 1' "$tmp/run/hf/config.json" \
    || { cat "$tmp/run/hf/config.json"; echo "FAIL: config.json"; exit 1; }

# skip-gram embeddings: a checkpoint of the same shape whose trained word vectors --init starts
# from; reviews are read at 64 pieces though the model holds 32 positions; resume refuses it
"$bin" train embed --data tests/data/imdb_test_sample.tsv.gz --vocab weights/vocab.txt --out-dir "$tmp/emb" \
    "${shape[@]}" --seq-len 64 --head-tokens 16 --valid-size 100 --epochs 2 --embed-std 0.2 \
    2>"$tmp/emb.log" || { cat "$tmp/emb.log"; echo "FAIL: embed"; exit 1; }
grep -q "embed: 900 reviews" "$tmp/emb.log" && grep -q "embed: epoch 2/2" "$tmp/emb.log" \
    && grep -q "done: .* word embeddings trained (std 0.200)" "$tmp/emb.log" || { cat "$tmp/emb.log"; echo "FAIL: embed log"; exit 1; }
"$bin" train finetune --data tests/data/imdb_test_sample.tsv.gz --vocab weights/vocab.txt --out-dir "$tmp/from-emb" \
    "${shape[@]}" --init "$tmp/emb/checkpoint.bin" --batch 8 --steps 2 --warmup 1 --valid-size 100 2>"$tmp/from-emb.log"
grep -q "initialised from $tmp/emb/checkpoint.bin (its step 0)" "$tmp/from-emb.log" && grep -q "done: 2 steps" "$tmp/from-emb.log" \
    || { cat "$tmp/from-emb.log"; echo "FAIL: finetune from embed"; exit 1; }
# a model with more positions starts from the same vectors: the 32 trained positions are copied
"$bin" train finetune --data tests/data/imdb_test_sample.tsv.gz --vocab weights/vocab.txt --out-dir "$tmp/from-emb48" \
    "${shape[@]}" --max-positions 48 --seq-len 48 --init "$tmp/emb/checkpoint.bin" --batch 8 --steps 1 --warmup 1 \
    --valid-size 100 2>"$tmp/from-emb48.log"
grep -q "has 32 positions and this model 48: 32 position embeddings copied" "$tmp/from-emb48.log" \
    && grep -q "done: 1 steps" "$tmp/from-emb48.log" || { cat "$tmp/from-emb48.log"; echo "FAIL: init across positions"; exit 1; }
if "$bin" train resume --out-dir "$tmp/emb" 2>"$tmp/emb-resume.log"; then echo "FAIL: resumed an embed result"; exit 1; fi
grep -q "embed result" "$tmp/emb-resume.log" || { cat "$tmp/emb-resume.log"; echo "FAIL: embed resume message"; exit 1; }

# distillation: an n-gram teacher fitted on the sample's training split labels the sample and an
# unlabelled copy of it; a student then trains on both (the copy through the teacher alone)
zcat tests/data/imdb_test_sample.tsv.gz | awk -F'\t' 'BEGIN { OFS = "\t" } NR > 1 { $2 = -1 } { print }' \
    | gzip -c >"$tmp/unsup.tsv.gz"
"$bin" train teacher fit --data tests/data/imdb_test_sample.tsv.gz --out "$tmp/teacher.bin" --valid-size 100 \
    --bits 18 >"$tmp/teacher.out" 2>&1 || { cat "$tmp/teacher.out"; echo "FAIL: teacher fit"; exit 1; }
/usr/bin/python3 - "$tmp/teacher.out" <<'PY' || { cat "$tmp/teacher.out"; echo "FAIL: teacher accuracy"; exit 1; }
import re, sys
acc = float(re.search(r"teacher validation: accuracy ([0-9.]+)%", open(sys.argv[1]).read()).group(1))
print(f"teacher: {acc:.1f}% on the sample's 100 validation reviews (fitted on 900)")
sys.exit(0 if acc >= 70 else 1)
PY
"$bin" train teacher label --teacher "$tmp/teacher.bin" --data tests/data/imdb_test_sample.tsv.gz,"$tmp/unsup.tsv.gz" \
    --out "$tmp/labels.tsv" 2>/dev/null
[ "$(wc -l <"$tmp/labels.tsv")" -eq 2001 ] && [ "$(grep -c '^unsup.tsv.gz	' "$tmp/labels.tsv")" -eq 1000 ] \
    || { head -3 "$tmp/labels.tsv"; echo "FAIL: teacher label"; exit 1; }
# a labelling that dies partway (its second file is missing) leaves no labels file, since the
# recipes take an existing one for a finished one
if "$bin" train teacher label --teacher "$tmp/teacher.bin" --data tests/data/imdb_test_sample.tsv.gz,"$tmp/missing.tsv.gz" \
    --out "$tmp/partial.tsv" 2>/dev/null || [ -e "$tmp/partial.tsv" ]; then
    echo "FAIL: a stopped teacher label left $tmp/partial.tsv (or succeeded)"; exit 1
fi
# an ensemble teacher: the shipped model file alone, then the mean of it and the n-gram model, on
# 200 of the sample's reviews; the mean must be exactly that, row for row
zcat tests/data/imdb_test_sample.tsv.gz | head -201 | gzip -c >"$tmp/two_hundred.tsv.gz"
"$bin" train teacher label --teacher "$tmp/teacher.bin" --data "$tmp/two_hundred.tsv.gz" --out "$tmp/ngram.tsv" \
    --valid-size 20 >/dev/null 2>&1
"$bin" train teacher label --model weights/sentiment.smf --data "$tmp/two_hundred.tsv.gz" --out "$tmp/model.tsv" \
    --valid-size 20 >"$tmp/model.out" 2>&1 || { cat "$tmp/model.out"; echo "FAIL: teacher label --model"; exit 1; }
"$bin" train teacher label --teacher "$tmp/teacher.bin" --model weights/sentiment.smf --data "$tmp/two_hundred.tsv.gz" \
    --out "$tmp/mean.tsv" --valid-size 20 >"$tmp/mean.out" 2>&1 || { cat "$tmp/mean.out"; echo "FAIL: ensemble label"; exit 1; }
/usr/bin/python3 - "$tmp" <<'PY' || { cat "$tmp/model.out" "$tmp/mean.out"; echo "FAIL: ensemble teacher"; exit 1; }
import re, sys
d = sys.argv[1]
read = lambda name: [line.rstrip("\n").split("\t") for line in open(f"{d}/{name}")]
ngram, model, mean = read("ngram.tsv"), read("model.tsv"), read("mean.tsv")
assert len(ngram) == len(model) == len(mean) == 201, (len(ngram), len(model), len(mean))
for a, b, m in zip(ngram[1:], model[1:], mean[1:]):
    assert a[:2] == b[:2] == m[:2], (a, b, m)
    assert abs(float(m[2]) - 0.5 * (float(a[2]) + float(b[2]))) <= 1e-6, (a, b, m)
agree = float(re.search(r"agrees with ([0-9.]+)%", open(f"{d}/model.out").read()).group(1))
assert re.search(r"teacher on the validation split: accuracy [0-9.]+% \([0-9]+ / 20\)", open(f"{d}/mean.out").read())
print(f"teacher label --model: the shipped model agrees with {agree:.1f}% of 200 test-sample labels; mean exact")
sys.exit(0 if agree >= 80 else 1)
PY
"$bin" train finetune --data tests/data/imdb_test_sample.tsv.gz,"$tmp/unsup.tsv.gz" --teacher "$tmp/labels.tsv" \
    --distill-alpha 0.3 --vocab weights/vocab.txt --out-dir "$tmp/distill" "${shape[@]}" --batch 8 --steps 3 \
    --warmup 1 --valid-size 100 2>"$tmp/distill.log"
grep -q "distillation: 900 labelled + 1000 unlabelled" "$tmp/distill.log" && grep -q "done: 3 steps" "$tmp/distill.log" \
    && [ -s "$tmp/distill/hf/model.safetensors" ] || { cat "$tmp/distill.log"; echo "FAIL: distillation"; exit 1; }
"$bin" train export --out-dir "$tmp/distill" >/dev/null && [ -s "$tmp/distill/hf-step3/model.safetensors" ] \
    || { echo "FAIL: train export"; exit 1; }

"$bin" train resume --out-dir "$tmp/run" 2>"$tmp/resume.log"
grep -q "resumed .* at step 6" "$tmp/resume.log" && grep -q "done: 6 steps" "$tmp/resume.log" \
    || { cat "$tmp/resume.log"; echo "FAIL: resume"; exit 1; }

"$bin" convert --hf "$tmp/run/hf" --out "$tmp/m.smf" --quant int8 --group 32 --max-len 32 --head 8 >/dev/null
out=$(echo "A wonderful, moving film." | "$bin" classify --model "$tmp/m.smf")
echo "$out" | grep -q '"label":"\(Positive\|Negative\)"' || { echo "FAIL: classify said $out"; exit 1; }
"$bin" eval --model "$tmp/m.smf" --data tests/data/imdb_test_sample.tsv.gz --json >"$tmp/eval.json"
grep -q '"reviews":1000,"failed":0' "$tmp/eval.json" || { cat "$tmp/eval.json"; echo "FAIL: eval"; exit 1; }
# Temperature scaling on the run's own validation split: the fitted log-loss is no worse than
# at T = 1, the file says its temperature, and the answers stay the same.
"$bin" train calibrate --model "$tmp/m.smf" --out "$tmp/cal.smf" --data tests/data/imdb_test_sample.tsv.gz \
    --valid-size 100 >"$tmp/cal.log"
awk '/^IMDb validation/ { seen = 1; if ($(NF - 2) + 1e-9 < $NF) bad = 1 } END { exit !(seen && !bad) }' "$tmp/cal.log" \
    && grep -q '^temperature [0-9.]* (fitted on 100 rows)' "$tmp/cal.log" && grep -aq '"calibration":{"temperature":' "$tmp/cal.smf" \
    || { cat "$tmp/cal.log"; echo "FAIL: calibrate"; exit 1; }
label() { echo "A wonderful, moving film. Not bad at all." | "$bin" classify --model "$1" | grep -o '"label":"[A-Za-z]*"'; }
[ "$(label "$tmp/m.smf")" = "$(label "$tmp/cal.smf")" ] || { echo "FAIL: calibrate changed an answer"; exit 1; }
# The hybrid: an n-gram model fitted on the sample's training split, the mix chosen on its 100
# validation reviews (a table of 21 shares); the file loads and says so in its metadata, a
# second n-gram model is refused, and calibrating it keeps the answers.
"$bin" train hybrid --model "$tmp/m.smf" --out "$tmp/hybrid.smf" --data tests/data/imdb_test_sample.tsv.gz \
    --valid-size 100 --bits 16 >"$tmp/hybrid.log" 2>"$tmp/hybrid.err" || { cat "$tmp/hybrid.log" "$tmp/hybrid.err"; echo "FAIL: train hybrid"; exit 1; }
[ "$(grep -c '^[01]\.[0-9][05] | [0-9.]*%$' "$tmp/hybrid.log")" -eq 21 ] && grep -q '^mix [01]\.[0-9]* (best on validation): IMDb validation' "$tmp/hybrid.log" \
    && grep -aq '"ngram":{"bucket_bits":16,"max_n":3,' "$tmp/hybrid.smf" || { cat "$tmp/hybrid.log"; echo "FAIL: hybrid output"; exit 1; }
out=$(echo "A wonderful, moving film." | "$bin" classify --model "$tmp/hybrid.smf")
echo "$out" | grep -q '"label":"\(Positive\|Negative\)"' || { echo "FAIL: classify on the hybrid said $out"; exit 1; }
if "$bin" train hybrid --model "$tmp/hybrid.smf" --out "$tmp/twice.smf" --data tests/data/imdb_test_sample.tsv.gz \
    --valid-size 100 --bits 16 >/dev/null 2>&1 || [ -e "$tmp/twice.smf" ]; then echo "FAIL: a second n-gram model was added"; exit 1; fi
"$bin" train calibrate --model "$tmp/hybrid.smf" --out "$tmp/hybrid-cal.smf" --data tests/data/imdb_test_sample.tsv.gz \
    --valid-size 100 >"$tmp/hybrid-cal.log" && [ "$(label "$tmp/hybrid.smf")" = "$(label "$tmp/hybrid-cal.smf")" ] \
    || { cat "$tmp/hybrid-cal.log"; echo "FAIL: calibrating the hybrid"; exit 1; }
echo "pipeline: train -> hf export -> embed -> teacher -> distillation -> resume -> convert -> classify -> eval -> calibrate -> hybrid ok"
