#!/usr/bin/env bash
# The GPU stage of the model (weights/MODEL_CARD.md, "The next GPU run"): the data and the n-gram
# teacher are made here in C; on a lent GPU machine the trainer's PyTorch mirror
# (build_scripts/train/torch_mirror.py) trains, in ONE call of at most 540 s, a 6 x 512 teacher
# (masked-LM pretraining on every training text, then fine-tuning on the IMDb + SST-2 labels with
# adversarial and virtual adversarial perturbations of the word embeddings), labels every row with
# it, and distils the 4 x 256 student from its probabilities and the labels; the outputs come
# back here, where the C engine converts, checks and evaluates them as it does any model of the
# C trainer. GPU runs are not bit-for-bit repeatable (bf16, non-deterministic kernels).
#   bash build_scripts/train/gpu_recipe.sh pack RUN                  here: RUN/pack.bin.xz, RUN/pack-sst2.bin.xz
#   bash build_scripts/train/gpu_recipe.sh train PACK SST2PACK OUT [OPTIONS]   on the GPU machine
#   bash build_scripts/train/gpu_recipe.sh assemble OUT RUN          here: OUT's parts -> model files, checked
#   bash build_scripts/train/gpu_recipe.sh finish OUT RUN            here: assemble, then evaluate on IMDb test + SST-2
# OPTIONS are torch_mirror.py options that override the recipe's (the test's tiny shapes).
# Environment: DATA (default ../shared/data/imdb), SST2 (default ../shared/data/sst2/train.tsv.gz),
# PY (default python3; here /usr/bin/python3 is the one with torch).
#
# Time (the `train` call; the lent machine's 15 minutes also pay for its start and the transfers).
# Shares are of the time left when a stage starts, so time a stage does not use goes to the next;
# each stage stops at the first step past its share and its learning rate reaches 0 there. The
# seconds are what the shares give if every stage uses all of its own (not measured yet):
#   | what                                                        | share | seconds |
#   | the `run` call's limit (timeout_s)                          |       |     540 |
#   | hard stop of the mirror (timeout), then logs.tar.xz         |       | 525, 15 |
#   | the mirror's budget (--budget-seconds), from its start      |       |     500 |
#   |   start: torch, CUDA, reading + unpacking both packs        |       |    ~ 20 |
#   |   teacher MLM, 6 x 512, batches of 128, on all 108k texts   |  40 % |     180 |
#   |   teacher fine-tuning, AT + VAT (+ 32 unlabelled a step)    |  15 % |      68 |
#   |   teacher labels every row of both packs (+ ship it)        |   5 % |      23 |
#   |   student MLM, 4 x 256, batches of 128                      |  20 % |      90 |
#   |   student distillation on teacher + labels, batches of 32   |  20 % |      90 |
#   |   kept back (--budget-reserve): epoch-end evaluations past a |       |      30 |
#   |   deadline, exports, writing the outputs                    |       |         |
# Outputs (OUT; the machine returns at most 8 files of at most 16 MiB, 64 MiB in all):
#   | file                                    | what                                          |  MB  | files |
#   | student.safetensors.000-001             | the student, bf16, split                      | 22.3 |     2 |
#   | teacher-int8.safetensors.000-002        | the teacher, int8 (a scale per 64), split     | 37.3 |     3 |
#   | teacher-probs.f16                       | its P(positive) on all 112k rows, float16     |  0.2 |     1 |
#   | logs.tar.xz                             | the CSV logs and the mirror's output          | <0.1 |     1 |
#   | in all                                  | (limit 67.1 MB, 8 files)                      | 59.9 |     7 |
# The teacher does not fit in bf16 (35.1 M parameters, 70.1 MB, more than the limit with the
# student); int8 with a scale per 64 weights is the engine's own int8 format, within 0.01 point of
# fp32 for the shipped model, and `sentiment convert` makes a model file of it here. The student's
# MLM checkpoint is not kept: the distilled student holds the same encoder, further trained.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data/imdb}
SST2=${SST2:-../shared/data/sst2/train.tsv.gz}
PY=${PY:-python3}
name="movie-sentiment (4x256, 512 tokens, distilled from a 6x512 teacher on IMDb + SST-2)"
source build_scripts/train/common.sh

