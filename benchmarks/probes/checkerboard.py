"""Probe (2026-12-03): what would a two-pass (checkerboard) order of the fine bands save?

Today a detail value's context sees, in its own band, only the values above and to its
left *within its 16 x 16 block* (same latent position): at a block's top row or left
column it sees none, and never the values below or to its right. JPEG 2000's
significance coding sees all eight neighbours. In the polyphase layout a checkerboard
order is a channel order: a band's phases (i, j) with i + j even first, then the odd
ones, whose four neighbours (up, down, left, right; across block edges at the next
position) are then all known. This measures, for the two finest depths of the
development images whose source starts with one of ``PREFIXES``, at levels 5 and 9
(the encoder's latents, after RDOQ), the ideal adaptive code length (empirical
conditional entropy plus half a bit times log2(count) per symbol and context, as
``neighour_classes.py``) of each band's detail values (its channels pooled, as the
coder adapts them) in three context sets, each (class, bin of a summed magnitude) with
today's 16 bins:

- ``now``: today's keys (parent, other orientations, above and left twice, in-block);
- ``raster``: the same sum with above and left taken across block edges too (what
  today's order could have with shifted positions);
- ``checker``: even phases: parent, other orientations, and twice the up-left and
  up-right diagonal neighbours (across edges; a raster order of the even values); odd
  phases: parent, other orientations, and the four direct neighbours once each.

Finding (sim:CRDX:dev:2 and 6, the RT portal image, sim:CT:dev:2; output in
benchmarks/results/rwnet_checkerboard.txt): at level 9, where CR/DX loses most, ``raster``
-0.7 % and ``checker`` -0.6 % of the two finest depths' ideal bits (CR/DX 179 KB); at
level 5 the fine bands are a few hundred bytes and move by -15 to +7 %. The values of
the fine bands are close to noise: no arrangement of their neighbours predicts them
much better, so a two-pass order would not close the CR/DX gap. Not built.

Usage: python benchmarks/probes/checkerboard.py DATA_FOLDER PREFIX[,PREFIX...]
"""

import sys
from collections import defaultdict

import numpy as np
from ideal import band_image, bits, channel, dev_latents, shifted

from medcomp_gui.codecs.rwnet import codec as rc
from medcomp_gui.codecs.rwnet.contexts import BINS, bin_of

tables = rc.load_model().tables
prefixes = tuple(sys.argv[2].split(","))
totals = defaultdict(float)
for entry, quality, p in dev_latents(sys.argv[1], prefixes, (5, 9)):
    h, w = p.shape
    result = defaultdict(float)
    for depth in (3, 4):
        size = 2 ** (depth - 1)
        mags = [np.abs(band_image(p.by_channel, depth, b, h, w)) for b in range(3)]
        for band in range(3):
            m = mags[band]
            up, left = shifted(m, -1, 0), shifted(m, 0, -1)
            down, right = shifted(m, 1, 0), shifted(m, 0, 1)
            ul, ur = shifted(m, -1, -1), shifted(m, -1, 1)
            values = {k: [] for k in ("now", "raster", "checker")}
            keys = {k: [] for k in values}
            for i in range(size):
                for j in range(size):
                    c = channel(depth, band, i, j)
                    where = p.where[c]
                    if where.size == 0:
                        continue
                    cls = p.classes[where]
                    v = p.by_channel[c, where]
                    base = np.zeros(where.size, np.int64)
                    for b in range(band):
                        base += np.abs(p.by_channel[channel(depth, b, i, j), where])
                    base += np.abs(p.by_channel[channel(depth - 1, band, i // 2, j // 2), where])

                    def at(a, i=i, j=j, where=where, size=size):
                        return a[i::size, j::size].reshape(-1)[where]

                    sums = {
                        "now": None,
                        "raster": base + 2 * at(up) + 2 * at(left),
                        "checker": base
                        + (
                            2 * at(ul) + 2 * at(ur)
                            if (i + j) % 2 == 0
                            else at(up) + at(down) + at(left) + at(right)
                        ),
                    }
                    for name, total in sums.items():
                        values[name].append(v)
                        if name == "now":
                            keys[name].append(p.keys(c))
                        else:
                            parity = (i + j) % 2 if name == "checker" else 0
                            keys[name].append((cls * BINS + bin_of(total)) * 2 + parity)
            for name in values:
                if values[name]:
                    result[name] += bits(np.concatenate(values[name]), np.concatenate(keys[name]))
    for name, b in result.items():
        totals[(entry["modality"], quality, name)] += b
    now = result["now"]
    print(
        entry["source"],
        f"q{quality}",
        f"depths 3-4 now {now / 8:.0f} B;",
        *(f"{n} {100 * (result[n] / now - 1):+.1f} %" for n in ("raster", "checker")),
        flush=True,
    )
for modality, quality in sorted({k[:2] for k in totals}):
    now = totals[(modality, quality, "now")]
    change = ", ".join(
        f"{n} {100 * (totals[(modality, quality, n)] / now - 1):+.1f} %"
        for n in ("raster", "checker")
    )
    print(f"{modality} q{quality}: depths 3-4 ideal bits {now / 8:.0f} B now; {change}")
