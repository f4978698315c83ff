"""Exports a Hugging Face DistilBertForSequenceClassification checkpoint to ONNX, so that the
peers (onnxruntime-web, onnxruntime-node, transformers.js) run the same network as our engine
(build_scripts/bench/engine_peers.mjs, tests/engine/onnx_parity.sh).

The network is tests/reference/distilbert_reference.py (PyTorch, Hugging Face parameter names),
loaded from DIR/model.safetensors (F32, F16 or BF16) and DIR/config.json. The ONNX graph takes
input_ids and attention_mask (int64, [batch, sequence], both axes dynamic) and returns logits
[batch, labels]. Opset 17, so LayerNorm is one LayerNormalization node, as recent exporters
write it (onnxruntime fuses the erf GELU and attention itself).

    /usr/bin/python3 build_scripts/data/export_onnx.py --hf DIR --out model.onnx [--int8 model_int8.onnx]
    /usr/bin/python3 build_scripts/data/export_onnx.py --hf DIR --init-random SEED --vocab vocab.txt ...

--init-random first writes DIR/model.safetensors with random weights of the shape in
DIR/config.json (and copies --vocab to DIR/vocab.txt), for benchmarks of a given shape.

--int8 also writes a dynamically quantized copy, as onnxruntime's quantize_dynamic would (its
Python quantizer is not installable here; only the `onnx` package is, from Debian): every MatMul
whose second input is a weight becomes DynamicQuantizeLinear (activations to uint8, one scale
per call) -> MatMulInteger with the weight in int8, symmetric, one scale per output column ->
float rescale. onnxruntime fuses that pattern into its DynamicQuantizeMatMul kernel. The word
embeddings stay fp32.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
from distilbert_reference import (Config, DistilBertForSequenceClassification, hf_config_json,  # noqa: E402
                                  load_safetensors, randomize, save_safetensors)

OPSET = 17



def load_config(directory):
    if not os.path.isfile(os.path.join(directory, "config.json")):
        raise SystemExit(f"{directory}: no config.json (a Hugging Face checkpoint directory is expected)")
    with open(os.path.join(directory, "config.json")) as f:
        c = json.load(f)
    if c.get("activation", "gelu") != "gelu":
        raise SystemExit(f"{directory}/config.json: activation {c['activation']!r}, the reference has only gelu")
    labels = c.get("id2label", {"0": "NEGATIVE", "1": "POSITIVE"})
    cfg = Config(vocab_size=c["vocab_size"], max_position_embeddings=c["max_position_embeddings"],
                 n_layers=c["n_layers"], n_heads=c["n_heads"], dim=c["dim"], hidden_dim=c["hidden_dim"],
                 n_labels=len(labels))
    return cfg, [labels[str(i)] for i in range(len(labels))]


def write_random_checkpoint(directory, seed, vocab_path):
    cfg, labels = load_config(directory)
    torch.manual_seed(seed)
    model = DistilBertForSequenceClassification(cfg).eval()
    randomize(model, seed)
    save_safetensors(os.path.join(directory, "model.safetensors"), model.state_dict(), {"format": "pt"})
    with open(vocab_path, encoding="utf-8") as src, open(os.path.join(directory, "vocab.txt"), "w", encoding="utf-8") as dst:
        dst.write(src.read())
    # Rewritten in Hugging Face's full form, so that every reader (convert, transformers.js) finds its keys.
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(hf_config_json(cfg, labels), f, indent=2)


class LogitsOnly(torch.nn.Module):
    """The reference returns (logits, hidden states); the exported graph returns logits."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids, attention_mask)[0]


