"""Physically simulated medical images where real ones that any machine can fetch are scarce.

Each generator is seeded and returns stored values (uint16) at the modality's usual
bit depth, with the noise of its physics rather than added white noise:

- :func:`ct_slice`: an ellipse phantom in Hounsfield units -> parallel-beam projections
  (``skimage.transform.radon``) -> transmitted photon counts with Poisson noise ->
  log -> filtered back-projection (``iradon``, ramp filter): CT's streaky, correlated
  noise texture; 12-bit stored values (HU + 1024) and padding outside the
  reconstruction circle, as scanners store it;
- :func:`radiograph`: a projection radiograph (CR/DX): path lengths through soft tissue
  and bone ellipses, Beer-Lambert attenuation, Poisson quanta per pixel, a detector
  blur, log response, a collimated field; 10-15 bits;
- :func:`ultrasound`: B-mode speckle: a tissue reflectivity map convolved (in complex
  baseband) with an axially and laterally shaped pulse, envelope, log compression, a
  sector; 8 bits;
- :func:`mammogram`: a compressed breast outline, fibroglandular tissue as power-law
  (1/f^3) texture, a skin line, Poisson quanta; 12-14 bits.
"""

from __future__ import annotations

import numpy as np


def _ellipse(shape, rng, scale=1.0, centre_spread=0.5):
    rows, cols = shape
    yy, xx = np.mgrid[-1 : 1 : rows * 1j, -1 : 1 : cols * 1j]
    cy, cx = rng.uniform(-centre_spread, centre_spread, 2) * scale
    ay, ax = rng.uniform(0.04, 0.5, 2) * scale
    th = rng.uniform(0, np.pi)
    c, s = np.cos(th), np.sin(th)
    u, v = (xx - cx) * c + (yy - cy) * s, -(xx - cx) * s + (yy - cy) * c
    return (u / ax) ** 2 + (v / ay) ** 2 <= 1


def _smooth_noise(shape, rng, power=3.0):
    """Gaussian noise with a 1/f**power spectrum, unit variance."""
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.rfftfreq(shape[1])[None, :]
    f = np.hypot(fy, fx)
    f[0, 0] = 1.0
    spec = (rng.normal(size=f.shape) + 1j * rng.normal(size=f.shape)) * f ** (-power / 2)
    spec[0, 0] = 0
    out = np.fft.irfft2(spec, s=shape)
    return out / max(out.std(), 1e-12)


def ct_slice(rng: np.random.Generator, size: int = 512) -> tuple[np.ndarray, int]:
    """(uint16 stored values, bits_stored 12) of a simulated CT slice."""
    from skimage.transform import iradon, radon

    hu = np.full((size, size), -1000.0)
    body = _ellipse((size, size), rng, scale=1.8, centre_spread=0.05) | _ellipse(
        (size, size), rng, scale=1.6, centre_spread=0.05
    )
    hu[body] = rng.uniform(-80, 60)
    texture = 25 * _smooth_noise((size, size), rng, 2.5)
    hu[body] += texture[body]
    for _ in range(rng.integers(5, 16)):
        region = _ellipse((size, size), rng, scale=0.8, centre_spread=0.5) & body
        hu[region] = rng.choice([-900.0, -100.0, 40.0, 60.0, 300.0, 900.0]) + rng.normal(0, 10)
    mu = np.clip((hu + 1000) / 1000 * 0.02, 0, None)  # per pixel
    angles = np.linspace(0.0, 180.0, int(size * 0.75), endpoint=False)
    sino = radon(mu, theta=angles, circle=True)
    photons = rng.uniform(2e4, 4e5)
    counts = rng.poisson(photons * np.exp(-sino)).clip(1, None)
    recon = iradon(np.log(photons / counts), theta=angles, filter_name="ramp", circle=True)
    out = recon / 0.02 * 1000 - 1000 + 1024
    inside = np.hypot(*np.mgrid[-1 : 1 : size * 1j, -1 : 1 : size * 1j]) <= 1
    stored = np.where(inside, np.clip(np.rint(out), 0, 4095), 0)
    return stored.astype(np.uint16), 12


