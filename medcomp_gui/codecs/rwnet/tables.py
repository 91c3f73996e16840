"""Integer probability tables of RWNet's latents, and the file format that holds them.

The latent of each frame is coded with *activity classes*: for every latent position
the class ``k = bit_length(sum of |y_c| over channels c >= 1)`` (clipped to
``CLASSES - 1``; integer arithmetic only) is coded first, row by row, with a table
chosen by the classes above it (:func:`class_context`), then each channel's values
with a table chosen by (level, class, channel). Flat regions (class 0) thus cost almost
nothing, busy ones get wide tables: a deterministic, forward-adaptive stand-in for a
hyperprior's scale indices.

Channel 0 (the DC of each 16 x 16 block) is coded as the residual of a median edge
predictor from its left, top and top-left neighbours; every other channel as the residual
of a linear prediction from the DC's first and second differences around it (integer
fixed-point coefficients fitted by least squares on training latents): smooth ramps,
which the Haar basis spreads over its detail channels, are thus predicted away.
Activity classes are computed on these residuals.

The tables are fitted once after training: the learned factorised prior of each level
and channel (``FactorizedPriors``) gives the support and a smoothing prior, and the
latents of training images (never the evaluation images) give per-class counts. Every
table is stored as integer probabilities summing to ``TOTAL`` over
``[low, low + length - 1]`` plus one escape symbol, so coding and decoding depend only
on integers and a bitstream decodes the same on every machine. Tables live in an
``.npz`` (``allow_pickle=False``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PRECISION = 16
TOTAL = 1 << PRECISION
TAIL = 1e-7
MAX_LENGTH = 4096
GRID = 8192
CLASSES = 16
#: pseudo-count of the learned prior when it smooths the per-class counts
PRIOR_WEIGHT = 4.0
#: DC-gradient features of the AC prediction, and the fixed-point shift of its coefficients
FEATURES = 5
SHIFT = 12
_KEYS = ("low", "length", "offset", "pmf", "class_pmf", "ac_coeffs")


def activity_classes(symbols: np.ndarray) -> np.ndarray:
    """int32 class ``(h, w)`` of a latent ``(h, w, channels)`` (integers only)."""
    activity = np.abs(symbols[..., 1:].astype(np.int64)).sum(axis=-1)
    classes = np.zeros(activity.shape, np.int32)
    for k in range(CLASSES - 1):
        classes += activity >= (1 << k)
    return classes


def class_context(classes: np.ndarray) -> np.ndarray:
    """Context of each position's class ``(h, w)``: the largest class among its top-left,
    top and top-right neighbours; ``CLASSES`` on the first row (no neighbours above)."""
    ctx = np.full(classes.shape, CLASSES, np.int32)
    if classes.shape[0] > 1:
        padded = np.pad(classes[:-1], ((0, 0), (1, 1)), mode="edge")
        ctx[1:] = np.maximum(np.maximum(padded[:, :-2], padded[:, 1:-1]), padded[:, 2:])
    return ctx


def _med(left: np.ndarray, top: np.ndarray, corner: np.ndarray) -> np.ndarray:
    """LOCO-I median edge detector (integers)."""
    hi, lo = np.maximum(left, top), np.minimum(left, top)
    return np.where(corner >= hi, lo, np.where(corner <= lo, hi, left + top - corner))


def dc_residual(dc: np.ndarray) -> np.ndarray:
    """DC channel ``(h, w)`` int -> its prediction residual (MED from left, top, top-left;
    the first row predicts from the left, the first column from the top)."""
    dc = dc.astype(np.int64)
    pred = np.zeros_like(dc)
    pred[0, 1:] = dc[0, :-1]
    pred[1:, 0] = dc[:-1, 0]
    pred[1:, 1:] = _med(dc[1:, :-1], dc[:-1, 1:], dc[:-1, :-1])
    return dc - pred


def dc_restore(residual: np.ndarray) -> np.ndarray:
    """Inverse of :func:`dc_residual` (row by row)."""
    res = residual.astype(np.int64)
    h, w = res.shape
    dc = np.zeros_like(res)
    dc[0] = np.cumsum(res[0])
    for i in range(1, h):
        dc[i, 0] = dc[i - 1, 0] + res[i, 0]
        top, corner, row = dc[i - 1], dc[i - 1], res[i]
        for j in range(1, w):
            a, b, c = int(dc[i, j - 1]), int(top[j]), int(corner[j - 1])
            if c >= max(a, b):
                pred = min(a, b)
            elif c <= min(a, b):
                pred = max(a, b)
            else:
                pred = a + b - c
            dc[i, j] = pred + row[j]
    return dc


def dc_features(dc: np.ndarray) -> np.ndarray:
    """int64 ``(h, w, FEATURES)``: first and second differences of the DC around each
    position (edges repeated) — what a smooth ramp leaves in the Haar detail channels."""
    p = np.pad(dc.astype(np.int64), 1, mode="edge")
    centre = p[1:-1, 1:-1]
    left, right, up, down = p[1:-1, :-2], p[1:-1, 2:], p[:-2, 1:-1], p[2:, 1:-1]
    cross = p[2:, 2:] - p[2:, :-2] - p[:-2, 2:] + p[:-2, :-2]
    return np.stack(
        [right - left, down - up, right - 2 * centre + left, down - 2 * centre + up, cross], -1
    )


def ac_prediction(dc: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """int64 ``(h, w, channels)`` prediction of every channel from the DC (integers only);
    ``coeffs``: ``(channels, FEATURES)`` fixed-point (``SHIFT`` bits), row 0 zero."""
    total = dc_features(dc) @ coeffs.astype(np.int64).T
    return (total + (1 << (SHIFT - 1))) >> SHIFT


def to_residual(symbols: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """What is coded: channel 0 as its DC residual, the others minus their AC prediction."""
    out = symbols.astype(np.int64) - ac_prediction(symbols[..., 0], coeffs)
    out[..., 0] = dc_residual(symbols[..., 0])
    return out


def from_residual(residual: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_residual`."""
    dc = dc_restore(residual[..., 0])
    out = residual.astype(np.int64) + ac_prediction(dc, coeffs)
    out[..., 0] = dc
    return out


