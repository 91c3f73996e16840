"""Integer probability tables of RWNet's latents, and the file format that holds them.

The latent of each frame is coded with *activity classes* and *context bins*: for every
latent position the class ``k = bit_length(sum of |y_c| over channels c >= 1)``
(clipped to ``CLASSES - 1``; integer arithmetic only) is coded first, row by row, with
a table chosen by the three classes above it (:func:`class_context`). Then the channels are
coded in order, each value with the table of (level, class, channel, bin), where the
bin is where the summed magnitudes of the values coded before it at the same position
(:func:`context_bins`) fall among half-octave ``BIN_EDGES``: in the dyadic wavelet
layout its parent one level coarser, the coefficients above and to its left in its band
(these two counted twice) and the other orientations of its level
(:func:`dyadic_neighbours`). The finest level's phases share tables in small groups
(:func:`pooled_channels`). Flat regions (class 0) thus
cost almost nothing, busy ones get wide tables, and inside a block a value next to
large ones gets a wider table than one next to zeros: a deterministic, partly
forward-adaptive stand-in for a hyperprior and a context model.

Channel 0 (the coarsest low-pass band) is coded as the residual of a median edge
predictor from its left, top and top-left neighbours, its bin from the residuals of the
row above (:func:`dc_bins`); every other channel as the residual
of a linear prediction from the DC's first and second differences around it (integer
fixed-point coefficients fitted by least squares on training latents).
Activity classes and context bins are computed on these residuals.

The tables are fitted once after training: the learned factorised prior of each level
and channel (``FactorizedPriors``) gives the support and a smoothing prior, and the
latents of training images (never the evaluation images) give per-class, per-bin
counts. Every table is stored as integer probabilities summing to ``TOTAL`` over
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
#: context bins of a value within its class (:func:`context_bins`), and their inputs
BIN_EDGES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192)
BINS = len(BIN_EDGES) + 1
NEIGHBOURS = 7
#: weight of a class's table (all bins pooled) when it smooths the table of one bin
BACKOFF = 4.0
#: probability mass cut from each end of a table (those values are escaped), and the
#: longest table (values beyond it, rare, are escaped too: see :mod:`.entropy`)
TRIM = 1e-6
TABLE_MAX = 512
#: pseudo-count of the learned prior when it smooths the per-class counts
PRIOR_WEIGHT = 4.0
#: DC-gradient features of the AC prediction, and the fixed-point shift of its coefficients
FEATURES = 5
SHIFT = 12
_KEYS = ("low", "length", "offset", "pmf", "class_pmf", "ac_coeffs", "neighbours", "rdo_weights")


def activity_classes(symbols: np.ndarray) -> np.ndarray:
    """int32 class ``(h, w)`` of a latent ``(h, w, channels)`` (integers only)."""
    activity = np.abs(symbols[..., 1:].astype(np.int64)).sum(axis=-1)
    classes = np.zeros(activity.shape, np.int32)
    for k in range(CLASSES - 1):
        classes += activity >= (1 << k)
    return classes


#: contexts of a class symbol (:func:`class_context`): (top, top-left, top-right) classes,
#: and one for the first row
CLASS_CONTEXTS = CLASSES**3 + 1


def class_context(classes: np.ndarray) -> np.ndarray:
    """Context of each position's class ``(h, w)``: its top, top-left and top-right
    neighbours' classes, ``(top * CLASSES + top_left) * CLASSES + top_right`` (edges
    repeated at the sides); ``CLASSES**3`` on the first row (nothing above). Only the row
    above is needed: the classes decode row by row."""
    ctx = np.full(classes.shape, CLASSES**3, np.int32)
    if classes.shape[0] > 1:
        padded = np.pad(classes[:-1], ((0, 0), (1, 1)), mode="edge").astype(np.int32)
        top, left, right = padded[:, 1:-1], padded[:, :-2], padded[:, 2:]
        ctx[1:] = (top * CLASSES + left) * CLASSES + right
    return ctx


def class_context_group(contexts: np.ndarray) -> np.ndarray:
    """The coarser context each :func:`class_context` backs off to: the largest of the
    three classes above (``CLASSES`` on the first row)."""
    contexts = np.asarray(contexts)
    top, rest = np.divmod(contexts, CLASSES**2)
    left, right = np.divmod(rest, CLASSES)
    largest = np.maximum(np.maximum(top, left), right)
    return np.where(contexts == CLASSES**3, CLASSES, largest)


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
    position (edges repeated) — what a smooth ramp can leave in the detail channels."""
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


