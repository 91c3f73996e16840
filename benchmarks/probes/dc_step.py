"""Probe (2026-12-03): is RWNet's DC quantised too finely for low rates?

For the development images whose source starts with one of ``PREFIXES``, levels 1-7:
the DC channel divided by ``s`` before the encoder's quantisation (its distortion weight
times ``s**2``) and multiplied back after, for each ``s`` of ``STEPS``: the latent's
coded bytes (stream only) and the PSNR of the reconstruction (no reconstruction offsets).
BD-rate of each ``s`` against ``s = 1`` over levels 1-7.

Usage: python benchmarks/probes/dc_step.py DATA_FOLDER PREFIX[,PREFIX...] STEP[,STEP...]
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
for pixels, entry in data.load(sys.argv[1], split="dev"):
    if not entry["source"].startswith(tuple(sys.argv[2].split(","))):
        continue
    image = MedicalImage(pixels, entry["bits_stored"])
    x = rc._padded(rc._normalised(image.frames[0], image)[3])
    rows, cols = image.frames[0].shape
    curves = {s: [] for s in steps}
    for level in range(0, 7):
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
    line = [f"{s}: {bd(curves[1.0], curves[s]):+.1f} %" for s in steps if s != 1.0]
    print(entry["source"], *line, flush=True)
