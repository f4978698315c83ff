# Sourced by cpu_recipe.sh and gpu_recipe.sh: the steps both recipes share, so that the two
# models are made and judged the same way. Run from the repository root, with DATA set and
# build/sentiment built.

# fit_teacher RUN: the NBSVM-style n-gram teacher, fitted on the 22,500 training reviews of the
# trainer's split (seed 2024), labels IMDb train + unsup with P(positive) into
# RUN/teacher-labels.tsv (about a minute). Skipped when that file exists, so a rerun keeps it.
fit_teacher() {
    local run=$1
    [ -f "$run/teacher-labels.tsv" ] && return
    build/sentiment train teacher fit --data "$DATA/train.tsv.gz" --out "$run/teacher.bin" | tee "$run/teacher.txt"
    build/sentiment train teacher label --teacher "$run/teacher.bin" --data "$DATA/train.tsv.gz,$DATA/unsup.tsv.gz" \
        --out "$run/teacher-labels.tsv"
}

# convert_models HF_DIR RUN NAME [MAX_LEN HEAD]: the Hugging Face directory as
# RUN/sentiment-fp32.smf and RUN/sentiment.smf (int8, what ships), both reading MAX_LEN tokens
# (default 512), a long review's first HEAD word pieces (default 128) and its end.
convert_models() {
    local hf=$1 run=$2 name=$3 max_len=${4:-512} head=${5:-128} quant
    for quant in fp32 int8; do
        local out="$run/sentiment.smf"
        [ "$quant" = fp32 ] && out="$run/sentiment-fp32.smf"
        build/sentiment convert --hf "$hf" --out "$out" --quant "$quant" --max-len "$max_len" --head "$head" --name "$name"
    done
}

# evaluate_models RUN: both files on all 25,000 test reviews (RUN/*-test.txt), the int8 one on
# the 1,000-review CI sample too (RUN/sample.txt, what tests/train/shipped_model.sh checks).
evaluate_models() {
    local run=$1 m
    for m in sentiment-fp32 sentiment; do
        build/sentiment eval --model "$run/$m.smf" --data "$DATA/test.tsv.gz" | tee "$run/$m-test.txt"
    done
    build/sentiment eval --model "$run/sentiment.smf" --data tests/data/imdb_test_sample.tsv.gz | tee "$run/sample.txt"
    echo "model: $run/sentiment.smf (copy to weights/sentiment.smf to ship it)"
}
