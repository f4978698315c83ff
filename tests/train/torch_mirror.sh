#!/usr/bin/env bash
# The PyTorch mirror of the trainer (build_scripts/train/torch_mirror.py, run on a GPU for the shipped
# model) on CPU at a tiny shape: `train pack` writes the committed sample (plus an unlabelled copy
# with n-gram teacher labels) with the split `train finetune` uses; the mirror pretrains,
# fine-tunes two learning rates and exports its best; `convert` turns that into a model file
# whose C engine outputs match the mirror's within 1e-4 (tests/engine/parity.c on the mirror's
# golden.safetensors), and fine-tuning must have lowered the training loss.
set -eu
cd "$(dirname "$0")/../.."
bin=build/sentiment
PY=/usr/bin/python3
if ! "$PY" -c 'import torch, numpy' 2>/dev/null; then
    echo "torch-mirror: $PY cannot import torch and numpy (build_scripts/setup.sh installs them)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

zcat tests/data/imdb_test_sample.tsv.gz | awk -F'\t' 'BEGIN { OFS = "\t" } NR > 1 { $2 = -1 } { print }' \
    | gzip -c >"$tmp/unsup.tsv.gz"
data=tests/data/imdb_test_sample.tsv.gz,$tmp/unsup.tsv.gz
"$bin" train teacher fit --data tests/data/imdb_test_sample.tsv.gz --out "$tmp/teacher.bin" --valid-size 100 --bits 18 >/dev/null 2>&1
"$bin" train teacher label --teacher "$tmp/teacher.bin" --data "$data" --out "$tmp/labels.tsv" 2>/dev/null
"$bin" train pack --data "$data" --vocab weights/vocab.txt --out-dir "$tmp/pack" --seq-len 64 --head-tokens 16 \
    --max-positions 64 --valid-size 100 --teacher "$tmp/labels.tsv" >"$tmp/pack.out" 2>&1
grep -q "packed 2000 reviews (1000 labelled, 100 of them validation)" "$tmp/pack.out" \
    || { cat "$tmp/pack.out"; echo "FAIL: train pack"; exit 1; }
# a truncated pack is refused with a reason
head -c 5000 "$tmp/pack/pack.bin" >"$tmp/short.bin"
if "$PY" build_scripts/train/torch_mirror.py --pack "$tmp/short.bin" --vocab weights/vocab.txt --out "$tmp/bad" \
    >"$tmp/bad.log" 2>&1; then echo "FAIL: a truncated pack was read"; exit 1; fi
grep -q "bytes, the header promises" "$tmp/bad.log" || { cat "$tmp/bad.log"; echo "FAIL: truncated pack message"; exit 1; }

"$PY" build_scripts/train/torch_mirror.py --pack "$tmp/pack/pack.bin" --vocab weights/vocab.txt --out "$tmp/run" \
    --layers 1 --dim 32 --heads 2 --hidden 64 --mlm-steps 40 --mlm-batch 16 --mlm-warmup 10 \
    --finetune-epochs 3 --finetune-lrs 1e-3,3e-3 --log-every 10 >"$tmp/run.log" 2>&1 \
    || { cat "$tmp/run.log"; echo "FAIL: train_torch.py"; exit 1; }
grep -q "data: 2000 rows of at most 64 tokens .* 1900 training (900 labelled), 100 validation, teacher yes" "$tmp/run.log" \
    && grep -q "mlm: 40 steps" "$tmp/run.log" && grep -q "finetune: lr 0.003, 1900 rows (teacher)" "$tmp/run.log" \
    || { cat "$tmp/run.log"; echo "FAIL: the mirror's data, MLM or fine-tuning"; exit 1; }
"$PY" - "$tmp/run/finetune-log1.csv" <<'PY' || { cat "$tmp/run/finetune-log1.csv"; echo "FAIL: fine-tuning did not learn"; exit 1; }
import csv, sys
losses = [float(r["loss"]) for r in csv.DictReader(open(sys.argv[1])) if r["loss"]]
print(f"torch-mirror: fine-tuning loss {losses[0]:.3f} at first, {losses[-1]:.3f} at the end")
sys.exit(0 if losses[-1] < losses[0] - 0.1 else 1)
PY
"$bin" convert --hf "$tmp/run/hf" --out "$tmp/m.smf" --max-len 64 --head 16 2>/dev/null
build/engine/parity golden "$tmp/m.smf" "$tmp/run/hf/golden.safetensors" >"$tmp/parity.out" \
    || { cat "$tmp/parity.out"; echo "FAIL: the engine disagrees with the mirror"; exit 1; }
tail -1 "$tmp/parity.out"
# a fine-tuning started from the saved pretraining skips it
"$PY" build_scripts/train/torch_mirror.py --pack "$tmp/pack/pack.bin" --vocab weights/vocab.txt --out "$tmp/again" \
    --layers 1 --dim 32 --heads 2 --hidden 64 --init-mlm "$tmp/run/mlm.pt" --finetune-steps 4 >"$tmp/again.log" 2>&1
grep -q "mlm: weights from $tmp/run/mlm.pt" "$tmp/again.log" && ! grep -q "mlm: .* steps" "$tmp/again.log" \
    && [ -s "$tmp/again/hf/model.safetensors" ] || { cat "$tmp/again.log"; echo "FAIL: --init-mlm"; exit 1; }
echo "torch-mirror: pack -> MLM -> distillation -> export -> convert -> engine parity ok"
