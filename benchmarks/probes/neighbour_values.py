"""Probe (2026-12-03): the neighbours' signed values, not only their magnitudes, as context.

Today a detail value's context bin sums its neighbours' magnitudes; the sign prediction
of payload version 6 flips a value by the sign its in-block neighbours above and to the
left predict and splits the band's counts by whether there is a prediction. For the
development images whose source starts with one of ``PREFIXES`` at the given levels (the
encoder's latent), ideal adaptive code lengths (``ideal.bits``) of the detail values of
depths 2-4, the channels of a band pooled, in (class, bin) contexts refined by:

- ``now``: the flip and the prediction flag (what the coder does);
- ``signs9``: the two neighbours' signs (after the flip), 9 sub-contexts;
- ``exact25``: the two neighbours' values clipped to -2..2, 25 sub-contexts, no flip;
- ``exact25+flip``: the same after the flip.

Finding (output in benchmarks/results/rwnet_neighbour_values.txt), against no sign
context at all: sim:CRDX:dev:6 level 9 now -3.4 %, signs9 -6.7 %, **exact25 -12.0 %**;
level 5 -7.0 / -16.0 / -21.8 %; the RT portal image level 9 -3.3 / -13.9 / -24.7 %;
sim:CT:dev:2 level 9 -0.3 / -1.1 / -2.1 %. Conditioning on the neighbours' exact small
values is worth several times what today's flip takes, most on radiographs (with the
neighbours across block edges, ideal: -8 to -20 % per fine band). Not built this session:
the counts would be split 25 ways per (class, bin), and the coder makes one model and
one decode call per (class, bin, sub-context) group and channel, so the groups would
grow several-fold — MR2's 1.5 s target (1.49 s now) would not hold without coding the
fine bands another way (per-value adaptive coding in a compiled loop, or binarised
significance/sign/magnitude symbols with few contexts each).

Tried in the coder the same day (a one-off patch of ``entropy.sign_context``: no flip,
the 25 sub-contexts as the count split, static tables per (class, bin) as before), and
reverted: at level 9 the files grew (sim:CRDX:dev:6 106,864 -> 107,837 B, sim:CT:dev:2
103,373 -> 104,086 B, the RT portal image 5,434 -> 5,522 B, sim:US:dev:1 +0.4 %) and the
entropy coding of MR2 at q9 took 2.5 s instead of 0.87 s (CPU). Split 25 ways, each
sub-context starts from the (class, bin)'s static table until it has 8 values, so the
ideal gain is lost to slow learning; it needs tables fitted per sub-context (a refit,
and 25x the table entries: over the 20 MB model limit as they stand) or a parametric
model of the value given its neighbours.

Usage: python benchmarks/probes/neighbour_values.py DATA_FOLDER PREFIX[,PREFIX...] LEVEL[,LEVEL...]
"""

import sys

import numpy as np
from ideal import bits, dev_latents

from medcomp_gui.codecs.rwnet import entropy
from medcomp_gui.codecs.rwnet.contexts import block_neighbours, channel_groups

groups, near = channel_groups(256), block_neighbours()
levels = tuple(int(v) for v in sys.argv[3].split(","))
for entry, quality, p in dev_latents(sys.argv[1], tuple(sys.argv[2].split(",")), levels):
    signs = entropy.sign_weights(p.by_channel, p.where)
    variants: dict[str, dict] = {
        n: {} for n in ("none", "now", "signs9", "exact25", "exact25+flip")
    }
    for c in range(4, 256):
        where = p.where[c]
        if where.size == 0:
            continue
        band, v, k = int(groups[c]), p.by_channel[c, where], p.keys(c)
        up, left = (
            p.by_channel[near[c, s], where] if near[c, s] >= 0 else np.zeros(where.size, np.int64)
            for s in (0, 1)
        )
        context = entropy.sign_context(p.by_channel, c, where, signs)
        flip, level = context if context is not None else (np.ones_like(v), np.zeros_like(v))
        rows = {
            "none": (v, k),
            "now": (v * flip, k * 2 + level),
            "signs9": (v * flip, k * 9 + (np.sign(up) * flip + 1) * 3 + np.sign(left) * flip + 1),
            "exact25": (v, k * 25 + (np.clip(up, -2, 2) + 2) * 5 + np.clip(left, -2, 2) + 2),
            "exact25+flip": (
                v * flip,
                k * 25 + (np.clip(up * flip, -2, 2) + 2) * 5 + np.clip(left * flip, -2, 2) + 2,
            ),
        }
        for name, (values, keys) in rows.items():
            a, b = variants[name].setdefault(band, ([], []))
            a.append(values)
            b.append(keys)
    cost = {
        n: sum(bits(np.concatenate(a), np.concatenate(b)) for a, b in d.values()) / 8
        for n, d in variants.items()
    }
    print(
        entry["source"],
        f"level {quality}:",
        ", ".join(
            f"{n} {cost[n]:.0f} B ({100 * (cost[n] / cost['none'] - 1):+.1f} %)" for n in cost
        ),
        flush=True,
    )
