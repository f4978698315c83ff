"""PyTorch mirror of `sentiment train` for a GPU: masked-LM pretraining, then distilled fine-tuning,
of a DistilBERT with Hugging Face's parameter names, on the token rows, validation split and
teacher labels of a `sentiment train pack` file. It writes a Hugging Face directory that
`sentiment convert` turns into the engine's model file, so the C engine evaluates it exactly as
it does a model of the C trainer.

What it mirrors (src/train/): the model (hidden dropout after the embeddings, out_lin and lin2;
classifier dropout after the ReLU; no attention-probability dropout), the MLM objective (15 % of
the tokens between [CLS] and [SEP], at least one, 80/10/10 mask/random/keep, random ids from 999
up), AdamW with decay on matrices and embeddings only, linear warmup then linear decay to 0,
global-norm clipping, length-bucketed batches, and the distillation target (labelled rows:
alpha * label + (1 - alpha) * teacher; unlabelled rows: the teacher). What it adds: bf16
autocast on a GPU, and time limits (--mlm-minutes, --deadline-minutes) that end a stage early
rather than lose it, since the GPU machine is lent for minutes.

    build/sentiment train pack --data TRAIN,UNSUP --vocab weights/vocab.txt --out-dir P \
        --seq-len 512 --head-tokens 128 --max-positions 512 --teacher LABELS.tsv
    python3 build_scripts/train/torch_mirror.py --pack P/pack.bin --vocab weights/vocab.txt --out RUN \
        --layers 4 --dim 256 --heads 4 --hidden 1024 --mlm-steps 10000 --finetune-epochs 3

RUN gets mlm-log.csv and finetune-log.csv (the C trainer's log.csv columns), mlm.pt (the
pretrained weights; --init-mlm starts a fine-tuning from it), hf/ (the best validation epoch:
model.safetensors, config.json, vocab.txt) and hf/golden.safetensors (validation rows with this
model's logits and hidden states, which tests/engine/parity.c checks the engine against).
"""
import argparse
import contextlib
import csv
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
                                  hf_config_json, save_safetensors)

FIRST_PLAIN_TOKEN = 999   # ids below are [PAD], [unusedN], [UNK], [CLS], [SEP], [MASK]
LOG_COLUMNS = ["step", "epoch", "loss", "lr", "grad_norm", "tokens_per_s", "gflops", "valid_loss",
               "valid_accuracy", "train_accuracy"]


# ---------------------------------------------------------------- data

class Pack:
    """A `sentiment train pack` file (src/train/pack.h) as padded tensors on the device."""

    def __init__(self, path, device):
        opener = lzma.open if path.endswith(".xz") else open
        with opener(path, "rb") as f:
            raw = f.read()
        if raw[:4] != b"SMPK":
            raise SystemExit(f"{path}: not a pack file (magic {raw[:4]!r})")
        version, n, T, self.head_tokens, self.vocab_size = struct.unpack_from("<5I", raw, 4)
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
        self.n, self.T, self.lens, self.labels, self.teacher = n, T, lens, labels, teacher
        self.valid_rows = np.flatnonzero(valid)
        self.train_rows = np.flatnonzero(~valid)                  # labelled training + unlabelled rows
        self.labelled_train_rows = np.flatnonzero(~valid & (labels >= 0))
        self.has_teacher = not np.isnan(teacher).any()
        self.ids = torch.from_numpy(ids).to(device)
        self.lens_t = torch.from_numpy(lens).to(device)

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


# ---------------------------------------------------------------- model

class Mirror(DistilBertForSequenceClassification):
    """The reference module's parameters (so state_dict() names are Hugging Face's) with a
    training forward: dropout where the C trainer has it, fused attention where PyTorch has it,
    and the MLM head of DistilBertForMaskedLM (vocab_projector's weight tied to the word
    embeddings)."""

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

    def encode(self, ids, mask):
        """ids [B, T] int64, mask [B, T] bool -> last hidden states [B, T, D]."""
        B, T = ids.shape
        emb = self.distilbert.embeddings
        p = self.dropout if self.training else 0.0
        x = emb.LayerNorm(emb.word_embeddings(ids) + emb.position_embeddings.weight[:T][None])
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

    def classify(self, ids, mask):
        """-> logits [B, n_labels]."""
        pooled = torch.relu(self.pre_classifier(self.encode(ids, mask)[:, 0]))
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