case "${1:-}" in
pack)
    RUN=$2
    make build/sentiment
    mkdir -p "$RUN"
    fit_teacher "$RUN"
    build/sentiment train pack --data "$DATA/train.tsv.gz,$DATA/unsup.tsv.gz" --vocab weights/vocab.txt \
        --out-dir "$RUN/pack" --seq-len 512 --head-tokens 128 --max-positions 512 --teacher "$RUN/teacher-labels.tsv" \
        --sst2 "$SST2"
    for p in pack pack-sst2; do xz -T2 -6 -c "$RUN/pack/$p.bin" >"$RUN/$p.bin.xz"; done
    ls -l "$RUN/pack.bin.xz" "$RUN/pack-sst2.bin.xz"
    ;;
train)
    mkdir -p "$4"
    OUT=$(cd "$4" && pwd)
    work=$(mktemp -d)
    set +e
    # step counts are upper bounds: on an H100/H200 the time shares end every stage first
    PYTHONUNBUFFERED=1 timeout -k 5 525 "$PY" build_scripts/train/torch_mirror.py --pack "$2" --sst2-pack "$3" \
        --vocab weights/vocab.txt --out "$work" --ship "$OUT" \
        --teacher-layers 6 --teacher-dim 512 --teacher-heads 8 --teacher-hidden 2048 \
        --teacher-mlm-steps 20000 --teacher-mlm-batch 128 --teacher-mlm-lr 5e-4 --teacher-mlm-warmup 300 \
        --teacher-batch 32 --teacher-lr 1e-4 --teacher-epochs 2 --adv-eps 0.02 --vat-xi 0.01 --vat-batch 32 \
        --layers 4 --dim 256 --heads 4 --hidden 1024 \
        --mlm-steps 10000 --mlm-batch 128 --mlm-lr 5e-4 --mlm-warmup 500 \
        --batch 32 --finetune-lrs 1e-4 --finetune-epochs 3 --distill-alpha 0.5 \
        --budget-seconds 500 --budget-reserve 30 --log-every 200 "${@:5}" 2>&1 | tee "$work/run.log"
    rc=${PIPESTATUS[0]}
    # the logs go back whatever happened above, as one file
    (cd "$work" && shopt -s nullglob && tar -cJf "$OUT/logs.tar.xz" run.log ./*.csv)
    rm -rf "$work"
    ls -l "$OUT"
    exit "$rc"
    ;;
assemble | finish)
    OUT=$2 RUN=$3
    make build/sentiment build/engine/parity
    "$PY" build_scripts/train/torch_mirror.py --assemble "$OUT" --pack "$RUN/pack/pack.bin" \
        --sst2-pack "$RUN/pack/pack-sst2.bin" --vocab weights/vocab.txt --out "$RUN"
    mkdir -p "$RUN/logs"
    tar -xJf "$OUT/logs.tar.xz" -C "$RUN/logs"
    # the model files read rows as the pack was made: T and head_tokens, the header's 4th and 5th words
    read -r max_len head < <(od -An -tu4 -j12 -N8 "$RUN/pack/pack.bin")
    convert_models "$RUN/hf" "$RUN" "$name" "$max_len" "$head"
    build/engine/parity golden "$RUN/sentiment-fp32.smf" "$RUN/hf/golden.safetensors"
    if [ -d "$RUN/teacher-hf" ]; then
        mkdir -p "$RUN/teacher"
        convert_models "$RUN/teacher-hf" "$RUN/teacher" "movie-sentiment teacher (6x512, IMDb + SST-2, AT + VAT)" \
            "$max_len" "$head"
        build/engine/parity golden "$RUN/teacher/sentiment-fp32.smf" "$RUN/teacher-hf/golden.safetensors"
    fi
    if [ -f "$RUN/teacher-probs-imdb.txt" ]; then
        # the C trainer's --teacher file: the n-gram teacher's file and row columns (the same rows,
        # in the same order as the pack) with the transformer's probabilities
        [ "$(wc -l <"$RUN/teacher-labels.tsv")" = "$(wc -l <"$RUN/teacher-probs-imdb.txt")" ] \
            || { echo "error: $RUN/teacher-labels.tsv and teacher-probs-imdb.txt differ in rows" >&2; exit 1; }
        paste <(cut -f1,2 "$RUN/teacher-labels.tsv") "$RUN/teacher-probs-imdb.txt" >"$RUN/teacher-labels-transformer.tsv"
    fi
    if [ "$1" = finish ]; then
        evaluate_models "$RUN"
        build/sentiment eval --model "$RUN/sentiment.smf" --sst2-valid "$SST2" | tee "$RUN/sentiment-sst2.txt"
    fi
    ;;
*)
    sed -n 2,17p "$0"
    exit 2
    ;;
esac
