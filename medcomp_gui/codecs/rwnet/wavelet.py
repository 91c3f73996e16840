"""RWNet's fixed path: the dyadic CDF 9/7 wavelet transform (JPEG 2000's irreversible
wavelet) as lifting with whole-sample symmetric ends, written once for any array
namespace ``xp`` with NumPy's names (``numpy`` itself, or ``keras.ops``).

The Keras layers (:class:`~.layers.Cdf97Analysis`, :class:`~.layers.Cdf97Synthesis`)
call these functions with ``keras.ops``; the codec calls them with NumPy when both
learned branches are gated shut, so encoding and decoding then need no TensorFlow.
PyWavelets has a CDF 9/7 (``bior4.4``), but as a convolution with other boundary and
scale conventions: its coefficients are not the network's, so the lifting stays here.
Each step is one float32 multiply and one add, in the same order for every namespace,
so NumPy and TensorFlow give the same values (tested).

Tensors are channels-last: ``(batch, rows, cols, channels)``, float32.
"""

from __future__ import annotations

from typing import Any

# Daubechies & Sweldens 1998, without the final K scaling: the per-channel gains of the
# codec absorb the band scales.
LIFTING_97 = (-1.586134342059924, -0.052980118572961, 0.882911075530934, 0.443506852043971)


def _next(a, axis: int, xp: Any):
    """``a[n + 1]`` along ``axis`` (1 or 2), whole-sample symmetric at the end."""
    if axis == 1:
        return xp.concatenate([a[:, 1:], a[:, -1:]], axis=1)
    return xp.concatenate([a[:, :, 1:], a[:, :, -1:]], axis=2)


def _prev(a, axis: int, xp: Any):
    """``a[n - 1]`` along ``axis`` (1 or 2), whole-sample symmetric at the start."""
    if axis == 1:
        return xp.concatenate([a[:, :1], a[:, :-1]], axis=1)
    return xp.concatenate([a[:, :, :1], a[:, :, :-1]], axis=2)


def lift97(x, axis: int, xp: Any):
    """One 1-D CDF 9/7 analysis step along ``axis`` (1: rows, 2: columns): (low, high)."""
    s, d = (x[:, 0::2], x[:, 1::2]) if axis == 1 else (x[:, :, 0::2], x[:, :, 1::2])
    a, b, g, e = LIFTING_97
    d = d + a * (s + _next(s, axis, xp))
    s = s + b * (_prev(d, axis, xp) + d)
    d = d + g * (s + _next(s, axis, xp))
    s = s + e * (_prev(d, axis, xp) + d)
    return s, d


def unlift97(s, d, axis: int, xp: Any):
    """Inverse of :func:`lift97`: interleaves ``s`` and ``d`` back along ``axis``."""
    a, b, g, e = LIFTING_97
    s = s - e * (_prev(d, axis, xp) + d)
    d = d - g * (s + _next(s, axis, xp))
    s = s - b * (_prev(d, axis, xp) + d)
    d = d - a * (s + _next(s, axis, xp))
    shape = xp.shape(s)
    if axis == 1:
        return xp.reshape(xp.stack([s, d], axis=2), (-1, 2 * shape[1], shape[2], shape[3]))
    return xp.reshape(xp.stack([s, d], axis=3), (-1, shape[1], 2 * shape[2], shape[3]))


def space_to_depth(x, factor: int, xp: Any):
    """``(B, h*f, w*f, 1) -> (B, h, w, f*f)``; channel ``i*f + j`` holds pixel ``(i, j)``."""
    if factor == 1:
        return x
    shape = xp.shape(x)
    h, w = shape[1] // factor, shape[2] // factor
    x = xp.reshape(x, (-1, h, factor, w, factor))
    return xp.reshape(xp.transpose(x, (0, 1, 3, 2, 4)), (-1, h, w, factor * factor))


def depth_to_space(x, factor: int, xp: Any):
    """Inverse of :func:`space_to_depth`."""
    if factor == 1:
        return x
    shape = xp.shape(x)
    h, w = shape[1], shape[2]
    x = xp.reshape(x, (-1, h, w, factor, factor))
    return xp.reshape(xp.transpose(x, (0, 1, 3, 2, 4)), (-1, h * factor, w * factor, 1))


def analysis(x, levels: int, xp: Any):
    """``levels``-level transform laid out at ``1/2**levels`` resolution: ``(B, H, W, 1)
    -> (B, H/16, W/16, 256)`` for 4 levels. Channel 0 is the coarsest LL band; then, from
    coarse to fine, each level's LH, HL and HH bands, finer bands split into polyphase
    channels (:func:`space_to_depth`). H and W must be multiples of ``2**levels``."""
    bands: list = []
    ll = x
    for level in range(levels):
        low, high = lift97(ll, 2, xp)
        ll, hl = lift97(low, 1, xp)
        lh, hh = lift97(high, 1, xp)
        factor = 2 ** (levels - 1 - level)
        bands = [space_to_depth(b, factor, xp) for b in (lh, hl, hh)] + bands
    return xp.concatenate([ll, *bands], axis=-1)


def synthesis(y, levels: int, xp: Any):
    """Inverse of :func:`analysis`: ``(B, h, w, 4**levels) -> (B, h*2**levels, ..., 1)``."""
    ll, pos = y[..., :1], 1
    for level in reversed(range(levels)):
        factor = 2 ** (levels - 1 - level)
        n = factor * factor
        lh, hl, hh = (
            depth_to_space(y[..., pos + i * n : pos + (i + 1) * n], factor, xp) for i in range(3)
        )
        pos += 3 * n
        low = unlift97(ll, hl, 1, xp)
        high = unlift97(lh, hh, 1, xp)
        ll = unlift97(low, high, 2, xp)
    return ll
