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
from medcomp_gui.codecs.rwnet.tables import TABLE_MAX, TOTAL, Tables

#: the static table's weight, in counts (chosen on the development set)
WEIGHT = 64
#: counts below which a (class, bin) keeps its static table (a few values move it little;
#: building a table costs time). Development set (benchmarks/rwnet_min_count.py): 1 saves
#: 0.01-0.04 % of the bytes and codes 2.6 % slower, 32 costs 0.08-0.23 % more
MIN_COUNT = 8
#: values counted per (class, bin): -RANGE .. RANGE (tables are at most 512 wide and,
#: below the top class, bounded by their class; a value beyond counts as an escape)
RANGE = 1024


class BandCounts:
    """Counts of the values coded so far in each band of one frame."""

    def __init__(self) -> None:
        # per band: a histogram row for each (class, bin) seen (``_row``: its row, -1 for
        # none), grown as keys appear: a small image touches few, and a row is 8 KB
        self._hist: dict[int, np.ndarray] = {}
        self._row: dict[int, np.ndarray] = {}
        self._total: dict[int, np.ndarray] = {}

    def models(self, tables: Tables, level: int, channel: int, band: int, keys: np.ndarray):
        """For each (class, bin) key (``class * BINS + bin``) of ``keys``, the constriction
        model of its table (level, class, channel, bin) mixed with the counts of ``band``
        there; the static model where there are none. One vectorised mix per channel: a
        model per key would cost more than the coding."""
        keys = np.asarray(keys, np.int64)
        cls, bins = keys // BINS, keys % BINS
        total = self._total.get(band)
        seen = np.zeros(keys.size, bool) if total is None else total[keys] >= MIN_COUNT
        out = [None] * keys.size
        for i in np.flatnonzero(~seen).tolist():
            out[i] = tables.model(level, int(cls[i]), channel, int(bins[i]))
        here = np.flatnonzero(seen)
        if here.size == 0:
            return out
        length = tables.length[level, cls[here], channel, bins[here]].astype(np.int64)
        # tables of similar length together: one wide table would widen every row
        for top in (16, 64, 256, TABLE_MAX + 1):
            rows, wider = here[length <= top], length > top
            mixed = self._mixed(tables, level, channel, band, keys, rows)
            for i, model in zip(rows.tolist(), mixed, strict=True):
                out[i] = model
            here, length = here[wider], length[wider]
        return out

    def _mixed(self, tables: Tables, level: int, channel: int, band: int, keys, rows):
        """The mixed models of ``keys[rows]`` (each has counts)."""
        import constriction

        if rows.size == 0:
            return []
        key = keys[rows]
        cls, bins = key // BINS, key % BINS
        low = tables.low[level, cls, channel, bins].astype(np.int64)
        length = tables.length[level, cls, channel, bins].astype(np.int64)
        start = tables.offset[level, cls, channel, bins].astype(np.int64)
        span = np.arange(int(length.max()) + 1)
        inside = span[None, :] < length[:, None]
        static = tables.pmf[np.where(span[None, :] <= length[:, None], start[:, None] + span, 0)]
        column = low[:, None] + span[None, :] + RANGE
        valid = inside & (column >= 0) & (column <= 2 * RANGE)
        hist = self._hist[band][self._row[band][key][:, None], np.clip(column, 0, 2 * RANGE)]
        counts = np.where(valid, hist, 0).astype(np.int64)  # int32 rows: TOTAL * counts overflows
        counts[np.arange(rows.size), length] = self._total[band][key] - counts.sum(axis=1)
        mixed = WEIGHT * static.astype(np.int64) + TOTAL * counts
        mixed[span[None, :] > length[:, None]] = 0
        probs = mixed / mixed.sum(axis=1, keepdims=True).astype(np.float64)
        return [
            constriction.stream.model.Categorical(probs[r, : int(length[r]) + 1], perfect=False)
            for r in range(rows.size)
        ]

    def add(self, band: int, keys: np.ndarray, values: np.ndarray) -> None:
        """Count ``values`` (residuals) of one channel of ``band`` at their (class, bin)
        ``keys`` (``class * BINS + bin``)."""
        if band not in self._hist:
            self._hist[band] = np.zeros((0, 2 * RANGE + 1), np.int32)
            self._row[band] = np.full(CLASSES * BINS, -1, np.int64)
            self._total[band] = np.zeros(CLASSES * BINS, np.int64)
        keys = np.asarray(keys, np.int64)
        values = np.asarray(values, np.int64)
        np.add.at(self._total[band], keys, 1)
        row = self._row[band]
        new = np.unique(keys[row[keys] < 0])
        if new.size:
            row[new] = len(self._hist[band]) + np.arange(new.size)
            grown = np.zeros((new.size, 2 * RANGE + 1), np.int32)
            self._hist[band] = np.concatenate([self._hist[band], grown])
        inside = np.abs(values) <= RANGE
        flat = row[keys[inside]] * (2 * RANGE + 1) + values[inside] + RANGE
        np.add.at(self._hist[band].reshape(-1), flat, 1)
