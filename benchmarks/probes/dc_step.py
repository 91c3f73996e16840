"""Probe (2026-12-03): is RWNet's DC quantised too finely for low rates?

For the development images whose source starts with one of ``PREFIXES``, levels 1-7:
the DC channel divided by ``s`` before the encoder's quantisation (its distortion weight
times ``s**2``) and multiplied back after, for each ``s`` of ``STEPS``: the latent's
coded bytes (stream only) and the PSNR of the reconstruction (no reconstruction offsets).
BD-rate of each ``s`` against ``s = 1`` over levels 1-7.

Per level range (2026-12-03, 6th session): levels 1-4 on four simulated radiographs: 0.6 -1.6 %, 0.7
-2.5 %, 0.85 -1.4 %, 1.2 +2.8 % (0.7, today's DC_STEP, is best); levels 4-8 on all 60
dev images: 0.7 -0.06 %, 0.85 -0.15 % (simulated radiographs +0.1 to +0.4 % at 0.7 and
0 to +0.2 % at 0.85, the RT portal image -5.5 / -7.8 %, everything else within 0.2 %):
a step per level would save about 0.2 % on radiographs, not worth a payload version.

Usage: python benchmarks/probes/dc_step.py DATA PREFIX[,PREFIX...] STEP[,STEP...] [FIRST-LAST]
       (levels, 0-based; default 0-6)
"""

import sys
from pathlib import Path

import numpy as np
from ideal import dev_frames, scaled_point

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reference import bd  # noqa: E402

from medcomp_gui.codecs.rwnet import codec as rc  # noqa: E402

m = rc.load_model()
steps = [float(v) for v in sys.argv[3].split(",")]
first, last = (int(v) for v in (sys.argv[4] if len(sys.argv) > 4 else "0-6").split("-"))
means = {s: [] for s in steps if s != 1.0}
for entry, x, shape in dev_frames(sys.argv[1], tuple(sys.argv[2].split(","))):
    curves = {}
    for s in steps:
        scale = np.ones(256)
        scale[0] = s
        curves[s] = [
            scaled_point(m, x, shape, level, scale, 1.0) for level in range(first, last + 1)
        ]
    line = []
    for s in means:
        b = bd(curves[1.0], curves[s])
        if b is not None:
            means[s].append(b)
            line.append(f"{s}: {b:+.1f} %")
    print(entry["source"], *line, flush=True)
print("mean", *[f"{s}: {np.mean(v):+.2f} %" for s, v in means.items()])
