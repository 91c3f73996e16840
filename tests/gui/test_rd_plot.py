"""The rate-distortion window: curves for the codecs, current settings marked."""

from __future__ import annotations

from medcomp_gui.gui.qt_rd_plot import rd_codecs

from .conftest import wait_settled


def test_rd_plot_shows_curves_and_marks_current_settings(qtbot, window, ref_files):
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    window.show_rd_plot()
    rd = window.rd_window
    qtbot.waitUntil(lambda: rd.rows is not None, timeout=60000)
    names = {item.name() for item in rd.plot.getPlotItem().listDataItems()}
    assert {"jpeg2000", "svd"} <= names
    assert any(n.startswith("svd now (rank ") for n in names)
    assert "BD-rate" in rd.status.text()


def test_rwnet_is_swept_only_when_available():
    assert "rwnet" not in rd_codecs(([], "missing weights"))
    assert "rwnet" not in rd_codecs(None)
    assert "rwnet" in rd_codecs(([1, 2], None))


def test_closing_the_window_stops_the_sweep(qtbot, window, ref_files):
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    window.show_rd_plot()
    rd = window.rd_window
    rd.close()
    assert rd.stop.is_set()
    assert window.pipeline.runner.pool.waitForDone(20000)
    assert rd.rows is None
