"""Local noise estimation from the image itself, for the adaptive NLM filter.

The noise level is estimated per pixel, as in Manjon et al. (2010), from a high-pass
pseudo-residual (Immerkaer's mask, blind to straight edges and ramps), scaled so that
white noise of standard deviation sigma gives a residual of standard deviation sigma. In
overlapping windows (side ``2 * block``, stride ``block``) the robust scale
``1.4826 * median(|residual|)`` gives sigma; the grid of window values is interpolated
bilinearly back to every pixel. For MR magnitude images (``rician=True``) that spread is
the Rician magnitude's, which underestimates the Gaussian sigma of the underlying complex
data at low SNR: in signal-free windows (mean below 2.1 times the spread) sigma comes
from the exact second moment ``E[x**2] = 2 sigma**2``, elsewhere from Koay and Basser's
correction (J Magn Reson 2006) with the window's mean signal.

:func:`rayleigh_background` tells from the image itself, whatever its modality tag,
whether it holds magnitudes with Rician noise: it tests whether the signal-free
background is Rayleigh-distributed above the frame's minimum.

scipy is imported only when a Rician correction is computed.
"""

from __future__ import annotations

import math

import numpy as np

#: Turns the median absolute residual into a Gaussian standard deviation.
_MAD_TO_SIGMA = 1.4826
#: Mean-over-std of a Rayleigh distribution (no signal): below it the SNR is zero.
_RAYLEIGH_RATIO = math.sqrt(math.pi / (4.0 - math.pi))
#: Windows whose mean over magnitude std is below this are treated as signal-free.
_BACKGROUND_RATIO = 2.1
#: Side of the blocks whose values :func:`rayleigh_background` tests (1024 samples each).
_TEST_BLOCK = 32
#: Least standard deviation (stored units) of a block that can tell noise statistics.
_TEST_MIN_STD = 1.0
#: A block whose std exceeds the high-pass residual's by more holds structure, not noise.
_TEST_FLATNESS = 1.25
#: Bounds of mean over std (above the frame minimum) accepted as Rayleigh.
_TEST_RATIO = (1.75, 2.1)
#: Least skewness accepted as Rayleigh.
_TEST_MIN_SKEW = 0.4
#: Least number of Rayleigh blocks for a Rician verdict.
_TEST_MIN_BLOCKS = 2


def pseudo_residual(frame: np.ndarray) -> np.ndarray:
    """High-pass residual ``(x * [1 -2 1]^T [1 -2 1]) / 6`` (Immerkaer 1996), float32.

    Same shape as ``frame``; borders are reflected. For white noise of standard deviation
    sigma the residual has standard deviation sigma; the mask is zero for any signal that
    is linear along rows or along columns, so straight horizontal and vertical edges and
    ramps leave no residual.
    """
    x = np.asarray(frame, dtype=np.float32)
    p = np.pad(x, 1, mode="reflect") if min(x.shape) > 1 else np.pad(x, 1, mode="edge")
    rows = p[:-2] + p[2:]
    rows -= 2.0 * p[1:-1]
    residual = rows[:, :-2] + rows[:, 2:]
    residual -= 2.0 * rows[:, 1:-1]
    residual *= np.float32(1.0 / 6.0)
    return residual


