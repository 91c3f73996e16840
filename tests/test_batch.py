"""Batch compression: folders mirrored, bad files reported, originals untouched."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pydicom

from medcomp_gui.batch import REPORT_NAME, compress_batch
from medcomp_gui.cli import main


def _folder(reference_dir, tmp_path):
    src = tmp_path / "in"
    (src / "series2").mkdir(parents=True)
    shutil.copy(reference_dir / "12bit.dcm", src / "a.dcm")
    shutil.copy(reference_dir / "ct_signed.dcm", src / "series2" / "IM0001")  # no suffix
    (src / "broken.dcm").write_bytes((reference_dir / "12bit.dcm").read_bytes()[:700])
    (src / "notes.txt").write_text("not an image")
    (src / "scan.bin").write_bytes(b"\x00" * 300)
    return src


def test_batch_mirrors_folders_and_reports_failures(reference_dir, tmp_path):
    src = _folder(reference_dir, tmp_path)
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}
    out = tmp_path / "out"
    report = compress_batch([src], out, "jpeg2000", {"lossless": True})
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.mcz")) == [
        "a.mcz",
        "series2/IM0001.mcz",
    ]
    statuses = {p.split("/")[-1]: i.status for i in report.items for p in [i.source]}
    assert statuses["a.dcm"] == "ok" and statuses["IM0001"] == "ok"
    assert statuses["broken.dcm"] == "failed" and statuses["scan.bin"] in ("failed", "skipped")
    assert "notes.txt" not in statuses
    rows = list(csv.DictReader((out / REPORT_NAME).open()))
    assert len(rows) == len(report.items)
    ok = next(r for r in rows if r["source"].endswith("a.dcm"))
    assert int(ok["output_bytes"]) == (out / "a.mcz").stat().st_size
    assert {p: p.read_bytes() for p in src.rglob("*") if p.is_file()} == before


def test_batch_cli_to_dicom_exit_status(reference_dir, tmp_path, capsys):
    src = _folder(reference_dir, tmp_path)
    out = tmp_path / "dcm"
    code = main(
        [
            "-q",
            "batch",
            str(src),
            "-c",
            "jpegls",
            "--near",
            "1",
            "--format",
            "dcm",
            "-o",
            str(out),
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 2 and "failed" in captured.err
    items = json.loads(captured.out)["items"]
    assert any(i["status"] == "ok" for i in items)
    written = pydicom.dcmread(out / "a.dcm")
    original = pydicom.dcmread(src / "a.dcm")
    assert np.abs(written.pixel_array.astype(int) - original.pixel_array).max() <= 1
    assert written.LossyImageCompression == "01"


def test_batch_all_good_exits_zero(reference_dir, tmp_path, capsys):
    src = tmp_path / "good"
    src.mkdir()
    shutil.copy(reference_dir / "8bit.dcm", src / "x.dcm")
    assert (
        main(["-q", "batch", str(src), "-c", "svd", "--rank", "4", "-o", str(tmp_path / "o")]) == 0
    )
    assert "1 compressed, 0 failed" in capsys.readouterr().out