# ---------------------------------------------------------------- optimisation

def make_optimizer(model, lr, weight_decay, betas, device):
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    kwargs = {"fused": True} if device.type == "cuda" else {}
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=1e-8, **kwargs)


def learning_rate(peak, step, warmup, total):
    """The C trainer's schedule: linear warmup over `warmup` steps, then linear decay to 0 at `total`."""
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * max(0.0, 1.0 - (step - warmup) / max(1, total - warmup))


def flops_per_token(cfg, T, mlm_fraction):
    """Training FLOPs per token (forward + backward = 3 x forward): the matmuls, attention over
    T keys, and the MLM head on mlm_fraction of the tokens."""
    D, H, L, V = cfg.dim, cfg.hidden_dim, cfg.n_layers, cfg.vocab_size
    forward = L * (2 * (4 * D * D + 2 * D * H) + 4 * T * D) + mlm_fraction * 2 * (D * D + D * V)
    return 3 * forward


class Log:
    """log.csv with the C trainer's columns, plus a line on stdout per entry."""

    def __init__(self, path):
        self.file = open(path, "w", newline="")
        self.writer = csv.DictWriter(self.file, LOG_COLUMNS)
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

def pretrain(model, pack, args, device, autocast, mask_id, log):
    """Masked-LM on every training row (labelled and unlabelled; never validation) for
    --mlm-steps, or fewer if --mlm-minutes runs out first (the decay is then cut short)."""
    rng = np.random.default_rng(args.seed)
    gen = torch.Generator(device=device).manual_seed(args.seed)
    optimizer = make_optimizer(model, args.mlm_lr, args.weight_decay, (0.9, 0.98), device)
    total = args.mlm_steps
    fpt = flops_per_token(model.cfg, float(pack.lens.mean()), args.mask_prob)
    step, epoch, t_start = 0, 0, time.time()
    window_tokens, window_start = 0, time.time()
    print(f"mlm: {total} steps of {args.mlm_batch} ({total * args.mlm_batch / len(pack.train_rows):.1f} epochs)", flush=True)
    model.train()
    while step < total:
        epoch += 1
        for rows in bucketed_batches(pack.train_rows, pack.lens, args.mlm_batch, args.bucket, rng):
            if step >= total:
                break
            if args.mlm_minutes > 0 and time.time() - t_start > args.mlm_minutes * 60:
                print(f"mlm: out of time at step {step} of {total}: stopping", flush=True)
                total = step
                break
            ids, mask = pack.batch(rows)
            masked, positions, targets = mlm_mask(ids, mask, args.mask_prob, mask_id, pack.vocab_size, gen)
            with autocast():
                logits = model.mlm_logits(masked, mask, positions)
            loss = F.cross_entropy(logits.float(), targets)
            lr = learning_rate(args.mlm_lr, step, args.mlm_warmup, total)
            norm = step_optimizer(model, optimizer, loss, lr, args.clip)
            step += 1
            window_tokens += int(pack.lens[rows].sum())
            if step % args.log_every == 0:
                seconds = time.time() - window_start
                log.write(step=step, epoch=epoch, loss=loss.item(), lr=lr, grad_norm=norm,
                          tokens_per_s=window_tokens / seconds, gflops=window_tokens * fpt / seconds / 1e9)
                window_tokens, window_start = 0, time.time()
        loss_v, acc_v = evaluate_mlm(model, pack, args, device, autocast, mask_id)
        log.write(step=step, epoch=epoch, valid_loss=loss_v, valid_accuracy=acc_v)
        model.train()
    print(f"mlm: {step} steps, {epoch} epochs, {(time.time() - t_start) / 60:.1f} min", flush=True)


