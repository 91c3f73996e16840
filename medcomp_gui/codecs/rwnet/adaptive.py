"""Backward adaptation of RWNet's entropy model within an image.

The static tables (:mod:`.tables`) were fitted on training images; an image whose
statistics differ (another modality, noise texture or maker) pays for the mismatch
on every value. JPEG 2000's MQ coder adapts to every code-block; here the coder adapts
to the image as it goes: within each band of the wavelet layout
(:func:`~.contexts.channel_groups`), the values of the channels already coded are
counted per (class, context bin), and each later channel of the band is coded with
its static table mixed with those counts::

    p(v) proportional to  WEIGHT * static(v) + TOTAL * count(v)

(``static`` the table's integer probabilities summing to ``TOTAL``, so ``WEIGHT`` is
the static table's weight in counts; values outside the table count towards its
escape). The decoder counts the same decoded values in the same order, so both build
the same tables; the counts are integers and the mixed weights are integers, their
ratios IEEE-exact, so a file decodes the same on every machine (golden-file tested).

On the development set, per-channel adaptation within a band took 2-50 % off the
detail bits of held-out images (``WEIGHT`` 16, 64, 256 within a few % of each other; 64
chosen) — out of distribution it pays far more than the 2-3 % measured in
distribution with the earlier tables (models/README.md).

From payload version 8 on, in the bands with sign prediction
(:func:`~.entropy.sign_context`) each value's count key also carries its *neighbour
sub-context* (:func:`with_subs`): the magnitudes of the values above and to its left in
its block. A sub-context's values count for its (class, bin, sign level) as before, and
also on their own; once it has ``SUB_MIN``, a value in it is coded with its parent's
mixed distribution mixed again with those counts (weight ``SUB_WEIGHT``): a hierarchical
prior, so that nine-fold thinner counts still help. The (class, bin) sums the
neighbours' magnitudes; ideal code lengths say each one's small value apart carries more
(benchmarks/probes/neighbour_forms.py).

From payload version 9 on, the encoder chooses for each band whether it uses the
sub-contexts and the static table's weight among ``WEIGHTS`` (:meth:`BandCounts.estimate`,
:func:`~.entropy.choose_bands`): sub-contexts cost learning in coarse and noisy bands,
and the static tables deserve more weight at high levels and less in the fine bands of
images unlike the training set.
"""

from __future__ import annotations

import numpy as np

from medcomp_gui import varint
from medcomp_gui.codecs.rwnet.contexts import BINS, CLASSES, GROUPS, block_neighbours
from medcomp_gui.codecs.rwnet.tables import TOTAL, Tables
from medcomp_gui.errors import CodecError

#: the static table's weight, in counts (chosen on the development set)
WEIGHT = 64
#: counts below which a (class, bin) keeps its static table (a few values move it little;
#: building a table costs time). Development set (benchmarks/rwnet_min_count.py): 1 saves
#: 0.01-0.04 % of the bytes and codes 2.6 % slower, 32 costs 0.08-0.23 % more
MIN_COUNT = 8
#: a key of the counts: ``class * BINS + bin + KEYS * sign level``, sign level 0 ..
#: ``SIGN_LEVELS - 1`` (:func:`~.entropy.sign_context`; 0 where there is no sign
#: prediction); the static table is the (class, bin)'s
KEYS = CLASSES * BINS
SIGN_LEVELS = 2
#: values counted per (class, bin): -RANGE .. RANGE (tables are at most 512 wide and,
#: below the top class, bounded by their class; a value beyond counts as an escape)
RANGE = 1024
#: count keys of the (class, bin, sign level) contexts; a value with a neighbour
#: sub-context (payload version 8) is counted under ``PARENTS * (1 + sub)`` plus its key
#: as well (:func:`with_subs`)
PARENTS = KEYS * SIGN_LEVELS
#: neighbour sub-contexts: the magnitudes of the values above and to the left in the
#: block, each clipped to ``SUB_CLIP``
SUB_CLIP = 2
SUBS = (SUB_CLIP + 1) ** 2
#: a sub-context's parent distribution's weight, in counts, against its own counts
SUB_WEIGHT = 64
#: counts a sub-context needs before its values are coded apart from its parent's (a few
#: move a distribution of weight ``SUB_WEIGHT`` little, and each costs a model)
SUB_MIN = 8
_WIDTH = 2 * RANGE + 1  # values counted per key


