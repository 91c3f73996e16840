"""Contexts of RWNet's latent symbols: activity classes and context bins.

The latent of each frame is coded with *activity classes* and *context bins*: for every
latent position the class ``k = bit_length(sum of |y_c| over channels c >= 1)``
(clipped to ``CLASSES - 1``; integer arithmetic only) is coded first, row by row, with
a table chosen by the three classes above it (:func:`class_context`). Then the channels are
coded in order, each value with the table of (level, class, channel, bin), where the
bin is where the summed magnitudes of the values coded before it at the same position
(:func:`context_bins`) fall among half-octave ``BIN_EDGES``: in the dyadic wavelet
layout its parent one level coarser, the coefficients above and to its left in its band
(these two counted twice) and the other orientations of its level
(:func:`dyadic_neighbours`); the coarsest level's bands also take in their own row above
(:func:`channel_bins`), the DC the residuals above it (:func:`dc_bins`). The finest
level's phases share tables in small groups (:func:`pooled_channels`). Flat regions
(class 0) thus cost almost nothing, busy ones get wide tables, and inside a block a
value next to large ones gets a wider table than one next to zeros: a deterministic,
partly forward-adaptive stand-in for a hyperprior and a context model. Classes and
bins are computed on the prediction residuals (:mod:`.prediction`).
"""

from __future__ import annotations

import functools

import numpy as np

CLASSES = 16
#: context bins of a value within its class (:func:`context_bins`), and their inputs
BIN_EDGES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192)
BINS = len(BIN_EDGES) + 1
NEIGHBOURS = 7


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


@functools.cache
def block_neighbours(levels: int = 4) -> np.ndarray:
    """``(4**levels, 2)`` int32: for each channel of the dyadic layout, the channel of
    the value above it and of the value to its left in its band at the same latent
    position (-1: none; the coarsest level and a block's top row or left column),
    whose signs predict its sign (:func:`~.entropy.sign_flips`)."""

    def channel(depth: int, band: int, i: int, j: int) -> int:
        size = 2 ** (depth - 1)
        start = 1 + sum(3 * 4 ** (k - 1) for k in range(1, depth))
        return start + band * size * size + i * size + j

    out = np.full((4**levels, 2), -1, np.int32)
    for depth in range(2, levels + 1):
        size = 2 ** (depth - 1)
        for band in range(3):
            for i in range(size):
                for j in range(size):
                    c = channel(depth, band, i, j)
                    if i:
                        out[c, 0] = channel(depth, band, i - 1, j)
                    if j:
                        out[c, 1] = channel(depth, band, i, j - 1)
    out.flags.writeable = False  # cached: shared by every caller
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
    n = by_channel.shape[1]
    near = neighbours[neighbours >= 0]
    if near.size == 0:
        return np.zeros(n if where is None else where.size, np.int64)
    rows = by_channel.take(near, axis=0)
    few = where is not None and where.size * 4 < n
    if few:  # a few positions: those alone
        rows = rows.take(where, axis=1)
    total = np.abs(rows).sum(axis=0, dtype=np.int64)
    # (summing every position and picking is several times faster than a 2-D gather)
    return bin_of(total if where is None or few else total[where])


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
    top = QUARTER_EDGES[-1]
    return 4 * _QUARTERS[np.minimum(above, top)] + _QUARTERS[np.minimum(total, top)]


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
    return _BINS_OF[np.minimum(total, BIN_EDGES[-1])]


# Lookup tables of the bins of 0 .. the top edge (a larger total has the top bin): a
# lookup is several times faster than a binary search among the edges.
_BINS_OF = np.searchsorted(BIN_EDGES, np.arange(BIN_EDGES[-1] + 1), side="right").astype(np.int64)
_QUARTERS = np.searchsorted(QUARTER_EDGES, np.arange(QUARTER_EDGES[-1] + 1), side="right").astype(
    np.int64
)
