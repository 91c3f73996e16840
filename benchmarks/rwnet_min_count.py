"""The decision of ``adaptive.MIN_COUNT`` on the development set (never WG04): bytes and
coding time of the entropy coder at three levels, the (class, bin) tables adapted once
they have seen 1, 8 or 32 values of their band.

The latents are quantised once per image and level (:func:`rdoq.optimise`, then the
tables chosen as the coder does); only the coding changes with ``MIN_COUNT``, so the
reconstruction, and the PSNR, are the same in every column. Usage:

    python benchmarks/rwnet_min_count.py data/rwnet [--every 2] \
        > benchmarks/results/rwnet_min_count.txt
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from medcomp_gui.codecs.rwnet import adaptive, data, entropy, rdoq  # noqa: E402
from medcomp_gui.codecs.rwnet import codec as rc  # noqa: E402

LEVELS = (2, 5, 8)
COUNTS = (1, 8, 32)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--every", type=int, default=2, help="every n-th development image")
    args = parser.parse_args()
    model = rc.load_model()
    tables = model.tables
    total = {(lv, n): 0 for lv in LEVELS for n in COUNTS}
    seconds = {n: 0.0 for n in COUNTS}
    print(f"# python benchmarks/rwnet_min_count.py {args.folder} --every {args.every}")
    print(
        "# image level: bytes of the frame stream with MIN_COUNT = " + ", ".join(map(str, COUNTS))
    )
    for i, (pixels, entry) in enumerate(data.load(args.folder, split="dev")):
        if i % args.every:
            continue
        values = pixels.astype(np.float32)
        low, high = float(values.min()), float(max(values.max(), values.min() + 1))
        x = rc._padded((values - low) / (high - low) - 0.5)
        for level in LEVELS:
            y = np.asarray(model.analysis(x[np.newaxis, :, :, np.newaxis], level))[0]
            symbols = rdoq.optimise(y, tables, level)
            chosen = entropy.choose_table_levels(symbols, tables, level)
            sizes = []
            for n in COUNTS:
                adaptive.MIN_COUNT = n
                start = time.perf_counter()
                sizes.append(len(entropy.encode_latent(symbols, tables, level, chosen)))
                seconds[n] += time.perf_counter() - start
                total[level, n] += sizes[-1]
            print(entry["source"], level, *sizes, flush=True)
    print("# totals per level, and against MIN_COUNT = 8")
    for level in LEVELS:
        base = total[level, 8]
        row = [
            f"{n}: {total[level, n]} B ({100 * (total[level, n] / base - 1):+.2f} %)"
            for n in COUNTS
        ]
        print(f"level {level}: " + ", ".join(row))
    print("coding seconds: " + ", ".join(f"{n}: {seconds[n]:.1f} s" for n in COUNTS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
