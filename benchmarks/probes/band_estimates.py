"""Probe (2026-12-03, 8th session): with the encoder's ideal bits per band
(``BandCounts.estimate``, as ``entropy.choose_bands`` counts them), what would choosing
the sub-contexts' weight (``SUB_WEIGHT``) per band as well save? For every EVERY-th
development image at the 0-based LEVELS and each weight of SUB_WEIGHTS: the best choice
per band of (static weight, sub-contexts) at each sub-context weight, and the best over
all of them (the oracle), in % of the file.

Finding (every 6th image, levels 2/5/8, weights 16/64/256): the oracle -0.00 to -0.11 %
of the file per group (CR/DX -0.11, MR -0.06, US -0.05, CT -0.02 %); one other weight for
every band: +0.11 to -0.11 %. Not taken.

Usage: python benchmarks/probes/band_estimates.py DATA EVERY LEVELS SUB_WEIGHTS
       (e.g. data/rwnet 6 2,5,8 16,64,256)
"""

import sys

import numpy as np
from ideal import coder_frames

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from medcomp_gui.codecs.rwnet import adaptive, entropy
from medcomp_gui.codecs.rwnet import codec as rc
from medcomp_gui.codecs.rwnet.contexts import GROUPS, channel_groups, row_channels

m = rc.load_model()
T = m.tables
every = int(sys.argv[2])
levels = [int(v) for v in sys.argv[3].split(",")]
SWS = [int(v) for v in sys.argv[4].split(",")]
tot = {}
for e, level, symbols, prepared, chosen, signs in coder_frames(sys.argv[1], every, levels):
    s, f, w = entropy.encode_latent_choosing_bands(symbols, T, level, chosen, prepared, signs)
    lv = entropy._table_levels(T, level, chosen)
    counts = adaptive.BandCounts()
    bits = np.zeros((len(SWS), GROUPS, len(adaptive.WEIGHTS), 2))
    groups, rows = channel_groups(256), row_channels(256)
    for c in range(1, 256):
        wc = prepared.where[c]
        if wc.size == 0 or c in rows:
            continue
        t, band = int(lv[c + 1]), int(groups[c])
        key, values = prepared.keys(c), prepared.by_channel[c, wc]
        if (ctx := entropy.sign_context(prepared.by_channel, c, wc, signs)) is not None:
            key = key + entropy.KEYS * ctx[1]
            values = values * ctx[0]
        sub_key = adaptive.with_subs(key, prepared.by_channel, c, wc)
        low, length, offset = (a[t, c].take(key % entropy.KEYS) for a in T.by_channel())
        index = values - low
        inside = (index >= 0) & (index < length)
        static = T.pmf[offset + np.where(inside, index, length)] / float(entropy.TOTAL)
        for i, sw in enumerate(SWS):
            adaptive.SUB_WEIGHT = sw
            bits[i, band] += counts.estimate(band, key, sub_key, values, inside, static)
        adaptive.SUB_WEIGHT = 64
        counts.add(band, sub_key, values)
    base = bits[SWS.index(64)].reshape(GROUPS, -1).min(axis=1).sum()
    allsw = bits.transpose(1, 0, 2, 3).reshape(GROUPS, -1).min(axis=1).sum()
    single = [bits[i].reshape(GROUPS, -1).min(axis=1).sum() for i in range(len(SWS))]
    size = len(s) * 8
    t_ = tot.setdefault(e["modality"], np.zeros(2 + len(SWS)))
    t_ += [size, allsw - base, *[x - base for x in single]]
    print(
        e["source"],
        level,
        "oracle %+.2f%%" % (100 * (allsw - base) / size),
        " ".join(
            f"sw{sw} {100 * (x - base) / size:+.2f}" for sw, x in zip(SWS, single, strict=True)
        ),
        flush=True,
    )
for k, t in tot.items():
    print(
        k,
        f"oracle {100 * t[1] / t[0]:+.3f}%",
        " ".join(f"sw{sw} {100 * t[2 + i] / t[0]:+.3f}" for i, sw in enumerate(SWS)),
    )