def fit_ac_coeffs(latents: list[np.ndarray]) -> np.ndarray:
    """Least-squares AC prediction coefficients (fixed point) from training latents."""
    channels = latents[0].shape[-1]
    feats = np.concatenate([dc_features(y[..., 0]).reshape(-1, FEATURES) for y in latents])
    targets = np.concatenate([y.reshape(-1, channels) for y in latents]).astype(np.float64)
    solution, *_ = np.linalg.lstsq(feats.astype(np.float64), targets, rcond=None)
    coeffs = np.clip(np.rint(solution.T * (1 << SHIFT)), -(2**24), 2**24).astype(np.int32)
    coeffs[0] = 0
    return coeffs


@dataclass(frozen=True)
class Tables:
    """``low``/``length``/``offset``: ``(levels, CLASSES, channels)`` int32; ``pmf`` flat
    int32; ``class_pmf``: ``(levels, CLASSES + 1, CLASSES)`` int32, the class probabilities
    in each :func:`class_context`.

    Channel ``c`` in class ``k`` at level ``q`` codes symbols ``low .. low+length-1``
    with the integers ``pmf[offset : offset+length]`` and the escape symbol with
    ``pmf[offset+length]``; the ``length+1`` values sum to ``TOTAL``, as does each row
    of ``class_pmf[level]``.
    """

    low: np.ndarray
    length: np.ndarray
    offset: np.ndarray
    pmf: np.ndarray
    class_pmf: np.ndarray
    ac_coeffs: np.ndarray
    _models: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def levels(self) -> int:
        return int(self.low.shape[0])

    @property
    def channels(self) -> int:
        return int(self.low.shape[2])

    def probabilities(self, level: int, cls: int, channel: int) -> np.ndarray:
        """Float64 probabilities (escape last), exact ratios of the stored integers."""
        start = int(self.offset[level, cls, channel])
        counts = self.pmf[start : start + int(self.length[level, cls, channel]) + 1]
        return counts.astype(np.float64) / TOTAL

    def model(self, level: int, cls: int, channel: int):
        """constriction categorical model of one table (cached)."""
        key = (level, cls, channel)
        if key not in self._models:
            import constriction

            probs = self.probabilities(level, cls, channel)
            self._models[key] = constriction.stream.model.Categorical(probs, perfect=False)
        return self._models[key]

    def class_probabilities(self, level: int, contexts: np.ndarray) -> np.ndarray:
        """Float64 ``(n, CLASSES)``: the class probabilities in each of ``contexts``."""
        return self.class_pmf[level][contexts].astype(np.float64) / TOTAL

    def save(self, path: str | Path) -> None:
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **{k: getattr(self, k) for k in _KEYS})

    @classmethod
    def load(cls, path: str | Path) -> Tables:
        with np.load(path, allow_pickle=False) as data:
            tables = cls(*(data[k].astype(np.int32) for k in _KEYS))
        shape = tables.low.shape
        ok = (
            tables.low.ndim == 3
            and shape[1] == CLASSES
            and tables.length.shape == tables.offset.shape == shape
            and tables.class_pmf.shape == (shape[0], CLASSES + 1, CLASSES)
            and tables.ac_coeffs.shape == (shape[0], shape[2], FEATURES)
            and int((tables.offset + tables.length).max()) < tables.pmf.size
            and int(tables.length.min()) >= 1
            and int(tables.offset.min()) >= 0
        )
        if not ok:
            raise ValueError("inconsistent RWNet tables")
        return tables


def quantize_pmf(probs: np.ndarray) -> np.ndarray:
    """Integer probabilities >= 1 summing to ``TOTAL`` (deterministic)."""
    probs = np.maximum(np.asarray(probs, np.float64), 0)
    probs = probs / probs.sum()
    free = TOTAL - len(probs)
    counts = np.floor(probs * free).astype(np.int64) + 1
    counts[np.argmax(counts)] += TOTAL - counts.sum()
    return counts.astype(np.int32)


