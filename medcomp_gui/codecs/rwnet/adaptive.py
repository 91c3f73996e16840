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
"""

from __future__ import annotations

import numpy as np

from medcomp_gui.codecs.rwnet.contexts import BINS, CLASSES
from medcomp_gui.codecs.rwnet.tables import TOTAL, Tables

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


class BandCounts:
    """Counts of the values coded so far in each band of one frame."""

    def __init__(self) -> None:
        # per band: a histogram row for each (class, bin) seen (``_row``: its row, -1 for
        # none), grown as keys appear: a small image touches few, and a row is 8 KB
        self._hist: dict[int, np.ndarray] = {}
        self._used: dict[int, int] = {}  # rows of each band's histogram in use
        self._row: dict[int, np.ndarray] = {}
        self._total: dict[int, np.ndarray] = {}

    def models(self, tables: Tables, level: int, channel: int, band: int, keys: np.ndarray):
        """For each (class, bin) key (``class * BINS + bin``) of ``keys``, the constriction
        model of its table (level, class, channel, bin) mixed with the counts of ``band``
        there; the static model where there are none. One vectorised mix per channel: a
        model per key would cost more than the coding."""
        keys = np.asarray(keys, np.int64)
        cls, bins = keys % KEYS // BINS, keys % BINS
        total = self._total.get(band)
        seen = np.zeros(keys.size, bool) if total is None else total[keys] >= MIN_COUNT
        out = [None] * keys.size
        for i in np.flatnonzero(~seen).tolist():
            out[i] = tables.model(level, int(cls[i]), channel, int(bins[i]))
        here = np.flatnonzero(seen)
        if here.size == 0:
            return out
        mixed = self._mixed(tables, level, channel, band, keys[here])
        for i, model in zip(here.tolist(), mixed, strict=True):
            out[i] = model
        return out

    def _mixed(self, tables: Tables, level: int, channel: int, band: int, key: np.ndarray):
        """The mixed models of the (class, bin) ``key`` (each has counts). The tables
        lie end to end in one flat array (they differ in length up to 513 entries)."""
        import constriction

        cls, bins = key % KEYS // BINS, key % BINS
        low = tables.low[level, cls, channel, bins].astype(np.int64)
        length = tables.length[level, cls, channel, bins].astype(np.int64)
        start = tables.offset[level, cls, channel, bins].astype(np.int64)
        size = length + 1  # each table's values and its escape
        first = np.cumsum(size) - size
        pos = np.arange(int(size.sum())) - np.repeat(first, size)  # 0 .. length in each
        static = tables.pmf[np.repeat(start, size) + pos].astype(np.int64)
        column = np.repeat(low + RANGE, size) + pos
        valid = (pos < np.repeat(length, size)) & (column >= 0) & (column <= 2 * RANGE)
        rows = np.repeat(self._row[band][key], size)
        hist = self._hist[band][rows, np.clip(column, 0, 2 * RANGE)]
        counts = np.where(valid, hist, 0).astype(np.int64)  # int32: TOTAL * counts overflows
        escape = first + length
        counts[escape] = self._total[band][key] - np.add.reduceat(counts, first)
        mixed = WEIGHT * static + TOTAL * counts
        probs = mixed / np.repeat(np.add.reduceat(mixed, first), size).astype(np.float64)
        return [
            constriction.stream.model.Categorical(probs[a:b], perfect=False)
            for a, b in zip(first.tolist(), (first + size).tolist(), strict=True)
        ]

    def add(self, band: int, keys: np.ndarray, values: np.ndarray) -> None:
        """Count ``values`` (residuals) of one channel of ``band`` at their (class, bin)
        ``keys`` (``class * BINS + bin``)."""
        if band not in self._hist:
            self._hist[band] = np.zeros((16, 2 * RANGE + 1), np.int32)
            self._used[band] = 0
            self._row[band] = np.full(KEYS * SIGN_LEVELS, -1, np.int64)
            self._total[band] = np.zeros(KEYS * SIGN_LEVELS, np.int64)
        keys = np.asarray(keys, np.int64)
        values = np.asarray(values, np.int64)
        self._total[band] += np.bincount(keys, minlength=KEYS * SIGN_LEVELS)
        row = self._row[band]
        new = np.unique(keys[row[keys] < 0])
        if new.size:
            used = self._used[band]
            row[new] = used + np.arange(new.size)
            self._used[band] = used + new.size
            if self._used[band] > len(self._hist[band]):  # room for twice as many rows
                grown = np.zeros((2 * self._used[band], 2 * RANGE + 1), np.int32)
                grown[:used] = self._hist[band][:used]
                self._hist[band] = grown
        inside = np.abs(values) <= RANGE
        flat = row[keys[inside]] * (2 * RANGE + 1) + values[inside] + RANGE
        # np.add.at, by sorting (several times faster for a channel's few thousand values)
        cells, counts = np.unique(flat, return_counts=True)
        self._hist[band].reshape(-1)[cells] += counts.astype(np.int32)
