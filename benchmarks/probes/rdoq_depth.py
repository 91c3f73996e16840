"""Probe (2026-12-03): RDOQ distortion weights per wavelet depth, on the development set.

The encoder's RDOQ weighs each value's squared error by its channel's distortion
weight times ``rdoq.WEIGHT_FACTOR`` (2, chosen on the development set). This probe
scales the weights of one depth (1 coarsest .. 4 finest) by ``FACTOR`` and reports the
BD-rate against JPEG 2000 (the references stored in benchmarks/results/rwnet_dev.json)
of the development images whose source starts with one of ``PREFIXES``, per group, with
the baseline (factor 1) in the same run. Encoder only: the files decode as ever.

Finding (benchmarks/results/rwnet_rdoq_depth.txt; 12 CR/DX and 2 CT dev images): the
CR/DX mean +16.4 % becomes +17.4 % with depth 3 x0.5, +17.1 % with depth 4 x0.5 and
+16.7 % with depth 4 x2; CT -5.0 % -> -5.0 / -4.0 / -4.8 %. One weight for every depth
stays: the loss on radiographs is not in what RDOQ keeps (see rwnet_bit_split.py).

Usage: python benchmarks/probes/rdoq_depth.py DATA_FOLDER DEPTH FACTOR PREFIX[,PREFIX...]
"""

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import reference  # noqa: E402
import rwnet_dev  # noqa: E402

from medcomp_gui.codecs.rwnet import rdoq  # noqa: E402
from medcomp_gui.codecs.rwnet.contexts import channel_groups  # noqa: E402

folder, depth, factor = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
prefixes = tuple(sys.argv[4].split(","))
refs = json.loads((ROOT / "benchmarks/results/rwnet_dev.json").read_text())["references"]
base_weights = rdoq.weights_of


def scaled(tables, level):
    weights = base_weights(tables, level).copy()
    depth_of = (channel_groups(tables.channels) - 2) // 3 + 1
    weights[depth_of == depth] *= factor
    return weights


results = {}
for key, (image, entry) in rwnet_dev.dev_images(folder).items():
    if not key.startswith(prefixes):
        continue
    row = []
    for weights in (base_weights, scaled):
        rdoq.weights_of = weights
        curve = reference.mcz_curve(image, quality=list(range(1, 12)))
        row.append(reference.bd(refs[key]["jpeg2000"], curve))
    rdoq.weights_of = base_weights
    results[key] = (entry["modality"], *row)
    shown = (f"{v:+.1f}" if v is not None else "n/a" for v in row)
    print(key, entry["modality"], *shown, flush=True)
for group in sorted({g for g, *_ in results.values()}):
    pairs = [(a, b) for g, a, b in results.values() if g == group and None not in (a, b)]
    a, b = np.mean([p[0] for p in pairs]), np.mean([p[1] for p in pairs])
    print(f"{group}: {len(pairs)} images, BD-rate {a:+.1f} % -> {b:+.1f} %", end=" ")
    print(f"(depth {depth} x{factor:g})")
