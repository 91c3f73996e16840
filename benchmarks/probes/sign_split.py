"""Probe (2026-12-03, 6th session): what in the neighbours' values would pay as a context?

For the development images whose source starts with one of ``PREFIXES`` at the given
qualities (the encoder's latent), ideal adaptive code lengths (``ideal.bits``) of the
detail values of every non-row channel, per band:

- ``now``: the value times its sign flip in (class, bin, sign level) contexts (what
  the coder does, :func:`~.entropy.sign_context`);
- ``mag+sign9`` / ``mag+sign27``: its magnitude in (class, bin) contexts, and the sign of
  a nonzero value apart, in 9 contexts per band (the signs of the values above and to
  its left in its block) or 27 (and the parent's sign);
- ``z4``: ``now`` split by whether the values above and to the left are zero;
- ``m9``: ``now`` split by their magnitudes clipped to 2.

Finding (2026-12-03, 6th session; sim:CRDX:dev:3 and :6, sim:CT:dev:2, the Siemens MR at q5/q7/q9):
the sign coded apart gains nothing (-0.1 % in all; the flip already carries it); **m9
-2.5 %** in all (radiographs -3.6 to -14.4 %, the MR -4 to -6.4 %, CT -11.6 % at q5 and
0 % at q9), z4 -1.3 %. The coder with m9 as counted sub-contexts under a hierarchical
prior: ``neighbour_subs.py``.

Usage: python benchmarks/probes/sign_split.py DATA_FOLDER PREFIX[,PREFIX...] QUALITY[,...]
"""

import sys

import numpy as np
from ideal import bits, dev_latents, report, report_total

from medcomp_gui.codecs.rwnet import entropy
from medcomp_gui.codecs.rwnet.contexts import (
    block_neighbours,
    channel_groups,
    dyadic_neighbours,
    row_channels,
)

groups, near = channel_groups(256), block_neighbours()
parents = dyadic_neighbours()[:, 0]
rows = set(row_channels(256))


def neighbour(by_channel: np.ndarray, channel: int, where: np.ndarray) -> np.ndarray:
    """Values of ``channel`` at ``where`` (zeros for no channel, -1)."""
    if channel < 0:
        return np.zeros(where.size, np.int64)
    return by_channel[channel, where]


qualities = tuple(int(v) for v in sys.argv[3].split(","))
total = {}
for entry, quality, p in dev_latents(sys.argv[1], tuple(sys.argv[2].split(",")), qualities):
    signs = entropy.sign_weights(p.by_channel, p.where)
    parts: dict[str, dict] = {n: {} for n in ("now", "mag", "sign9", "sign27", "z4", "m9")}
    for c in range(1, 256):
        where = p.where[c]
        if where.size == 0 or c in rows:
            continue
        band, v, k = int(groups[c]), p.by_channel[c, where], p.keys(c)

        context = entropy.sign_context(p.by_channel, c, where, signs)
        flip, level = context if context is not None else (np.ones_like(v), np.zeros_like(v))
        up, left, parent = (
            np.sign(neighbour(p.by_channel, n, where)) for n in (near[c, 0], near[c, 1], parents[c])
        )
        nz = v != 0
        s9 = (up + 1) * 3 + left + 1
        au, al = (np.minimum(np.abs(neighbour(p.by_channel, n, where)), 2) for n in near[c])
        rows_of = {
            "z4": (v * flip, (k * 2 + level) * 4 + (au > 0) * 2 + (al > 0)),
            "m9": (v * flip, (k * 2 + level) * 9 + au * 3 + al),
            "now": (v * flip, k * 2 + level),
            "mag": (np.abs(v), k),
            "sign9": (np.sign(v[nz]), s9[nz]),
            "sign27": (np.sign(v[nz]), (s9 * 3 + parent + 1)[nz]),
        }
        for name, (values, keys) in rows_of.items():
            a, b = parts[name].setdefault(band, ([], []))
            a.append(values)
            b.append(keys)
    cost = {
        n: sum(bits(np.concatenate(a), np.concatenate(b)) for a, b in d.values()) / 8
        for n, d in parts.items()
    }
    ways = {
        "now": cost["now"],
        "mag+sign9": cost["mag"] + cost["sign9"],
        "mag+sign27": cost["mag"] + cost["sign27"],
        "z4": cost["z4"],
        "m9": cost["m9"],
    }
    report(entry, quality, ways, total)
report_total(total)
