"""RWNet's post-filter (payload version 10): the least-squares fit, its side information,
the encoder's choice, and what the decoder does with it."""

from __future__ import annotations

import numpy as np
import pytest

from medcomp_gui.codecs.base import PayloadInfo
from medcomp_gui.errors import CodecError


def _smooth_and_blurred(seed: int = 0, shape=(96, 80)):
    """(an image with edges, the same image blurred and a little noisy) as float64."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    image = 0.3 * np.sin(rows / 7.0) + 0.2 * (cols > shape[1] // 2) - 0.1 * (rows > cols)
    padded = np.pad(image, 1, mode="symmetric")
    blurred = (
        sum(
            padded[1 + di : 1 + di + shape[0], 1 + dj : 1 + dj + shape[1]]
            for di in (-1, 0, 1)
            for dj in (-1, 0, 1)
        )
        / 9.0
    )
    return image, blurred + 0.002 * rng.standard_normal(shape)


def test_fit_undoes_part_of_a_blur_and_predicts_its_own_error() -> None:
    from medcomp_gui.codecs.rwnet import postfilter

    image, blurred = _smooth_and_blurred()
    fitted, before = postfilter.fit(blurred, image)
    assert [c.size for c, _ in fitted] == list(postfilter.SHAPES) == [3, 7, 13, 21]
    assert before == pytest.approx(((blurred - image) ** 2).mean(), rel=1e-5)
    for coefficients, after in fitted:
        assert coefficients.dtype == np.int64
        filtered = postfilter.apply(blurred, coefficients)
        assert after == pytest.approx(((filtered - image) ** 2).mean(), rel=1e-4)
    errors = [after for _, after in fitted]
    assert errors == sorted(errors, reverse=True)  # a larger diamond fits no worse
    assert errors[-1] < 0.7 * before


def test_a_large_frame_is_fitted_on_spread_chunks_whose_error_stands_for_the_frame() -> None:
    from medcomp_gui.codecs.rwnet import postfilter

    image, blurred = _smooth_and_blurred(4, shape=(1024, 640))  # 2.5 x FIT_PIXELS
    fitted, before = postfilter.fit(blurred, image)
    coefficients, after = fitted[-1]
    filtered = postfilter.apply(blurred, coefficients)
    # half of the rows, in four chunks: the errors are those of the whole frame
    # within 10 % (this image's edges are not spread evenly over its rows)
    assert before == pytest.approx(((blurred - image) ** 2).mean(), rel=0.1)
    assert after == pytest.approx(((filtered - image) ** 2).mean(), rel=0.1)
    assert after < 0.7 * before


def test_the_identity_filter_changes_nothing_and_a_flat_frame_fits_one() -> None:
    from medcomp_gui.codecs.rwnet import postfilter

    _, blurred = _smooth_and_blurred(1)
    identity = np.zeros(postfilter.TAPS, np.int64)
    np.testing.assert_array_equal(postfilter.apply(blurred, identity), blurred.astype(np.float32))
    flat = np.full((32, 48), 0.25)
    fitted, before = postfilter.fit(flat, flat)
    assert before == pytest.approx(0.0, abs=1e-12)
    assert all(after <= before + 1e-12 for _, after in fitted)


def test_an_ill_conditioned_fit_sends_no_wild_filter(monkeypatch) -> None:
    """A frame that carries nothing of its target (a whisper of noise against louder,
    independent noise): least squares asks for huge coefficients; the fit offers none
    beyond ``LIMIT``, so what it sends codes and decodes."""
    from medcomp_gui.codecs.rwnet import postfilter

    rng = np.random.default_rng(6)
    decoded = 1e-7 * rng.standard_normal((64, 48))
    target = 1e-4 * rng.standard_normal((64, 48))
    for coefficients, _ in postfilter.fit(decoded, target)[0]:
        assert np.abs(coefficients).max() <= postfilter.LIMIT
        side = postfilter.packed(coefficients)
        np.testing.assert_array_equal(postfilter.unpacked(side, 0)[0], coefficients)
    monkeypatch.setattr(postfilter, "LIMIT", 10**30)  # what the guard keeps out
    fitted, _ = postfilter.fit(decoded, target)
    assert max(np.abs(c).max() for c, _ in fitted) > 64 * postfilter.UNIT


def test_side_information_round_trips_and_damage_is_a_codec_error() -> None:
    from medcomp_gui.codecs.rwnet import postfilter

    rng = np.random.default_rng(3)
    for n in range(20):
        coefficients = rng.integers(-3000, 3000, postfilter.SHAPES[n % 4])
        side = postfilter.packed(coefficients)
        back, pos = postfilter.unpacked(side + b"rest", 0)
        np.testing.assert_array_equal(back, coefficients)
        assert pos == len(side)
    assert postfilter.packed(None) == b"\x00"
    assert postfilter.unpacked(b"\x00rest", 0) == (None, 1)
    side = postfilter.packed(coefficients)
    too_large = postfilter.packed(np.array([postfilter.LIMIT + 1, 0, 0]))
    for bad in (
        too_large,
        b"",
        bytes([5]) + side[1:],
        side[:-1],
        side[:1] + bytes([0xFF] * 6),
    ):  # 5: no shape
        with pytest.raises(CodecError):
            postfilter.unpacked(bad, 0)


def test_the_encoder_sends_the_filter_whose_gain_is_worth_most_beyond_its_bytes() -> None:
    from medcomp_gui.codecs.rwnet import postfilter

    image, blurred = _smooth_and_blurred(2)
    fitted, before = postfilter.fit(blurred, image)
    level = 4
    # the bytes at which each shape's gain, at the level's dB per doubling, is worth its
    # side information
    even = [
        len(postfilter.packed(c))
        * postfilter.DB_PER_DOUBLING[level]
        / (postfilter.WORTH_FACTOR * 10 * np.log10(before / e))
        for c, e in fitted
    ]
    assert postfilter.choose(blurred, image, level, int(min(even) * 0.9)) is None
    assert postfilter.choose(blurred, image, level, int(min(even) * 1.1)) is not None
    # many bytes: the side information hardly counts, the largest diamond fits best
    assert postfilter.choose(blurred, image, level, 10**9).size == postfilter.TAPS
    # the stored values' rounding counts as error on both sides: a coarse quantum
    # leaves the filter's gain too small to pay
    assert postfilter.choose(blurred, image, level, int(max(even) * 1.1), quantum=0.5) is None
    # nothing to gain: no filter
    assert postfilter.choose(image, image, level, 10**9) is None


def test_a_radiograph_decodes_closer_to_the_original_with_its_filter(codec, monkeypatch) -> None:
    """A simulated radiograph at a middle level: the encoder sends a filter, the decoder
    applies it, and the image is closer to the original than without it (the filter's
    side information is part of the payload's size)."""
    from medcomp_gui.codecs.rwnet import postfilter, simulate
    from medcomp_gui.codecs.rwnet.codec import _read_mask, _read_side, _split, load_model
    from medcomp_gui.imaging.image import MedicalImage

    values, bits = simulate.radiograph(np.random.default_rng(5), 512, 448)
    image = MedicalImage(values.astype(np.uint16), bits)
    enc = codec.encode(image, quality=6)
    info = PayloadInfo(values.shape, np.dtype(np.uint16), bits, enc.params, enc.extra)
    tables = load_model().tables
    version, level, frames = _split(enc.payload, 1, *values.shape, tables.channels)
    _, frame = _read_mask(frames[0], *values.shape)
    kernel = _read_side(frame, level, tables.levels, version)[4]
    assert version == 10 and kernel is not None
    with_filter = codec.decode(enc.payload, info)
    monkeypatch.setattr(postfilter, "apply", lambda decoded, coefficients: decoded)
    without = codec.decode(enc.payload, info)
    error = [np.mean((v.astype(np.float64) - values) ** 2) for v in (with_filter, without)]
    assert error[0] < 0.97 * error[1]
