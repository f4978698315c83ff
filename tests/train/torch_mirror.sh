#!/usr/bin/env bash
# The PyTorch mirror of the trainer (build_scripts/train/torch_mirror.py, run on a GPU for the shipped
# model) on CPU at a tiny shape: `train pack` writes the committed sample (plus an unlabelled copy
# with n-gram teacher labels) with the split `train finetune` uses; the mirror pretrains,
# fine-tunes two learning rates and exports its best; `convert` turns that into a model file
# whose C engine outputs match the mirror's within 1e-4 (tests/engine/parity.c on the mirror's
# golden.safetensors), and fine-tuning must have lowered the training loss. Then the GPU stage,
# build_scripts/train/gpu_recipe.sh train + assemble, end to end at a tiny shape: a teacher
# (MLM, AT + VAT fine-tuning, labelling), the student distilled from it, on IMDb and SST-2 (the
# first 4,000 rows of ../shared/data/sst2/train.tsv.gz, the least the split takes; without that
# file the suite exits 77 after the first part, a failure in CI), its outputs split and put back
# together into model files the engine matches the mirror on; and once more with no time at
# all, where every stage must stop at its first step and the run still return a student.
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
sst2=
if [ -f ../shared/data/sst2/train.tsv.gz ]; then
    sst2=$tmp/sst2.tsv.gz
    zcat ../shared/data/sst2/train.tsv.gz | head -4001 | gzip -c >"$sst2"
fi
"$bin" train teacher fit --data tests/data/imdb_test_sample.tsv.gz --out "$tmp/teacher.bin" --valid-size 100 --bits 18 >/dev/null 2>&1
"$bin" train teacher label --teacher "$tmp/teacher.bin" --data "$data" --out "$tmp/labels.tsv" 2>/dev/null
"$bin" train pack --data "$data" --vocab weights/vocab.txt --out-dir "$tmp/pack" --seq-len 64 --head-tokens 16 \
    --max-positions 64 --valid-size 100 --teacher "$tmp/labels.tsv" ${sst2:+--sst2 "$sst2"} >"$tmp/pack.out" 2>&1
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

# the teacher's perturbations point where they should: AT's (the loss's gradient) and VAT's (one
# power iteration) hurt a fixed random model more than random directions of the same size
"$PY" - <<'PY' || { echo "FAIL: adversarial directions"; exit 1; }
import contextlib, sys
sys.path.insert(0, "build_scripts/train")
import torch
from torch_mirror import Config, Mirror, kl_to, per_row_norm, per_row_unit, soft_cross_entropy, vat_loss
torch.manual_seed(0)
cfg = Config(vocab_size=1200, max_position_embeddings=16, n_layers=1, n_heads=2, dim=32, hidden_dim=64)
model = Mirror(cfg, 0.0, 0.0).eval()          # no dropout: the losses are functions of the input alone
with torch.no_grad():
    for p in model.parameters():
        p.add_(0.3 * torch.randn_like(p))     # predictions that vary with the input
ids = torch.randint(999, 1200, (8, 16))
mask = torch.arange(16)[None, :] < torch.tensor([16, 12, 9, 16, 5, 16, 14, 7])[:, None]
y = torch.tensor([1., 0, 1, 0, 1, 0, 1, 0])
words = model.word_embeddings(ids)
u = per_row_unit(torch.randn(words.shape), mask)
assert torch.allclose(u.flatten(1).norm(dim=1), torch.ones(8), atol=1e-5) and (u[~mask] == 0).all(), "per_row_unit"
logits = model.classify(ids, mask, words)
g = torch.autograd.grad(soft_cross_entropy(logits, y), words)[0]
eps = 0.05 * per_row_norm(words, mask)
at = float(soft_cross_entropy(model.classify(ids, mask, words + eps * per_row_unit(g, mask)), y))
rand_at = [float(soft_cross_entropy(model.classify(ids, mask, words + eps * per_row_unit(torch.randn(words.shape), mask)), y))
        for _ in range(5)]
assert at > max(rand_at), f"AT: the loss's gradient direction ({at:.4f}) must hurt more than random ones ({max(rand_at):.4f})"
vat = float(vat_loss(model, ids, mask, words, logits, 0.05, 0.01, contextlib.nullcontext, None))
rand = [float(kl_to(logits, model.classify(ids, mask, words + eps * per_row_unit(torch.randn(words.shape), mask))))
        for _ in range(5)]
