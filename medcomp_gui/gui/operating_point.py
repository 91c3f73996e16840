"""Where the compressed panes open and which codec the save dialog offers, no Qt.

The panes open at the highest compression within the CAR 2008 guideline for the
image's modality — its largest ratio that is still at most the
guideline's, measured on the real files' bytes — or, for images the guideline does not
cover (PNG/TIFF sources, modalities it names no ratio for), the highest compression
whose PSNR is at least :data:`DEFAULT_PSNR`.

The search (:func:`smallest_meeting`) treats the codec's settings as an ordered list
(ranks, quality levels) along which the file grows; it interpolates between the
settings it has measured (secant steps on a log scale), so that an image costs a few
encodings, not one per setting. Run it in a worker process.

The save dialog's default codec is the best for the image by the same measurement:
every available lossy codec at its highest compression meeting the target (the panes'
RWNet and SVD files, and JPEG 2000, HTJ2K and JPEG XL searched here along a ladder of
their own setting), the highest PSNR winning (the fewest bytes, for a PSNR target).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from medcomp_gui import api, metrics
from medcomp_gui.codecs import get_codec
from medcomp_gui.codecs.base import Encoded
from medcomp_gui.gui.compute import (
    Measured,
    SVDSession,
    image_guideline,
    measure_bytes,
    rwnet_settings,
)
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

    def short(self) -> str:
        return f"CAR ≤{self.value:g}:1" if self.kind == "ratio" else f"PSNR ≥ {self.value:g} dB"

    def met(self, ratio: float, psnr: float) -> bool:
        if self.kind == "ratio":
            return ratio <= self.value
        return psnr >= self.value


def target_for(image: MedicalImage) -> Target:
    modality = image.modality.upper()
    limit = image_guideline(image)
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


#: Prior slopes of the searches (score per unit of position) until two settings are
#: measured: an SVD file grows about in proportion to its rank; a step of RWNet's
#: quality ladder about 1.4 times; PSNR gains about 6 dB per doubled rank, 2 dB a level.
SVD_BYTES_SLOPE = 1.0
RWNET_BYTES_SLOPE = math.log(1.4)
SVD_PSNR_SLOPE = 6.0 / math.log(2.0)
RWNET_PSNR_SLOPE = 2.0


def default_on_ladder(
    original: MedicalImage,
    target: Target,
    n: int,
    encode: Callable[[int], bytes],
    settings: Callable[[int, bytes], str],
    start: int,
    *,
    position: Callable[[int], float] = float,
    bytes_slope: float,
    psnr_slope: float,
) -> Measured:
    """The file of the first of ``n`` settings (``encode(i)`` gives setting ``i``'s
    .mcz bytes, growing with ``i``; ``settings(i, bytes)`` its words in the pane) that
    meets ``target``, measured against
    ``original``: the highest compression within the guideline, or reaching the PSNR."""
    files: dict[int, bytes] = {}

    def data(i: int) -> bytes:
        if i not in files:
            files[i] = encode(i)
        return files[i]

    if target.kind == "ratio":
        need, slope = log_bytes_needed(original, target), bytes_slope

        def score(i: int) -> float:
            return math.log(len(data(i)))
    else:
        need, slope = target.value, psnr_slope

        def score(i: int) -> float:
            decoded = api.decompress(data(i)).pixels
            return min(metrics.psnr(original.pixels, decoded, original.bits_stored), 1e9)

    i = smallest_meeting(n, score, need, start, position=position, slope=slope)
    return measure_bytes(original, data(i), settings(i, data(i)))


def svd_default(
    session: SVDSession, original: MedicalImage, target: Target, start_rank: int
) -> Measured:
    """The SVD file at the highest compression meeting ``target`` (the smallest rank
    whose file is within the guideline, or reaches the PSNR), measured."""
    return default_on_ladder(
        original,
        target,
        session.max_rank,
        lambda i: session.file_bytes(i + 1),
        lambda i, _: f"rank {i + 1}",
        start_rank - 1,
        position=_log_rank,
        bytes_slope=SVD_BYTES_SLOPE,
        psnr_slope=SVD_PSNR_SLOPE,
    )


def _log_rank(i: int) -> float:
    return math.log(i + 1)


def rwnet_default(
    source: MedicalImage, original: MedicalImage, target: Target, qualities: list[Any], start: Any
) -> Measured:
    """The RWNet file at the highest compression meeting ``target`` (the lowest quality
    level within the guideline, or reaching the PSNR), measured. A ratio target starts
    where the encoder's quick estimates say (``start`` is where a PSNR search starts)."""
    levels = sorted(qualities)
    first = levels.index(start) if start in levels else 0
    position: Callable[[int], float] = float
    bytes_slope = RWNET_BYTES_SLOPE
    if target.kind == "ratio":
        # The file's log size along the ladder is about the log of the encoder's quick
        # estimate (plus the file's fixed part: container and DICOM headers) plus a
        # constant of the image: on that scale a secant step from the first coding
        # lands next to the answer (MR2: 2 codings instead of 4 with the ladder's mean
        # growth per level as the guide).
        codec = get_codec("rwnet")
        empty = Encoded(b"", {"quality": levels[0]}, lossless=False)
        fixed = len(api.pack_encoded(source.with_true_bits(), "rwnet", empty))

        @functools.cache
        def estimated(i: int) -> float:
            return math.log(fixed + codec.estimated_bytes(source, levels[i]))

        position = estimated
        need = log_bytes_needed(original, target)
        first = next((i for i in range(len(levels)) if position(i) >= need), len(levels) - 1)
        bytes_slope = 1.0
    return default_on_ladder(
        original,
        target,
        len(levels),
        lambda i: api.compress(source, "rwnet", quality=levels[i]),
        lambda i, data: rwnet_settings(levels[i], data),
        first,
        position=position,
        bytes_slope=bytes_slope,
        psnr_slope=RWNET_PSNR_SLOPE,
    )


