"""Probe (2026-12-03): what else could code the detail bands of radiographs in fewer bits?

JPEG 2000 codes a simulated radiograph (sim:CRDX:dev:6) at 67 dB in 35 % fewer bytes
than RWNet's level 9, with nearly the same error in every wavelet band
(``band_errors.py``). For the development images whose source starts with one of
``PREFIXES``, at the given levels (the encoder's latents after RDOQ), this measures
ideal adaptive code lengths (empirical conditional entropy plus half a bit times
log2(count) per symbol and context; the channels of a band pooled, as the coder adapts
them) of the detail values of depths 2-4 under these changes, against today's (class,
bin) contexts:

- ``fine class``: the activity class of the two finest depths alone as the class of
  their values (a second class per position, its cost counted as side information
  given today's class) — is today's class, dominated by the coarse bands' large values
  in a smooth radiograph, a poor scale for the fine bands?
- ``deadzone``: the latent quantised by a uniform quantiser with a dead zone (rounding
  offset ``theta``) instead of RDOQ, its step set so that the detail error (centroid
  reconstruction per depth and |value| 1 or 2+) equals RDOQ's — is RDOQ's choice of
  values the loss?
- ``signs``: the conditional entropy of the signs of the nonzero values given the
  signs of the values above, to the left and the parent (across block edges), against
  one bit each.

Findings (``python benchmarks/probes/fine_band_models.py DATA sim:CRDX:dev:6,pynetdicom
5,9`` -> benchmarks/results/rwnet_fine_band_models.txt; at level 9, where CR/DX loses
most): fine class -0.6 to -0.8 % of the bits of depths 2-4 with its side information;
dead zones (theta 0, 0.25, 0.45) +1.0 to +4.6 % (RDOQ's values are as good as a dead
zone's at equal error); signs -12.8 % of the sign bits on the simulated radiograph
(+3.0 % on the RT portal image's few hundred signs: learning costs), and at level 5
-55 to -78 % of a few hundred bytes. Earlier one-off runs on sim:CRDX:dev:2 gave signs
-21.5 %. The signs are the one large term, hence the sign prediction of payload version
6 (in-block neighbours only, as the decoder's channel order allows: -1 to -4 % of the
file on CR/DX in the coder). None of these is near the 35 %.

Usage: python benchmarks/probes/fine_band_models.py DATA_FOLDER PREFIX[,PREFIX...] LEVEL[,LEVEL...]
"""

import sys

import numpy as np
from ideal import band_image, bits, shifted

from medcomp_gui.codecs.rwnet import codec as rc
from medcomp_gui.codecs.rwnet import data, entropy, rdoq
from medcomp_gui.codecs.rwnet.contexts import BINS, CLASSES, channel_groups
from medcomp_gui.imaging.image import MedicalImage


def detail_bits(prepared: entropy.Prepared, classes_of=None) -> float:
    """Ideal bytes of the detail values of depths 2-4, per band, in (class, bin)
    contexts (``classes_of(c, where)``: another class than the position's)."""
    groups = channel_groups(256)
    per_band: dict[int, tuple[list, list]] = {}
    for c in range(4, 256):
        where = prepared.where[c]
        if where.size == 0:
            continue
        keys = prepared.keys(c)
        if classes_of is not None:
            keys = classes_of(c, where) * BINS + keys % BINS
        values, contexts = per_band.setdefault(int(groups[c]), ([], []))
        values.append(prepared.by_channel[c, where])
        contexts.append(keys)
    return sum(bits(np.concatenate(v), np.concatenate(k)) for v, k in per_band.values()) / 8


tables = rc.load_model().tables
model = rc.load_model()
groups = channel_groups(256)
depth_of = (groups - 2) // 3  # 0 coarsest .. 3 finest; DC -1
prefixes = tuple(sys.argv[2].split(","))
for pixels, entry in data.load(sys.argv[1], split="dev"):
    if not entry["source"].startswith(prefixes):
        continue
    image = MedicalImage(pixels, entry["bits_stored"])
    x = rc._padded(rc._normalised(image.frames[0], image)[3])
    for level in (int(v) - 1 for v in sys.argv[3].split(",")):
        y = np.asarray(model.analysis(x[np.newaxis, :, :, np.newaxis], level))[0]
        symbols = rdoq.optimise(y, tables, level)
        prepared = entropy.Prepared(symbols, tables, level)
        now = detail_bits(prepared)
        out = [f"{entry['source']} level {level + 1}: depths 2-4 {now:.0f} B now"]
        # fine class: the class of depths 3-4 alone, and its side information
        fine_sum = np.abs(prepared.by_channel[depth_of >= 2]).sum(axis=0)
        fine = np.zeros(fine_sum.shape, np.int64)
        for k in range(CLASSES - 1):
            fine += fine_sum >= (1 << k)
        busy = prepared.where[1]
        side = bits(fine[busy], prepared.classes[busy]) / 8

        def fine_class(c, w, fine=fine, classes=prepared.classes):
            return np.where(depth_of[c] >= 2, fine[w], classes[w])

        new = detail_bits(prepared, fine_class)
        out.append(f"fine class {100 * ((new + side) / now - 1):+.1f} %")

        # dead zone quantisers at RDOQ's detail error
        def error(s: np.ndarray, step: float, y=y) -> float:
            r = s.astype(np.float64)
            for d in range(4):
                for big in (False, True):
                    sel = (depth_of[None, None, :] == d) & (
                        np.abs(s) >= 2 if big else np.abs(s) == 1
                    )
                    if sel.any():
                        r[sel] += np.sign(s[sel]) * np.mean(np.abs(y[sel]) / step - np.abs(s[sel]))
            return float(((y[..., 1:] - step * r[..., 1:]) ** 2).sum())

        target = error(symbols, 1.0)
        for theta in (0.0, 0.25, 0.45):
            low, high = 0.3, 3.0
            for _ in range(20):
                step = (low * high) ** 0.5
                s = (np.sign(y) * np.floor(np.abs(y) / step + 0.5 - theta).clip(0)).astype(np.int64)
                s[..., 0] = symbols[..., 0]
                low, high = (low, step) if error(s, step) > target else (step, high)
            s = (np.sign(y) * np.floor(np.abs(y) / low + 0.5 - theta).clip(0)).astype(np.int32)
            s[..., 0] = symbols[..., 0]
            dz = detail_bits(entropy.Prepared(s, tables, level))
            out.append(f"deadzone {theta} {100 * (dz / now - 1):+.1f} %")
        # signs given the signs above, to the left and the parent, across block edges
        h, w = prepared.shape
        plain = given = 0.0
        for depth in (2, 3, 4):
            for band in range(3):
                b = np.sign(band_image(prepared.by_channel, depth, band, h, w))
                parent = np.sign(band_image(prepared.by_channel, depth - 1, band, h, w))
                parent = np.repeat(np.repeat(parent, 2, 0), 2, 1)
                nz = b != 0
                context = (shifted(b, -1, 0) + 1) * 9 + (shifted(b, 0, -1) + 1) * 3 + parent + 1
                plain += np.count_nonzero(nz)
                given += bits(b[nz], context[nz])
        out.append(f"signs {100 * (given / max(plain, 1) - 1):+.1f} % of {plain / 8:.0f} B")
        print("; ".join(out), flush=True)
