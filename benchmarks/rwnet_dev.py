"""RWNet model selection on a development set that is never the WG04 evaluation images.

The development set: the held-out validation slices of ``data/rwnet`` (every one with at
least 30,000 pixels; every 10th mricron slice) plus the training-set pydicom images with
more than 200,000 pixels — all from ``scripts/prepare_rwnet_data.py``, none from WG04.
For each model folder given, every quality level of RWNet is measured (payload bits +
40 bytes per image, PSNR over stored values) and compared by BD-rate with a PSNR-targeted
JPEG 2000 sweep of the same images (payload bits + 40 bytes); with two or more models,
also each model against the first directly (over their common PSNR range).

Usage: .venv/bin/python benchmarks/rwnet_dev.py MODEL_DIR [MODEL_DIR ...]
       [--out benchmarks/results/rwnet_dev.md]
A model folder holds ``rwnet-v4.{json,weights.h5,tables.npz}`` (``medcomp train ... --export-to``).
Points above 90 dB (near-lossless) are left out of the BD-rates.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from medcomp_gui import metrics  # noqa: E402
from medcomp_gui.codecs import get_codec  # noqa: E402
from medcomp_gui.codecs.base import PayloadInfo  # noqa: E402
from medcomp_gui.codecs.rwnet.codec import RWNetCodec  # noqa: E402
from medcomp_gui.codecs.rwnet.train import load_split  # noqa: E402
from medcomp_gui.imaging.image import MedicalImage  # noqa: E402

HEADER_BYTES = 40
MAX_PSNR = 90.0


def dev_images(data: str) -> dict[str, MedicalImage]:
    train, val = load_split(data)
    images = {}
    for i, (pixels, bits, group, category) in enumerate(val):
        if pixels.size > 30000 and (category != "mricron" or i % 10 == 0):
            images[f"{group}#{i}"] = MedicalImage(pixels.astype(np.uint16), bits)
    for i, (pixels, bits, group, category) in enumerate(train):
        if category == "pydicom" and pixels.size > 200000:
            images[f"{group}#t{i}"] = MedicalImage(pixels.astype(np.uint16), bits)
    return images


def curve(image: MedicalImage, codec, **sweep) -> list[tuple[float, float]]:
    ((name, values),) = sweep.items()
    points = []
    for value in values:
        enc = codec.encode(image, **{name: value})
        pixels = image.pixels
        info = PayloadInfo(pixels.shape, pixels.dtype, image.bits_stored, enc.params, enc.extra)
        decoded = codec.decode(enc.payload, info)  # this codec object: its own model folder
        bpp = (len(enc.payload) + HEADER_BYTES) * 8 / pixels.size
        points.append((bpp, metrics.psnr(pixels, decoded, image.bits_stored)))
    return points


def bd(anchor: list, test: list) -> float | None:
    a = [p for p in anchor if np.isfinite(p[1]) and p[1] < MAX_PSNR]
    t = [p for p in test if np.isfinite(p[1]) and p[1] < MAX_PSNR]
    try:
        return metrics.bd_rate(
            [p[0] for p in a], [p[1] for p in a], [p[0] for p in t], [p[1] for p in t]
        )
    except ValueError:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--data", default="data/rwnet")
    parser.add_argument("--out", default="benchmarks/results/rwnet_dev.md")
    args = parser.parse_args()
    images = dev_images(args.data)
    j2k = get_codec("jpeg2000")
    anchors = {
        k: curve(img, j2k, psnr=[float(t) for t in range(26, 80, 3)]) for k, img in images.items()
    }
    results = {}
    for folder in args.models:
        codec = RWNetCodec(folder)
        results[folder] = {
            k: curve(img, codec, quality=list(codec.qualities)) for k, img in images.items()
        }
    lines = [
        "# RWNet on the development set (never WG04): BD-rate, %",
        "",
        f"Command: `python benchmarks/rwnet_dev.py {' '.join(sys.argv[1:])}`",
        "",
        f"{len(images)} images; negative = fewer bits than the reference at equal PSNR.",
        "",
        "| image | "
        + " | ".join(f"{os.path.basename(m.rstrip('/'))} vs J2K" for m in args.models)
        + "".join(f" | {os.path.basename(m.rstrip('/'))} vs first" for m in args.models[1:])
        + " |",
        "|---" * (2 * len(args.models)) + "|",
    ]
    columns: list[list[float]] = [[] for _ in range(2 * len(args.models) - 1)]
    for key in images:
        cells = [bd(anchors[key], results[m][key]) for m in args.models]
        cells += [bd(results[args.models[0]][key], results[m][key]) for m in args.models[1:]]
        for col, value in zip(columns, cells, strict=True):
            if value is not None:
                col.append(value)
        lines.append(
            f"| {key} | " + " | ".join("n/a" if v is None else f"{v:+.1f}" for v in cells) + " |"
        )
    lines.append("| **mean** | " + " | ".join(f"{np.mean(c):+.1f}" for c in columns) + " |")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
