"""Work-arounds for bugs of the Qt binding in use, applied once when the GUI starts.

PySide6 6.12.0 on CPython 3.11: methods that return ``None`` (every void Qt method,
``processEvents()``, ``setText()``...) or a ``bool`` (``SignalInstance.emit()``...) hand
back the singleton without taking a reference, as if it were immortal (it is from
Python 3.12 on). Every such call removes one reference from ``None``/``True``/``False``;
after some ten thousand calls the count reaches zero and the interpreter aborts
("Fatal Python error: none_dealloc" / "bool_dealloc"). :func:`guard_singleton_refcounts`
measures the leak with a few calls and, only where it is there, gives the three
singletons a reserve of references no session can use up. They are static objects that
are never freed, so the larger count changes nothing else. The real fix is a binding
built for this Python (PySide6 other than 6.12.0 on 3.11, or Python >= 3.12).
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

#: References added to each singleton when the binding leaks (~10**12 calls).
_RESERVE = 1 << 40
_PROBE_CALLS = 64
_guarded = False


class _Probe(QObject):
    fired = Signal()


def binding_leaks() -> bool:
    """Whether calls into the binding take references from None or True."""
    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(_PROBE_CALLS):
        probe.setObjectName("probe")  # returns None
        probe.fired.emit()  # returns True
    lost_none = none_before - sys.getrefcount(None)
    lost_true = true_before - sys.getrefcount(True)
    return lost_none >= _PROBE_CALLS // 2 or lost_true >= _PROBE_CALLS // 2


def guard_singleton_refcounts() -> bool:
    """Give None, True and False the reserve once if this binding leaks; whether it did."""
    global _guarded
    if _guarded or sys.version_info >= (3, 12) or not binding_leaks():
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += _RESERVE
    _guarded = True
    return True


class GuiThreadGarbage:
    """Python's cyclic garbage collected in the GUI thread only, while a window is open
    (pyqtgraph's ``GarbageCollector``: automatic collection off, a 1 s timer in the GUI
    thread collects). A collection that starts in a worker thread may destroy a Qt
    object there while the GUI thread destroys another: each then waits for what the
    other holds (Qt's object mutex, the GIL), and the window hangs — seen once in CI
    (2026-12-03): a best-codec job's thread collected a closed window's menus while the
    GUI thread was deleting a QMenu. :meth:`acquire` per window at its start,
    :meth:`release` when it closes; the last one turns automatic collection back on
    and collects, in the GUI thread."""

    _users = 0
    _collector = None

    @classmethod
    def acquire(cls) -> None:
        if cls._users == 0:
            from pyqtgraph.util.garbage_collector import GarbageCollector

            cls._collector = GarbageCollector(interval=1.0)
        cls._users += 1

    @classmethod
    def release(cls) -> None:
        import gc

        cls._users = max(cls._users - 1, 0)
        if cls._users == 0 and cls._collector is not None:
            cls._collector.timer.stop()
            cls._collector = None
            gc.enable()
            gc.collect()
