"""RWNet for the viewer, run in a child process so that TensorFlow never blocks the GUI.

Importing TensorFlow and loading the model hold Python's global interpreter lock for
hundreds of milliseconds at a time (native libraries load under it); in a worker thread
that freezes the GUI thread as surely as running it there. The child process ("spawn",
so no Qt state is inherited) imports only the Qt-free :mod:`medcomp_gui.gui.compute` and
answers one request at a time over a pipe; pixels and figures come back pickled.

:class:`InProcessRWNet` has the same interface without the child (tests, debugging:
``MEDCOMP_GUI_RWNET_INPROCESS=1``).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from typing import Any

from medcomp_gui.errors import MedcompError

#: Seconds to wait for the child to end when the window closes.
_JOIN_S = 2.0


def _serve(conn: Any) -> None:
    """The child's loop: ``(name, args)`` in, ``(ok, result or message)`` out."""
    from medcomp_gui.gui import compute

    if hasattr(os, "nice"):
        os.nice(10)  # background work: the GUI process keeps the CPU it needs
    calls = {"probe": compute.rwnet_probe, "measure": compute.rwnet_measure}
    while True:
        try:
            name, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send((True, calls[name](*args)))
        except Exception as exc:  # reported to the GUI as a message
            conn.send((False, compute.error_reason(exc)))


class RWNetProcess:
    """RWNet probe and measurement in one long-lived child process (started lazily)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Any = None
        self._closed = False

    def probe(self) -> tuple[list[Any], str | None]:
        return self._call("probe")

    def measure(self, source: Any, original: Any, quality: Any) -> Any:
        return self._call("measure", source, original, quality)

    def _call(self, name: str, *args: Any) -> Any:
        with self._lock:
            if self._closed:
                raise MedcompError("the viewer is closing")
            if self._process is None or not self._process.is_alive():
                self._start()
            try:
                self._conn.send((name, args))
                ok, value = self._conn.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._process = None
                raise MedcompError(
                    f"the RWNet process ended unexpectedly ({exc or 'closed'})"
                ) from exc
        if not ok:
            raise MedcompError(value)
        return value

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child,), name="medcomp-rwnet", daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent

    def close(self) -> None:
        """End the child now (a call waiting on it fails at once)."""
        self._closed = True
        process, conn = self._process, self._conn
        if process is not None:
            process.terminate()
            process.join(_JOIN_S)
        if conn is not None:
            conn.close()


class InProcessRWNet:
    """The same calls in this process (TensorFlow then shares the GUI's interpreter)."""

    def probe(self) -> tuple[list[Any], str | None]:
        from medcomp_gui.gui import compute

        return compute.rwnet_probe()

    def measure(self, source: Any, original: Any, quality: Any) -> Any:
        from medcomp_gui.gui import compute

        return compute.rwnet_measure(source, original, quality)

    def close(self) -> None:
        pass


def default_backend() -> RWNetProcess | InProcessRWNet:
    if os.environ.get("MEDCOMP_GUI_RWNET_INPROCESS") == "1":
        return InProcessRWNet()
    return RWNetProcess()
