"""Probe (2026-12-03): would another predictor of RWNet's DC pay?

The DC (the coarsest band, 1/16 resolution) is coded as the residual of the median edge
predictor (MED, LOCO-I), its tables chosen by the bin of the three residuals above. At
the lowest levels of large, smooth radiographs the DC is 40-70 % of the file. For every
``EVERY``-th development image at levels 0, 2, 4, 6: the conditional entropy (plus a
learning cost per context) of the rounded DC's residuals, in the coder's context bins,
for MED and for other causal predictors (planar W + N - NW; CALIC's GAP; a least-squares
predictor over W, N, NW, NE fitted on the image, coefficients in 1/64). Interior
positions only (two rows and a column in from the edges), the same for every predictor.

Finding (all 60 dev images, 2026-12-03): MED stays the best on CR/DX at every level
(planar +0.5 to +15 %, GAP +1.5 to +28 %, least squares +4 to +24 % of the DC bits);
elsewhere the others win only here and there (least squares -13 % on simulated MG and
-2 to -5 % on CT, MR, US at level 0, worse above; GAP -2 to -6 % on a few). The DC
predictor is not where RWNet loses to JPEG 2000 on radiographs; not built.

Usage: python benchmarks/probes/dc_predictor.py DATA_FOLDER EVERY   (e.g. data/rwnet 2)
"""

import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from medcomp_gui.codecs.rwnet import codec as rc
from medcomp_gui.codecs.rwnet import data
from medcomp_gui.codecs.rwnet.contexts import bin_of

m = rc.load_model()
LEVELS = (0, 2, 4, 6)


def conditional_bits(res: np.ndarray, ctx: np.ndarray) -> float:
    total = 0.0
    for b in np.unique(ctx):
        a = res[ctx == b]
        _, c = np.unique(a, return_counts=True)
        total += float(-(c * np.log2(c / a.size)).sum()) + 0.5 * len(c) * np.log2(a.size)
    return total


def neighbours(q):
    """The interior block (rows 2.., columns 1..w-2) and its causal neighbours."""
    X = q[2:, 1:-1]
    W, N, NW, NE = q[2:, 0:-2], q[1:-1, 1:-1], q[1:-1, 0:-2], q[1:-1, 2:]
    WW = np.pad(q[2:, :-3], ((0, 0), (1, 0)), mode="edge")  # the first column repeats W
    NN, NNE = q[0:-2, 1:-1], q[0:-2, 2:]
    return X, W, N, NW, NE, WW, NN, NNE


def med(W, N, NW):
    return np.where(
        NW >= np.maximum(W, N),
        np.minimum(W, N),
        np.where(NW <= np.minimum(W, N), np.maximum(W, N), W + N - NW),
    )


def gap(W, N, NW, NE, WW, NN, NNE):
    dh = np.abs(W - WW) + np.abs(N - NW) + np.abs(N - NE)
    dv = np.abs(W - NW) + np.abs(N - NN) + np.abs(NE - NNE)
    base = (W + N) / 2 + (NE - NW) / 4
    p = np.where(dv - dh > 80, W, np.where(dh - dv > 80, N, base))
    p = np.where((dv - dh > 32) & (dv - dh <= 80), (base + W) / 2, p)
    p = np.where((dv - dh > 8) & (dv - dh <= 32), (3 * base + W) / 4, p)
    p = np.where((dh - dv > 32) & (dh - dv <= 80), (base + N) / 2, p)
    p = np.where((dh - dv > 8) & (dh - dv <= 32), (3 * base + N) / 4, p)
    return np.rint(p)


def least_squares(X, W, N, NW, NE):
    A = np.stack([W, N, NW, NE], -1).reshape(-1, 4).astype(np.float64)
    coef, *_ = np.linalg.lstsq(A, X.reshape(-1).astype(np.float64), rcond=None)
    coef = np.rint(coef * 64) / 64
    return np.rint((A @ coef).reshape(X.shape))


folder, every = sys.argv[1], int(sys.argv[2])
tot = defaultdict(float)
for i, (pixels, e) in enumerate(data.load(folder, split="dev")):
    if i % every:
        continue
    group = e.get("group", e.get("modality", "?"))
    v = pixels.astype(np.float32)
    lo, hi = v.min(), max(v.max(), v.min() + 1)
    x = rc._padded((v - lo) / (hi - lo) - 0.5)
    for level in LEVELS:
        q = np.rint(np.asarray(m.analysis(x[None, :, :, None], level))[0][..., 0]).astype(np.int64)
        if min(q.shape) < 8:
            continue
        X, W, N, NW, NE, WW, NN, NNE = neighbours(q)
        preds = {
            "med": med(W, N, NW),
            "planar": W + N - NW,
            "gap": gap(W, N, NW, NE, WW, NN, NNE),
            "ls": least_squares(X, W, N, NW, NE),
        }
        res_med = X - preds["med"]
        row = [e["source"], group, level]
        for name, p in preds.items():
            res = (X - p).astype(np.int64)
            above = np.abs(np.pad(res, ((1, 0), (1, 1)))[:-1])
            ctx = bin_of(above[:, :-2] + above[:, 1:-1] + above[:, 2:])
            bits = conditional_bits(res, ctx)
            tot[(group, level, name)] += bits
            row += [name, int(bits)]
        print(*row, flush=True)
print()
for group in sorted({k[0] for k in tot}):
    for level in LEVELS:
        if (group, level, "med") not in tot:
            continue
        base = tot[(group, level, "med")]
        print(
            group,
            "level",
            level,
            "MED bits",
            int(base),
            *(
                f"{n} {100 * (tot[(group, level, n)] / base - 1):+.1f}%"
                for n in ("planar", "gap", "ls")
            ),
        )
