"""The main window: drops, the four panes, the SVD slider, window/level, errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from reference_images import REFERENCES, write_reference

from medcomp_gui import api
from medcomp_gui.gui import compute, display

from .conftest import wait_settled


def drop(win, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    win.dropEvent(event)


def view_dropped_folder(win) -> None:
    """Answer "View images" to the question a dropped folder asks (view or compress)."""
    box = win.drop_choice
    assert box is not None and box.isVisible()
    next(b for b in box.buttons() if b.text() == "View images").click()


def svd_bytes(win) -> int:
    return int(
        re.search(r"([\d,]+) B", win.controls.svd_size_label.text()).group(1).replace(",", "")
    )


def test_drop_fills_all_four_panes(qtbot, real_rwnet, window, ref_files):
    drop(window, [ref_files["12bit"]])
    wait_settled(qtbot, window)
    image = window.pipeline.image
    assert window.last_error is None
    panes = window.panes
    np.testing.assert_array_equal(panes["original"].frame, image.frames[0])
    for name in ("anlm", "svd"):
        assert panes[name].state == "ready" and panes[name].frame.shape == (image.rows, image.cols)
    assert "PSNR vs original" in panes["anlm"].caption.text()
    assert re.search(
        r"SVD rank \d+ · [\d,]+ B · [\d.]+:1.*bpp\nPSNR [\d.]+ dB · SSIM [\d.]+ · max err \d+",
        panes["svd"].caption.text(),
    )
    rwnet = panes["rwnet"]
    assert rwnet.state == "ready" or (
        rwnet.state == "error" and "not available: " in rwnet.caption.text()
    )


def test_svd_figures_are_those_of_the_real_file(qtbot, window, ref_files):
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    image, rank = window.pipeline.image, window.controls.rank()
    data = api.compress(image, "svd", rank=rank)
    assert svd_bytes(window) == len(data)
    np.testing.assert_array_equal(window.panes["svd"].frame, api.decompress(data).pixels)


def test_slider_changes_svd_image_and_size(qtbot, window, ref_files):
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    window.controls.rank_spin.setValue(2)
    wait_settled(qtbot, window)
    low_image, low_size = window.panes["svd"].frame.copy(), svd_bytes(window)
    window.controls.rank_spin.setValue(30)
    wait_settled(qtbot, window)
    assert "rank 30" in window.panes["svd"].caption.text()
    assert svd_bytes(window) > low_size
    assert not np.array_equal(window.panes["svd"].frame, low_image)
    assert svd_bytes(window) == len(api.compress(window.pipeline.image, "svd", rank=30))


def test_rapid_slider_moves_end_at_last_rank_without_backlog(qtbot, window, ref_files, monkeypatch):
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    measured = []
    original_measure = compute.SVDSession.measure

    def counting(self, rank, original):
        measured.append(rank)
        return original_measure(self, rank, original)

    monkeypatch.setattr(compute.SVDSession, "measure", counting)
    runner = window.pipeline.runner
    for rank in range(1, 61):
        window.controls.rank_spin.setValue(rank)
        # svd-preview and svd-file: one running + one waiting each (and perhaps the
        # background measurement of the best codec)
        assert runner.busy() - runner.is_busy("best-codec") <= 4
    wait_settled(qtbot, window)
    assert "rank 60" in window.panes["svd"].caption.text()
    assert window.pipeline.measured["svd"].settings == "rank 60"
    assert measured[-1] == 60 and len(measured) <= 2


def test_window_level_is_shared(qtbot, window, ref_files):
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    window.set_window(1000, 500)
    expected = display.stored_levels(window.pipeline.image, 1000, 500)
    for pane in window.panes.values():
        assert pane.levels() == pytest.approx(expected)
        if pane.frame is not None:
            assert tuple(pane.item.getLevels()) == pytest.approx(expected)
    window.panes["svd"].window_dragged.emit(40.0, -20.0)  # a left drag in the SVD pane
    assert (window.center, window.width) != (1000, 500)
    levels = [p.levels() for p in window.panes.values()]
    assert all(lv == pytest.approx(levels[0]) for lv in levels)
    assert window.controls.width_spin.value() == pytest.approx(window.width, abs=0.1)
    window.controls.histogram.region.setRegion((100.0, 900.0))  # a drag on the histogram
    # (MR: output units are stored values)
    assert (window.center, window.width) == pytest.approx((500.0, 800.0))
    assert all(p.levels() == pytest.approx((100.0, 900.0)) for p in window.panes.values())


def test_histogram_view_follows_the_counts_not_the_window(qtbot, window, ref_files):
    """The histogram's axes span the frame's values and counts; setting a window moves
    only its region (an auto-ranging view would re-tick its axis on every window: the
    first image's window comes before its counts)."""
    histogram = window.controls.histogram
    view = histogram.getPlotItem().vb
    before = view.viewRange()
    histogram.set_levels(-5000.0, 9000.0)
    qtbot.wait(50)
    assert view.viewRange() == before
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    frame = window.pipeline.image.frames[0]
    qtbot.waitUntil(lambda: len(histogram.curve.xData) > 2, timeout=5000)
    (x0, x1), (y0, y1) = view.viewRange()
    low, high = float(frame.min()), float(frame.max())  # MR: output units = stored values
    assert x0 <= low < high <= x1 and x1 - x0 <= 1.1 * (high - low)
    counts = np.histogram(frame, bins=len(histogram.curve.yData), range=(low, high))[0]
    assert y0 <= 0.0 and np.log1p(counts.max()) <= y1 <= 1.1 * np.log1p(counts.max())
    window.set_window(10 * high, 40 * (high - low))  # far outside the frame's values
    qtbot.wait(50)
    assert view.viewRange() == [[x0, x1], [y0, y1]]
    assert histogram.region.getRegion() == pytest.approx(
        (20 * low - 10 * high, 30 * high - 20 * low)
    )


def test_ct_presets_and_hu_readout(qtbot, window, ref_files):
    window.add_paths([ref_files["ct_signed"]])
    wait_settled(qtbot, window)
    windows = [(p.center, p.width) for p in window.presets]
    # the file's own window first (its default), then OHIF's CT presets, once each
    assert windows[0] == (40, 400) and window.preset_index == 0
    ohif = [(40, 400), (-600, 1500), (90, 150), (480, 2500), (40, 80)]
    assert windows[1:6] == ohif and len(windows) == 6
    assert window.controls.histogram.region.getRegion() == pytest.approx((-160, 240))  # HU
    window.apply_preset(windows.index((-600, 1500)))
    assert (window.center, window.width) == (-600, 1500)
    window._on_hover(window.panes["svd"], 5, 7)
    value = window.pipeline.image.frames[0][5, 7]
    assert f"stored {value}" in window.readout.text() and "HU" in window.readout.text()


def test_monochrome1_is_inverted(qtbot, window, ref_files):
    window.add_paths([ref_files["monochrome1"]])
    wait_settled(qtbot, window)
    lut = window.panes["original"].item.lut
    assert lut[0, 0] == 255 and lut[-1, 0] == 0


def test_difference_mode_shares_one_stated_scale_and_keeps_panes_linked(qtbot, window, ref_files):
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    sizes = [p.graphics.size() for p in window.panes.values()]
    window.toggle_difference()
    original = window.pipeline.image.frames[0].astype(np.float64)
    tops = {name: np.abs(window.panes[name].frame - original).max() for name in ("anlm", "svd")}
    shared = max(max(tops.values()), 1.0)
    for name in ("anlm", "svd"):
        pane = window.panes[name]
        assert pane.is_difference() and pane.difference_scale() == pytest.approx(shared)
        np.testing.assert_allclose(pane.item.image, np.abs(pane.frame - original))
        assert tuple(pane.item.getLevels()) == pytest.approx((0.0, shared))
    assert not window.panes["original"].is_difference()
    assert window.controls.diff_legend.isVisible()
    assert f"0 – {shared:g} stored" in window.controls.diff_legend.text()
    assert [p.graphics.size() for p in window.panes.values()] == sizes  # no colour bar
    window.panes["svd"].view.scaleBy((0.5, 0.5))
    rects = [p.view.viewRect().getRect() for p in window.panes.values()]
    assert all(r == pytest.approx(rects[0], abs=1e-6) for r in rects)


def test_multiframe_slider(qtbot, window, ref_files):
    window.add_paths([ref_files["multiframe"]])
    wait_settled(qtbot, window)
    image = window.pipeline.image
    assert window.controls.frame_slider.maximum() == image.n_frames - 1
    window.controls.frame_slider.setValue(2)
    wait_settled(qtbot, window)
    np.testing.assert_array_equal(window.panes["original"].frame, image.frames[2])
    assert window.panes["svd"].frame.shape == image.frames[2].shape


def test_dropped_folder_fills_the_list_and_the_list_switches(qtbot, window, ref_files):
    folder = ref_files["12bit"].parent
    drop(window, [folder])
    view_dropped_folder(window)
    wait_settled(qtbot, window)
    tree = window.controls.file_list
    assert tree.count() == len(ref_files)  # each reference is a series of its own
    drop(window, [folder, ref_files["12bit"]])  # already listed: nothing added twice
    view_dropped_folder(window)
    qtbot.waitUntil(lambda: window.pipeline.runner.busy() == 0, timeout=20000)
    assert tree.count() == len(ref_files)
    target = next(i for i, e in enumerate(tree.entries) if e.paths == (ref_files["ct_signed"],))
    tree.select(target)
    qtbot.waitUntil(
        lambda: window.pipeline.image is not None and window.pipeline.image.modality == "CT",
        timeout=20000,
    )
    wait_settled(qtbot, window)


def test_corrupt_file_gives_a_message(qtbot, window, tmp_path):
    bad = tmp_path / "broken.dcm"
    bad.write_bytes(b"\0" * 128 + b"DICM" + b"garbage" * 10)
    drop(window, [bad])
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=20000)
    assert "broken.dcm" in window.last_error
    assert window.message_box is not None and window.message_box.isVisible()
    assert window.panes["original"].state == "error"


