"""One image pane: a title with A/B and difference toggles, a view, corner overlays,
a caption.

The pane shows one 2-D frame of stored values through the window's shared levels, or,
in difference mode, |frame - original| on the colour scale the window shares across
panes (:meth:`set_difference_scale`), or, flickered (A/B), the original frame in its
place with the same zoom and levels. Mouse gestures are :mod:`qt_view_tools`'s; the
pixel under the mouse is reported (``hovered``). Zoom and pan are linked by the main
window.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from medcomp_gui.gui import display
from medcomp_gui.gui.overlays import CORNERS
from medcomp_gui.gui.qt_view_tools import QtToolViewBox

DIFF_COLORMAP = "inferno"
OVERLAY_STYLE = "color: #f0f0f0; background: rgba(0, 0, 0, 120); padding: 1px 3px;"
FLICKER_STYLE = "color: #111; background: #ffd24a; padding: 1px 4px; font-weight: bold;"
#: A pane's frame: black, yellow while flickered (the original is in it, unmistakably);
#: always there, so that flickering never changes the view's size.
#: (A selector, so that the overlay labels inside the view do not inherit the border.)
PANE_FRAME = "QGraphicsView { border: 3px solid black; }"
FLICKER_FRAME = "QGraphicsView { border: 3px solid #ffd24a; }"


class QtImagePane(QWidget):
    """A titled view of one frame with a caption; states: empty, busy, ready, error."""

    hovered = Signal(int, int)  # row, col under the mouse (-1, -1 when outside)
    window_dragged = Signal(float, float)
    difference_toggled = Signal(bool)
    flicker_toggled = Signal(bool)
    activated = Signal()  # the user pressed in this pane or hovered it

    def __init__(self, title: str, can_diff: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.state = "empty"
        self.frame: np.ndarray | None = None  # what the pane shows, stored values
        self.reference: np.ndarray | None = None  # the original frame, for differences
        self.info: list[str] = []  # the pane's codec and setting (bottom-right corner)
        self._levels: tuple[float, float] = (0.0, 1.0)
        self._lut = display.grey_lut(False)
        self._diff_lut = pg.colormap.get(DIFF_COLORMAP).getLookupTable(nPts=256)
        self._diff_top = 1.0
        self.can_diff = can_diff

        self.title_label = QLabel(f"<b>{title}</b>")
        self.flicker_button = self._toggle(
            "A/B",
            "Flicker: show the original here in place of this pane's image (B; Shift+B: timed)",
            can_diff,
        )
        self.flicker_button.toggled.connect(self._on_flicker_toggled)
        self.diff_button = self._toggle(
            "Difference",
            "Show |this - original| on the shared colour scale (D: all panes)",
            can_diff,
        )
        self.diff_button.toggled.connect(self._on_diff_toggled)
        self.flicker_label = QLabel("A/B: showing the ORIGINAL")
        self.flicker_label.setStyleSheet(FLICKER_STYLE)
        self.flicker_label.hide()
        for label in (self.title_label, self.flicker_label):  # never widen the pane
            label.setMinimumWidth(1)  # may shrink below its text, never widen the pane
        self.flicker_label.setText("A/B: ORIGINAL")
        header_widget = QWidget()
        # One height, whatever the header shows (the A/B label must not move the view).
        header_widget.setFixedHeight(self.diff_button.sizeHint().height())
        header = QHBoxLayout(header_widget)
        header.setContentsMargins(4, 0, 4, 0)
        header.addWidget(self.title_label)
        header.addWidget(self.flicker_label)
        header.addStretch(1)
        header.addWidget(self.flicker_button)
        header.addWidget(self.diff_button)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("k")
        self.graphics.ci.layout.setContentsMargins(0, 0, 0, 0)
        self.graphics.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.graphics.setStyleSheet(PANE_FRAME)
        self.view = QtToolViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.view.window_dragged.connect(self.window_dragged)
        self.view.pressed.connect(self._on_pressed)
        self.graphics.addItem(self.view, row=0, col=0)
        self.item = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.item)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.corner_labels = {corner: self._overlay_label(corner) for corner in CORNERS}

        # Messages lie over the view (which keeps its size, so that the linked views of
        # the four panes always agree).
        self.message = QLabel("", self.graphics)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.message.hide()
        self.message.setStyleSheet(
            "background: black; color: #ddd; font-size: 15px; padding: 20px;"
        )

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
        layout.addWidget(header_widget)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.caption)

    def _toggle(self, text: str, tip: str, visible: bool) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setCheckable(True)
        button.setToolTip(tip)
        policy = button.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        button.setSizePolicy(policy)
        button.setVisible(visible)
        return button

    def _overlay_label(self, corner: str) -> QLabel:
        label = QLabel("", self.graphics)
        label.setStyleSheet(OVERLAY_STYLE)
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        label.setAlignment(
            Qt.AlignmentFlag.AlignRight if corner.endswith("right") else Qt.AlignmentFlag.AlignLeft
        )
        label.hide()
        return label

    # -- content -------------------------------------------------------------------
    def set_title(self, html: str) -> None:
        self.title_label.setText(html)

    def set_busy(self, text: str) -> None:
        self.state = "busy"
        self._set_caption(f"{text} …")

    def set_error(self, text: str) -> None:
        """No image: ``text`` in the caption, and in large type where the image would be."""
        self.state = "error"
        self.frame = None
        self.info = []
        self.item.clear()
        self._set_caption(text if len(text) <= 120 else text[:117] + "…")
        self.caption.setToolTip(text)
        self._show_message(text)

    def set_frame(
        self, frame: np.ndarray, caption: str | None = None, *, final: bool = True
    ) -> None:
        """Show ``frame`` (2-D stored values); ``final`` False keeps the busy state."""
        self.frame = frame
        self._show_message("")
        if caption is not None:
            self._set_caption(caption)
        if final:
            self.state = "ready"
        self._redraw()

    def set_reference(self, reference: np.ndarray | None) -> None:
        self.reference = reference
        if self.is_difference() or self.is_flickered():
            self._redraw()

    def clear(self, message: str = "") -> None:
        """Nothing shown; ``message`` (if any) where the image would be."""
        self.state = "empty"
        self.frame = self.reference = None
        self.info = []
        self.item.clear()
        self.flicker_button.setChecked(False)
        self.caption.setText("")
        self.caption.setToolTip("")
        self._show_message(message)
        self.set_overlay({})

    def _show_message(self, text: str) -> None:
        """``text`` in large type over the view, or no message for ""."""
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.message.setGeometry(self.graphics.rect())
        self.message.raise_()

    def _set_caption(self, text: str) -> None:
        self.caption.setText(text)
        self.caption.setToolTip(text)

    def settled(self) -> bool:
        return self.state in ("ready", "error")

    # -- overlays ------------------------------------------------------------------
    def set_overlay(self, texts: dict[str, str]) -> None:
        """The corners' texts (missing or empty corners are hidden)."""
        for corner, label in self.corner_labels.items():
            text = texts.get(corner, "")
            label.setText(text)
            label.setVisible(bool(text))
            label.adjustSize()
        self._place_overlays()

    def overlay_texts(self) -> dict[str, str]:
        return {corner: label.text() for corner, label in self.corner_labels.items()}

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._place_overlays()

    def _place_overlays(self) -> None:
        width, height = self.graphics.width(), self.graphics.height()
        self.message.setGeometry(self.graphics.rect())
        for corner, label in self.corner_labels.items():
            x = width - label.width() - 2 if corner.endswith("right") else 2
            y = height - label.height() - 2 if corner.startswith("bottom") else 2
            label.move(max(x, 0), max(y, 0))

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

    def set_difference_scale(self, top: float) -> None:
        """The shared colour scale's top (|difference| in stored units shown brightest)."""
        self._diff_top = max(float(top), 1.0)
        if self.is_difference():
            self._redraw()

    def difference_scale(self) -> float:
        """The colour scale's top while in difference mode, else 0."""
        return self._diff_top if self.is_difference() else 0.0

    def difference_image(self) -> np.ndarray | None:
        """|frame - original| (stored units), or None without both."""
        if self.frame is None or self.reference is None or self.reference.shape != self.frame.shape:
            return None
        return display.difference(self.frame, self.reference)

    def is_flickered(self) -> bool:
        return self.flicker_button.isChecked()

    def set_flicker(self, on: bool) -> None:
        if self.can_diff or not on:
            self.flicker_button.setChecked(on)

    def shown(self) -> np.ndarray | None:
        """The stored values on screen now: the original while flickered, else the frame."""
        if self.is_flickered() and self.reference is not None:
            return self.reference
        return self.frame

    def _on_diff_toggled(self, on: bool) -> None:
        self._redraw()
        self.difference_toggled.emit(on)

    def _on_flicker_toggled(self, on: bool) -> None:
        self.flicker_label.setVisible(on)
        self.graphics.setStyleSheet(FLICKER_FRAME if on else PANE_FRAME)
        self._redraw()
        self.flicker_toggled.emit(on)

    def _redraw(self) -> None:
        if self.frame is None:
            self.item.clear()
            return
        shown = self.shown()
        if self.is_difference() and not self.is_flickered():
            diff = self.difference_image()
            if diff is not None:
                self.item.setImage(
                    diff, autoLevels=False, levels=(0.0, self._diff_top), lut=self._diff_lut
                )
                return
        self.item.setImage(shown, autoLevels=False, levels=self._levels, lut=self._lut)

    def _on_pressed(self) -> None:
        self.graphics.setFocus(Qt.FocusReason.MouseFocusReason)
        self.activated.emit()

    def _on_mouse_moved(self, pos: QPointF) -> None:
        if self.frame is None or not self.view.sceneBoundingRect().contains(pos):
            self.hovered.emit(-1, -1)
            return
        point = self.view.mapSceneToView(pos)
        row, col = int(np.floor(point.y())), int(np.floor(point.x()))
        rows, cols = self.frame.shape
        inside = 0 <= row < rows and 0 <= col < cols
        self.hovered.emit(row, col) if inside else self.hovered.emit(-1, -1)

    def value_at(self, row: int, col: int) -> float | None:
        shown = self.shown()
        if shown is None or not (0 <= row < shown.shape[0] and 0 <= col < shown.shape[1]):
            return None
        return float(shown[row, col])

    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        size = self.view.viewPixelSize()[0]
        return 1.0 / size if size > 0 else 1.0
