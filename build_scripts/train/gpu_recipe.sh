#!/usr/bin/env bash
# The GPU route to a larger model (4 layers x 256, 512 tokens): the data and the teacher are made
# here in C, the PyTorch mirror of the trainer (build_scripts/train/torch_mirror.py) pretrains and
# fine-tunes on a GPU within one ten-minute call, and the result is converted and evaluated here
# by the C engine, as any model of the C trainer is.
#   bash build_scripts/train/gpu_recipe.sh pack RUN    here: teacher (as cpu_recipe.sh) + RUN/pack.bin.xz
#   bash build_scripts/train/gpu_recipe.sh train PACK OUT    on the GPU machine (about 6 minutes)
#   bash build_scripts/train/gpu_recipe.sh finish RUN   here: RUN/hf -> int8 and fp32 model files, evaluated
# Environment: DATA (default ../shared/data/imdb), PY (default python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data/imdb}
PY=${PY:-python3}
name="movie-sentiment (4x256, 512 tokens, MLM-pretrained and distilled on IMDb train + unsup)"

case "${1:-}" in
pack)
    RUN=$2
    make build/sentiment
    mkdir -p "$RUN"
    [ -f "$RUN/teacher-labels.tsv" ] || {
        build/sentiment train teacher fit --data "$DATA/train.tsv.gz" --out "$RUN/teacher.bin" | tee "$RUN/teacher.txt"
        build/sentiment train teacher label --teacher "$RUN/teacher.bin" --data "$DATA/train.tsv.gz,$DATA/unsup.tsv.gz" \
            --out "$RUN/teacher-labels.tsv"
    }
    build/sentiment train pack --data "$DATA/train.tsv.gz,$DATA/unsup.tsv.gz" --vocab weights/vocab.txt \
        --out-dir "$RUN/pack" --seq-len 512 --head-tokens 128 --max-positions 512 --teacher "$RUN/teacher-labels.tsv"
    xz -T2 -6 -c "$RUN/pack/pack.bin" >"$RUN/pack.bin.xz"
    ls -l "$RUN/pack.bin.xz"
    ;;
train)
    # 10,000 MLM steps of 128 reviews (18 epochs, 3.9 minutes on an H100), then 3 epochs of
    # distillation (1.8 minutes), keeping the best validation epoch; the time limits only stop a
    # stage early on a slower machine, so that the call still returns a model
    PYTHONUNBUFFERED=1 "$PY" build_scripts/train/torch_mirror.py --pack "$2" --vocab weights/vocab.txt --out "$3" \
        --layers 4 --dim 256 --heads 4 --hidden 1024 \
        --mlm-steps 10000 --mlm-minutes 5.8 --mlm-batch 128 --mlm-lr 5e-4 --mlm-warmup 500 \
        --batch 32 --finetune-lrs 1e-4 --finetune-epochs 3 --distill-alpha 0.5 \
        --deadline-minutes 7.0 --log-every 200
    ;;
finish)
    RUN=$2
    make build/sentiment build/engine/parity
    build/sentiment convert --hf "$RUN/hf" --out "$RUN/sentiment-fp32.smf" --quant fp32 --max-len 512 --head 128 --name "$name"
    build/sentiment convert --hf "$RUN/hf" --out "$RUN/sentiment.smf" --quant int8 --max-len 512 --head 128 --name "$name"
    build/engine/parity golden "$RUN/sentiment-fp32.smf" "$RUN/hf/golden.safetensors"
    for m in sentiment-fp32 sentiment; do
        build/sentiment eval --model "$RUN/$m.smf" --data "$DATA/test.tsv.gz" | tee "$RUN/$m-test.txt"
    done
    build/sentiment eval --model "$RUN/sentiment.smf" --data tests/data/imdb_test_sample.tsv.gz | tee "$RUN/sample.txt"
    echo "model: $RUN/sentiment.smf (copy to weights/sentiment.smf to ship it)"
    ;;
*)
    sed -n 2,9p "$0"
    exit 2
    ;;
esac
