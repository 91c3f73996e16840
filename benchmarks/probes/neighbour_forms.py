"""Probe (2026-12-03, 7th session): in which form do the neighbours above and to the left
in the block pay as a context, and could one be coded without multiplying the coder's
groups?

For the development images whose source starts with one of ``PREFIXES`` at the given
qualities (the encoder's latent), ideal adaptive code lengths (``ideal.bits``) of the
detail values (times their sign flips) of every non-row channel, per band, in
(class, bin, sign level) contexts (``now``, what the coder does) and:

- ``m9``: split by the magnitudes above and to the left, each clipped to 2 (9 subs);
- ``zf9``: only the zero flag split by ``m9``'s subs, the nonzero values in ``now``'s;
- ``t9``: a symbol 0 / +1 / -1 / larger split by the subs, the larger values in ``now``'s;
- ``w4`` / ``w1``: the bin from 4x / 1x the above and left magnitudes (today: 2x) plus
  the parent's and the other orientations';
- ``2d``: 4 x 4 bins, quarters (``QUARTER_EDGES``) of the above+left sum and of the rest;
- ``2dx``: 8 x 8 bins of the two sums (``BIN_EDGES``, clipped to 7);
- ``nowA3``: ``now`` split by min(above + left, 2).

Finding (2026-12-03, 7th session; sim:CRDX:dev:3 and :6, sim:CT:dev:2, the Siemens MR
at q5/q7/q9, total over the 12): m9 -2.48 %, nowA3 -0.95 %, t9 -0.62 %, 2dx -0.38 %, w4
-0.24 %, 2d +0.15 %, zf9 +0.29 %, w1 +0.32 %. The gain is in the magnitudes given each
neighbour apart, not in the zero flag (zf9) or the small symbols (t9) that a per-symbol
binary/ternary model could code in one call per channel, nor in a reweighted or 2-D bin
that would keep the coder's groups as they are. So the neighbour sub-contexts
(``neighbour_subs.py``) stay the lead, and they need a faster mix (see the model card).

Usage: python benchmarks/probes/neighbour_forms.py DATA_FOLDER PREFIX[,PREFIX...] QUALITY[,...]
"""

import sys

import numpy as np
from ideal import bits, dev_latents, report, report_total

from medcomp_gui.codecs.rwnet import entropy
from medcomp_gui.codecs.rwnet.contexts import (
    _QUARTERS,
    BINS,
    QUARTER_EDGES,
    bin_of,
    block_neighbours,
    channel_groups,
    dyadic_neighbours,
    row_channels,
)

groups, near, dyadic = channel_groups(256), block_neighbours(), dyadic_neighbours()
rows = set(row_channels(256))


def magnitude(by_channel: np.ndarray, channel: int, where: np.ndarray) -> np.ndarray:
    """|values| of ``channel`` at ``where`` (zeros for no channel, -1)."""
    if channel < 0:
        return np.zeros(where.size, np.int64)
    return np.abs(by_channel[channel, where])


def quarter(total: np.ndarray) -> np.ndarray:
    return _QUARTERS[np.minimum(total, QUARTER_EDGES[-1])]


def forms(p, c: int, signs) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(symbols, contexts) of channel ``c`` in each form, plus the extra parts."""
    where = p.where[c]
    v, k, cls = p.by_channel[c, where], p.keys(c), p.classes[where]
    context = entropy.sign_context(p.by_channel, c, where, signs)
    flip, level = context if context is not None else (np.ones_like(v), np.zeros_like(v))
    v = v * flip
    up, left = (magnitude(p.by_channel, n, where) for n in near[c])
    above_left = up + left
    others = [n for n in set(dyadic[c].tolist()) if n >= 0 and n not in near[c]]
    rest = sum((magnitude(p.by_channel, n, where) for n in others), np.zeros(where.size, np.int64))
    sub = np.minimum(up, 2) * 3 + np.minimum(left, 2)
    nonzero, large = v != 0, np.abs(v) >= 2
    small = np.where(large, 3, np.where(v == 0, 0, np.where(v > 0, 1, 2)))
    keys = {
        "now": k,
        "m9": k * 9 + sub,
        "w4": cls * BINS + bin_of(4 * above_left + rest),
        "w1": cls * BINS + bin_of(above_left + rest),
        "2d": cls * BINS + 4 * quarter(above_left) + quarter(rest),
        "2dx": cls * 64 + 8 * np.minimum(bin_of(above_left), 7) + np.minimum(bin_of(rest), 7),
        "nowA3": k * 3 + np.minimum(above_left, 2),
    }
    out = {name: (v, key * 2 + level) for name, key in keys.items()}
    out["zf9:flag"] = (nonzero.astype(np.int64), (k * 2 + level) * 9 + sub)
    out["zf9:rest"] = (v[nonzero], (k * 2 + level)[nonzero])
    out["t9:small"] = (small, (k * 2 + level) * 9 + sub)
    out["t9:rest"] = (v[large], (k * 2 + level)[large])
    return out


qualities = tuple(int(v) for v in sys.argv[3].split(","))
total: dict[str, float] = {}
for entry, quality, p in dev_latents(sys.argv[1], tuple(sys.argv[2].split(",")), qualities):
    signs = entropy.sign_weights(p.by_channel, p.where)
    parts: dict[str, dict] = {}
    for c in range(1, 256):
        if p.where[c].size == 0 or c in rows:
            continue
        for name, (values, contexts) in forms(p, c, signs).items():
            a, b = parts.setdefault(name, {}).setdefault(int(groups[c]), ([], []))
            a.append(values)
            b.append(contexts)
    cost: dict[str, float] = {}
    for name, by_band in parts.items():
        way = name.split(":")[0]
        spent = sum(bits(np.concatenate(a), np.concatenate(b)) for a, b in by_band.values())
        cost[way] = cost.get(way, 0.0) + spent / 8
    report(entry, quality, cost, total)
report_total(total)