def with_subs(key: np.ndarray, by_channel: np.ndarray, c: int, where: np.ndarray) -> np.ndarray:
    """The count keys ``key`` of detail channel ``c`` at positions ``where`` with their
    neighbour sub-contexts: ``PARENTS * (1 + (SUB_CLIP + 1) * min(|above|, SUB_CLIP) +
    min(|left|, SUB_CLIP))`` added (the values above and to the left in the block,
    :func:`~.contexts.block_neighbours`, 0 where there is none), which a decoder has
    before it decodes the channel."""
    near = block_neighbours()[c] if by_channel.shape[0] == 4**4 else (-1, -1)
    sub = np.zeros(where.size, np.int64)
    for side, scale in ((0, SUB_CLIP + 1), (1, 1)):
        if near[side] >= 0:
            sub += scale * np.minimum(np.abs(by_channel[near[side], where]), SUB_CLIP)
    return key + PARENTS * (1 + sub)


#: the static table weights a band may choose from (payload version 9 on,
#: :meth:`BandCounts.estimate`): development set, every third image at levels 3/5/7/9,
#: ideal bits per band with 16 / 32 / 64 / 128 / 256: the coarse bands and most bands at
#: high levels do best with 256, a radiograph's fine bands with 16
WEIGHTS = (WEIGHT, 16, 256)  # the default first: a frame's choices code as 0 (one byte)


#: the bands whose way of adapting a frame chooses (payload version 9 on): those with
#: neighbours in the block (every detail level but the coarsest)
CHOICE_BANDS = range(5, GROUPS)


#: the group of the DC (:func:`~.contexts.channel_groups`)
DC_GROUP = 1
#: the groups coded row by row with static tables before payload version 9, which a
#: frame may adapt by rows since (:func:`~.entropy.encode_latent`): the DC and the
#: coarsest level's three bands (:func:`~.contexts.row_channels`); each one's weight in
#: a frame's ``weights`` is one of ``ROW_WEIGHTS``, 0 for its static tables (the default)
ROW_GROUPS = (DC_GROUP, 2, 3, 4)
ROW_WEIGHTS = (0, *WEIGHTS)


def default_weights() -> np.ndarray:
    """int64 ``(GROUPS,)``: every band's default weight (``WEIGHT``), the static tables
    (0) for the groups coded by rows (``ROW_GROUPS``)."""
    weights = np.full(GROUPS, WEIGHT, np.int64)
    weights[list(ROW_GROUPS)] = 0
    return weights


def packed_bands(subs: np.ndarray, weights: np.ndarray) -> int:
    """The choices of a frame (``subs``: sub-context flags, ``weights``: static table
    weights, each ``(GROUPS,)``) as one number: the lowest digits (base 4) the index of
    the weight of each of ``ROW_GROUPS`` in ``ROW_WEIGHTS``, then a digit in base twice
    the number of ``WEIGHTS`` (6) per band of ``CHOICE_BANDS``, the finest band's first:
    its flag plus twice the index of its weight (0 for the defaults; at most 5 bytes as
    a varint)."""
    base, index = 2 * len(WEIGHTS), WEIGHTS.index
    digits = [int(subs[g]) + 2 * index(int(weights[g])) for g in reversed(CHOICE_BANDS)]
    packed = sum(d * base**i for i, d in enumerate(digits))
    for g in reversed(ROW_GROUPS):
        packed = packed * len(ROW_WEIGHTS) + ROW_WEIGHTS.index(int(weights[g]))
    return packed


