"""Mouse and keys as OHIF binds them, by simulated input events."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from medcomp_gui.gui import shortcuts

from .conftest import wait_settled
from .mouse import centre, double_click, drag, view_point, wheel


def rects(window):
    return [p.view.viewRect().getRect() for p in window.panes.values()]


@pytest.fixture
def ct_window(qtbot, window, ref_files):
    window.add_paths([ref_files["ct_signed"]])
    wait_settled(qtbot, window)
    return window


def test_left_drag_is_window_level_up_brightens_right_widens(qtbot, ct_window):
    w, pane = ct_window, ct_window.panes["svd"]
    c0, w0 = w.center, w.width
    m = w.wl_multiplier
    start = centre(pane)
    drag(pane, Qt.MouseButton.LeftButton, start, start + QPointF(0, -30))  # up
    assert w.center == pytest.approx(c0 - 30 * m) and w.width == pytest.approx(w0)
    assert w.preset_index == -1 and w.controls.preset_combo.currentText() == ""  # custom
    drag(pane, Qt.MouseButton.LeftButton, start, start + QPointF(20, 0))  # right
    assert w.width == pytest.approx(w0 + 20 * m)
    low, high = [p.levels() for p in w.panes.values()][0]
    assert all(p.levels() == (low, high) for p in w.panes.values())
    assert rects(w)[0] == pytest.approx(rects(w)[1])  # no pan on a left drag


def test_middle_drag_pans_right_drag_zooms_all_panes(qtbot, ct_window):
    w, pane = ct_window, ct_window.panes["anlm"]
    x0, y0, width0, height0 = rects(w)[0]
    start = centre(pane)
    drag(pane, Qt.MouseButton.MiddleButton, start, start + QPointF(40, 0))
    x1, _, width1, _ = rects(w)[0]
    assert x1 < x0 and width1 == pytest.approx(width0)  # the image moved right
    assert all(r == pytest.approx(rects(w)[0]) for r in rects(w))
    drag(pane, Qt.MouseButton.RightButton, start, start + QPointF(0, 40))  # down: in
    assert rects(w)[0][2] < width1 * 0.9
    assert all(r == pytest.approx(rects(w)[0]) for r in rects(w))
    before = rects(w)[0][2]
    drag(pane, Qt.MouseButton.RightButton, start, start + QPointF(0, -40))  # up: out
    assert rects(w)[0][2] > before


def test_wheel_scrolls_frames_and_ctrl_wheel_zooms(qtbot, window, ref_files):
    window.add_paths([ref_files["multiframe"]])
    wait_settled(qtbot, window)
    pane = window.panes["rwnet"]
    wheel(pane, centre(pane), -1)  # towards the user: next frame
    assert window.controls.frame() == 1
    wheel(pane, centre(pane), -1)
    wheel(pane, centre(pane), -1)  # past the last: stays
    assert window.controls.frame() == 2
    np.testing.assert_array_equal(window.panes["original"].frame, window.pipeline.image.frames[2])
    wheel(pane, centre(pane), 1)
    assert window.controls.frame() == 1
    width = rects(window)[0][2]
    wheel(pane, centre(pane), 2, Qt.KeyboardModifier.ControlModifier)
    assert rects(window)[0][2] < width and window.controls.frame() == 1


def test_frame_keys_act_in_the_image_and_the_list_keeps_its_arrows(qtbot, window, ref_files):
    window.add_paths([ref_files["multiframe"], ref_files["12bit"]])
    wait_settled(qtbot, window)
    tree = window.controls.file_list
    assert tree.current_index() == 0 and window.pipeline.image.n_frames == 3
    graphics = window.panes["original"].graphics
    graphics.setFocus()
    qtbot.keyClick(graphics, Qt.Key.Key_Down)
    assert window.controls.frame() == 1 and tree.current_index() == 0
    qtbot.keyClick(graphics, Qt.Key.Key_PageDown)
    assert window.controls.frame() == 2
    qtbot.keyClick(graphics, Qt.Key.Key_Home)
    assert window.controls.frame() == 0
    qtbot.keyClick(graphics, Qt.Key.Key_End)
    assert window.controls.frame() == 2
    qtbot.keyClick(graphics, Qt.Key.Key_Up)
    assert window.controls.frame() == 1
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key.Key_Down)  # the list's own arrow: the next file
    assert tree.current_index() == 1


def test_invert_fit_one_to_one_zoom_keys_and_space_reset(qtbot, ct_window):
    w = ct_window
    graphics = w.panes["original"].graphics
    graphics.setFocus()
    fitted = rects(w)[0]
    lut = w.panes["svd"].item.lut.copy()
    qtbot.keyClick(w, Qt.Key.Key_I)
    assert w.inverted and np.array_equal(w.panes["svd"].item.lut, lut[::-1])
    qtbot.keyClick(w, Qt.Key.Key_Plus)
    assert rects(w)[0][2] < fitted[2]
    qtbot.keyClick(w, Qt.Key.Key_F)
    assert rects(w)[0] == pytest.approx(fitted, abs=0.2)
    qtbot.keyClick(w, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert w.panes["original"].zoom() == pytest.approx(1.0, rel=5e-3)
    w.set_window(100, 50)
    qtbot.keyClick(graphics, Qt.Key.Key_Space)
    assert not w.inverted and w.preset_index == w.default_preset
    assert rects(w)[0] == pytest.approx(fitted, abs=0.2)  # fitted again (to a fraction of a pixel)
    qtbot.keyClick(w, Qt.Key.Key_A)  # automatic window
    assert w.preset_index == -1


def test_double_click_maximises_a_pane_and_back(qtbot, ct_window):
    w = ct_window
    pane = w.panes["rwnet"]
    double_click(pane, centre(pane))
    assert w.maximised == "rwnet"
    assert [p.isVisible() for p in w.panes.values()] == [False, False, True, False]
    double_click(pane, centre(pane))
    assert w.maximised is None and all(p.isVisible() for p in w.panes.values())


def test_tool_keys_change_the_left_button(qtbot, ct_window):
    w = ct_window
    pane = w.panes["svd"]
    qtbot.keyClick(w, Qt.Key.Key_P)
    assert pane.view.tool == "pan"
    c0 = w.center
    x0 = rects(w)[0][0]
    drag(pane, Qt.MouseButton.LeftButton, centre(pane), centre(pane) + QPointF(30, 0))
    assert w.center == c0 and rects(w)[0][0] < x0
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    assert pane.view.tool == "window" and w.menus.tool_actions["window"].isChecked()


def test_ctrl_drag_sets_the_window_from_the_region(qtbot, ct_window):
    w = ct_window
    pane = w.panes["original"]
    drag(
        pane,
        Qt.MouseButton.LeftButton,
        view_point(pane, 10, 12),
        view_point(pane, 30, 40),
        modifiers=Qt.KeyboardModifier.ControlModifier,
    )
    image = w.pipeline.image
    inside = image.frames[0][12:40, 10:30].astype(float) * image.rescale_slope
    inside += image.rescale_intercept
    assert w.center == pytest.approx((inside.min() + inside.max()) / 2, abs=1)
    assert w.width == pytest.approx(inside.max() - inside.min(), abs=2)


def test_help_lists_every_binding_and_the_readme_too(qtbot, window):
    from pathlib import Path

    window.show_shortcuts()
    table = window.help_dialog.table
    shown = {table.item(r, 1).text() for r in range(table.rowCount())}
    bindings = shortcuts.MOUSE + shortcuts.KEYS
    assert shown == {b.keys for b in bindings}
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for binding in bindings:
        assert f"| {binding.keys} |" in readme, binding.keys
    assert window.menus.help_menu.actions()[0].text() == "&Shortcuts…"


def test_user_presets_are_kept_in_the_settings(qtbot, ct_window):
    from medcomp_gui.gui.qt_main_window import QtMainWindow

    ct_window.set_window(55, 350)
    ct_window.save_user_preset("mediastinum (mine)")
    assert ct_window.presets[-1].name == "mediastinum (mine)"
    assert ct_window.controls.preset_combo.currentIndex() == len(ct_window.presets) - 1
    other = QtMainWindow()  # a new session reads the same settings file
    qtbot.addWidget(other)
    assert [(p.center, p.width) for p in other.settings.user_presets("CT")] == [(55, 350)]
    other.close()


def test_the_rank_slider_is_logarithmic():
    from medcomp_gui.gui import display

    ranks = [display.rank_at(p, 1024) for p in range(0, display.RANK_STEPS + 1, 100)]
    assert ranks[0] == 1 and ranks[-1] == 1024
    ratios = [b / a for a, b in zip(ranks[3:], ranks[4:], strict=False)]
    assert max(ratios) / min(ratios) < 1.1  # equal steps are equal ratios
    for rank in (1, 2, 7, 32, 100, 1024):
        assert display.rank_at(display.rank_position(rank, 1024), 1024) == rank
