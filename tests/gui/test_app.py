"""The entry point, keyboard shortcuts and "denoise before compressing"."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from medcomp_gui import api
from medcomp_gui.gui.app import main

from .conftest import wait_settled


def test_screenshot_mode_waits_for_the_panes_and_exits_0(qtbot, tmp_path, ref_files):
    out = tmp_path / "shot.png"
    assert main(["--screenshot", str(out), "--size", "1000x800", str(ref_files["12bit"])]) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1000, 800)


def test_screenshot_mode_with_an_unreadable_file_still_exits_0(qtbot, tmp_path):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"not an image")
    out = tmp_path / "shot.png"
    assert main(["--screenshot", str(out), str(bad)]) == 0
    assert out.stat().st_size > 0


def test_shortcuts_difference_presets_and_reset(qtbot, window, ref_files):
    window.add_paths([ref_files["ct_signed"]])
    wait_settled(qtbot, window)
    window.activateWindow()
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_D)
    assert window.panes["svd"].is_difference() and window.panes["anlm"].is_difference()
    qtbot.keyClick(window, Qt.Key.Key_D)
    assert not window.panes["svd"].is_difference()
    lung = [(p.center, p.width) for p in window.presets].index((-600, 1500))
    qtbot.keyClick(window, Qt.Key(Qt.Key.Key_1 + lung))
    assert (window.center, window.width) == (-600, 1500)
    window.panes["svd"].view.scaleBy((0.25, 0.25))  # zoom in one pane: all follow
    rects = [p.view.viewRect().getRect() for p in window.panes.values()]
    assert all(r == pytest.approx(rects[0], abs=1e-6) for r in rects)
    assert rects[0][2] < window.pipeline.image.cols
    qtbot.keyClick(window, Qt.Key.Key_R)
    rects = [p.view.viewRect().getRect() for p in window.panes.values()]
    assert all(r == pytest.approx(rects[0], abs=1e-6) for r in rects)
    assert (
        rects[0][2] >= window.pipeline.image.cols
        and rects[0][3] >= window.pipeline.image.rows - 1e-6
    )


def test_denoise_before_compressing_compresses_the_filtered_image(qtbot, window, ref_files):
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    window.controls.denoise_check.setChecked(True)
    wait_settled(qtbot, window)
    pipeline = window.pipeline
    rank = pipeline.rank
    data = api.compress(pipeline.filtered, "svd", rank=rank)
    np.testing.assert_array_equal(window.panes["svd"].frame, api.decompress(data).pixels)
    assert "compressed after ANLM" in window.panes["svd"].caption.text()