@torch.no_grad()
def evaluate_mlm(model, pack, args, device, autocast, mask_id):
    """Masked-token loss and accuracy on the first 1,000 validation rows, with fixed masks."""
    model.eval()
    gen = torch.Generator(device=device).manual_seed(0x5EED)
    rows = pack.valid_rows[:1000]
    rows = rows[np.argsort(pack.lens[rows], kind="stable")]
    loss_sum, correct, count = 0.0, 0, 0
    for start in range(0, len(rows), args.eval_batch):
        ids, mask = pack.batch(rows[start:start + args.eval_batch])
        masked, positions, targets = mlm_mask(ids, mask, args.mask_prob, mask_id, pack.vocab_size, gen)
        with autocast():
            logits = model.mlm_logits(masked, mask, positions).float()
        loss_sum += float(F.cross_entropy(logits, targets, reduction="sum"))
        correct += int((logits.argmax(1) == targets).sum())
        count += len(targets)
    return loss_sum / count, correct / count


@torch.no_grad()
def evaluate_classifier(model, pack, args, autocast):
    """Cross-entropy and accuracy on every validation row."""
    model.eval()
    rows = pack.valid_rows[np.argsort(pack.lens[pack.valid_rows], kind="stable")]
    loss_sum, correct = 0.0, 0
    for start in range(0, len(rows), args.eval_batch):
        batch = rows[start:start + args.eval_batch]
        ids, mask = pack.batch(batch)
        labels = torch.as_tensor(pack.labels[batch], device=ids.device)
        with autocast():
            logits = model.classify(ids, mask).float()
        loss_sum += float(F.cross_entropy(logits, labels, reduction="sum"))
        correct += int((logits.argmax(1) == labels).sum())
    return loss_sum / len(rows), correct / len(rows)


def finetune(model, pack, args, device, autocast, lr, deadline, log):
    """Classification on the labelled training rows (hard labels), or with a teacher on every
    training row (soft targets). Returns (best validation accuracy, its epoch, its state)."""
    rng = np.random.default_rng(args.seed + 1)
    if pack.has_teacher and args.distill_alpha < 1:
        rows = pack.train_rows
        labelled = pack.labels >= 0
        alpha = np.where(labelled, args.distill_alpha, 0.0)
        target = ((1 - alpha) * pack.teacher + alpha * (pack.labels == 1)).astype(np.float32)
    else:
        rows = pack.labelled_train_rows
        target = (pack.labels == 1).astype(np.float32)
    target_t = torch.from_numpy(target).to(device)                         # [n] P(positive)
    optimizer = make_optimizer(model, lr, args.weight_decay, (0.9, 0.999), device)
    steps_per_epoch = len(rows) // args.batch
    total = args.finetune_steps if args.finetune_steps > 0 else steps_per_epoch * args.finetune_epochs
    warmup = max(1, int(args.finetune_warmup * total))
    fpt = flops_per_token(model.cfg, float(pack.lens.mean()), 0.0)
    best = (-1.0, 0, None)
    step, epoch = 0, 0
    window_tokens, window_start, correct, seen = 0, time.time(), 0, 0
    print(f"finetune: lr {lr:g}, {len(rows)} rows ({'teacher' if pack.has_teacher else 'labels'}), "
          f"{total} steps of {args.batch}", flush=True)
    model.train()
    while step < total:   # past the deadline, the epoch under way ends early but is still evaluated
        epoch += 1
        for batch in bucketed_batches(rows, pack.lens, args.batch, args.bucket, rng):
            if step >= total or time.time() >= deadline:
                break
            ids, mask = pack.batch(batch)
            p_pos = target_t[torch.as_tensor(batch, device=device)]
            soft = torch.stack([1 - p_pos, p_pos], 1)                       # [B, 2]
            with autocast():
                logits = model.classify(ids, mask)
            loss = -(soft * F.log_softmax(logits.float(), 1)).sum(1).mean()
            norm = step_optimizer(model, optimizer, loss, learning_rate(lr, step, warmup, total), args.clip)
            step += 1
            correct += int((logits.argmax(1) == (p_pos > 0.5).long()).sum())
            seen += len(batch)
            window_tokens += int(pack.lens[batch].sum())
            if step % args.log_every == 0:
                seconds = time.time() - window_start
                log.write(step=step, epoch=epoch, loss=loss.item(), lr=learning_rate(lr, step - 1, warmup, total),
                          grad_norm=norm, tokens_per_s=window_tokens / seconds,
                          gflops=window_tokens * fpt / seconds / 1e9)
                window_tokens, window_start = 0, time.time()
        loss_v, acc_v = evaluate_classifier(model, pack, args, autocast)
        log.write(step=step, epoch=epoch, valid_loss=loss_v, valid_accuracy=acc_v, train_accuracy=correct / max(1, seen))
        correct = seen = 0
        if acc_v > best[0]:
            best = (acc_v, epoch, {k: v.detach().float().cpu().clone() for k, v in model.classifier_state().items()})
        if time.time() >= deadline:
            print(f"finetune: deadline reached at step {step} of {total}", flush=True)
            break
        model.train()
    return best