def unpacked_bands(packed: int) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`packed_bands`; CodecError for a number out of range."""
    base = 2 * len(WEIGHTS)
    if packed >= len(ROW_WEIGHTS) ** len(ROW_GROUPS) * base ** len(CHOICE_BANDS):
        raise CodecError("RWNet frame side information damaged (band choices)")
    subs, weights = np.zeros(GROUPS, bool), default_weights()
    for g in ROW_GROUPS:
        weights[g] = ROW_WEIGHTS[packed % len(ROW_WEIGHTS)]
        packed //= len(ROW_WEIGHTS)
    for i, g in enumerate(reversed(CHOICE_BANDS)):
        digit = packed // base**i % base
        subs[g], weights[g] = bool(digit % 2), WEIGHTS[digit // 2]
    return subs, weights


def side_bytes(subs: np.ndarray, weights: np.ndarray) -> int:
    """Bytes of the bands' choices in a frame's side information (a varint)."""
    return len(varint.encode(packed_bands(subs, weights)))


class BandCounts:
    """Counts of the values coded so far in each band of one frame; ``weights``: each
    group's static table weight (``(GROUPS,)``, payload version 9: 0 for a group of
    ``ROW_GROUPS`` keeps its static tables; None: ``WEIGHT`` for every detail band, the
    row groups static, as before version 9)."""

    def __init__(self, weights: np.ndarray | None = None) -> None:
        self._weights = weights
        # per band: the histograms of its (class, bin, sign level) keys and of its
        # neighbour sub-contexts (:class:`_Rows`), the number of values of each key
        self._rows: dict[int, _Rows] = {}
        self._subs: dict[int, _Rows] = {}
        self._total: dict[int, np.ndarray] = {}

    def weight(self, band: int) -> int:
        """The static table's weight in ``band``."""
        return WEIGHT if self._weights is None else int(self._weights[band])

    def by_rows(self, group: int) -> bool:
        """Whether ``group``, one of ``ROW_GROUPS``, is adapted row by row (a frame of
        payload version 9 whose weight for it is set)."""
        return self._weights is not None and self._weights[group] > 0

    def estimate(self, band: int, key, sub_key, values, inside, static) -> np.ndarray:
        """Ideal bits ``(len(WEIGHTS), 2)`` of one channel's ``values`` of ``band`` (at their
        (class, bin, sign level) ``key`` and neighbour sub-context ``sub_key``; ``inside``:
        within their table; ``static``: their static probabilities) coded with each of
        ``WEIGHTS`` without (column 0) and with (1) the sub-contexts, from the counts so far:
        the probability of each value alone, not whole distributions (what
        :meth:`distributions` would give, but for the escapes' counts, taken as none).
        The encoder's choice per band (:func:`~.entropy.choose_bands`)."""
        weights = np.array(WEIGHTS, np.float64)[:, None]
        total = self._total.get(band)
        if total is None:  # nothing counted yet: the static tables, every way
            return np.full((len(WEIGHTS), 2), -np.log2(static).sum())
        n = total[key]
        count = self._rows[band].counts(key, values, inside)
        mixed = (weights * static + count) / (weights + n)
        parent = np.where(n >= MIN_COUNT, mixed, static)
        deep = self._deep(band, sub_key)
        own = np.zeros(values.size)
        if deep.any() and band in self._subs:
            own = self._subs[band].counts(sub_key, values, inside & deep)
        blended = (SUB_WEIGHT * parent + own) / (SUB_WEIGHT + total[sub_key])
        apart = np.where(deep, blended, parent)
        return -np.stack([np.log2(parent).sum(axis=1), np.log2(apart).sum(axis=1)], axis=1)

    def effective(self, band: int, keys: np.ndarray) -> np.ndarray:
        """``keys`` (count keys of one channel) with each neighbour sub-context that has
        fewer than ``SUB_MIN`` counts in ``band`` replaced by its parent: the keys its
        values are coded by (:meth:`models`)."""
        total = self._total.get(band)
        if total is None:
            return keys % PARENTS
        return np.where(total[keys] >= SUB_MIN, keys, keys % PARENTS)

    def adapted(self, band: int, keys: np.ndarray) -> np.ndarray:
        """bool per count key of ``keys``: whether it is coded with a distribution of its
        own (:meth:`distributions`) rather than its static table: its (class, bin, sign
        level) has ``MIN_COUNT`` counts or more in ``band``, or its sub-context
        ``SUB_MIN``."""
        total = self._total.get(band)
        if total is None:
            return np.zeros(keys.size, bool)
        return (total[keys % PARENTS] >= MIN_COUNT) | self._deep(band, keys)

    def _deep(self, band: int, keys: np.ndarray) -> np.ndarray:
        """bool per count key: a neighbour sub-context with ``SUB_MIN`` counts or more."""
        total = self._total.get(band)
        if total is None:
            return np.zeros(keys.size, bool)
        return (keys >= PARENTS) & (total[keys] >= SUB_MIN)

    def models(self, tables: Tables, level: int, channel: int, band: int, keys: np.ndarray):
        """For each count key of the distinct ``keys`` (``class * BINS + bin``, plus ``KEYS``
        times the sign level, plus a neighbour sub-context's ``PARENTS * (1 + sub)``), the
        constriction model its values are coded with: where it is :meth:`adapted`, one of
        its :meth:`distributions`, else its static table's model. Vectorised per
        channel: a model per key would cost more than the coding."""
        import constriction

        keys = np.asarray(keys, np.int64)
        adapted = self.adapted(band, keys)
        out = [None] * keys.size
        for i in np.flatnonzero(~adapted).tolist():
            k = int(keys[i]) % PARENTS % KEYS
            out[i] = tables.model(level, k // BINS, channel, k % BINS)
        here = np.flatnonzero(adapted)
        if here.size:
            probs, start, size = self.distributions(tables, level, channel, band, keys[here])
            shared: dict[int, object] = {}  # one model per distribution (keys may share)
            ends = (start + size).tolist()
            for i, a, z in zip(here.tolist(), start.tolist(), ends, strict=True):
                if a not in shared:
                    shared[a] = constriction.stream.model.Categorical(probs[a:z], perfect=False)
                out[i] = shared[a]
        return out

    def distributions(self, tables: Tables, level: int, channel: int, band: int, keys: np.ndarray):
        """(float64 probabilities end to end, each key's first entry, its size) of the
        distinct count ``keys``: its table (level, class, channel, bin; its values, then
        its escape) mixed with the counts of ``band`` at its (class, bin, sign level)
        where there are ``MIN_COUNT`` or more (else the table alone, as ``TOTAL``-ths);
        where its sub-context has ``SUB_MIN`` counts or more, that distribution mixed
        again with them (weight ``SUB_WEIGHT``)."""
        parents, which = np.unique(keys % PARENTS, return_inverse=True)
        probs, first, size = self._mixed(tables, level, channel, band, parents)
        start, size = first[which], size[which]
        deep = self._deep(band, keys)
        if deep.any():
            blended, at = self._blended(
                keys[deep], probs, start[deep], size[deep], band, tables, level, channel
            )
            start[deep] = probs.size + at
            probs = np.concatenate([probs, blended])
        return probs, start, size

    def _mixed(self, tables: Tables, level: int, channel: int, band: int, key: np.ndarray):
        """(float64 probabilities end to end, first entry, size) of the distributions of
        the (class, bin, sign level) ``key``: each table (its values, then its escape;
        tables differ in length up to 513 entries) mixed with its counts where it has
        ``MIN_COUNT`` or more, else the table alone."""
        cls, bins = key % KEYS // BINS, key % BINS
        low = tables.low[level, cls, channel, bins].astype(np.int64)
        length = tables.length[level, cls, channel, bins].astype(np.int64)
        start = tables.offset[level, cls, channel, bins].astype(np.int64)
        size = length + 1  # each table's values and its escape
        # (entry i of the flat arrays: a table's position plus i less its first entry;
        # one repeat per array, the fewest passes over these long arrays)
        first = np.cumsum(size) - size
        entry = np.arange(int(first[-1] + size[-1]) if size.size else 0)
        static = tables.pmf.take(np.repeat(start - first, size) + entry)
        if band not in self._rows:  # nothing counted yet: the tables alone
            return static / float(TOTAL), first, size
        counted = self._total[band][key] >= MIN_COUNT
        counts = self._rows[band].windows(key, low, size, first, entry, counted)
        escape = first + length
        counts[escape] = 0
        counts[escape] = np.where(
            counted, self._total[band][key] - np.add.reduceat(counts, first), 0
        )
        counts *= TOTAL
        counts += np.int64(self.weight(band)) * static  # mixed weights (int64, exact; pmf: uint16)
        probs = counts / np.repeat(np.add.reduceat(counts, first).astype(np.float64), size)
        return probs, first, size

    def _blended(self, keys, probs, first, size, band, tables, level, channel):
        """(float64 probabilities end to end, each one's first entry) of the sub-context
        ``keys`` (each with counts): its parent's distribution (``probs`` from ``first``,
        ``size`` entries) times ``SUB_WEIGHT`` plus its own counts (its values outside
        the table at the escape), over ``SUB_WEIGHT`` plus their number."""
        start = np.cumsum(size) - size
        blended = probs.take(np.repeat(first - start, size) + np.arange(int(start[-1] + size[-1])))
        blended *= SUB_WEIGHT
        base = keys % PARENTS % KEYS
        low = tables.low[level, base // BINS, channel, base % BINS].astype(np.int64)
        entry = np.arange(blended.size)
        own = self._subs[band].windows(keys, low, size, start, entry, np.ones(keys.size, bool))
        escape = start + size - 1
        own[escape] = 0
        blended += own  # (adding 0.0 elsewhere leaves every float as it was)
        n = self._total[band][keys]
        blended[escape] += n - np.add.reduceat(own, start)
        blended /= np.repeat((SUB_WEIGHT + n).astype(np.float64), size)
        return blended, start

    def add(self, band: int, keys: np.ndarray, values: np.ndarray) -> None:
        """Count ``values`` (residuals) of one channel of ``band`` at their count ``keys``
        (as :meth:`models`'; a value with a sub-context counts for its parent too)."""
        if band not in self._rows:
            self._rows[band] = _Rows(PARENTS)
            self._total[band] = np.zeros(PARENTS * (SUBS + 1), np.int64)
        keys = np.asarray(keys, np.int64)
        values = np.asarray(values, np.int64)
        self._total[band] += np.bincount(keys, minlength=PARENTS * (SUBS + 1))
        sub = keys >= PARENTS
        if sub.any():
            self._total[band] += np.bincount(keys[sub] % PARENTS, minlength=PARENTS * (SUBS + 1))
            if band not in self._subs:
                self._subs[band] = _Rows(PARENTS * (SUBS + 1))
            self._subs[band].add(keys[sub], values[sub])
        self._rows[band].add(keys % PARENTS, values)


class _Rows:
    """Histograms of the values (-``RANGE`` .. ``RANGE``) of count keys: a row for each
    key seen, allocated as keys appear (a small image touches few; a row is 8 KB) and
    grown by doubling. Payload version 8 kept a sub-context's few values sparse; rows
    like its parent's count the same and cost a fifth of the time to update."""

    def __init__(self, keys: int) -> None:
        self.hist = np.zeros((16, _WIDTH), np.int32)
        self.used = 0
        self.row = np.full(keys, -1, np.int64)  # each key's row, -1 for none

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        missing = self.row[keys] < 0
        new = np.unique(keys[missing]) if missing.any() else missing[:0]
        if new.size:
            used = self.used
            self.row[new] = used + np.arange(new.size)
            self.used = used + new.size
            if self.used > len(self.hist):  # room for twice as many rows
                grown = np.zeros((2 * self.used, _WIDTH), np.int32)
                grown[:used] = self.hist[:used]
                self.hist = grown
        if values.size and (values.min() < -RANGE or values.max() > RANGE):
            inside = np.abs(values) <= RANGE
            keys, values = keys[inside], values[inside]
        flat = self.row[keys] * _WIDTH + values + RANGE
        # np.add.at, by sorting (several times faster for a channel's few thousand values)
        cells, counts = np.unique(flat, return_counts=True)
        self.hist.reshape(-1)[cells] += counts.astype(np.int32)

    def counts(self, keys: np.ndarray, values: np.ndarray, where: np.ndarray) -> np.ndarray:
        """float64 count of each value at its key (0 outside ``where``)."""
        row = self.row[keys]
        near = where & (np.abs(values) <= RANGE) & (row >= 0)
        out = np.zeros(values.size)
        out[near] = self.hist.reshape(-1)[row[near] * _WIDTH + values[near] + RANGE]
        return out

    def windows(self, keys, low, size, first, entry, counted) -> np.ndarray:
        """int64 counts laid end to end: for each key, ``size`` values from its ``low``
        (at ``first`` in the flat ``entry`` range), 0 for keys not ``counted``."""
        row = np.maximum(self.row[keys], 0)
        if low.size and low.min() >= -RANGE and (low + size - 1).max() <= RANGE:
            # every table within the histogram's columns (the usual case): no clipping
            cell = np.repeat(row * _WIDTH + low + RANGE - first, size) + entry
            valid = np.repeat(counted, size)
        else:
            column = np.repeat(low + RANGE - first, size) + entry
            valid = (column >= 0) & (column <= 2 * RANGE) & np.repeat(counted, size)
            cell = np.repeat(row * _WIDTH, size) + np.clip(column, 0, 2 * RANGE)
        # int64: TOTAL times a count would overflow int32
        return np.where(valid, self.hist.reshape(-1).take(cell), 0).astype(np.int64)
