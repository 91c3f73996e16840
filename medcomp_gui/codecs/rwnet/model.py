"""The RWNet model: residual-wavelet analysis/synthesis transforms, gain units, priors.

Analysis: four Haar steps (each a lossless 2x downsampling into 4 sub-bands) each followed
by a convolution and a residual block, down to a latent ``y`` of ``latent`` channels at
1/16 resolution. Synthesis mirrors it with inverse Haar steps. Rate control: one
variable-rate model; quality level ``q`` (0-based here) multiplies the latent by a learned
gain vector before rounding and by a learned inverse gain after. Entropy model: one
factorised (per-channel, non-parametric) prior per level, as in Ballé et al. 2018.

Images enter as ``(B, H, W, 1)`` float32 in [-0.5, 0.5], with H and W multiples of 16.
Only ``keras.ops`` is used, so the model runs on the TensorFlow and the JAX backends.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import keras
import numpy as np
from keras import ops

from medcomp_gui.codecs.rwnet.layers import HaarAnalysis, HaarSynthesis, ResidualBlock

PRIOR_FILTERS = (3, 3, 3)


@dataclass(frozen=True)
class RWNetConfig:
    """Hyper-parameters, stored as JSON next to the weights."""

    channels: tuple[int, int, int] = (16, 32, 64)
    latent: int = 256
    levels: int = 8
    #: rate-distortion trade-off of each level: loss = bpp + lmbda * MSE (x in [0, 1]).
    lambdas: tuple[float, ...] = (3.0, 15.5, 80.0, 416.0, 2150.0, 11200.0, 58000.0, 300000.0)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> RWNetConfig:
        return cls(
            channels=tuple(int(c) for c in data["channels"]),
            latent=int(data["latent"]),
            levels=int(data["levels"]),
            lambdas=tuple(float(v) for v in data["lambdas"]),
        )


def build_analysis(cfg: RWNetConfig) -> keras.Model:
    c1, c2, c3 = cfg.channels
    x = keras.Input((None, None, 1), name="image")
    h = HaarAnalysis(name="haar1")(x)
    h = keras.layers.Conv2D(c1, 3, padding="same", name="in1")(h)
    h = ResidualBlock(c1, name="res1")(h)
    h = HaarAnalysis(name="haar2")(h)
    h = keras.layers.Conv2D(c2, 1, name="in2")(h)
    h = ResidualBlock(c2, name="res2")(h)
    h = HaarAnalysis(name="haar3")(h)
    h = keras.layers.Conv2D(c3, 1, name="in3")(h)
    h = ResidualBlock(c3, name="res3")(h)
    h = HaarAnalysis(name="haar4")(h)
    y = keras.layers.Conv2D(cfg.latent, 3, padding="same", name="latent")(h)
    return keras.Model(x, y, name="analysis")


def build_synthesis(cfg: RWNetConfig) -> keras.Model:
    c1, c2, c3 = cfg.channels
    y = keras.Input((None, None, cfg.latent), name="latent")
    h = keras.layers.Conv2D(4 * c3, 3, padding="same", name="out4")(y)
    h = HaarSynthesis(name="ihaar4")(h)
    h = ResidualBlock(c3, name="res3")(h)
    h = keras.layers.Conv2D(4 * c2, 1, name="out3")(h)
    h = HaarSynthesis(name="ihaar3")(h)
    h = ResidualBlock(c2, name="res2")(h)
    h = keras.layers.Conv2D(4 * c1, 1, name="out2")(h)
    h = HaarSynthesis(name="ihaar2")(h)
    h = ResidualBlock(c1, name="res1")(h)
    h = keras.layers.Conv2D(4, 3, padding="same", name="out1")(h)
    x = HaarSynthesis(name="ihaar1")(h)
    return keras.Model(y, x, name="synthesis")


@keras.saving.register_keras_serializable("rwnet")
class FactorizedPriors(keras.layers.Layer):
    """``levels`` x ``channels`` univariate densities (Ballé 2018, appendix 6.1).

    ``cdf_logits(v, q)``: logits of the cumulative density at values ``v`` of shape
    ``(B, channels, n)`` for levels ``q`` of shape ``(B,)``.
    """

    def __init__(self, levels: int, channels: int, init_scale: float = 10.0, **kwargs):
        super().__init__(**kwargs)
        self.levels, self.channels, self.init_scale = levels, channels, init_scale

    def build(self, shape=None):
        dims = (1, *PRIOR_FILTERS, 1)
        scale = self.init_scale ** (1 / (len(PRIOR_FILTERS) + 1))
        self.matrices, self.biases, self.factors = [], [], []
        for i in range(len(PRIOR_FILTERS) + 1):
            init = math.log(math.expm1(1 / scale / dims[i + 1]))
            self.matrices.append(
                self.add_weight(
                    name=f"matrix{i}",
                    shape=(self.levels, self.channels, dims[i + 1], dims[i]),
                    initializer=keras.initializers.Constant(init),
                )
            )
            self.biases.append(
                self.add_weight(
                    name=f"bias{i}",
                    shape=(self.levels, self.channels, dims[i + 1], 1),
                    initializer=keras.initializers.RandomUniform(-0.5, 0.5, seed=i),
                )
            )
            if i < len(PRIOR_FILTERS):
                self.factors.append(
                    self.add_weight(
                        name=f"factor{i}",
                        shape=(self.levels, self.channels, dims[i + 1], 1),
                        initializer="zeros",
                    )
                )

    def cdf_logits(self, v, q):
        logits = ops.expand_dims(v, 2)  # (B, C, 1, n)
        for i, matrix in enumerate(self.matrices):
            m = ops.softplus(ops.take(matrix, q, axis=0))  # (B, C, out, in)
            logits = ops.einsum("bcoi,bcin->bcon", m, logits)
            logits = logits + ops.take(self.biases[i], q, axis=0)
            if i < len(self.factors):
                logits = logits + ops.tanh(ops.take(self.factors[i], q, axis=0)) * ops.tanh(logits)
        return logits[:, :, 0, :]

    def likelihood(self, y, q):
        """Probability mass of ``y`` ``(B, h, w, C)`` in ``[y-0.5, y+0.5]`` at levels ``q``."""
        shape = ops.shape(y)
        v = ops.transpose(ops.reshape(y, (shape[0], -1, self.channels)), (0, 2, 1))
        lower = self.cdf_logits(v - 0.5, q)
        upper = self.cdf_logits(v + 0.5, q)
        sign = -ops.sign(lower + upper)
        sign = ops.where(sign == 0, ops.ones_like(sign), sign)
        lik = ops.abs(ops.sigmoid(sign * upper) - ops.sigmoid(sign * lower))
        return ops.maximum(lik, 1e-9)

    def get_config(self):
        return {
            **super().get_config(),
            "levels": self.levels,
            "channels": self.channels,
            "init_scale": self.init_scale,
        }


class RWNet(keras.Model):
    """Analysis + synthesis + gain units + per-level factorised priors."""

    def __init__(self, cfg: RWNetConfig, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.analysis = build_analysis(cfg)
        self.synthesis = build_synthesis(cfg)
        self.priors = FactorizedPriors(cfg.levels, cfg.latent, name="priors")
        self.priors.build()
        # gains start at 16 * sqrt(lambda_q / lambda_max): quantisation step ~ 1/sqrt(lambda)
        top = max(cfg.lambdas)
        start = np.array([math.log(16.0 * math.sqrt(lam / top)) for lam in cfg.lambdas])
        init = np.repeat(start[:, None], cfg.latent, axis=1).astype("float32")
        self.log_gain = self.add_weight(
            name="log_gain",
            shape=(cfg.levels, cfg.latent),
            initializer=keras.initializers.Constant(init),
        )
        self.log_inv_gain = self.add_weight(
            name="log_inv_gain",
            shape=(cfg.levels, cfg.latent),
            initializer=keras.initializers.Constant(-init),
        )
        self.built = True  # every weight exists now: load_weights needs no dummy call

    def gains(self, q):
        """(gain, inverse gain), each ``(B, 1, 1, latent)`` for levels ``q`` ``(B,)``."""
        g = ops.exp(ops.take(self.log_gain, q, axis=0))[:, None, None, :]
        ig = ops.exp(ops.take(self.log_inv_gain, q, axis=0))[:, None, None, :]
        return g, ig

    def encode_latent(self, x, q):
        """Scaled, unrounded latent of ``x`` at levels ``q``."""
        g, _ = self.gains(q)
        return self.analysis(x) * g

    def decode_latent(self, y_hat, q):
        """Reconstruction in [-0.5, 0.5] units from the rounded latent."""
        _, ig = self.gains(q)
        return self.synthesis(y_hat * ig)

    def call(self, x, q, training=False, seed=None):
        """(x_hat, bits per image) with noise for the rate and rounding for the synthesis."""
        y = self.encode_latent(x, q)
        if training:
            noisy = y + keras.random.uniform(ops.shape(y), -0.5, 0.5, seed=seed)
            rounded = y + ops.stop_gradient(ops.round(y) - y)
        else:
            noisy = rounded = ops.round(y)
        lik = self.priors.likelihood(noisy, q)
        bits = ops.sum(-ops.log(lik), axis=(1, 2)) / math.log(2.0)
        return self.decode_latent(rounded, q), bits
