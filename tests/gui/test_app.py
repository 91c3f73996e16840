"""The entry point, keyboard shortcuts and "denoise before compressing"."""

from __future__ import annotations

import numpy as np
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
