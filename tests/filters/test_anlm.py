"""ANLM filter: denoising gain, noise map, invariants (dtype, shape, range, frames, NaN)."""

from __future__ import annotations

import numpy as np
import pytest

from medcomp_gui.filters.anlm import anlm, denoise_image, method_noise, noise_map
from medcomp_gui.imaging.image import MedicalImage
from medcomp_gui.metrics import psnr


def phantom(size: int = 128, high: float = 3000.0, background: float = 300.0) -> np.ndarray:
    """Piecewise-smooth test object (float64): background, ellipse, inserts, a ramp."""
    y, x = np.mgrid[0:size, 0:size] / size
    image = np.full((size, size), background)
    body = ((x - 0.5) / 0.42) ** 2 + ((y - 0.5) / 0.36) ** 2 < 1
    image[body] = 0.45 * high
    image[body] += 0.15 * high * x[body]
    for cx, cy, r, level in (
        (0.35, 0.45, 0.08, 0.9),
        (0.62, 0.55, 0.12, 0.25),
        (0.5, 0.3, 0.04, 0.7),
    ):
        image[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = level * high
    return image


def noisy_uint16(clean: np.ndarray, sigma: np.ndarray | float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noisy = clean + rng.normal(size=clean.shape) * sigma
    return np.clip(np.rint(noisy), 0, 4095).astype(np.uint16)


def rician_uint16(clean: np.ndarray, sigma: float, seed: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    magnitude = np.hypot(
        clean + rng.normal(size=clean.shape) * sigma, rng.normal(size=clean.shape) * sigma
    )
    return np.clip(np.rint(magnitude), 0, 4095).astype(np.uint16)


def test_raises_psnr_on_noisy_phantom() -> None:
    clean = phantom()
    noisy = noisy_uint16(clean, 150.0)
    out = anlm(noisy, low=0, high=4095)
    before = psnr(clean, noisy, 12)
    after = psnr(clean, out, 12)
    assert after - before >= 8.0, (before, after)


def test_rician_correction_removes_background_bias() -> None:
    clean = np.zeros((160, 160))
    clean[32:128, 32:128] = phantom(96, background=0.0)
    noisy = rician_uint16(clean, 150.0)
    background = clean == 0
    plain = anlm(noisy, low=0, high=4095, rician=False)
    corrected = anlm(noisy, low=0, high=4095, rician=True)
    # Rayleigh background: mean about 1.25 sigma before correction
    assert plain[background].mean() > 120
    assert corrected[background].mean() < 0.5 * plain[background].mean()
    assert psnr(clean, corrected, 12) > psnr(clean, plain, 12) + 1.0


def test_noise_map_follows_varying_sigma() -> None:
    clean = phantom(192)
    sigma = np.broadcast_to(np.linspace(20.0, 160.0, 192), clean.shape)
    noisy = noisy_uint16(clean, sigma)
    estimate = noise_map(noisy)
    assert estimate.dtype == np.float32
    assert estimate.shape == clean.shape
    assert np.corrcoef(estimate.ravel(), sigma.ravel())[0, 1] > 0.8
    assert np.median(estimate / sigma) == pytest.approx(1.0, abs=0.15)


def test_noise_map_rician_background() -> None:
    noisy = rician_uint16(np.zeros((128, 128)), 100.0)
    assert np.median(noise_map(noisy, rician=True)) == pytest.approx(100.0, rel=0.1)
    # without the correction the Rayleigh spread underestimates sigma
    assert np.median(noise_map(noisy, rician=False)) < 80.0


def test_smoothing_follows_local_noise() -> None:
    # fine stripes (80 units, 2 pixels wide) under noise of sigma 15 (left) and 150 (right)
    y, x = np.mgrid[0:128, 0:256]
    clean = 2000.0 + 80.0 * ((x // 2) % 2) * ((y // 16) % 2)
    sigma = np.where(x < 128, 15.0, 150.0)
    noisy = noisy_uint16(clean, sigma)
    error = anlm(noisy, low=0, high=4095).astype(np.float64) - clean
    left = np.sqrt(np.mean(error[:, 10:118] ** 2))
    right = np.sqrt(np.mean(error[:, 138:246] ** 2))
    # the stripes survive on the left and the strong noise goes on the right; any single
    # sigma for the whole frame either blurs the stripes or leaves the noise
    assert left < 0.5 * 15.0, left
    assert right < 0.4 * 150.0, right


@pytest.mark.parametrize(
    ("dtype", "bits", "low", "high"),
    [(np.uint8, 8, 0, 255), (np.uint16, 12, 0, 4095), (np.int16, 16, -32768, 32767)],
)
def test_constant_image_stays_constant(dtype: type, bits: int, low: int, high: int) -> None:
    value = {np.uint8: 77, np.uint16: 1234, np.int16: -1024}[dtype]
    frame = np.full((40, 50), value, dtype=dtype)
    out = anlm(frame, low=low, high=high)
    assert out.dtype == frame.dtype
    assert np.array_equal(out, frame)


@pytest.mark.parametrize(
    ("dtype", "bits", "offset"),
    [
        (np.uint8, 8, 0),
        (np.uint16, 12, 0),
        (np.uint16, 16, 0),
        (np.int16, 16, -1024),
        (np.int16, 12, -2048),
    ],
)
def test_dtype_shape_and_range_preserved(dtype: type, bits: int, offset: int) -> None:
    image = MedicalImage(np.zeros((1, 1), dtype=dtype), bits_stored=bits)
    low, high = image.stored_range
    rng = np.random.default_rng(3)
    # values at both ends of the stored range plus strong noise: clipping must hold
    clean = np.where(phantom(61)[:, :47] > 0, high, low).astype(np.float64)
    noisy = np.clip(clean + rng.normal(0, 0.2 * (high - low), clean.shape), low, high)
    frame = np.rint(noisy).astype(dtype)
    image = MedicalImage(frame, bits_stored=bits, modality="CT")
    out = denoise_image(image)
    assert out.pixels.dtype == frame.dtype
    assert out.pixels.shape == frame.shape
    assert out.pixels.min() >= low and out.pixels.max() <= high
    assert not np.array_equal(out.pixels, frame)
    assert psnr(clean, out.pixels, bits) > psnr(clean, frame, bits)


def test_multi_frame_is_filtered_frame_by_frame() -> None:
    frames = np.stack(
        [noisy_uint16(phantom(64), 100.0, seed=s) for s in range(2)]
        + [np.full((64, 64), 500, dtype=np.uint16)]
    )
    image = MedicalImage(frames, bits_stored=12, modality="CT")
    out = denoise_image(image, strength=1.0)
    assert out.pixels.shape == frames.shape and out.pixels.dtype == np.uint16
    for index in range(3):
        single = anlm(frames[index], low=0, high=4095, strength=1.0)
        assert np.array_equal(out.pixels[index], single)
    assert np.array_equal(out.pixels[2], frames[2])
    assert out.modality == "CT" and out is not image


def test_mr_defaults_use_rician_correction() -> None:
    noisy = rician_uint16(phantom(background=0.0), 150.0)
    image = MedicalImage(noisy, bits_stored=12, modality="MR")
    default = denoise_image(image).pixels
    assert np.array_equal(default, denoise_image(image, rician=True).pixels)
    assert not np.array_equal(default, denoise_image(image, rician=False).pixels)
    # negative stored values: the MR default quietly drops the correction ...
    signed = MedicalImage((noisy.astype(np.int16) - 100), bits_stored=16, modality="MR")
    assert denoise_image(signed).pixels.dtype == np.int16
    # ... an explicit request is refused
    with pytest.raises(ValueError, match="Rician"):
        denoise_image(signed, rician=True)


def test_no_nan_with_extreme_contrast_and_float_input() -> None:
    checker = (np.indices((64, 64)).sum(axis=0) % 2).astype(np.float32) * 65535.0
    checker[20:30, 20:30] = 0.0
    out = anlm(checker, low=0, high=65535, sigma=0.0)
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))
    assert np.abs(out - checker).max() < 1.0
    noisy = noisy_uint16(phantom(64), 300.0).astype(np.float32)
    assert np.all(np.isfinite(anlm(noisy, low=0, high=4095, rician=True)))
    # weights that all underflow leave the pixel as it was
    faint = anlm(noisy, low=0, high=4095, strength=0.01)
    assert np.all(np.isfinite(faint))
    assert np.abs(faint - noisy).max() < 1.0
    assert np.all(np.isfinite(noise_map(np.zeros((5, 3)))))


def test_strength_zero_is_identity_and_method_noise() -> None:
    noisy = noisy_uint16(phantom(64), 100.0)
    image = MedicalImage(noisy, bits_stored=12, modality="CT")
    assert np.array_equal(denoise_image(image, strength=0.0).pixels, noisy)
    filtered = denoise_image(image)
    residual = method_noise(image, filtered)
    assert residual.dtype == np.float32 and residual.shape == noisy.shape
    assert np.array_equal(residual, noisy.astype(np.float32) - filtered.pixels)
    assert 0.6 * 100 < residual.std() < 1.4 * 100
    with pytest.raises(ValueError):
        method_noise(image, image.with_pixels(noisy[:32]))
