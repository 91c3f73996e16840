"""Quality-targeted settings: per image, the lowest-rate setting of the chosen codec that
meets ``--psnr``, ``--max-error`` and/or the CAR 2008 ratio (``--within-guideline``).

A fixed ratio gives uneven quality across images; a target gives each image what it
needs. Each codec has one rate setting (its :class:`Knob`); the search measures each
candidate on the decoded bytes (the caller's ``measure``) and bisects, since quality
rises with the knob in one direction. Where even the best setting misses, the codec's
lossless mode is the answer if it has one, else the image fails with the best it got.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from medcomp_gui.errors import MedcompError
from medcomp_gui.guidance import guideline_ratio
from medcomp_gui.metrics import Quality

#: Bisection steps over a continuous knob (JPEG 2000's PSNR aim: 0.6 dB from 80 dB wide).
_FLOAT_STEPS = 7


@dataclass(frozen=True)
class Knob:
    """A codec's rate setting: ``name`` from ``low`` to ``high``; ``rising``: quality
    rises with the value (RWNet quality, SVD rank, a PSNR aim) or falls (NEAR, distance).
    ``lossless``: the codec's lossless parameters, the last resort; ``conflicts``: other
    parameters that fix the rate and so cannot be combined with a target."""

    name: str
    low: float
    high: float
    integer: bool
    rising: bool
    lossless: dict[str, Any] | None = None
    conflicts: tuple[str, ...] = ()


KNOBS: dict[str, Knob] = {
    "rwnet": Knob("quality", 1, 11, True, True, {"lossless": True}, ("lossless",)),
    "svd": Knob("rank", 1, 4096, True, True),
    "jpeg2000": Knob("psnr", 20.0, 120.0, False, True, {"lossless": True}, ("ratio", "lossless")),
    "htj2k": Knob("psnr", 20.0, 120.0, False, True, {"lossless": True}, ("lossless",)),
    "jpegls": Knob("near", 0, 255, True, False, {"lossless": True}, ("lossless",)),
    "jpegxl": Knob("distance", 0.05, 25.0, False, False, {"lossless": True}, ("lossless",)),
}


class TargetMissed(MedcompError):
    """No setting of the codec meets the target for this image."""


@dataclass(frozen=True)
class Target:
    """What each image must meet; ``ratio_limit`` None: no guideline applies."""

    psnr: float | None = None
    max_error: int | None = None
    ratio_limit: float | None = None

    def met(self, q: Quality) -> bool:
        return (
            (self.psnr is None or q.psnr >= self.psnr)
            and (self.max_error is None or q.max_abs_error <= self.max_error)
            and (self.ratio_limit is None or q.ratio <= self.ratio_limit)
        )

    def describe(self) -> str:
        parts = []
        if self.psnr is not None:
            parts.append(f"PSNR >= {self.psnr:g} dB")
        if self.max_error is not None:
            parts.append(f"max error <= {self.max_error}")
        if self.ratio_limit is not None:
            parts.append(f"ratio <= {self.ratio_limit:g}:1 (CAR 2008)")
        return " and ".join(parts) or "no target"


def knob_for(codec: str) -> Knob | None:
    return KNOBS.get(codec)


def target_for(
    psnr: float | None, max_error: int | None, within_guideline: bool, modality: str, body: str
) -> Target:
    limit = guideline_ratio(modality, body) if within_guideline else None
    return Target(psnr, max_error, limit)


Measure = Callable[[dict[str, Any]], tuple[Any, Quality]]


def choose(
    codec: str,
    fixed: dict[str, Any],
    target: Target,
    measure: Measure,
    largest: int | None = None,
) -> tuple[dict[str, Any], Any, Quality]:
    """The lowest-rate parameters meeting ``target``, with what ``measure`` gave for them.

    ``fixed``: the user's own parameters (a fixed knob value is where the search starts:
    ``--within-guideline`` only ever raises quality); ``largest``: the knob's largest
    useful value for this image (an SVD rank). Raises :class:`TargetMissed`.
    """
    knob = KNOBS[codec]
    if target == Target():  # nothing to meet (no guideline for this modality)
        data, quality = measure(dict(fixed))
        return dict(fixed), data, quality
    tried: dict[Any, tuple[Any, Quality]] = {}

    def attempt(value: Any) -> bool:
        if value not in tried:
            tried[value] = measure({**fixed, knob.name: value})
        return target.met(tried[value][1])

    low, high = knob.low, knob.high if largest is None else min(knob.high, largest)
    start = fixed.get(knob.name)
    if start is not None:  # search only towards better quality than the user's setting
        low, high = (start, high) if knob.rising else (low, start)
    hint = _hint(codec, target)
    if hint is not None and low <= hint <= high and attempt(hint):
        best = hint
    else:
        best = _bisect(attempt, low, high, knob)
    if best is None:
        if knob.lossless is not None:
            params = {**{k: v for k, v in fixed.items() if k != knob.name}, **knob.lossless}
            data, quality = measure(params)
            return params, data, quality
        value = high if knob.rising else low
        got = tried.get(value)
        reached = f" (best: {knob.name} {value} gave {_figures(got[1])})" if got else ""
        raise TargetMissed(f"{codec} cannot meet {target.describe()}{reached}")
    return {**fixed, knob.name: best}, *tried[best]


def _hint(codec: str, target: Target) -> Any:
    """A first guess that meets the target by construction when it meets it at all."""
    if codec in ("jpeg2000", "htj2k") and target.psnr is not None and target.ratio_limit is None:
        return float(target.psnr)
    if codec == "jpegls" and target.max_error is not None and target.ratio_limit is None:
        return min(int(target.max_error), 255)
    return None


def _bisect(attempt: Callable[[Any], bool], low: float, high: float, knob: Knob) -> Any:
    """The lowest-quality value in [low, high] that passes, or None if the best fails."""
    worst, best = (low, high) if knob.rising else (high, low)
    if attempt(worst):
        return worst
    if not attempt(best):
        return None
    # invariant: ``worst`` fails, ``best`` passes
    if knob.integer:
        worst, best = int(worst), int(best)
        while abs(best - worst) > 1:
            middle = (worst + best) // 2
            worst, best = (worst, middle) if attempt(middle) else (middle, best)
        return best
    for _ in range(_FLOAT_STEPS):
        middle = round((worst + best) / 2, 3)
        worst, best = (worst, middle) if attempt(middle) else (middle, best)
    return best


def _figures(q: Quality) -> str:
    return f"PSNR {q.psnr:.2f} dB, max error {q.max_abs_error}, ratio {q.ratio:.1f}:1"
