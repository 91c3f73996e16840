"""The entry point, keyboard shortcuts and "denoise before compressing"."""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtGui import QImage

from medcomp_gui import api
from medcomp_gui.gui.app import main

from .conftest import wait_settled


def test_screenshot_mode_waits_for_the_panes_and_exits_0(qtbot, tmp_path, ref_files, real_rwnet):
    out, state_file = tmp_path / "shot.png", tmp_path / "shot.json"
    args = ["--screenshot", str(out), "--state", str(state_file), "--size", "1000x800"]
    assert main([*args, str(ref_files["12bit"])]) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1000, 800)
    state = json.loads(state_file.read_text())
    assert state["error"] is None and state["size"] == [1000, 800]
    assert {name: pane["state"] for name, pane in state["panes"].items()} == dict.fromkeys(
        ("original", "anlm", "rwnet", "svd"), "ready"
    )
    rwnet = state["panes"]["rwnet"]
    assert f"{rwnet['figures']['bytes']:,} B" in rwnet["caption"]
    assert rwnet["settings"]["codec"] == "rwnet" and "PSNR" in rwnet["caption"]
    assert f"quality {rwnet['settings']['quality']}" in rwnet["caption"]
    monotonic = state["monotonic"]  # start-up times: the window first, then the panes
    assert monotonic["shown"] <= min(monotonic[name] for name in state["panes"])
    x, y, w, h = state["panes"]["svd"]["rect"]  # the SVD pane: lower right, inside the shot
    assert x > 100 and y > 100 and x + w <= 1000 and y + h <= 800


def test_screenshot_mode_exits_1_when_a_pane_has_no_image(qtbot, tmp_path, ref_files, capsys):
    # the RWNet worker is stubbed here: its pane says it is not available
    out = tmp_path / "shot.png"
    assert main(["--screenshot", str(out), str(ref_files["12bit"])]) == 1
    assert out.stat().st_size > 0
    assert "RWNet reconstruction: RWNet: not available: stubbed" in capsys.readouterr().err


def test_screenshot_mode_with_an_unreadable_file_exits_1(qtbot, tmp_path, capsys):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"not an image")
    out = tmp_path / "shot.png"
    assert main(["--screenshot", str(out), str(bad)]) == 1
    assert out.stat().st_size > 0  # the window, with its message
    assert f"Cannot open {bad}" in capsys.readouterr().err


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
