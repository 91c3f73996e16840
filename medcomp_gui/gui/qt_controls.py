"""The control column: file list, frame, window/level, SVD rank, RWNet, ANLM, actions.

Widgets only; it emits what the user asked for and the main window does the work. The
rank slider is logarithmic (:func:`display.rank_at`): equal drags are equal ratios of
rank, so the small ranks where the file size changes fastest get most of its travel.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from medcomp_gui.gui import display
from medcomp_gui.gui.qt_file_tree import QtFileTree
from medcomp_gui.gui.qt_histogram import QtWindowHistogram
from medcomp_gui.imaging.image import WindowPreset

#: Stops of the difference colour scale's legend (inferno, as the panes draw it).
DIFF_LEGEND = (
    "qlineargradient(x1:0, y1:0, x2:1, y2:0, stop:0 #000004, stop:0.25 #57106e, "
    "stop:0.5 #bc3754, stop:0.75 #f98e09, stop:1 #fcffa4)"
)


def _slider(low: int, high: int) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(low, high)
    slider.setTracking(True)
    return slider


class QtControlPanel(QWidget):
    """Controls for the main window; see the module docstring."""

    file_selected = Signal(int)
    frame_changed = Signal(int)
    window_changed = Signal(float, float)  # centre, width in output units
    preset_chosen = Signal(int)
    auto_window_requested = Signal()
    rank_changed = Signal(int)
    rwnet_quality_changed = Signal(object)
    strength_changed = Signal(float)
    denoise_toggled = Signal(bool)
    save_requested = Signal()
    rd_plot_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(250)
        self.setMaximumWidth(340)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)

        files = QGroupBox("Images (drop files or folders)")
        self.file_list = QtFileTree()
        self.file_list.entry_selected.connect(self.file_selected)
        QVBoxLayout(files).addWidget(self.file_list)
        layout.addWidget(files, 1)

        view = QGroupBox("View")
        form = QFormLayout(view)
        self.frame_slider = _slider(0, 0)
        self.frame_label = QLabel("1 / 1")
        row = QHBoxLayout()
        row.addWidget(self.frame_slider, 1)
        row.addWidget(self.frame_label)
        form.addRow("Frame", row)
        self.frame_slider.valueChanged.connect(self._on_frame)
        self.preset_combo = QComboBox()
        self.preset_combo.setPlaceholderText("custom")
        self.preset_combo.activated.connect(self.preset_chosen)
        self.auto_button = QPushButton("Auto")
        self.auto_button.setToolTip("Window over the 0.5-99.5 % percentiles (A)")
        self.auto_button.clicked.connect(self.auto_window_requested)
        row = QHBoxLayout()
        row.addWidget(self.preset_combo, 1)
        row.addWidget(self.auto_button)
        form.addRow("Window", row)
        self.center_spin = self._window_spin()
        self.width_spin = self._window_spin()
        self.width_spin.setMinimum(1e-3)
        row = QHBoxLayout()
        row.addWidget(QLabel("C"))
        row.addWidget(self.center_spin, 1)
        row.addWidget(QLabel("W"))
        row.addWidget(self.width_spin, 1)
        form.addRow(row)
        self.histogram = QtWindowHistogram()
        self.histogram.setToolTip(
            "Drag the shaded window or its edges; right-drag in a pane also works"
        )
        form.addRow(self.histogram)
        self.diff_legend = QLabel("")
        self.diff_legend.setToolTip("The colour scale every pane in difference mode shares")
        self.diff_legend.setVisible(False)
        form.addRow(self.diff_legend)
        layout.addWidget(view)

        svd = QGroupBox("SVD")
        form = QFormLayout(svd)
        self.rank_slider = _slider(0, display.RANK_STEPS)
        self.rank_slider.setToolTip("Logarithmic: each step multiplies the rank")
        self.rank_spin = QSpinBox()
        self.rank_spin.setRange(1, 1)
        self.rank_spin.setKeyboardTracking(False)
        self.rank_slider.valueChanged.connect(self._on_rank_slider)
        self.rank_spin.valueChanged.connect(self._on_rank_spin)
        row = QHBoxLayout()
        row.addWidget(self.rank_slider, 1)
        row.addWidget(self.rank_spin)
        form.addRow("Rank", row)
        self.svd_size_label = QLabel("file size: –")
        self.svd_size_label.setWordWrap(True)
        form.addRow(self.svd_size_label)
        layout.addWidget(svd)

        rwnet = QGroupBox("RWNet")
        form = QFormLayout(rwnet)
        self.rwnet_combo = QComboBox()
        self.rwnet_combo.setEnabled(False)
        self.rwnet_combo.currentIndexChanged.connect(self._on_rwnet)
        self.rwnet_status = QLabel("loading RWNet in the background …")
        self.rwnet_status.setWordWrap(True)
        form.addRow("Quality", self.rwnet_combo)
        form.addRow(self.rwnet_status)
        layout.addWidget(rwnet)

        anlm = QGroupBox("ANLM denoising")
        form = QFormLayout(anlm)
        self.strength_spin = QDoubleSpinBox()
        self.strength_spin.setRange(0.0, 5.0)
        self.strength_spin.setSingleStep(0.1)
        self.strength_spin.setValue(1.0)
        self.strength_spin.setKeyboardTracking(False)
        self.strength_spin.valueChanged.connect(self.strength_changed)
        form.addRow("Strength", self.strength_spin)
        self.denoise_check = QCheckBox("Denoise before compressing")
        self.denoise_check.toggled.connect(self.denoise_toggled)
        form.addRow(self.denoise_check)
        layout.addWidget(anlm)

        self.save_button = QPushButton("Save compressed…")
        self.save_button.clicked.connect(self.save_requested)
        self.rd_button = QPushButton("Rate-distortion plot…")
        self.rd_button.clicked.connect(self.rd_plot_requested)
        layout.addWidget(self.save_button)
        layout.addWidget(self.rd_button)

    def _window_spin(self) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(-1e6, 1e6)
        spin.setDecimals(1)
        spin.setKeyboardTracking(False)
        spin.valueChanged.connect(self._on_window_spin)
        return spin

    # -- from the window -----------------------------------------------------------
    def set_image_shape(self, n_frames: int, max_rank: int, rank: int) -> None:
        for widget in (self.frame_slider, self.rank_slider, self.rank_spin):
            widget.blockSignals(True)
        self.frame_slider.setRange(0, n_frames - 1)
        self.frame_slider.setValue(0)
        self.frame_slider.setEnabled(n_frames > 1)
        self.frame_label.setText(f"1 / {n_frames}")
        self.rank_spin.setRange(1, max_rank)
        for widget in (self.frame_slider, self.rank_slider, self.rank_spin):
            widget.blockSignals(False)
        self.show_rank(rank)

    def show_rank(self, rank: int) -> None:
        """Show ``rank`` on the slider and the box without asking for it again."""
        for widget in (self.rank_slider, self.rank_spin):
            widget.blockSignals(True)
        self.rank_spin.setValue(rank)
        self.rank_slider.setValue(display.rank_position(rank, self.rank_spin.maximum()))
        for widget in (self.rank_slider, self.rank_spin):
            widget.blockSignals(False)

    def set_presets(self, presets: list[WindowPreset]) -> None:
        self.preset_combo.clear()
        for i, p in enumerate(presets, 1):
            self.preset_combo.addItem(f"{p.name} [{i}]" if i <= 9 else p.name)
            self.preset_combo.setItemData(
                i - 1, f"C {p.center:g}  W {p.width:g}", Qt.ItemDataRole.ToolTipRole
            )

    def show_window(self, center: float, width: float, preset: int = -1) -> None:
        """Show the window; the preset box names ``preset``, or "custom" for -1."""
        for spin, value in ((self.center_spin, center), (self.width_spin, width)):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)
        self.preset_combo.setCurrentIndex(preset if preset < self.preset_combo.count() else -1)

    def show_difference_scale(self, scale: tuple[float, float, str] | None) -> None:
        """The shared difference scale: (top in stored units, in output units, unit)."""
        if scale is None:
            self.diff_legend.setVisible(False)
            return
        top, top_out, unit = scale
        text = f"difference 0 – {top:g} stored"
        if unit != "stored":
            text += f" (= {top_out:g} {unit})"
        self.diff_legend.setText(text)
        self.diff_legend.setStyleSheet(
            f"background: {DIFF_LEGEND}; color: white; padding: 2px; font-weight: bold;"
        )
        self.diff_legend.setVisible(True)

    def set_rwnet(self, qualities: list[Any], reason: str | None) -> None:
        self.rwnet_combo.blockSignals(True)
        self.rwnet_combo.clear()
        for q in sorted(qualities):
            self.rwnet_combo.addItem(str(q), q)
        if qualities:  # the first is the codec's default
            self.rwnet_combo.setCurrentIndex(self.rwnet_combo.findData(qualities[0]))
        self.rwnet_combo.blockSignals(False)
        self.rwnet_combo.setEnabled(bool(qualities))
        self.rwnet_status.setText(f"not available: {reason}" if reason else "ready")

    def show_rwnet_quality(self, quality: Any) -> None:
        """Show ``quality`` without asking for it again."""
        index = self.rwnet_combo.findData(quality)
        if index >= 0:
            self.rwnet_combo.blockSignals(True)
            self.rwnet_combo.setCurrentIndex(index)
            self.rwnet_combo.blockSignals(False)

    def rwnet_quality(self) -> Any:
        return self.rwnet_combo.currentData() if self.rwnet_combo.count() else None

    def rank(self) -> int:
        return self.rank_spin.value()

    def frame(self) -> int:
        return self.frame_slider.value()

    # -- signals -------------------------------------------------------------------
    def _on_frame(self, value: int) -> None:
        self.frame_label.setText(f"{value + 1} / {self.frame_slider.maximum() + 1}")
        self.frame_changed.emit(value)

    def _on_rank_slider(self, position: int) -> None:
        rank = display.rank_at(position, self.rank_spin.maximum())
        if rank != self.rank_spin.value():
            self.rank_spin.blockSignals(True)
            self.rank_spin.setValue(rank)
            self.rank_spin.blockSignals(False)
            self.rank_changed.emit(rank)

    def _on_rank_spin(self, rank: int) -> None:
        self.rank_slider.blockSignals(True)
        self.rank_slider.setValue(display.rank_position(rank, self.rank_spin.maximum()))
        self.rank_slider.blockSignals(False)
        self.rank_changed.emit(rank)

    def _on_rwnet(self, _index: int) -> None:
        self.rwnet_quality_changed.emit(self.rwnet_quality())

    def _on_window_spin(self, _value: float) -> None:
        self.window_changed.emit(self.center_spin.value(), self.width_spin.value())
