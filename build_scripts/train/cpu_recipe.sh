#!/usr/bin/env bash
# Reproduces the shipped model (weights/MODEL_CARD.md), in about an hour of one core here:
#   1. word-piece vectors by skip-gram on the texts of IMDb train + unsup (minus the 2,500
#      validation reviews), written into a fresh 2x128 model's word embeddings (~10 min; that
#      model has 256 positions, as in the shipped run, and step 3 copies them into its 512);
#   2. an NBSVM-style n-gram teacher fitted on the 22,500 training reviews (the trainer's split,
#      seed 2024), which labels train + unsup with P(positive) (~1 min);
#   3. the student, 512 tokens (128 from a review's start, the rest from its end), started from
#      step 1's checkpoint and trained on 72,500 reviews: the labelled ones against
#      0.5 * label + 0.5 * teacher, the unlabelled ones against the teacher alone;
#   4. the epoch with the best validation accuracy, as int8 (shipped) and fp32 model files,
#      evaluated on all 25,000 test reviews and on the CI sample.
#   bash build_scripts/train/cpu_recipe.sh [RUN_DIR]        (RUN_DIR default: build/train/model)
# Environment: DATA (default ../shared/data/imdb), THREADS (default 1: faster than 2 on this
# shared machine), STEPS (default 5000, batches of 32). A stage that stops is continued exactly by
# running the script again with the same RUN_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data/imdb}
THREADS=${THREADS:-1}
STEPS=${STEPS:-5000}
RUN=${1:-build/train/model}
make build/sentiment
mkdir -p "$RUN"
SHAPE=(--layers 2 --dim 128 --heads 2 --hidden 512 --max-positions 512)

[ -f "$RUN/embed/checkpoint.bin" ] ||
    build/sentiment train embed --data "$DATA/train.tsv.gz,$DATA/unsup.tsv.gz" --vocab weights/vocab.txt \
        --out-dir "$RUN/embed" "${SHAPE[@]}" --max-positions 256 --seq-len 1024 --head-tokens 256 --threads "$THREADS"

[ -f "$RUN/teacher-labels.tsv" ] || {
    build/sentiment train teacher fit --data "$DATA/train.tsv.gz" --out "$RUN/teacher.bin" | tee "$RUN/teacher.txt"
    build/sentiment train teacher label --teacher "$RUN/teacher.bin" --data "$DATA/train.tsv.gz,$DATA/unsup.tsv.gz" \
        --out "$RUN/teacher-labels.tsv"
}

source build_scripts/train/stage.sh
stage "$RUN/student" finetune --data "$DATA/train.tsv.gz,$DATA/unsup.tsv.gz" --teacher "$RUN/teacher-labels.tsv" \
    --distill-alpha 0.5 --vocab weights/vocab.txt --init "$RUN/embed/checkpoint.bin" \
    "${SHAPE[@]}" --seq-len 512 --head-tokens 128 --batch 32 --steps "$STEPS" --warmup 200 --lr 5e-4 \
    --log-every 20 --checkpoint-every 200

# the export after the epoch with the best validation accuracy (log.csv: step,epoch,...,valid_accuracy)
best=$(awk -F, 'NR > 1 && $9 != "" && $9 > best { best = $9; epoch = $2 } END { print epoch }' "$RUN/student/log.csv")
echo "best validation accuracy after epoch $best: converting $RUN/student/hf-epoch$best"
name="movie-sentiment (2x128, 512 tokens, distilled from an n-gram teacher on IMDb train + unsup)"
build/sentiment convert --hf "$RUN/student/hf-epoch$best" --out "$RUN/sentiment-fp32.smf" --quant fp32 --max-len 512 --head 128 --name "$name"
build/sentiment convert --hf "$RUN/student/hf-epoch$best" --out "$RUN/sentiment.smf" --quant int8 --max-len 512 --head 128 --name "$name"
for m in sentiment-fp32 sentiment; do
    build/sentiment eval --model "$RUN/$m.smf" --data "$DATA/test.tsv.gz" | tee "$RUN/$m-test.txt"
done
build/sentiment eval --model "$RUN/sentiment.smf" --data tests/data/imdb_test_sample.tsv.gz | tee "$RUN/sample.txt"
echo "model: $RUN/sentiment.smf (copy to weights/sentiment.smf to ship it)"
