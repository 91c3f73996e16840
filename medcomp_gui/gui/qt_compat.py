"""Work-arounds for bugs of the Qt binding in use, applied once when the GUI starts.

PySide6 6.12.0 on Python 3.11: ``SignalInstance.emit()`` returns ``True`` without taking
a reference, so every signal emitted from Python (ours and pyqtgraph's, thousands a
minute while the mouse moves) removes one reference from ``True``; when the count
reaches zero the interpreter aborts ("Fatal Python error: bool_dealloc"). Python 3.12+
makes ``True`` immortal, which hides the bug. :func:`guard_bool_refcount` measures the
leak with one emission and, only if it is there, gives ``True`` a reserve of references
that no session can use up (``True`` is a static object and is never freed, so the
larger count changes nothing else).
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

#: References added to True when emit() leaks one per call (~10**12 emissions).
_RESERVE = 1 << 40
_guarded = False


class _Probe(QObject):
    fired = Signal()


def emit_leaks_true() -> bool:
    """Whether one ``emit()`` from Python takes a reference from ``True``."""
    probe = _Probe()
    before = sys.getrefcount(True)
    probe.fired.emit()
    after = sys.getrefcount(True)
    return after < before


def guard_bool_refcount() -> bool:
    """Apply the reserve once if this binding leaks; whether it did."""
    global _guarded
    if _guarded or sys.version_info >= (3, 12) or not emit_leaks_true():
        return False
    ctypes.c_ssize_t.from_address(id(True)).value += _RESERVE
    _guarded = True
    return True