def radiograph(
    rng: np.random.Generator,
    rows: int = 1024,
    cols: int = 832,
    quanta: tuple[float, float] = (200, 3000),
) -> tuple[np.ndarray, int]:
    """(uint16, bits) of a simulated projection radiograph (CR/DX); ``quanta``: the
    range of the unattenuated quanta per pixel (the training and development data use
    the default, which starves the densest regions of photons:
    benchmarks/probes/generic_coders.py)."""
    from scipy.ndimage import gaussian_filter

    shape = (rows, cols)
    path = np.zeros(shape)
    for _ in range(rng.integers(2, 5)):  # soft tissue, thick
        path += rng.uniform(5, 15) * gaussian_filter(
            _ellipse(shape, rng, 1.8, 0.2).astype(float), 20
        )
    for _ in range(rng.integers(3, 12)):  # bones: long ellipses, cortical rim
        bone = _ellipse(shape, rng, 0.9, 0.6)
        path += rng.uniform(1, 4) * 3 * gaussian_filter(bone.astype(float), 2)
    path += 0.8 * _smooth_noise(shape, rng, 3.0).clip(-2, 2) + 1.6
    detected = rng.poisson(rng.uniform(*quanta) * np.exp(-0.18 * path)).astype(float)
    detected = gaussian_filter(detected, rng.uniform(0.6, 1.5))
    bits = int(rng.choice([10, 12, 12, 14, 15]))
    signal = np.log1p(detected)
    signal = (signal - signal.min()) / max(np.ptp(signal), 1e-9)
    field = np.ones(shape, bool)  # collimation: a soft-edged rectangle
    top, left = rng.integers(0, rows // 8), rng.integers(0, cols // 8)
    field[:top], field[:, :left] = False, False
    field[rows - rng.integers(0, rows // 8) :] = False
    edge = gaussian_filter(field.astype(float), 3)
    signal = signal * (0.3 + 0.7 * edge)
    return np.rint(signal * ((1 << bits) - 1)).astype(np.uint16), bits


def ultrasound(
    rng: np.random.Generator, rows: int = 480, cols: int = 640
) -> tuple[np.ndarray, int]:
    """(uint16 with 8-bit values, 8) of a simulated grey B-mode image."""
    from scipy.signal import fftconvolve

    shape = (rows, cols)
    reflect = np.full(shape, 0.3)
    for _ in range(rng.integers(3, 9)):
        reflect[_ellipse(shape, rng, 1.0, 0.6)] = rng.choice([0.02, 0.3, 0.8, 1.5])
    reflect *= np.exp(0.3 * _smooth_noise(shape, rng, 2.0))
    scatter = (rng.normal(size=shape) + 1j * rng.normal(size=shape)) * np.sqrt(reflect)
    ay, ax = np.mgrid[-6:7, -10:11]
    freq = rng.uniform(0.6, 1.2)
    pulse = np.exp(-((ay / rng.uniform(1.0, 2.0)) ** 2) - (ax / rng.uniform(2.5, 5)) ** 2)
    pulse = pulse * np.exp(1j * freq * ay)
    envelope = np.abs(fftconvolve(scatter, pulse, mode="same"))
    depth = np.linspace(0, 1, rows)[:, None]
    envelope *= np.exp(-rng.uniform(0.5, 2.0) * depth) * (1 + 2 * depth)  # TGC, roughly
    db = 20 * np.log10(envelope / np.percentile(envelope, 99.5) + 1e-6)
    grey = np.clip((db + rng.uniform(45, 60)) / 60, 0, 1) * 255
    yy, xx = np.mgrid[0:rows, 0:cols]
    angle = np.arctan2(xx - cols / 2, yy + rows * 0.1)
    sector = (np.abs(angle) < rng.uniform(0.5, 0.8)) & (np.hypot(xx - cols / 2, yy) < rows * 0.98)
    return np.where(sector, np.rint(grey), 0).astype(np.uint16), 8


def mammogram(
    rng: np.random.Generator, rows: int = 1024, cols: int = 768
) -> tuple[np.ndarray, int]:
    """(uint16, bits) of a simulated mammogram (breast on one side, air elsewhere)."""
    from scipy.ndimage import gaussian_filter

    yy, xx = np.mgrid[0:rows, 0:cols] / max(rows, cols)
    radius = rng.uniform(0.45, 0.7)
    r = np.hypot((yy - rows / max(rows, cols) / 2) / 1.3, xx)
    breast = r < radius
    thickness = np.sqrt(np.clip(1 - (r / radius) ** 2, 0, 1))
    dense = (_smooth_noise((rows, cols), rng, 3.2) + rng.uniform(-0.5, 0.8)).clip(0, None)
    dense = gaussian_filter(dense, 1.0) * breast
    path = 4.0 * thickness + rng.uniform(0.5, 2.0) * dense * thickness
    for _ in range(rng.integers(0, 30)):  # calcifications
        y, x = rng.integers(0, rows), rng.integers(0, cols)
        if breast[y, x]:
            path[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2] += rng.uniform(1, 3)
    quanta = rng.uniform(500, 5000)
    detected = rng.poisson(quanta * np.exp(-0.5 * path)).astype(float)
    bits = int(rng.choice([12, 14]))
    signal = np.log(quanta + 1) - np.log1p(detected)
    signal = (signal - signal.min()) / max(np.ptp(signal), 1e-9)
    return np.rint(signal * ((1 << bits) - 1)).astype(np.uint16), bits


GENERATORS = {"CT": ct_slice, "CRDX": radiograph, "US": ultrasound, "MG": mammogram}
