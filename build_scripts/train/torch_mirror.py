"""PyTorch mirror of `sentiment train` for a GPU: masked-LM pretraining, then distilled fine-tuning,
of a DistilBERT with Hugging Face's parameter names, on the token rows, validation split and
teacher labels of a `sentiment train pack` file (and of SST-2's pack-sst2.bin next to it). It
writes a Hugging Face directory that `sentiment convert` turns into the engine's model file, so
the C engine evaluates it exactly as it does a model of the C trainer.

What it mirrors (src/train/): the model (hidden dropout after the embeddings, out_lin and lin2;
classifier dropout after the ReLU; no attention-probability dropout), the MLM objective (15 % of
the tokens between [CLS] and [SEP], at least one, 80/10/10 mask/random/keep, random ids from 999
up), AdamW with decay on matrices and embeddings only, linear warmup then linear decay to 0,
global-norm clipping, length-bucketed batches, the distillation target (labelled rows:
alpha * label + (1 - alpha) * teacher; unlabelled rows: the teacher), and SST-2's rows trained
next to IMDb's with both validation accuracies logged (columns sst2_valid_loss and
sst2_valid_accuracy, as the C trainer's --sst2 writes them). What it adds:
- bf16 autocast on a GPU;
- a transformer teacher (--teacher-layers > 0): its own MLM pretraining, fine-tuning on the
  labels with adversarial (AT) and virtual adversarial (VAT) perturbations of the word
  embeddings (Miyato et al. 2017; VAT on the unlabelled reviews too), then its P(positive) on
  every row, which the student is distilled on instead of the pack's n-gram teacher;
- time guards (--budget-seconds): every stage gets a share of the time left (--stage-shares),
  stops at the first step boundary past it, and its learning rate decays with whichever of
  steps and time is further along, so a stage cut short still ends at a rate of 0; the step
  counts never come from timing steps (a first GPU run lost most of its pretraining that way:
  weights/MODEL_CARD.md);
- --ship DIR: the outputs that come back from a lent GPU machine, written as soon as each is
  made, split into parts of at most 16 MiB: the student in bf16, the teacher in int8 (one scale
  per 64 weights), the teacher's probabilities (float16); --assemble DIR reads them back here.

    build/sentiment train pack --data TRAIN,UNSUP --vocab weights/vocab.txt --out-dir P \
        --seq-len 512 --head-tokens 128 --max-positions 512 --teacher LABELS.tsv --sst2 SST2.tsv.gz
    python3 build_scripts/train/torch_mirror.py --pack P/pack.bin --sst2-pack P/pack-sst2.bin \
        --vocab weights/vocab.txt --out RUN --layers 4 --dim 256 --heads 4 --hidden 1024 ...
    python3 build_scripts/train/torch_mirror.py --assemble SHIP --pack P/pack.bin --sst2-pack P/pack-sst2.bin \
        --vocab weights/vocab.txt --out RUN

RUN gets mlm-log.csv and finetune-log.csv (the C trainer's log.csv columns; teacher-mlm-log.csv
and teacher-finetune-log.csv for the teacher), mlm.pt (the pretrained weights; --init-mlm starts
a fine-tuning from it), hf/ (the best validation epoch: model.safetensors, config.json,
vocab.txt) and hf/golden.safetensors (validation rows with this model's logits and hidden
states, which tests/engine/parity.c checks the engine against). --assemble writes hf/ and
golden from the shipped bf16 student, teacher-hf/ from the shipped int8 teacher (both
convertible by `sentiment convert`), and teacher-probs-imdb.txt (a p_positive column, one line
per IMDb row of the pack, for the C trainer's --teacher file).
"""
import argparse
import contextlib
import csv
import glob
import json
import lzma
import math
import os
import shutil
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
from distilbert_reference import (Config, DistilBertForSequenceClassification,  # noqa: E402
                                  hf_config_json, load_safetensors, save_safetensors)

FIRST_PLAIN_TOKEN = 999   # ids below are [PAD], [unusedN], [UNK], [CLS], [SEP], [MASK]
LOG_COLUMNS = ["step", "epoch", "loss", "lr", "grad_norm", "tokens_per_s", "gflops", "valid_loss",
               "valid_accuracy", "train_accuracy"]
SST2_COLUMNS = ["sst2_valid_loss", "sst2_valid_accuracy"]   # the C trainer's names for them
# what comes back from a lent GPU machine (the device tool's limits): at most 8 files of
# at most 16 MiB, 64 MiB in all
SHIP_FILES, SHIP_PART_BYTES, SHIP_BYTES = 8, 16 << 20, 64 << 20
SHIP_LOG_BYTES = 1 << 20   # kept free for logs.tar.xz, which gpu_recipe.sh writes last
QUANT_GROUP = 64           # weights per int8 scale in the shipped teacher, as in the engine's int8 files
PROBS_MAGIC = b"SMTP"      # teacher-probs.f16: magic, uint32 n_imdb, n_sst2, float16 P(positive)[n]


# ---------------------------------------------------------------- data

