"""The viewer's heavy work in child processes, so that it never stalls the GUI thread.

A thread of the GUI process that runs numpy, scipy or TensorFlow code holds Python's
global interpreter lock for milliseconds to hundreds of milliseconds at a time (native
libraries load under it; the SVD coder, SSIM and ANLM run Python between their array
operations), and the GUI thread waits for the lock before every event it handles. So
each service of :mod:`worker_calls` runs in its own child process ("spawn": no Qt state
is inherited), started when the window opens: ``"compute"`` (loading, ANLM, SVD,
metrics) and ``"rwnet"`` (the RWNet model: its tables, and for a model whose learned
branches are open TensorFlow's import and graph tracing, 3-4 s on an idle two-core
machine; loaded at once in the background, so that the RWNet pane of an image opened
a few seconds later waits only for its own encoding).

The window's worker threads call :meth:`WorkerProcess.call`, which blocks without the
lock until the child answers. A child runs up to ``threads`` calls at once (the compute
service: ANLM, the SVD file and a save do not wait for each other) and answers each as
it ends, tagged with its request number; one reader thread in the GUI process hands the
answers to the callers. Pixels and figures travel pickled through a pipe.

:class:`InProcessWorker` has the same interface without a child (tests, debugging:
``MEDCOMP_GUI_INPROCESS=1``).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any

from medcomp_gui.errors import MedcompError

#: Seconds to wait for a child (and the reader thread) to end when the window closes.
_JOIN_S = 2.0
#: Calls a child runs at once, by service (RWNet's work is one model on all cores).
THREADS = {"compute": 4, "rwnet": 1}
#: Niceness of the children: their work is background work, so the GUI process keeps
#: the CPU its event loop needs when the machine is busy (on a loaded two-core machine
#: 10 gave shorter GUI-thread gaps than 5 or 0).
CHILD_NICENESS = 10
#: Calls that nobody waits for run on threads of a higher niceness still (Linux: the
#: nice value is per thread, and threads they start inherit it), so that loading, the
#: SVD pane and RWNet, whose pane has a 3 s target, go first on a shared core.
BACKGROUND_CALLS = {"anlm", "codec_status", "rd_point", "best_codec"}
BACKGROUND_NICENESS = 15
#: BLAS threads of a service's child (set before it imports numpy; a user's own setting
#: wins). The compute service already runs its calls side by side, and ANLM splits its
#: work over two threads: OpenBLAS's own threads on top of them wait for each other on
#: a shared core (MR2's SVD: 3.0 s instead of 0.45 s beside one busy process).
BLAS_THREADS = {"compute": 1}
#: Modules a service's child must never import. Keras imports matplotlib.pyplot for its
#: plotting helpers when it is installed (0.3-0.4 s of RWNet's cold start); it treats
#: an ImportError as "not installed", and nothing the codec runs plots.
BLOCKED_IMPORTS = {"rwnet": ("matplotlib",)}
#: Packages a service's child imports in its main thread before it serves any call:
#: SciPy's subpackages import each other, and two call threads importing them at the
#: same time can meet a partially initialised module (seen in CI: "cannot import name
#: 'PytestTester' from partially initialized module 'scipy._lib._testutils'").
EARLY_IMPORTS = ("scipy.linalg", "scipy.ndimage", "scipy.sparse.linalg", "skimage.metrics")


def _serve(conn: Any, service: str, threads: int) -> None:
    """The child: ``(request, name, args)`` in; ``(request, ok, result or message)`` out,
    in the order the calls end."""
    for name in BLOCKED_IMPORTS.get(service, ()):
        sys.modules.setdefault(name, None)
    if service in BLAS_THREADS:
        for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(variable, str(BLAS_THREADS[service]))
    if hasattr(os, "nice"):
        os.nice(CHILD_NICENESS)
    import importlib
    from concurrent.futures import ThreadPoolExecutor

    for module in EARLY_IMPORTS:
        importlib.import_module(module)
    from medcomp_gui.gui import compute, worker_calls

    calls = worker_calls.SERVICES[service]
    send_lock = threading.Lock()

    def run(request: int, name: str, args: tuple[Any, ...]) -> None:
        try:
            if name not in calls:
                raise MedcompError(f"the {service} process has no call {name!r}")
            reply = (request, True, calls[name](*args))
        except Exception as exc:  # reported to the GUI as a message
            if not isinstance(exc, MedcompError):  # a bug, not bad input: its traceback too
                traceback.print_exc(file=sys.stderr)
            reply = (request, False, compute.error_reason(exc))
        with send_lock:
            try:
                conn.send(reply)
            except (OSError, ValueError):  # the viewer has gone
                pass
            except Exception as exc:  # a result that cannot be pickled
                conn.send((request, False, compute.error_reason(exc)))

    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=service)
    background = ThreadPoolExecutor(
        max_workers=threads, thread_name_prefix=f"{service}-bg", initializer=_background_thread
    )
    while True:
        try:
            request, name, args = conn.recv()
        except (EOFError, OSError):
            break
        (background if name in BACKGROUND_CALLS else pool).submit(run, request, name, args)
    os._exit(0)  # the viewer closed the pipe: end now, running calls included


def _background_thread() -> None:
    """Give the calling thread (only) BACKGROUND_NICENESS, where the system allows it."""
    if hasattr(os, "setpriority") and sys.platform.startswith("linux"):
        own = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), max(own, BACKGROUND_NICENESS))


@dataclass
class _Pending:
    """One call waiting for its answer."""

    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = False
    value: Any = None

    def resolve(self, ok: bool, value: Any) -> None:
        self.ok, self.value = ok, value
        self.done.set()


@dataclass
class _Child:
    process: Any
    conn: Any
    pending: dict[int, _Pending]
    reader: threading.Thread | None = None
    gone: bool = False  # its pipe has ended: no answer will come any more


class WorkerProcess:
    """One service of :mod:`worker_calls` in a child process; see the module docstring.

    ``start()`` spawns the child (the window does this when it opens); a call after the
    child died starts a new one; ``close()`` ends it and fails the calls still waiting.
    """

    def __init__(self, service: str, threads: int | None = None) -> None:
        self.service = service
        self.threads = THREADS.get(service, 1) if threads is None else threads
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._child: _Child | None = None
        self._closed = False

    @property
    def process(self) -> Any:
        """The child's ``multiprocessing.Process`` (None before the start)."""
        child = self._child
        return None if child is None else child.process

    def start(self) -> None:
        with self._lock:
            self._running_child()

    def call(self, name: str, *args: Any) -> Any:
        """``worker_calls.SERVICES[service][name](*args)`` in the child; blocks until it
        answers. A failure there is raised here as a MedcompError with its message."""
        pending = _Pending()
        with self._lock:
            child = self._running_child()
            request = next(self._ids)
            child.pending[request] = pending
            try:
                child.conn.send((request, name, args))
            except (OSError, ValueError) as exc:
                child.pending.pop(request, None)
                raise MedcompError(f"the {self.service} process cannot be reached ({exc})") from exc
        pending.done.wait()
        if not pending.ok:
            raise MedcompError(pending.value)
        return pending.value

    def _running_child(self) -> _Child:
        if self._closed:
            raise MedcompError("the viewer is closing")
        child = self._child
        if child is not None and not child.gone and child.process.is_alive():
            return child
        context = multiprocessing.get_context("spawn")
        parent_end, child_end = context.Pipe()
        process = context.Process(
            target=_serve,
            args=(child_end, self.service, self.threads),
            name=f"medcomp-{self.service}",
            daemon=True,
        )
        process.start()
        child_end.close()
        child = _Child(process, parent_end, {})
        child.reader = threading.Thread(
            target=self._read, args=(child,), name=f"medcomp-{self.service}-reader", daemon=True
        )
        child.reader.start()
        self._child = child
        return child

    def _read(self, child: _Child) -> None:
        """Hand each answer to its caller; when the pipe ends, fail the callers left."""
        while True:
            try:
                request, ok, value = child.conn.recv()
            except (EOFError, OSError):
                break
            except Exception as exc:  # an answer that cannot be unpickled
                self._fail_all(child, f"the {self.service} process sent a bad answer ({exc})")
                continue
            with self._lock:
                pending = child.pending.pop(request, None)
            if pending is not None:
                pending.resolve(ok, value)
        reason = "the viewer is closing" if self._closed else "it ended unexpectedly"
        self._fail_all(child, f"the {self.service} process is gone: {reason}", gone=True)

    def _fail_all(self, child: _Child, message: str, gone: bool = False) -> None:
        with self._lock:
            child.gone = child.gone or gone
            waiting = list(child.pending.values())
            child.pending.clear()
        for pending in waiting:
            pending.resolve(False, message)

    def close(self) -> None:
        """End the child now; calls waiting on it fail at once with a message."""
        with self._lock:
            self._closed = True
            child = self._child
        if child is None:
            return
        child.process.terminate()
        child.process.join(_JOIN_S)
        if child.process.is_alive():
            child.process.kill()
            child.process.join(_JOIN_S)
        if child.reader is not None:
            child.reader.join(_JOIN_S)
        child.conn.close()
        self._fail_all(child, "the viewer is closing", gone=True)


class InProcessWorker:
    """The same calls in this process (TensorFlow then shares the GUI's interpreter)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.process = None

    def start(self) -> None:
        pass

    def call(self, name: str, *args: Any) -> Any:
        from medcomp_gui.gui import worker_calls

        calls = worker_calls.SERVICES[self.service]
        if name not in calls:
            raise MedcompError(f"the {self.service} worker has no call {name!r}")
        return calls[name](*args)

    def close(self) -> None:
        pass


Worker = WorkerProcess | InProcessWorker


@dataclass
class Workers:
    """The window's two workers: ``compute`` and ``rwnet``."""

    compute: Worker
    rwnet: Worker

    def start(self) -> None:
        """Spawn both children now (the RWNet one first: its cold start is the longest)."""
        self.rwnet.start()
        self.compute.start()

    def close(self) -> None:
        self.rwnet.close()
        self.compute.close()


def make_workers() -> Workers:
    """Child processes, or this process with ``MEDCOMP_GUI_INPROCESS=1``; not started."""
    if os.environ.get("MEDCOMP_GUI_INPROCESS") == "1":
        return Workers(InProcessWorker("compute"), InProcessWorker("rwnet"))
    return Workers(WorkerProcess("compute"), WorkerProcess("rwnet"))
