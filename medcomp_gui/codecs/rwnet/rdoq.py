"""Rate-distortion optimised quantisation (RDOQ) of RWNet latents — encoder side only.

Plain rounding spends bits on values whose removal costs almost no image quality (an
isolated +-1 in a fine band). For each value the encoder picks, among its rounding,
the next integer towards zero and zero, the one with the least
``bits + lambda * weight * error**2``: ``bits`` from the very tables the entropy coder
uses (:mod:`.tables`), ``lambda`` the level's training trade-off (the model was trained
on ``bpp + lambda * MSE``) times ``LAMBDA_SCALE``, ``weight`` the image-domain squared
error of a unit error in that channel (inverse gain times the fixed path's synthesis
norm, squared). Classes and context bins depend on the values themselves, so the choice
is repeated with the updated ones; between the two rounds the DC values are chosen the
same way, in the decoder's order (:func:`choose_dc`). Last, whole positions whose class
symbol and detail values are not worth the error they save are emptied
(:func:`_empty_positions`).
Decoding is untouched: any integer latent decodes.
"""

from __future__ import annotations

import numpy as np

from medcomp_gui.codecs.rwnet.contexts import (
    BINS,
    activity_classes,
    channel_bins,
    channel_groups,
    dc_bins,
)
from medcomp_gui.codecs.rwnet.entropy import (
    ESCAPE_BITS,
    adaptive_class_weights,
    code_lengths,
    default_levels,
    lengths_with,
    table_refs,
)
from medcomp_gui.codecs.rwnet.prediction import coefficients, med, to_residual
from medcomp_gui.codecs.rwnet.tables import BITS_OF_ENTRY, Tables

ROUNDS = 2
#: the encoder's lambda relative to the level's training lambda: chosen on the
#: development set with the v3 coder (dev BD-rate vs JPEG 2000: 0.65x -4.6 %, 0.8x -4.8 %,
#: 1x -4.6 %, 1.25x -4.2 %; again with the v4 coder: 0.7x -11.0 %, 0.8x -11.0 %, 0.9x
#: -10.9 %); the tables are fitted on latents quantised with it
LAMBDA_SCALE = 0.8


def distortion_weights(
    lambdas: tuple[float, ...], inv_gains: np.ndarray, norms: np.ndarray
) -> np.ndarray:
    """``(levels, channels)``: ``LAMBDA_SCALE * lambda_q * (inv_gain_qc * norm_c)**2``;
    levels beyond the trained ``lambdas`` continue their geometric progression (as the
    gains do)."""
    lam = list(lambdas)
    while len(lam) < inv_gains.shape[0]:
        lam.append(lam[-1] ** 2 / lam[-2])
    scale = np.asarray(inv_gains, np.float64) * np.asarray(norms, np.float64)[None, :]
    return LAMBDA_SCALE * np.asarray(lam, np.float64)[:, None] * scale**2


#: the encoder's distortion weights over the tables' (:func:`distortion_weights`, which
#: the tables were fitted with): the coder adapts its tables to the image, so a value
#: costs fewer bits than the static tables say and rounding it away saves less.
#: Development set (60 images, BD-rate against JPEG 2000, all / CR-DX / MG): 1 +1.3 /
#: +20.5 / -13.1 %, 1.5 -0.1 / +17.9 / -12.4, 2 -0.6 / +16.4 / -12.2, 3 -0.1 / +16.3 /
#: -12.2, 4 +0.2 / +16.3 / -12.0; 2 taken (benchmarks/results/rwnet_dev.md)
WEIGHT_FACTOR = 2.0
#: ``WEIGHT_FACTOR``'s multiplier at each level (0-based; the last for any above): the
#: upper levels weigh distortion more. Development set (60 images, BD-rate all / CR-DX,
#: against 1 everywhere: -9.26 / +1.20 %): x1.4 at levels 0-3 -9.09 / +1.16, x0.7 there
#: -8.89 / +1.74, x0.7 at 7-10 -9.10 / +1.77, x1.4 at 7-10 -9.30 / +1.06, x1.2 at 4-7
#: -9.29 / +0.95; these steps -9.34 / +0.74 % (the real RT portal image -6.1 %, simulated
#: MG +0.2 to +0.7 %; 1.2 at 4-6 and 1.4 at 7-10 instead: -9.33 / +0.84 %)
LEVEL_FACTORS = (1.0, 1.0, 1.0, 1.0, 1.2, 1.4, 1.4, 1.6, 1.6, 1.6, 1.6)


