"""Probe (2026-12-03): do generic lossless coders find structure in RWNet's bands that
its context model misses?

For the development images whose source starts with one of ``PREFIXES``, at level 9
(the encoder's latent after RDOQ): each band of depths 2-4 as an image (its phases put
back in place), coded losslessly by JPEG XL (effort 9, offset to unsigned) and by xz
(int16 bytes), against the ideal adaptive code length of the same values in RWNet's
(class, bin) contexts (``ideal.bits``).

Finding (output in benchmarks/results/rwnet_generic_coders.txt): on the simulated
radiograph sim:CRDX:dev:6, JPEG XL and even xz code the finest depth's bands 20-41 %
smaller than RWNet's ideal coder (HH: 6.5 KB ideal, JPEG XL 4.9 KB, xz 3.9 KB; depths
2-4 together 89.6 KB against JPEG XL's 81.4 KB), while on the real RT portal image
(depths 2-4: 3.4 KB against 6.0 KB) and the simulated CT (101 KB against 106 KB) RWNet's
coder is the better one. So the simulated radiographs' fine bands carry a structure that
neither RWNet's contexts nor any neighbourhood tried in ``checkerboard.py`` and
``fine_band_models.py`` see, and that long-range matching does. A candidate cause was
the simulator's photon starvation (behind thick tissue and bone 3-24 % of the pixels
expect fewer than 10 quanta, for seeds 0-5); ``radiograph_quanta.py`` refutes it: with
100 times the quanta RWNet loses more (+34.9 % against +10.1 %), so the structure is
that of smooth radiographs themselves.

Usage: python benchmarks/probes/generic_coders.py DATA_FOLDER PREFIX[,PREFIX...]
"""

import lzma
import sys

import imagecodecs
import numpy as np
from ideal import band_image, bits, dev_latents

from medcomp_gui.codecs.rwnet.contexts import channel_groups

groups = channel_groups(256)
for entry, _, p in dev_latents(sys.argv[1], tuple(sys.argv[2].split(",")), (9,)):
    h, w = p.shape
    totals = np.zeros(3)
    for depth in (2, 3, 4):
        for band in range(3):
            channels = [c for c in range(256) if groups[c] == 2 + 3 * (depth - 1) + band]
            values = np.concatenate([p.by_channel[c, p.where[c]] for c in channels])
            keys = np.concatenate([p.keys(c) for c in channels])
            ours = bits(values, keys) / 8
            image = band_image(p.by_channel, depth, band, h, w)
            unsigned = (image - image.min()).astype(np.uint16)
            jxl = len(imagecodecs.jpegxl_encode(unsigned, lossless=True, effort=9))
            xz = len(
                lzma.compress(image.astype(np.int16).tobytes(), preset=9 | lzma.PRESET_EXTREME)
            )
            totals += (ours, jxl, xz)
            print(
                f"{entry['source']} depth {depth} band {band}: RWNet ideal {ours:.0f} B, "
                f"JPEG XL {jxl} B, xz {xz} B ({np.mean(image != 0):.3f} nonzero)",
                flush=True,
            )
    print(
        f"{entry['source']} depths 2-4: RWNet ideal {totals[0]:.0f} B, JPEG XL "
        f"{totals[1]:.0f} B, xz {totals[2]:.0f} B"
    )
