"""Probe (2026-12-03): is RWNet's loss on the simulated radiographs the simulator's?

``simulate.radiograph`` draws 200-3000 unattenuated quanta per pixel, so behind thick
tissue and bone 3-24 % of the pixels expect fewer than 10 (``generic_coders.py``). For
new seeds (never in the training or development data: 9000 + i), this simulates each
radiograph twice, with those quanta and with 100 times as many (the same anatomy: the
same seed), and measures RWNet's BD-rate against JPEG 2000 exactly as
``benchmarks/rwnet_dev.py`` does (``reference.j2k_curve``, ``reference.mcz_curve``,
``reference.bd``).

Finding (4 seeds, output in benchmarks/results/rwnet_radiograph_quanta.txt): the
opposite of the guess. As simulated: +10.1 % mean (+6.8 to +17.3 %); with 100 times the
quanta (smoother, less noisy radiographs of the same anatomy; the bit depth is drawn
after the counts, so it may differ): **+34.9 %** (+28.9 to +43.3 %). RWNet loses more
the smoother and less noisy a radiograph is, so real low-noise DR images may fare worse
than the simulated development set says. On seed 9003 with 100 times the quanta (one-off
script, 2026-12-03): at level 5 (49.5 dB) RWNet's file is 5,417 B, JPEG 2000's 4,522 B
with 4 wavelet levels (RWNet's number) but 3,856 B with 5 and 3,778 B with 6, and the DC
and class symbols are 38 % of RWNet's static bits: at low rates a deeper transform is
what JPEG 2000 has (the 5th level named in the model card); at level 9 (66.5 dB, 110 KB
against 72 KB, the same with 4-7 levels) the loss is in the two finest depths (static
bits: depth 3 35 KB, depth 4 47 KB), as on the development set.

Usage: python benchmarks/probes/radiograph_quanta.py N_SEEDS
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import reference  # noqa: E402

from medcomp_gui.codecs.rwnet import simulate  # noqa: E402
from medcomp_gui.imaging.image import MedicalImage  # noqa: E402

results = {}
for i in range(int(sys.argv[1])):
    for name, quanta in (("as simulated", (200, 3000)), ("x100 quanta", (2e4, 3e5))):
        values, bits = simulate.radiograph(np.random.default_rng(9000 + i), quanta=quanta)
        image = MedicalImage(values, bits, modality="DX")
        j2k = reference.j2k_curve(image)
        rwnet = reference.mcz_curve(image, quality=list(range(1, 12)))
        lossless = reference.lossless_bytes(image)
        bd = reference.bd(j2k, rwnet, lossless)
        results.setdefault(name, []).append(bd)
        print(f"seed {9000 + i} ({bits}-bit) {name}: BD-rate {bd:+.1f} %", flush=True)
for name, bds in results.items():
    print(f"{name}: mean {np.mean(bds):+.1f} % over {len(bds)} radiographs")
