"""Keras 3 layers of RWNet, written with ``keras.ops`` only (TensorFlow or JAX backend).

Tensors are channels-last: ``(batch, rows, cols, channels)``, float32.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable("rwnet")
class HaarAnalysis(keras.layers.Layer):
    """Orthonormal 2-D Haar step: ``(B, H, W, C) -> (B, H/2, W/2, 4C)``, lossless.

    H and W must be even. Channel blocks are ``[LL, LH, HL, HH]``, each ``C`` wide.
    """

    def call(self, x):
        a = x[:, 0::2, 0::2, :]
        b = x[:, 0::2, 1::2, :]
        c = x[:, 1::2, 0::2, :]
        d = x[:, 1::2, 1::2, :]
        return ops.concatenate(
            [
                (a + b + c + d) * 0.5,
                (a - b + c - d) * 0.5,
                (a + b - c - d) * 0.5,
                (a - b - c + d) * 0.5,
            ],
            axis=-1,
        )

    def compute_output_shape(self, shape):
        def half(n):
            return None if n is None else n // 2

        return (shape[0], half(shape[1]), half(shape[2]), 4 * shape[3])


@keras.saving.register_keras_serializable("rwnet")
class HaarSynthesis(keras.layers.Layer):
    """Inverse of :class:`HaarAnalysis`: ``(B, h, w, 4C) -> (B, 2h, 2w, C)``."""

    def call(self, x):
        ll, lh, hl, hh = ops.split(x, 4, axis=-1)
        a = (ll + lh + hl + hh) * 0.5
        b = (ll - lh + hl - hh) * 0.5
        c = (ll + lh - hl - hh) * 0.5
        d = (ll - lh - hl + hh) * 0.5
        shape = ops.shape(ll)
        h, w, ch = shape[1], shape[2], shape[3]
        top = ops.reshape(ops.stack([a, b], axis=3), (-1, h, 2 * w, ch))
        bottom = ops.reshape(ops.stack([c, d], axis=3), (-1, h, 2 * w, ch))
        return ops.reshape(ops.stack([top, bottom], axis=2), (-1, 2 * h, 2 * w, ch))

    def compute_output_shape(self, shape):
        def double(n):
            return None if n is None else n * 2

        return (shape[0], double(shape[1]), double(shape[2]), shape[3] // 4)


@keras.saving.register_keras_serializable("rwnet")
class ResidualBlock(keras.layers.Layer):
    """``x + conv3x3(leaky_relu(conv3x3(leaky_relu(x))))``, channels unchanged."""

    def __init__(self, channels: int, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.conv1 = keras.layers.Conv2D(channels, 3, padding="same", name="conv1")
        self.conv2 = keras.layers.Conv2D(
            channels, 3, padding="same", name="conv2", kernel_initializer="zeros"
        )

    def build(self, shape):
        self.conv1.build(shape)
        self.conv2.build(shape[:-1] + (self.channels,))

    def call(self, x):
        y = self.conv1(ops.leaky_relu(x, 0.1))
        return x + self.conv2(ops.leaky_relu(y, 0.1))

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}


@keras.saving.register_keras_serializable("rwnet")
class Gate(keras.layers.Layer):
    """``alpha * x`` with one learned ``alpha`` per channel, starting at 0 (ReZero-style).

    Lets a learned residual branch join an exact transform without perturbing it at first.
    """

    def build(self, shape):
        self.alpha = self.add_weight(name="alpha", shape=(shape[-1],), initializer="zeros")

    def call(self, x):
        return x * self.alpha


# CDF 9/7 lifting constants (Daubechies & Sweldens 1998; the irreversible JPEG 2000
# wavelet), without the final K scaling: the per-channel gain units absorb band scales.
_LIFTING_97 = (-1.586134342059924, -0.052980118572961, 0.882911075530934, 0.443506852043971)


def _next(a, axis: int):
    """``a[n + 1]`` along ``axis`` (1 or 2), whole-sample symmetric at the end."""
    if axis == 1:
        return ops.concatenate([a[:, 1:], a[:, -1:]], axis=1)
    return ops.concatenate([a[:, :, 1:], a[:, :, -1:]], axis=2)


def _prev(a, axis: int):
    """``a[n - 1]`` along ``axis`` (1 or 2), whole-sample symmetric at the start."""
    if axis == 1:
        return ops.concatenate([a[:, :1], a[:, :-1]], axis=1)
    return ops.concatenate([a[:, :, :1], a[:, :, :-1]], axis=2)


def lift97(x, axis: int):
    """One 1-D CDF 9/7 analysis step along ``axis`` (1: rows, 2: columns): (low, high)."""
    s, d = (x[:, 0::2], x[:, 1::2]) if axis == 1 else (x[:, :, 0::2], x[:, :, 1::2])
    a, b, g, e = _LIFTING_97
    d = d + a * (s + _next(s, axis))
    s = s + b * (_prev(d, axis) + d)
    d = d + g * (s + _next(s, axis))
    s = s + e * (_prev(d, axis) + d)
    return s, d


def unlift97(s, d, axis: int):
    """Inverse of :func:`lift97`: interleaves ``s`` and ``d`` back along ``axis``."""
    a, b, g, e = _LIFTING_97
    s = s - e * (_prev(d, axis) + d)
    d = d - g * (s + _next(s, axis))
    s = s - b * (_prev(d, axis) + d)
    d = d - a * (s + _next(s, axis))
    shape = ops.shape(s)
    if axis == 1:
        return ops.reshape(ops.stack([s, d], axis=2), (-1, 2 * shape[1], shape[2], shape[3]))
    return ops.reshape(ops.stack([s, d], axis=3), (-1, shape[1], 2 * shape[2], shape[3]))


def space_to_depth(x, factor: int):
    """``(B, h*f, w*f, 1) -> (B, h, w, f*f)``; channel ``i*f + j`` holds pixel ``(i, j)``."""
    if factor == 1:
        return x
    shape = ops.shape(x)
    h, w = shape[1] // factor, shape[2] // factor
    x = ops.reshape(x, (-1, h, factor, w, factor))
    return ops.reshape(ops.transpose(x, (0, 1, 3, 2, 4)), (-1, h, w, factor * factor))


def depth_to_space(x, factor: int):
    """Inverse of :func:`space_to_depth`."""
    if factor == 1:
        return x
    shape = ops.shape(x)
    h, w = shape[1], shape[2]
    x = ops.reshape(x, (-1, h, w, factor, factor))
    return ops.reshape(ops.transpose(x, (0, 1, 3, 2, 4)), (-1, h * factor, w * factor, 1))


@keras.saving.register_keras_serializable("rwnet")
class Cdf97Analysis(keras.layers.Layer):
    """Fixed ``levels``-level dyadic CDF 9/7 wavelet transform (lifting, symmetric ends),
    laid out at ``1/2**levels`` resolution: ``(B, H, W, 1) -> (B, H/16, W/16, 256)`` for 4
    levels. Channel 0 is the coarsest LL band; then, from coarse to fine, each level's
    LH, HL and HH bands, finer bands split into polyphase channels (space-to-depth).
    H and W must be multiples of ``2**levels``. Invertible (:class:`Cdf97Synthesis`).
    """

    def __init__(self, levels: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.levels = levels

    def call(self, x):
        bands = []
        ll = x
        for level in range(self.levels):
            low, high = lift97(ll, 2)
            ll, hl = lift97(low, 1)
            lh, hh = lift97(high, 1)
            factor = 2 ** (self.levels - 1 - level)
            bands = [space_to_depth(b, factor) for b in (lh, hl, hh)] + bands
        return ops.concatenate([ll, *bands], axis=-1)

    def compute_output_shape(self, shape):
        def shrink(n):
            return None if n is None else n // 2**self.levels

        return (shape[0], shrink(shape[1]), shrink(shape[2]), 4**self.levels)

    def get_config(self):
        return {**super().get_config(), "levels": self.levels}


@keras.saving.register_keras_serializable("rwnet")
class Cdf97Synthesis(keras.layers.Layer):
    """Inverse of :class:`Cdf97Analysis`: ``(B, h, w, 4**levels) -> (B, h*2**levels, ..., 1)``."""

    def __init__(self, levels: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.levels = levels

    def call(self, y):
        ll, pos = y[..., :1], 1
        for level in reversed(range(self.levels)):
            factor = 2 ** (self.levels - 1 - level)
            n = factor * factor
            lh, hl, hh = (
                depth_to_space(y[..., pos + i * n : pos + (i + 1) * n], factor) for i in range(3)
            )
            pos += 3 * n
            low = unlift97(ll, hl, 1)
            high = unlift97(lh, hh, 1)
            ll = unlift97(low, high, 2)
        return ll

    def compute_output_shape(self, shape):
        def grow(n):
            return None if n is None else n * 2**self.levels

        return (shape[0], grow(shape[1]), grow(shape[2]), 1)

    def get_config(self):
        return {**super().get_config(), "levels": self.levels}
