"""ANLM filter: denoising gain, noise map, invariants (dtype, shape, range, frames, NaN)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from medcomp_gui.filters.anlm import (
    anlm,
    denoise_image,
    method_noise,
    noise_map,
    rayleigh_background,
)
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
    # also with every modality's defaults (MR assumes magnitudes where it cannot test)
    large = np.full((96, 128), value, dtype=dtype)
    for modality in ("MR", "CT", "OT"):
        image = MedicalImage(large, bits_stored=bits, modality=modality)
        assert np.array_equal(denoise_image(image).pixels, large)


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


def padded_phantom(background: float, high: float = 3000.0) -> np.ndarray:
    """A 96-pixel phantom inside a 32-pixel margin of ``background``, 160 x 160 float64."""
    clean = np.full((160, 160), background)
    clean[32:128, 32:128] = phantom(96, high=high, background=background)
    return clean


def test_rayleigh_background_found() -> None:
    noisy = rician_uint16(padded_phantom(0.0), 150.0)
    assert rayleigh_background(noisy) is True
    # the same magnitudes stored with an offset (signed values)
    assert rayleigh_background(noisy.astype(np.int16) - 1024) is True
    # a smaller sigma, and one that rises across the image
    assert rayleigh_background(rician_uint16(padded_phantom(0.0), 8.0)) is True
    ramp = np.broadcast_to(np.linspace(40.0, 160.0, 160), (160, 160))
    assert rayleigh_background(rician_uint16(padded_phantom(0.0), ramp)) is True


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_rayleigh_background_not_found_in_gaussian_noise(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # CT-like: air at -1000 HU with Gaussian noise around a soft-tissue body, signed; its
    # lowest noise is far above the minimum, like Rician noise at high SNR: nothing to test
    ct = padded_phantom(-1000.0, high=1000.0) + rng.normal(0.0, 40.0, (160, 160))
    assert rayleigh_background(np.rint(ct).astype(np.int16)) is None
    # Gaussian noise clipped at the stored minimum: half the background at 0 ...
    clipped = np.maximum(padded_phantom(0.0) + rng.normal(0.0, 100.0, (160, 160)), 0.0)
    assert rayleigh_background(np.rint(clipped).astype(np.uint16)) is False
    # ... or 1.8 sigma above it, where mean over std (1.88) is Rayleigh-like and only
    # the skewness (about 0.2, Rayleigh 0.63) tells them apart
    near = np.maximum(padded_phantom(180.0) + rng.normal(0.0, 100.0, (160, 160)), 0.0)
    assert rayleigh_background(np.rint(near).astype(np.uint16)) is False


def test_rayleigh_background_needs_most_background_blocks() -> None:
    rng = np.random.default_rng(9)
    # clipped Gaussian background (14 blocks) around a Rayleigh patch (2 blocks)
    frame = np.maximum(rng.normal(0.0, 100.0, (128, 128)), 0.0)
    frame[32:64, 32:96] = rician_uint16(np.zeros((32, 64)), 100.0)
    assert rayleigh_background(np.rint(frame).astype(np.uint16)) is False
    frame[:, 32:96] = rician_uint16(np.zeros((128, 64)), 100.0)
    assert rayleigh_background(np.rint(frame).astype(np.uint16)) is True


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rayleigh_background_not_found_in_speckle(seed: int) -> None:
    # ultrasound envelope: Rayleigh values too, but correlated over pixels (the speckle
    # is the tissue signal, not additive noise); its spread is not the residual's
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    real, imag = (ndimage.gaussian_filter(rng.normal(size=(160, 160)), 1.5) for _ in "ri")
    envelope = np.hypot(real, imag)
    speckle = np.rint(envelope * 300.0 / envelope.std()).astype(np.uint16)
    assert rayleigh_background(speckle) is None


def test_rayleigh_background_untestable_without_noise() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rayleigh_background(np.zeros((128, 128), dtype=np.uint16)) is None
        assert rayleigh_background(np.full((64, 96), -1024, dtype=np.int16)) is None
    assert rayleigh_background(np.rint(padded_phantom(0.0)).astype(np.uint16)) is None
    # too small for a block of 32 x 32
    assert rayleigh_background(rician_uint16(np.zeros((20, 200)), 100.0)) is None
    with pytest.raises(ValueError):
        rayleigh_background(np.zeros((2, 40, 40)))


def test_auto_rician_follows_the_pixels_not_the_modality() -> None:
    clean = padded_phantom(0.0)
    noisy = rician_uint16(clean, 150.0)
    background = clean == 0
    outputs = [
        denoise_image(MedicalImage(noisy, bits_stored=12, modality=m), strength=1.0).pixels
        for m in ("MR", "CT", "OT")
    ]
    assert all(np.array_equal(outputs[0], out) for out in outputs[1:])
    auto = outputs[0]
    plain = anlm(noisy, low=0, high=4095, rician=False)
    explicit = anlm(noisy, low=0, high=4095, rician=True)
    assert plain[background].mean() > 120
    assert auto[background].mean() < 0.5 * plain[background].mean()
    assert abs(auto[background].mean() - explicit[background].mean()) < 2.0
    assert psnr(clean, auto, 12) > psnr(clean, plain, 12) + 1.0
    # explicit False is honoured
    image = MedicalImage(noisy, bits_stored=12, modality="MR")
    assert np.array_equal(denoise_image(image, strength=1.0, rician=False).pixels, plain)


def test_auto_rician_with_a_signed_zero() -> None:
    clean = padded_phantom(0.0) - 1024.0
    noisy = rician_uint16(clean + 1024.0, 150.0).astype(np.int16) - 1024
    background = clean == -1024
    image = MedicalImage(noisy, bits_stored=16, modality="CT")
    auto = denoise_image(image).pixels.astype(np.float64) + 1024
    plain = denoise_image(image, rician=False).pixels.astype(np.float64) + 1024
    assert auto[background].mean() < 0.5 * plain[background].mean()
    # an explicit request for the stored-0 zero is refused on negative values
    with pytest.raises(ValueError, match="Rician"):
        denoise_image(image, rician=True)
    with pytest.raises(ValueError, match="rician"):
        anlm(noisy, low=-32768, high=32767, rician="yes")  # type: ignore[arg-type]


def test_mr_assumed_rician_only_where_untestable() -> None:
    # the object fills the frame: no background to test, so MR falls back on magnitudes
    # about stored 0 and other modalities on no correction
    noisy = rician_uint16(phantom(background=0.0), 150.0)
    assert rayleigh_background(noisy) is None
    mr = MedicalImage(noisy, bits_stored=12, modality="MR")
    ct = MedicalImage(noisy, bits_stored=12, modality="CT")
    assert np.array_equal(denoise_image(mr).pixels, denoise_image(mr, rician=True).pixels)
    assert not np.array_equal(denoise_image(mr).pixels, denoise_image(mr, rician=False).pixels)
    assert np.array_equal(denoise_image(ct).pixels, denoise_image(ct, rician=False).pixels)
    # negative stored values are no magnitudes about 0: no correction, no error
    signed = MedicalImage(noisy.astype(np.int16) - 100, bits_stored=16, modality="MR")
    assert np.array_equal(denoise_image(signed).pixels, denoise_image(signed, rician=False).pixels)
    # a background that is tested and not Rayleigh (clipped Gaussian) overrules the MR prior
    rng = np.random.default_rng(10)
    clipped = np.maximum(padded_phantom(0.0) + rng.normal(0.0, 100.0, (160, 160)), 0.0)
    gaussian_mr = MedicalImage(np.rint(clipped).astype(np.uint16), bits_stored=12, modality="MR")
    assert np.array_equal(
        denoise_image(gaussian_mr).pixels, denoise_image(gaussian_mr, rician=False).pixels
    )


def test_gaussian_ct_is_not_corrected() -> None:
    rng = np.random.default_rng(8)
    clean = padded_phantom(-1000.0, high=1000.0)
    noisy = np.rint(clean + rng.normal(0.0, 40.0, clean.shape)).astype(np.int16)
    image = MedicalImage(noisy, bits_stored=16, modality="CT")
    default = denoise_image(image).pixels
    assert np.array_equal(default, denoise_image(image, rician=False).pixels)
    assert psnr(clean, default, 16) > psnr(clean, noisy, 16) + 5.0


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
