"""Probe (2026-12-03, 7th session): a 5th wavelet level on RWNet's DC with its details
quantised *coarser* than the DC (``dc_level.py`` kept the step and found +4 to +8 % DC
bits; JPEG 2000's 5th level is worth 15 % at low rates on a smooth radiograph).

For the development images whose source starts with one of ``PREFIXES`` at the given
qualities: the DC of the encoder's latent (divided by ``DC_STEP``) coded as today
(rounded, MED residual, ideal adaptive bits in its ``dc_bins`` contexts) against one
LeGall 5/3 level (float lifting): the LL rounded and coded the same way, the three
detail bands quantised with step 1-6 (times the DC's) and a dead zone (theta 0, 0.2,
0.35), ideal bits in contexts of their left and upper neighbours' magnitudes. Each is
scored by ``J = bits + w0 * SSE`` with the encoder's DC distortion weight ``w0``
(``rdoq.weights_of``) and the best step/theta taken for the 5th level.

Finding (sim:CRDX:dev:3 and :6, the RT portal image, sim:CT:dev:2; q2-q6): J -12.4 /
-3.5 % on the two radiographs at q2 and -1.8 / +2.0 % at q3, then +5 to +13 % at q4-q6;
the RT image -8.7 % at q4, -17.4 % at q6 but +2.4 % at q5 and +6.6 % at q2; CT +2 to
+25 %. The coarse details cost more error than their bits save wherever the DC matters
to the BD-rate (q3-q6), so no 5th level: not built.

Usage: python benchmarks/probes/dc_fifth_level.py DATA_FOLDER PREFIX[,PREFIX...] QUALITY[,...]
"""

import sys

import numpy as np
from ideal import bits, dev_frames

from medcomp_gui.codecs.rwnet import codec as rc
from medcomp_gui.codecs.rwnet import rdoq
from medcomp_gui.codecs.rwnet.contexts import dc_bins
from medcomp_gui.codecs.rwnet.prediction import dc_residual


def lift53(a, axis):
    a = np.moveaxis(a, axis, 0).astype(np.float64)
    n = a.shape[0]
    ev, od = a[0::2].copy(), a[1::2].copy()
    # predict: d = odd - (left + right)/2, symmetric
    right = np.concatenate([ev[1:], ev[-1:]]) if n % 2 == 0 else ev[1:]
    d = od - 0.5 * (ev[: od.shape[0]] + right[: od.shape[0]])
    dl = np.concatenate([d[:1], d[:-1]])
    dr = d if ev.shape[0] == d.shape[0] else np.concatenate([d, d[-1:]])
    dl = dl if ev.shape[0] == d.shape[0] else np.concatenate([dl, d[-1:]])
    s = ev + 0.25 * (dl + dr[: ev.shape[0]])
    return np.moveaxis(s, 0, axis), np.moveaxis(d, 0, axis)


def unlift53(s, d, axis):
    s = np.moveaxis(s, axis, 0)
    d = np.moveaxis(d, axis, 0)
    dl = np.concatenate([d[:1], d[:-1]])
    dr = d if s.shape[0] == d.shape[0] else np.concatenate([d, d[-1:]])
    dl = dl if s.shape[0] == d.shape[0] else np.concatenate([dl, d[-1:]])
    ev = s - 0.25 * (dl + dr[: s.shape[0]])
    right = np.concatenate([ev[1:], ev[-1:]]) if s.shape[0] == d.shape[0] else ev[1:]
    od = d + 0.5 * (ev[: d.shape[0]] + right[: d.shape[0]])
    out = np.empty((s.shape[0] + d.shape[0],) + s.shape[1:])
    out[0::2], out[1::2] = ev, od
    return np.moveaxis(out, 0, axis)


def fwd(x):
    L, H = lift53(x, 1)
    LL, LH = lift53(L, 0)
    HL, HH = lift53(H, 0)
    return LL, (LH, HL, HH)


def inv(LL, bands):
    LH, HL, HH = bands
    return unlift53(unlift53(LL, LH, 0), unlift53(HL, HH, 0), 1)


def dc_cost(dcq):
    r = dc_residual(dcq)
    return bits(r.reshape(-1), dc_bins(r))


def nb_ctx(q):
    a = np.abs(q)
    c = np.zeros_like(a)
    c[1:] += a[:-1]
    c[:, 1:] += a[:, :-1]
    return np.minimum(c, 3)


x0 = np.random.default_rng(0).normal(size=(9, 13))
assert np.allclose(inv(*fwd(x0)), x0)
model = rc.load_model()
qualities = [int(v) for v in sys.argv[3].split(",")]
for entry, x, _shape in dev_frames(sys.argv[1], tuple(sys.argv[2].split(","))):
    for q in qualities:
        level = q - 1
        y = np.array(model.analysis(x[np.newaxis, :, :, np.newaxis], level))[0]
        y0 = y[..., 0] / rc.DC_STEP
        w0 = float(rdoq.weights_of(model.tables, level, rc.DC_STEP)[0])
        # now: DC rounded (ideal coder), and with the encoder's choose_dc
        dcn = np.rint(y0).astype(np.int64)
        b_now = dc_cost(dcn)
        d_now = w0 * ((y0 - dcn) ** 2).sum()
        best = None
        for step in (1.0, 1.5, 2.0, 3.0, 4.0, 6.0):
            for theta in (0.0, 0.2, 0.35):
                LL, bands = fwd(y0)
                LLq = np.rint(LL).astype(np.int64)
                b = dc_cost(LLq)
                qb = []
                for band in bands:
                    v = band / step
                    qv = (np.sign(v) * np.floor(np.abs(v) + 0.5 - theta)).astype(np.int64)
                    qv = np.where(np.abs(v) + 0.5 - theta < 0, 0, qv)
                    b += bits(qv.reshape(-1), nb_ctx(qv).reshape(-1))
                    qb.append(qv * step)
                rec = inv(LLq.astype(np.float64), qb)
                d = w0 * ((y0 - rec) ** 2).sum()
                if best is None or b + d < best[0]:
                    best = (b + d, b, d, step, theta)
        J, b5, d5, st, th = best
        now = b_now + d_now
        print(
            f"{entry['source']} q{q}: now bits {b_now:.0f} dist {d_now:.0f} J {now:.0f}"
            f" | 5th level: bits {b5:.0f} dist {d5:.0f} J {J:.0f} (step {st}, theta {th})"
            f" | J {100 * (J / now - 1):+.1f} %",
            flush=True,
        )
