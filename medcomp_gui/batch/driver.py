"""A whole batch in a process of its own, telling its parent how it goes through a pipe.

The window starts this process (``multiprocessing`` "spawn") so that planning, handing
out tasks, the journal and the report never take the GUI process's interpreter lock:
the GUI keeps only a thread that waits on the pipe. Messages, in order::

    ("planned", files, description)   once the inputs are listed
    ("step", Progress)                after each file
    ("done", BatchResult)             at the end (also after a cancel)
    ("failed", reason)                when the batch could not run at all

and from the parent, ``"cancel"``: no new file starts, the files in flight finish. (A pipe
message rather than a ``multiprocessing.Event``: an Event's semaphore starts
multiprocessing's resource tracker process from the caller, the GUI thread.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from medcomp_gui.batch.plan import make_plan
from medcomp_gui.batch.run import run_batch
from medcomp_gui.batch.settings import Settings


def drive(
    inputs: list[Path],
    out_dir: Path,
    settings: Settings,
    jobs: int | None,
    niceness: int,
    conn: Any,
) -> None:
    """Plan and run the batch; ``conn``: the child's end of a duplex
    ``multiprocessing.Pipe``."""
    cancel = _PipeCancel(conn)
    try:
        plan = make_plan(inputs, out_dir, settings)
        conn.send(("planned", plan.files, plan.describe()))
        result = run_batch(
            plan,
            jobs=jobs,
            progress=lambda state: conn.send(("step", state)),
            cancel=cancel,
            niceness=niceness,
        )
        conn.send(("done", result))
    except Exception as exc:  # settings, a busy or unwritable folder: the dialog says why
        text = str(exc).strip() or type(exc).__name__
        conn.send(("failed", text.splitlines()[0]))
    finally:
        conn.close()


class _PipeCancel:
    """``is_set()`` becomes true once the parent has sent "cancel" (or has gone)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.cancelled = False

    def is_set(self) -> bool:
        try:
            while not self.cancelled and self.conn.poll():
                self.cancelled = self.conn.recv() == "cancel"
        except (EOFError, OSError):
            self.cancelled = True
        return self.cancelled
