#!/usr/bin/env bash
# A longer CPU recipe, not the one behind a shipped model (weights/MODEL_CARD.md, "Next"): in C,
# masked-LM pretraining of a 4x256 model at 256 tokens on the texts of IMDb train + unsup (75,000
# reviews; never test), then fine-tuning from it on the labelled reviews, int8 conversion and a
# test evaluation. Hours to days of one core, so both stages checkpoint into RUN_DIR (keep it
# outside the repository) and continue exactly where they stopped:
#   bash build_scripts/train/pretrain_cpu.sh RUN_DIR          start, or continue, both stages
#   build/sentiment train resume --out-dir RUN_DIR/mlm    what the script does for a stopped stage
# Environment: DATA (default ../shared/data/imdb), THREADS (default 1), MLM_EPOCHS (default 10).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN=${1:?usage: pretrain_cpu.sh RUN_DIR}
DATA=${DATA:-../shared/data/imdb}
THREADS=${THREADS:-1}
MLM_EPOCHS=${MLM_EPOCHS:-10}
SHAPE=(--layers 4 --dim 256 --heads 4 --hidden 1024 --seq-len 256 --max-positions 256 --head-tokens 64)
make build/sentiment
mkdir -p "$RUN"

source build_scripts/train/stage.sh

stage "$RUN/mlm" pretrain --data "$DATA/train.tsv.gz,$DATA/unsup.tsv.gz" --vocab weights/vocab.txt \
    "${SHAPE[@]}" --batch 32 --epochs "$MLM_EPOCHS" --warmup 2000 --lr 5e-4 --valid-size 1000 \
    --checkpoint-every 100
stage "$RUN/finetune" finetune --data "$DATA/train.tsv.gz" --vocab weights/vocab.txt --init "$RUN/mlm/checkpoint.bin" \
    "${SHAPE[@]}" --batch 32 --epochs 3 --warmup 200 --lr 1e-4
build/sentiment convert --hf "$RUN/finetune/hf" --out "$RUN/sentiment.smf" --quant int8
build/sentiment eval --model "$RUN/sentiment.smf" --data "$DATA/test.tsv.gz" | tee "$RUN/test.txt"
