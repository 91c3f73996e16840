"""Background work in a QThreadPool, one job at a time per channel, latest request wins.

Each channel ("load", "anlm", "svd-preview", ...) runs at most one job and keeps at most
one waiting: a new request replaces the waiting one, so dragging a slider never queues a
backlog. Results come back on the GUI thread through a queued signal; a result whose
request has been superseded is dropped (or, for preview channels, still shown, since
the newer request's result follows it in order).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

#: Threads of the pool: one per channel in use at once. Most jobs only wait for a worker
#: process (:mod:`worker_process`), so a busy child must not leave the others queued.
MAX_THREADS = 12

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


@dataclass
class _Request:
    generation: int
    work: Callable[[], Any]
    on_done: Done
    on_error: Failed | None
    show_stale: bool


class _Job(QRunnable):
    def __init__(self, runner: QtJobRunner, channel: str, request: _Request) -> None:
        super().__init__()
        self._runner = runner
        self._channel = channel
        self._request = request

    def run(self) -> None:
        try:
            result, error = self._request.work(), None
        except Exception as exc:  # delivered to the GUI thread as a message, never a crash
            result, error = None, exc
            if not _is_input_error(exc):
                traceback.print_exc(file=sys.stderr)
        self._runner.finished.emit(self._channel, self._request.generation, result, error)


def _is_input_error(exc: BaseException) -> bool:
    from medcomp_gui.errors import MedcompError

    return isinstance(exc, MedcompError)


class QtJobRunner(QObject):
    """Runs callables on its own thread pool; see the module docstring."""

    finished = Signal(str, int, object, object)  # channel, generation, result, error
    busy_changed = Signal(int)  # jobs running or waiting
    progress = Signal(str)  # a line of progress text, from any thread

    def __init__(self, parent: QObject | None = None, max_threads: int = MAX_THREADS) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._latest: dict[str, int] = {}
        self._running: dict[str, _Request] = {}
        self._waiting: dict[str, _Request] = {}
        self.finished.connect(self._on_finished)

    def submit(
        self,
        channel: str,
        work: Callable[[], Any],
        on_done: Done,
        on_error: Failed | None = None,
        *,
        show_stale: bool = False,
    ) -> int:
        """Run ``work()`` in a worker; ``on_done(result)`` or ``on_error(exc)`` on the GUI
        thread, unless a newer request on ``channel`` came meanwhile. Its generation."""
        generation = self._latest.get(channel, 0) + 1
        self._latest[channel] = generation
        request = _Request(generation, work, on_done, on_error, show_stale)
        if channel in self._running:
            self._waiting[channel] = request
        else:
            self._start(channel, request)
        self.busy_changed.emit(self.busy())
        return generation

    def cancel(self, channel: str | None = None) -> None:
        """Forget the waiting request and drop the running one's result (all channels
        when None). A running job cannot be stopped; its result is ignored."""
        channels = list(self._latest) if channel is None else [channel]
        for name in channels:
            self._latest[name] = self._latest.get(name, 0) + 1
            self._waiting.pop(name, None)
        self.busy_changed.emit(self.busy())

    def busy(self) -> int:
        return len(self._running) + len(self._waiting)

    def is_busy(self, channel: str) -> bool:
        return channel in self._running or channel in self._waiting

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Drop every waiting request and wait for the running jobs to end."""
        self.cancel()
        done = self.pool.waitForDone(timeout_ms)
        self._running.clear()
        return done

    def _start(self, channel: str, request: _Request) -> None:
        self._running[channel] = request
        self.pool.start(_Job(self, channel, request))

    @Slot(str, int, object, object)
    def _on_finished(self, channel: str, generation: int, result: Any, error: Any) -> None:
        request = self._running.pop(channel, None)
        waiting = self._waiting.pop(channel, None)
        if waiting is not None:
            self._start(channel, waiting)
        current = generation == self._latest.get(channel)
        if request is not None and (current or (request.show_stale and waiting is not None)):
            if error is None:
                request.on_done(result)
            elif request.on_error is not None:
                request.on_error(error)
        self.busy_changed.emit(self.busy())
