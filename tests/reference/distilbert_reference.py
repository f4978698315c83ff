"""PyTorch reference for the C engine: Hugging Face's DistilBertForSequenceClassification (eval
mode), rewritten with its exact module and parameter names so that state_dict() keys match a
Hugging Face checkpoint (e.g. distilbert.transformer.layer.0.attention.q_lin.weight).
`transformers` is not installed here, so this file is the independent reference.

Importable (the trainer's training-step reference reuses it):
    from distilbert_reference import Config, DistilBertForSequenceClassification, save_safetensors

As a script, writes a random-weight checkpoint directory in Hugging Face's layout
(model.safetensors, config.json, vocab.txt) plus golden.safetensors with inputs and outputs:
    /usr/bin/python3 tests/reference/distilbert_reference.py --out build/x --vocab weights/vocab.txt \
        --preset small --lengths '1,2,17;512' [--seed 0]
Each golden*.safetensors holds input_ids [B,T] (I32), attention_mask [B,T] (I32), logits [B,C] and
hidden_states [L+1,B,T,D] (F32).
"""
import argparse
import json
import math
import os
import struct
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Config:
    vocab_size: int = 30522
    max_position_embeddings: int = 512
    n_layers: int = 6
    n_heads: int = 12
    dim: int = 768
    hidden_dim: int = 3072
    n_labels: int = 2
    layer_norm_eps: float = 1e-12


PRESETS = {
    "base": Config(),  # distilbert-base-uncased
    "small": Config(n_layers=2, n_heads=4, dim=64, hidden_dim=256),
    "tiny": Config(n_layers=1, n_heads=2, dim=32, hidden_dim=64, max_position_embeddings=64),
}


class Embeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.position_embeddings = nn.Embedding(cfg.max_position_embeddings, cfg.dim)
        self.LayerNorm = nn.LayerNorm(cfg.dim, eps=cfg.layer_norm_eps)

    def forward(self, input_ids):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions)[None]
        return self.LayerNorm(x)


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_heads = cfg.n_heads
        self.q_lin = nn.Linear(cfg.dim, cfg.dim)
        self.k_lin = nn.Linear(cfg.dim, cfg.dim)
        self.v_lin = nn.Linear(cfg.dim, cfg.dim)
        self.out_lin = nn.Linear(cfg.dim, cfg.dim)

    def forward(self, x, mask):
        B, T, D = x.shape
        hd = D // self.n_heads

        def heads(t):  # [B, T, D] -> [B, NH, T, hd]
            return t.view(B, T, self.n_heads, hd).transpose(1, 2)

        q = heads(self.q_lin(x)) / math.sqrt(hd)
        k = heads(self.k_lin(x))
        v = heads(self.v_lin(x))
        scores = q @ k.transpose(2, 3)                                   # [B, NH, T, T]
        keep = (mask != 0).view(B, 1, 1, T)
        scores = scores.masked_fill(~keep, torch.finfo(scores.dtype).min)
        weights = torch.softmax(scores, dim=-1)
        ctx = (weights @ v).transpose(1, 2).reshape(B, T, D)
        return self.out_lin(ctx)


class FFN(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.lin1 = nn.Linear(cfg.dim, cfg.hidden_dim)
        self.lin2 = nn.Linear(cfg.hidden_dim, cfg.dim)

    def forward(self, x):
        return self.lin2(nn.functional.gelu(self.lin1(x)))  # exact erf GELU, as HF "gelu"


class TransformerBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attention = MultiHeadSelfAttention(cfg)
        self.sa_layer_norm = nn.LayerNorm(cfg.dim, eps=cfg.layer_norm_eps)
        self.ffn = FFN(cfg)
        self.output_layer_norm = nn.LayerNorm(cfg.dim, eps=cfg.layer_norm_eps)

    def forward(self, x, mask):
        x = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.ffn(x) + x)


class Transformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layer = nn.ModuleList([TransformerBlock(cfg) for _ in range(cfg.n_layers)])

    def forward(self, x, mask):
        hidden = [x]
        for block in self.layer:
            x = block(x, mask)
            hidden.append(x)
        return x, hidden


class DistilBertModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = Embeddings(cfg)
        self.transformer = Transformer(cfg)

    def forward(self, input_ids, attention_mask):
        return self.transformer(self.embeddings(input_ids), attention_mask)


