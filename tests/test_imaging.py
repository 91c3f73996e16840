"""Readers and writers: every DICOM variant of the reference table, rasters, refusals."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.uid import JPEG2000Lossless, JPEGLSLossless, RLELossless

from medcomp_gui import api
from medcomp_gui.errors import MedcompError, UnsupportedImageError
from medcomp_gui.imaging import MedicalImage


def test_reference_dicoms_load_with_their_attributes(reference):
    ref, path = reference
    image = api.load_image(path)
    expected = pydicom.dcmread(path).pixel_array
    np.testing.assert_array_equal(image.pixels, expected)
    assert image.bits_stored == ref.bits_stored
    assert image.signed == ref.signed
    assert image.photometric == ref.photometric
    assert image.pixels.shape == ref.shape
    assert "PixelData" not in image.dataset
    assert image.dataset.PatientID == "PH-0001"


@pytest.mark.parametrize("syntax", [JPEG2000Lossless, JPEGLSLossless, RLELossless])
def test_compressed_transfer_syntaxes_decode(reference_dir, tmp_path, syntax):
    ds = pydicom.dcmread(reference_dir / "ct_signed.dcm")
    original = ds.pixel_array.copy()
    ds.compress(syntax, generate_instance_uid=False)
    path = tmp_path / "c.dcm"
    ds.save_as(path)
    image = api.load_image(path)
    np.testing.assert_array_equal(image.pixels, original)
    assert image.rescale_intercept == 0 and image.modality == "CT"


def test_ct_windows_come_from_file_then_modality_presets(reference_dir):
    image = api.load_image(reference_dir / "ct_signed.dcm")
    names = [w.name for w in image.windows]
    assert image.windows[0].center == 40 and image.windows[0].width == 400
    assert {"brain", "lung", "bone", "abdomen", "mediastinum"} <= set(names)


@pytest.mark.parametrize("suffix", [".png", ".tif", ".npy"])
def test_raster_round_trip_is_exact(tmp_path, suffix):
    from reference_images import phantom

    pixels = phantom((40, 50), 16, False)
    path = tmp_path / f"x{suffix}"
    api.save(MedicalImage(pixels, 16), path)
    loaded = api.load_image(path)
    np.testing.assert_array_equal(loaded.pixels, pixels)
    assert loaded.pixels.dtype == np.uint16


def test_npy_keeps_signed_values_and_frames(tmp_path):
    from reference_images import phantom

    pixels = phantom((2, 20, 30), 12, True)
    path = tmp_path / "s.npy"
    api.save(MedicalImage(pixels, 12), path)
    np.testing.assert_array_equal(np.load(path), pixels)


def test_eight_bit_jpeg_loads(tmp_path):
    import imagecodecs

    pixels = (np.arange(64 * 64).reshape(64, 64) % 251).astype(np.uint8)
    path = tmp_path / "x.jpg"
    path.write_bytes(imagecodecs.jpeg8_encode(pixels, level=95))
    image = api.load_image(path)
    assert image.pixels.shape == (64, 64) and image.bits_stored == 8


def test_colour_is_refused_not_converted(tmp_path):
    import imagecodecs
    from pydicom.data import get_testdata_file

    rgb = np.zeros((16, 16, 3), np.uint8)
    path = tmp_path / "rgb.png"
    path.write_bytes(imagecodecs.png_encode(rgb))
    with pytest.raises(UnsupportedImageError, match="colour"):
        api.load_image(path)
    with pytest.raises(UnsupportedImageError, match="RGB"):
        api.load_image(get_testdata_file("SC_rgb.dcm"))


def test_signed_png_output_is_refused(tmp_path):
    from reference_images import phantom

    with pytest.raises(UnsupportedImageError, match="signed"):
        api.save(MedicalImage(phantom((8, 8), 12, True), 12), tmp_path / "s.png")


def test_unknown_and_empty_files(tmp_path):
    empty = tmp_path / "e.png"
    empty.write_bytes(b"")
    with pytest.raises(MedcompError, match="empty"):
        api.load_image(empty)
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(MedcompError, match="unknown file type"):
        api.load_image(other)
    with pytest.raises(MedcompError, match="folder"):
        api.load_image(tmp_path)


def test_failed_write_leaves_the_old_file_untouched(tmp_path, monkeypatch):
    import os

    from medcomp_gui.errors import OutputError
    from medcomp_gui.imaging import write_atomic

    target = tmp_path / "keep.bin"
    target.write_bytes(b"old")

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OutputError, match="No space left"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.bin"]


@pytest.mark.parametrize(
    "name",
    [
        "JPGLosslessP14SV1_1s_1f_8b.dcm",  # JPEG Lossless, process 14 (pylibjpeg-libjpeg)
        "emri_small_big_endian.dcm",  # Explicit VR Big Endian, multi-frame
        "emri_small_RLE.dcm",
        "emri_small_jpeg_ls_lossless.dcm",
        "emri_small_jpeg_2k_lossless.dcm",
        "JPEG2000_UNC.dcm",  # signed 16-bit NM
        "CT_small.dcm",
    ],
)
def test_public_sample_files_in_other_syntaxes_load(name):
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name)
    image = api.load_image(path)
    np.testing.assert_array_equal(image.pixels, pydicom.dcmread(path).pixel_array)


def test_file_without_preamble_or_meta_still_loads(reference_dir, tmp_path):
    from pydicom.filewriter import write_dataset

    ds = pydicom.dcmread(reference_dir / "12bit.dcm")
    body = pydicom.Dataset(ds)
    stripped = tmp_path / "nometa.dcm"
    with open(stripped, "wb") as f:
        out = pydicom.filebase.DicomFileLike(f)
        out.is_little_endian, out.is_implicit_VR = True, False
        write_dataset(out, body)  # no preamble, no file meta
    assert stripped.read_bytes()[128:132] != b"DICM"
    np.testing.assert_array_equal(api.load_image(stripped).pixels, ds.pixel_array)
