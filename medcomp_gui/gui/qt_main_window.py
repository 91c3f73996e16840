"""The main window: the 2 x 2 panes, the control column, menus, drops and the status bar.

Zoom and pan are linked across the panes; one window/level is shared by all (right-drag
in any pane, the presets, the C/W boxes, Auto). MONOCHROME1 is shown inverted.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QWidget,
)

from medcomp_gui.gui import display, worker_process
from medcomp_gui.gui.qt_compat import guard_singleton_refcounts
from medcomp_gui.gui.qt_controls import QtControlPanel
from medcomp_gui.gui.qt_histogram import frame_histogram
from medcomp_gui.gui.qt_image_pane import QtImagePane
from medcomp_gui.gui.qt_pipeline import QtPanePipeline
from medcomp_gui.imaging.image import MedicalImage, WindowPreset
from medcomp_gui.imaging.raster_io import RASTER_SUFFIXES

IMAGE_SUFFIXES = (".dcm", ".dicom", ".mcz", *RASTER_SUFFIXES)
PANE_TITLES = {
    "original": "Original",
    "anlm": "ANLM-filtered",
    "rwnet": "RWNet reconstruction",
    "svd": "SVD reconstruction",
}
#: Files taken from one dropped folder at most (a whole PACS export would flood the list).
MAX_FOLDER_FILES = 5000


def image_files(folder: Path) -> list[Path]:
    """Image files in ``folder`` and below: known suffixes, or none (DICOM often has none)."""
    found = [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and not p.name.startswith(".")
        and (p.suffix.lower() in IMAGE_SUFFIXES or p.suffix == "")
    ]
    return found[:MAX_FOLDER_FILES]


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given, folders replaced by their image files."""
    found: list[Path] = []
    for path in paths:
        found.extend(image_files(path) if path.is_dir() else [path])
    return found


