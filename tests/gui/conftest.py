"""Fixtures for the GUI tests: a main window that leaves no thread running, and small
synthetic DICOM files (the shared reference table)."""

from __future__ import annotations

from pathlib import Path

import pytest
from reference_images import REFERENCES, write_reference

from medcomp_gui.gui.qt_compat import guard_singleton_refcounts  # noqa: E402

guard_singleton_refcounts()  # before pytest-qt's own calls drain None (see qt_compat)

#: Longest wait for background work in these tests (small images: well under a second).
WAIT_MS = 20000


class StubRWNet:
    """RWNet worker stand-in for most GUI tests (TensorFlow would cost seconds per test)."""

    process = None

    def start(self):
        pass

    def call(self, name, *args):
        assert name == "probe", f"not reached: the stub is never available ({name})"
        return [], "stubbed in this test"

    def close(self):
        pass


@pytest.fixture(autouse=True)
def own_settings(monkeypatch, tmp_path):
    """Every test its own settings file: never the user's, never another test's."""
    from medcomp_gui.gui.qt_settings import ENV

    monkeypatch.setenv(ENV, str(tmp_path / "settings.ini"))


@pytest.fixture(autouse=True)
def stub_rwnet(monkeypatch):
    """Most tests: the heavy work in this process (fast, and compute functions can be
    replaced), RWNet stubbed. tests/gui/test_worker_process.py runs the real children."""
    from medcomp_gui.gui import worker_process

    monkeypatch.setattr(
        worker_process,
        "make_workers",
        lambda: worker_process.Workers(worker_process.InProcessWorker("compute"), StubRWNet()),
    )


@pytest.fixture
def real_rwnet(monkeypatch, stub_rwnet):
    """The real RWNet codec (in this process): filled pane or its real reason."""
    from medcomp_gui.gui import worker_process

    monkeypatch.setattr(
        worker_process,
        "make_workers",
        lambda: worker_process.Workers(
            worker_process.InProcessWorker("compute"), worker_process.InProcessWorker("rwnet")
        ),
    )


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
