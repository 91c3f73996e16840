"""One image pane: a title with a difference toggle, a pyqtgraph view, a caption.

The pane shows one 2-D frame of stored values through the window's shared levels, or,
in difference mode, |frame - original| with a colour map and a colour bar for its scale.
Right-drag changes the window (``window_dragged``); the pixel under the mouse is
reported (``hovered``). Zoom and pan are linked by the main window.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from medcomp_gui.gui import display

DIFF_COLORMAP = "inferno"


class QtWindowingViewBox(pg.ViewBox):
    """A ViewBox where the right button drags the window/level instead of zooming."""

    window_dragged = Signal(float, float)  # dx, dy in screen pixels since the last event

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 (Qt naming)
        if ev.button() == Qt.MouseButton.RightButton:
            ev.accept()
            delta = ev.screenPos() - ev.lastScreenPos()
            self.window_dragged.emit(float(delta.x()), float(delta.y()))
            return
        super().mouseDragEvent(ev, axis)


class QtImagePane(QWidget):
    """A titled view of one frame with a caption; states: empty, busy, ready, error."""

    hovered = Signal(int, int)  # row, col under the mouse (-1, -1 when outside)
    window_dragged = Signal(float, float)
    difference_toggled = Signal(bool)

    def __init__(self, title: str, can_diff: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.state = "empty"
        self.frame: np.ndarray | None = None  # what the pane shows, stored values
        self.reference: np.ndarray | None = None  # the original frame, for differences
        self._levels: tuple[float, float] = (0.0, 1.0)
        self._lut = display.grey_lut(False)
        self._diff_lut = pg.colormap.get(DIFF_COLORMAP).getLookupTable(nPts=256)

        self.title_label = QLabel(f"<b>{title}</b>")
        self.diff_button = QToolButton()
        self.diff_button.setText("Difference")
        self.diff_button.setCheckable(True)
        self.diff_button.setToolTip("Show |this - original| with a colour scale (D: all panes)")
        policy = self.diff_button.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.diff_button.setSizePolicy(policy)
        self.diff_button.setVisible(can_diff)
        self.can_diff = can_diff
        self.diff_button.toggled.connect(self._on_diff_toggled)
        header = QHBoxLayout()
        header.setContentsMargins(4, 0, 4, 0)
        header.addWidget(self.title_label)
        header.addStretch(1)
        header.addWidget(self.diff_button)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("k")
        self.graphics.ci.layout.setContentsMargins(0, 0, 0, 0)
        self.view = QtWindowingViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.view.window_dragged.connect(self.window_dragged)
        self.graphics.addItem(self.view, row=0, col=0)
        self.item = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.item)
        self.colorbar = pg.ColorBarItem(
            values=(0, 1), colorMap=pg.colormap.get(DIFF_COLORMAP), interactive=False, width=14
        )
        self.colorbar.setVisible(False)
        self.graphics.addItem(self.colorbar, row=0, col=1)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)

        self.message = QLabel("")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.message.setStyleSheet(
            "background: black; color: #ddd; font-size: 15px; padding: 20px;"
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.graphics)
        self.stack.addWidget(self.message)

        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        # Two lines for every pane, so the four views stay the same size (full text: tooltip).
        self.caption.setFixedHeight(self.caption.fontMetrics().lineSpacing() * 2 + 4)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.caption)

    # -- content -------------------------------------------------------------------
    def set_busy(self, text: str) -> None:
        self.state = "busy"
        self._set_caption(f"{text} …")

    def set_error(self, text: str) -> None:
        """No image: ``text`` in the caption, and in large type where the image would be."""
        self.state = "error"
        self.frame = None
        self.item.clear()
        self._set_caption(text if len(text) <= 120 else text[:117] + "…")
        self.caption.setToolTip(text)
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    def set_frame(
        self, frame: np.ndarray, caption: str | None = None, *, final: bool = True
    ) -> None:
        """Show ``frame`` (2-D stored values); ``final`` False keeps the busy state."""
        self.frame = frame
        self.stack.setCurrentWidget(self.graphics)
        if caption is not None:
            self._set_caption(caption)
        if final:
            self.state = "ready"
        self._redraw()

    def set_reference(self, reference: np.ndarray | None) -> None:
        self.reference = reference
        if self.is_difference():
            self._redraw()

    def clear(self) -> None:
        self.state = "empty"
        self.frame = self.reference = None
        self.item.clear()
        self.stack.setCurrentWidget(self.graphics)
        self.caption.setText("")

    def _set_caption(self, text: str) -> None:
        self.caption.setText(text)
        self.caption.setToolTip(text)

    def settled(self) -> bool:
        return self.state in ("ready", "error")

    # -- display -------------------------------------------------------------------
    def set_levels(self, low: float, high: float) -> None:
        self._levels = (low, high)
        if not self.is_difference() and self.frame is not None:
            self.item.setLevels(self._levels)

    def levels(self) -> tuple[float, float]:
        """The shared window's stored-value levels (also while showing a difference)."""
        return self._levels

    def set_lut(self, lut: np.ndarray) -> None:
        self._lut = lut
        if not self.is_difference():
            self.item.setLookupTable(lut)

    def is_difference(self) -> bool:
        return self.diff_button.isChecked()

    def set_difference(self, on: bool) -> None:
        if self.can_diff or not on:
            self.diff_button.setChecked(on)

    def difference_scale(self) -> float:
        """The colour bar's top (largest |difference| shown), 0 when not in that mode."""
        return float(self.colorbar.levels()[1]) if self.is_difference() else 0.0

    def _on_diff_toggled(self, on: bool) -> None:
        self._redraw()
        self.difference_toggled.emit(on)

    def _redraw(self) -> None:
        if self.frame is None:
            self.item.clear()
            self.colorbar.setVisible(False)
            return
        if (
            self.is_difference()
            and self.reference is not None
            and self.reference.shape == self.frame.shape
        ):
            diff = display.difference(self.frame, self.reference)
            top = max(float(diff.max()), 1.0)
            self.item.setImage(diff, autoLevels=False, levels=(0.0, top), lut=self._diff_lut)
            self.colorbar.setLevels((0.0, top))
            self.colorbar.setVisible(True)
            return
        self.colorbar.setVisible(False)
        self.item.setImage(self.frame, autoLevels=False, levels=self._levels, lut=self._lut)

    def _on_mouse_moved(self, pos: QPointF) -> None:
        if self.frame is None or not self.view.sceneBoundingRect().contains(pos):
            self.hovered.emit(-1, -1)
            return
        point = self.view.mapSceneToView(pos)
        row, col = int(np.floor(point.y())), int(np.floor(point.x()))
        rows, cols = self.frame.shape
        self.hovered.emit(row, col) if 0 <= row < rows and 0 <= col < cols else self.hovered.emit(
            -1, -1
        )

    def value_at(self, row: int, col: int) -> float | None:
        if self.frame is None or not (
            0 <= row < self.frame.shape[0] and 0 <= col < self.frame.shape[1]
        ):
            return None
        return float(self.frame[row, col])
