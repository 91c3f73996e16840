"""The main window: the 2 x 2 panes, the control column, drops and the status bar.

Zoom and pan are linked across the panes; one window/level is shared by all (a left
drag in any pane, the presets, the C/W boxes, the histogram, Auto). MONOCHROME1 is
shown inverted. Mouse and keys are OHIF's (:mod:`shortcuts`; the menus and key
bindings are built by :mod:`qt_menus`); what they do to the view (fit, zoom, A/B
flicker, the difference scale, overlays) is :mod:`qt_view_commands`; the ROI, ruler
and crosshair are :mod:`qt_annotations`'s.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from medcomp_gui.gui import compute, display, overlays, worker_process
from medcomp_gui.gui.qt_annotations import QtAnnotations
from medcomp_gui.gui.qt_compat import GuiThreadGarbage, guard_singleton_refcounts
from medcomp_gui.gui.qt_controls import QtControlPanel
from medcomp_gui.gui.qt_histogram import frame_histogram
from medcomp_gui.gui.qt_image_pane import QtImagePane
from medcomp_gui.gui.qt_menus import build_menus, open_dialog
from medcomp_gui.gui.qt_pipeline import QtPanePipeline
from medcomp_gui.gui.qt_settings import QtViewerSettings
from medcomp_gui.gui.qt_view_commands import QtViewCommands
from medcomp_gui.imaging.image import MedicalImage, WindowPreset
from medcomp_gui.series import Entry

PANE_TITLES = {
    "original": "Original",
    "anlm": "ANLM-filtered",
    "rwnet": "RWNet reconstruction",
    "svd": "SVD reconstruction",
}
#: Half period of the timed A/B flicker (ms): the original, then the pane's image.
FLICKER_MS = 500


class QtMainWindow(QtViewCommands, QMainWindow):
    def __init__(self, workers: worker_process.Workers | None = None) -> None:
        """``workers``: the child processes of the heavy work, if already started (the
        app starts them before it imports Qt); else the window starts its own."""
        super().__init__()
        guard_singleton_refcounts()
        GuiThreadGarbage.acquire()
        self._collecting = True
        self.setWindowTitle("medcomp")
        self.setAcceptDrops(True)
        self.resize(1280, 1000)
        self.settings = QtViewerSettings()
        self.last_error: str | None = None
        self.center, self.width = 0.0, 1.0
        self.presets: list[WindowPreset] = []
        self.preset_index = -1  # the preset the window is at, -1 after a drag or an edit
        self.default_preset = 0
        self.wl_multiplier = display.DRAG_MIN_MULTIPLIER
        self.inverted = False  # the user's inversion, on top of MONOCHROME1's
        self.show_overlays = self.settings.overlays()
        self.active = "rwnet"  # the pane that B flickers
        self.maximised: str | None = None
        self.message_box: QMessageBox | None = None
        self.rd_window = None
        self.save_dialog = None
        self.report_dialog = None
        self.batch_dialog = None  # File > Compress folder… (qt_batch_dialog)
        self.drop_choice = None
        self.help_dialog = None
        self._scans = 0

        self.panes = {
            name: QtImagePane(title, can_diff=name != "original")
            for name, title in PANE_TITLES.items()
        }
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(4)
        for i, (name, pane) in enumerate(self.panes.items()):
            self.grid.addWidget(pane, i // 2, i % 2)
            pane.hovered.connect(lambda r, c, p=pane: self._on_hover(p, r, c))
            pane.window_dragged.connect(self._on_window_dragged)
            pane.view.frame_step.connect(self.step_frame)
            pane.view.double_clicked.connect(lambda n=name: self.toggle_maximise(n))
            pane.activated.connect(lambda n=name: self._set_active(n))
            pane.difference_toggled.connect(lambda _on: self.update_difference_scale())
            pane.flicker_toggled.connect(lambda _on: self.refresh_overlays())
        for i in range(2):
            self.grid.setColumnStretch(i, 1)
            self.grid.setRowStretch(i, 1)
        first = self.panes["original"].view
        for pane in list(self.panes.values())[1:]:
            pane.view.setXLink(first)
            pane.view.setYLink(first)
        first.sigRangeChanged.connect(lambda *_: self.refresh_overlays())
        self.panes_widget = QWidget()
        self.panes_widget.setLayout(self.grid)
        self.annotations = QtAnnotations(self)

        self.controls = QtControlPanel()
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.panes_widget, 1)
        column.addWidget(self.annotations.table)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(2, 2, 2, 2)
        row.addWidget(left, 1)
        row.addWidget(self.controls)
        self.setCentralWidget(central)

        self.pipeline = QtPanePipeline(self.panes, self, workers)
        self.pipeline.image_loaded.connect(self._on_image_loaded)
        self.pipeline.load_failed.connect(self._on_load_failed)
        self.pipeline.svd_size.connect(self.controls.svd_size_label.setText)
        self.pipeline.rwnet_probed.connect(self.controls.set_rwnet)
        self.pipeline.panes_changed.connect(self._on_panes_changed)
        self.pipeline.rank_chosen.connect(self.controls.show_rank)
        self.pipeline.rwnet_chosen.connect(self.controls.show_rwnet_quality)
        self.pipeline.runner.busy_changed.connect(self._on_busy)
        self.pipeline.runner.progress.connect(self.statusBar().showMessage)

        c = self.controls
        c.file_selected.connect(self.load_entry)
        c.frame_changed.connect(self.pipeline.set_frame)
        c.frame_changed.connect(self._on_frame)
        c.histogram.levels_dragged.connect(self._on_levels_dragged)
        c.rank_changed.connect(self.pipeline.set_rank)
        c.rwnet_quality_changed.connect(self.pipeline.set_rwnet_quality)
        c.strength_changed.connect(self.pipeline.set_strength)
        c.denoise_toggled.connect(self.pipeline.set_denoise_first)
        c.window_changed.connect(self._on_window_edited)
        c.preset_chosen.connect(self.apply_preset)
        c.auto_window_requested.connect(self.auto_window)
        c.save_requested.connect(self.save_compressed)
        c.rd_plot_requested.connect(self.show_rd_plot)

        self.flicker_timer = QTimer(self)
        self.flicker_timer.setInterval(FLICKER_MS)
        self.flicker_timer.timeout.connect(self._flicker_tick)
        self.readout = QLabel("")
        self.busy_label = QLabel("")
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.setVisible(False)
        self.statusBar().addWidget(self.readout, 1)
        self.statusBar().addPermanentWidget(self.busy_label)
        self.statusBar().addPermanentWidget(self.busy_bar)
        self.menus = build_menus(self)
        self.pipeline.probe_codecs()
        self.pipeline.probe_rwnet()

    # -- files -----------------------------------------------------------------------
    def open_dialog(self) -> None:
        self.add_paths(open_dialog(self))

    def add_paths(self, paths: list[Path]) -> None:
        """List files and the images in folders (grouped into studies, series and
        stacks by the compute process: a PACS export can hold thousands) and show the
        first of them; the panes get the keys."""
        self.focus_image()
        self._scans += 1
        worker = self.pipeline.workers.compute
        self.statusBar().showMessage("reading the files' headers …")
        self.pipeline.runner.submit(
            f"scan-{self._scans}",
            lambda: worker.call("scan", paths),
            lambda entries: self._add_entries(paths, entries),
            lambda exc: self._on_load_failed(
                str(paths[0]) if paths else "", compute.error_reason(exc)
            ),
        )

    def _add_entries(self, paths: list[Path], entries: list[Entry]) -> None:
        if not entries:
            self._on_load_failed(str(paths[0]) if paths else "", "no image files found")
            return
        self.statusBar().clearMessage()
        tree = self.controls.file_list
        indices = tree.add_entries(entries)
        if tree.current_index() == indices[0] and self.pipeline.image is not None:
            return  # already shown
        tree.select(indices[0])

    def load_entry(self, index: int) -> None:
        self.pipeline.load(self.controls.file_list.entries[index])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        if any(p.is_dir() for p in paths):
            from medcomp_gui.gui.qt_batch_dialog import offer_folder_drop

            offer_folder_drop(self, paths)  # view its images, or compress it
        else:
            self.add_paths(paths)

    def compress_folder_dialog(self) -> None:
        from medcomp_gui.gui.qt_batch_dialog import start_batch_dialog

        folder = QFileDialog.getExistingDirectory(self, "Compress a folder of images")
        if folder:
            start_batch_dialog(self, [Path(folder)])

    def _on_load_failed(self, path: str, message: str) -> None:
        self.last_error = f"Cannot open {path}: {message}"
        self.setWindowTitle("medcomp")
        self.presets = []
        self.controls.set_presets([])
        self.controls.histogram.clear_counts()
        self.annotations.clear()
        self.readout.setText("")
        self.statusBar().showMessage(self.last_error)
        self.message_box = QMessageBox(
            QMessageBox.Icon.Warning, "Cannot open file", self.last_error, parent=self
        )
        self.message_box.open()

    def _on_image_loaded(self, image: MedicalImage) -> None:
        self.last_error = None
        mark = overlays.lossy_mark(image)
        name = Path(image.source).name if image.source else "image"
        if image.n_frames > 1 and Path(image.source).is_dir():
            name += f" ({image.n_frames} slices)"
        self.setWindowTitle(f"medcomp — {name}" + (f" — {mark.label()}" if mark else ""))
        self.panes["original"].set_title(
            f"<b style='color:#c00'>Source: {mark.label()}</b>" if mark else "<b>Original</b>"
        )
        self.controls.set_image_shape(
            image.n_frames, min(image.rows, image.cols), self.pipeline.rank
        )
        frame = image.frames[0]
        self.wl_multiplier = display.drag_multiplier(image, frame)
        self.presets = [
            *display.file_windows(image),
            *display.modality_presets(image, frame),
            *self.settings.user_presets(image.modality),
        ]
        self.controls.set_presets(self.presets)
        self.default_preset = display.default_preset(image, frame, self.presets)
        self._update_histogram(frame)
        self.annotations.clear()
        self.apply_lut()
        self.apply_preset(self.default_preset)
        self.fit()

    # -- window/level ----------------------------------------------------------------
    def set_window(self, center: float, width: float, preset: int = -1) -> None:
        """Window every pane at ``center``/``width`` (output units); ``preset``: the
        index of the preset this is, -1 for a window of the user's own."""
        image = self.pipeline.image
        self.center, self.width = center, max(width, 1e-3)
        self.preset_index = preset
        self.controls.show_window(self.center, self.width, preset)
        if image is None:
            return
        low, high = display.stored_levels(image, self.center, self.width)
        for pane in self.panes.values():
            pane.set_levels(low, high)
        self.controls.histogram.set_levels(center - width / 2.0, center + width / 2.0)
        self.refresh_overlays()

    def _on_window_edited(self, center: float, width: float) -> None:
        self.set_window(center, width)

    def _on_levels_dragged(self, low: float, high: float) -> None:
        if self.pipeline.image is not None:
            self.set_window((low + high) / 2.0, high - low)

    def apply_preset(self, index: int) -> None:
        if 0 <= index < len(self.presets):
            self.set_window(self.presets[index].center, self.presets[index].width, index)

    def auto_window(self) -> None:
        image = self.pipeline.image
        if image is not None:
            w = display.auto_window(image, image.frames[self.pipeline.frame])
            self.set_window(w.center, w.width)

    def _on_window_dragged(self, dx: float, dy: float) -> None:
        self.set_window(
            *display.dragged_window(self.center, self.width, dx, dy, self.wl_multiplier)
        )

    def save_user_preset(self, name: str) -> None:
        """Keep the current window as a preset of this modality (in the settings)."""
        image = self.pipeline.image
        if image is None or not name:
            return
        preset = WindowPreset(self.center, self.width, name)
        self.settings.add_user_preset(image.modality, preset)
        self.presets.append(preset)
        self.controls.set_presets(self.presets)
        self.set_window(preset.center, preset.width, len(self.presets) - 1)

    def toggle_invert(self) -> None:
        self.inverted = not self.inverted
        self.apply_lut()
        self.refresh_overlays()

    def apply_lut(self) -> None:
        image = self.pipeline.image
        invert = self.inverted != (image is not None and display.is_inverted(image))
        lut = display.grey_lut(invert)
        for pane in self.panes.values():
            pane.set_lut(lut)

    # -- frames ----------------------------------------------------------------------
    def step_frame(self, delta: int) -> None:
        slider = self.controls.frame_slider
        slider.setValue(min(max(slider.value() + delta, 0), slider.maximum()))

    def go_to_frame(self, frame: int) -> None:
        slider = self.controls.frame_slider
        slider.setValue(min(max(frame, 0), slider.maximum()))

    def _on_frame(self, frame: int) -> None:
        if self.pipeline.image is not None:
            self._update_histogram(self.pipeline.image.frames[frame])
            self.update_difference_scale()
            self.annotations.update_stats()
            self.refresh_overlays()

    def _update_histogram(self, frame) -> None:
        image = self.pipeline.image
        slope, intercept = image.rescale_slope, image.rescale_intercept
        self.pipeline.runner.submit(
            "histogram",
            lambda: frame_histogram(frame, slope, intercept),
            lambda r: self.controls.histogram.set_counts(*r),
        )

    # -- overlays --------------------------------------------------------------------
    def _on_panes_changed(self) -> None:
        self.pipeline.measure_best()
        self.update_difference_scale()
        self.annotations.update_stats()
        self.refresh_overlays()

    # -- hover -----------------------------------------------------------------------
    def _on_hover(self, pane: QtImagePane, row: int, col: int) -> None:
        image = self.pipeline.image
        self.annotations.show_crosshair(pane, row, col)
        if image is None or row < 0:
            self.readout.setText("")
            return
        for name, candidate in self.panes.items():
            if candidate is pane:
                self._set_active(name)
        original = self.panes["original"].value_at(row, col)
        text = display.readout(image, row, col, original, "original")
        if pane is not self.panes["original"] and (value := pane.value_at(row, col)) is not None:
            text += (
                f"   |   {pane.title}: {display.readout(image, row, col, value).split('  ', 2)[-1]}"
            )
        self.readout.setText(text)

    def _on_busy(self, jobs: int) -> None:
        self.busy_bar.setVisible(jobs > 0)
        self.busy_label.setText(f"working ({jobs})" if jobs else "ready")

    # -- dialogs ---------------------------------------------------------------------
    def save_compressed(self) -> None:
        from medcomp_gui.gui.qt_save_dialog import start_save

        start_save(self)

    def show_rd_plot(self) -> None:
        from medcomp_gui.gui.qt_rd_plot import QtRDPlotWindow

        if self.pipeline.image is None:
            return
        self.rd_window = QtRDPlotWindow(self.pipeline, self)
        self.rd_window.show()

    def show_shortcuts(self) -> None:
        from medcomp_gui.gui.qt_help import QtShortcutsDialog

        self.help_dialog = QtShortcutsDialog(self)
        self.help_dialog.show()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.flicker_timer.stop()
        if self.rd_window is not None:
            self.rd_window.close()  # stops its sweep at the next point
        if self.batch_dialog is not None:
            self.batch_dialog.shutdown()  # the files in flight finish, the report is written
        self.pipeline.shutdown()
        super().closeEvent(event)
        if self._collecting and event.isAccepted():
            self._collecting = False
            GuiThreadGarbage.release()
