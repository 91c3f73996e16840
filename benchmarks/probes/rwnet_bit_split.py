"""Probe (2026-12-03): where RWNet's bits go on a radiograph, zeros against nonzeros.

For the development images named on the command line, at levels 5 and 9: the coded
latent's bytes and, with the static tables the coder starts from (the adaptation takes
a few % off), the classes, the DC, and per wavelet depth (1 coarsest .. 4 finest) the
bits spent on zero and on nonzero detail values.

Finding (sim:CRDX:dev:6, 832 x 1024, 12-bit; against sim:CT:dev:2): at q9 (67 dB)
RWNet codes 107.8 KB where JPEG 2000 needs 68.6 KB (1.57x; 1.4-1.6x from 57 to 77 dB
on every simulated radiograph). Escapes are ~1 % of it. The latent is sparse: 14 % of
the detail values are nonzero (CT: 66 %); the finest depth holds 571 k zeros at
0.15 bit each (10.5 KB) and 68 k nonzeros at 3.2 bits (27.5 KB), depth 3 90 k zeros
at 0.73 bit (8.3 KB) and 69 k nonzeros at 3.4 bits (29.2 KB); classes 1.2 KB, DC 4.7 KB.
So the loss is in coding a sparse significance map: JPEG 2000's bit-plane passes see
all eight neighbours' significance (and drop a code-block's last passes where they do
not pay); RWNet's causal (class, bin) contexts do not. The next lead for CR/DX.

Usage: python benchmarks/probes/rwnet_bit_split.py DATA_FOLDER NAME[,NAME...]
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from medcomp_gui.codecs.rwnet import codec as rc
from medcomp_gui.codecs.rwnet import data, entropy
from medcomp_gui.codecs.rwnet.contexts import channel_groups
from medcomp_gui.imaging.image import MedicalImage

got = {}
orig = entropy.encode_latent


def wrap(symbols, tables, level, table_levels=None, prepared=None, signs=None, predict=False):
    out = orig(symbols, tables, level, table_levels, prepared, signs, predict)
    got.update(sym=symbols, out=out, level=level, prep=prepared, tl=table_levels)
    return out


entropy.encode_latent = wrap
m = rc.load_model()
T = m.tables
names = sys.argv[2].split(",")
for pixels, e in data.load(sys.argv[1], split="dev"):
    if e["source"] not in names:
        continue
    img = MedicalImage(pixels, e["bits_stored"])
    for q in tuple(int(v) for v in (sys.argv[3] if len(sys.argv) > 3 else "5,9").split(",")):
        rc.RWNetCodec().encode(img, quality=q)
        sym, level, prep = got["sym"], got["level"], got["prep"]
        lv = entropy._table_levels(T, level, got["tl"])
        gb = entropy.group_bits(sym, T, level, [level], prepared=prep)[level]
        groups = channel_groups(T.channels)
        depth_zero = np.zeros(5)
        depth_nz = np.zeros(5)
        n_zero = np.zeros(5)
        n_nz = np.zeros(5)
        for c in range(1, T.channels):
            w = prep.where[c]
            if w.size == 0:
                continue
            key = prep.keys(c)
            vals = prep.by_channel[c, w]
            L = entropy.code_lengths(T, int(lv[c + 1]), c, key, vals)
            d = (groups[c] - 2) // 3 + 1
            z = vals == 0
            depth_zero[d] += L[z].sum()
            depth_nz[d] += L[~z].sum()
            n_zero[d] += z.sum()
            n_nz[d] += (~z).sum()
        coded, classes, dc = len(got["out"]), gb[0] / 8, gb[1] / 8
        print(
            e["source"], f"q{q}", f"coded {coded} B; static: classes {classes:.0f} B, DC {dc:.0f} B"
        )
        for d in range(1, 5):
            zeros = f"zeros {n_zero[d]:.0f}: {depth_zero[d] / 8:.0f} B"
            zeros += f" ({depth_zero[d] / max(n_zero[d], 1):.3f} bit each)"
            nonzeros = f"nonzeros {n_nz[d]:.0f}: {depth_nz[d] / 8:.0f} B"
            nonzeros += f" ({depth_nz[d] / max(n_nz[d], 1):.2f} bit each)"
            print(f"   depth {d}: {zeros}; {nonzeros}")
