"""No wrong-image risk: errors clear every pane, a lossy source says so everywhere, the
overlays name what is on screen (patient data on screen only), and the --state file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from medcomp_gui import api
from medcomp_gui.gui import overlays
from medcomp_gui.gui.app import main
from medcomp_gui.gui.qt_menus import ImageFilesProxy, make_open_dialog
from medcomp_gui.gui.state import window_state
from medcomp_gui.series import Entry

from .conftest import wait_settled


def test_a_load_error_clears_every_pane_and_the_title(qtbot, window, ref_files, tmp_path):
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    assert "12bit.dcm" in window.windowTitle()
    bad = tmp_path / "broken.dcm"
    bad.write_bytes(b"\0" * 128 + b"DICM" + b"garbage" * 10)
    window.add_paths([bad])
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=20000)
    wait_settled(qtbot, window)
    assert window.windowTitle() == "medcomp" and window.pipeline.image is None
    assert window.panes["original"].state == "error"
    assert "broken.dcm" in window.panes["original"].caption.text()
    assert "\n" not in window.last_error and len(window.last_error) < 300
    for pane in window.panes.values():
        assert pane.frame is None and pane.item.image is None
        assert all(not text for text in pane.overlay_texts().values())
    for name in ("anlm", "rwnet", "svd"):
        assert window.panes[name].caption.text() == ""
        assert window.panes[name].message.text() == "no image"
    state = window_state(window)
    assert state["image"] is None and state["error"] == window.last_error


def test_no_pane_shows_the_previous_image_while_the_next_loads(qtbot, window, ref_files):
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    window.pipeline.load(Entry((ref_files["ct_signed"],), "ct"))
    assert all(pane.frame is None for pane in window.panes.values())
    assert window.pipeline.image is None
    wait_settled(qtbot, window)
    assert window.pipeline.image.modality == "CT"


def test_a_lossy_source_is_labelled_everywhere(qtbot, window, ref_files, tmp_path):
    image = api.load_image(ref_files["12bit"])
    data = api.compress(image, "svd", rank=6)
    path = tmp_path / "lossy.mcz"
    path.write_bytes(data)
    window.add_paths([path])
    wait_settled(qtbot, window)
    ratio = image.original_bytes / len(data)
    mark = overlays.lossy_mark(window.pipeline.image)
    assert mark.ratio == pytest.approx(ratio, rel=1e-2) and "SVD" in mark.method.upper()
    label = mark.label()
    assert label.startswith(f"LOSSY {mark.ratio:.3g}:1 ")
    assert label in window.windowTitle()
    original = window.panes["original"]
    assert f"Source: {label}" in original.title_label.text()
    assert original.caption.text().startswith(f"{label} source")
    assert label in original.overlay_texts()["bottom_right"]
    assert "against the LOSSY source" in window.panes["svd"].caption.text()
    state = window_state(window)
    assert state["image"]["lossy"]["ratio"] == mark.ratio
    assert state["panes"]["original"]["title"].startswith("Source: LOSSY")


def test_overlays_name_patient_study_frame_view_and_pane_but_state_redacts(
    qtbot, window, ref_files
):
    window.add_paths([ref_files["multiframe"]])
    wait_settled(qtbot, window)
    window.controls.frame_slider.setValue(1)
    wait_settled(qtbot, window)
    svd = window.panes["svd"].overlay_texts()
    assert "Test, Phantom" in svd["top_left"] and "ID PH-0001" in svd["top_left"]
    assert "Frame 2/3" in svd["top_right"] and "MR" in svd["top_right"]
    width, center = (
        f"{v:.0f}" if abs(v) >= 100 else f"{v:.4g}" for v in (window.width, window.center)
    )
    assert f"W {width} L {center}" in svd["bottom_left"]
    assert "Zoom" in svd["bottom_left"]
    assert f"SVD rank {window.pipeline.rank}" in svd["bottom_right"]
    state = window_state(window)
    text = json.dumps(state)
    assert "Phantom" not in text and "PH-0001" not in text
    assert state["panes"]["svd"]["overlays"]["top_left"].startswith(overlays.REDACTED)
    assert state["image"]["frame"] == 2
    assert "Phantom" in json.dumps(window_state(window, include_patient=True))
    window.toggle_overlays()
    assert all(not t for t in window.panes["svd"].overlay_texts().values())


def test_screenshot_writes_the_state_with_roi_and_flicker(qtbot, tmp_path, ref_files, real_rwnet):
    shot, state_path = tmp_path / "shot.png", tmp_path / "state.json"
    argv = ["--screenshot", str(shot), "--state", str(state_path), "--size", "1000x800"]
    argv += ["--roi", "ellipse:10,12,30,20", "--flicker", "svd", str(ref_files["12bit"])]
    assert main(argv) == 0
    state = json.loads(state_path.read_text())
    assert state["format"] == "medcomp-gui-state" and state["version"] == 1
    assert state["patient_data"] == "redacted"
    svd = state["panes"]["svd"]
    assert svd["state"] == "ready" and svd["shown"] == "original"
    assert svd["settings"]["codec"] == "svd" and svd["settings"]["rank"] >= 1
    assert svd["figures"]["bytes"] > 0 and svd["caption"].startswith("SVD rank")
    roi = state["roi"]
    assert roi["shape"] == "ellipse" and set(roi["stats"]) == set(state["panes"])
    assert roi["stats"]["original"]["psnr"] is None  # identical: infinite
    assert state["window_level"]["width"] > 0


def test_open_dialog_shows_extensionless_dicom_files(qtbot, window, tmp_path):
    (tmp_path / "IM0001").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "scan.dcm").write_bytes(b"x")
    dialog = make_open_dialog(window)
    proxy = dialog.proxyModel()
    assert isinstance(proxy, ImageFilesProxy)
    model = proxy.sourceModel()
    root = model.setRootPath(str(tmp_path))
    qtbot.waitUntil(lambda: model.rowCount(root) == 3, timeout=5000)
    shown = {
        model.fileName(model.index(r, 0, root))
        for r in range(model.rowCount(root))
        if proxy.filterAcceptsRow(r, root)
    }
    assert shown == {"IM0001", "scan.dcm"}
    dialog.deleteLater()


def test_saved_files_get_the_users_file_mode(qtbot, window, ref_files, tmp_path):
    import os

    from medcomp_gui.gui.qt_save_dialog import save_to

    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    old = os.umask(0o022)
    try:
        path = tmp_path / "out.mcz"
        save_to(window, path, "svd", {"rank": 4})
        qtbot.waitUntil(lambda: window.report_dialog is not None, timeout=20000)
    finally:
        os.umask(old)
    assert (path.stat().st_mode & 0o777) == 0o644
    assert np.array_equal(api.decode_output(path.read_bytes()).pixels.shape, (96, 80))
    assert Path(path).exists()
