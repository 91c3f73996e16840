"""The mouse in a pane, as OHIF binds it by default (``initToolGroups.js``).

- left drag: the left-button tool (window/level by default; pan, zoom, rectangle or
  ellipse ROI, ruler from the toolbar or their keys); Ctrl + left drag: window/level
  from the region drawn (the W/L-from-ROI gesture);
- middle drag: pan;  right drag: zoom about the point pressed (down zooms in);
- wheel: frames (down = next, as OHIF's StackScroll);  Ctrl + wheel: zoom;
- double click: maximise the pane (again: back to four).

Window/level follows cornerstone's WindowLevelTool: a horizontal drag changes the
width (right: wider), a vertical one the centre (down: higher centre, so darker; up
brightens), by ``multiplier`` output units per screen pixel, the image's dynamic
range / 1024 and at least 4 (:func:`display.drag_multiplier`).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal

#: Left-button tools (name -> menu text); the toolbar and the Help dialog list them.
TOOLS = {
    "window": "Window/level",
    "pan": "Pan",
    "zoom": "Zoom",
    "rect": "Rectangle ROI",
    "ellipse": "Ellipse ROI",
    "ruler": "Ruler",
}
#: Tools that draw a shape from the press to the release.
DRAWING_TOOLS = ("rect", "ellipse", "ruler", "wl-region")
#: Zoom per screen pixel of a right drag, as a fraction of the view's height
#: (cornerstone's ZoomTool: 5 / height).
ZOOM_PER_HEIGHT = 5.0
#: Ctrl + wheel: zoom factor per 15-degree notch.
WHEEL_ZOOM = 1.2


class QtToolViewBox(pg.ViewBox):
    """A ViewBox whose buttons follow the module docstring's table."""

    window_dragged = Signal(float, float)  # dx, dy in screen pixels since the last event
    frame_step = Signal(int)  # +1 next frame, -1 previous
    double_clicked = Signal()
    #: A shape being drawn: tool, (x0, y0), (x1, y1) in image pixels, finished.
    drawing = Signal(str, QPointF, QPointF, bool)
    pressed = Signal()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tool = "window"

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 (Qt naming)
        button = ev.button()
        if ev.isStart():
            self.pressed.emit()
        if button == Qt.MouseButton.LeftButton:
            tool = self.tool
            if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
                tool = "wl-region"
        elif button == Qt.MouseButton.MiddleButton:
            tool = "pan"
        elif button == Qt.MouseButton.RightButton:
            tool = "zoom"
        else:
            ev.ignore()
            return
        ev.accept()
        if tool == "window":
            delta = ev.screenPos() - ev.lastScreenPos()
            self.window_dragged.emit(float(delta.x()), float(delta.y()))
        elif tool == "pan":
            self._pan(ev)
        elif tool == "zoom":
            self._zoom(ev)
        else:
            start = self.mapSceneToView(ev.buttonDownScenePos(button))
            end = self.mapSceneToView(ev.scenePos())
            self.drawing.emit(tool, start, end, bool(ev.isFinish()))

    def _pan(self, ev) -> None:
        start = self.mapSceneToView(ev.lastScenePos())
        end = self.mapSceneToView(ev.scenePos())
        self.translateBy(x=start.x() - end.x(), y=start.y() - end.y())

    def _zoom(self, ev) -> None:
        """cornerstone's ZoomTool: the view's scale times 1 - dy * 5 / height."""
        dy = ev.screenPos().y() - ev.lastScreenPos().y()
        height = max(self.sceneBoundingRect().height(), 1.0)
        factor = min(max(1.0 - dy * ZOOM_PER_HEIGHT / height, 0.5), 2.0)
        center = self.mapSceneToView(ev.buttonDownScenePos(ev.button()))
        self.scaleBy((factor, factor), center=center)

    def wheelEvent(self, ev, axis=None):  # noqa: N802
        ev.accept()
        notches = ev.delta() / 120.0
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            factor = WHEEL_ZOOM ** (-notches)
            self.scaleBy((factor, factor), center=self.mapToView(ev.pos()))
        elif notches:
            self.frame_step.emit(1 if notches < 0 else -1)

    def mouseClickEvent(self, ev):  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton and ev.double():
            ev.accept()
            self.double_clicked.emit()
            return
        if ev.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            ev.accept()
            self.pressed.emit()
            return
        super().mouseClickEvent(ev)
