"""Quality and size figures, one definition for the CLI, the GUI and the benchmarks.

- PSNR over stored values with peak ``2**bits_stored - 1``.
- SSIM: scikit-image's, ``data_range`` = that peak, mean over frames.
- max absolute error and RMSE in stored units (times the rescale slope: HU for CT).
- bpp = output file bits / pixels;  ratio = (pixels x BitsAllocated / 8) / output bytes.
- BD-rate (Bjontegaard): mean bitrate difference in percent at equal PSNR, over the
  common PSNR range, from cubic fits of log-rate against PSNR.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from medcomp_gui.imaging.image import MedicalImage


def _diff(reference: np.ndarray, test: np.ndarray) -> np.ndarray:
    if reference.shape != test.shape:
        raise ValueError(f"shapes differ: {reference.shape} and {test.shape}")
    return reference.astype(np.float64) - test.astype(np.float64)


def mse(reference: np.ndarray, test: np.ndarray) -> float:
    return float(np.mean(np.square(_diff(reference, test))))


def psnr(reference: np.ndarray, test: np.ndarray, bits_stored: int) -> float:
    """PSNR in dB over stored values; ``inf`` for identical arrays."""
    error = mse(reference, test)
    if error == 0.0:
        return math.inf
    peak = float((1 << bits_stored) - 1)
    return 10.0 * math.log10(peak * peak / error)


def ssim(reference: np.ndarray, test: np.ndarray, bits_stored: int) -> float:
    """Mean SSIM over frames (2-D or frames x rows x cols), data range = the PSNR peak."""
    from skimage.metrics import structural_similarity

    ref = reference if reference.ndim == 3 else reference[np.newaxis]
    tst = test if test.ndim == 3 else test[np.newaxis]
    if ref.shape != tst.shape:
        raise ValueError(f"shapes differ: {reference.shape} and {test.shape}")
    if np.array_equal(ref, tst):
        return 1.0  # by definition; skips the filtering (44 % of a lossless batch's time)
    if min(ref.shape[1:]) < 7:
        return math.nan  # scikit-image's 7x7 window does not fit: unknown
    peak = float((1 << bits_stored) - 1)
    values = [
        structural_similarity(r.astype(np.float64), t.astype(np.float64), data_range=peak)
        for r, t in zip(ref, tst, strict=True)
    ]
    return float(np.mean(values))


def max_abs_error(reference: np.ndarray, test: np.ndarray) -> int:
    return int(np.max(np.abs(_diff(reference, test)))) if reference.size else 0


def bpp(n_bytes: int, n_pixels: int) -> float:
    return 8.0 * n_bytes / n_pixels


def ratio(n_bytes: int, n_pixels: int, bits_allocated: int) -> float:
    return n_pixels * bits_allocated / 8.0 / n_bytes


@dataclass(frozen=True)
class Quality:
    """Every figure for one reconstruction, in stored units unless named otherwise."""

    bytes: int
    bpp: float
    ratio: float
    psnr: float
    ssim: float
    max_abs_error: int
    rmse: float
    max_abs_error_output: float  # times rescale slope (HU for CT)
    rmse_output: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def quality(
    reference: np.ndarray,
    test: np.ndarray,
    *,
    bits_stored: int,
    bits_allocated: int,
    n_bytes: int,
    rescale_slope: float = 1.0,
) -> Quality:
    """All figures for ``test`` (decoded from ``n_bytes`` bytes) against ``reference``."""
    rmse_value = math.sqrt(mse(reference, test))
    max_err = max_abs_error(reference, test)
    return Quality(
        bytes=n_bytes,
        bpp=bpp(n_bytes, reference.size),
        ratio=ratio(n_bytes, reference.size, bits_allocated),
        psnr=psnr(reference, test, bits_stored),
        ssim=ssim(reference, test, bits_stored),
        max_abs_error=max_err,
        rmse=rmse_value,
        max_abs_error_output=max_err * abs(rescale_slope),
        rmse_output=rmse_value * abs(rescale_slope),
    )


def image_quality(original: MedicalImage, decoded: np.ndarray, n_bytes: int) -> Quality:
    """:func:`quality` of ``decoded`` stored values (from ``n_bytes``) against ``original``."""
    return quality(
        original.pixels,
        decoded,
        bits_stored=original.bits_stored,
        bits_allocated=original.bits_allocated,
        n_bytes=n_bytes,
        rescale_slope=original.rescale_slope,
    )


def bd_rate(
    rates_anchor: Sequence[float],
    psnr_anchor: Sequence[float],
    rates_test: Sequence[float],
    psnr_test: Sequence[float],
) -> float:
    """Bjontegaard delta rate of ``test`` against ``anchor``, in percent (negative: fewer bits).

    Each curve needs at least 4 finite points with distinct PSNR; the integral runs over
    the PSNR range both curves cover. ValueError when they do not overlap.
    """
    anchor = _curve(rates_anchor, psnr_anchor)
    test = _curve(rates_test, psnr_test)
    low = max(anchor[1].min(), test[1].min())
    high = min(anchor[1].max(), test[1].max())
    if not high > low:
        raise ValueError("the two curves share no PSNR range")
    integrals = []
    for log_rate, quality_db in (anchor, test):
        poly = np.polyfit(quality_db, log_rate, 3)
        integral = np.polyint(poly)
        integrals.append((np.polyval(integral, high) - np.polyval(integral, low)) / (high - low))
    return float((math.exp(integrals[1] - integrals[0]) - 1.0) * 100.0)


def _curve(rates: Sequence[float], psnrs: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    r = np.asarray(rates, dtype=np.float64)
    p = np.asarray(psnrs, dtype=np.float64)
    keep = np.isfinite(r) & np.isfinite(p) & (r > 0)
    r, p = r[keep], p[keep]
    if len(np.unique(p)) < 4:
        raise ValueError("BD-rate needs at least 4 points with distinct finite PSNR per curve")
    return np.log(r), p
