"""Simulated mouse input on a pane, as the window system would deliver it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

NO_MOD = Qt.KeyboardModifier.NoModifier
#: Between two moves of a drag (pyqtgraph's mouseRateLimit is 100 per second).
MOVE_MS = 12


def view_point(pane, col: float, row: float) -> QPointF:
    """Where image pixel (row, col) is in the pane's viewport widget."""
    scene = pane.view.mapViewToScene(QPointF(col, row))
    return QPointF(pane.graphics.mapFromScene(scene))


def centre(pane) -> QPointF:
    vp = pane.graphics.viewport()
    return QPointF(vp.width() / 2.0, vp.height() / 2.0)


def _send(widget, kind, pos: QPointF, button, buttons, modifiers=NO_MOD) -> None:
    global_pos = QPointF(widget.mapToGlobal(pos.toPoint()))
    QApplication.sendEvent(widget, QMouseEvent(kind, pos, global_pos, button, buttons, modifiers))


def drag(pane, button, start: QPointF, end: QPointF, steps: int = 6, modifiers=NO_MOD) -> None:
    """Press ``button`` at ``start``, move to ``end`` in ``steps`` (at a hand's pace:
    pyqtgraph drops moves that come faster than its rate limit), release."""
    vp = pane.graphics.viewport()
    _send(vp, QMouseEvent.Type.MouseButtonPress, start, button, button, modifiers)
    for i in range(1, steps + 1):
        QTest.qWait(MOVE_MS)
        point = start + (end - start) * (i / steps)
        _send(vp, QMouseEvent.Type.MouseMove, point, Qt.MouseButton.NoButton, button, modifiers)
    _send(vp, QMouseEvent.Type.MouseButtonRelease, end, button, Qt.MouseButton.NoButton, modifiers)


def double_click(pane, pos: QPointF) -> None:
    vp = pane.graphics.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    _send(vp, QMouseEvent.Type.MouseButtonPress, pos, left, left)
    _send(vp, QMouseEvent.Type.MouseButtonRelease, pos, left, none)
    _send(vp, QMouseEvent.Type.MouseButtonDblClick, pos, left, left)
    _send(vp, QMouseEvent.Type.MouseButtonRelease, pos, left, none)


def wheel(pane, pos: QPointF, notches: int, modifiers=NO_MOD) -> None:
    """``notches`` > 0: the wheel turned away from the user (up)."""
    vp = pane.graphics.viewport()
    event = QWheelEvent(
        pos,
        QPointF(vp.mapToGlobal(pos.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(vp, event)
