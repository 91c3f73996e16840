"""Probe (2026-12-03, 8th session): would choosing the class symbols' static weight
(``entropy.CLASS_WEIGHT``, 4) per frame pay? For every EVERY-th development image at the
0-based LEVELS: the class symbols' ideal bits with weights 1-16 and the best per frame,
in % of the file.

Finding (every 5th image, levels 1/3/5): the best weight per frame saves 0.004-0.05 % of
the file per group; not built.

Usage: python benchmarks/probes/class_weight.py DATA EVERY LEVELS
"""

import sys

import numpy as np
from ideal import coder_frames

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from medcomp_gui.codecs.rwnet import codec as rc
from medcomp_gui.codecs.rwnet import entropy

m = rc.load_model()
T = m.tables
every = int(sys.argv[2])
levels = [int(v) for v in sys.argv[3].split(",")]
CWS = [1, 2, 4, 8, 16]
tot = {}
for e, level, symbols, prepared, chosen, signs in coder_frames(sys.argv[1], every, levels):
    s, f, w = entropy.encode_latent_choosing_bands(symbols, T, level, chosen, prepared, signs)
    h, wd = symbols.shape[:2]
    cls = prepared.classes.reshape(h, wd)
    bits = []
    for cw in CWS:
        entropy.CLASS_WEIGHT = cw
        wts = entropy.adaptive_class_weights(cls, T, int(chosen[0]))
        p = entropy._probabilities(wts)[np.arange(cls.size), cls.reshape(-1)]
        bits.append(-np.log2(p).sum())
    entropy.CLASS_WEIGHT = 4
    size = len(s) * 8
    best = min(bits)
    t = tot.setdefault(e["modality"], np.zeros(2 + len(CWS)))
    t += [size, bits[2] - best, *[b - bits[2] for b in bits]]
    print(
        e["source"],
        level,
        "class share %.1f%%" % (100 * bits[2] / size),
        "best-per-frame %.2f%% of file" % (100 * (best - bits[2]) / size),
        " ".join(
            f"cw{cw} {100 * (b - bits[2]) / size:+.2f}" for cw, b in zip(CWS, bits, strict=True)
        ),
        flush=True,
    )
for k, t in tot.items():
    print(
        k,
        f"oracle {-100 * t[1] / t[0]:.3f}%",
        " ".join(f"cw{cw} {100 * t[2 + i] / t[0]:+.3f}" for i, cw in enumerate(CWS)),
    )
