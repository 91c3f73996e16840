"""Probe (2026-12-03, session 6): would a coarser or finer step for some detail bands pay?

For the development images whose source starts with one of ``PREFIXES``, levels
``LEVELS``: the channels of the named groups (:func:`~.contexts.channel_groups`; 2-4 the
coarsest level's LH/HL/HH .. 11-13 the finest's) divided by ``s`` before the encoder's
quantisation (their distortion weights times ``s**2``) and multiplied back after, for
each variant ``GROUPS:s``; the latent's coded bytes (stream only) and the PSNR of the
reconstruction (no reconstruction offsets). BD-rate of each variant against none.

Finding (2026-12-03, 6th session; the 11 simulated radiographs and the RT portal image, levels 1-8):
every variant loses on average: the finest HH x1.5 +0.2 %, depth-3 HH x1.5 +0.5 %, both
+0.7 %, the finest level x1.25 +0.5 % and x0.8 +0.1 %, depth 3 x0.8 +0.5 %; the best
single image gains 1.1 % (the RT image, finest level x1.25). RDOQ already empties what
a coarser step would: the bands' step allocation is not where radiographs lose.

Usage: python benchmarks/probes/band_step.py DATA PREFIX[,PREFIX...] LEVELS VARIANT...
       (LEVELS as 1-8; VARIANT as 10,13:1.5 — groups 10 and 13, step times 1.5)
"""

import sys
from pathlib import Path

import numpy as np
from ideal import dev_frames, scaled_point

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reference import bd  # noqa: E402

from medcomp_gui.codecs.rwnet import codec as rc  # noqa: E402
from medcomp_gui.codecs.rwnet.contexts import channel_groups  # noqa: E402

m = rc.load_model()
first, last = (int(v) for v in sys.argv[3].split("-"))
groups = channel_groups(256)
variants = {"none": np.ones(256)}
for spec in sys.argv[4:]:
    names, s = spec.split(":")
    scale = np.ones(256)
    scale[np.isin(groups, [int(g) for g in names.split(",")])] = float(s)
    variants[spec] = scale
means = {k: [] for k in variants}
for entry, x, shape in dev_frames(sys.argv[1], tuple(sys.argv[2].split(","))):
    curves = {
        k: [scaled_point(m, x, shape, level, scale, rc.DC_STEP) for level in range(first, last + 1)]
        for k, scale in variants.items()
    }
    line = []
    for k in variants:
        if k != "none":
            b = bd(curves["none"], curves[k])
            if b is not None:
                means[k].append(b)
                line.append(f"{k}: {b:+.1f} %")
    print(entry["source"], *line, flush=True)
print("mean", *[f"{k}: {np.mean(v):+.2f} %" for k, v in means.items() if v])
