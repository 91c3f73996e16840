"""RWNet background masks: the mask coder, the mask itself, the fill, and the codec's use
of them (masked pixels come back exactly; the mask is used where it pays)."""

from __future__ import annotations

import numpy as np
import pytest
from reference_images import phantom

from medcomp_gui import varint
from medcomp_gui.codecs.base import PayloadInfo
from medcomp_gui.codecs.rwnet import mask as masks
from medcomp_gui.errors import CodecError
from medcomp_gui.imaging.image import MedicalImage


def _circle(rows: int, cols: int, radius: float, centre=None) -> np.ndarray:
    cy, cx = centre or (rows / 2, cols / 2)
    y, x = np.mgrid[0:rows, 0:cols]
    return (y - cy) ** 2 + (x - cx) ** 2 > radius**2


def _blobs(rows: int, cols: int, seed: int) -> np.ndarray:
    """Ragged random regions: rows whose transition counts change, big jumps (escapes)."""
    rng = np.random.default_rng(seed)
    field = rng.normal(size=(rows // 4 + 1, cols // 4 + 1))
    field = np.kron(field, np.ones((4, 4)))[:rows, :cols]
    return field + 0.3 * rng.normal(size=(rows, cols)) > 0.4


MASKS = {
    "circle": _circle(96, 80, 40),
    "blobs": _blobs(64, 77, 1),
    "noise": np.random.default_rng(2).random((33, 41)) > 0.5,
    "empty": np.zeros((20, 30), bool),
    "full": np.ones((20, 30), bool),
    "stripes": np.tile(np.arange(50) % 7 < 3, (40, 1)),
    "one column": np.random.default_rng(3).random((25, 1)) > 0.5,
    "one row": np.random.default_rng(4).random((1, 60)) > 0.5,
    "jumps": np.tri(64, 64, dtype=bool)[:, ::-1] ^ _circle(64, 64, 20, (10, 50)),
}


@pytest.mark.parametrize("name", MASKS)
def test_mask_round_trip(name: str) -> None:
    mask = MASKS[name]
    data = masks.encode_mask(mask)
    np.testing.assert_array_equal(masks.decode_mask(data, mask.shape), mask)


def test_transitions_round_trip() -> None:
    mask = MASKS["blobs"]
    rows = masks.transitions(mask)
    assert all(t.size % 2 == 0 for t in rows)
    np.testing.assert_array_equal(masks.from_transitions(rows, mask.shape[1]), mask)


def test_smooth_mask_is_cheap() -> None:
    """A circle's border moves by a column or two per row: about a bit per transition
    (1,986 of them: 2,408 bits), far below a general-purpose compressor."""
    import bz2

    mask = _circle(512, 512, 240)
    size = len(masks.encode_mask(mask))
    assert size * 8 < 1.5 * sum(t.size for t in masks.transitions(mask))
    assert size < len(bz2.compress(np.packbits(mask).tobytes(), 9)) / 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d[:1],  # no words
        lambda d: bytes([3]) + d[1:],  # unknown order
        lambda d: d[:-2],  # not whole words
        lambda d: d[:5],  # truncated stream
        lambda d: d + b"\x01\x02\x03\x04",  # unused data
    ],
)
def test_damaged_mask_is_a_codec_error(damage) -> None:
    data = masks.encode_mask(MASKS["blobs"])
    with pytest.raises(CodecError):
        masks.decode_mask(damage(data), MASKS["blobs"].shape)


def test_background_mask_is_part_of_the_lowest_value() -> None:
    values = np.full((80, 90), 500, np.int32)
    values[:, :30] = 0  # a collimated border
    values[40, 50] = 0  # an isolated pixel at the same value
    values[5:10, 60:63] = 0  # a small patch: left to the wavelet
    ragged = np.random.default_rng(0).random(80) > 0.5
    values[ragged, 30] = 0  # a ragged edge
    mask = masks.background_mask(values, 0, 500)
    assert mask is not None
    assert np.all(values[mask] == 0)
    assert mask[:, :28].all()
    assert not mask[40, 50] and not mask[5:10, 60:63].any()
    assert masks.background_mask(values, 1, 500) is None
    assert masks.background_mask(np.zeros((64, 64), np.int32), 0, 0) is None  # constant
    small = np.full((64, 64), 9, np.int32)
    small[:10, :10] = 0
    assert masks.background_mask(small, 0, 9) is None  # under MIN_REGION pixels


def test_soft_borders_get_no_mask() -> None:
    """A collimator's penumbra or MR noise next to the zeros: the border is within
    SOFT_BORDER of the range, the mask would not pay."""
    values = np.full((80, 90), 1000, np.int32)
    values[:, :30] = 0
    values[:, 30:34] = 5  # a soft edge: 0.5 % of the range next to the zeros
    assert masks.background_mask(values, 0, 1000) is None
    values[:, 30:34] = 300  # a sharp one
    assert masks.background_mask(values, 0, 1000) is not None


