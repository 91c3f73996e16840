"""Integer probability tables of RWNet's latents, and the file format that holds them.

Each value is coded with the table of (level, class, channel, bin) (:mod:`.contexts`),
the DC and the details as residuals (:mod:`.prediction`). The tables are fitted once
after training: the learned factorised prior of each level and channel
(``FactorizedPriors``) gives the support and a smoothing prior, and the latents of
training images (never the evaluation images) give per-class, per-bin counts. Every
table is stored as integer probabilities summing to ``TOTAL`` over
``[low, low + length - 1]`` plus one escape symbol, so coding and decoding depend only
on integers and a bitstream decodes the same on every machine. Tables live in an
``.npz`` (``allow_pickle=False``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from medcomp_gui.codecs.rwnet.contexts import (
    BINS,
    CLASS_CONTEXTS,
    CLASSES,
    NEIGHBOURS,
    activity_classes,
    channel_bins,
    class_context,
    class_context_group,
    context_bins,
    dc_bins,
    dyadic_neighbours,
    pooled_channels,
    row_channels,
)
from medcomp_gui.codecs.rwnet.prediction import FEATURES, coefficients, fit_ac_coeffs, to_residual

PRECISION = 16
TOTAL = 1 << PRECISION
#: bits of a symbol by its table entry (``-log2(entry / TOTAL)``, entries are uint16; a
#: zero entry, never coded, costs inf): the encoder's rate estimates look them up
with np.errstate(divide="ignore"):
    BITS_OF_ENTRY = -np.log2(np.arange(TOTAL, dtype=np.float64) / TOTAL)
TAIL = 1e-7
MAX_LENGTH = 4096
GRID = 8192
#: weight of a class's table (all bins pooled) when it smooths the table of one bin
BACKOFF = 4.0
#: probability mass cut from each end of a table (those values are escaped), and the
#: longest table (values beyond it, rare, are escaped too: see :mod:`.entropy`)
TRIM = 1e-6
TABLE_MAX = 512
#: pseudo-count of the learned prior when it smooths the per-class counts
PRIOR_WEIGHT = 4.0
_KEYS = ("low", "length", "offset", "pmf", "class_pmf", "ac_coeffs", "neighbours", "rdo_weights")


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

    def by_channel(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``low``, ``length`` and ``offset`` as ``(levels, channels, CLASSES * BINS)``
        (cached): one channel's tables at one level lie together, indexed by ``class *
        BINS + bin`` (the encoder's rate estimates look them up by the thousand)."""
        if "by_channel" not in self._models:
            self._models["by_channel"] = tuple(
                np.ascontiguousarray(a.transpose(0, 2, 1, 3).reshape(a.shape[0], a.shape[2], -1))
                for a in (self.low, self.length, self.offset)
            )
        return self._models["by_channel"]

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
        ac_coeffs[q] = fit_ac_coeffs(latents[q])  # for payloads before version 7 only
        coded = [to_residual(y, coefficients(ac_coeffs, q, predict=False)) for y in latents[q]]
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
    optimisation (:mod:`.rdoq`) makes with them — as the encoder of payload version 7
    quantises them (the DC divided by :data:`~.codec.DC_STEP`, no AC prediction)."""
    from keras import ops

    from medcomp_gui.codecs.rwnet import rdoq
    from medcomp_gui.codecs.rwnet.codec import DC_STEP
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
    for level in scaled:
        for y in level:
            y[..., 0] /= DC_STEP
    rounded = [[np.rint(y).astype(np.int32) for y in level] for level in scaled]
    first = fit(model.priors, rounded, neighbours, weights)
    optimised = [
        [rdoq.optimise(y, first, q, dc_step=DC_STEP) for y in level]
        for q, level in enumerate(scaled)
    ]
    return fit(model.priors, optimised, neighbours, weights)
