"""Keras 3 layers of RWNet, written with ``keras.ops`` only (TensorFlow or JAX backend).

Tensors are channels-last: ``(batch, rows, cols, channels)``, float32.
"""

from __future__ import annotations

import keras
from keras import ops

from medcomp_gui.codecs.rwnet import wavelet


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


@keras.saving.register_keras_serializable("rwnet")
class Cdf97Analysis(keras.layers.Layer):
    """Fixed ``levels``-level dyadic CDF 9/7 wavelet transform (:func:`.wavelet.analysis`),
    laid out at ``1/2**levels`` resolution: ``(B, H, W, 1) -> (B, H/16, W/16, 256)`` for 4
    levels. Channel 0 is the coarsest LL band; then, from coarse to fine, each level's
    LH, HL and HH bands, finer bands split into polyphase channels (space-to-depth).
    H and W must be multiples of ``2**levels``. Invertible (:class:`Cdf97Synthesis`).
    """

    def __init__(self, levels: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.levels = levels

    def call(self, x):
        return wavelet.analysis(x, self.levels, ops)

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
        return wavelet.synthesis(y, self.levels, ops)

    def compute_output_shape(self, shape):
        def grow(n):
            return None if n is None else n * 2**self.levels

        return (shape[0], grow(shape[1]), grow(shape[2]), 1)

    def get_config(self):
        return {**super().get_config(), "levels": self.levels}