assert vat > max(rand), f"VAT: one power iteration ({vat:.2e}) must find a worse direction than random ones ({max(rand):.2e})"
print(f"torch-mirror: adversarial directions: AT loss {at:.4f} (random ones up to {max(rand_at):.4f}), "
      f"VAT KL {vat:.2e} (random ones up to {max(rand):.2e})")
PY
# the distillation targets: a labelled row alpha * label + (1 - alpha) * teacher, or the label where
# the teacher has no value; an unlabelled row the teacher alone, or left out; validation rows never
"$PY" - <<'PY' || { echo "FAIL: soft_targets"; exit 1; }
import sys
sys.path.insert(0, "build_scripts/train")
import numpy as np
from argparse import Namespace
from torch_mirror import soft_targets
pack = Namespace(labels=np.array([1, 0, 1, -1, -1, 1]), valid=np.array([0, 0, 0, 0, 0, 1], bool))
rows, target, distilled = soft_targets(pack, np.array([0.8, 0.4, np.nan, 0.3, np.nan, 0.9], np.float32), 0.5)
assert list(rows) == [0, 1, 2, 3] and distilled and np.allclose(target[:4], [0.9, 0.2, 1.0, 0.3]), (rows, target)
rows, target, distilled = soft_targets(pack, np.full(6, np.nan, np.float32), 0.5)
assert list(rows) == [0, 1, 2] and not distilled and np.allclose(target[:3], [1, 0, 1]), (rows, target)
PY

if [ -z "$sst2" ]; then
    echo "torch-mirror: ../shared/data/sst2/train.tsv.gz is missing: the GPU recipe part needs SST-2 rows"
    exit 77
fi
grep -q "packed 3216 SST-2 rows (1719 of them validation)" "$tmp/pack.out" || { cat "$tmp/pack.out"; echo "FAIL: SST-2 pack"; exit 1; }
run=$tmp/recipe
mkdir -p "$run"
cp -r "$tmp/pack" "$run/pack"
cp "$tmp/labels.tsv" "$run/teacher-labels.tsv"
xz -k -1 "$run/pack/pack.bin" "$run/pack/pack-sst2.bin"   # they travel to the GPU machine as .xz
tiny=(--teacher-layers 1 --teacher-dim 64 --teacher-heads 2 --teacher-hidden 128 --teacher-mlm-steps 20
      --teacher-mlm-batch 16 --teacher-mlm-warmup 5 --teacher-batch 16 --teacher-steps 10 --teacher-lr 1e-3
      --vat-batch 8 --layers 1 --dim 32 --heads 2 --hidden 64 --mlm-steps 20 --mlm-batch 16 --mlm-warmup 5
      --batch 16 --finetune-steps 40 --finetune-lrs 3e-3 --log-every 10 --ship-part-bytes 1048576)
# the recipe's 500 s budget stays: on this shape it is never reached
PY=$PY bash build_scripts/train/gpu_recipe.sh train "$run/pack/pack.bin.xz" "$run/pack/pack-sst2.bin.xz" "$tmp/ship" \
    "${tiny[@]}" >"$tmp/train.log" 2>&1 || { cat "$tmp/train.log"; echo "FAIL: gpu_recipe.sh train"; exit 1; }
grep -q "teacher finetune: lr 0.001, 2397 rows (labels), 10 steps of 16, AT + VAT eps 0.02 xi 0.01, VAT on 8 unlabelled" \
    "$tmp/train.log" && grep -q "label: 5216 of 5216 rows" "$tmp/train.log" \
    && grep -q "finetune: lr 0.003, 3397 rows (teacher), 40 steps of 16" "$tmp/train.log" \
    || { cat "$tmp/train.log"; echo "FAIL: the recipe's stages"; exit 1; }
# the student, the teacher, its probabilities and the logs; in parts of 1 MiB here (16 MiB on the GPU
# machine) so that the tiny models split as the real ones do: 7 files, as many as the real run ships
(cd "$tmp/ship" && ls) >"$tmp/ship.list"
[ "$(tr '\n' ' ' <"$tmp/ship.list")" = "logs.tar.xz student.safetensors.000 student.safetensors.001 \
teacher-int8.safetensors.000 teacher-int8.safetensors.001 teacher-int8.safetensors.002 teacher-probs.f16.000 " ] \
    || { cat "$tmp/ship.list"; echo "FAIL: the shipped files"; exit 1; }
