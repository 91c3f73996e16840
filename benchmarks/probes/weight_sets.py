"""Probe (2026-12-03, 8th session): which static table weights should a band choose
from? For every EVERY-th development image at the 0-based LEVELS, the bytes of the
stream plus the choices' side information with each set of weights (colon-separated,
the default first), against the first set, per group.

Finding (every 6th image, levels 2/5/8): 64:16:256:1024 -0.00 to -0.09 %, 64:32:256,
64:16:512, 64:8:256 within +-0.05 % of 64:16:256 (kept).

Usage: python benchmarks/probes/weight_sets.py DATA EVERY LEVELS SETS
       (e.g. data/rwnet 6 2,5,8 64:16:256,64:16:256:1024)
"""

import sys

import numpy as np
from ideal import coder_frames

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from medcomp_gui.codecs.rwnet import adaptive, entropy
from medcomp_gui.codecs.rwnet import codec as rc

m = rc.load_model()
T = m.tables
every = int(sys.argv[2])
levels = [int(v) for v in sys.argv[3].split(",")]
variants = [tuple(int(x) for x in v.split(":")) for v in sys.argv[4].split(",")]
tot = {}
for e, level, symbols, prepared, chosen, signs in coder_frames(sys.argv[1], every, levels):
    sizes = []
    for v in variants:
        adaptive.WEIGHTS = v
        s, f, w = entropy.encode_latent_choosing_bands(symbols, T, level, chosen, prepared, signs)
        side = adaptive.side_bytes(f, w)
        sizes.append(len(s) + side)
    t = tot.setdefault(e["modality"], np.zeros(len(variants)))
    t += sizes
    print(e["source"], level, sizes, flush=True)
for k, t in tot.items():
    print(k, " ".join(f"{v} {100 * (t[i] / t[0] - 1):+.2f}" for i, v in enumerate(variants)))
