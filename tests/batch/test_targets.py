"""Quality-targeted batches: per image, the lowest-rate setting that meets the target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medcomp_gui import api, metrics
from medcomp_gui.batch import check_settings, make_plan, run_batch


def targeted(folder: Path, out: Path, codec: str, params=None, **target):
    settings = check_settings(codec, params or {}, **target)
    return {
        Path(r.source).name: r for r in run_batch(make_plan([folder], out, settings), jobs=0).rows
    }


def psnr_of(path: Path, codec: str, params: dict) -> float:
    image = api.load_image(path)
    decoded = api.decompress(api.compress(image, codec, **params)).pixels
    return metrics.psnr(image.pixels, decoded, image.bits_stored)


def test_rwnet_psnr_target_takes_the_lowest_quality_that_meets_it(mixed_folder, tmp_path):
    rows = targeted(mixed_folder / "mr", tmp_path / "out", "rwnet", psnr=40.0)
    row = rows["12bit.dcm"]
    assert row.status == "ok" and row.psnr >= 40.0
    quality = json.loads(row.params)["quality"]
    if quality > 1:  # one level lower misses the target
        assert psnr_of(mixed_folder / "mr" / "12bit.dcm", "rwnet", {"quality": quality - 1}) < 40


@pytest.mark.parametrize(("codec", "name"), [("jpegls", "near"), ("svd", "rank")])
def test_max_error_target(mixed_folder, tmp_path, codec, name):
    rows = targeted(mixed_folder / "ct", tmp_path / "out", codec, max_error=3)
    row = rows["ct_signed.dcm"]
    assert row.status == "ok" and row.max_error <= 3
    assert name in json.loads(row.params) or json.loads(row.params) == {"lossless": True}


def test_htj2k_psnr_target_in_dicom(mixed_folder, tmp_path):
    rows = targeted(mixed_folder / "mr", tmp_path / "out", "htj2k", psnr=50.0, format="dcm")
    row = rows["12bit.dcm"]
    assert row.status == "ok" and row.psnr >= 50.0 and row.lossless is False
    import pydicom

    ds = pydicom.dcmread(row.output)
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.203"
    assert ds.LossyImageCompression == "01" and ds.LossyImageCompressionMethod == "ISO_15444_15"


def test_within_guideline_raises_quality_to_the_car_ratio(mixed_folder, tmp_path):
    fixed = targeted(mixed_folder / "ct", tmp_path / "fixed", "svd", {"rank": 1})
    assert fixed["ct_signed.dcm"].ratio_pixels > 15.0 and fixed["ct_signed.dcm"].warning
    rows = targeted(
        mixed_folder / "ct", tmp_path / "within", "svd", {"rank": 1}, within_guideline=True
    )
    row = rows["ct_signed.dcm"]
    assert row.status == "ok" and row.ratio_pixels <= 15.0 and not row.warning
    assert json.loads(row.params)["rank"] > 1
    png = targeted(mixed_folder, tmp_path / "png", "svd", {"rank": 1}, within_guideline=True)
    assert "no CAR 2008 guideline for OT" in png["scan.png"].note


def test_unreachable_target_fails_that_image_with_the_best_it_got(mixed_folder, tmp_path):
    rows = targeted(mixed_folder / "mr", tmp_path / "out", "svd", max_error=0)
    row = rows["12bit.dcm"]
    assert row.status == "failed" and "cannot meet max error <= 0" in row.reason