def export_fp32(directory, out_path):
    cfg, _ = load_config(directory)
    model = DistilBertForSequenceClassification(cfg).eval()
    weights = os.path.join(directory, "model.safetensors")
    if not os.path.isfile(weights):
        raise SystemExit(f"{directory}: no model.safetensors (build_scripts/data/pytorch_bin_to_safetensors.py converts "
                         "a pytorch_model.bin)")
    state = load_safetensors(weights)
    wanted = model.state_dict().keys()
    missing = [k for k in wanted if k not in state]
    if missing:
        raise SystemExit(f"{directory}/model.safetensors lacks {len(missing)} tensors, e.g. {missing[0]}")
    model.load_state_dict({k: state[k] for k in wanted})  # extra tensors (an MLM head) are ignored
    T = min(8, cfg.max_position_embeddings)
    ids = torch.full((1, T), 1000, dtype=torch.long)
    mask = torch.ones(1, T, dtype=torch.long)
    axes = {0: "batch", 1: "sequence"}
    torch.onnx.export(LogitsOnly(model), (ids, mask), out_path, opset_version=OPSET,
                      input_names=["input_ids", "attention_mask"], output_names=["logits"],
                      dynamic_axes={"input_ids": axes, "attention_mask": axes, "logits": {0: "batch"}})


def quantize_dynamic_int8(in_path, out_path):
    import onnx
    from onnx import helper, numpy_helper, TensorProto

    model = onnx.load(in_path)
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    nodes, n_quantized = [], 0
    for node in graph.node:
        w = weights.get(node.input[1]) if node.op_type == "MatMul" else None
        if w is None or len(w.dims) != 2:
            nodes.append(node)
            continue
        W = numpy_helper.to_array(w).astype(np.float32)                     # [in, out]
        scale = np.maximum(np.abs(W).max(axis=0), 1e-12) / 127.0            # [out]
        Wq = np.clip(np.round(W / scale), -127, 127).astype(np.int8)
        p = f"{node.name or node.output[0]}_q"
        graph.initializer.extend([
            numpy_helper.from_array(Wq, f"{p}_w"),
            numpy_helper.from_array(np.zeros(W.shape[1], np.int8), f"{p}_w_zero"),
            numpy_helper.from_array(scale.astype(np.float32), f"{p}_w_scale"),
        ])
        x = node.input[0]
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [x], [f"{p}_x", f"{p}_x_scale", f"{p}_x_zero"], name=f"{p}_dql"),
            helper.make_node("MatMulInteger", [f"{p}_x", f"{p}_w", f"{p}_x_zero", f"{p}_w_zero"], [f"{p}_i32"],
                             name=f"{p}_mmi"),
            helper.make_node("Cast", [f"{p}_i32"], [f"{p}_f32"], to=TensorProto.FLOAT, name=f"{p}_cast"),
            helper.make_node("Mul", [f"{p}_x_scale", f"{p}_w_scale"], [f"{p}_scale"], name=f"{p}_scale_mul"),
            helper.make_node("Mul", [f"{p}_f32", f"{p}_scale"], list(node.output), name=f"{p}_rescale"),
        ]
        n_quantized += 1
    del graph.node[:]
    graph.node.extend(nodes)
    used = {i for n in graph.node for i in n.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    onnx.checker.check_model(model)
    onnx.save(model, out_path)
    return n_quantized


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hf", required=True, help="checkpoint directory (model.safetensors, config.json)")
    ap.add_argument("--out", required=True, help="fp32 ONNX file to write")
    ap.add_argument("--int8", help="also write a dynamically quantized (int8 weights) ONNX file here")
    ap.add_argument("--init-random", type=int, metavar="SEED",
                    help="first write random weights of DIR/config.json's shape into DIR")
    ap.add_argument("--vocab", help="vocab.txt to copy into DIR with --init-random")
    args = ap.parse_args()

    torch.set_num_threads(2)
    if args.init_random is not None:
        if not args.vocab:
            raise SystemExit("--init-random needs --vocab")
        write_random_checkpoint(args.hf, args.init_random, args.vocab)
    export_fp32(args.hf, args.out)
    print(f"{args.out}: fp32, {os.path.getsize(args.out)} bytes")
    if args.int8:
        n = quantize_dynamic_int8(args.out, args.int8)
        print(f"{args.int8}: int8 dynamic quantization of {n} MatMuls, {os.path.getsize(args.int8)} bytes")


if __name__ == "__main__":
    main()
