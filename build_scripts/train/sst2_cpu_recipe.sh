#!/usr/bin/env bash
# Continues the shipped model (weights/sentiment.smf) on SST-2's phrases next to IMDb, entirely in
# C on one CPU core: the route that moves the model where no GPU is at hand (weights/MODEL_CARD.md,
# "Continued on SST-2").
#   1. the n-gram teacher (common.sh's fit, same split), labelling the IMDb splits of
#      IMDB_SPLITS (~1 min for train); with TEACHER_MODEL set (a model file, e.g.
#      weights/sentiment.smf), the labels are the mean of the n-gram model's and that model's (an
#      ensemble teacher; ~3-6 min per 25,000 reviews on two cores);
#   2. fine-tuning from the shipped file's weights (int8, dequantized): every epoch takes the
#      35,643 leak-free SST-2 training rows and IMDB_PER_EPOCH of the IMDb training reviews
#      (22,500 labelled in train; with IMDB_SPLITS=train,unsup also the 50,000 unlabelled ones,
#      trained on the teacher alone), drawn afresh per epoch (labelled rows against 0.5 * label +
#      0.5 * teacher); validation on the 2,500 IMDb reviews and the 2,000 held-out SST-2
#      sentences after every epoch;
#   3. the epoch with the best mean of the two validation accuracies, as int8 and fp32 model
#      files, evaluated on all 25,000 IMDb test reviews and the CI sample (common.sh).
#   bash build_scripts/train/sst2_cpu_recipe.sh [RUN_DIR]      (RUN_DIR default: build/train/sst2)
# Environment: DATA (../shared/data/imdb), SST2 (../shared/data/sst2/train.tsv.gz), THREADS (1),
# EPOCHS (2), IMDB_PER_EPOCH (4000), LR (5e-5), TEACHER_MODEL (none), IMDB_SPLITS (train), SEED (the
# trainer's default; another one draws other IMDb reviews per epoch, for a second round from a
# model that saw the first draw). Running it again with the same RUN_DIR continues a stopped stage
# exactly.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data/imdb}
SST2=${SST2:-../shared/data/sst2/train.tsv.gz}
THREADS=${THREADS:-1}
EPOCHS=${EPOCHS:-2}
IMDB_PER_EPOCH=${IMDB_PER_EPOCH:-4000}
LR=${LR:-5e-5}
TEACHER_MODEL=${TEACHER_MODEL:-}
IMDB_SPLITS=${IMDB_SPLITS:-train}
SEED=${SEED:-}
IMDB_FILES=$(for s in ${IMDB_SPLITS//,/ }; do printf '%s,' "$DATA/$s.tsv.gz"; done)
IMDB_FILES=${IMDB_FILES%,}
RUN=${1:-build/train/sst2}
make build/sentiment
mkdir -p "$RUN"
source build_scripts/train/common.sh
source build_scripts/train/stage.sh

[ -f "$RUN/teacher.bin" ] ||
    build/sentiment train teacher fit --data "$DATA/train.tsv.gz" --out "$RUN/teacher.bin" | tee "$RUN/teacher.txt"
[ -f "$RUN/teacher-labels-${IMDB_SPLITS//,/-}.tsv" ] ||
    build/sentiment train teacher label --teacher "$RUN/teacher.bin" ${TEACHER_MODEL:+--model "$TEACHER_MODEL"} \
        --data "$IMDB_FILES" --out "$RUN/teacher-labels-${IMDB_SPLITS//,/-}.tsv" | tee "$RUN/teacher-labels.txt"

stage "$RUN/student" finetune --data "$IMDB_FILES" --sst2 "$SST2" --imdb-per-epoch "$IMDB_PER_EPOCH" \
    --teacher "$RUN/teacher-labels-${IMDB_SPLITS//,/-}.tsv" --distill-alpha 0.5 --vocab weights/vocab.txt --init weights/sentiment.smf \
    --layers 4 --dim 256 --heads 4 --hidden 1024 --max-positions 512 --seq-len 512 --head-tokens 128 \
    --batch 32 --epochs "$EPOCHS" --warmup 100 --lr "$LR" ${SEED:+--seed "$SEED"} --log-every 20 --checkpoint-every 100

# log.csv: step,epoch,...,valid_loss($8),valid_accuracy($9),train_accuracy,sst2_valid_loss,sst2_valid_accuracy($12)
best=$(awk -F, 'NR > 1 && $9 != "" { m = ($9 + $12) / 2; if (m > best) { best = m; epoch = $2 } } END { print epoch }' \
    "$RUN/student/log.csv")
echo "best mean validation accuracy (IMDb, SST-2) after epoch $best: converting $RUN/student/hf-epoch$best"
convert_models "$RUN/student/hf-epoch$best" "$RUN" "movie-sentiment (4x256, 512 tokens, continued on SST-2 + IMDb)"
evaluate_models "$RUN"