def _prior_cdfs(priors, level: int) -> np.ndarray:
    """CDF of each channel's learned density at ``grid - 0.5``: ``(channels, grid)``."""
    from keras import ops
    from scipy.special import expit

    grid = np.arange(-GRID, GRID + 1, dtype=np.float32)
    v = np.broadcast_to(grid - 0.5, (1, priors.channels, grid.size))
    logits = priors.cdf_logits(ops.convert_to_tensor(v), ops.convert_to_tensor([level]))
    return expit(ops.convert_to_numpy(logits)[0].astype(np.float64))


def _support(cdf: np.ndarray, seen_low: int, seen_high: int) -> tuple[int, int]:
    """Grid indices ``[first, last)`` of the symbols: the prior's range minus a TAIL on each
    side, widened to the values seen, at most ``MAX_LENGTH`` long."""
    below = np.nonzero(cdf <= TAIL)[0]
    above = np.nonzero(cdf >= 1 - TAIL)[0]
    first = int(below[-1]) if below.size else 0
    last = int(above[0]) if above.size else cdf.size - 1
    last = min(max(last, first + 1), cdf.size - 1)
    first = min(first, last - 1)
    wide_first = min(first, seen_low + GRID)
    wide_last = max(last, seen_high + GRID + 1)
    if wide_last - wide_first <= MAX_LENGTH:
        first, last = max(wide_first, 0), min(wide_last, cdf.size - 1)
    if last - first > MAX_LENGTH:
        mid = int(np.argmin(np.abs(cdf - 0.5)))
        first = max(mid - MAX_LENGTH // 2, 0)
        last = min(first + MAX_LENGTH, cdf.size - 1)
    return first, last


def fit(priors, latents: list[list[np.ndarray]]) -> Tables:
    """Tables from the learned priors and training latents.

    ``latents[q]``: int32 latents ``(h, w, channels)`` of training frames at level ``q``;
    levels beyond the priors' (extrapolated ones) borrow the last prior for smoothing.
    """
    levels, channels = len(latents), priors.channels
    low = np.zeros((levels, CLASSES, channels), np.int32)
    length = np.zeros_like(low)
    offset = np.zeros_like(low)
    class_pmf = np.zeros((levels, CLASSES + 1, CLASSES), np.int32)
    ac_coeffs = np.zeros((levels, channels, FEATURES), np.int32)
    pmfs, total = [], 0
    for q in range(levels):
        cdf = _prior_cdfs(priors, min(q, priors.levels - 1))
        ac_coeffs[q] = fit_ac_coeffs(latents[q])
        coded = [to_residual(y, ac_coeffs[q]) for y in latents[q]]
        flat = np.concatenate([r.reshape(-1, channels) for r in coded])
        classes = np.concatenate([activity_classes(r).reshape(-1) for r in coded])
        contexts = np.concatenate([class_context(activity_classes(r)).reshape(-1) for r in coded])
        pairs = np.bincount(contexts * CLASSES + classes, minlength=(CLASSES + 1) * CLASSES)
        for ctx, counts in enumerate(pairs.reshape(CLASSES + 1, CLASSES)):
            class_pmf[q, ctx] = quantize_pmf(counts + 0.5)
        for c in range(channels):
            values = flat[:, c].astype(np.int64)
            first, last = _support(cdf[c], int(values.min()), int(values.max()))
            size = last - first
            prior = np.diff(cdf[c, first : last + 1])
            tail = cdf[c, first] + (1 - cdf[c, last])
            index = values + GRID - first
            inside = (index >= 0) & (index < size)
            counts = np.bincount(
                classes[inside] * size + index[inside], minlength=CLASSES * size
            ).reshape(CLASSES, size)
            for k in range(CLASSES):
                probs = counts[k] + PRIOR_WEIGHT * prior
                escape = PRIOR_WEIGHT * max(tail, 1e-6) + np.sum(classes[~inside] == k) + 0.01
                table = quantize_pmf(np.append(probs, escape))
                low[q, k, c], length[q, k, c], offset[q, k, c] = first - GRID, size, total
                pmfs.append(table)
                total += table.size
    pmf = np.concatenate(pmfs).astype(np.int32)
    return Tables(low, length, offset, pmf, class_pmf, ac_coeffs)


def fit_model(model, frames: list[np.ndarray]) -> Tables:
    """:func:`fit` with the latents of ``frames`` (float32 ``(rows, cols)`` in [-0.5, 0.5],
    multiples of 16) under an :class:`~.model.RWNet`."""
    from keras import ops

    from medcomp_gui.codecs.rwnet.model import level_gains

    raw = [ops.convert_to_numpy(model.analysis(f[np.newaxis, :, :, np.newaxis]))[0] for f in frames]
    gains, _ = level_gains(model)
    latents = [[np.rint(y * g).astype(np.int32) for y in raw] for g in gains]
    return fit(model.priors, latents)
