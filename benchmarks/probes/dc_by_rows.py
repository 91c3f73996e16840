"""Probe (2026-12-03, 8th session): the DC residuals coded with their static tables
mixed with the counts of the values before them (weights 16/64/256), ideal code lengths,
for every EVERY-th development image of the MODALITIES at the 0-based LEVELS.

Finding (every 2nd image, levels 2/3/4/5/7): the DC is 54-64 % of a simulated
radiograph's bits at level 2 and 28-30 % at level 4; adapted with weight 64 or 256 it
saves 0.8-1.3 % of the file at level 2, 0.4-0.7 % at 3, 0.2 % at 4 (CR/DX in all -0.09 %,
MR -0.2 %). Built, with the coarsest bands, as payload version 9's adaptation by rows.

Usage: python benchmarks/probes/dc_by_rows.py DATA EVERY LEVELS MODALITIES
       (e.g. data/rwnet 2 2,3,4,5,7 CRDX,CT,MR,US)
"""

import sys

import numpy as np
from ideal import coder_frames

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from medcomp_gui.codecs.rwnet import codec as rc
from medcomp_gui.codecs.rwnet import entropy
from medcomp_gui.codecs.rwnet.contexts import BINS, dc_bins
from medcomp_gui.codecs.rwnet.tables import TOTAL

m = rc.load_model()
T = m.tables
every = int(sys.argv[2])
levels = [int(v) for v in sys.argv[3].split(",")]
mods = sys.argv[4].split(",")
WS = [16, 64, 256]
tot = {}
for e, level, symbols, prepared, chosen, signs in coder_frames(sys.argv[1], every, levels, mods):
    s, f, w = entropy.encode_latent_choosing_bands(symbols, T, level, chosen, prepared, signs)
    h, wd = symbols.shape[:2]
    t = int(chosen[1])
    dc = prepared.by_channel[0]
    cls = prepared.classes
    bins = dc_bins(dc.reshape(h, wd))
    key = cls * BINS + bins
    low = T.low[t, cls, 0, bins].astype(np.int64)
    length = T.length[t, cls, 0, bins].astype(np.int64)
    off = T.offset[t, cls, 0, bins].astype(np.int64)
    idx = dc - low
    inside = (idx >= 0) & (idx < length)
    idx = np.where(inside, idx, length)
    sp = T.pmf[off + idx] / TOTAL
    static_bits = -np.log2(sp).sum()
    # sequential per-value adaptive (row order): count of (key, idx) before, n of key before
    order = np.arange(dc.size)
    pair = key * 4096 + idx

    def before(codes):
        o = np.argsort(codes, kind="stable")
        c = codes[o]
        start = np.r_[0, np.flatnonzero(c[1:] != c[:-1]) + 1]
        rank = np.arange(c.size) - np.repeat(start, np.diff(np.r_[start, c.size]))
        out = np.empty_like(rank)
        out[o] = rank
        return out

    cnt = before(pair)
    nk = before(key)
    res = []
    for W in WS:
        p = (W * sp + cnt) / (W + nk)
        res.append(-np.log2(p).sum())
    size = len(s) * 8
    tt = tot.setdefault(e["modality"], np.zeros(2 + len(WS)))
    tt += [size, static_bits, *res]
    print(
        e["source"],
        level,
        "DC share %.1f%%" % (100 * static_bits / size),
        " ".join(
            f"W{W} {100 * (r - static_bits) / size:+.2f}% of file"
            for W, r in zip(WS, res, strict=True)
        ),
        flush=True,
    )
for k, tt in tot.items():
    print(
        k,
        f"DC share {100 * tt[1] / tt[0]:.2f}%",
        " ".join(f"W{W} {100 * (tt[2 + i] - tt[1]) / tt[0]:+.3f}%" for i, W in enumerate(WS)),
    )
