"""Probe (2026-12-03): would one or two more wavelet levels on RWNet's DC pay?

For every ``EVERY``-th development image at levels 0, 1, 3, 5: order-0 bits (plus a
learning cost) of the DC rounded and predicted by MED, as coded today, against the DC
split by 1 or 2 more CDF 9/7 levels, each band quantised at the step that keeps its
share of the error (1 / synthesis norm), the new LL predicted by MED. Finding: +4 to
+8 % DC bits at levels 1-5 (-8 % at level 0; encoder with RDOQ x1, every 6th image);
not built.

Usage: python benchmarks/probes/dc_level.py DATA_FOLDER EVERY   (e.g. data/rwnet 6)
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from medcomp_gui.codecs.rwnet import codec as rc
from medcomp_gui.codecs.rwnet import data, wavelet
from medcomp_gui.codecs.rwnet.prediction import med

m = rc.load_model()
T = m.tables


def H0(a):
    a = np.asarray(a).ravel()
    if a.size == 0:
        return 0.0
    _, c = np.unique(a, return_counts=True)
    p = c / a.size
    return float(-(c * np.log2(p)).sum()) + 0.5 * len(c) * np.log2(a.size)  # plus a learning cost


def med_res(q):
    h, w = q.shape
    q = q.astype(np.int64)
    r = np.zeros_like(q)
    for i in range(h):
        for j in range(w):
            if i == 0:
                p = q[0, j - 1] if j else 0
            elif j == 0:
                p = q[i - 1, 0]
            else:
                p = med(int(q[i, j - 1]), int(q[i - 1, j]), int(q[i - 1, j - 1]))
            r[i, j] = q[i, j] - p
    return r


def norms(shape, L):
    z = np.zeros((1, shape[0], shape[1], 1), np.float32)
    y = wavelet.analysis(z, L, np)
    out = []
    for c in range(y.shape[-1]):
        e = np.zeros_like(y)
        hh, ww = y.shape[1] // 2, y.shape[2] // 2
        e[0, hh, ww, c] = 1
        out.append(float(np.sqrt((wavelet.synthesis(e, L, np) ** 2).sum())))
    return np.array(out)


folder = sys.argv[1]
every = int(sys.argv[2])
tot = {}
for i, (pixels, e) in enumerate(data.load(folder, split="dev")):
    if i % every:
        continue
    v = pixels.astype(np.float32)
    lo, hi = v.min(), max(v.max(), v.min() + 1)
    x = rc._padded((v - lo) / (hi - lo) - 0.5)
    for level in (0, 1, 3, 5):
        d = np.asarray(m.analysis(x[None, :, :, None], level))[0][..., 0]
        q = np.rint(d)
        cur = H0(med_res(q))
        mse_cur = float(((q - d) ** 2).mean())
        row = [e["source"], level, "cur bits", int(cur), "mse", round(mse_cur, 3)]
        for L in (1, 2):
            hh, ww = d.shape
            H2, W2 = -(-hh // 2**L) * 2**L, -(-ww // 2**L) * 2**L
            dp = np.pad(d, ((0, H2 - hh), (0, W2 - ww)), mode="symmetric")
            y = wavelet.analysis(dp[None, :, :, None].astype(np.float32), L, np)[0]
            nb = norms((H2, W2), L)
            step = 1 / nb
            qq = np.rint(y / step)
            rec = wavelet.synthesis((qq * step)[None].astype(np.float32), L, np)[0, :, :, 0][
                :hh, :ww
            ]
            mse = float(((rec - d) ** 2).mean())
            bits = H0(med_res(qq[..., 0])) + sum(H0(qq[..., c]) for c in range(1, qq.shape[-1]))
            row += [f"L{L} bits", int(bits), "mse", round(mse, 3)]
            tot[(level, L)] = tot.get((level, L), 0) + bits
        tot[(level, 0)] = tot.get((level, 0), 0) + cur
        print(*row, flush=True)
for level in (0, 1, 3, 5):
    print(
        "level",
        level,
        "DC bits now",
        int(tot[(level, 0)]),
        "1 more level",
        f"{100 * (tot[(level, 1)] / tot[(level, 0)] - 1):+.1f}%",
        "2 more",
        f"{100 * (tot[(level, 2)] / tot[(level, 0)] - 1):+.1f}%",
    )
