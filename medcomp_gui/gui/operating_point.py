"""Where the compressed panes open, no Qt: the highest compression within the CAR 2008
guideline for the image's modality — its largest ratio that is still at most the
guideline's, measured on the real files' bytes — or, for images the guideline does not
cover (PNG/TIFF sources, modalities it names no ratio for), the highest compression
whose PSNR is at least :data:`DEFAULT_PSNR`.

The search (:func:`smallest_meeting`) treats the codec's settings as an ordered list
(ranks, quality levels) along which the file grows; it interpolates between the
settings it has measured (secant steps on a log scale), so that an image costs a few
encodings, not one per setting. Run it in a worker process.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from medcomp_gui.guidance import guideline_ratio
from medcomp_gui.imaging.image import MedicalImage

#: The quality target where the guideline names no ratio (dB, peak 2**bits_stored - 1).
DEFAULT_PSNR = 45.0
#: Most settings measured for one search (a safety net; the secant needs 2-5).
MAX_STEPS = 12


@dataclass(frozen=True)
class Target:
    """What a default setting must meet: ``ratio`` at most ``value`` (the guideline),
    or ``psnr`` at least ``value``."""

    kind: str  # "ratio" or "psnr"
    value: float
    modality: str = ""

    def describe(self) -> str:
        if self.kind == "ratio":
            return f"highest compression within CAR ≤{self.value:g}:1 ({self.modality})"
        return f"highest compression with PSNR ≥ {self.value:g} dB"

    def met(self, ratio: float, psnr: float) -> bool:
        if self.kind == "ratio":
            return ratio <= self.value
        return psnr >= self.value


def target_for(image: MedicalImage) -> Target:
    modality = image.modality.upper()
    limit = guideline_ratio(modality)
    if limit is not None:
        return Target("ratio", limit, modality)
    return Target("psnr", DEFAULT_PSNR, modality)


def smallest_meeting(
    n: int,
    score: Callable[[int], float],
    need: float,
    start: int,
    *,
    position: Callable[[int], float] = float,
    slope: float = 1.0,
) -> int:
    """The smallest index ``i`` in ``0..n-1`` with ``score(i) >= need``, for a score
    that grows with ``i`` (``n - 1`` when none does). Starts at ``start``; each next
    index is a secant step in (``position(i)``, score) — from the two nearest measured
    settings, or with the prior ``slope`` (score per unit of position) from one — kept
    inside the bracket found so far. ``score`` is called once per index at most."""
    scores: dict[int, float] = {}
    low, high = -1, n  # the largest index known to fail, the smallest known to pass
    i = min(max(start, 0), n - 1)
    for _ in range(MAX_STEPS):
        scores[i] = score(i)
        if scores[i] >= need:
            high = i
        else:
            low = i
        if high - low <= 1:
            break
        i = _next(scores, low, high, need, position, slope)
    else:  # no bracket after MAX_STEPS: finish by bisection
        while high - low > 1:
            mid = (low + high) // 2
            if score(mid) >= need:
                high = mid
            else:
                low = mid
    return min(high, n - 1)


def _next(
    scores: dict[int, float],
    low: int,
    high: int,
    need: float,
    position: Callable[[int], float],
    slope: float,
) -> int:
    measured = sorted(scores)
    ends = [j for j in (low, high) if j in scores]
    if len(ends) == 2:
        (a, b) = ends
    elif len(measured) >= 2:
        a, b = sorted(measured, key=lambda j: abs(scores[j] - need))[:2]
    else:
        a = b = measured[0]
    xa, xb = position(a), position(b)
    if a != b and scores[b] != scores[a]:
        local = (scores[b] - scores[a]) / (xb - xa)
        if local > 0:
            slope = local
    x = xa + (need - scores[a]) / slope
    # The index whose position is nearest x, strictly inside the bracket.
    candidates = range(low + 1, high)
    guess = min(candidates, key=lambda j: abs(position(j) - x))
    if guess in scores:  # measured already: bisect instead
        guess = (low + high) // 2
    return guess


def log_bytes_needed(image: MedicalImage, target: Target) -> float:
    """log(bytes) a file must have at least to stay within a ratio target."""
    return math.log(image.original_bytes / target.value)
