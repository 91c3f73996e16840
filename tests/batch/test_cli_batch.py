"""`medcomp batch` and `medcomp batch-decode` as a user runs them: settings checked before
any work, exit statuses 0 / 1 / 2, the progress bar, the JSON summary, HTJ2K DICOM out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest

from medcomp_gui import api
from medcomp_gui.cli import main


def batch(*args: str) -> int:
    return main(["batch", *args])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["-c", "nosuch"], "unknown codec"),
        (["-c", "svd", "--format", "dcm"], "no DICOM transfer syntax"),
        (["-c", "rwnet", "--quality", "99"], "quality must be <= 11"),
        (["-c", "jpegls", "--psnr", "5"], "--psnr must be"),
        (["-c", "jpegls", "--near", "2", "--max-error", "1"], "not both"),
        (["-c", "jpeg2000", "--psnr", "40", "--max-error", "1"], "not both"),
        (["-c", "jpeg2000", "--jobs", "-1"], "--jobs"),
        ([], "give a codec"),
    ],
)
def test_bad_settings_exit_2_before_any_work(mixed_folder, tmp_path, capsys, options, message):
    out = tmp_path / "out"
    assert batch(str(mixed_folder), "-o", str(out), *options) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()


def test_exit_statuses_progress_and_json_summary(mixed_folder, tmp_path, capsys):
    good = tmp_path / "good"
    assert batch(str(mixed_folder / "mr"), "-o", str(good), "-c", "jpegls", "--jobs", "0") == 0
    err = capsys.readouterr().err
    assert "2/2" in err and "files/s" in err and "MB/s" in err and "ETA" in err
    assert (
        batch(str(mixed_folder), "-o", str(tmp_path / "all"), "-c", "jpegls", "-j", "0", "--json")
        == 1
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["exit_status"] == 1
    assert any(f["source"].endswith("broken.dcm") for f in summary["failed"])
    assert summary["totals"]["skipped"] == 4
    assert Path(summary["report_csv"]).is_file() and Path(summary["report_json"]).is_file()


def test_htj2k_dicom_batch_reads_back_with_plain_pydicom(mixed_folder, tmp_path, capsys):
    out = tmp_path / "htj2k"
    status = batch(
        str(mixed_folder / "mr"), str(mixed_folder / "ct"), "-o", str(out),
        "-c", "htj2k", "--lossless", "--format", "dcm", "-j", "0", "--json",
    )  # fmt: skip
    capsys.readouterr()
    assert status == 0
    for source, written in [
        (mixed_folder / "mr" / "12bit.dcm", out / "mr" / "12bit.dcm"),
        (mixed_folder / "ct" / "ct_signed.dcm", out / "ct" / "ct_signed.dcm"),
    ]:
        ds = pydicom.dcmread(written)
        assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.201"
        assert np.array_equal(ds.pixel_array, pydicom.dcmread(source).pixel_array)
        assert ds.SOPInstanceUID == pydicom.dcmread(source).SOPInstanceUID


def test_batch_decode_restores_dicom_verified(mixed_folder, tmp_path, capsys):
    mcz = tmp_path / "mcz"
    assert (
        batch(str(mixed_folder / "mr"), "-o", str(mcz), "-c", "svd", "--rank", "8", "-j", "0") == 0
    )
    capsys.readouterr()
    back = tmp_path / "back"
    assert main(["batch-decode", str(mcz), "-o", str(back), "-j", "0", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["totals"]["ok"] == 2 and summary["totals"]["skipped"] == 0  # reports left out
    restored = pydicom.dcmread(back / "12bit.dcm")
    assert np.array_equal(restored.pixel_array, api.load_any(mcz / "12bit.mcz").pixels)
    assert restored.LossyImageCompression == "01"
    assert restored.PatientID == pydicom.dcmread(mixed_folder / "mr" / "12bit.dcm").PatientID


def test_second_concurrent_batch_is_refused_with_exit_2(mixed_folder, tmp_path, capsys):
    from medcomp_gui.batch.journal import FolderLock

    out = tmp_path / "out"
    out.mkdir()
    with FolderLock(out):  # a batch running into this folder
        assert batch(str(mixed_folder / "mr"), "-o", str(out), "-c", "jpegls", "-j", "0") == 2
    err = capsys.readouterr().err
    assert "another medcomp batch is writing into this folder" in err
    assert not list(out.glob("*.mcz"))
