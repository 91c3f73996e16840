"""Integer probability tables of the trained priors, and the file format that holds them.

After training, each level's per-channel density is tabulated once as integer
probabilities (sum ``TOTAL`` per channel) over ``[low, low + length - 1]`` plus one escape
symbol; coding and decoding then depend only on these integers, so a bitstream decodes
the same on every machine. Tables live in an ``.npz`` (``allow_pickle=False``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

PRECISION = 16
TOTAL = 1 << PRECISION
TAIL = 1e-7
MAX_LENGTH = 4096
GRID = 8192


@dataclass(frozen=True)
class Tables:
    """``low``/``length``/``offset``: ``(levels, channels)`` int32; ``pmf``: flat int32.

    Channel ``c`` of level ``q`` codes symbols ``low .. low+length-1`` with the integer
    probabilities ``pmf[offset : offset+length]`` and the escape symbol with
    ``pmf[offset+length]``; the ``length+1`` values sum to ``TOTAL``.
    """

    low: np.ndarray
    length: np.ndarray
    offset: np.ndarray
    pmf: np.ndarray

    @property
    def levels(self) -> int:
        return int(self.low.shape[0])

    @property
    def channels(self) -> int:
        return int(self.low.shape[1])

    def probabilities(self, level: int, channel: int) -> np.ndarray:
        """Float64 probabilities (escape last), exact ratios of the stored integers."""
        start = int(self.offset[level, channel])
        counts = self.pmf[start : start + int(self.length[level, channel]) + 1]
        return counts.astype(np.float64) / TOTAL

    def save(self, path: str | Path) -> None:
        with open(path, "wb") as fh:
            np.savez(fh, low=self.low, length=self.length, offset=self.offset, pmf=self.pmf)

    @classmethod
    def load(cls, path: str | Path) -> Tables:
        with np.load(path, allow_pickle=False) as data:
            tables = cls(*(data[k].astype(np.int32) for k in ("low", "length", "offset", "pmf")))
        if tables.low.shape != tables.length.shape or tables.low.ndim != 2:
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


def tabulate(priors) -> Tables:
    """Tabulate a trained :class:`~.model.FactorizedPriors` (needs Keras)."""
    from keras import ops
    from scipy.special import expit

    levels, channels = priors.levels, priors.channels
    grid = np.arange(-GRID, GRID + 1, dtype=np.float32)
    lows, lengths, offsets, pmfs = [], [], [], []
    total = 0
    for q in range(levels):
        v = np.broadcast_to(grid - 0.5, (1, channels, grid.size))
        logits = ops.convert_to_numpy(
            priors.cdf_logits(ops.convert_to_tensor(v), ops.convert_to_tensor([q]))
        )
        cdf = expit(logits[0].astype(np.float64))  # cdf at k - 0.5, (C, n)
        low_q, len_q, off_q = [], [], []
        for c in range(channels):
            # symbols grid[first] .. grid[last - 1]: all but a TAIL of mass on each side
            below = np.nonzero(cdf[c] <= TAIL)[0]
            above = np.nonzero(cdf[c] >= 1 - TAIL)[0]
            first = int(below[-1]) if below.size else 0
            last = int(above[0]) if above.size else grid.size - 1
            last = min(max(last, first + 1), grid.size - 1)
            first = min(first, last - 1)
            if last - first > MAX_LENGTH:
                mid = int(np.argmin(np.abs(cdf[c] - 0.5)))
                first = max(mid - MAX_LENGTH // 2, 0)
                last = first + MAX_LENGTH
            # symbols first .. last-1 (grid indices); mass of k in [cdf(k-.5), cdf(k+.5)]
            mass = np.diff(cdf[c, first : last + 1])
            escape = cdf[c, first] + (1 - cdf[c, last])
            counts = quantize_pmf(np.append(mass, max(escape, 1e-9)))
            low_q.append(int(grid[first]))
            len_q.append(last - first)
            off_q.append(total)
            pmfs.append(counts)
            total += counts.size
        lows.append(low_q)
        lengths.append(len_q)
        offsets.append(off_q)
    return Tables(
        np.array(lows, np.int32),
        np.array(lengths, np.int32),
        np.array(offsets, np.int32),
        np.concatenate(pmfs).astype(np.int32),
    )
