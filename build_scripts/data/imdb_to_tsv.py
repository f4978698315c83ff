#!/usr/bin/env python3
"""Packs the original IMDb release (aclImdb_v1.tar.gz, unpacked) into the three gzipped TSV files
the tests and the trainer read: train.tsv.gz, test.tsv.gz, unsup.tsv.gz.

Format (as in ../shared/data): one header line `id<TAB>label<TAB>rating<TAB>text`, one row per
review sorted by label then id; label 1 = pos, 0 = neg, -1 = unsup; in `text` a backslash, TAB,
LF and CR are written as \\\\, \\t, \\n, \\r so that a row is one line. gzip level 9 with mtime 0, so
the bytes are reproducible.

usage: python3 build_scripts/data/imdb_to_tsv.py path/to/aclImdb OUT_DIR
"""
import gzip
import os
import re
import sys

NAME = re.compile(r"^(\d+)_(\d+)\.txt$")
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def rows(folder, label):
    """(label, id, rating, text) for every review file in folder."""
    out = []
    for name in os.listdir(folder):
        match = NAME.match(name)
        if not match:
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            text = f.read()
        out.append((label, int(match.group(1)), int(match.group(2)), text))
    if not out:
        sys.exit(f"imdb_to_tsv: no review files ([id]_[rating].txt) in {folder}")
    return out


def write(path, examples):
    examples.sort(key=lambda r: (r[0], r[1]))
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz:
            gz.write(b"id\tlabel\trating\ttext\n")
            for label, rid, rating, text in examples:
                gz.write(f"{rid}\t{label}\t{rating}\t{text.translate(ESCAPES)}\n".encode("utf-8"))
    print(f"wrote {path}: {len(examples)} reviews")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    root, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    for split in ("train", "test"):
        examples = rows(os.path.join(root, split, "neg"), 0) + rows(os.path.join(root, split, "pos"), 1)
        write(os.path.join(out_dir, f"{split}.tsv.gz"), examples)
    write(os.path.join(out_dir, "unsup.tsv.gz"), rows(os.path.join(root, "train", "unsup"), -1))


if __name__ == "__main__":
    main()