def read_pack(path):
    """One `sentiment train pack` file (src/train/pack.h) -> dict of its arrays, ids [n, T] padded."""
    opener = lzma.open if path.endswith(".xz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if raw[:4] != b"SMPK":
        raise SystemExit(f"{path}: not a pack file (magic {raw[:4]!r})")
    version, n, T, head_tokens, vocab_size = struct.unpack_from("<5I", raw, 4)
    (n_tokens,) = struct.unpack_from("<Q", raw, 24)
    if version != 1:
        raise SystemExit(f"{path}: pack version {version}, this script reads 1")
    expected = 32 + n * (1 + 1 + 4 + 2) + 2 * n_tokens   # header, label, valid, teacher, len, ids
    if len(raw) != expected:
        raise SystemExit(f"{path}: {len(raw)} bytes, the header promises {expected}")
    at = 32
    labels = np.frombuffer(raw, np.int8, n, at).astype(np.int64)
    at += n
    valid = np.frombuffer(raw, np.uint8, n, at).astype(bool)
    at += n
    teacher = np.frombuffer(raw, np.float32, n, at).copy()
    at += 4 * n
    lens = np.frombuffer(raw, np.uint16, n, at).astype(np.int64)
    at += 2 * n
    flat = np.frombuffer(raw, np.uint16, n_tokens, at).astype(np.int32)
    if lens.sum() != n_tokens or lens.max() > T or lens.min() < 2:
        raise SystemExit(f"{path}: row lengths do not add up to {n_tokens} tokens of at most {T}")
    ids = np.zeros((n, T), np.int32)                        # [n, T] padded with 0 ([PAD])
    ids[np.arange(T)[None, :] < lens[:, None]] = flat       # row-major: each row's tokens in order
    return {"n": n, "T": T, "head_tokens": head_tokens, "vocab_size": vocab_size, "labels": labels,
            "valid": valid, "teacher": teacher, "lens": lens, "ids": ids}


class Pack:
    """IMDb's pack file, and SST-2's (pack-sst2.bin) when given, as one set of padded rows on the
    device: IMDb's rows first, then SST-2's. Both packs keep their own validation rows."""

    def __init__(self, path, device, sst2_path=""):
        parts = [read_pack(path)] + ([read_pack(sst2_path)] if sst2_path else [])
        imdb = parts[0]
        for other in parts[1:]:
            if (other["T"], other["head_tokens"], other["vocab_size"]) != (imdb["T"], imdb["head_tokens"], imdb["vocab_size"]):
                raise SystemExit(f"{sst2_path}: rows of {other['T']} tokens (head {other['head_tokens']}, vocab "
                                 f"{other['vocab_size']}), {path} has {imdb['T']} ({imdb['head_tokens']}, "
                                 f"{imdb['vocab_size']}): pack both with the same options")
        self.T, self.head_tokens, self.vocab_size = imdb["T"], imdb["head_tokens"], imdb["vocab_size"]
        self.n_imdb, self.has_sst2 = imdb["n"], bool(sst2_path)
        self.n = sum(p["n"] for p in parts)
        self.labels, self.valid, self.teacher, self.lens = (np.concatenate([p[k] for p in parts])
                                                            for k in ("labels", "valid", "teacher", "lens"))
        imdb_row = np.arange(self.n) < self.n_imdb
        self.valid_rows = np.flatnonzero(self.valid & imdb_row)              # IMDb's held-out reviews
        self.sst2_valid_rows = np.flatnonzero(self.valid & ~imdb_row)        # SST-2's held-out sentences
        self.train_rows = np.flatnonzero(~self.valid)                        # labelled + unlabelled, both sets
        self.labelled_train_rows = np.flatnonzero(~self.valid & (self.labels >= 0))
        self.unlabelled_train_rows = np.flatnonzero(~self.valid & (self.labels < 0))
        self.has_teacher = not np.isnan(imdb["teacher"]).any()               # SST-2's rows have none
        self.ids = torch.from_numpy(np.concatenate([p["ids"] for p in parts])).to(device)   # [n, T] int32
        self.lens_t = torch.from_numpy(self.lens).to(device)

    def valid_sets(self):
        """(log column prefix, rows) of each validation set."""
        return [("", self.valid_rows)] + ([("sst2_", self.sst2_valid_rows)] if self.has_sst2 else [])

    def batch(self, rows):
        """ids [B, Tb] int64 and mask [B, Tb] bool, Tb the longest row rounded up to 8."""
        rows_t = torch.as_tensor(rows, device=self.ids.device)
        Tb = min(self.T, int(-(-int(self.lens[rows].max()) // 8) * 8))
        ids = self.ids[rows_t, :Tb].long()
        mask = torch.arange(Tb, device=ids.device)[None, :] < self.lens_t[rows_t][:, None]
        return ids, mask


def bucketed_batches(rows, lens, B, bucket, rng):
    """Shuffled rows cut into batches of B; every run of `bucket` batches sorted by length, then
    the batches in a random order (the C trainer's sent_bucket_by_length). Drops the last
    partial batch, as the C trainer does."""
    order = rows[rng.permutation(len(rows))]
    n_batches = len(order) // B
    order = order[:n_batches * B]
    if bucket > 0:
        for start in range(0, n_batches, bucket):
            run = order[start * B:(start + bucket) * B]
            order[start * B:(start + bucket) * B] = run[np.argsort(lens[run], kind="stable")]
    batches = order.reshape(n_batches, B)
    return batches[rng.permutation(n_batches)]


def endless_batches(rows, lens, B, bucket, rng):
    """bucketed_batches of rows, one epoch after another, for a second stream of batches (VAT's
    unlabelled reviews) beside the one an epoch counts."""
    while True:
        yield from bucketed_batches(rows, lens, B, bucket, rng)


def soft_targets(pack, teacher_p, alpha):
    """The fine-tuning rows and their targets: labelled training rows against alpha * label +
    (1 - alpha) * teacher_p (the label alone where teacher_p is NaN or alpha is 1), unlabelled
    ones against teacher_p where it has a value (else left out). -> (rows [m], target [n] P(positive))."""
    label = (pack.labels == 1).astype(np.float64)
    has_p = np.isfinite(teacher_p) & (alpha < 1)
    weight = np.where(pack.labels >= 0, alpha, 0.0)                        # [n] the label's part
    target = np.where(has_p, weight * label + (1 - weight) * np.nan_to_num(teacher_p), label).astype(np.float32)
    rows = np.flatnonzero(~pack.valid & ((pack.labels >= 0) | has_p))
    return rows, target, bool(has_p.any())


# ---------------------------------------------------------------- model

class Mirror(DistilBertForSequenceClassification):
    """The reference module's parameters (so state_dict() names are Hugging Face's) with a
    training forward: dropout where the C trainer has it, fused attention where PyTorch has it,
    word embeddings that can come in perturbed (adversarial training), and the MLM head of
    DistilBertForMaskedLM (vocab_projector's weight tied to the word embeddings)."""

    def __init__(self, cfg, dropout, cls_dropout):
        super().__init__(cfg)
        self.dropout, self.cls_dropout = dropout, cls_dropout
        self.vocab_transform = torch.nn.Linear(cfg.dim, cfg.dim)
        self.vocab_layer_norm = torch.nn.LayerNorm(cfg.dim, eps=cfg.layer_norm_eps)
        self.vocab_projector_bias = torch.nn.Parameter(torch.zeros(cfg.vocab_size))
        self.fused_attention = hasattr(F, "scaled_dot_product_attention")
        # the C trainer's initialisation: N(0, 0.02) matrices and embeddings, zero biases, unit LayerNorms
        for name, p in self.named_parameters():
            with torch.no_grad():
                if p.dim() >= 2:
                    p.normal_(0.0, 0.02)
                elif "norm" in name.lower() and name.endswith("weight"):
                    p.fill_(1.0)
                else:
                    p.zero_()

    def classifier_state(self):
        """The parameters a DistilBertForSequenceClassification checkpoint holds."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith("vocab_")}

    def word_embeddings(self, ids):
        """ids [B, T] -> the word embeddings [B, T, D] (before positions and the LayerNorm)."""
        return self.distilbert.embeddings.word_embeddings(ids)

    def encode(self, ids, mask, words=None):
        """ids [B, T] int64, mask [B, T] bool, words [B, T, D] (default: ids' word embeddings)
        -> last hidden states [B, T, D]."""
        B, T = ids.shape
        emb = self.distilbert.embeddings
        p = self.dropout if self.training else 0.0
        words = self.word_embeddings(ids) if words is None else words
        x = emb.LayerNorm(words + emb.position_embeddings.weight[:T][None])
        x = F.dropout(x, p, self.training)
        keep = mask[:, None, None, :]                                       # [B, 1, 1, T]
        for block in self.distilbert.transformer.layer:
            att = block.attention
            nh, hd = att.n_heads, x.shape[-1] // att.n_heads

            def heads(t):  # [B, T, D] -> [B, NH, T, hd]
                return t.view(B, T, nh, hd).transpose(1, 2)

            q, k, v = heads(att.q_lin(x)), heads(att.k_lin(x)), heads(att.v_lin(x))
            if self.fused_attention:
                ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
            else:
                scores = (q / math.sqrt(hd)) @ k.transpose(2, 3)            # [B, NH, T, T]
                scores = scores.masked_fill(~keep, torch.finfo(scores.dtype).min)
                ctx = torch.softmax(scores, dim=-1) @ v
            ctx = ctx.transpose(1, 2).reshape(B, T, -1)                     # [B, T, D]
            x = block.sa_layer_norm(x + F.dropout(att.out_lin(ctx), p, self.training))
            ffn = F.dropout(block.ffn.lin2(F.gelu(block.ffn.lin1(x))), p, self.training)
            x = block.output_layer_norm(x + ffn)
        return x

    def classify(self, ids, mask, words=None):
        """-> logits [B, n_labels]."""
        pooled = torch.relu(self.pre_classifier(self.encode(ids, mask, words)[:, 0]))
        pooled = F.dropout(pooled, self.cls_dropout if self.training else 0.0, self.training)
        return self.classifier(pooled)

    def mlm_logits(self, ids, mask, positions):
        """positions [B, T] bool, the masked tokens -> logits [M, V] for them, in row-major order."""
        h = self.encode(ids, mask)[positions]                               # [M, D]
        h = self.vocab_layer_norm(F.gelu(self.vocab_transform(h)))
        return h @ self.distilbert.embeddings.word_embeddings.weight.t() + self.vocab_projector_bias


def mlm_mask(ids, mask, mask_prob, mask_id, vocab_size, generator):
    """BERT masking of a copy of ids [B, T]: per row round(mask_prob * n) (at least 1) of the n
    tokens between [CLS] and [SEP]; 80 % become [MASK], 10 % a random id >= 999, 10 % stay.
    Returns (masked ids [B, T], positions [B, T] bool, targets [M])."""
    B, T = ids.shape
    lens = mask.sum(1)                                                      # [B]
    t = torch.arange(T, device=ids.device)[None, :]
    candidate = (t >= 1) & (t < (lens - 1)[:, None])                        # [B, T]
    count = candidate.sum(1)
    k = torch.clamp(torch.round(mask_prob * count.float()).long(), min=1)
    k = torch.minimum(k, torch.clamp(count, min=1))
    score = torch.rand(B, T, device=ids.device, generator=generator).masked_fill(~candidate, 2.0)
    kth = torch.sort(score, dim=1).values.gather(1, (k - 1)[:, None])      # [B, 1]
    positions = (score <= kth) & candidate
    u = torch.rand(B, T, device=ids.device, generator=generator)
    random_ids = torch.randint(FIRST_PLAIN_TOKEN, vocab_size, (B, T), device=ids.device, generator=generator)
    masked = torch.where(positions & (u < 0.8), torch.full_like(ids, mask_id), ids)
    masked = torch.where(positions & (u >= 0.8) & (u < 0.9), random_ids, masked)
    return masked, positions, ids[positions]


# ---------------------------------------------------------------- adversarial perturbations

def per_row_unit(g, mask):
    """g [B, T, D] with the padding zeroed, scaled to unit L2 norm per row (over all its tokens)."""
    g = g * mask[..., None]
    return g / (g.flatten(1).norm(dim=1)[:, None, None] + 1e-12)


def per_row_norm(words, mask):
    """The L2 norm of each row's word embeddings [B, T, D] over its real tokens -> [B, 1, 1], the
    scale a perturbation is measured against, so that a perturbation of eps changes a long review
    and a short sentence by the same fraction (Miyato et al. normalise the embeddings instead)."""
    return (words.detach() * mask[..., None]).flatten(1).norm(dim=1)[:, None, None]


def kl_to(p_logits, q_logits):
    """KL(p || q) of two logit batches [B, 2], mean over the batch; p is the fixed side."""
    p_log = F.log_softmax(p_logits.detach().float(), 1)
    return (p_log.exp() * (p_log - F.log_softmax(q_logits.float(), 1))).sum(1).mean()


def soft_cross_entropy(logits, p_pos):
    """logits [B, 2], p_pos [B] the target P(positive) -> mean soft-target cross-entropy."""
    soft = torch.stack([1 - p_pos, p_pos], 1)                              # [B, 2]
    return -(soft * F.log_softmax(logits.float(), 1)).sum(1).mean()


def vat_loss(model, ids, mask, words, clean_logits, eps, xi, autocast, generator):
    """Virtual adversarial loss: one power iteration from a random direction finds the
    perturbation of relative size xi that changes the prediction most (the gradient of the KL to
    the clean prediction), then the KL at that direction scaled to eps. words [B, T, D] keeps its
    graph so the loss trains the embeddings too; the direction search does not."""
    scale = per_row_norm(words, mask)                                       # [B, 1, 1]
    d = per_row_unit(torch.randn(words.shape, device=words.device, generator=generator), mask)
    r = (xi * scale * d).requires_grad_(True)
    with autocast():
        logits = model.classify(ids, mask, words.detach() + r)
    g = torch.autograd.grad(kl_to(clean_logits, logits), r)[0]
    with autocast():
        logits = model.classify(ids, mask, words + eps * scale * per_row_unit(g, mask))
    return kl_to(clean_logits, logits)


# ---------------------------------------------------------------- optimisation

def make_optimizer(model, lr, weight_decay, betas, device):
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    kwargs = {"fused": True} if device.type == "cuda" else {}
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=1e-8, **kwargs)


def learning_rate(peak, step, warmup, total, time_fraction=0.0):
    """The C trainer's schedule: linear warmup over `warmup` steps, then linear decay to 0 at
    `total`. Under a time guard the decay follows whichever of the steps and the stage's time is
    further along (time_fraction: the part of it spent), so the rate reaches 0 by the deadline
    however fast the steps turn out to be."""
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * max(0.0, 1.0 - max((step - warmup) / max(1, total - warmup), time_fraction))


class Budget:
    """The time guards (--budget-seconds, counted from the start of the script on time.monotonic):
    what is left, less a reserve for writing the outputs, goes to the stages still to run in
    proportion to their shares, so a stage that ends early leaves its time to the next."""

    def __init__(self, seconds, reserve, shares, t0):
        self.end = t0 + seconds - reserve if seconds > 0 else math.inf
        self.shares = dict(shares)

    def stage(self, name):
        """The clock of stage `name`, starting now (the stage's share is used up)."""
        total = sum(self.shares.values())
        share = self.shares.pop(name)
        now = time.monotonic()
        if self.end == math.inf:
            return Clock(now, math.inf)
        seconds = max(0.0, (self.end - now) * share / total)
        print(f"budget: {name} gets {seconds:.0f} s ({100 * share / total:.0f} % of the {self.end - now:.0f} s left)",
              flush=True)
        return Clock(now, seconds)


class Clock:
    """One stage's time: `expired` at the step boundary past its deadline, `fraction` spent."""

    def __init__(self, start, seconds):
        self.start, self.seconds = start, seconds

    def fraction(self):
        return 0.0 if self.seconds == math.inf else (time.monotonic() - self.start) / max(self.seconds, 1e-9)

    def expired(self):
        return self.fraction() >= 1.0


def flops_per_token(cfg, T, mlm_fraction):
    """Training FLOPs per token (forward + backward = 3 x forward): the matmuls, attention over
    T keys, and the MLM head on mlm_fraction of the tokens."""
    D, H, L, V = cfg.dim, cfg.hidden_dim, cfg.n_layers, cfg.vocab_size
    forward = L * (2 * (4 * D * D + 2 * D * H) + 4 * T * D) + mlm_fraction * 2 * (D * D + D * V)
    return 3 * forward


class Log:
    """log.csv with the C trainer's columns (SST-2's too when it is read), plus a line on stdout per entry."""

    def __init__(self, path, sst2):
        self.file = open(path, "w", newline="")
        self.writer = csv.DictWriter(self.file, LOG_COLUMNS + (SST2_COLUMNS if sst2 else []))
        self.writer.writeheader()

    def write(self, **row):
        self.writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
        self.file.flush()
        print(" ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()), flush=True)


def step_optimizer(model, optimizer, loss, lr, clip):
    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip if clip > 0 else float("inf"))
    optimizer.step()
    return float(norm)


# ---------------------------------------------------------------- stages

def pretrain(model, pack, hp, clock, ctx, log, name):
    """Masked-LM on every training row (IMDb's labelled and unlabelled, SST-2's; never a
    validation one) for hp.steps, or fewer if the stage's clock runs out first."""
    args, device = ctx.args, ctx.device
    rng = np.random.default_rng(args.seed)
    gen = torch.Generator(device=device).manual_seed(args.seed)
    optimizer = make_optimizer(model, hp.lr, args.weight_decay, (0.9, 0.98), device)
    total = hp.steps
    fpt = flops_per_token(model.cfg, float(pack.lens[pack.train_rows].mean()), args.mask_prob)
    step, epoch, t_start = 0, 0, time.monotonic()
    window_tokens, window_start = 0, time.monotonic()
    print(f"{name}: {total} steps of {hp.batch} ({total * hp.batch / len(pack.train_rows):.1f} epochs)", flush=True)
    model.train()
    while step < total:
        epoch += 1
        for rows in bucketed_batches(pack.train_rows, pack.lens, hp.batch, args.bucket, rng):
            if step >= total:
                break
            if clock.expired():
                print(f"{name}: out of time at step {step} of {total}: stopping", flush=True)
                total = step
                break
            ids, mask = pack.batch(rows)
            masked, positions, targets = mlm_mask(ids, mask, args.mask_prob, ctx.mask_id, pack.vocab_size, gen)
            with ctx.autocast():
                logits = model.mlm_logits(masked, mask, positions)
            loss = F.cross_entropy(logits.float(), targets)
            lr = learning_rate(hp.lr, step, hp.warmup, total, clock.fraction())
            norm = step_optimizer(model, optimizer, loss, lr, args.clip)
            step += 1
            window_tokens += int(pack.lens[rows].sum())
            if step % args.log_every == 0:
                seconds = time.monotonic() - window_start
                log.write(step=step, epoch=epoch, loss=loss.item(), lr=lr, grad_norm=norm,
                          tokens_per_s=window_tokens / seconds, gflops=window_tokens * fpt / seconds / 1e9)
                window_tokens, window_start = 0, time.monotonic()
        loss_v, acc_v = evaluate_mlm(model, pack, ctx)
        log.write(step=step, epoch=epoch, valid_loss=loss_v, valid_accuracy=acc_v)
        model.train()
    print(f"{name}: {step} steps, {epoch} epochs, {(time.monotonic() - t_start) / 60:.1f} min", flush=True)


@torch.no_grad()
def evaluate_mlm(model, pack, ctx):
    """Masked-token loss and accuracy on the first 1,000 IMDb validation rows, with fixed masks."""
    model.eval()
    gen = torch.Generator(device=ctx.device).manual_seed(0x5EED)
    rows = pack.valid_rows[:1000]
    rows = rows[np.argsort(pack.lens[rows], kind="stable")]
    loss_sum, correct, count = 0.0, 0, 0
    for start in range(0, len(rows), ctx.args.eval_batch):
        ids, mask = pack.batch(rows[start:start + ctx.args.eval_batch])
        masked, positions, targets = mlm_mask(ids, mask, ctx.args.mask_prob, ctx.mask_id, pack.vocab_size, gen)
        with ctx.autocast():
            logits = model.mlm_logits(masked, mask, positions).float()
        loss_sum += float(F.cross_entropy(logits, targets, reduction="sum"))
        correct += int((logits.argmax(1) == targets).sum())
        count += len(targets)
    return loss_sum / count, correct / count


@torch.no_grad()
def predict(model, pack, rows, ctx, clock=None):
    """P(positive) [len(rows)] of each row, in rows' order, batched by length; NaN for the rows
    not reached when the clock runs out."""
    model.eval()
    p = np.full(len(rows), np.nan, np.float32)
    order = np.argsort(pack.lens[rows], kind="stable")
    for start in range(0, len(rows), ctx.args.eval_batch):
        if clock is not None and clock.expired():
            break
        at = order[start:start + ctx.args.eval_batch]
        ids, mask = pack.batch(rows[at])
        with ctx.autocast():
            p[at] = torch.softmax(model.classify(ids, mask).float(), 1)[:, 1].cpu().numpy()
    return p


def evaluate_classifier(model, pack, ctx):
    """Cross-entropy and accuracy on each validation set -> ({log column: value}, score), the
    score (what picks the best epoch) the mean of the accuracies."""
    out = {}
    for prefix, rows in pack.valid_sets():
        p = predict(model, pack, rows, ctx).astype(np.float64)
        y = pack.labels[rows]
        p_label = np.clip(np.where(y == 1, p, 1 - p), 1e-12, 1.0)
        out[prefix + "valid_loss"] = float(-np.log(p_label).mean())
        out[prefix + "valid_accuracy"] = float(((p > 0.5) == (y == 1)).mean())
    return out, float(np.mean([v for k, v in out.items() if k.endswith("valid_accuracy")]))


def finetune(model, pack, rows, target, hp, clock, ctx, log, name):
    """Classification of `rows` against `target` (P(positive) per row, soft-target cross-entropy),
    for hp.epochs (or hp.steps), or until the clock runs out; with hp.adv_eps > 0 plus adversarial
    training on the labelled rows and virtual adversarial training on them and on a second stream
    of hp.vat_batch unlabelled rows per step. Returns (best score, its epoch, its state)."""
    args, device, autocast = ctx.args, ctx.device, ctx.autocast
    rng = np.random.default_rng(args.seed + 1)
    gen = torch.Generator(device=device).manual_seed(args.seed + 2)
    target_t = torch.from_numpy(target).to(device)                         # [n] P(positive)
    optimizer = make_optimizer(model, hp.lr, args.weight_decay, (0.9, 0.999), device)
    steps_per_epoch = len(rows) // hp.batch
    total = hp.steps if hp.steps > 0 else steps_per_epoch * hp.epochs
    if total == 0:
        raise SystemExit(f"{name}: {len(rows)} rows make no batch of {hp.batch}")
    warmup = max(1, int(args.finetune_warmup * total))
    adversarial = hp.adv_eps > 0
    unlabelled = endless_batches(pack.unlabelled_train_rows, pack.lens, hp.vat_batch, args.bucket, rng) \
        if adversarial and hp.vat_batch > 0 and len(pack.unlabelled_train_rows) >= hp.vat_batch else None
    fpt = flops_per_token(model.cfg, float(pack.lens[rows].mean()), 0.0)
    best = (-1.0, 0, None)
    step, epoch = 0, 0
    window_tokens, window_start, correct, seen = 0, time.monotonic(), 0, 0
    print(f"{name}: lr {hp.lr:g}, {len(rows)} rows ({hp.targets}), {total} steps of {hp.batch}"
          + (f", AT + VAT eps {hp.adv_eps:g} xi {hp.vat_xi:g}"
             + (f", VAT on {hp.vat_batch} unlabelled rows a step" if unlabelled else "") if adversarial else ""),
          flush=True)
    model.train()
    while step < total:   # past the deadline, the epoch under way ends early but is still evaluated
        epoch += 1
        for batch in bucketed_batches(rows, pack.lens, hp.batch, args.bucket, rng):
            if step >= total or clock.expired():
                break
            ids, mask = pack.batch(batch)
            batch_t = torch.as_tensor(batch, device=device)
            p_pos = target_t[batch_t]
            if adversarial:
                words = model.word_embeddings(ids)                          # [B, T, D]
                with autocast():
                    logits = model.classify(ids, mask, words)
                clean = soft_cross_entropy(logits, p_pos)
                # AT: the loss's own gradient direction, on the labelled rows' loss
                g = torch.autograd.grad(clean, words, retain_graph=True)[0]
                with autocast():
                    adv_logits = model.classify(ids, mask, words + hp.adv_eps * per_row_norm(words, mask)
                                                * per_row_unit(g.detach(), mask))
                loss = clean + soft_cross_entropy(adv_logits, p_pos) \
                    + vat_loss(model, ids, mask, words, logits, hp.adv_eps, hp.vat_xi, autocast, gen)
                if unlabelled is not None:
                    u_ids, u_mask = pack.batch(next(unlabelled))
                    u_words = model.word_embeddings(u_ids)
                    with torch.no_grad(), autocast():
                        u_logits = model.classify(u_ids, u_mask, u_words)
                    loss = loss + vat_loss(model, u_ids, u_mask, u_words, u_logits, hp.adv_eps, hp.vat_xi,
                                           autocast, gen)
            else:
                with autocast():
                    logits = model.classify(ids, mask)
                loss = soft_cross_entropy(logits, p_pos)
            lr = learning_rate(hp.lr, step, warmup, total, clock.fraction())
            norm = step_optimizer(model, optimizer, loss, lr, args.clip)
            step += 1
            correct += int((logits.argmax(1) == (p_pos > 0.5).long()).sum())
            seen += len(batch)
            window_tokens += int(pack.lens[batch].sum())
            if step % args.log_every == 0:
                seconds = time.monotonic() - window_start
                log.write(step=step, epoch=epoch, loss=loss.item(), lr=lr, grad_norm=norm,
                          tokens_per_s=window_tokens / seconds, gflops=window_tokens * fpt / seconds / 1e9)
                window_tokens, window_start = 0, time.monotonic()
        valid, score = evaluate_classifier(model, pack, ctx)
        log.write(step=step, epoch=epoch, **valid, train_accuracy=correct / max(1, seen))
        correct = seen = 0
        if score > best[0]:
            best = (score, epoch, {k: v.detach().float().cpu().clone() for k, v in model.classifier_state().items()})
        if clock.expired():
            print(f"{name}: out of time at step {step} of {total}", flush=True)
            break
        model.train()
    return best


# ---------------------------------------------------------------- outputs

def config_metadata(cfg):
    """The shape of a model as safetensors metadata (string values), which config_from_metadata reads back."""
    return {"n_layers": str(cfg.n_layers), "n_heads": str(cfg.n_heads), "dim": str(cfg.dim),
            "hidden_dim": str(cfg.hidden_dim), "vocab_size": str(cfg.vocab_size),
            "max_position_embeddings": str(cfg.max_position_embeddings)}


def config_from_metadata(meta, path):
    try:
        return Config(**{k: int(meta[k]) for k in config_metadata(Config())})
    except KeyError as e:
        raise SystemExit(f"{path}: metadata has no {e}: not written by --ship")


@torch.no_grad()
def export(state, cfg, pack, vocab_path, out_dir, n_golden):
    """hf/ for `sentiment convert`, and golden.safetensors: the reference module's outputs on
    validation rows, after checking that the mirror's forward gives the same logits."""
    os.makedirs(out_dir, exist_ok=True)
    save_safetensors(os.path.join(out_dir, "model.safetensors"), state, {"format": "pt"})
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(hf_config_json(cfg), f, indent=2)
    shutil.copyfile(vocab_path, os.path.join(out_dir, "vocab.txt"))

    reference = DistilBertForSequenceClassification(cfg).eval()
    reference.load_state_dict(state)
    mirror = Mirror(cfg, 0.0, 0.0).eval()
    mirror.load_state_dict(state, strict=False)
    # validation rows from the shortest to the longest (its hidden states are [L+1, n, T, D] floats)
    by_length = pack.valid_rows[np.argsort(pack.lens[pack.valid_rows], kind="stable")]
    rows = by_length[np.linspace(0, len(by_length) - 1, n_golden).round().astype(int)]
    ids, mask = pack.batch(rows)
    ids, mask = ids.cpu(), mask.cpu()
    logits, hidden = reference(ids, mask.int())
    difference = float((mirror.classify(ids, mask) - logits).abs().max())
    if difference > 1e-4 * max(1.0, float(logits.abs().max())):
        raise SystemExit(f"export: the mirror's logits differ from the reference's by {difference}")
    save_safetensors(os.path.join(out_dir, "golden.safetensors"), {
        "input_ids": ids.int(), "attention_mask": mask.int(), "logits": logits.float(),
        "hidden_states": torch.stack(hidden).float()})
    print(f"export: {out_dir} (mirror and reference logits within {difference:.2e})", flush=True)


def quantize_int8(state):
    """Matrices as int8 with one float32 scale per QUANT_GROUP weights of a row (per row where
    the row is not a multiple of it: the tiny test shapes), the scale tensor named NAME.scale
    [R, C / group]; vectors in bf16. Symmetric: scale = the group's largest |w| / 127."""
    out = {}
    for name, w in state.items():
        if w.dim() != 2:
            out[name] = w.to(torch.bfloat16)
            continue
        R, C = w.shape
        group = QUANT_GROUP if C % QUANT_GROUP == 0 else C
        groups = w.float().reshape(R, C // group, group)                   # [R, C/g, g]
        scale = (groups.abs().amax(2) / 127).clamp(min=1e-30)              # [R, C/g]
        out[name] = torch.round(groups / scale[..., None]).to(torch.int8).reshape(R, C)
        out[name + ".scale"] = scale
    return out


def dequantize_int8(tensors):
    """quantize_int8's tensors -> float32 state."""
    state = {}
    for name, t in tensors.items():
        if name.endswith(".scale") or name == "__metadata__":
            continue
        if t.dtype == torch.int8:
            scale = tensors[name + ".scale"]                                # [R, C/g]
            R, C = t.shape
            t = (t.float().reshape(R, scale.shape[1], -1) * scale[..., None]).reshape(R, C)
        state[name] = t.float()
    return state


class Ship:
    """The files that come back from the GPU machine (--ship DIR): at most SHIP_FILES of at most
    SHIP_PART_BYTES, SHIP_BYTES in all. Each output is written as soon as it exists, split into
    NAME.000, NAME.001, ...; room for the student (the product, written last) and the logs is
    kept from the start, so an output that would not fit beside them is left out with a message."""

    def __init__(self, directory, student_bytes, part_bytes=SHIP_PART_BYTES):
        self.dir, self.files, self.bytes, self.part_bytes = directory, 0, 0, part_bytes
        self.student_bytes, self.student_files = student_bytes, self.parts(student_bytes)
        if directory:
            os.makedirs(directory, exist_ok=True)

    def parts(self, n_bytes):
        return max(1, -(-n_bytes // self.part_bytes))

    def write(self, name, path, student=False):
        """Copies the file at path into the ship directory as parts (student: the one the room
        was kept for). Returns False, after saying why, if it does not fit."""
        if not self.dir:
            return False
        size = os.path.getsize(path)
        n_parts = self.parts(size)
        keep_bytes = SHIP_LOG_BYTES + (0 if student else self.student_bytes)
        keep_files = 1 + (0 if student else self.student_files)
        if self.files + n_parts + keep_files > SHIP_FILES or self.bytes + size + keep_bytes > SHIP_BYTES:
            print(f"ship: {name} ({size} bytes, {n_parts} parts) left out: {self.files} files and {self.bytes} bytes "
                  f"written, {keep_files} files and {keep_bytes} bytes kept for the rest", flush=True)
            return False
        with open(path, "rb") as f:
            for i in range(n_parts):
                with open(os.path.join(self.dir, f"{name}.{i:03d}"), "wb") as out:
                    out.write(f.read(self.part_bytes))
        self.files += n_parts
        self.bytes += size
        print(f"ship: {name}: {size} bytes in {n_parts} part(s)", flush=True)
        return True


def unship(directory, name, into):
    """Joins the parts NAME.000, NAME.001, ... of a ship directory into the file `into`; returns
    its path (load_safetensors refuses a file a part is missing from)."""
    parts = sorted(glob.glob(os.path.join(directory, glob.escape(name) + ".[0-9][0-9][0-9]")))
    if not parts or parts != [os.path.join(directory, f"{name}.{i:03d}") for i in range(len(parts))]:
        raise SystemExit(f"{directory}: the parts of {name} are not {name}.000 onwards without a gap ({parts})")
    with open(into, "wb") as out:
        for p in parts:
            with open(p, "rb") as f:
                out.write(f.read())
    return into


def write_probs(path, p, n_imdb):
    """teacher-probs.f16: PROBS_MAGIC, uint32 n_imdb, n_sst2, float16 P(positive)[n] in the packs' row order."""
    with open(path, "wb") as f:
        f.write(PROBS_MAGIC + struct.pack("<2I", n_imdb, len(p) - n_imdb))
        f.write(p.astype("<f2").tobytes())


def read_probs(path, pack):
    with open(path, "rb") as f:
        raw = f.read()
    n_imdb, n_sst2 = struct.unpack_from("<2I", raw, 4) if raw[:4] == PROBS_MAGIC else (-1, -1)
    if (n_imdb, n_sst2) != (pack.n_imdb, pack.n - pack.n_imdb) or len(raw) != 12 + 2 * pack.n:
        raise SystemExit(f"{path}: not the teacher probabilities of these packs ({n_imdb} + {n_sst2} rows, "
                         f"the packs have {pack.n_imdb} + {pack.n - pack.n_imdb})")
    return np.frombuffer(raw, "<f2", pack.n, 12).astype(np.float32)


def assemble(args, pack):
    """--assemble: the shipped parts back into Hugging Face directories and the probabilities,
    each checked against the packs it was made from."""
    src, out = args.assemble, args.out
    tensors = load_safetensors(unship(src, "student.safetensors", os.path.join(out, "student.safetensors")), native=True)
    cfg = config_from_metadata(tensors["__metadata__"], src)
    state = {k: v.float() for k, v in tensors.items() if k != "__metadata__"}   # the bf16 values, exactly
    export(state, cfg, pack, args.vocab, os.path.join(out, "hf"), args.golden_rows)
    if glob.glob(os.path.join(src, "teacher-int8.safetensors.*")):
        tensors = load_safetensors(unship(src, "teacher-int8.safetensors",
                                          os.path.join(out, "teacher-int8.safetensors")), native=True)
        export(dequantize_int8(tensors), config_from_metadata(tensors["__metadata__"], src), pack, args.vocab,
               os.path.join(out, "teacher-hf"), args.golden_rows)
    if glob.glob(os.path.join(src, "teacher-probs.f16.*")):
        p = read_probs(unship(src, "teacher-probs.f16", os.path.join(out, "teacher-probs.f16")), pack)
        with open(os.path.join(out, "teacher-probs-imdb.txt"), "w") as f:
            f.write("p_positive\n" + "".join(f"{x:.6f}\n" for x in p[:pack.n_imdb]))
        labelled = [f"{np.isfinite(p[pack.train_rows]).sum()} of {len(pack.train_rows)} training rows labelled"]
        for prefix, rows in pack.valid_sets():
            accuracy = 100 * ((p[rows] > 0.5) == (pack.labels[rows] == 1)).mean()
            labelled.append(f"{'SST-2' if prefix else 'IMDb'} validation accuracy {accuracy:.2f}%")
        print("assemble: teacher probabilities: " + ", ".join(labelled), flush=True)


# ---------------------------------------------------------------- main

def mlm_options(args, prefix):
    """The MLM hyperparameters of one model (prefix "" for the student, "teacher_" for the teacher)."""
    return argparse.Namespace(**{k: getattr(args, f"{prefix}mlm_{k}") for k in ("steps", "batch", "lr", "warmup")})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pack", required=True, help="pack.bin (or pack.bin.xz) from `sentiment train pack`")
    ap.add_argument("--sst2-pack", default="", help="pack-sst2.bin(.xz) from `train pack --sst2`: trained on and validated too")
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--cls-dropout", type=float, default=0.2)
    ap.add_argument("--mask-prob", type=float, default=0.15)
    ap.add_argument("--mlm-steps", type=int, default=10000)
    ap.add_argument("--mlm-batch", type=int, default=128)
    ap.add_argument("--mlm-lr", type=float, default=5e-4)
    ap.add_argument("--mlm-warmup", type=int, default=500)
    ap.add_argument("--init-mlm", default="", help="skip pretraining: start from this mlm.pt")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--finetune-lrs", default="1e-4", help="comma-separated; each run starts from the MLM weights")
    ap.add_argument("--finetune-epochs", type=int, default=3)
    ap.add_argument("--finetune-steps", type=int, default=0, help="a fixed step count instead (0: epochs)")
    ap.add_argument("--finetune-warmup", type=float, default=0.06, help="fraction of the steps")
    ap.add_argument("--distill-alpha", type=float, default=0.5)
    ap.add_argument("--teacher-layers", type=int, default=0, help="> 0: pretrain and fine-tune a transformer teacher "
                    "first and distil the student from it (else from the pack's teacher)")
    ap.add_argument("--teacher-dim", type=int, default=512)
    ap.add_argument("--teacher-heads", type=int, default=8)
    ap.add_argument("--teacher-hidden", type=int, default=2048)
    ap.add_argument("--teacher-mlm-steps", type=int, default=20000)
    ap.add_argument("--teacher-mlm-batch", type=int, default=128)
    ap.add_argument("--teacher-mlm-lr", type=float, default=5e-4)
    ap.add_argument("--teacher-mlm-warmup", type=int, default=300)
    ap.add_argument("--teacher-batch", type=int, default=32)
    ap.add_argument("--teacher-lr", type=float, default=5e-5)
    ap.add_argument("--teacher-epochs", type=int, default=2)
    ap.add_argument("--teacher-steps", type=int, default=0, help="a fixed step count instead (0: epochs)")
    ap.add_argument("--adv-eps", type=float, default=0.02, help="the teacher's AT/VAT perturbation, relative to each "
                    "row's word-embedding norm (0: plain fine-tuning)")
    ap.add_argument("--vat-xi", type=float, default=0.01, help="VAT's probe size, relative as --adv-eps; smaller "
                    "would vanish in bf16")
    ap.add_argument("--vat-batch", type=int, default=32, help="unlabelled reviews per teacher step for VAT (0: none)")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--bucket", type=int, default=50)
    ap.add_argument("--eval-batch", type=int, default=128)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--budget-seconds", type=float, default=0, help="the whole run's time, from the start (after "
                    "importing torch; 0: none)")
    ap.add_argument("--budget-reserve", type=float, default=30, help="seconds of it kept for the outputs")
    ap.add_argument("--stage-shares", default="teacher_mlm=40,teacher_finetune=15,label=5,student_mlm=20,distill=20",
                    help="each stage's share of the time left when it starts (stages that do not run are dropped)")
    ap.add_argument("--ship", default="", help="also write the outputs, split, into this directory (GPU machine)")
    ap.add_argument("--ship-part-bytes", type=int, default=SHIP_PART_BYTES, help="largest part (smaller: the "
                    "test's tiny models still split)")
    ap.add_argument("--assemble", default="", help="read a --ship directory back into --out instead of training")
    ap.add_argument("--golden-rows", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1337)
    args = ap.parse_args()

    t0 = time.monotonic()
    device = torch.device("cuda" if torch.cuda.is_available() and not args.assemble else "cpu")
    torch.manual_seed(args.seed)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True

        def autocast():
            return torch.autocast("cuda", dtype=torch.bfloat16)
    else:
        autocast = contextlib.nullcontext
    os.makedirs(args.out, exist_ok=True)
    with open(args.vocab, encoding="utf-8") as f:
        vocab = f.read().rstrip("\n").split("\n")
    ctx = argparse.Namespace(args=args, device=device, autocast=autocast, mask_id=vocab.index("[MASK]"))

    pack = Pack(args.pack, device, args.sst2_pack)
    if pack.vocab_size != len(vocab):
        raise SystemExit(f"the pack was made with {pack.vocab_size} tokens, the vocab has {len(vocab)}")
    if args.assemble:
        assemble(args, pack)
        return
    imdb_train = pack.train_rows[pack.train_rows < pack.n_imdb]
    print(f"data: {pack.n_imdb} rows of at most {pack.T} tokens ({pack.lens[:pack.n_imdb].mean():.1f} on average), "
          f"{len(imdb_train)} training ({int((pack.labels[imdb_train] >= 0).sum())} labelled), "
          f"{len(pack.valid_rows)} validation, teacher {'yes' if pack.has_teacher else 'no'}; "
          f"device {device} ({torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'}), "
          f"torch {torch.__version__}", flush=True)
    if pack.has_sst2:
        print(f"sst2: {pack.n - pack.n_imdb} rows ({pack.lens[pack.n_imdb:].mean():.1f} tokens on average), "
              f"{len(pack.train_rows) - len(imdb_train)} training, {len(pack.sst2_valid_rows)} validation", flush=True)
    lrs = [float(x) for x in args.finetune_lrs.split(",")]
    if args.budget_seconds > 0 and len(lrs) > 1:
        raise SystemExit("--budget-seconds shares the time among stages: give --finetune-lrs one rate")
    stages = (["teacher_mlm", "teacher_finetune", "label"] if args.teacher_layers > 0 else []) \
        + ([] if args.init_mlm else ["student_mlm"]) + ["distill"]
    shares = dict((k, float(v)) for k, v in (kv.split("=") for kv in args.stage_shares.split(",")))
    if set(stages) - set(shares):
        raise SystemExit(f"--stage-shares has no share for {', '.join(sorted(set(stages) - set(shares)))}")
    budget = Budget(args.budget_seconds, args.budget_reserve, {k: shares[k] for k in stages}, t0)
    cfg = Config(vocab_size=pack.vocab_size, max_position_embeddings=pack.T, n_layers=args.layers,
                 n_heads=args.heads, dim=args.dim, hidden_dim=args.hidden)
    model = Mirror(cfg, args.dropout, args.cls_dropout).to(device)   # first: its initialisation is the seed's
    ship = Ship(args.ship, 2 * sum(v.numel() for v in model.classifier_state().values()) + 65536,   # bf16 + header
                args.ship_part_bytes)

    teacher_p = pack.teacher                                                # the pack's n-gram teacher (or NaN)
    if args.teacher_layers > 0:
        tcfg = Config(vocab_size=pack.vocab_size, max_position_embeddings=pack.T, n_layers=args.teacher_layers,
                      n_heads=args.teacher_heads, dim=args.teacher_dim, hidden_dim=args.teacher_hidden)
        teacher = Mirror(tcfg, args.dropout, args.cls_dropout).to(device)
        pretrain(teacher, pack, mlm_options(args, "teacher_"), budget.stage("teacher_mlm"), ctx,
                 Log(os.path.join(args.out, "teacher-mlm-log.csv"), pack.has_sst2), "teacher mlm")
        rows, target, _ = soft_targets(pack, np.full(pack.n, np.nan, np.float32), 1.0)   # the labels alone
        hp = argparse.Namespace(lr=args.teacher_lr, batch=args.teacher_batch, epochs=args.teacher_epochs,
                                steps=args.teacher_steps, adv_eps=args.adv_eps, vat_xi=args.vat_xi,
                                vat_batch=args.vat_batch, targets="labels")
        score, epoch, state = finetune(teacher, pack, rows, target, hp, budget.stage("teacher_finetune"), ctx,
                                       Log(os.path.join(args.out, "teacher-finetune-log.csv"), pack.has_sst2),
                                       "teacher finetune")
        print(f"teacher: best validation score {100 * score:.2f}% after epoch {epoch}", flush=True)
        teacher.load_state_dict(state, strict=False)
        clock = budget.stage("label")
        labelled_first = np.concatenate([pack.train_rows, pack.valid_rows, pack.sst2_valid_rows])
        p = np.full(pack.n, np.nan, np.float32)
        p[labelled_first] = predict(teacher, pack, labelled_first, ctx, clock)
        print(f"label: {int(np.isfinite(p).sum())} of {pack.n} rows ({time.monotonic() - clock.start:.0f} s)", flush=True)
        write_probs(os.path.join(args.out, "teacher-probs.f16"), p, pack.n_imdb)
        ship.write("teacher-probs.f16", os.path.join(args.out, "teacher-probs.f16"))
        path = os.path.join(args.out, "teacher-int8.safetensors")
        save_safetensors(path, quantize_int8(state), config_metadata(tcfg))
        ship.write("teacher-int8.safetensors", path)
        # where the teacher did not get to a row, the pack's teacher (IMDb) or the label (SST-2) stands in
        teacher_p = np.where(np.isfinite(p), p, pack.teacher)
        del teacher
        if device.type == "cuda":
            torch.cuda.empty_cache()

    mlm_path = os.path.join(args.out, "mlm.pt")
    if args.init_mlm:
        model.load_state_dict(torch.load(args.init_mlm, map_location=device))
        print(f"mlm: weights from {args.init_mlm}", flush=True)
    else:
        pretrain(model, pack, mlm_options(args, ""), budget.stage("student_mlm"), ctx,
                 Log(os.path.join(args.out, "mlm-log.csv"), pack.has_sst2), "mlm")
        torch.save(model.state_dict(), mlm_path)
    pretrained = {k: v.detach().clone() for k, v in model.state_dict().items()}

    rows, target, distilled = soft_targets(pack, teacher_p, args.distill_alpha)
    clock = budget.stage("distill")
    best, run_seconds = (-1.0, 0, None, 0.0), 0.0
    for i, lr in enumerate(lrs):
        if i > 0 and time.monotonic() + run_seconds > clock.start + clock.seconds:
            print(f"finetune: no time left for lr {lr:g}", flush=True)
            break
        started = time.monotonic()
        model.load_state_dict(pretrained)
        hp = argparse.Namespace(lr=lr, batch=args.batch, epochs=args.finetune_epochs, steps=args.finetune_steps,
                                adv_eps=0.0, targets="teacher" if distilled else "labels")
        log = Log(os.path.join(args.out, f"finetune-log{i}.csv" if i else "finetune-log.csv"), pack.has_sst2)
        score, epoch, state = finetune(model, pack, rows, target, hp, clock, ctx, log, "finetune")
        run_seconds = time.monotonic() - started
        print(f"finetune: lr {lr:g}: best validation score {100 * score:.2f}% after epoch {epoch} "
              f"({run_seconds / 60:.1f} min)", flush=True)
        if score > best[0]:
            best = (score, epoch, state, lr)
    score, epoch, state, lr = best
    if args.ship:
        path = os.path.join(args.out, "student.safetensors")
        save_safetensors(path, {k: v.to(torch.bfloat16) for k, v in state.items()}, config_metadata(cfg))
        ship.write("student.safetensors", path, student=True)
    export(state, cfg, pack, args.vocab, os.path.join(args.out, "hf"), args.golden_rows)
    print(f"done: validation score {100 * score:.2f}% (lr {lr:g}, epoch {epoch}); "
          f"{(time.monotonic() - t0) / 60:.1f} min in all", flush=True)


if __name__ == "__main__":
    main()
