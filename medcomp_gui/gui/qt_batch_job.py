"""A batch run for the window: the engine in a process of its own
(:mod:`medcomp_gui.batch.driver`), its news as Qt signals.

The files are compressed in the engine's worker processes (niced, so that the window
keeps the CPU its event loop needs), and planning, the journal and the report happen in
the driver process: the GUI process only has a thread waiting on a pipe, so its GUI
thread is never kept waiting for the interpreter lock. Listing a folder before the
batch (the dialog's "Found N files") is a thread here: it waits on the file system.
"""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from medcomp_gui.batch import Progress, Settings, make_plan
from medcomp_gui.batch.driver import drive
from medcomp_gui.gui.compute import error_reason

#: Niceness of the batch's worker processes started from the window.
WORKER_NICENESS = 10


@dataclass(frozen=True)
class Step:
    """One file done: n of N, the file's name and status, files/s, MB/s, ETA (s)."""

    done: int
    total: int
    name: str
    status: str
    files_per_s: float
    mb_per_s: float
    eta_s: float | None

    @classmethod
    def of(cls, state: Progress) -> Step:
        row = state.row
        return cls(
            state.done,
            state.total,
            Path(row.source).name if row else "",
            row.status if row else "",
            state.files_per_s,
            state.mb_per_s,
            state.eta_s,
        )


class QtBatchJob(QObject):
    """``listed(files, description)`` for :meth:`list_inputs`; for :meth:`run`:
    ``planned(files, description)``, ``stepped(Step)`` after each file,
    ``finished(BatchResult)`` at the end, ``failed(str)`` if it could not run."""

    listed = Signal(int, str)
    planned = Signal(int, str)
    stepped = Signal(object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = multiprocessing.get_context("spawn")
        self._conn: Any = None
        self._process: Any = None
        self._reader: threading.Thread | None = None
        self._lister: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._reader is not None and self._reader.is_alive()

    def list_inputs(self, inputs: list[Path], out_dir: Path, settings: Settings) -> None:
        """Count the inputs in the background (a PACS export can hold many thousands)."""

        def work() -> None:
            try:
                plan = make_plan(inputs, out_dir, settings)
            except Exception as exc:  # a missing input: the dialog says so
                self.failed.emit(error_reason(exc))
                return
            self.listed.emit(plan.files, plan.describe())

        self._lister = threading.Thread(target=work, name="medcomp-batch-list", daemon=True)
        self._lister.start()

    def run(self, inputs: list[Path], out_dir: Path, settings: Settings, jobs: int) -> None:
        if self.running:
            raise RuntimeError("a batch is already running")
        self._conn, child_conn = self._context.Pipe(duplex=True)
        args = (inputs, out_dir, settings, jobs, WORKER_NICENESS, child_conn)
        self._process = self._context.Process(target=drive, args=args, name="medcomp-batch")
        self._reader = threading.Thread(
            target=self._read,
            args=(self._conn, child_conn),
            name="medcomp-batch-reader",
            daemon=True,
        )
        self._reader.start()

    def stop(self, wait: bool = True) -> None:
        """No new file starts; the files in flight finish and the report is written."""
        if self.running:
            try:
                self._conn.send("cancel")
            except (OSError, ValueError):  # the batch process has just ended
                pass
        if wait:
            for thread in (self._reader, self._lister):
                if thread is not None:
                    thread.join()

    def _read(self, conn: Any, child_conn: Any) -> None:
        """The reader thread: start the driver (spawning waits on exec, not on us), then
        hand its messages to the GUI thread as signals until it ends."""
        try:
            self._process.start()
        except OSError as exc:
            self.failed.emit(f"cannot start the batch process: {exc.strerror}")
            return
        child_conn.close()
        ended = False
        while not ended:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                self.failed.emit("the batch process ended unexpectedly")
                break
            kind = message[0]
            if kind == "planned":
                self.planned.emit(message[1], message[2])
            elif kind == "step":
                self.stepped.emit(Step.of(message[1]))
            elif kind == "done":
                self.finished.emit(message[1])
                ended = True
            else:
                self.failed.emit(message[1])
                ended = True
        conn.close()
        self._process.join()
