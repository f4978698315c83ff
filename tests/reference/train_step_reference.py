"""PyTorch reference for one training step of the C trainer (tests/unit/test_train_step.c).

Reads DIR/batch.json and the Hugging Face checkpoints the C test exported (DIR/cls, DIR/mlm with
the weights; DIR/cls_grads, DIR/mlm_grads with the C gradients under the same names), rebuilds
the network from distilbert_reference.py (HF parameter names; dropout off, as in the C run),
recomputes the mean cross-entropy and every gradient, prints the max differences and exits 1
when one exceeds tolerance:
    /usr/bin/python3 tests/reference/train_step_reference.py build/test-artifacts/train_step
"""
import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from distilbert_reference import (Config, DistilBertForSequenceClassification, DistilBertModel,  # noqa: E402
                                  load_safetensors)

LOSS_TOL = 1e-5        # absolute, float32 losses of order 1
GRAD_TOL = 1e-4        # max |diff| relative to max(1e-3, max |grad|) of that tensor



def load_config(directory):
    with open(os.path.join(directory, "config.json")) as f:
        c = json.load(f)
    return Config(vocab_size=c["vocab_size"], max_position_embeddings=c["max_position_embeddings"],
                  n_layers=c["n_layers"], n_heads=c["n_heads"], dim=c["dim"], hidden_dim=c["hidden_dim"],
                  n_labels=len(c.get("id2label", {"0": 0, "1": 1})))


class DistilBertForMaskedLM(nn.Module):
    """Hugging Face's MLM head: vocab_transform, GELU, vocab_layer_norm, vocab_projector tied to
    the word embeddings (its weight is not stored)."""

    def __init__(self, cfg):
        super().__init__()
        self.distilbert = DistilBertModel(cfg)
        self.vocab_transform = nn.Linear(cfg.dim, cfg.dim)
        self.vocab_layer_norm = nn.LayerNorm(cfg.dim, eps=cfg.layer_norm_eps)
        self.vocab_projector_bias = nn.Parameter(torch.zeros(cfg.vocab_size))

    def forward(self, input_ids, attention_mask, rows):
        x, _ = self.distilbert(input_ids, attention_mask)
        h = x.reshape(-1, x.shape[-1])[rows]
        h = self.vocab_layer_norm(nn.functional.gelu(self.vocab_transform(h)))
        return h @ self.distilbert.embeddings.word_embeddings.weight.T + self.vocab_projector_bias


def compare(label, model, c_loss, loss, grads_dir, rename=lambda n: n):
    c_grads = load_safetensors(os.path.join(grads_dir, "model.safetensors"))
    ok = abs(loss.item() - c_loss) <= LOSS_TOL
    print(f"  {label}: loss C {c_loss:.7f} PyTorch {loss.item():.7f} (diff {abs(loss.item() - c_loss):.2e})")
    worst_name, worst = None, 0.0
    named = {rename(n): p for n, p in model.named_parameters()}
    missing = set(named) - set(c_grads)
    if missing:
        print(f"  {label}: no C gradient for {sorted(missing)}")
        ok = False
    for name, c_grad in c_grads.items():
        g = named[name].grad
        diff = (g - c_grad).abs().max().item() / max(1e-3, g.abs().max().item())
        if diff > worst:
            worst_name, worst = name, diff
        if diff > GRAD_TOL:
            print(f"  {label}: gradient of {name} differs by {diff:.2e} (relative)")
            ok = False
    print(f"  {label}: {len(c_grads)} gradients, worst relative max difference {worst:.2e} ({worst_name})")
    return ok


def main():
    directory = sys.argv[1]
    torch.manual_seed(0)
    with open(os.path.join(directory, "batch.json")) as f:
        batch = json.load(f)
    B, T = batch["B"], batch["T"]
    mask = torch.tensor(batch["mask"]).reshape(B, T)
    ok = True

    cfg = load_config(os.path.join(directory, "cls"))
    model = DistilBertForSequenceClassification(cfg)
    model.load_state_dict(load_safetensors(os.path.join(directory, "cls", "model.safetensors")), strict=True)
    logits, _ = model(torch.tensor(batch["ids"]).reshape(B, T), mask)
    loss = nn.functional.cross_entropy(logits, torch.tensor(batch["labels"]))
    loss.backward()
    ok &= compare("classification", model, batch["loss"], loss, os.path.join(directory, "cls_grads"))

    cfg = load_config(os.path.join(directory, "mlm"))
    mlm = DistilBertForMaskedLM(cfg)
    state = load_safetensors(os.path.join(directory, "mlm", "model.safetensors"))
    state["vocab_projector_bias"] = state.pop("vocab_projector.bias")
    mlm.load_state_dict(state, strict=True)
    logits = mlm(torch.tensor(batch["mlm_ids"]).reshape(B, T), mask, torch.tensor(batch["mlm_rows"]))
    loss = nn.functional.cross_entropy(logits, torch.tensor(batch["mlm_targets"]))
    loss.backward()
    ok &= compare("masked LM", mlm, batch["mlm_loss"], loss, os.path.join(directory, "mlm_grads"),
                  rename=lambda n: "vocab_projector.bias" if n == "vocab_projector_bias" else n)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
