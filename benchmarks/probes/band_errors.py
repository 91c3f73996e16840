"""Probe (2026-12-03): where do RWNet and JPEG 2000 put their error at the same PSNR?

For one development image and one RWNet level: the .mcz, and the OpenJPEG codestream
(imagecodecs, 9/7) whose PSNR target is bisected to reach RWNet's PSNR; then the
squared error of each reconstruction in each wavelet group (the DC, then each depth's
LH, HL, HH, coarse to fine; the CDF 9/7 analysis of RWNet's fixed path applied to the
normalised image and to each reconstruction), the signal energy there, and the energy
of the difference between the two reconstructions.

Finding (sim:CRDX:dev:6, level 9): RWNet 107,857 B at 66.95 dB, JPEG 2000 69,828 B at
66.99 dB, and their errors per group are nearly the same (both zero the finest HH band,
whose error exceeds its signal; depth 3: RWNet 0.0139 / 0.0141 / 0.0197, JPEG 2000
0.0121 / 0.0134 / 0.0273; depth 4: 0.0281 / 0.0284 / 0.0056 against 0.0279 / 0.0274 /
0.0057): the two codecs spend their error alike, so the rate allocation across bands
is not where JPEG 2000's 35 % fewer bytes come from; it codes the same error profile
in fewer bits. With ``checkerboard.py`` (neighbours on all sides: -0.6 % of the fine
bands' ideal bits) and ``neighbour_classes.py`` (ideal adaptive coding of today's
contexts: 89.6 KB for the details alone), what is left to look at is the quantiser's
representation itself (JPEG 2000's embedded deadzone quantiser truncated per code-block
against RWNet's uniform one with RDOQ) and local adaptation (its MQ coder adapts within
each 64 x 64 code-block; RWNet's counts are per band over the whole image).

Usage: python benchmarks/probes/band_errors.py DATA_FOLDER SOURCE LEVEL
"""

import sys
from pathlib import Path

import imagecodecs
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from medcomp_gui import api, metrics  # noqa: E402
from medcomp_gui.codecs.rwnet import data, wavelet  # noqa: E402
from medcomp_gui.codecs.rwnet.contexts import channel_groups  # noqa: E402
from medcomp_gui.imaging.image import MedicalImage  # noqa: E402

folder, source, quality = sys.argv[1], sys.argv[2], int(sys.argv[3])
pixels, entry = next((p, e) for p, e in data.load(folder, split="dev") if e["source"] == source)
image = MedicalImage(pixels, entry["bits_stored"])
bits = entry["bits_stored"]
mcz = api.compress(image, "rwnet", quality=quality)
rwnet = api.decompress(mcz).pixels
target = metrics.psnr(image.pixels, rwnet, bits)
low, high, best = target - 4, target + 4, None
for _ in range(14):  # the smallest OpenJPEG aim that reaches RWNet's PSNR
    aim = (low + high) / 2
    codestream = imagecodecs.jpeg2k_encode(
        image.pixels, level=aim, bitspersample=bits, codecformat=imagecodecs.JPEG2K.CODEC.J2K
    )
    decoded = imagecodecs.jpeg2k_decode(codestream)
    if metrics.psnr(image.pixels, decoded, bits) >= target:
        best, high = (codestream, decoded), aim
    else:
        low = aim
codestream, j2k = best
print(
    f"{source} level {quality}: RWNet {len(mcz)} B {target:.2f} dB; JPEG 2000 "
    f"{len(codestream)} B {metrics.psnr(image.pixels, j2k, bits):.2f} dB"
)
span = float(image.pixels.max() - image.pixels.min())


def latent(values: np.ndarray) -> np.ndarray:
    x = values.astype(np.float32) / span
    x = np.pad(x, ((0, -x.shape[0] % 16), (0, -x.shape[1] % 16)), mode="symmetric")
    return wavelet.analysis(x[None, :, :, None], 4, np)[0].reshape(-1, 256)


groups = channel_groups(256)
original = latent(image.pixels)
rows = {
    "RWNet error": (original - latent(rwnet)) ** 2,
    "JPEG 2000 error": (original - latent(j2k)) ** 2,
    "signal": original**2,
    "RWNet - JPEG 2000": (latent(rwnet) - latent(j2k)) ** 2,
}
print("energy per group: DC, then each depth's LH HL HH, coarse to fine")
for name, energy in rows.items():
    per = energy.sum(axis=0)
    print(f"{name:>18}:", " ".join(f"{per[groups == g].sum():.3g}" for g in range(1, 14)))