def dyadic_neighbours(levels: int = 4) -> np.ndarray:
    """``(4**levels, NEIGHBOURS)`` int32: for each channel of the dyadic wavelet layout
    (:class:`~.layers.Cdf97Analysis`), the earlier channels at the same latent position
    whose magnitudes form its context (-1: none): the parent (same orientation, one level
    coarser), the coefficients above and to the left in the same band (each listed twice:
    they count double, the best predictors on the development set), and the bands of the
    same level coded before it (LH before HL before HH)."""

    def channel(depth: int, band: int, i: int, j: int) -> int:
        """Depth 1 is the coarsest level (one phase), ``levels`` the finest."""
        size = 2 ** (depth - 1)
        start = 1 + sum(3 * 4 ** (k - 1) for k in range(1, depth))
        return start + band * size * size + i * size + j

    out = np.full((4**levels, NEIGHBOURS), -1, np.int32)
    for depth in range(1, levels + 1):
        size = 2 ** (depth - 1)
        for band in range(3):
            for i in range(size):
                for j in range(size):
                    near = [channel(depth, b, i, j) for b in range(band)]
                    if depth > 1:
                        near.append(channel(depth - 1, band, i // 2, j // 2))
                    if i:
                        near += [channel(depth, band, i - 1, j)] * 2  # counted twice
                    if j:
                        near += [channel(depth, band, i, j - 1)] * 2
                    out[channel(depth, band, i, j), : len(near)] = near
    return out


#: groups of the latent whose tables an encoder may take from another level
#: (:func:`channel_groups`): 0 the activity classes, 1 the DC, then each level's LH, HL
#: and HH bands from coarse to fine
GROUPS = 14


def channel_groups(channels: int) -> np.ndarray:
    """int64 ``(channels,)``: the group (1..``GROUPS - 1``) of each channel of the dyadic
    4-level layout (:func:`dyadic_neighbours`); other layouts: 1 for every channel."""
    if channels != 4**4:
        return np.ones(channels, np.int64)
    groups, start = np.ones(channels, np.int64), 1
    for depth in range(1, 5):
        size = 4 ** (depth - 1)
        for band in range(3):
            groups[start : start + size] = 2 + 3 * (depth - 1) + band
            start += size
    return groups


def pooled_channels(channels: int) -> list[list[int]]:
    """Channels that share their tables (fitted on their pooled values): in the dyadic
    layout, the finest level's phases of one band within a 2 x 2 group of phases that
    have the same neighbours in the block (one above? one to the left?) — three quarters
    of the channels, whose own tables would have made the model file about 22 MB for
    little gain; every other channel alone."""
    if channels != 4**4:
        return [[c] for c in range(channels)]
    groups: dict[tuple, list[int]] = {(0,): [0]}
    start = 1
    for depth in range(1, 5):
        size = 2 ** (depth - 1)
        for band in range(3):
            for i in range(size):
                for j in range(size):
                    key = (
                        (depth, band, i // 2, j // 2, i > 0, j > 0)
                        if depth == 4
                        else (depth, band, i, j)
                    )
                    groups.setdefault(key, []).append(start)
                    start += 1
    return list(groups.values())


def context_bins(
    by_channel: np.ndarray, neighbours: np.ndarray, where: np.ndarray | None = None
) -> np.ndarray:
    """int64 bins of one channel at positions ``where`` (default: all): the bin
    (:func:`bin_of`) of the summed magnitude of its ``neighbours`` (-1: none; a channel
    listed twice counts twice), from the channel-major residuals ``by_channel``
    ``(channels, n)``."""
    where = np.arange(by_channel.shape[1]) if where is None else where
    near = neighbours[neighbours >= 0]
    if near.size == 0:
        return np.zeros(where.size, np.int64)
    return bin_of(np.abs(by_channel[near[:, None], where[None, :]]).sum(axis=0, dtype=np.int64))


def row_channels(channels: int) -> tuple[int, ...]:
    """Channels coded row by row, their context bins taking in the row above
    (:func:`channel_bins`): in the dyadic layout the coarsest level's three bands, one
    coefficient per position, whose spatial neighbours are at the positions around."""
    return (1, 2, 3) if channels == 4**4 else ()


#: how :func:`channel_bins` splits a summed magnitude of a row channel into quarters
QUARTER_EDGES = (1, 3, 8)


def channel_bins(
    by_channel: np.ndarray,
    neighbours: np.ndarray,
    channel: int,
    shape: tuple[int, int],
    where: np.ndarray | None = None,
) -> np.ndarray:
    """int64 context bins of ``channel`` at positions ``where`` (default: all) of a
    latent of ``shape`` ``(h, w)`` given channel-major as ``by_channel``
    ``(channels, h * w)``; ``neighbours``: :attr:`Tables.neighbours`. Most channels:
    :func:`context_bins`. A row channel (:func:`row_channels`) adds the magnitudes of
    its own three values in the row above (top-left, top, top-right): their bin when it
    has no earlier neighbours, else ``4 * quarter(row above) + quarter(neighbours)``
    (``QUARTER_EDGES``) — on the development set the row above alone took 22-31 % off
    the first band's empirical entropy, and the split beat a sum for the other two."""
    if channel not in row_channels(by_channel.shape[0]):
        return context_bins(by_channel, neighbours[channel], where)
    where = np.arange(by_channel.shape[1]) if where is None else where
    h, w = shape
    grid = np.abs(by_channel[channel].reshape(h, w))
    padded = np.pad(grid, ((1, 0), (1, 1)))
    above = (padded[:-1, :-2] + padded[:-1, 1:-1] + padded[:-1, 2:]).reshape(-1)[where]
    near = neighbours[channel][neighbours[channel] >= 0]
    if near.size == 0:
        return bin_of(above)
    total = np.abs(by_channel[near[:, None], where[None, :]]).sum(axis=0, dtype=np.int64)
    quarter = np.asarray(QUARTER_EDGES, np.int64)
    return 4 * np.searchsorted(quarter, above, side="right") + np.searchsorted(
        quarter, total, side="right"
    )


def dc_bins(dc_residual: np.ndarray) -> np.ndarray:
    """int64 ``(h * w,)`` context bins of the DC residuals ``(h, w)`` (raster order): the
    bin (:func:`bin_of`) of the summed magnitude of the three residuals above each one
    (top-left, top, top-right; 0 beyond the edges), so a decoder can decode the DC row
    by row, each row's bins known from the row before."""
    a = np.abs(np.asarray(dc_residual, np.int64))
    above = np.zeros_like(a)
    if a.shape[0] > 1:
        padded = np.pad(a[:-1], ((0, 0), (1, 1)))
        above[1:] = padded[:, :-2] + padded[:, 1:-1] + padded[:, 2:]
    return bin_of(above).reshape(-1)


def bin_of(total: np.ndarray) -> np.ndarray:
    """How many of ``BIN_EDGES`` (half-octave steps) the non-negative integers ``total``
    reach: 0 .. ``BINS - 1``."""
    return np.searchsorted(_EDGES, total, side="right").astype(np.int64)


_EDGES = np.asarray(BIN_EDGES, np.int64)


@dataclass(frozen=True)
class Tables:
    """``low``/``length``/``offset``: ``(levels, CLASSES, channels, BINS)`` int32; ``pmf``
    flat int32; ``class_pmf``: ``(levels, CLASS_CONTEXTS, CLASSES)`` int32, the class
    probabilities in each :func:`class_context`; ``neighbours``: ``(channels,
    NEIGHBOURS)`` int32 (:func:`dyadic_neighbours`); ``rdo_weights``: ``(levels,
    channels)`` float64, the encoder's distortion weights (:mod:`.rdoq`; decoding never
    reads them).

    Channel ``c`` in class ``k`` and context bin ``b`` at level ``q`` codes symbols
    ``low .. low+length-1`` with the integers (uint16) ``pmf[offset : offset+length]`` and the
    escape symbol with ``pmf[offset+length]``; the ``length+1`` values sum to ``TOTAL``,
    as does each row of ``class_pmf[level]``.
    """

    low: np.ndarray
    length: np.ndarray
    offset: np.ndarray
    pmf: np.ndarray
    class_pmf: np.ndarray
    ac_coeffs: np.ndarray
    neighbours: np.ndarray
    rdo_weights: np.ndarray
    _models: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def levels(self) -> int:
        return int(self.low.shape[0])

    @property
    def channels(self) -> int:
        return int(self.low.shape[2])

    def probabilities(self, level: int, cls: int, channel: int, bin_: int) -> np.ndarray:
        """Float64 probabilities (escape last), exact ratios of the stored integers."""
        key = (level, cls, channel, bin_)
        start = int(self.offset[key])
        counts = self.pmf[start : start + int(self.length[key]) + 1]
        return counts.astype(np.float64) / TOTAL

    def model(self, level: int, cls: int, channel: int, bin_: int):
        """constriction categorical model of one table (cached; shared tables share one)."""
        key = (level, cls, channel, bin_)
        stored = (int(self.offset[key]), int(self.length[key]))
        if stored not in self._models:
            import constriction

            probs = self.probabilities(*key)
            self._models[stored] = constriction.stream.model.Categorical(probs, perfect=False)
        return self._models[stored]

    def class_probabilities(self, level: int, contexts: np.ndarray) -> np.ndarray:
        """Float64 ``(n, CLASSES)``: the class probabilities in each of ``contexts``."""
        return self.class_pmf[level][contexts].astype(np.float64) / TOTAL

    def save(self, path: str | Path) -> None:
        arrays = {k: getattr(self, k) for k in _KEYS}
        arrays["class_pmf"] = arrays["class_pmf"].astype(np.uint16)  # each entry < 2**16
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Tables:
        with np.load(path, allow_pickle=False) as data:
            if set(_KEYS) - set(data.files):
                raise ValueError("RWNet tables of another format version")
            ints = {k: data[k].astype(np.int32) for k in _KEYS[:-1] if k != "pmf"}
            pmf = data["pmf"].astype(np.uint16)
            tables = cls(**ints, pmf=pmf, rdo_weights=data["rdo_weights"].astype(np.float64))
        shape = tables.low.shape
        channels = np.arange(shape[2])[:, None] if len(shape) == 4 else None
        ok = (
            tables.low.ndim == 4
            and shape[1] == CLASSES
            and shape[3] == BINS
            and tables.length.shape == tables.offset.shape == shape
            and tables.class_pmf.shape == (shape[0], CLASS_CONTEXTS, CLASSES)
            and tables.ac_coeffs.shape == (shape[0], shape[2], FEATURES)
            and tables.neighbours.shape == (shape[2], NEIGHBOURS)
            and bool(np.all(tables.neighbours < channels))  # causal: coded before
            and tables.rdo_weights.shape == (shape[0], shape[2])
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


def _trimmed(probs: np.ndarray) -> tuple[int, int]:
    """``[first, last)`` of ``probs`` (normalised) without ``TRIM`` of mass at each end."""
    cdf = np.cumsum(probs)
    first = int(np.searchsorted(cdf, TRIM, side="right"))
    last = int(np.searchsorted(cdf, 1 - TRIM, side="left")) + 1
    first = min(first, probs.size - 1)
    return first, max(min(last, probs.size), first + 1)


def fit(
    priors,
    latents: list[list[np.ndarray]],
    neighbours: np.ndarray,
    rdo_weights: np.ndarray,
) -> Tables:
    """Tables from the learned priors and training latents.

    ``latents[q]``: int32 latents ``(h, w, channels)`` of training frames at level ``q``;
    levels beyond the priors' (extrapolated ones) borrow the last prior for smoothing.
    Each (class, bin) table is its counts smoothed by its class's pooled counts
    (``BACKOFF``), which are smoothed by the learned prior (``PRIOR_WEIGHT``); ``TRIM``
    of the mass at each end goes to the escape symbol.
    """
    levels, channels = len(latents), priors.channels
    shape = (levels, CLASSES, channels, BINS)
    low, length, offset = (np.zeros(shape, np.int32) for _ in range(3))
    class_pmf = np.zeros((levels, CLASS_CONTEXTS, CLASSES), np.int32)
    groups = class_context_group(np.arange(CLASS_CONTEXTS))
    ac_coeffs = np.zeros((levels, channels, FEATURES), np.int32)
    pmfs, total = [], 0
    stored: dict[bytes, int] = {}  # identical tables are stored once
    for q in range(levels):
        cdf = _prior_cdfs(priors, min(q, priors.levels - 1))
        ac_coeffs[q] = fit_ac_coeffs(latents[q])
        coded = [to_residual(y, ac_coeffs[q]) for y in latents[q]]
        flat = np.concatenate([r.reshape(-1, channels) for r in coded])
        by_channel = np.ascontiguousarray(flat.T)
        classes = np.concatenate([activity_classes(r).reshape(-1) for r in coded])
        contexts = np.concatenate([class_context(activity_classes(r)).reshape(-1) for r in coded])
        pairs = np.bincount(
            contexts * CLASSES + classes, minlength=CLASS_CONTEXTS * CLASSES
        ).reshape(CLASS_CONTEXTS, CLASSES)
        coarse = np.zeros((CLASSES + 1, CLASSES))
        np.add.at(coarse, groups, pairs)
        coarse = (coarse + 0.5) / (coarse + 0.5).sum(axis=1, keepdims=True)
        for ctx, counts in enumerate(pairs):  # smoothed by the coarser context's counts
            class_pmf[q, ctx] = quantize_pmf(counts + BACKOFF * coarse[groups[ctx]])
        for members in pooled_channels(channels):
            c = members[0]
            values = np.concatenate([flat[:, m] for m in members]).astype(np.int64)
            first, last = _support(cdf[c], int(values.min()), int(values.max()))
            size = last - first
            prior = np.diff(cdf[c, first : last + 1])
            index = values + GRID - first
            inside = (index >= 0) & (index < size)
            if c == 0:
                bins = np.concatenate([dc_bins(r[..., 0]) for r in coded])
            elif c in row_channels(channels):  # the row above: image by image
                bins = np.concatenate(
                    [
                        channel_bins(r.reshape(-1, channels).T, neighbours, c, r.shape[:2])
                        for r in coded
                    ]
                )
            else:
                bins = np.concatenate([context_bins(by_channel, neighbours[m]) for m in members])
            key = np.tile(classes, len(members)) * BINS + bins
            counts = np.bincount(
                key[inside] * size + index[inside], minlength=CLASSES * BINS * size
            ).reshape(CLASSES, BINS, size)
            for k in range(CLASSES):
                pooled = counts[k].sum(axis=0) + PRIOR_WEIGHT * prior
                pooled = pooled / pooled.sum()
                for b in range(BINS):
                    probs = counts[k, b] + BACKOFF * pooled
                    if c and k < CLASSES - 1:  # class k bounds every AC value: |v| < 2**k
                        values_here = np.arange(size) + first - GRID
                        probs = np.where(np.abs(values_here) < (1 << k), probs, 0.0)
                    probs = probs / probs.sum()
                    lo, hi = _trimmed(probs)
                    if hi - lo > TABLE_MAX:  # keep the middle (around the median)
                        mid = int(np.searchsorted(np.cumsum(probs), 0.5))
                        lo = max(lo, min(mid - TABLE_MAX // 2, hi - TABLE_MAX))
                        hi = lo + TABLE_MAX
                    outside = 1 - probs[lo:hi].sum()
                    escaped = np.sum(key[~inside] == k * BINS + b) / max(counts[k, b].sum(), 1)
                    escape = max(outside, 0) + escaped + 1e-7
                    table = quantize_pmf(np.append(probs[lo:hi], escape))
                    # a (class, bin) never seen in training has its class's pooled
                    # table, like every other unseen bin of that class: stored once
                    start = stored.setdefault(table.tobytes(), total)
                    if start == total:
                        pmfs.append(table)
                        total += table.size
                    for m in members:  # one table for the pooled channels
                        low[q, k, m, b] = first - GRID + lo
                        length[q, k, m, b] = hi - lo
                        offset[q, k, m, b] = start
    pmf = np.concatenate(pmfs)
    if pmf.max() > np.iinfo(np.uint16).max:  # every table has 2+ entries (the escape)
        raise ValueError("a table entry does not fit 16 bits")
    pmf = pmf.astype(np.uint16)
    weights = np.asarray(rdo_weights, np.float64)
    return Tables(low, length, offset, pmf, class_pmf, ac_coeffs, neighbours, weights)


def fit_model(model, frames: list[np.ndarray]) -> Tables:
    """:func:`fit` with the latents of ``frames`` (float32 ``(rows, cols)`` in [-0.5, 0.5],
    multiples of 16) under an :class:`~.model.RWNet`, in two passes: tables fitted on
    rounded latents, then refitted on the latents the encoder's rate-distortion
    optimisation (:mod:`.rdoq`) makes with them."""
    from keras import ops

    from medcomp_gui.codecs.rwnet import rdoq
    from medcomp_gui.codecs.rwnet.model import level_gains, path_norms

    raw = [ops.convert_to_numpy(model.analysis(f[np.newaxis, :, :, np.newaxis]))[0] for f in frames]
    gains, inv_gains = level_gains(model)
    neighbours = (
        dyadic_neighbours()
        if model.cfg.path == "cdf97"
        else np.full((model.cfg.latent, NEIGHBOURS), -1, np.int32)
    )
    weights = rdoq.distortion_weights(model.cfg.lambdas, inv_gains, path_norms(model.cfg))
    scaled = [[y * g for y in raw] for g in gains]
    rounded = [[np.rint(y).astype(np.int32) for y in level] for level in scaled]
    first = fit(model.priors, rounded, neighbours, weights)
    optimised = [[rdoq.optimise(y, first, q) for y in level] for q, level in enumerate(scaled)]
    return fit(model.priors, optimised, neighbours, weights)
