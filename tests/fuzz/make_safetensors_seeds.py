#!/usr/bin/env python3
"""Writes the seed corpus of the convert fuzz target (tests/fuzz/corpus/convert/): a valid
model.safetensors for the target's fixed config.json (vocab 12, dim 8, 1 layer, 2 heads,
hidden 16, max_position 8, 2 labels) in F32, F16 and BF16, the tensor names and shapes of
DistilBertForSequenceClassification, plus one unused extra tensor and a __metadata__ entry.
Standard library only; deterministic. Run from the repository root."""
import json
import random
import struct

V, D, L, H, P, C = 12, 8, 1, 16, 8, 2


def tensors():
    out = [("distilbert.embeddings.word_embeddings.weight", [V, D]),
           ("distilbert.embeddings.position_embeddings.weight", [P, D]),
           ("distilbert.embeddings.LayerNorm.weight", [D]),
           ("distilbert.embeddings.LayerNorm.bias", [D])]
    for layer in range(L):
        for name in ("attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin", "ffn.lin1", "ffn.lin2"):
            rows = H if name == "ffn.lin1" else D
            cols = H if name == "ffn.lin2" else D
            out.append((f"distilbert.transformer.layer.{layer}.{name}.weight", [rows, cols]))
            out.append((f"distilbert.transformer.layer.{layer}.{name}.bias", [rows]))
        for name in ("sa_layer_norm", "output_layer_norm"):
            out.append((f"distilbert.transformer.layer.{layer}.{name}.weight", [D]))
            out.append((f"distilbert.transformer.layer.{layer}.{name}.bias", [D]))
    out += [("pre_classifier.weight", [D, D]), ("pre_classifier.bias", [D]),
            ("classifier.weight", [C, D]), ("classifier.bias", [C]),
            ("vocab_projector.bias", [V])]   # ignored by the converter
    return out


def encode(values, dtype):
    if dtype == "F32":
        return struct.pack(f"<{len(values)}f", *values)
    if dtype == "F16":
        return struct.pack(f"<{len(values)}e", *values)
    # BF16: the high half of the F32 bits.
    return b"".join(struct.pack("<I", struct.unpack("<I", struct.pack("<f", v))[0])[2:] for v in values)


def write(path, dtype):
    rng = random.Random(1)
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name, shape in tensors():
        n = 1
        for s in shape:
            n *= s
        ones = name.endswith("LayerNorm.weight") or name.endswith("layer_norm.weight")
        values = [1.0 if ones else rng.uniform(-0.5, 0.5) for _ in range(n)]
        blob = encode(values, dtype)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


for dtype in ("F32", "F16", "BF16"):
    write(f"tests/fuzz/corpus/convert/{dtype.lower()}.safetensors", dtype)
