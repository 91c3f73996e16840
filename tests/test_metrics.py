"""Metric definitions (DESIGN.md): checked against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from medcomp_gui import metrics


def test_psnr_uses_the_bits_stored_peak():
    ref = np.zeros((10, 10), np.uint16)
    test = ref.copy()
    test[0, 0] = 10  # MSE = 100 / 100 = 1
    assert metrics.psnr(ref, test, 12) == pytest.approx(20 * math.log10(4095))
    assert metrics.psnr(ref, test, 8) == pytest.approx(20 * math.log10(255))
    assert metrics.psnr(ref, ref, 12) == math.inf


def test_signed_values_do_not_overflow():
    ref = np.full((8, 8), -32768, np.int16)
    test = np.full((8, 8), 32767, np.int16)
    assert metrics.max_abs_error(ref, test) == 65535


def test_ratio_and_bpp():
    assert metrics.bpp(1000, 4000) == 2.0
    assert metrics.ratio(1000, 4000, 16) == 8.0


def test_quality_in_output_units():
    ref = np.zeros((16, 16), np.int16)
    test = ref.copy()
    test[3, 3] = 4
    q = metrics.quality(ref, test, bits_stored=12, bits_allocated=16, n_bytes=64, rescale_slope=2.5)
    assert q.max_abs_error == 4 and q.max_abs_error_output == 10.0
    assert q.rmse == pytest.approx(math.sqrt(16 / 256))


def test_ssim_is_one_for_identical_and_lower_for_noise():
    rng = np.random.default_rng(0)
    ref = rng.integers(0, 4096, (32, 32)).astype(np.uint16)
    assert metrics.ssim(ref, ref, 12) == pytest.approx(1.0)
    noisy = np.clip(ref + rng.normal(0, 300, ref.shape), 0, 4095).astype(np.uint16)
    from skimage.metrics import structural_similarity

    expected = structural_similarity(ref.astype(float), noisy.astype(float), data_range=4095)
    assert metrics.ssim(ref, noisy, 12) == pytest.approx(expected)
    assert metrics.ssim(ref, noisy, 12) < 0.99


def test_bd_rate_of_a_scaled_curve():
    psnr = [30.0, 34.0, 38.0, 42.0, 46.0]
    rates = [0.1, 0.2, 0.4, 0.8, 1.6]
    assert metrics.bd_rate(rates, psnr, rates, psnr) == pytest.approx(0.0, abs=1e-9)
    assert metrics.bd_rate(rates, psnr, [r * 0.8 for r in rates], psnr) == pytest.approx(
        -20.0, abs=1e-6
    )
    assert metrics.bd_rate(rates, psnr, [r * 1.5 for r in rates], psnr) == pytest.approx(
        50.0, abs=1e-6
    )


def test_bd_rate_needs_overlap():
    with pytest.raises(ValueError):
        metrics.bd_rate([1, 2, 3, 4], [30, 31, 32, 33], [1, 2, 3, 4], [40, 41, 42, 43])