def _window_view(values: np.ndarray, block: int) -> np.ndarray:
    """Windows of side ``2 * block`` every ``block`` pixels, shape (ny, nx, 4 * block**2).

    Window (i, j) is centred on the centre of block (i, j); edges are reflected.
    """
    rows, cols = values.shape
    ny, nx = -(-rows // block), -(-cols // block)
    half = block // 2
    padded = np.pad(
        values,
        ((half, ny * block + block - half - rows), (half, nx * block + block - half - cols)),
        mode="symmetric",
    )
    windows = np.lib.stride_tricks.sliding_window_view(padded, (2 * block, 2 * block))
    return windows[::block, ::block][:ny, :nx].reshape(ny, nx, -1)


def _interpolation_matrix(n_out: int, n_grid: int, block: int) -> np.ndarray:
    """Bilinear weights (n_out, n_grid) from block centres to pixel positions."""
    position = (np.arange(n_out, dtype=np.float64) + 0.5) / block - 0.5
    position = np.clip(position, 0.0, n_grid - 1.0)
    left = np.floor(position).astype(np.intp)
    right = np.minimum(left + 1, n_grid - 1)
    frac = position - left
    matrix = np.zeros((n_out, n_grid), dtype=np.float64)
    np.add.at(matrix, (np.arange(n_out), left), 1.0 - frac)
    np.add.at(matrix, (np.arange(n_out), right), frac)
    return matrix


def koay_sigma(magnitude_std: np.ndarray, magnitude_mean: np.ndarray) -> np.ndarray:
    """Gaussian sigma of Rician data from the magnitude's std and mean (Koay & Basser 2006).

    Solves ``theta = sqrt(xi(theta) * (1 + r**2) - 2)`` with ``r = mean / std`` by fixed
    point iteration, then ``sigma = std / sqrt(xi(theta))``; ``xi`` is the correction
    factor, 1 at high SNR and ``2 - pi / 2`` without signal. Arrays of equal shape, any
    units; returns float64.
    """
    std = np.asarray(magnitude_std, dtype=np.float64)
    mean = np.asarray(magnitude_mean, dtype=np.float64)
    ratio = np.divide(mean, std, out=np.full_like(std, np.inf), where=std > 0)
    ratio = np.minimum(ratio, 1e3)
    theta = np.maximum(ratio - _RAYLEIGH_RATIO, 0.0)
    for _ in range(30):
        theta = np.sqrt(np.maximum(_xi(theta) * (1.0 + ratio**2) - 2.0, 0.0))
    theta = np.where(ratio <= _RAYLEIGH_RATIO, 0.0, theta)
    return std / np.sqrt(_xi(theta))


def _xi(theta: np.ndarray) -> np.ndarray:
    """Koay and Basser's correction factor (variance of magnitude over sigma**2)."""
    from scipy import special

    t2 = theta * theta
    q = t2 / 4.0
    bessel = (2.0 + t2) * special.i0e(q) + t2 * special.i1e(q)
    return np.clip(2.0 + t2 - math.pi / 8.0 * bessel * bessel, 2.0 - math.pi / 2.0, 1.0)


def noise_map(frame: np.ndarray, *, block: int = 16, rician: bool = False) -> np.ndarray:
    """Local noise standard deviation per pixel, in stored units, float32, frame's shape.

    ``frame``: one 2-D frame of stored values (any real dtype). ``block``: stride of the
    estimation windows in pixels (windows are ``2 * block`` wide, so the map resolves
    noise changes over roughly that distance). ``rician``: the frame holds MR magnitudes
    (stored value 0 = no signal); the Rician correction is applied per window.
    """
    x = np.asarray(frame, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"noise_map needs one 2-D frame, not shape {x.shape}")
    if x.size == 0:
        return np.zeros(x.shape, dtype=np.float32)
    block = max(1, min(block, max(1, min(x.shape) // 2)))
    residual = np.abs(pseudo_residual(x))
    sigma = _MAD_TO_SIGMA * np.median(_window_view(residual, block), axis=-1)
    if rician:
        windows = _window_view(x, block)
        mean = np.mean(windows, axis=-1, dtype=np.float64)
        # Without signal E[x**2] = 2 sigma**2 holds exactly: use it in background windows.
        background = mean < _BACKGROUND_RATIO * sigma
        second = np.sqrt(np.mean(np.square(windows, dtype=np.float64), axis=-1) / 2.0)
        sigma = np.where(background, second, koay_sigma(sigma, mean))
    rows = _interpolation_matrix(x.shape[0], sigma.shape[0], block)
    cols = _interpolation_matrix(x.shape[1], sigma.shape[1], block)
    return (rows @ sigma @ cols.T).astype(np.float32)


def rayleigh_background(frame: np.ndarray) -> bool | None:
    """Whether the signal-free background of ``frame`` is Rayleigh, i.e. the frame Rician.

    ``frame``: one 2-D frame of stored values (any real dtype). A magnitude image (MR, or
    any |complex| reconstruction) with Gaussian noise in its real and imaginary parts is
    Rician; where there is no signal it is Rayleigh: values above zero with mean over
    standard deviation ``sqrt(pi / (4 - pi)) = 1.91`` and skewness 0.63, whatever sigma
    is. The frame's minimum is taken as the candidate zero, and blocks of 32 x 32 pixels
    (partial blocks left out) are tested:

    - noise: the block's std is at least 1 stored unit and at most 1.25 times the robust
      std of its high-pass residual (the spread is noise, not edges, gradients, or
      speckle correlated over pixels);
    - background: its mean above the minimum is at most 2.1 stds;
    - Rayleigh: that ratio is at least 1.75 and the skewness at least 0.4.

    With 1024 samples a Rayleigh block gives a ratio of 1.91 +- 0.04, a skewness of
    0.62 +- 0.08 and a std 0.99 +- 0.06 times the residual's, so the bounds lie about 4
    sampling deviations out. Gaussian noise clipped at the stored minimum has a lower
    ratio, or near 1.91 a skewness near 0.2.

    Returns True when at least 2 blocks are Rayleigh and they are at least half of the
    background blocks (the zero is then the frame's minimum, a small fraction of sigma
    above the true one); False when there are background blocks but not so; None when
    there is nothing to test: a frame that is constant, noiseless, smaller than a block,
    filled by the object, or whose lowest noise sits well above its minimum, as Gaussian
    noise about a constant does (CT air at -1000 HU: about 3 or more stds above the
    minimum that its own lowest samples set), where it looks like Rician noise at an SNR
    of 3 or more and the two cannot be told apart.
    """
    x = np.asarray(frame, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"rayleigh_background needs one 2-D frame, not shape {x.shape}")
    ny, nx = x.shape[0] // _TEST_BLOCK, x.shape[1] // _TEST_BLOCK
    if ny == 0 or nx == 0:
        return None
    rows, cols = ny * _TEST_BLOCK, nx * _TEST_BLOCK

    def blocks(values: np.ndarray) -> np.ndarray:
        shape = (ny, _TEST_BLOCK, nx, _TEST_BLOCK)
        return values[:rows, :cols].reshape(shape).swapaxes(1, 2).reshape(ny * nx, -1)

    above = blocks(x) - x.min()
    residual_std = _MAD_TO_SIGMA * np.median(np.abs(blocks(pseudo_residual(x))), axis=-1)
    mean = above.mean(axis=-1)
    centred = above - mean[:, None]
    std = np.sqrt(np.mean(centred**2, axis=-1))
    noise = (std >= _TEST_MIN_STD) & (std <= _TEST_FLATNESS * residual_std)
    safe_std = np.where(noise, std, 1.0)
    ratio = mean / safe_std
    skew = np.mean(centred**3, axis=-1) / safe_std**3
    background = noise & (ratio <= _TEST_RATIO[1])
    if not background.any():
        return None
    rayleigh = int((background & (ratio >= _TEST_RATIO[0]) & (skew >= _TEST_MIN_SKEW)).sum())
    return rayleigh >= _TEST_MIN_BLOCKS and 2 * rayleigh >= int(background.sum())