# ---------------------------------------------------------------- export

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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pack", required=True, help="pack.bin (or pack.bin.xz) from `sentiment train pack`")
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
    ap.add_argument("--mlm-minutes", type=float, default=0, help="stop MLM early after this long (0: never)")
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
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--bucket", type=int, default=50)
    ap.add_argument("--eval-batch", type=int, default=128)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--deadline-minutes", type=float, default=0, help="stop fine-tuning then (0: none)")
    ap.add_argument("--golden-rows", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1337)
    args = ap.parse_args()

    t0 = time.time()
    deadline = t0 + args.deadline_minutes * 60 if args.deadline_minutes > 0 else float("inf")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
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
    mask_id = vocab.index("[MASK]")

    pack = Pack(args.pack, device)
    if pack.vocab_size != len(vocab):
        raise SystemExit(f"the pack was made with {pack.vocab_size} tokens, the vocab has {len(vocab)}")
    print(f"data: {pack.n} rows of at most {pack.T} tokens ({pack.lens.mean():.1f} on average), "
          f"{len(pack.train_rows)} training ({len(pack.labelled_train_rows)} labelled), "
          f"{len(pack.valid_rows)} validation, teacher {'yes' if pack.has_teacher else 'no'}; "
          f"device {device} ({torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'}), "
          f"torch {torch.__version__}", flush=True)
    cfg = Config(vocab_size=pack.vocab_size, max_position_embeddings=pack.T, n_layers=args.layers,
                 n_heads=args.heads, dim=args.dim, hidden_dim=args.hidden)
    model = Mirror(cfg, args.dropout, args.cls_dropout).to(device)

    mlm_path = os.path.join(args.out, "mlm.pt")
    if args.init_mlm:
        model.load_state_dict(torch.load(args.init_mlm, map_location=device))
        print(f"mlm: weights from {args.init_mlm}", flush=True)
    else:
        pretrain(model, pack, args, device, autocast, mask_id, Log(os.path.join(args.out, "mlm-log.csv")))
        torch.save(model.state_dict(), mlm_path)
    pretrained = {k: v.detach().clone() for k, v in model.state_dict().items()}

    best, run_seconds = (-1.0, 0, None, 0.0), 0.0
    for i, lr in enumerate(float(x) for x in args.finetune_lrs.split(",")):
        if i > 0 and time.time() + run_seconds > deadline:
            print(f"finetune: no time left for lr {lr:g}", flush=True)
            break
        started = time.time()
        model.load_state_dict(pretrained)
        log = Log(os.path.join(args.out, f"finetune-log{i}.csv" if i else "finetune-log.csv"))
        acc, epoch, state = finetune(model, pack, args, device, autocast, lr, deadline, log)
        run_seconds = time.time() - started
        print(f"finetune: lr {lr:g}: best validation accuracy {100 * acc:.2f}% after epoch {epoch} "
              f"({run_seconds / 60:.1f} min)", flush=True)
        if acc > best[0]:
            best = (acc, epoch, state, lr)
    acc, epoch, state, lr = best
    export(state, cfg, pack, args.vocab, os.path.join(args.out, "hf"), args.golden_rows)
    print(f"done: validation accuracy {100 * acc:.2f}% (lr {lr:g}, epoch {epoch}); "
          f"{(time.time() - t0) / 60:.1f} min in all", flush=True)


if __name__ == "__main__":
    main()
