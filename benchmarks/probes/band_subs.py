"""Probe (2026-12-03, 8th session): per band, does counting by neighbour sub-contexts
pay? For every EVERY-th development image at the 0-based LEVELS: the stream's bytes with
version 8's coding (sub-contexts where a channel has sign prediction), with sub-contexts
in every band or none, and each band's flag turned over alone ("add": a band without
them given them; "rm": a band with them without); "oracle_both" adds up every turn that
saves bytes.

Finding (every 4th image, levels 3/6/9; totals of bytes per group): oracle_both MR -1.22,
US -0.40, CT -0.35, CR/DX -0.08, MG -0.01 %; every band with sub-contexts MR -0.34, US
+0.17, CT +0.66, MG +0.68 %: they pay in busy fine bands and cost learning in coarse or
noisy ones, hence a choice per band (payload version 9).

Usage: python benchmarks/probes/band_subs.py DATA EVERY LEVELS   (e.g. data/rwnet 4 3,6,9)
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
tot = {}
for e, level, symbols, prepared, chosen, signs in coder_frames(sys.argv[1], every, levels):
    coded = symbols, T, level, chosen, prepared, signs

    def enc(subs, coded=coded):
        return len(entropy.encode_latent(*coded, subs=subs))

    base = enc(True)
    v8 = np.zeros(14, bool)
    v8[5:] = np.abs(signs[5:]).sum(1) > 0
    allf = np.zeros(14, bool)
    allf[5:] = True
    f8 = enc(v8)
    none = enc(np.zeros(14, bool))
    deltas = {}
    for g in range(5, 14):
        if v8[g]:
            continue
        f = v8.copy()
        f[g] = True
        deltas[g] = enc(f) - base
    best = base + sum(min(0, d) for d in deltas.values())
    # also oracle removing subs from v8 bands
    rm = {}
    for g in range(5, 14):
        if not v8[g]:
            continue
        f = v8.copy()
        f[g] = False
        rm[g] = enc(f) - base
    best2 = best + sum(min(0, d) for d in rm.values())
    a = enc(allf)
    key = (e["modality"], level)
    t = tot.setdefault(e["modality"], np.zeros(5))
    t += [base, a, best, best2, none]
    print(
        e["source"],
        level,
        "base",
        base,
        "flags8 %+.2f" % (100 * (f8 / base - 1)),
        "none %+.2f" % (100 * (none / base - 1)),
        "all %+.2f" % (100 * (a / base - 1)),
        "oracle_add %+.2f" % (100 * (best / base - 1)),
        "oracle_both %+.2f" % (100 * (best2 / base - 1)),
        "v8bands",
        "".join("1" if v else "0" for v in v8[5:]),
        "add",
        {g: d for g, d in deltas.items()},
        "rm",
        rm,
        flush=True,
    )
for k, t in tot.items():
    print(
        k,
        "all {:+.2f} oracle_add {:+.2f} oracle_both {:+.2f} none {:+.2f}".format(
            *(100 * (t[i] / t[0] - 1) for i in (1, 2, 3, 4))
        ),
    )
