"""The RWNet model: residual-wavelet analysis/synthesis transforms, gain units, priors.

Analysis: ``y = P(x) + a * B(x)`` where ``P`` is a fixed, exactly invertible wavelet
transform to 1/16 resolution with 256 channels — in rwnet-v2 the 4-level dyadic CDF 9/7
transform of JPEG 2000 (:class:`~.layers.Cdf97Analysis`), in rwnet-v1 a 4-level Haar
wavelet packet — and ``B`` a learned branch of four Haar steps (lossless 2x
downsampling into 4 sub-bands), each followed by a convolution and a residual block;
``a`` is a learned per-channel gate starting at 0. Synthesis mirrors it:
``x = P^-1(y) + a' * B'(y)`` with inverse Haar steps. So training starts from an exact
transform coder and learns residual corrections.

Rate control: one variable-rate model; quality level ``q`` (0-based here) multiplies the
latent by a learned gain vector before rounding and by a learned inverse gain after.
Entropy model for training: one factorised (per-channel, non-parametric) prior per
level (Ballé et al. 2018, appendix 6.1); the coder's context tables (:mod:`.tables`) are
fitted after training.

Images enter as ``(B, H, W, 1)`` float32 in [-0.5, 0.5], with H and W multiples of 16.
Only ``keras.ops`` is used, so the model runs on the TensorFlow and the JAX backends.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import keras
import numpy as np
from keras import ops

from medcomp_gui.codecs.rwnet.layers import (
    Cdf97Analysis,
    Cdf97Synthesis,
    Gate,
    HaarAnalysis,
    HaarSynthesis,
    ResidualBlock,
)

PRIOR_FILTERS = (3, 3, 3)


@dataclass(frozen=True)
class RWNetConfig:
    """Hyper-parameters, stored as JSON next to the weights."""

    channels: tuple[int, int, int] = (16, 32, 64)
    latent: int = 256
    levels: int = 8
    #: quality levels above the trained ones, extrapolated at inference (see level_gains)
    extra_levels: int = 3
    #: rate-distortion trade-off of each level: loss = bpp + lmbda * MSE (x in [0, 1]).
    lambdas: tuple[float, ...] = (3.0, 15.5, 80.0, 416.0, 2150.0, 11200.0, 58000.0, 300000.0)
    #: the fixed transform: "cdf97" (dyadic CDF 9/7, rwnet-v2) or "haar_packet" (rwnet-v1)
    path: str = "cdf97"

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> RWNetConfig:
        return cls(
            channels=tuple(int(c) for c in data["channels"]),
            latent=int(data["latent"]),
            levels=int(data["levels"]),
            extra_levels=int(data.get("extra_levels", 0)),
            lambdas=tuple(float(v) for v in data["lambdas"]),
            path=str(data.get("path", "haar_packet")),
        )


def haar_path(x, levels: int = 4, prefix: str = "path"):
    """The fixed 4-level Haar wavelet-packet transform: ``(B, H, W, 1) -> (B, H/16, W/16, 256)``."""
    for i in range(levels):
        x = HaarAnalysis(name=f"{prefix}_haar{i + 1}")(x)
    return x


def inverse_haar_path(y, levels: int = 4, prefix: str = "path"):
    for i in range(levels):
        y = HaarSynthesis(name=f"{prefix}_ihaar{levels - i}")(y)
    return y


def fixed_path(cfg: RWNetConfig, x):
    """The fixed, exactly invertible transform to the latent's 1/16 resolution."""
    if cfg.path == "cdf97":
        return Cdf97Analysis(4, name="path_cdf97")(x)
    if cfg.path == "haar_packet":
        return haar_path(x)
    raise ValueError(f"unknown RWNet path {cfg.path!r}")


def inverse_fixed_path(cfg: RWNetConfig, y):
    if cfg.path == "cdf97":
        return Cdf97Synthesis(4, name="path_icdf97")(y)
    if cfg.path == "haar_packet":
        return inverse_haar_path(y)
    raise ValueError(f"unknown RWNet path {cfg.path!r}")