def test_fill_keeps_the_image_and_continues_it_smoothly() -> None:
    y, x = np.mgrid[0:64, 0:96].astype(np.float32)
    ramp = 0.01 * x + 0.005 * y - 0.5
    mask = _circle(64, 96, 20)  # everything outside a disc is unknown
    filled = masks.fill(ramp, mask)
    np.testing.assert_array_equal(filled[~mask], ramp[~mask])
    assert filled.dtype == np.float32
    assert filled[mask].min() >= ramp[~mask].min() - 1e-6
    assert filled[mask].max() <= ramp[~mask].max() + 1e-6
    # no step at the border: neighbours across it differ like neighbours inside
    step = np.abs(np.diff(filled, axis=1))
    border = mask[:, 1:] != mask[:, :-1]
    assert step[border].max() < 0.05


# ---------------------------------------------------------------- in the codec


def _ct_with_padding(rows: int = 160, cols: int = 144) -> MedicalImage:
    """Signed 12-bit CT-like slice with -2000 padding outside a circle."""
    body = phantom((rows, cols), 12, True, seed=5).astype(np.int32) // 2
    body[_circle(rows, cols, min(rows, cols) * 0.45)] = -2000
    return MedicalImage(body.astype(np.int16), 12, modality="CT")


def _encode(codec, image: MedicalImage, quality: int):
    enc = codec.encode(image, quality=quality)
    info = PayloadInfo(
        image.pixels.shape, image.pixels.dtype, image.bits_stored, enc.params, enc.extra
    )
    return enc, codec.decode(enc.payload, info)


def _frame_starts(payload: bytes, image: MedicalImage) -> list[int]:
    """Where each frame of an RWNet payload starts."""
    from medcomp_gui.codecs.rwnet.codec import _split

    rows, cols = image.pixels.shape[-2:]
    _, _, frames = _split(payload, image.n_frames, rows, cols, 256)
    # each frame ends where the next one's length starts: count back from the end
    ends = [
        len(payload) - sum(len(f) + len(varint.encode(len(f))) for f in frames[i + 1 :])
        for i in range(len(frames))
    ]
    return [end - len(f) for end, f in zip(ends, frames, strict=True)]


def _mask_flag(payload: bytes, image: MedicalImage) -> int:
    return payload[_frame_starts(payload, image)[0]]


@pytest.mark.parametrize("quality", [2, 8])
def test_padding_comes_back_exactly(codec, quality: int) -> None:
    image = _ct_with_padding()
    enc, out = _encode(codec, image, quality)
    padding = image.pixels == -2000
    np.testing.assert_array_equal(out[padding], image.pixels[padding])
    assert out.dtype == image.pixels.dtype


def test_mask_makes_high_quality_frames_smaller(codec) -> None:
    from medcomp_gui.codecs.rwnet.codec import code_frame, load_model

    image = _ct_with_padding(256, 256)
    enc, out = _encode(codec, image, 8)
    assert _mask_flag(enc.payload, image) == 1
    values = image.pixels.astype(np.float32)
    x = (values - values.min()) / (values.max() - values.min()) - 0.5
    plain = code_frame(load_model(), x, 7, None)
    assert plain[0] == 0
    assert len(enc.payload) < 0.9 * len(plain)  # 22,648 against 26,246 bytes


def test_mask_that_costs_more_than_it_saves_is_left_out(codec, monkeypatch) -> None:
    from medcomp_gui.codecs.rwnet import mask

    real = mask.encode_mask
    monkeypatch.setattr(mask, "encode_mask", lambda m: real(m) + bytes(20000))
    image = _ct_with_padding()
    enc, out = _encode(codec, image, 3)
    assert _mask_flag(enc.payload, image) == 0
    assert len(enc.payload) < 20000


def test_damaged_mask_flag_is_a_codec_error(codec) -> None:
    image = _ct_with_padding()
    enc = codec.encode(image, quality=6)
    info = PayloadInfo(
        image.pixels.shape, image.pixels.dtype, image.bits_stored, enc.params, enc.extra
    )
    (at,) = _frame_starts(enc.payload, image)
    for bad in (
        enc.payload[:at] + bytes([7]) + enc.payload[at + 1 :],
        enc.payload[:at] + bytes([1, 0xFF, 0xFF, 0xFF, 0x0F]) + enc.payload[at + 5 :],
    ):
        with pytest.raises(CodecError):
            codec.decode(bad, info)


def test_each_frame_has_its_own_mask(codec) -> None:
    padded = _ct_with_padding(128, 128).pixels
    plain = (phantom((128, 128), 12, True, seed=6).astype(np.int32) // 2).astype(np.int16)
    image = MedicalImage(np.stack([plain, padded]), 12, modality="CT")
    enc, out = _encode(codec, image, 8)
    first, second = _frame_starts(enc.payload, image)
    assert (enc.payload[first], enc.payload[second]) == (0, 1)
    padding = padded == -2000
    np.testing.assert_array_equal(out[1][padding], padded[padding])
    assert out.shape == image.pixels.shape


def test_opening_is_scipys_binary_opening_by_the_square() -> None:
    from scipy import ndimage

    from medcomp_gui.codecs.rwnet import mask

    rng = np.random.default_rng(4)
    square = np.ones((mask.OPENING, mask.OPENING), bool)
    for shape, density in (((37, 53), 0.5), ((64, 64), 0.8), ((9, 120), 0.95)):
        at = rng.random(shape) < density
        at[: shape[0] // 3, : shape[1] // 2] = True  # a region touching two edges
        expected = ndimage.binary_opening(at, structure=square, border_value=1)
        np.testing.assert_array_equal(mask.opening(at), expected)
