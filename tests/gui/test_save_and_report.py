"""Save compressed… and the size report: its figures are those of the file on disk."""

from __future__ import annotations

import csv
import io
import sys

import pytest
from reference_images import Reference, write_reference

from medcomp_gui import api
from medcomp_gui.gui import report
from medcomp_gui.gui.qt_save_dialog import QtSaveDialog, save_to

from .conftest import WAIT_MS, wait_settled


def _saved(qtbot, window, path, codec, params):
    save_to(window, path, codec, params)
    qtbot.waitUntil(lambda: window.report_dialog is not None, timeout=20000)
    return dict(window.report_dialog.rows)


@pytest.mark.parametrize(
    ("name", "codec", "params"),
    [
        ("out.mcz", "svd", {"rank": 8}),
        ("out.dcm", "jpegls", {"near": 2}),
    ],
)
def test_save_writes_the_file_the_report_describes(
    qtbot, window, ref_files, tmp_path, name, codec, params
):
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    path = tmp_path / name
    rows = _saved(qtbot, window, path, codec, params)
    size = path.stat().st_size
    assert int(rows["Compressed bytes"]) == size
    image = window.pipeline.image
    assert int(rows["Original bytes"]) == image.original_bytes
    assert rows["Ratio"] == f"{image.original_bytes / size:.2f}:1"
    assert rows["Mode"] == "LOSSY"
    assert rows["Lossy Image Compression (0028,2110)"] == "01"
    decoded = api.decode_output(path.read_bytes())
    assert (
        rows["PSNR"]
        == f"{api.metrics.psnr(image.pixels, decoded.pixels, image.bits_stored):.2f} dB"
    )


def test_report_warns_above_the_guideline_and_exports(qtbot, window, tmp_path):
    window.add_paths([write_reference(Reference("mr_200x160", 12, shape=(200, 160)), tmp_path)])
    wait_settled(qtbot, window)
    rows = _saved(qtbot, window, tmp_path / "tiny.mcz", "svd", {"rank": 1})
    assert "exceeds the CAR 2008 guideline of 24:1 for MR" in rows["Guideline check"]
    dialog = window.report_dialog
    dialog.write(tmp_path / "r.csv")
    dialog.write(tmp_path / "r.txt")
    parsed = dict(list(csv.reader(io.StringIO((tmp_path / "r.csv").read_text())))[1:])
    assert parsed["Compressed bytes"] == str((tmp_path / "tiny.mcz").stat().st_size)
    assert "Compressed bytes" in (tmp_path / "r.txt").read_text()
    dialog.copy()
    assert report.compressed_bytes(dialog.rows) == (tmp_path / "tiny.mcz").stat().st_size


def test_save_dialog_offers_codecs_and_formats(qtbot, window, ref_files, tmp_path):
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    dialog = QtSaveDialog(window)
    qtbot.addWidget(dialog)
    assert "24:1" in dialog.guide_label.text()
    dialog.codec_combo.setCurrentIndex(dialog.codec_combo.findData("svd"))
    assert dialog.params() == {"rank": window.controls.rank()}
    dialog.codec_combo.setCurrentIndex(dialog.codec_combo.findData("jpegls"))
    dialog.format_combo.setCurrentText(".dcm")
    assert dialog.path().suffix == ".dcm"
    dialog.codec_combo.setCurrentIndex(dialog.codec_combo.findData("svd"))
    assert dialog.format_combo.currentText() == ".mcz"


def test_save_dialog_opens_at_the_best_measured_codec_and_remembers_a_choice(
    qtbot, window, ref_files
):
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    pipeline = window.pipeline
    qtbot.waitUntil(lambda: pipeline.best is not None, timeout=WAIT_MS)
    best = pipeline.best
    assert {c.codec for c in best} >= {"jpeg2000", "svd"}
    assert all(c.ratio <= 24 for c in best)  # every candidate within the MR guideline
    assert [c.psnr for c in best] == sorted((c.psnr for c in best), reverse=True)
    for c in best:  # the figures are those of the real file at that setting
        data = api.compress(pipeline.image, c.codec, **c.params)
        assert len(data) == c.bytes
    dialog = QtSaveDialog(window)
    qtbot.addWidget(dialog)
    assert dialog.codec() == best[0].codec
    if best[0].codec not in ("svd", "rwnet"):
        assert dialog.params() == pytest.approx(best[0].params)
    assert "Best for this image" in dialog.best_label.text()
    assert dialog.format_combo.currentText() == ".dcm" or best[0].codec in ("svd", "rwnet")
    other = next(n for n in ("svd", "jpegls") if n != best[0].codec)
    dialog.codec_combo.setCurrentIndex(dialog.codec_combo.findData(other))
    dialog.codec_combo.activated.emit(dialog.codec_combo.currentIndex())
    dialog.accept()
    again = QtSaveDialog(window)
    qtbot.addWidget(again)
    assert again.codec() == other  # the user's last choice
    again.codec_combo.setCurrentIndex(again.codec_combo.findData(best[0].codec))
    again.accept()
    third = QtSaveDialog(window)
    qtbot.addWidget(third)
    assert third.codec() == best[0].codec  # following the measurement again


def test_unwritable_path_gives_a_message(qtbot, window, ref_files, tmp_path):
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    save_to(window, tmp_path / "out.png", "svd", {"rank": 4})
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=20000)
    assert "out.png" in window.last_error and window.message_box.isVisible()


def test_calls_into_qt_do_not_drain_none_or_true(window):
    from medcomp_gui.gui.qt_compat import _Probe

    probe = _Probe()
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(5000):
        probe.setObjectName("x")
        probe.fired.emit()
    after = sys.getrefcount(None), sys.getrefcount(True)
    # Either the binding is sound (no change) or the reserve keeps the counts huge.
    assert after == before or min(after) > 1 << 30
