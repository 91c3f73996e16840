"""Fixtures for the GUI tests: a main window that leaves no thread running, and small
synthetic DICOM files (the shared reference table)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from reference_images import REFERENCES, write_reference

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from medcomp_gui.gui.qt_compat import guard_singleton_refcounts  # noqa: E402

guard_singleton_refcounts()  # before pytest-qt's own calls drain None (see qt_compat)

# RWNet in this process (a child per window would cost seconds a test); the child
# process itself is tested in test_rwnet_pane.py.
os.environ["MEDCOMP_GUI_RWNET_INPROCESS"] = "1"

#: Longest wait for background work in these tests (small images: well under a second).
WAIT_MS = 20000


@pytest.fixture
def ref_files(tmp_path: Path) -> dict[str, Path]:
    wanted = {"12bit", "ct_signed", "multiframe", "monochrome1", "odd_511x257"}
    return {r.id: write_reference(r, tmp_path) for r in REFERENCES if r.id in wanted}


@pytest.fixture
def window(qtbot):
    from medcomp_gui.gui.qt_main_window import QtMainWindow

    win = QtMainWindow()
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    pool = win.pipeline.runner.pool
    assert pool.waitForDone(WAIT_MS)
    assert pool.activeThreadCount() == 0, "a test left worker threads running"


def wait_settled(qtbot, win) -> None:
    """Wait until an image is loaded (or failed) and every pane has its result."""
    qtbot.waitUntil(
        lambda: (
            (win.pipeline.image is not None or win.last_error is not None)
            and win.pipeline.settled()
        ),
        timeout=WAIT_MS,
    )
