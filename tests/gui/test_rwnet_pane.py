"""The RWNet pane: filled when the codec works, a clear reason when it does not."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from medcomp_gui import api
from medcomp_gui.gui import compute, operating_point

from .conftest import WAIT_MS, wait_settled


@pytest.fixture
def make_window(qtbot, real_rwnet):
    from medcomp_gui.gui.qt_main_window import QtMainWindow

    made = []

    def make():
        win = QtMainWindow()
        qtbot.addWidget(win)
        win.show()
        made.append(win)
        return win

    yield make
    for win in made:
        win.close()
        assert win.pipeline.runner.pool.waitForDone(WAIT_MS)


def test_available_rwnet_fills_its_pane_with_measured_figures(
    qtbot, make_window, ref_files, monkeypatch
):
    # Stand-in for a trained model: the pane must show what the codec's bytes decode to.
    monkeypatch.setattr(compute, "rwnet_probe", lambda: ([3, 1, 2], None))
    asked = []

    def fake_measure(source, original, quality):
        asked.append(quality)
        return compute.measure_bytes(
            original, api.compress(source, "jpegls", near=quality), f"quality {quality}"
        )

    def fake_default(source, original, target, qualities, start):
        assert target.kind == "ratio" and target.value == 24 and sorted(qualities) == [1, 2, 3]
        chosen = fake_measure(source, original, 3)  # "the search chose 3"
        return dataclasses.replace(chosen, params={"quality": 3})

    monkeypatch.setattr(compute, "rwnet_measure", fake_measure)
    monkeypatch.setattr(operating_point, "rwnet_default", fake_default)
    window = make_window()
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    pane = window.panes["rwnet"]
    assert pane.state == "ready" and asked == [3]
    assert pane.info[-1] == "default: CAR ≤24:1"
    assert (
        window.controls.rwnet_combo.currentData() == 3 and window.controls.rwnet_combo.isEnabled()
    )
    assert pane.caption.text().startswith("RWNet quality 3 · ")
    window.controls.rwnet_combo.setCurrentIndex(window.controls.rwnet_combo.findData(1))
    wait_settled(qtbot, window)
    assert asked[-1] == 1 and "quality 1" in pane.caption.text()
    data = api.compress(window.pipeline.image, "jpegls", near=1)
    np.testing.assert_array_equal(pane.frame, api.decompress(data).pixels)


def test_failing_rwnet_shows_not_available_and_the_rest_works(
    qtbot, make_window, ref_files, monkeypatch
):
    monkeypatch.setattr(compute, "rwnet_probe", lambda: ([4], None))

    def broken(*_args):
        raise RuntimeError("graph construction failed")

    monkeypatch.setattr(compute, "rwnet_measure", broken)
    monkeypatch.setattr(operating_point, "rwnet_default", broken)
    window = make_window()
    window.add_paths([ref_files["12bit"]])
    wait_settled(qtbot, window)
    pane = window.panes["rwnet"]
    assert pane.state == "error"
    assert "not available: graph construction failed" in pane.caption.text()
    assert window.panes["svd"].state == "ready"


def test_a_level_that_would_cost_more_than_lossless_is_shown_as_lossless() -> None:
    """nibabel's sawtooth pattern: quality 6 would cost about 10x its lossless coding,
    so the file is lossless; the pane's words say so and its figures are those of an
    identical image (quality 1 stays lossy)."""
    from medcomp_gui.imaging.image import MedicalImage

    rows, cols = np.mgrid[0:256, 0:256]
    image = MedicalImage(((256 * rows + cols) % 4096).astype(np.uint16), 12)
    measured = compute.rwnet_measure(image, image, 6)
    assert measured.settings == "quality 6, stored losslessly"
    assert measured.quality.psnr == np.inf and measured.params["lossless"] is True
    np.testing.assert_array_equal(measured.pixels, image.pixels)
    low = compute.rwnet_measure(image, image, 1)
    assert low.settings == "quality 1" and np.isfinite(low.quality.psnr)