def path_norms(cfg: RWNetConfig) -> np.ndarray:
    """L2 norm of the synthesis basis image of each latent channel of the fixed path:
    a quantisation error ``e`` in channel ``c`` costs ``(e * norm[c])**2`` in the image."""
    if cfg.path == "haar_packet":
        return np.ones(cfg.latent, np.float32)  # orthonormal
    grid = 8  # 128 x 128 images: the coarsest basis images (about 91 px) do not fold
    y = np.zeros((cfg.latent, grid, grid, cfg.latent), np.float32)
    y[np.arange(cfg.latent), grid // 2, grid // 2, np.arange(cfg.latent)] = 1.0
    x = ops.convert_to_numpy(Cdf97Synthesis(4)(y))
    return np.sqrt((x.astype(np.float64) ** 2).sum(axis=(1, 2, 3))).astype(np.float32)


def build_analysis(cfg: RWNetConfig) -> keras.Model:
    """``y = path(x) + gate * branch(x)``: an exact wavelet transform plus a learned
    residual branch (Haar steps, convolutions, residual blocks) that starts off."""
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
    h = keras.layers.Conv2D(cfg.latent, 3, padding="same", name="latent")(h)
    y = keras.layers.Add(name="add")([fixed_path(cfg, x), Gate(name="gate")(h)])
    return keras.Model(x, y, name="analysis")


def build_synthesis(cfg: RWNetConfig) -> keras.Model:
    """``x = inverse_path(y) + gate * branch(y)``, the mirror of the analysis."""
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
    h = HaarSynthesis(name="ihaar1")(h)
    x = keras.layers.Add(name="add")([inverse_fixed_path(cfg, y), Gate(name="gate")(h)])
    return keras.Model(y, x, name="synthesis")


@keras.saving.register_keras_serializable("rwnet")
class FactorizedPriors(keras.layers.Layer):
    """``levels`` x ``channels`` univariate densities (Ballé 2018, appendix 6.1).

    ``cdf_logits(v, q)``: logits of the cumulative density at values ``v`` of shape
    ``(B, channels, n)`` for levels ``q`` of shape ``(B,)``.
    """

    def __init__(self, levels: int, channels: int, init_scales=None, **kwargs):
        super().__init__(**kwargs)
        self.levels, self.channels = levels, channels
        self.init_scales = [float(v) for v in (init_scales or [10.0] * levels)]

    def build(self, shape=None):
        dims = (1, *PRIOR_FILTERS, 1)
        roots = np.array(self.init_scales) ** (1 / (len(PRIOR_FILTERS) + 1))
        self.matrices, self.biases, self.factors = [], [], []
        for i in range(len(PRIOR_FILTERS) + 1):
            per_level = np.log(np.expm1(1 / roots / dims[i + 1])).astype("float32")
            matrix_shape = (self.levels, self.channels, dims[i + 1], dims[i])
            init = np.broadcast_to(per_level[:, None, None, None], matrix_shape).copy()
            self.matrices.append(
                self.add_weight(
                    name=f"matrix{i}",
                    shape=matrix_shape,
                    initializer=lambda shape, dtype=None, value=init: value,
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
            "init_scales": self.init_scales,
        }


def _start_log_gain(cfg: RWNetConfig) -> np.ndarray:
    """Log of each level's starting gain: quantisation step ~ 1/sqrt(lambda), as a uniform
    quantiser of an orthonormal transform has MSE = step**2 / 12 = 1 / (2 ln2 lambda)."""
    return np.array([0.5 * math.log(2 * math.log(2) * lam / 12) for lam in cfg.lambdas])


class RWNet(keras.Model):
    """Analysis + synthesis + gain units + per-level factorised priors."""

    def __init__(self, cfg: RWNetConfig, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.analysis = build_analysis(cfg)
        self.synthesis = build_synthesis(cfg)
        start = _start_log_gain(cfg)
        init = np.repeat(start[:, None], cfg.latent, axis=1).astype("float32")
        # priors start about as wide as the latents they model (~4 gains at most)
        scales = [max(2.0, 4 * math.exp(v)) for v in start]
        self.priors = FactorizedPriors(cfg.levels, cfg.latent, scales, name="priors")
        self.priors.build()
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

    def reset_gains(self) -> None:
        """Gains back to their start (:meth:`balance_gains` of the initial ones): the
        trained gains fit the factorised prior's rate, not the context coder's."""
        start = np.repeat(_start_log_gain(self.cfg)[:, None], self.cfg.latent, axis=1)
        self.log_gain.assign(start.astype("float32"))
        self.log_inv_gain.assign(-start.astype("float32"))
        self.balance_gains()

    def balance_gains(self) -> None:
        """Scale each channel's starting gain by its :func:`path_norms`, so that a unit
        quantisation step costs the same image-domain error in every channel (the fixed
        path is not orthonormal). For a fresh model, before training."""
        log_norm = np.log(path_norms(self.cfg))[None, :]
        self.log_gain.assign(self.log_gain.numpy() + log_norm)
        self.log_inv_gain.assign(self.log_inv_gain.numpy() - log_norm)

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


def level_gains(model: RWNet) -> tuple[np.ndarray, np.ndarray]:
    """(gain, inverse gain), float32 ``(levels + extra_levels, latent)``.

    The trained levels, then ``extra_levels`` extrapolated ones: each repeats the
    per-channel ratio between the last two levels (a finer quantiser; not trained).
    """
    gain = np.exp(model.log_gain.numpy().astype(np.float64))
    inv_gain = np.exp(model.log_inv_gain.numpy().astype(np.float64))
    for _ in range(model.cfg.extra_levels):
        gain = np.vstack([gain, gain[-1] ** 2 / gain[-2]])
        inv_gain = np.vstack([inv_gain, inv_gain[-1] ** 2 / inv_gain[-2]])
    return gain.astype(np.float32), inv_gain.astype(np.float32)


def gates_closed(model: RWNet) -> bool:
    """True when both learned branches are gated to exactly 0 and the path is the CDF 9/7
    wavelet: the network then computes :mod:`.wavelet`'s transform, times the gains."""
    return model.cfg.path == "cdf97" and all(
        not np.any(part.get_layer("gate").alpha.numpy())
        for part in (model.analysis, model.synthesis)
    )