# odd_511x257 (5 s of ANLM here) is covered by test_compute.py and the screenshot test.
@pytest.mark.parametrize(
    "ref", [r for r in REFERENCES if r.id != "odd_511x257"], ids=lambda r: r.id
)
def test_every_reference_image_fills_the_panes(qtbot, window, tmp_path, ref):
    window.add_paths([write_reference(ref, tmp_path)])
    wait_settled(qtbot, window)
    assert window.last_error is None
    for name in ("original", "anlm", "svd"):
        assert window.panes[name].state == "ready", (name, window.panes[name].caption.text())
    window.toggle_difference()
    window.controls.rank_slider.setValue(min(window.controls.rank_slider.maximum(), 64))
    wait_settled(qtbot, window)
    assert window.panes["svd"].state == "ready"


def test_cyclic_garbage_is_collected_in_the_gui_thread_while_a_window_is_open(qtbot):
    """While a window is open, Python's automatic collection is off and a timer collects
    in the GUI thread (a collection in a worker thread once destroyed a Qt object there
    while the GUI thread destroyed another, and both waited for ever); the last window
    to close turns automatic collection back on."""
    import gc
    import threading
    import weakref

    from medcomp_gui.gui.qt_main_window import QtMainWindow

    assert gc.isenabled()
    win = QtMainWindow()
    qtbot.addWidget(win)
    win.show()
    assert not gc.isenabled()

    class Node:
        pass

    where: list[bool] = []
    node = Node()
    node.me = node  # a cycle: only a collection frees it
    gone = weakref.ref(
        node, lambda _: where.append(threading.current_thread() is threading.main_thread())
    )
    del node
    junk = [[] for _ in range(5000)]  # enough allocations for the timer's collection
    qtbot.waitUntil(lambda: gone() is None, timeout=5000)
    assert where == [True]
    del junk
    win.close()
    assert win.pipeline.runner.pool.waitForDone(20000)
    assert gc.isenabled()
