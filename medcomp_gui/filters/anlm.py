"""Adaptive non-local means (ANLM) denoising of stored medical pixel values.

In the spirit of Manjon et al., "Adaptive non-local means denoising of MR images with
spatially varying noise levels" (J Magn Reson Imaging 2010):

- the noise level sigma_i of every pixel is estimated from the image itself
  (:func:`medcomp_gui.filters.noise.noise_map`: robust MAD of a high-pass residual in
  sliding windows), so the smoothing follows noise that varies across the image;
- every pixel i becomes a weighted mean of the pixels j in its search window, with
  ``w_ij = exp(-max(d_ij / (sigma_i**2 + sigma_j**2) - 1, 0) / h**2)``, where ``d_ij`` is
  the mean squared difference of the patches around i and j (its expectation for two
  patches of the same signal is ``sigma_i**2 + sigma_j**2``) and ``h`` is the filter
  strength: the filtering strength of each pair is proportional to its local noise;
- the centre pixel gets the largest weight of its neighbours (Coupe et al. 2008), and
  at least 0.1 of a perfect match's, so that a pixel without good matches (fine detail,
  a unique structure) keeps most of its own value;
- for magnitude images the squared values are averaged and the Rician bias removed:
  ``sqrt(max(mean(x**2) - 2 sigma**2, 0))``, with ``x`` taken above the stored value of
  no signal. By default (``rician="auto"``) the image itself decides, whatever its
  modality: :func:`medcomp_gui.filters.noise.rayleigh_background` tests whether its
  signal-free background is Rayleigh-distributed above the frame's minimum, which is
  then the zero. Only a frame without such a background to test falls back on the
  modality (MR: magnitudes about stored 0).

Vectorised: a loop over the search offsets (half of them; the distance is symmetric, so
each offset updates both pixels of a pair), patch distances by box sums over shifted
float32 arrays, no Python loop over pixels; the image is processed in row strips (so the
working set stays in cache) on up to two threads.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from medcomp_gui.filters.noise import noise_map, rayleigh_background
from medcomp_gui.imaging.image import MedicalImage

__all__ = [
    "ANLMParams",
    "MODALITY_DEFAULTS",
    "anlm",
    "defaults_for",
    "denoise_image",
    "method_noise",
    "noise_map",
    "rayleigh_background",
]

#: h = strength * this: tuned on the benchmark references (benchmarks/denoise.py).
_H_PER_STRENGTH = 0.66
#: Floor of the local sigma in stored units (about the rounding noise of integers).
_SIGMA_FLOOR = 0.3
#: Least weight of a pixel itself, relative to a perfect match (see _strip_means).
_MIN_SELF_WEIGHT = 0.1
#: Rows per strip: keeps each strip's float32 buffers within a few hundred kB.
_STRIP_ROWS = 64

#: ``rician``: True (stored 0 = no signal), False, or "auto" (tested per frame).
Rician = bool | Literal["auto"]


@dataclass(frozen=True)
class ANLMParams:
    """Parameters of :func:`anlm` (see there for their meaning)."""

    strength: float = 1.0
    patch_radius: int = 1
    search_radius: int = 5
    rician: Rician = "auto"
    assume_rician: bool = False


#: Defaults per DICOM modality; ``"*"`` for any other. Whether an image is Rician is
#: tested on the image itself (``rician="auto"``); MR, whose images are magnitudes, is
#: assumed Rician only where the frame has no background to test. The strengths are the
#: best of ``python benchmarks/denoise.py --tune`` per modality.
MODALITY_DEFAULTS: dict[str, ANLMParams] = {
    "*": ANLMParams(),
    "MR": ANLMParams(assume_rician=True),
    "CT": ANLMParams(strength=1.3),
}


def defaults_for(modality: str) -> ANLMParams:
    """The ANLM defaults for a DICOM modality code (``MR``, ``CT``, ...)."""
    return MODALITY_DEFAULTS.get(modality.upper(), MODALITY_DEFAULTS["*"])


def anlm(
    frame: np.ndarray,
    *,
    low: int,
    high: int,
    strength: float = 1.0,
    patch_radius: int = 1,
    search_radius: int = 5,
    rician: Rician = "auto",
    assume_rician: bool = False,
    sigma: np.ndarray | float | None = None,
) -> np.ndarray:
    """Denoise one 2-D frame of stored values; same dtype and shape, clipped to [low, high].

    ``frame``: (rows, cols) stored values (uint8, uint16, int16 or any real dtype).
    ``low``, ``high``: the stored range (e.g. ``MedicalImage.stored_range``).
    ``strength``: multiplies the filter parameter h (0 returns the frame unchanged; 1 is
    tuned on the benchmark references; larger smooths more). ``patch_radius``: patches are
    ``2 r + 1`` pixels wide. ``search_radius``: pixels within ``r`` rows and columns are
    compared. ``rician``: True for magnitude data with stored 0 = no signal (removes the
    Rician bias, which needs non-negative values); False for none; ``"auto"`` removes it
    when :func:`rayleigh_background` finds a Rayleigh background, taking the frame's
    minimum as the zero. ``assume_rician``: with ``"auto"``, a frame that has no
    background to test is treated as magnitudes about stored 0 (unless it holds negative
    values). ``sigma``: the local noise standard deviation in stored units (a map of the
    frame's shape or one number); estimated with :func:`noise_map` when None.
    """
    x = np.asarray(frame)
    if x.ndim != 2:
        raise ValueError(f"anlm needs one 2-D frame, not shape {x.shape}")
    if patch_radius < 0 or search_radius < 0 or strength < 0:
        raise ValueError("strength, patch_radius and search_radius must be >= 0")
    if low > high:
        raise ValueError(f"empty stored range [{low}, {high}]")
    if rician not in (True, False, "auto"):
        raise ValueError(f"rician must be True, False or 'auto', not {rician!r}")
    values = x.astype(np.float32)
    if rician is True and values.size and float(values.min()) < 0:
        raise ValueError("Rician correction needs magnitudes >= 0; use rician=False")
    if strength == 0 or search_radius == 0 or x.size == 0:
        return _to_stored(values, x.dtype, low, high)
    zero = _magnitude_zero(values, rician, assume_rician)
    is_rician = zero is not None
    if zero is not None:
        values -= np.float32(zero)
    if sigma is None:
        sigma_map = noise_map(values, rician=is_rician)
    else:
        sigma_map = np.broadcast_to(np.asarray(sigma, dtype=np.float32), x.shape)
    variance = np.square(np.maximum(sigma_map, np.float32(_SIGMA_FLOOR)))
    h = strength * _H_PER_STRENGTH
    estimate = _weighted_means(values, variance, patch_radius, search_radius, h, is_rician)
    if zero is not None:
        estimate -= 2.0 * variance
        np.maximum(estimate, 0.0, out=estimate)
        np.sqrt(estimate, out=estimate)
        estimate += np.float32(zero)
    return _to_stored(estimate, x.dtype, low, high)


def _magnitude_zero(values: np.ndarray, rician: Rician, assume_rician: bool) -> float | None:
    """The stored value of no signal if the frame gets the Rician correction, else None."""
    if rician != "auto":
        return 0.0 if rician else None
    found = rayleigh_background(values)
    if found:
        return float(values.min())
    if found is None and assume_rician and float(values.min()) >= 0:
        return 0.0
    return None


def _to_stored(values: np.ndarray, dtype: np.dtype, low: int, high: int) -> np.ndarray:
    """Round (integer dtypes), clip to [low, high] and cast."""
    if np.issubdtype(dtype, np.integer):
        values = np.rint(values)
    return np.clip(values, low, high).astype(dtype)


def _weighted_means(
    values: np.ndarray,
    variance: np.ndarray,
    patch_radius: int,
    search_radius: int,
    h: float,
    rician: bool,
) -> np.ndarray:
    """NLM weighted mean of ``values`` (or of their squares when ``rician``), float32."""
    rows, cols = values.shape
    pad = search_radius + patch_radius
    padded = np.pad(values, pad, mode="symmetric")
    padded_var = np.pad(variance, pad, mode="edge")
    averaged = np.square(padded) if rician else padded
    strips = [(top, min(top + _STRIP_ROWS, rows)) for top in range(0, rows, _STRIP_ROWS)]
    offsets = [
        (dy, dx)
        for dy in range(search_radius + 1)
        for dx in range(-search_radius, search_radius + 1)
        if dy > 0 or dx > 0
    ]
    out = np.empty((rows, cols), dtype=np.float32)

    def run(strip: tuple[int, int]) -> None:
        top, bottom = strip
        out[top:bottom] = _strip_means(
            padded[top : bottom + 2 * pad],
            padded_var[top : bottom + 2 * pad],
            averaged[top : bottom + 2 * pad],
            offsets,
            patch_radius,
            pad,
            np.float32(-1.0 / (h * h)),
        )

    workers = min(2, os.cpu_count() or 1, len(strips))
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, strips))
    else:
        for strip in strips:
            run(strip)
    return out


def _strip_means(
    padded: np.ndarray,
    padded_var: np.ndarray,
    averaged: np.ndarray,
    offsets: list[tuple[int, int]],
    patch_radius: int,
    pad: int,
    neg_inv_h2: np.float32,
) -> np.ndarray:
    """Weighted means of one strip; inputs padded by ``pad`` on every side."""
    rows_p, cols_p = padded.shape
    pr = patch_radius
    scale = np.float32((2 * pr + 1) ** 2) / neg_inv_h2
    wsum = np.zeros((rows_p, cols_p), dtype=np.float32)
    vsum = np.zeros((rows_p, cols_p), dtype=np.float32)
    wmax = np.zeros((rows_p, cols_p), dtype=np.float32)
    sq = np.empty((rows_p, cols_p), dtype=np.float32)
    col_sum = np.empty((rows_p, cols_p), dtype=np.float32)
    dist = np.empty((rows_p, cols_p), dtype=np.float32)
    tmp = np.empty((rows_p, cols_p), dtype=np.float32)
    for dy, dx in offsets:
        h_rows = rows_p - dy
        w_cols = cols_p - abs(dx)
        a0 = max(0, -dx)
        b0 = max(0, dx)
        # squared differences between every pixel a and its partner b = a + (dy, dx)
        d = sq[:h_rows, :w_cols]
        np.subtract(padded[:h_rows, a0 : a0 + w_cols], padded[dy:, b0 : b0 + w_cols], out=d)
        np.multiply(d, d, out=d)
        # box sums over the patch (valid part only): rows then columns
        n_rows = h_rows - 2 * pr
        n_cols = w_cols - 2 * pr
        c = col_sum[:n_rows, :w_cols]
        dd = dist[:n_rows, :n_cols]
        if pr:
            np.add(d[:n_rows], d[1 : 1 + n_rows], out=c)
            for k in range(2, 2 * pr + 1):
                np.add(c, d[k : k + n_rows], out=c)
            np.add(c[:, :n_cols], c[:, 1 : 1 + n_cols], out=dd)
            for k in range(2, 2 * pr + 1):
                np.add(dd, c[:, k : k + n_cols], out=dd)
        else:
            np.copyto(dd, d)
        # a and b positions of the patch centres
        ia = (slice(pr, pr + n_rows), slice(a0 + pr, a0 + pr + n_cols))
        ib = (slice(dy + pr, dy + pr + n_rows), slice(b0 + pr, b0 + pr + n_cols))
        # w = exp(-max(D / (k (var_a + var_b)) - 1, 0) / h**2) times the constant
        # exp(1 / h**2), which cancels in the weighted mean: exp(min(-D / (k h**2 s), -1/h**2))
        s = tmp[:n_rows, :n_cols]
        np.add(padded_var[ia], padded_var[ib], out=s)
        np.multiply(s, scale, out=s)
        np.divide(dd, s, out=dd)
        np.minimum(dd, neg_inv_h2, out=dd)
        np.exp(dd, out=dd)
        w = dd
        wsum[ia] += w
        wsum[ib] += w
        np.maximum(wmax[ia], w, out=wmax[ia])
        np.maximum(wmax[ib], w, out=wmax[ib])
        np.multiply(w, averaged[ib], out=s)
        vsum[ia] += s
        np.multiply(w, averaged[ia], out=s)
        vsum[ib] += s
    centre = (slice(pad, rows_p - pad), slice(pad, cols_p - pad))
    # A pixel whose best match is poor keeps its own value: its weight is at least
    # _MIN_SELF_WEIGHT of a perfect match's (the absolute floor covers underflow).
    floor = max(np.float32(_MIN_SELF_WEIGHT) * np.exp(neg_inv_h2), np.float32(1e-30))
    self_weight = np.maximum(wmax[centre], floor)
    numerator = vsum[centre] + self_weight * averaged[centre]
    return numerator / (wsum[centre] + self_weight)


def denoise_image(
    image: MedicalImage,
    *,
    strength: float | None = None,
    patch_radius: int | None = None,
    search_radius: int | None = None,
    rician: Rician | None = None,
) -> MedicalImage:
    """ANLM-filter every frame of ``image``; a copy with the same dtype, shape and header.

    A parameter left None takes the modality default (:data:`MODALITY_DEFAULTS`). The
    default ``rician="auto"`` decides frame by frame from the pixels (see :func:`anlm`;
    for MR a frame without a background to test is taken as magnitudes about stored 0);
    ``rician=True`` on frames with negative stored values raises ValueError.
    """
    given = {
        "strength": strength,
        "patch_radius": patch_radius,
        "search_radius": search_radius,
        "rician": rician,
    }
    params = replace(
        defaults_for(image.modality), **{k: v for k, v in given.items() if v is not None}
    )
    low, high = image.stored_range
    frames = image.frames
    out = np.empty_like(frames)
    for index, frame in enumerate(frames):
        out[index] = anlm(
            frame,
            low=low,
            high=high,
            strength=params.strength,
            patch_radius=params.patch_radius,
            search_radius=params.search_radius,
            rician=params.rician,
            assume_rician=params.assume_rician,
        )
    return image.with_pixels(out.reshape(image.pixels.shape))


def method_noise(original: MedicalImage, filtered: MedicalImage) -> np.ndarray:
    """Original minus filtered stored values, float32, the pixels' shape (for display)."""
    if original.pixels.shape != filtered.pixels.shape:
        raise ValueError(f"shapes differ: {original.pixels.shape} and {filtered.pixels.shape}")
    return original.pixels.astype(np.float32) - filtered.pixels.astype(np.float32)
