"""Region-of-interest statistics, no Qt: the same rectangle or ellipse in every pane.

A pixel belongs to a region when its centre does (pixel (row r, column c) covers
[c, c+1) x [r, r+1) in image coordinates). Statistics are in output units (HU for
CT): mean, standard deviation (of the population, as OHIF's), min, max; against the
original, inside the region: PSNR over stored values with the image's peak
(:mod:`medcomp_gui.metrics`' definition) and the largest absolute error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from medcomp_gui import metrics
from medcomp_gui.imaging.image import MedicalImage


@dataclass(frozen=True)
class Region:
    """A rectangle or an ellipse (inscribed in the rectangle), image pixel units:
    ``x``, ``y`` the top-left corner (column, row), ``w``, ``h`` the size."""

    shape: str  # "rect" or "ellipse"
    x: float
    y: float
    w: float
    h: float

    def normalised(self) -> Region:
        """The same region with a positive width and height."""
        x, w = (self.x + self.w, -self.w) if self.w < 0 else (self.x, self.w)
        y, h = (self.y + self.h, -self.h) if self.h < 0 else (self.y, self.h)
        return Region(self.shape, x, y, w, h)


@dataclass(frozen=True)
class RegionStats:
    pixels: int
    mean: float
    sd: float
    min: float
    max: float
    psnr: float | None  # dB against the original inside the region; inf when identical
    max_error: float | None  # output units


def region_mask(region: Region, rows: int, cols: int) -> tuple[tuple[slice, slice], np.ndarray]:
    """The bounding slices of ``region`` in a rows x cols frame and the boolean mask of
    the pixels inside, within those slices."""
    r = region.normalised()
    c0 = max(0, math.ceil(r.x - 0.5))
    r0 = max(0, math.ceil(r.y - 0.5))
    if r.shape == "ellipse":  # closed: a centre on the boundary is inside
        c1 = min(cols, math.floor(r.x + r.w - 0.5) + 1)
        r1 = min(rows, math.floor(r.y + r.h - 0.5) + 1)
    else:  # [x, x + w) x [y, y + h)
        c1 = min(cols, math.ceil(r.x + r.w - 0.5))
        r1 = min(rows, math.ceil(r.y + r.h - 0.5))
    c1, r1 = max(c1, c0), max(r1, r0)
    box = (slice(r0, r1), slice(c0, c1))
    if r.shape != "ellipse":
        return box, np.ones((r1 - r0, c1 - c0), dtype=bool)
    yy, xx = np.mgrid[r0:r1, c0:c1]
    cx, cy = r.x + r.w / 2.0, r.y + r.h / 2.0
    rx, ry = max(r.w / 2.0, 1e-9), max(r.h / 2.0, 1e-9)
    mask = ((xx + 0.5 - cx) / rx) ** 2 + ((yy + 0.5 - cy) / ry) ** 2 <= 1.0
    return box, mask


def region_stats(
    image: MedicalImage, frame: np.ndarray, reference: np.ndarray | None, region: Region
) -> RegionStats | None:
    """Statistics of ``frame`` (stored values, 2-D) inside ``region``, and against
    ``reference`` (the original frame) when given; None for an empty region."""
    box, mask = region_mask(region, *frame.shape)
    values = frame[box][mask]
    if values.size == 0:
        return None
    slope, intercept = image.rescale_slope or 1.0, image.rescale_intercept
    out = values.astype(np.float64) * slope + intercept
    psnr = max_error = None
    if reference is not None and reference.shape == frame.shape:
        ref = reference[box][mask]
        psnr = metrics.psnr(ref, values, image.bits_stored)
        max_error = metrics.max_abs_error(ref, values) * abs(slope)
    return RegionStats(
        pixels=int(values.size),
        mean=float(out.mean()),
        sd=float(out.std()),
        min=float(out.min()),
        max=float(out.max()),
        psnr=psnr,
        max_error=max_error,
    )


def region_window(image: MedicalImage, frame: np.ndarray, region: Region) -> tuple[float, float]:
    """Centre and width (output units) spanning the values inside ``region``: the
    W/L-from-ROI gesture."""
    stats = region_stats(image, frame, None, region)
    if stats is None:
        raise ValueError("empty region")
    width = max(stats.max - stats.min, abs(image.rescale_slope or 1.0))
    return (stats.min + stats.max) / 2.0, width


def ruler_length(
    start: tuple[float, float], end: tuple[float, float], spacing: tuple[float, float] | None
) -> tuple[float, str]:
    """Length of a line from ``start`` to ``end`` ((x, y) image pixels): in mm with the
    pixel spacing (row spacing, column spacing) when the file gives it, else pixels."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    if spacing is None:
        return math.hypot(dx, dy), "px"
    return math.hypot(dx * spacing[1], dy * spacing[0]), "mm"


def pixel_spacing(image: MedicalImage) -> tuple[float, float] | None:
    """(row, column) spacing in mm: Pixel Spacing, else Imager Pixel Spacing; None."""
    ds = image.dataset
    if ds is None:
        return None
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        value = ds.get(keyword)
        try:
            if value is not None and len(value) == 2 and float(value[0]) > 0:
                return float(value[0]), float(value[1])
        except (TypeError, ValueError):
            continue
    return None
