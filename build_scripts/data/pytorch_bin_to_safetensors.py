"""Converts a Hugging Face checkpoint saved as pytorch_model.bin into model.safetensors, so that
`build/sentiment convert --hf DIR` can read it. Needs only torch (no `safetensors` package):
    /usr/bin/python3 build_scripts/data/pytorch_bin_to_safetensors.py DIR [--out DIR/model.safetensors]
Tensors that share storage (tied weights) are written as separate copies; non-floating buffers
(e.g. position_ids) are kept with their own dtype.
"""
import argparse
import json
import os
import struct

import torch

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
          torch.int32: "I32", torch.int8: "I8", torch.uint8: "U8"}


def tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", help="checkpoint directory holding pytorch_model.bin")
    ap.add_argument("--out", help="output file (default: DIR/model.safetensors)")
    args = ap.parse_args()
    state = torch.load(os.path.join(args.dir, "pytorch_model.bin"), map_location="cpu")
    if "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    header, blobs, offset = {}, [], 0
    for name in sorted(state):
        t = state[name]
        if not isinstance(t, torch.Tensor) or t.dtype not in DTYPES:
            print(f"skipping {name}: not a tensor of a supported dtype")
            continue
        data = tensor_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt", "converted_by": "pytorch_bin_to_safetensors.py"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    out = args.out or os.path.join(args.dir, "model.safetensors")
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    print(f"wrote {out}: {len(blobs)} tensors, {offset} bytes of data")


if __name__ == "__main__":
    main()
