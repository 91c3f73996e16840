"""Probe (2026-12-03): would backward adaptation of RWNet's class and DC tables pay?

Ideal code lengths of the class symbols and of the DC residuals of every ``EVERY``-th
development image at levels 1, 3, 5, 8: with the static tables, and with counts gathered
row by row (as a decoder could) mixed in at static weights 16, 64 (and 256 for classes).
Finding (encoder with RDOQ x1, every 4th image): under 1 % of the file at any level; not
built.

Usage: python benchmarks/probes/adapt_class_dc.py DATA_FOLDER EVERY   (e.g. data/rwnet 4)
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from medcomp_gui.codecs.rwnet import codec as rc
from medcomp_gui.codecs.rwnet import data, entropy, rdoq
from medcomp_gui.codecs.rwnet.contexts import (
    CLASSES,
    class_context,
    class_context_group,
    dc_bins,
)
from medcomp_gui.codecs.rwnet.tables import TOTAL

m = rc.load_model()
T = m.tables
folder = sys.argv[1]
every = int(sys.argv[2])
Ws = (16, 64, 256)
tot = {}
for i, (pixels, e) in enumerate(data.load(folder, split="dev")):
    if i % every:
        continue
    v = pixels.astype(np.float32)
    lo, hi = v.min(), max(v.max(), v.min() + 1)
    x = rc._padded((v - lo) / (hi - lo) - 0.5)
    for level in (1, 3, 5, 8):
        y = np.asarray(m.analysis(x[None, :, :, None], level))[0]
        s = rdoq.optimise(y, T, level)
        chosen = entropy.choose_table_levels(s, T, level)
        nbytes = len(entropy.encode_latent(s, T, level, chosen))
        P = entropy.Prepared(s, T, level)
        h, w, _ = s.shape
        cls = P.classes.reshape(h, w)
        ctx = class_context(cls)
        grp = class_context_group(ctx)
        pmf = T.class_pmf[int(chosen[0])].astype(np.float64)
        static_bits = -np.log2(pmf[ctx.reshape(-1), cls.reshape(-1)] / TOTAL).sum()
        ad = {}
        for W in Ws:
            counts = np.zeros((grp.max() + 1, CLASSES))
            bits = 0.0
            for r in range(h):
                st = pmf[ctx[r]] / TOTAL
                cn = counts[grp[r]]
                p = (W * st + cn) / (W + cn.sum(1, keepdims=True))
                bits += -np.log2(p[np.arange(w), cls[r]]).sum()
                np.add.at(counts, (grp[r], cls[r]), 1)
            ad[W] = bits
        # DC: residual values by_channel[0], keys class*BINS+dc bin, row by row
        res = P.by_channel[0].reshape(h, w)
        db = dc_bins(res).reshape(h, w)
        t = int(chosen[1]) if len(chosen) > 1 else level

        def dcbits(W, h=h, w=w, cls=cls, db=db, res=res, t=t):
            counts = {}
            bits = 0.0
            for r in range(h):
                for j in range(w):
                    k = int(cls[r, j])
                    b = int(db[r, j])
                    val = int(res[r, j])
                    low = int(T.low[t, k, 0, b])
                    L = int(T.length[t, k, 0, b])
                    off = int(T.offset[t, k, 0, b])
                    pos = val - low
                    esc = not (0 <= pos < L)
                    stp = T.pmf[off + (L if esc else pos)] / TOTAL
                    c = counts.get((k, b))
                    if W is None or c is None:
                        p = stp
                    else:
                        n = sum(c.values())
                        p = (W * stp + c.get(L if esc else pos, 0)) / (W + n)
                    bits += -np.log2(p) + (32 if esc else 0)
                for j in range(w):
                    k = int(cls[r, j])
                    b = int(db[r, j])
                    val = int(res[r, j])
                    low = int(T.low[t, k, 0, b])
                    L = int(T.length[t, k, 0, b])
                    pos = val - low
                    key = (k, b)
                    d = counts.setdefault(key, {})
                    pp = pos if 0 <= pos < L else L
                    d[pp] = d.get(pp, 0) + 1
            return bits

        dcs = dcbits(None)
        dca = {W: dcbits(W) for W in (16, 64)}
        print(
            e["source"],
            level,
            "bytes",
            nbytes,
            "class",
            int(static_bits / 8),
            " ".join(f"w{W}:{100 * (ad[W] / static_bits - 1):+.1f}%" for W in Ws),
            "| DC",
            int(dcs / 8),
            " ".join(f"w{W}:{100 * (dca[W] / dcs - 1):+.1f}%" for W in dca),
            flush=True,
        )
        for k, val in (
            [("bytes", nbytes), ("cls", static_bits / 8), ("dc", dcs / 8)]
            + [(f"cls{W}", ad[W] / 8) for W in Ws]
            + [(f"dc{W}", dca[W] / 8) for W in dca]
        ):
            tot[(level, k)] = tot.get((level, k), 0) + val
for level in (1, 3, 5, 8):
    b = tot[(level, "bytes")]
    print(
        "level",
        level,
        "bytes",
        int(b),
        "class share",
        round(tot[(level, "cls")] / b, 3),
        "DC share",
        round(tot[(level, "dc")] / b, 3),
        "saving of file: class",
        " ".join(
            f"w{W}:{100 * (tot[(level, f'cls{W}')] - tot[(level, 'cls')]) / b:+.2f}%" for W in Ws
        ),
        "DC",
        " ".join(
            f"w{W}:{100 * (tot[(level, f'dc{W}')] - tot[(level, 'dc')]) / b:+.2f}%"
            for W in (16, 64)
        ),
    )