#: The classical codecs the best-codec measurement searches: the setting and its ladder,
#: from most compression to least, the search's position of a rung, and the prior
#: slopes (log bytes, dB) per unit of position.
_PSNR_LADDER = tuple(30.0 + 0.5 * i for i in range(121))  # 30 .. 90 dB
_DISTANCES = tuple(round(25.0 * 0.002 ** (i / 59), 4) for i in range(60))  # 25 .. 0.05


@dataclass(frozen=True)
class Ladder:
    param: str
    values: tuple[float, ...]
    bytes_slope: float
    psnr_slope: float
    by_value: bool  # position = the value (dB) rather than the rung's index


LADDERS = {
    "jpeg2000": Ladder("psnr", _PSNR_LADDER, math.log(2.0) / 6.0, 1.0, True),
    "htj2k": Ladder("psnr", _PSNR_LADDER, math.log(2.0) / 6.0, 1.0, True),
    "jpegxl": Ladder("distance", _DISTANCES, 0.1, 0.5, False),
}


@dataclass(frozen=True)
class Candidate:
    """A codec at its default setting for one image, measured on its real file."""

    codec: str
    params: dict[str, Any]
    bytes: int
    ratio: float
    psnr: float

    @staticmethod
    def of(codec: str, measured: Measured) -> Candidate:
        q = measured.quality
        return Candidate(codec, dict(measured.params), q.bytes, q.ratio, q.psnr)

    def describe(self) -> str:
        settings = " ".join(
            f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in self.params.items()
        )
        psnr = "∞" if math.isinf(self.psnr) else f"{self.psnr:.2f}"
        return f"{self.codec} {settings}: {psnr} dB at {self.ratio:.1f}:1"


def codec_default(
    source: MedicalImage, original: MedicalImage, target: Target, codec: str
) -> Candidate:
    """``codec`` at the highest compression meeting ``target`` along its ladder."""
    ladder = LADDERS[codec]
    n = len(ladder.values)
    measured = default_on_ladder(
        original,
        target,
        n,
        lambda i: api.compress(source, codec, **{ladder.param: ladder.values[i]}),
        lambda i, _: f"{ladder.param} {ladder.values[i]:g}",
        n // 3,
        position=(lambda i: ladder.values[i]) if ladder.by_value else float,
        bytes_slope=ladder.bytes_slope,
        psnr_slope=ladder.psnr_slope,
    )
    return Candidate.of(codec, measured)


def best_candidates(
    source: MedicalImage,
    original: MedicalImage,
    target: Target,
    codecs: list[str],
    known: list[Candidate],
) -> list[Candidate]:
    """Every candidate meeting ``target`` — ``known`` ones (the panes') and ``codecs``
    searched here (those with a ladder; one that fails is left out) — best first."""
    found = list(known)
    for codec in codecs:
        if codec not in LADDERS:
            continue
        try:
            found.append(codec_default(source, original, target, codec))
        except Exception:  # an unusable codec is no candidate; the others still count
            continue
    meeting = [c for c in found if target.met(c.ratio, c.psnr)]
    if target.kind == "ratio":
        return sorted(meeting, key=lambda c: -c.psnr)
    return sorted(meeting, key=lambda c: c.bytes)