class DistilBertForSequenceClassification(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.distilbert = DistilBertModel(cfg)
        self.pre_classifier = nn.Linear(cfg.dim, cfg.dim)
        self.classifier = nn.Linear(cfg.dim, cfg.n_labels)

    def forward(self, input_ids, attention_mask):
        """Returns logits [B, C] and the L+1 hidden states [B, T, D] (embeddings first)."""
        x, hidden = self.distilbert(input_ids, attention_mask)
        pooled = torch.relu(self.pre_classifier(x[:, 0]))
        return self.classifier(pooled), hidden


def hf_config_json(cfg, labels=("NEGATIVE", "POSITIVE")):
    """config.json as Hugging Face writes it for DistilBertForSequenceClassification."""
    return {
        "architectures": ["DistilBertForSequenceClassification"],
        "model_type": "distilbert",
        "activation": "gelu",
        "dim": cfg.dim,
        "hidden_dim": cfg.hidden_dim,
        "n_heads": cfg.n_heads,
        "n_layers": cfg.n_layers,
        "vocab_size": cfg.vocab_size,
        "max_position_embeddings": cfg.max_position_embeddings,
        "dropout": 0.1,
        "attention_dropout": 0.1,
        "seq_classif_dropout": 0.2,
        "initializer_range": 0.02,
        "pad_token_id": 0,
        "sinusoidal_pos_embds": False,
        "tie_weights_": True,
        "id2label": {str(i): l for i, l in enumerate(labels)},
        "label2id": {l: i for i, l in enumerate(labels)},
    }


_ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int32: "I32",
              torch.int64: "I64", torch.uint8: "U8", torch.int8: "I8"}


def save_safetensors(path, tensors, metadata=None):
    """Writes a dict name -> tensor in the safetensors format (8-byte little-endian header
    length, JSON header with dtype/shape/data_offsets, 8-aligned, then the raw data), without
    the safetensors package."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": _ST_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_safetensors(path, native=False):
    """Reads a safetensors file written by save_safetensors (or Hugging Face) into a dict
    name -> float32 tensor; F32, F16 and BF16 tensors are accepted. With native, every dtype
    of _ST_DTYPES is, each tensor keeps its own, and the header's __metadata__ comes back as
    the key "__metadata__". A file shorter or longer than its header says is refused."""
    dtypes = {v: k for k, v in _ST_DTYPES.items()}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    end_of_data = max([info["data_offsets"][1] for name, info in header.items() if name != "__metadata__"] or [0])
    if end_of_data != len(data):
        raise SystemExit(f"{path}: {8 + n + len(data)} bytes, the header promises {8 + n + end_of_data}")
    out = {"__metadata__": header.get("__metadata__", {})} if native else {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in dtypes or not (native or dtypes[info["dtype"]].is_floating_point):
            raise SystemExit(f"{path}: tensor {name} has dtype {info['dtype']}, expected F32, F16 or BF16")
        start, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[start:end]), dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        out[name] = t if native else t.float()
    return out


def randomize(model, seed):
    """Weights with enough spread that every parameter matters (LayerNorm and biases too)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name or "layer_norm" in name:
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "embeddings" in name:
                p.copy_(torch.randn(p.shape, generator=g))
            else:  # variance-preserving, so the [CLS] state depends on the whole input
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))


def make_inputs(lengths, vocab_size, seed, cls_id=101, sep_id=102):
    """Padded batch: [CLS] random ids [SEP] per length, 0 ([PAD]) after."""
    g = torch.Generator().manual_seed(seed + 1)
    T = max(lengths)
    ids = torch.zeros(len(lengths), T, dtype=torch.int32)
    mask = torch.zeros(len(lengths), T, dtype=torch.int32)
    for b, n in enumerate(lengths):
        ids[b, :n] = torch.randint(999, vocab_size, (n,), generator=g, dtype=torch.int32)
        ids[b, 0] = cls_id
        if n > 1:
            ids[b, n - 1] = sep_id
        mask[b, :n] = 1
    return ids, mask


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab", required=True, help="vocab.txt to copy into the checkpoint")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="small")
    ap.add_argument("--lengths", default="1,2,17",
                    help="sequence lengths of a golden batch, comma-separated; batches separated by ';' "
                         "go to golden.safetensors, golden1.safetensors, ...")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(2)
    cfg = PRESETS[args.preset]
    with open(args.vocab, encoding="utf-8") as f:
        vocab = f.read()
    n_vocab = len(vocab.rstrip("\n").split("\n"))
    if n_vocab > cfg.vocab_size:
        raise SystemExit(f"vocab has {n_vocab} tokens, preset only {cfg.vocab_size}")
    torch.manual_seed(args.seed)
    model = DistilBertForSequenceClassification(cfg).eval()
    randomize(model, args.seed)

    os.makedirs(args.out, exist_ok=True)
    save_safetensors(os.path.join(args.out, "model.safetensors"), model.state_dict(), {"format": "pt"})
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(hf_config_json(cfg), f, indent=2)
    with open(os.path.join(args.out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write(vocab)

    for i, batch in enumerate(args.lengths.split(";")):
        lengths = [int(x) for x in batch.split(",")]
        ids, mask = make_inputs(lengths, n_vocab, args.seed + i)
        with torch.no_grad():
            logits, hidden = model(ids.long(), mask)
        name = "golden.safetensors" if i == 0 else f"golden{i}.safetensors"
        save_safetensors(os.path.join(args.out, name), {
            "input_ids": ids, "attention_mask": mask, "logits": logits.float(),
            "hidden_states": torch.stack(hidden).float(),
        })
        print(f"{args.out}/{name}: preset {args.preset}, lengths {lengths}, logits {logits.tolist()}")


if __name__ == "__main__":
    main()