def weights_of(tables: Tables, level: int, dc_step: float = 1.0) -> np.ndarray:
    """The distortion weight of each channel at ``level`` the encoder decides with; the
    DC's times ``dc_step**2`` where it is quantised with ``dc_step`` times the model's
    step (:data:`~.codec.DC_STEP`)."""
    scale = LEVEL_FACTORS[min(level, len(LEVEL_FACTORS) - 1)]
    weights = tables.rdo_weights[level] * (WEIGHT_FACTOR * scale)
    weights[0] *= dc_step * dc_step
    return weights


def optimise(
    y: np.ndarray, tables: Tables, level: int, predict: bool = False, dc_step: float = 1.0
) -> np.ndarray:
    """int32 latent ``(h, w, channels)`` for the scaled, unrounded latent ``y``, its bits
    counted with the tables of ``level`` (the coder may then take some groups' tables
    from other levels: :func:`~.entropy.choose_table_levels`) as the coder codes it, with
    the AC prediction if ``predict`` (:func:`~.prediction.coefficients`); ``y``'s DC
    divided by ``dc_step`` (:func:`weights_of`)."""
    coeffs = coefficients(tables.ac_coeffs, level, predict)
    q = np.rint(y).astype(np.int64)
    h, w, channels = q.shape
    weights = weights_of(tables, level, dc_step)
    chosen = default_levels(level)
    target = np.ascontiguousarray(y.reshape(-1, channels).T, np.float64)  # channel-major
    for round_ in range(ROUNDS):
        if round_ == 1:  # the DC, with the classes the first round left
            left = activity_classes(to_residual(q, coeffs))
            q[..., 0] = choose_dc(y[..., 0], tables, level, left, dc_step)
        residual = to_residual(q.reshape(h, w, channels), coeffs)
        cls = activity_classes(residual).reshape(-1)
        residual = np.ascontiguousarray(residual.reshape(-1, channels).T)
        values = np.ascontiguousarray(q.reshape(-1, channels).T)
        for c in range(1, channels):  # channel 0: choose_dc
            where = np.nonzero(values[c])[0]  # a zero has nowhere to go
            if where.size == 0:
                continue
            key = cls[where] * BINS + channel_bins(residual, tables.neighbours, c, (h, w), where)
            now = values[c, where]
            pred = now - residual[c, where]
            candidates = np.stack((now, now - np.sign(now), np.zeros_like(now)))
            refs = table_refs(tables, level, c, key)
            costs = lengths_with(tables, refs, candidates - pred)  # the three at once
            costs += weights[c] * (target[c, where] - candidates) ** 2
            best = np.take_along_axis(candidates, np.argmin(costs, axis=0)[None], axis=0)[0]
            values[c, where] = best
            residual[c, where] = best - pred
        q = values.T.reshape(h, w, channels)
    q = _empty_positions(q, target, tables, level, chosen, weights, coeffs)
    return np.ascontiguousarray(q, np.int32)


