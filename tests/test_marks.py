"""Lossy DICOM outputs carry the marks of PS3.3 C.7.6.1.1.5; lossless ones keep the UID."""

from __future__ import annotations

import io

import pydicom
import pytest

from medcomp_gui import api

PRESERVED = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "AccessionNumber",
    "StudyDescription",
)


def _count(value) -> int:
    return len(value) if isinstance(value, pydicom.multival.MultiValue) else 1


def assert_lossy_marks(ds, source, method):
    assert ds.LossyImageCompression == "01"
    ratios = ds.LossyImageCompressionRatio
    ratio = float(ratios[-1] if isinstance(ratios, pydicom.multival.MultiValue) else ratios)
    assert ratio > 1.0
    methods = ds.LossyImageCompressionMethod
    assert (methods[-1] if isinstance(methods, pydicom.multival.MultiValue) else methods) == method
    assert _count(ratios) == _count(methods)
    assert ds.ImageType[0] == "DERIVED"
    assert "medcomp" in ds.DerivationDescription
    assert ds.SOPInstanceUID != source.SOPInstanceUID
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert ds.SourceImageSequence[-1].ReferencedSOPInstanceUID == source.SOPInstanceUID
    for keyword in PRESERVED:
        assert ds[keyword].value == source[keyword].value, keyword


@pytest.mark.parametrize(
    ("codec", "params", "method"),
    [
        ("jpeg2000", {"psnr": 45}, "ISO_15444_1"),
        ("jpeg2000", {"ratio": 10}, "ISO_15444_1"),
        ("jpegls", {"near": 3}, "ISO_14495_1"),
    ],
)
def test_lossy_dcm_output_is_marked(reference_dir, tmp_path, codec, params, method):
    path = reference_dir / "12bit.dcm"
    source = pydicom.dcmread(path)
    out = tmp_path / "lossy.dcm"
    api.encode_file(api.load_image(path), out, codec, **params)
    ds = pydicom.dcmread(out)
    assert_lossy_marks(ds, source, method)
    compressed = len(ds.PixelData)
    assert float(ds.LossyImageCompressionRatio) == pytest.approx(96 * 80 * 2 / compressed, rel=1e-3)


@pytest.mark.parametrize(
    ("codec", "params", "method"),
    [
        ("svd", {"rank": 8}, "MEDCOMP_SVD"),
        ("jpeg2000", {"psnr": 45}, "ISO_15444_1"),
        ("jpegxl", {"distance": 1.0}, "ISO_18181_1"),
    ],
)
def test_dicom_decoded_from_lossy_mcz_is_marked(
    reference_dir, tmp_path, capsys, codec, params, method
):
    from medcomp_gui.cli import main

    path = reference_dir / "ct_signed.dcm"
    source = pydicom.dcmread(path)
    mcz = tmp_path / "x.mcz"
    api.encode_file(api.load_image(path), mcz, codec, **params)
    out = tmp_path / "decoded.dcm"
    assert main(["decode", str(mcz), "-o", str(out)]) == 0
    ds = pydicom.dcmread(out)
    assert_lossy_marks(ds, source, method)
    assert float(ds.LossyImageCompressionRatio) == pytest.approx(
        96 * 80 * 2 / mcz.stat().st_size, rel=1e-3
    )
    assert ds.RescaleIntercept == source.RescaleIntercept and ds.PixelRepresentation == 1


def test_lossless_outputs_keep_the_sop_instance_uid(reference_dir, tmp_path):
    path = reference_dir / "multiframe.dcm"
    source = pydicom.dcmread(path)
    image = api.load_image(path)
    restored = api.decompress(api.compress(image, "jpegxl", lossless=True))
    out = tmp_path / "l.dcm"
    api.save(restored, out)
    ds = pydicom.dcmread(out)
    assert ds.SOPInstanceUID == source.SOPInstanceUID
    assert "LossyImageCompression" not in ds
    assert ds.NumberOfFrames == 3


def test_second_lossy_generation_keeps_history(reference_dir, tmp_path):
    """svd then jpeg2000 (the issue's example wrote one method for two ratios)."""
    path = reference_dir / "12bit.dcm"
    first = api.decompress(api.compress(api.load_image(path), "svd", rank=20))
    data = api.compress_dicom(first, "jpeg2000", ratio=5)
    ds = pydicom.dcmread(io.BytesIO(data))
    assert len(ds.LossyImageCompressionRatio) == 2
    assert list(ds.LossyImageCompressionMethod) == ["MEDCOMP_SVD", "ISO_15444_1"]
    assert len(ds.SourceImageSequence) == 2
    third = api.decompress(api.compress(api.decode_output(data), "rwnet", quality=1))
    assert list(third.dataset.LossyImageCompressionMethod) == [
        "MEDCOMP_SVD",
        "ISO_15444_1",
        "MEDCOMP_RWNET",
    ]
    assert len(third.dataset.LossyImageCompressionRatio) == 3


@pytest.mark.parametrize(
    ("ratios", "methods", "expected_ratios", "expected_methods"),
    [
        # the old jpeg2000 path: one method for two ratios; padded at the start
        (["12.5", "8"], ["ISO_15444_1"], ["12.5", "8"], ["", "ISO_15444_1"]),
        # more methods than ratios
        (["3"], ["ISO_14495_1", "ISO_15444_1"], ["", "3"], ["ISO_14495_1", "ISO_15444_1"]),
        # an unreadable ratio (the "abc") becomes empty, the rest is kept
        (["abc", "1e400", "7.25"], ["A", "B", "C"], ["", "", "7.25"], ["A", "B", "C"]),
        # ratios without any method (svd and rwnet before this fix)
        (["20", "30"], [], ["20", "30"], ["", ""]),
    ],
)
def test_method_keeps_in_step_with_ratio(ratios, methods, expected_ratios, expected_methods):
    from pydicom.dataelem import RawDataElement
    from pydicom.dataset import Dataset
    from pydicom.tag import Tag

    from medcomp_gui.imaging.marks import mark_lossy

    ds = Dataset()
    ds.LossyImageCompression = "01"
    raw = "\\".join(ratios).encode()
    raw += b" " * (len(raw) % 2)  # as read from a file, unchecked
    ds[0x00282112] = RawDataElement(Tag(0x00282112), "DS", len(raw), raw, 0, False, True)
    if methods:
        ds.LossyImageCompressionMethod = methods
    mark_lossy(ds, 4.0, "MEDCOMP_SVD", "test")
    assert [str(v) for v in ds.LossyImageCompressionRatio] == [*expected_ratios, "4"]
    assert list(ds.LossyImageCompressionMethod) == [*expected_methods, "MEDCOMP_SVD"]


def test_denoised_dicom_is_derived(reference_dir, tmp_path):
    path = reference_dir / "12bit.dcm"
    source = pydicom.dcmread(path)
    filtered = api.denoise(api.load_image(path))
    out = tmp_path / "d.dcm"
    api.save(filtered, out)
    ds = pydicom.dcmread(out)
    assert ds.ImageType[0] == "DERIVED" and "ANLM" in ds.DerivationDescription
    assert ds.SOPInstanceUID != source.SOPInstanceUID
    assert ds.PatientID == source.PatientID
