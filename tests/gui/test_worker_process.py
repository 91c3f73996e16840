"""The worker processes: started when the window opens, the same answers as in this
process, ended (with their reader threads) when the window closes."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from reference_images import REFERENCES, write_reference

from medcomp_gui import api
from medcomp_gui.errors import MedcompError
from medcomp_gui.gui import compute, worker_process
from medcomp_gui.gui.worker_process import WorkerProcess, Workers

from .conftest import WAIT_MS

#: A real RWNet child imports TensorFlow: seconds, more on a busy machine.
RWNET_WAIT_MS = 120000


def reader_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("medcomp-")]


@pytest.fixture
def twelve_bit(tmp_path):
    return write_reference(next(r for r in REFERENCES if r.id == "12bit"), tmp_path)


def test_child_answers_and_ends():
    worker = WorkerProcess("rwnet")
    with pytest.raises(MedcompError, match="no call 'nosuchcall'"):
        worker.call("nosuchcall")  # a round trip through the child
    process = worker.process
    assert process.is_alive()
    worker.close()
    assert not process.is_alive()
    assert reader_threads() == []
    with pytest.raises(MedcompError, match="closing"):
        worker.call("probe")


def test_compute_child_gives_the_answers_of_this_process(twelve_bit):
    image = api.load_image(twelve_bit)
    worker = WorkerProcess("compute")
    try:
        factors = worker.call("svd_factor", 7, image, image)
        measured = worker.call("svd_measure", 7, 5)
        filtered, caption = worker.call("anlm", image, 1.0)
        with pytest.raises(MedcompError, match="superseded"):
            worker.call("svd_measure", 8, 5)
    finally:
        worker.close()
    session = compute.SVDSession(image)
    for (a, b), (a_here, b_here) in zip(factors, session.preview_factors(), strict=True):
        np.testing.assert_array_equal(a, a_here)
        np.testing.assert_array_equal(b, b_here)
    data = api.compress(image, "svd", rank=5)
    assert measured.quality.bytes == len(data)
    np.testing.assert_array_equal(measured.pixels, api.decompress(data).pixels)
    here, here_caption = compute.anlm_filter(image, 1.0)
    np.testing.assert_array_equal(filtered.pixels, here.pixels)
    assert caption == here_caption


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_children_run_niced_and_background_calls_more_so(twelve_bit):
    image = api.load_image(twelve_bit)
    worker = WorkerProcess("compute")
    try:
        worker.call("svd_factor", 1, image, image)
        worker.call("anlm", image, 1.0)
        tasks = Path(f"/proc/{worker.process.pid}/task").iterdir()
        nice = {int((t / "stat").read_text().rsplit(")", 1)[1].split()[16]) for t in tasks}
    finally:
        worker.close()
    child = min(19, os.nice(0) + worker_process.CHILD_NICENESS)  # relative to this process
    assert nice == {child, max(child, worker_process.BACKGROUND_NICENESS)}


def test_a_dead_child_is_replaced_at_the_next_call(twelve_bit):
    image = api.load_image(twelve_bit)
    worker = WorkerProcess("compute")
    try:
        worker.start()
        first = worker.process
        first.kill()
        first.join(5)
        assert len(worker.call("svd_factor", 1, image, image)) == 1
        assert worker.process is not first and worker.process.is_alive()
    finally:
        worker.close()
    assert reader_threads() == []


def test_closing_fails_a_waiting_call_at_once(twelve_bit):
    big = api.load_image(twelve_bit)
    big = big.with_pixels(np.tile(big.pixels, (12, 14)))  # ANLM: seconds
    worker = WorkerProcess("compute")
    worker.start()
    outcome: list[BaseException] = []

    def wait_for_anlm():
        try:
            worker.call("anlm", big, 1.0)
        except MedcompError as exc:
            outcome.append(exc)

    caller = threading.Thread(target=wait_for_anlm)
    caller.start()
    time.sleep(0.5)
    start = time.monotonic()
    worker.close()
    caller.join(5)
    assert not caller.is_alive() and time.monotonic() - start < 5
    assert outcome and "closing" in str(outcome[0])


@pytest.mark.slow
def test_window_starts_its_children_when_it_opens_and_ends_them(qtbot, monkeypatch, twelve_bit):
    from medcomp_gui.gui.qt_main_window import QtMainWindow

    monkeypatch.setattr(
        worker_process,
        "make_workers",
        lambda: Workers(WorkerProcess("compute"), WorkerProcess("rwnet")),
    )
    window = QtMainWindow()
    qtbot.addWidget(window)
    children = window.pipeline.workers
    processes = [children.compute.process, children.rwnet.process]
    assert all(p is not None and p.is_alive() for p in processes)  # before any image
    window.show()
    window.add_paths([twelve_bit])
    qtbot.waitUntil(
        lambda: window.pipeline.image is not None and window.pipeline.settled(),
        timeout=RWNET_WAIT_MS,
    )
    for name in ("anlm", "svd"):
        assert window.panes[name].state == "ready"
    rwnet = window.panes["rwnet"]
    assert rwnet.state == "ready" or "not available: " in rwnet.caption.text()
    data = api.compress(window.pipeline.image, "svd", rank=window.controls.rank())
    np.testing.assert_array_equal(window.panes["svd"].frame, api.decompress(data).pixels)
    window.close()
    assert window.pipeline.runner.pool.waitForDone(WAIT_MS)
    assert not any(p.is_alive() for p in processes)
    assert reader_threads() == []