def choose_dc(
    y: np.ndarray, tables: Tables, level: int, classes: np.ndarray, dc_step: float = 1.0
) -> np.ndarray:
    """int64 DC ``(h, w)`` for the scaled DC ``y``: in the decoder's order (raster), each
    value among its two nearest integers and its MED prediction from the values chosen
    before it (:func:`~.prediction.dc_residual`), the one with the least ``bits + weight *
    error**2`` (its bin from the residuals of the row above, :func:`~.contexts.dc_bins`;
    its class from ``classes``). Plain rounding spends bits on a residual of +-1 that
    buys less than its share of a block's error (closed-loop DPCM, as in lossy
    JPEG-LS); the effect of a choice on the predictions after it is left out. A Python
    loop: one value depends on the one before it; the DC is 1/256 of the pixels.
    ``dc_step``: as :func:`weights_of`'s."""
    h, w = y.shape
    weight = float(weights_of(tables, level, dc_step)[0])
    costs: dict[tuple[int, int], tuple[int, list[float], float]] = {}

    def bits(k: int, b: int, r: int) -> float:
        if (k, b) not in costs:
            low = int(tables.low[level, k, 0, b])
            length = int(tables.length[level, k, 0, b])
            start = int(tables.offset[level, k, 0, b])
            logs = BITS_OF_ENTRY[tables.pmf[start : start + length + 1]].tolist()
            costs[k, b] = (low, logs[:length], logs[length] + ESCAPE_BITS)
        low, logs, escape = costs[k, b]
        pos = r - low
        return logs[pos] if 0 <= pos < len(logs) else escape

    dc = np.zeros((h, w), np.int64)
    residual = np.zeros((h, w), np.int64)
    target = np.asarray(y, np.float64)
    for i in range(h):
        bins = dc_bins(residual[max(i - 1, 0) : i + 1])[-w:] if i else np.zeros(w, np.int64)
        above = dc[i - 1].tolist() if i else None
        row, res, want = [0] * w, [0] * w, target[i].tolist()
        ks, bs = classes[i].tolist(), bins.tolist()
        for j in range(w):
            if i == 0:
                pred = row[j - 1] if j else 0
            elif j == 0:
                pred = above[0]
            else:
                pred = med(row[j - 1], above[j], above[j - 1])
            v = want[j]
            best, best_cost = 0, np.inf
            for cand in {int(np.floor(v)), int(np.floor(v)) + 1, pred}:
                cost = bits(ks[j], bs[j], cand - pred) + weight * (v - cand) ** 2
                if cost < best_cost:
                    best, best_cost = cand, cost
            row[j], res[j] = best, best - pred
        dc[i], residual[i] = row, res
    return dc


def _empty_positions(
    q: np.ndarray,
    target: np.ndarray,
    tables: Tables,
    level: int,
    chosen: np.ndarray,
    weights: np.ndarray,
    coeffs: np.ndarray,
) -> np.ndarray:
    """``q`` with the detail values of some positions set to their prediction from the DC
    by ``coeffs`` (zero without the AC prediction; residual 0: class 0, nothing coded but
    the DC): wherever that costs less in
    ``bits + lambda * weight * error**2`` than what is there, counting the position's class
    symbol and all its detail values (the block-level decision a value-by-value choice
    cannot make, like JPEG 2000 dropping a code-block's passes). The effect on the
    neighbours' class contexts below is left out."""
    h, w, channels = q.shape
    residual = to_residual(q, coeffs)
    cls = activity_classes(residual).reshape(-1)
    busy = np.nonzero(cls)[0]
    if busy.size == 0:
        return q
    by_channel = np.ascontiguousarray(residual.reshape(-1, channels).T)
    values = np.ascontiguousarray(q.reshape(-1, channels).T)
    table_of = chosen[channel_groups(channels)]
    keep = np.zeros(busy.size)  # J of what is there, minus the class symbol
    drop = np.zeros(busy.size)
    for c in range(1, channels):
        key = cls[busy] * BINS + channel_bins(by_channel, tables.neighbours, c, (h, w), busy)
        now = by_channel[c, busy]
        pred = values[c, busy] - now
        keep += code_lengths(tables, int(table_of[c]), c, key, now)
        keep += weights[c] * (target[c, busy] - values[c, busy]) ** 2
        drop += weights[c] * (target[c, busy] - pred) ** 2
    # the class symbols cost what the coder's adapted class tables say (payload version 7)
    mixed = adaptive_class_weights(cls.reshape(h, w), tables, int(chosen[0]))[busy]
    class_bits = -np.log2(mixed / mixed.sum(axis=1, keepdims=True))
    keep += class_bits[np.arange(busy.size), cls[busy]]
    drop += class_bits[:, 0]
    empty = busy[drop < keep]
    values[1:, empty] -= by_channel[1:, empty]
    return values.T.reshape(h, w, channels)
