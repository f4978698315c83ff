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

"$bin" train resume --out-dir "$tmp/run" 2>"$tmp/resume.log"
grep -q "resumed .* at step 6" "$tmp/resume.log" && grep -q "done: 6 steps" "$tmp/resume.log" \
    || { cat "$tmp/resume.log"; echo "FAIL: resume"; exit 1; }

"$bin" convert --hf "$tmp/run/hf" --out "$tmp/m.smf" --quant int8 --group 32 --max-len 32 --head 8 >/dev/null
out=$(echo "A wonderful, moving film." | "$bin" classify --model "$tmp/m.smf")
echo "$out" | grep -q '"label":"\(Positive\|Negative\)"' || { echo "FAIL: classify said $out"; exit 1; }
"$bin" eval --model "$tmp/m.smf" --data tests/data/imdb_test_sample.tsv.gz --json >"$tmp/eval.json"
grep -q '"reviews":1000,"failed":0' "$tmp/eval.json" || { cat "$tmp/eval.json"; echo "FAIL: eval"; exit 1; }
echo "pipeline: train -> hf export -> resume -> convert -> classify -> eval ok"
