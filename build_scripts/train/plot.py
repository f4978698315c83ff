"""Plots a training run's log.csv (written by `build/sentiment train`) as one SVG: training loss
per logged step, and validation loss / accuracy per epoch. Plain SVG, no plotting library.
    python3 build_scripts/train/plot.py RUN_DIR/log.csv out.svg
"""
import csv
import sys

W, H, PAD = 720, 360, 50


def polyline(points, x_max, y_min, y_max, color, width=1.5):
    span = (y_max - y_min) or 1.0
    pts = " ".join(f"{PAD + (W - 2 * PAD) * x / x_max:.1f},{H - PAD - (H - 2 * PAD) * (y - y_min) / span:.1f}"
                   for x, y in points)
    return f'<polyline fill="none" stroke="{color}" stroke-width="{width}" points="{pts}"/>'


def main():
    src, out = sys.argv[1], sys.argv[2]
    train, valid_loss, valid_acc = [], [], []
    with open(src) as f:
        for row in csv.DictReader(f):
            step = int(row["step"])
            if row["loss"]:
                train.append((step, float(row["loss"])))
            if row["valid_loss"]:
                valid_loss.append((step, float(row["valid_loss"])))
                valid_acc.append((step, float(row["valid_accuracy"])))
    if not train:
        sys.exit(f"{src}: no training rows")
    x_max = max(s for s, _ in train + valid_loss)
    y_max = max(v for _, v in train + valid_loss)
    # accuracy from 0.5 for a classifier; from 0 for masked-LM accuracies (which start near 0)
    acc_min = 0.5 if all(a >= 0.5 for _, a in valid_acc) else 0.0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/>',
             f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="black"/>',
             f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="black"/>',
             f'<text x="{W / 2}" y="{H - 15}" text-anchor="middle">step (0 to {x_max})</text>',
             f'<text x="10" y="18">loss 0 to {y_max:.2f} (left); accuracy {acc_min:g} to 1 (right scale, green)</text>',
             polyline(train, x_max, 0, y_max, "#888"),
             polyline(valid_loss, x_max, 0, y_max, "#c33", 2.5),
             polyline(valid_acc, x_max, acc_min, 1.0, "#3a3", 2.5)]
    every = -(-len(valid_acc) // 6)   # at most six accuracy labels: the last and every few before it
    for s, a in valid_acc[::-1][::every]:
        x = PAD + (W - 2 * PAD) * s / x_max
        parts.append(f'<text x="{x:.0f}" y="{PAD - 25 + 12}" text-anchor="end" fill="#3a3">{100 * a:.1f}%</text>')
    parts.append('<text x="60" y="80" fill="#888">train loss</text><text x="60" y="95" fill="#c33">valid loss</text>'
                 '<text x="60" y="110" fill="#3a3">valid accuracy</text></svg>')
    with open(out, "w") as f:
        f.write("\n".join(parts) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
