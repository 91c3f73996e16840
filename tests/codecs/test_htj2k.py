"""HTJ2K: lossless .mcz and DICOM (1.2.840.10008.1.2.4.201) read back bit-exact with plain
pydicom over the shared reference table; lossy (.203) meets its PSNR and is marked."""

from __future__ import annotations

import io

import numpy as np
import pydicom

from medcomp_gui import api, metrics
from medcomp_gui.codecs import codec_names, dicom_codec_names


def test_htj2k_is_registered_everywhere_codecs_are_listed():
    assert "htj2k" in codec_names() and "htj2k" in dicom_codec_names()
    assert "svd" not in dicom_codec_names() and "rwnet" not in dicom_codec_names()


def test_lossless_dicom_and_mcz_bit_exact(reference):
    ref, path = reference
    image = api.load_image(path)
    data = api.compress_dicom(image, "htj2k", lossless=True)
    ds = pydicom.dcmread(io.BytesIO(data))
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.201"
    assert np.array_equal(ds.pixel_array, pydicom.dcmread(path).pixel_array), ref.id
    assert "LossyImageCompression" not in ds
    restored = api.decompress(api.compress(image, "htj2k"))
    assert np.array_equal(restored.pixels, image.pixels)


def test_lossy_dicom_meets_psnr_and_is_marked(reference_dir):
    image = api.load_image(reference_dir / "12bit.dcm")
    data = api.compress_dicom(image, "htj2k", psnr=48)
    ds = pydicom.dcmread(io.BytesIO(data))
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.203"
    assert metrics.psnr(image.pixels, ds.pixel_array, image.bits_stored) >= 48
    assert ds.LossyImageCompression == "01" and ds.LossyImageCompressionMethod == "ISO_15444_15"
    assert ds.SOPInstanceUID != image.dataset.SOPInstanceUID
    assert len(data) < len(api.compress_dicom(image, "htj2k", lossless=True))
