"""Probe (2026-12-03, 6th session): neighbour sub-contexts in the coder, with a hierarchical prior.

Needs the coder patch ``benchmarks/probes/patches/neighbour_subs.diff`` applied
(``git apply benchmarks/probes/patches/neighbour_subs.diff``; not in the product): each
adapted (class, bin, sign level) of a detail band is also counted by the magnitudes of
the values above and to the left in the block (each clipped to 2, 9 sub-contexts,
``adaptive.neighbour_subs``); a sub-context with counts of its own codes with its
parent's mixed distribution (weight ``adaptive.SUB_WEIGHT``) plus its counts, so it
does not start from the static table (what sank the 25 sub-contexts of
``neighbour_values.py``). The patch uses them only in bands with sign weights (a
structure the encoder found) and for tables narrower than ``entropy.SUB_WIDTH``; it
codes such a channel's values with per-symbol probabilities (constriction's categorical
family) for tables up to 128 entries wide, a model per key for wider ones.

For the named development images at the given 0-based levels: the stream's bytes
without and with the sub-contexts, for each ``WEIGHT:WIDTH`` pair, and the entropy
coder's seconds; ``--check`` decodes the last and compares.

Finding (2026-12-03, 6th session; sim:CRDX:dev:3 and :6, the Siemens MR, sim:CT:dev:2, a US;
levels 3/5/7/9; weight 64, all classes, gated by the sign weights): radiographs -1.0 to
-1.9 % of the stream at levels 5-9; the MR -1.2 / -1.1 / +0.1 %, the US -0.9 / -0.3 /
+0.2 % at levels 5/7/9; CT +0.1 to +0.3 %; every image -0.72 % in all. Without the gate
CT loses up to +3 % at level 9 (a noise band's sub-contexts only add learning cost);
restricted to classes below 4-8, or to tables up to 128 / 64 / 32 entries wide, most of
the gain is gone (it is in the busy positions: -0.28 / -0.15 / -0.07 % against -0.63 %
on three images). The entropy coder takes two to three times as long either way (more
groups with a model and a decode call each; per-symbol probabilities cost as much in
numpy): MR2 encode + decode 2.63 s at q9, RG1 6.22 s at q10 (targets 1.5 and 6 s), so
not taken.

Usage: python benchmarks/probes/neighbour_subs.py DATA NAME[,NAME...] LEVEL[,...]
       WEIGHT:WIDTH[,...] [--check]   (e.g. 64:1024)
"""

import sys
import time

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from medcomp_gui.codecs.rwnet import adaptive, data, entropy, rdoq
from medcomp_gui.codecs.rwnet import codec as rc
from medcomp_gui.imaging.image import MedicalImage

m = rc.load_model()
T = m.tables
names = sys.argv[2].split(",")
levels = [int(v) for v in sys.argv[3].split(",")]
weights = sys.argv[4].split(",")
tot = {}
for pixels, e in data.load(sys.argv[1], split="dev"):
    if e["source"] not in names:
        continue
    img = MedicalImage(pixels, e["bits_stored"])
    x = rc._padded(rc._normalised(img.frames[0], img)[3])
    for level in levels:
        y = m.latent(x, level)
        symbols = rdoq.optimise(y, T, level, dc_step=rc.DC_STEP)
        prepared = entropy.Prepared(symbols, T, level)
        chosen = entropy.choose_table_levels(symbols, T, level, prepared=prepared)
        signs = entropy.sign_weights(prepared.by_channel, prepared.where)
        t = time.perf_counter()
        base = entropy.encode_latent(symbols, T, level, chosen, prepared, signs, subs=False)
        t0 = time.perf_counter() - t
        line = [f"off {len(base)} ({t0:.2f}s)"]
        tot.setdefault("off", 0)
        tot["off"] += len(base)
        for wgt in weights:
            adaptive.SUB_WEIGHT, entropy.SUB_WIDTH = (int(v) for v in wgt.split(":"))
            t = time.perf_counter()
            sub = entropy.encode_latent(symbols, T, level, chosen, prepared, signs, subs=True)
            t1 = time.perf_counter() - t
            tot.setdefault(wgt, 0)
            tot[wgt] += len(sub)
            line.append(f"w{wgt} {len(sub)} ({100 * (len(sub) / len(base) - 1):+.1f}%, {t1:.2f}s)")
        if "--check" in sys.argv:
            h, w = symbols.shape[:2]
            t = time.perf_counter()
            back = entropy.decode_latent(sub, T, level, h, w, chosen, signs, subs=True)
            line.append(f"dec {time.perf_counter() - t:.2f}s ok={np.array_equal(back, symbols)}")
        print(e["source"], f"L{level}", *line, flush=True)
print("total", *[f"{k}: {100 * (v / tot['off'] - 1):+.2f}%" for k, v in tot.items()])
