"""How much backward adaptation saves: ideal code lengths of the detail channels with the
static tables and with each band's counts mixed in (static weight 16, 64 or 256 values),
on every 5th development image at three levels (the decision of adaptive.WEIGHT).

Usage: python benchmarks/rwnet_adaptation.py MODEL_DIR LEVELS WEIGHTS
   e.g. python benchmarks/rwnet_adaptation.py models 2,5,8 16,64,256
        > benchmarks/results/rwnet_adaptation.txt
(levels 0-based; sequential per channel, every (class, bin) adapted: the coder itself
leaves those with under adaptive.MIN_COUNT values static)
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from medcomp_gui.codecs.rwnet import codec as rc
from medcomp_gui.codecs.rwnet import data, entropy, rdoq
from medcomp_gui.codecs.rwnet.contexts import (
    BINS,
    CLASSES,
    channel_bins,
    channel_groups,
    row_channels,
)
from medcomp_gui.codecs.rwnet.tables import TOTAL

folder = sys.argv[1]
levels = [int(v) for v in sys.argv[2].split(",")]
weights = [float(v) for v in sys.argv[3].split(",")]
model = rc.load_model(folder)
T = model.tables
V = 600  # value range of the adaptive counts: [-V, V]


def run(y_sym, level):
    h, w, C = y_sym.shape
    by_channel, classes, where = entropy._layout(y_sym, T, level)
    groups = channel_groups(C)
    static = 0.0
    adaptive = {wt: 0.0 for wt in weights}
    counts = {}  # band -> (CLASSES*BINS, 2V+1)
    rows = row_channels(C)
    for c in range(1, C):
        if c in rows or where[c].size == 0:
            continue
        key = classes[where[c]] * BINS + channel_bins(by_channel, T.neighbours, c, (h, w), where[c])
        vals = by_channel[c, where[c]]
        refs = entropy.table_refs(T, level, c, key)
        sb = entropy.lengths_with(T, refs, vals)
        static += sb.sum()
        band = groups[c]
        H = counts.setdefault(band, np.zeros((CLASSES * BINS, 2 * V + 1)))
        low, length, offset = refs
        for wt in weights:
            # mixed probability of each coded value: (wt*S + H[v]) / (wt + n_inside) over the table
            pos = vals - low
            inside = (pos >= 0) & (pos < length)
            s = T.pmf[offset + np.where(inside, pos, length)].astype(np.float64) / TOTAL
            # counts inside this table's support for each key: cumulative sums
            cum = np.cumsum(H, axis=1)
            lo_i = np.clip(low + V, 0, 2 * V + 1)
            hi_i = np.clip(low + length + V, 0, 2 * V + 1)
            n_in = np.where(hi_i > 0, cum[key, np.maximum(hi_i - 1, 0)], 0) - np.where(
                lo_i > 0, cum[key, np.maximum(lo_i - 1, 0)], 0
            )
            n_all = cum[key, -1]
            vi = np.clip(vals + V, 0, 2 * V)
            hv = np.where(inside, H[key, vi], n_all - n_in)  # escape: counts outside
            p = (wt * s + hv) / (wt + n_all)
            adaptive[wt] += (-np.log2(p) + entropy.ESCAPE_BITS * ~inside).sum()
        np.add.at(H, (key, np.clip(vals + V, 0, 2 * V)), 1)
    return static, adaptive


tot_s = {}
tot_a = {}
imgs = data.load("data/rwnet", split="dev")
for pixels, e in imgs[:: max(len(imgs) // 12, 1)]:
    values = pixels.astype(np.float32)
    lo, hi = values.min(), max(values.max(), values.min() + 1)
    x = rc._padded((values - lo) / (hi - lo) - 0.5)
    for level in levels:
        y = np.asarray(model.analysis(x[None, :, :, None], level))[0]
        sym = rdoq.optimise(y, T, level)
        s, a = run(sym, level)
        g = e["modality"]
        tot_s[g, level] = tot_s.get((g, level), 0) + s
        for wt in weights:
            tot_a[g, level, wt] = tot_a.get((g, level, wt), 0) + a[wt]
        print(
            e["source"],
            level,
            f"static {s / 8:.0f} B",
            " ".join(f"w{wt:g}:{(a[wt] / s - 1) * 100:+.1f}%" for wt in weights),
            flush=True,
        )
print("summary")
for (g, level), s in sorted(tot_s.items()):
    print(
        g,
        level,
        f"{s / 8:.0f} B",
        " ".join(f"w{wt:g}:{(tot_a[g, level, wt] / s - 1) * 100:+.1f}%" for wt in weights),
    )
