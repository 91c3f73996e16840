"""Probe (2026-12-03, 6th session): would the DC's context bins gain from the residual on the left?

The DC residual (MED) is coded with the tables of (class, bin of the summed magnitudes
of the three residuals above, :func:`~.contexts.dc_bins`). For every ``EVERY``-th
development image at levels 2, 4, 6 (the encoder's DC after RDOQ): conditional
entropy plus a learning cost (as ``dc_predictor.py``) with the bin also taking in the
left residual once or twice, or twice and the one two rows up.

Finding (every 2nd dev image): -0.8 / -0.6 / -0.8 % of the DC bits at level 2, +0.6 to
+1.0 % at level 4, +2.9 to +5.8 % at level 6 (CT, MR and US lose most; the class of
the position already says how busy it is). Not built.

Usage: python benchmarks/probes/dc_context.py DATA_FOLDER EVERY
"""

import sys
from collections import defaultdict

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from medcomp_gui.codecs.rwnet import codec as rc
from medcomp_gui.codecs.rwnet import data, rdoq
from medcomp_gui.codecs.rwnet.contexts import activity_classes, bin_of
from medcomp_gui.codecs.rwnet.prediction import dc_residual
from medcomp_gui.imaging.image import MedicalImage

m = rc.load_model()
T = m.tables


def H(res, ctx):
    total = 0.0
    for b in np.unique(ctx):
        a = res[ctx == b]
        _, c = np.unique(a, return_counts=True)
        total += -(c * np.log2(c / a.size)).sum() + 0.5 * len(c) * np.log2(a.size + 1)
    return total


tot = defaultdict(lambda: defaultdict(float))
for i, (pixels, e) in enumerate(data.load(sys.argv[1], split="dev")):
    if i % int(sys.argv[2]):
        continue
    img = MedicalImage(pixels, e["bits_stored"])
    x = rc._padded(rc._normalised(img.frames[0], img)[3])
    for level in (2, 4, 6):
        y = m.latent(x, level)
        q = rdoq.optimise(y, T, level, dc_step=rc.DC_STEP)
        res = dc_residual(q[..., 0])
        cls = activity_classes(q)
        a = np.abs(res)
        above = np.zeros_like(a)
        left = np.zeros_like(a)
        p = np.pad(a[:-1], ((0, 0), (1, 1)))
        above[1:] = p[:, :-2] + p[:, 1:-1] + p[:, 2:]
        left[:, 1:] = a[:, :-1]
        r = res.reshape(-1)
        k = cls.reshape(-1).astype(np.int64)
        variants = {
            "now": bin_of(above),
            "+left": bin_of(above + left),
            "+2left": bin_of(above + 2 * left),
            "+2left+top": bin_of(above + 2 * left + np.pad(a[:-1], ((1, 0), (0, 0)))),
        }
        g = e["modality"]
        for name, b in variants.items():
            bits = H(r, k * 64 + b.reshape(-1))
            tot[(g, level)][name] += bits
            tot[("all", level)][name] += bits
    print(e["source"], flush=True)
for key in sorted(tot, key=str):
    base = tot[key]["now"]
    print(
        key,
        f"now {base / 8:.0f} B",
        *[f"{n} {100 * (v / base - 1):+.1f}%" for n, v in tot[key].items() if n != "now"],
    )
