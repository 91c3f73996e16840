"""Probe (2026-12-03): would the classes of the neighbouring blocks help code the details?

Every activity class is coded before any detail value, so a detail value's context may
use the classes of all eight neighbouring positions (below and right too) at no cost
in side information: the nearest thing this coder has to the look at all eight
neighbours JPEG 2000's significance passes get. For the development images whose
source starts with one of ``PREFIXES``, at levels 5 and 9 (the encoder's latents, after
RDOQ): the empirical conditional entropy (plus a learning cost of half a bit times
log2(count) per symbol and context) of the detail values of each band (depth,
orientation; the channels of a band pooled, as the adaptation pools them), in the
coder's (class, bin) contexts, and with the largest class of the eight neighbouring
positions added (as its difference from the position's own class, clipped to -1..2).

Finding (sim:CRDX:dev:6 and sim:CT:dev:2): -0.8 to +1.7 % of the detail bits: the extra
context thins the counts as much as it informs them; not built. Worth keeping: even this
ideal, fully adapted coder of today's (class, bin) contexts needs 89.6 KB for the
radiograph's details at q9 (67 dB), where JPEG 2000 codes the whole image in 68.6 KB:
no tuning of today's contexts or tables closes that gap; a different model of the
sparse finest bands would have to (JPEG 2000's significance coding sees all eight
neighbours through its bit-planes).

Usage: python benchmarks/probes/neighbour_classes.py DATA_FOLDER PREFIX[,PREFIX...]
"""

import sys
from collections import defaultdict

import numpy as np
from ideal import bits, dev_latents

from medcomp_gui.codecs.rwnet import codec as rc
from medcomp_gui.codecs.rwnet.contexts import BINS, CLASSES, channel_groups

tables = rc.load_model().tables
groups = channel_groups(tables.channels)
prefixes = tuple(sys.argv[2].split(","))
totals = defaultdict(float)
for entry, quality, prepared in dev_latents(sys.argv[1], prefixes, (5, 9)):
    h, w = prepared.shape
    grid = prepared.classes.reshape(h, w)
    padded = np.pad(grid, 1)
    around = np.max(
        [
            padded[1 + di : 1 + di + h, 1 + dj : 1 + dj + w]
            for di in (-1, 0, 1)
            for dj in (-1, 0, 1)
            if (di, dj) != (0, 0)
        ],
        axis=0,
    ).reshape(-1)
    per_band = defaultdict(lambda: ([], [], []))
    for c in range(1, tables.channels):
        where = prepared.where[c]
        if where.size == 0 or c in (1, 2, 3):
            continue
        values, keys, extra = per_band[int(groups[c])]
        values.append(prepared.by_channel[c, where])
        keys.append(prepared.keys(c))
        extra.append(np.clip(around[where] - prepared.classes[where], -1, 2) + 1)
    now = new = 0.0
    for values, keys, extra in per_band.values():
        v, k, x = (np.concatenate(a) for a in (values, keys, extra))
        now += bits(v, k)
        new += bits(v, k + CLASSES * BINS * x)
    totals[(entry["modality"], quality, "now")] += now
    totals[(entry["modality"], quality, "new")] += new
    print(
        entry["source"],
        f"q{quality}",
        f"{now / 8:.0f} B -> {new / 8:.0f} B",
        f"({100 * (new / now - 1):+.1f} %)",
        flush=True,
    )
for modality, quality in sorted({k[:2] for k in totals}):
    now, new = totals[(modality, quality, "now")], totals[(modality, quality, "new")]
    change = f"{100 * (new / now - 1):+.1f} %"
    print(f"{modality} q{quality}: detail bits {change} with the neighbours' classes")
