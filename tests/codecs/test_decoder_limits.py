"""Decoders check their payload against the .mcz header before allocating, and a native
coder's failure (constriction's Rust panic included) is a CodecError (issue 11)."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest
from mcz_tools import forge, split

from medcomp_gui import api
from medcomp_gui.errors import CodecError, MedcompError
from medcomp_gui.imaging import MedicalImage

CODECS = [
    ("rwnet", {"quality": 2}),
    ("svd", {"rank": 3}),
    ("jpeg2000", {"lossless": True}),
    ("htj2k", {"lossless": True}),
    ("jpegls", {"lossless": True}),
    ("jpegxl", {"lossless": True}),
]


@pytest.fixture(scope="module")
def small_image() -> MedicalImage:
    from reference_images import phantom

    return MedicalImage(phantom((24, 20), 12, False), 12)


@pytest.mark.parametrize(("codec", "params"), CODECS, ids=[c for c, _ in CODECS])
@pytest.mark.parametrize("shape", [[16384, 16384], [4, 4096, 4096], [20, 24], [24, 21]])
def test_header_shape_that_does_not_match_the_payload(small_image, codec, params, shape):
    """The issue's 1.4 KB SVD file decoded to a 16384 x 16384 garbage image (6.3 GB,
    19 s). Every codec now refuses such a header before allocating anything of its size."""
    header, payload, dicom = split(api.compress(small_image, codec, **params))
    forged = forge({**header, "shape": shape}, payload, dicom)
    api.decompress(api.compress(small_image, codec, **params))  # warm: model, libraries
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(CodecError):
            api.decompress(forged)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 2.0
    assert peak < 16 << 20, peak


def test_svd_payload_must_use_up_its_coded_words(small_image):
    header, payload, dicom = split(api.compress(small_image, "svd", rank=3))
    for extra in (b"\x00\x00\x00\x00", b"\xff\xff\xff\xff"):
        frames = bytearray(payload)
        # one more (garbage) word in the bitstream: lengths fixed up, words left over
        n_words_at = 12 + 6 * 21  # magic, frames, rank, 2k vector headers
        n_words = int.from_bytes(frames[n_words_at : n_words_at + 4], "little")
        frames[n_words_at : n_words_at + 4] = (n_words + 1).to_bytes(4, "little")
        frames += extra
        with pytest.raises(CodecError):
            api.decompress(forge(header, bytes(frames), dicom))


@pytest.mark.parametrize(
    "pixels",
    [
        np.full((40, 30), 700, np.uint16),  # constant: rank 1, every vector one value
        np.tile(np.arange(30, dtype=np.uint16), (40, 1)),  # rank 1
        np.arange(40, dtype=np.uint16).reshape(40, 1),  # one column
        np.arange(30, dtype=np.uint16).reshape(1, 30),  # one row
        np.zeros((5, 5), np.uint16),
    ],
    ids=["constant", "rank1", "column", "row", "zeros"],
)
def test_svd_encodes_low_rank_and_narrow_images(pixels):
    """constriction panicked (a Rust PanicException, not an Exception) on these."""
    image = MedicalImage(pixels, 12)
    for rank in (1, 2, 8):
        restored = api.decompress(api.compress(image, "svd", rank=rank))
        assert restored.pixels.shape == pixels.shape
        assert np.abs(restored.pixels.astype(int) - pixels).max() <= 2


def test_svd_hand_built_vector_header_is_a_codec_error(small_image):
    """A vector header with an empty symbol range made constriction panic."""
    import struct

    header, payload, dicom = split(api.compress(small_image, "svd", rank=1))
    frames = bytearray(payload)
    first_vector = 12
    step, centre, scale, lo, span, diff = struct.unpack_from("<fffiIB", frames, first_vector)
    for forged_span, forged_centre in ((0, lo), (1, lo + 5)):
        struct.pack_into(
            "<fffiIB", frames, first_vector, step, forged_centre, scale, lo, forged_span, diff
        )
        with pytest.raises(CodecError):
            api.decompress(forge(header, bytes(frames), dicom))


def test_panic_from_a_native_coder_becomes_a_codec_error(monkeypatch, small_image):
    """pyo3's PanicException derives from BaseException: ``except Exception`` misses it."""
    from medcomp_gui.codecs.base import native_errors

    class PanicException(BaseException):  # the name is what identifies pyo3's panics
        pass

    with pytest.raises(CodecError, match="internal check"):
        with native_errors("coder"):
            raise PanicException("assertion failed: support.end() > support.start()")
    with pytest.raises(KeyboardInterrupt):
        with native_errors("coder"):
            raise KeyboardInterrupt
    import constriction

    def panic(*args, **kwargs):
        raise PanicException("assertion failed")

    monkeypatch.setattr(constriction.stream.model, "QuantizedLaplace", panic)
    with pytest.raises(CodecError):
        api.compress(small_image, "svd", rank=2)


def test_codestream_of_another_size_is_refused_before_decoding(small_image):
    """A codestream whose own header claims another size than the .mcz header."""
    other = MedicalImage(np.zeros((48, 40), np.uint16), 12)
    for codec in ("jpeg2000", "htj2k", "jpegls", "jpegxl"):
        header, _, dicom = split(api.compress(small_image, codec, lossless=True))
        _, payload, _ = split(api.compress(other, codec, lossless=True))
        with pytest.raises(CodecError, match="codestream is 48x40"):
            api.decompress(forge(header, payload, dicom))


def test_jpegls_codestream_near_must_match_the_header(small_image):
    header, _, dicom = split(api.compress(small_image, "jpegls", lossless=True))
    _, lossy, _ = split(api.compress(small_image, "jpegls", near=3))
    with pytest.raises(MedcompError, match="NEAR=3"):
        api.decompress(forge(header, lossy, dicom))