# a part lost on the way is refused with a reason
mkdir "$tmp/lost" && cp "$tmp"/ship/student.safetensors.000 "$tmp/lost/"
if "$PY" build_scripts/train/torch_mirror.py --assemble "$tmp/lost" --pack "$run/pack/pack.bin" --vocab weights/vocab.txt \
    --out "$tmp/lost-out" >"$tmp/lost.log" 2>&1; then echo "FAIL: a student without its last part was assembled"; exit 1; fi
grep -q "bytes, the header promises" "$tmp/lost.log" || { cat "$tmp/lost.log"; echo "FAIL: lost part message"; exit 1; }
PY=$PY bash build_scripts/train/gpu_recipe.sh assemble "$tmp/ship" "$run" >"$tmp/assemble.log" 2>&1 \
    || { cat "$tmp/assemble.log"; echo "FAIL: gpu_recipe.sh assemble"; exit 1; }
[ "$(grep -c "^tolerance: logits" "$tmp/assemble.log")" = 2 ] && grep -q "^assemble: teacher probabilities: 3397 of 3397" \
    "$tmp/assemble.log" || { cat "$tmp/assemble.log"; echo "FAIL: assemble's parity checks (student, teacher) or probabilities"; exit 1; }
grep "^assemble:" "$tmp/assemble.log"
"$PY" - "$run" "$tmp/ship/teacher-probs.f16.000" <<'PY' || { echo "FAIL: the recipe's logs or teacher probabilities"; exit 1; }
import csv, os, struct, sys
import numpy as np
run, probs = sys.argv[1:]
for log in ("teacher-finetune-log.csv", "finetune-log.csv"):   # both validations at every epoch
    rows = [r for r in csv.DictReader(open(os.path.join(run, "logs", log))) if r["valid_accuracy"]]
    assert rows and all(0 <= float(r[k]) <= 1 for r in rows for k in ("valid_accuracy", "sst2_valid_accuracy")), log
raw = open(probs, "rb").read()
n_imdb, n_sst2 = struct.unpack_from("<2I", raw, 4)
p = np.frombuffer(raw, "<f2", offset=12).astype(np.float64)
assert (raw[:4], n_imdb, n_sst2, len(p)) == (b"SMTP", 2000, 3216, 5216), (raw[:4], n_imdb, n_sst2, len(p))
assert np.all((p >= 0) & (p <= 1)), "probabilities outside [0, 1]"
print(f"torch-mirror: teacher probabilities for {len(p)} rows in [{p.min():.3f}, {p.max():.3f}], both validations logged")
PY
# the C trainer reads the transformer teacher's labels as it does the n-gram teacher's
"$bin" train pack --data "$data" --vocab weights/vocab.txt --out-dir "$tmp/repack" --seq-len 64 --head-tokens 16 \
    --max-positions 64 --valid-size 100 --teacher "$run/teacher-labels-transformer.tsv" >"$tmp/repack.out" 2>&1 \
    || { cat "$tmp/repack.out"; echo "FAIL: teacher-labels-transformer.tsv"; exit 1; }

# no time at all: every stage stops before its first step, the outputs still come back
PY=$PY bash build_scripts/train/gpu_recipe.sh train "$run/pack/pack.bin.xz" "$run/pack/pack-sst2.bin.xz" "$tmp/ship0" \
    "${tiny[@]}" --budget-seconds 0.001 --budget-reserve 0 >"$tmp/train0.log" 2>&1 \
    || { cat "$tmp/train0.log"; echo "FAIL: gpu_recipe.sh train without time"; exit 1; }
[ "$(grep -c "out of time at step 0 of" "$tmp/train0.log")" = 4 ] && grep -q "label: 0 of 5216 rows" "$tmp/train0.log" \
    && grep -q "finetune: lr 0.003, 3397 rows (teacher)" "$tmp/train0.log" && [ -s "$tmp/ship0/student.safetensors.000" ] \
    || { cat "$tmp/train0.log"; echo "FAIL: the time guards"; exit 1; }
echo "torch-mirror: GPU recipe: teacher -> labels -> student -> split outputs -> assemble -> engine parity ok; time guards ok"
