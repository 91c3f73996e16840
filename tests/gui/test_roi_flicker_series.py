"""Judging artefacts: ROI statistics against numpy in every pane, the ruler, A/B
flicker (by key, button and timer); and a folder of slices as one stack."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from reference_images import Reference, make_dataset
from series_files import write_series

from medcomp_gui.gui.roi import Region

from .conftest import WAIT_MS, wait_settled
from .mouse import centre, drag, view_point, wheel

#: A CT file with a rescale intercept (stored 0 = -1024 HU) and a pixel spacing.
CT = Reference("ct_hu", 12, modality="CT", shape=(96, 80))


@pytest.fixture
def ct_window(qtbot, window, tmp_path):
    ds = make_dataset(CT)
    ds.PixelSpacing = [0.5, 0.25]
    path = tmp_path / "ct_hu.dcm"
    ds.save_as(path, enforce_file_format=True)
    window.add_paths([path])
    wait_settled(qtbot, window)
    assert window.pipeline.image.rescale_intercept == -1024
    return window


def numpy_stats(image, frame, reference, region: Region) -> dict[str, float]:
    """The same figures computed here, from the region's definition: the pixels whose
    centres lie inside it."""
    r = region.normalised()
    rows, cols = np.mgrid[0 : frame.shape[0], 0 : frame.shape[1]]
    cy, cx = rows + 0.5, cols + 0.5
    if r.shape == "rect":
        inside = (cx >= r.x) & (cx < r.x + r.w) & (cy >= r.y) & (cy < r.y + r.h)
    else:
        inside = ((cx - r.x - r.w / 2) / (r.w / 2)) ** 2 + (
            (cy - r.y - r.h / 2) / (r.h / 2)
        ) ** 2 <= 1
    values = frame[inside].astype(np.float64)
    hu = values * image.rescale_slope + image.rescale_intercept
    err = values - reference[inside].astype(np.float64)
    mse = np.mean(err**2)
    peak = 2.0**image.bits_stored - 1
    return {
        "pixels": values.size,
        "mean": hu.mean(),
        "sd": hu.std(),
        "min": hu.min(),
        "max": hu.max(),
        "psnr": math.inf if mse == 0 else 10 * math.log10(peak**2 / mse),
        "max_error": np.abs(err).max() * abs(image.rescale_slope),
    }


def check_every_pane(qtbot, window) -> None:
    annotations = window.annotations
    qtbot.waitUntil(lambda: annotations.stats_region == annotations.region, timeout=WAIT_MS)
    assert len(annotations.stats) == 4
    image, region = window.pipeline.image, annotations.region
    reference = window.panes["original"].frame
    for name, pane in window.panes.items():
        got = annotations.stats[name]
        if pane.frame is None:  # RWNet stubbed: nothing to measure
            assert got is None
            continue
        want = numpy_stats(image, pane.frame, reference, region)
        assert got.pixels == want["pixels"] > 0
        for key in ("mean", "sd", "min", "max", "psnr", "max_error"):
            assert getattr(got, key) == pytest.approx(want[key], rel=1e-9, abs=1e-9), (name, key)
        row = list(window.panes).index(name)
        assert window.annotations.table.item(row, 1).text() == f"{want['mean']:.1f}"
    assert window.annotations.table.isVisible()
    assert "HU" in window.annotations.table.horizontalHeaderItem(1).text()


def test_rectangle_roi_drawn_with_the_mouse_gives_numpy_statistics_in_every_pane(qtbot, ct_window):
    w = ct_window
    qtbot.keyClick(w, Qt.Key.Key_R)
    pane = w.panes["rwnet"] if w.panes["rwnet"].frame is not None else w.panes["svd"]
    drag(
        pane, Qt.MouseButton.LeftButton, view_point(pane, 20.3, 30.6), view_point(pane, 47.8, 61.2)
    )
    region = w.annotations.region
    assert region.shape == "rect" and region.x == pytest.approx(20.3, abs=0.3)
    assert region.w == pytest.approx(27.5, abs=0.5)
    check_every_pane(qtbot, w)
    positions = [item.pos() for item in w.annotations._rois.values()]
    assert all(p == positions[0] for p in positions)
    w.annotations._rois["svd"].setPos((5.0, 6.0), finish=True)  # moved in one pane
    assert all(item.pos().x() == 5.0 for item in w.annotations._rois.values())
    check_every_pane(qtbot, w)


def test_ellipse_roi_statistics_and_frame_change(qtbot, ct_window):
    w = ct_window
    w.annotations.set_region(Region("ellipse", 12.5, 8.25, 40.0, 26.5))
    check_every_pane(qtbot, w)
    qtbot.keyClick(w, Qt.Key.Key_Delete)
    assert w.annotations.region is None and not w.annotations.table.isVisible()


def test_ruler_measures_in_mm_with_the_pixel_spacing(qtbot, ct_window):
    w = ct_window
    qtbot.keyClick(w, Qt.Key.Key_M)
    pane = w.panes["original"]
    drag(pane, Qt.MouseButton.LeftButton, view_point(pane, 10, 10), view_point(pane, 50, 40))
    (x0, y0), (x1, y1) = w.annotations.ruler
    expected = math.hypot((x1 - x0) * 0.25, (y1 - y0) * 0.5)
    assert w.annotations.ruler_text() == f"{expected:.1f} mm"
    assert abs(expected - math.hypot(40 * 0.25, 30 * 0.5)) < 0.5


def test_flicker_shows_the_original_in_place_keeping_zoom_and_window(qtbot, ct_window):
    w = ct_window
    pane = w.panes["svd"]
    pane.view.scaleBy((0.5, 0.5))
    rect, levels = pane.view.viewRect(), tuple(pane.item.getLevels())
    size = pane.graphics.size()
    w._set_active("svd")
    qtbot.keyClick(w, Qt.Key.Key_B)
    assert pane.graphics.size() == size
    assert pane.is_flickered() and pane.flicker_label.isVisible()
    np.testing.assert_array_equal(pane.item.image, w.panes["original"].frame)
    assert pane.view.viewRect() == rect and tuple(pane.item.getLevels()) == levels
    assert "A/B: showing the original" in pane.overlay_texts()["bottom_right"]
    qtbot.keyClick(w, Qt.Key.Key_B)
    np.testing.assert_array_equal(pane.item.image, pane.frame)
    pane.flicker_button.click()  # the pane's own button
    assert pane.is_flickered()
    pane.flicker_button.click()
    seen = []
    pane.flicker_toggled.connect(seen.append)
    qtbot.keyClick(w, Qt.Key.Key_B, Qt.KeyboardModifier.ShiftModifier)  # timed
    qtbot.waitUntil(lambda: len(seen) >= 3, timeout=3000)
    qtbot.keyClick(w, Qt.Key.Key_B, Qt.KeyboardModifier.ShiftModifier)
    assert not w.flicker_timer.isActive() and not pane.is_flickered()


def test_a_dropped_folder_of_slices_is_one_stack_scrolled_in_order(qtbot, window, tmp_path):
    slices = write_series(tmp_path / "export", 20)
    window.add_paths([tmp_path / "export"])
    wait_settled(qtbot, window)
    assert window.controls.file_list.count() == 1
    image = window.pipeline.image
    assert image.n_frames == 20 and "20 slices" in window.windowTitle()
    pane = window.panes["original"]
    for k in (0, 1, 7, 19):
        window.go_to_frame(k)
        assert int(pane.frame[0, 0]) == k
        np.testing.assert_array_equal(pane.frame, slices[k])
    window.go_to_frame(0)
    wheel(pane, centre(pane), -3)
    assert window.controls.frame() == 1
    assert "Frame 2/20" in pane.overlay_texts()["top_right"]
