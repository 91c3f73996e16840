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

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reference import bd  # noqa: E402

from medcomp_gui.codecs.rwnet import codec as rc  # noqa: E402
from medcomp_gui.codecs.rwnet import data, entropy, rdoq  # noqa: E402
from medcomp_gui.imaging.image import MedicalImage  # noqa: E402

m = rc.load_model()
T = m.tables
steps = [float(v) for v in sys.argv[3].split(",")]
first, last = (int(v) for v in (sys.argv[4] if len(sys.argv) > 4 else "0-6").split("-"))
means = {s: [] for s in steps if s != 1.0}
for pixels, entry in data.load(sys.argv[1], split="dev"):
    if not entry["source"].startswith(tuple(sys.argv[2].split(","))):
        continue
    image = MedicalImage(pixels, entry["bits_stored"])
    x = rc._padded(rc._normalised(image.frames[0], image)[3])
    rows, cols = image.frames[0].shape
    curves = {s: [] for s in steps}
    for level in range(first, last + 1):
        y = np.asarray(m.analysis(x[np.newaxis, :, :, np.newaxis], level))[0]
        for s in steps:
            scaled = y.copy()
            scaled[..., 0] /= s
            saved = T.rdo_weights[level, 0]
            T.rdo_weights[level, 0] = saved * s * s
            try:
                symbols = rdoq.optimise(scaled, T, level)
            finally:
                T.rdo_weights[level, 0] = saved
            prepared = entropy.Prepared(symbols, T, level)
            chosen = entropy.choose_table_levels(symbols, T, level, prepared=prepared)
            signs = entropy.sign_weights(prepared.by_channel, prepared.where)
            n = len(entropy.encode_latent(symbols, T, level, chosen, prepared, signs))
            latent = symbols.astype(np.float32)
            latent[..., 0] *= s
            out = np.asarray(m.synthesis(latent[np.newaxis], level))[0, :rows, :cols, 0]
            mse = float(((out - x[:rows, :cols]) ** 2).mean())
            curves[s].append({"bpp": 8 * n / (rows * cols), "psnr": 10 * np.log10(1 / mse)})
    line = []
    for s in means:
        b = bd(curves[1.0], curves[s])
        if b is not None:
            means[s].append(b)
            line.append(f"{s}: {b:+.1f} %")
    print(entry["source"], *line, flush=True)
print("mean", *[f"{s}: {np.mean(v):+.2f} %" for s, v in means.items()])
