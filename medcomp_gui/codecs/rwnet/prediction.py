"""Prediction of RWNet's latent values: what the entropy coder codes are residuals.

Channel 0 (the coarsest low-pass band) is coded as the residual of a median edge
predictor from its left, top and top-left neighbours; every other channel as the
residual of a linear prediction from the DC's first and second differences around it
(integer fixed-point coefficients fitted by least squares on training latents). Integer
arithmetic only, so both directions agree on every machine.
"""

from __future__ import annotations

import numpy as np

#: DC-gradient features of the AC prediction, and the fixed-point shift of its coefficients
FEATURES = 5
SHIFT = 12


def _med(left: np.ndarray, top: np.ndarray, corner: np.ndarray) -> np.ndarray:
    """LOCO-I median edge detector (integers)."""
    hi, lo = np.maximum(left, top), np.minimum(left, top)
    return np.where(corner >= hi, lo, np.where(corner <= lo, hi, left + top - corner))


def dc_residual(dc: np.ndarray) -> np.ndarray:
    """DC channel ``(h, w)`` int -> its prediction residual (MED from left, top, top-left;
    the first row predicts from the left, the first column from the top)."""
    dc = dc.astype(np.int64)
    pred = np.zeros_like(dc)
    pred[0, 1:] = dc[0, :-1]
    pred[1:, 0] = dc[:-1, 0]
    pred[1:, 1:] = _med(dc[1:, :-1], dc[:-1, 1:], dc[:-1, :-1])
    return dc - pred


def dc_restore(residual: np.ndarray) -> np.ndarray:
    """Inverse of :func:`dc_residual` (row by row)."""
    res = residual.astype(np.int64)
    h, w = res.shape
    dc = np.zeros_like(res)
    dc[0] = np.cumsum(res[0])
    for i in range(1, h):
        dc[i, 0] = dc[i - 1, 0] + res[i, 0]
        top, corner, row = dc[i - 1], dc[i - 1], res[i]
        for j in range(1, w):
            dc[i, j] = med(int(dc[i, j - 1]), int(top[j]), int(corner[j - 1])) + row[j]
    return dc


def med(left: int, top: int, corner: int) -> int:
    """:func:`_med` of one position (Python ints: the sequential loops' version)."""
    if corner >= max(left, top):
        return min(left, top)
    if corner <= min(left, top):
        return max(left, top)
    return left + top - corner


def dc_features(dc: np.ndarray) -> np.ndarray:
    """int64 ``(h, w, FEATURES)``: first and second differences of the DC around each
    position (edges repeated) — what a smooth ramp can leave in the detail channels."""
    p = np.pad(dc.astype(np.int64), 1, mode="edge")
    centre = p[1:-1, 1:-1]
    left, right, up, down = p[1:-1, :-2], p[1:-1, 2:], p[:-2, 1:-1], p[2:, 1:-1]
    cross = p[2:, 2:] - p[2:, :-2] - p[:-2, 2:] + p[:-2, :-2]
    return np.stack(
        [right - left, down - up, right - 2 * centre + left, down - 2 * centre + up, cross], -1
    )


def ac_prediction(dc: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """int64 ``(h, w, channels)`` prediction of every channel from the DC (integers only);
    ``coeffs``: ``(channels, FEATURES)`` fixed-point (``SHIFT`` bits), row 0 zero."""
    total = dc_features(dc) @ coeffs.astype(np.int64).T
    return (total + (1 << (SHIFT - 1))) >> SHIFT


def to_residual(symbols: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """What is coded: channel 0 as its DC residual, the others minus their AC prediction
    (none to subtract where ``coeffs`` are all zero, :func:`coefficients`)."""
    out = symbols.astype(np.int64)
    if coeffs.any():
        out -= ac_prediction(symbols[..., 0], coeffs)
    out[..., 0] = dc_residual(symbols[..., 0])
    return out


def from_residual(residual: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_residual`."""
    dc = dc_restore(residual[..., 0])
    out = residual.astype(np.int64)
    if coeffs.any():
        out += ac_prediction(dc, coeffs)
    out[..., 0] = dc
    return out


def coefficients(ac_coeffs: np.ndarray, level: int, predict: bool) -> np.ndarray:
    """The AC prediction coefficients a frame of ``level`` is coded with: the model's
    (``ac_coeffs``, ``(levels, channels, FEATURES)``), or zeros (every detail channel
    coded as it is) without ``predict`` — payload version 7 on. Fitted by least squares
    on the training latents, the prediction moved the many zeros of quantised detail
    channels to +-1 (its rounded mean is not the step-sized truth): on a simulated
    radiograph at level 9 the finest band had 4.3 % nonzero values and 11.5 % nonzero
    residuals, and coding the values themselves made the files 29-31 % smaller on the
    radiographs, 15 % on a real CT and 0-6 % elsewhere (2026-12-03, development set)."""
    coeffs = ac_coeffs[level]
    return coeffs if predict else np.zeros_like(coeffs)


def fit_ac_coeffs(latents: list[np.ndarray]) -> np.ndarray:
    """Least-squares AC prediction coefficients (fixed point) from training latents."""
    channels = latents[0].shape[-1]
    feats = np.concatenate([dc_features(y[..., 0]).reshape(-1, FEATURES) for y in latents])
    targets = np.concatenate([y.reshape(-1, channels) for y in latents]).astype(np.float64)
    solution, *_ = np.linalg.lstsq(feats.astype(np.float64), targets, rcond=None)
    coeffs = np.clip(np.rint(solution.T * (1 << SHIFT)), -(2**24), 2**24).astype(np.int32)
    coeffs[0] = 0
    return coeffs