class QtMainWindow(QMainWindow):
    def __init__(self, workers: worker_process.Workers | None = None) -> None:
        """``workers``: the child processes of the heavy work, if already started (the
        app starts them before it imports Qt); else the window starts its own."""
        super().__init__()
        guard_singleton_refcounts()
        self.setWindowTitle("medcomp")
        self.setAcceptDrops(True)
        self.resize(1280, 1000)
        self.paths: list[Path] = []
        self.last_error: str | None = None
        self.center, self.width = 0.0, 1.0
        self.presets: list[WindowPreset] = []
        self.message_box: QMessageBox | None = None
        self.rd_window = None
        self.save_dialog = None
        self.report_dialog = None
        self.batch_dialog = None  # File > Compress folder… (qt_batch_dialog)
        self.drop_choice = None
        self._scans = 0

        self.panes = {
            name: QtImagePane(title, can_diff=name != "original")
            for name, title in PANE_TITLES.items()
        }
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        for i, pane in enumerate(self.panes.values()):
            grid.addWidget(pane, i // 2, i % 2)
            pane.hovered.connect(lambda r, c, p=pane: self._on_hover(p, r, c))
            pane.window_dragged.connect(self._on_window_dragged)
        for i in range(2):
            grid.setColumnStretch(i, 1)
            grid.setRowStretch(i, 1)
        first = self.panes["original"].view
        for pane in list(self.panes.values())[1:]:
            pane.view.setXLink(first)
            pane.view.setYLink(first)
        panes_widget = QWidget()
        panes_widget.setLayout(grid)

        self.controls = QtControlPanel()
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(2, 2, 2, 2)
        row.addWidget(panes_widget, 1)
        row.addWidget(self.controls)
        self.setCentralWidget(central)

        self.pipeline = QtPanePipeline(self.panes, self, workers)
        self.pipeline.image_loaded.connect(self._on_image_loaded)
        self.pipeline.load_failed.connect(self._on_load_failed)
        self.pipeline.svd_size.connect(self.controls.svd_size_label.setText)
        self.pipeline.rwnet_probed.connect(self.controls.set_rwnet)
        self.pipeline.runner.busy_changed.connect(self._on_busy)
        self.pipeline.runner.progress.connect(self.statusBar().showMessage)

        c = self.controls
        c.file_selected.connect(lambda row: self.pipeline.load(str(self.paths[row])))
        c.frame_changed.connect(self.pipeline.set_frame)
        c.frame_changed.connect(self._on_frame)
        c.histogram.levels_dragged.connect(self._on_levels_dragged)
        c.rank_changed.connect(self.pipeline.set_rank)
        c.rwnet_quality_changed.connect(self.pipeline.set_rwnet_quality)
        c.strength_changed.connect(self.pipeline.set_strength)
        c.denoise_toggled.connect(self.pipeline.set_denoise_first)
        c.window_changed.connect(self.set_window)
        c.preset_chosen.connect(self.apply_preset)
        c.auto_window_requested.connect(self.auto_window)
        c.save_requested.connect(self.save_compressed)
        c.rd_plot_requested.connect(self.show_rd_plot)

        self.readout = QLabel("")
        self.busy_label = QLabel("")
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.setVisible(False)
        self.statusBar().addWidget(self.readout, 1)
        self.statusBar().addPermanentWidget(self.busy_label)
        self.statusBar().addPermanentWidget(self.busy_bar)
        self._build_menus()
        self.pipeline.probe_codecs()
        self.pipeline.probe_rwnet()

    # -- menus and shortcuts ---------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self._action(file_menu, "Open &folder…", self.open_folder_dialog, "Ctrl+Shift+O")
        self._action(file_menu, "&Compress folder…", self.compress_folder_dialog, "Ctrl+B")
        self._action(
            file_menu, "&Save compressed…", self.save_compressed, QKeySequence.StandardKey.Save
        )
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        view = self.menuBar().addMenu("&View")
        self._action(view, "&Reset view", self.reset_view, "R")
        self._action(view, "&Auto window", self.auto_window, "A")
        self._action(view, "&Difference mode (all panes)", self.toggle_difference, "D")
        for i in range(1, 10):
            action = QAction(self)
            action.setShortcut(QKeySequence(str(i)))
            action.triggered.connect(lambda _=False, n=i - 1: self.apply_preset(n))
            self.addAction(action)
        tools = self.menuBar().addMenu("&Tools")
        self._action(tools, "&Rate-distortion plot…", self.show_rd_plot, "Ctrl+R")

    # -- files -----------------------------------------------------------------------
    def open_dialog(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self,
            "Open images",
            "",
            "Images (*.dcm *.mcz *.png *.tif *.tiff *.jpg *.npy);;All files (*)",
        )
        self.add_paths([Path(n) for n in names])

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of images")
        if folder:
            self.add_paths([Path(folder)])

    def add_paths(self, paths: list[Path]) -> None:
        """Add files (and the images in folders, listed in a worker: a PACS export can
        hold thousands) to the list and show the first added."""
        if any(p.is_dir() for p in paths):
            self._scans += 1
            self.statusBar().showMessage("listing the dropped folder …")
            self.pipeline.runner.submit(
                f"scan-{self._scans}",
                lambda: expand_paths(paths),
                lambda found: self._add_found(paths, found),
            )
        else:
            self._add_found(paths, paths)

    def _add_found(self, paths: list[Path], found: list[Path]) -> None:
        known = {p.resolve() for p in self.paths}
        added = [p for p in dict.fromkeys(found) if p.resolve() not in known]
        if not added:
            if found:  # all already listed: show the first again
                resolved = [p.resolve() for p in self.paths]
                self.controls.file_list.setCurrentRow(resolved.index(found[0].resolve()))
            elif paths:
                self._on_load_failed(str(paths[0]), "no image files found")
            return
        first = len(self.paths)
        self.paths.extend(added)
        self.controls.file_list.addItems([p.name for p in added])
        self.controls.file_list.setCurrentRow(first)

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
        self.statusBar().showMessage(self.last_error)
        self.message_box = QMessageBox(
            QMessageBox.Icon.Warning, "Cannot open file", self.last_error, parent=self
        )
        self.message_box.open()

    def _on_image_loaded(self, image: MedicalImage) -> None:
        self.setWindowTitle(f"medcomp — {Path(image.source).name if image.source else 'image'}")
        self.controls.set_image_shape(
            image.n_frames, min(image.rows, image.cols), self.pipeline.rank
        )
        self.presets = display.presets_for(image)
        self.controls.set_presets(self.presets)
        self._update_histogram(image.frames[0])
        lut = display.grey_lut(display.is_inverted(image))
        for pane in self.panes.values():
            pane.set_lut(lut)
        if image.windows:
            self.apply_preset(0)
        else:
            self.auto_window()
        self.reset_view()

    # -- window/level and view -------------------------------------------------------
    def set_window(self, center: float, width: float) -> None:
        image = self.pipeline.image
        self.center, self.width = center, max(width, 1e-3)
        self.controls.show_window(self.center, self.width)
        if image is None:
            return
        low, high = display.stored_levels(image, self.center, self.width)
        for pane in self.panes.values():
            pane.set_levels(low, high)
        self.controls.histogram.set_levels(low, high)

    def _on_levels_dragged(self, low: float, high: float) -> None:
        image = self.pipeline.image
        if image is not None:
            ends = sorted((display.to_output(image, low), display.to_output(image, high)))
            self.set_window((ends[0] + ends[1]) / 2.0, ends[1] - ends[0])

    def _on_frame(self, frame: int) -> None:
        if self.pipeline.image is not None:
            self._update_histogram(self.pipeline.image.frames[frame])

    def _update_histogram(self, frame) -> None:
        self.pipeline.runner.submit(
            "histogram",
            lambda: frame_histogram(frame),
            lambda r: self.controls.histogram.set_counts(*r),
        )

    def apply_preset(self, index: int) -> None:
        if 0 <= index < len(self.presets):
            self.controls.preset_combo.setCurrentIndex(index)
            self.set_window(self.presets[index].center, self.presets[index].width)

    def auto_window(self) -> None:
        image = self.pipeline.image
        if image is not None:
            w = display.auto_window(image, image.frames[self.pipeline.frame])
            self.set_window(w.center, w.width)

    def _on_window_dragged(self, dx: float, dy: float) -> None:
        self.set_window(*display.dragged_window(self.center, self.width, dx, dy))

    def reset_view(self) -> None:
        self.panes["original"].view.autoRange(padding=0.0)

    def toggle_difference(self) -> None:
        panes = [p for name, p in self.panes.items() if name != "original"]
        on = not all(p.is_difference() for p in panes)
        for pane in panes:
            pane.set_difference(on)

    def _on_hover(self, pane: QtImagePane, row: int, col: int) -> None:
        image = self.pipeline.image
        if image is None or row < 0:
            self.readout.setText("")
            return
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

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.rd_window is not None:
            self.rd_window.close()  # stops its sweep at the next point
        if self.batch_dialog is not None:
            self.batch_dialog.shutdown()  # the files in flight finish, the report is written
        self.pipeline.shutdown()
        super().closeEvent(event)
