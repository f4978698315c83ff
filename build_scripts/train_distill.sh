#!/usr/bin/env bash
# Distillation from an n-gram teacher (weights/MODEL_CARD.md, "How it was trained"): an
# NBSVM-style teacher is fitted on the trainer's 22,500 training reviews (the same split, seed
# 2024, so the 2,500 validation reviews stay unseen by both) and labels IMDb train + unsup with
# P(positive); the first model's shape (2x128, 256 tokens, head 64) is then trained on all 72,500
# training reviews, the 50,000 unlabelled ones through the teacher's probabilities alone, for
# 2,000 steps of 32 (0.88 epoch, sized to the hour this machine allowed). Converted to fp32 and
# int8 and evaluated on all 25,000 test reviews.
#   bash build_scripts/train_distill.sh [RUN_DIR]        (RUN_DIR default: build/train/distill)
# Environment: DATA (default ../shared/data/imdb), THREADS (default 1: faster than 2 here), STEPS (default 2000).
# A run that stops can be continued exactly with: build/sentiment train resume --out-dir RUN_DIR/student
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/imdb}
THREADS=${THREADS:-1}
STEPS=${STEPS:-2000}
RUN=${1:-build/train/distill}
make build/sentiment
mkdir -p "$RUN"

build/sentiment teacher fit --data "$DATA/train.tsv.gz" --out "$RUN/teacher.bin" | tee "$RUN/teacher.txt"
build/sentiment teacher label --teacher "$RUN/teacher.bin" --data "$DATA/train.tsv.gz,$DATA/unsup.tsv.gz" \
    --out "$RUN/teacher-labels.tsv"

build/sentiment train finetune --data "$DATA/train.tsv.gz,$DATA/unsup.tsv.gz" --teacher "$RUN/teacher-labels.tsv" \
    --distill-alpha 0.5 --vocab weights/vocab.txt --out-dir "$RUN/student" \
    --layers 2 --dim 128 --heads 2 --hidden 512 --seq-len 256 --head-tokens 64 \
    --batch 32 --steps "$STEPS" --warmup 200 --lr 5e-4 --threads "$THREADS" --log-every 20 --checkpoint-every 250

name="movie-sentiment (2x128, distilled from an n-gram teacher on IMDb train + unsup)"
build/sentiment convert --hf "$RUN/student/hf" --out "$RUN/sentiment-fp32.smf" --quant fp32 --max-len 256 --head 64 --name "$name"
build/sentiment convert --hf "$RUN/student/hf" --out "$RUN/sentiment.smf" --quant int8 --max-len 256 --head 64 --name "$name"
for m in sentiment-fp32 sentiment; do
    build/sentiment eval --model "$RUN/$m.smf" --data "$DATA/test.tsv.gz" | tee "$RUN/$m-test.txt"
done
build/sentiment eval --model "$RUN/sentiment.smf" --data tests/data/imdb_test_sample.tsv.gz | tee "$RUN/sample.txt"
echo "model: $RUN/sentiment.smf (copy to weights/sentiment.smf to ship it)"
