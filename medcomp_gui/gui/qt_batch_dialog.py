"""Compress a folder: the batch dialog (File > Compress folder…, Ctrl+B, or a dropped
folder's "Compress…").

Inputs found (files, bytes) -> codec and setting or quality target, output folder and
format -> Start; then a progress bar (n/N, current file, files/s, ETA) and Cancel (the
files in flight finish, the report is written); at the end the report as a table,
failures first with their reasons, the totals, Open output folder and Save report….
The batch runs in the engine's worker processes (:mod:`qt_batch_job`); the viewer stays
usable throughout (the dialog is not modal).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from medcomp_gui.batch import BatchResult, Settings, check_settings
from medcomp_gui.batch.run import default_jobs
from medcomp_gui.codecs import codec_names, dicom_codec_names, get_codec
from medcomp_gui.codecs.base import ParamSpec
from medcomp_gui.gui.compute import error_reason
from medcomp_gui.gui.qt_batch_job import QtBatchJob, Step

#: Report columns shown in the table (all of them are in the saved report).
TABLE_COLUMNS = (
    ("source", "File"),
    ("status", "Status"),
    ("reason", "Reason"),
    ("output_bytes", "Bytes out"),
    ("ratio_pixels", "Ratio"),
    ("psnr", "PSNR dB"),
    ("max_error", "Max error"),
    ("warning", "Warning"),
)
DEFAULT_CODEC = "jpeg2000"


def default_output(inputs: list[Path]) -> Path:
    """``<first input>_medcomp`` beside it."""
    first = inputs[0].absolute()
    return first.with_name(first.name + "_medcomp")


class _ParamEditor:
    """A tick box and, for numbers, a spin box for one codec parameter."""

    def __init__(self, spec: ParamSpec) -> None:
        self.spec = spec
        self.use = QCheckBox(spec.name)
        self.use.setToolTip(spec.help)
        self.box: QSpinBox | QDoubleSpinBox | None = None
        if spec.kind is int:
            self.box = QSpinBox()
            self.box.setRange(int(spec.low or 0), int(min(spec.high or 2**31 - 1, 2**31 - 1)))
        elif spec.kind is float:
            self.box = QDoubleSpinBox()
            self.box.setDecimals(2)
            self.box.setRange(spec.low or 0.0, spec.high or 1e6)
        if self.box is not None:
            start = spec.default if spec.default is not None else spec.low or 0
            self.box.setValue(start)
            self.box.setToolTip(spec.help)
        self.use.setChecked(spec.default is not None)

    def value(self) -> Any:
        if not self.use.isChecked():
            return None
        return True if self.box is None else self.box.value()


class QtBatchDialog(QDialog):
    def __init__(self, inputs: list[Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compress folder")
        self.setModal(False)
        self.resize(900, 640)
        self.inputs = [Path(p) for p in inputs]
        self.result: BatchResult | None = None
        self.job = QtBatchJob(self)
        self.job.listed.connect(self._on_listed)
        self.job.planned.connect(self._on_planned)
        self.job.stepped.connect(self._on_step)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)
        self.editors: list[_ParamEditor] = []

        layout = QVBoxLayout(self)
        self.found_label = QLabel("listing the inputs …")
        layout.addWidget(QLabel("Inputs: " + ", ".join(str(p) for p in self.inputs)))
        layout.addWidget(self.found_label)
        form = QFormLayout()
        self.codec_combo = QComboBox()
        for name in codec_names():
            missing = self._availability(name)
            self.codec_combo.addItem(name if missing is None else f"{name} ({missing})", name)
            if missing is not None:
                self.codec_combo.model().item(self.codec_combo.count() - 1).setEnabled(False)
        self.codec_combo.setCurrentIndex(codec_names().index(DEFAULT_CODEC))
        self.codec_combo.currentIndexChanged.connect(self._rebuild_params)
        form.addRow("Codec", self.codec_combo)
        self.params_box = QWidget()
        self.params_form = QFormLayout(self.params_box)
        self.params_form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Setting", self.params_box)
        target_row = QHBoxLayout()
        self.psnr_use = QCheckBox("PSNR ≥")
        self.psnr_box = QDoubleSpinBox()
        self.psnr_box.setRange(10.0, 150.0)
        self.psnr_box.setValue(45.0)
        self.error_use = QCheckBox("max error ≤")
        self.error_box = QSpinBox()
        self.error_box.setRange(0, 65535)
        self.error_box.setValue(2)
        self.guideline_use = QCheckBox("within the CAR 2008 ratio")
        for widget in (
            self.psnr_use,
            self.psnr_box,
            self.error_use,
            self.error_box,
            self.guideline_use,
        ):
            target_row.addWidget(widget)
        form.addRow("Quality target", target_row)
        out_row = QHBoxLayout()
        self.output_edit = QLineEdit(str(default_output(self.inputs)))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        out_row.addWidget(self.output_edit, 1)
        out_row.addWidget(browse)
        form.addRow("Output folder", out_row)
        self.format_combo = QComboBox()
        form.addRow("Format", self.format_combo)
        self.jobs_box = QSpinBox()
        self.jobs_box.setRange(1, 256)
        self.jobs_box.setValue(default_jobs())
        form.addRow("Worker processes", self.jobs_box)
        layout.addLayout(form)

        self.error_label = QLabel("")
        self.error_label.setStyleSheet("color: #b00020")
        self.error_label.setWordWrap(True)
        layout.addWidget(self.error_label)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m")
        self.status_label = QLabel("")
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setHorizontalHeaderLabels([title for _, title in TABLE_COLUMNS])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table, 1)
        self.totals_label = QLabel("")
        self.totals_label.setWordWrap(True)
        layout.addWidget(self.totals_label)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.open_button = QPushButton("Open output folder")
        self.open_button.clicked.connect(self.open_output)
        self.save_button = QPushButton("Save report…")
        self.save_button.clicked.connect(self.save_report)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        for button in (self.open_button, self.save_button):
            button.setEnabled(False)
        for button in (self.start_button, self.cancel_button, self.open_button, self.save_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self._rebuild_params()
        self.job.list_inputs(self.inputs, Path(self.output_edit.text()), Settings(DEFAULT_CODEC))

    # -- settings --------------------------------------------------------------------
    @staticmethod
    def _availability(name: str) -> str | None:
        try:
            return get_codec(name).availability()
        except Exception as exc:  # a codec that cannot even be imported is unavailable
            return error_reason(exc)

    def codec(self) -> str:
        return str(self.codec_combo.currentData())

    def _rebuild_params(self) -> None:
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        self.editors = [_ParamEditor(spec) for spec in get_codec(self.codec()).params]
        for editor in self.editors:
            self.params_form.addRow(editor.use, editor.box or QLabel(editor.spec.help))
        current = self.format_combo.currentText() or "mcz"
        self.format_combo.clear()
        self.format_combo.addItem("mcz")
        if self.codec() in dicom_codec_names():
            self.format_combo.addItem("dcm")
        self.format_combo.setCurrentText(current)

    def settings(self) -> Settings:
        """The dialog's settings, checked (BatchUsageError says what is wrong)."""
        params = {e.spec.name: v for e in self.editors if (v := e.value()) is not None}
        psnr = self.psnr_box.value() if self.psnr_use.isChecked() else None
        max_error = self.error_box.value() if self.error_use.isChecked() else None
        if psnr is not None or max_error is not None:
            params.pop(_knob_name(self.codec()), None)
        return check_settings(
            self.codec(),
            params,
            format=self.format_combo.currentText(),
            psnr=psnr,
            max_error=max_error,
            within_guideline=self.guideline_use.isChecked(),
        )

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output folder", self.output_edit.text())
        if folder:
            self.output_edit.setText(folder)

    # -- running ---------------------------------------------------------------------
    def _on_listed(self, files: int, description: str) -> None:
        self.found_label.setText("Found " + description.split(":", 1)[0])

    def start(self) -> None:
        """Check the settings, then run the batch in its own process."""
        self.error_label.setText("")
        try:
            settings = self.settings()
        except Exception as exc:  # bad settings: say so, start nothing
            self.error_label.setText(error_reason(exc))
            return
        if self.job.running:
            return
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.table.setRowCount(0)
        self.result = None
        self.status_label.setText("starting the batch process …")
        self.job.run(self.inputs, Path(self.output_edit.text()), settings, self.jobs_box.value())

    def _on_planned(self, files: int, description: str) -> None:
        self.progress.setRange(0, max(files, 1))
        self.progress.setValue(0)
        self.status_label.setText(f"{description} — starting {self.jobs_box.value()} workers")

    def cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.status_label.setText("cancelling: the files in flight finish, then the report")
        self.job.stop(wait=False)

    def _on_step(self, step: Step) -> None:
        self.progress.setMaximum(max(step.total, 1))
        self.progress.setValue(step.done)
        eta = "" if step.eta_s is None else f", ETA {step.eta_s:.0f} s"
        self.status_label.setText(
            f"{step.done}/{step.total}: {step.name} {step.status} — "
            f"{step.files_per_s:.2f} files/s, {step.mb_per_s:.1f} MB/s{eta}"
        )

    def _on_failed(self, message: str) -> None:
        self.error_label.setText(message)
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _on_finished(self, result: BatchResult) -> None:
        self.result = result
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.open_button.setEnabled(True)
        self.save_button.setEnabled(True)
        self.status_label.setText("cancelled" if result.cancelled else "done")
        self.totals_label.setText(result.totals.summary() + f"\nReport: {result.report_csv}")
        self.table.setRowCount(len(result.rows))
        for i, row in enumerate(result.rows):  # failures first (the report's order)
            for j, (name, _) in enumerate(TABLE_COLUMNS):
                self.table.setItem(i, j, QTableWidgetItem(_cell(getattr(row, name))))
        self.table.resizeColumnsToContents()

    def open_output(self) -> None:
        if self.result is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.result.report_csv.parent)))

    def save_report(self, path: str | None = None) -> None:
        """Copy the CSV report to a file the user picks (``path`` given: no dialog)."""
        if self.result is None:
            return
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save report", str(self.result.report_csv.name), "CSV (*.csv)"
            )
        if path:
            try:
                shutil.copyfile(self.result.report_csv, path)
            except OSError as exc:
                self.error_label.setText(f"cannot save the report: {exc.strerror}")

    def shutdown(self) -> None:
        """Stop and wait: the files in flight finish and the report is written."""
        self.job.stop(wait=True)

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.job.running:
            self.cancel()
        super().closeEvent(event)


def _knob_name(codec: str) -> str:
    from medcomp_gui.batch.targets import knob_for

    knob = knob_for(codec)
    return knob.name if knob else ""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def start_batch_dialog(parent: QWidget, inputs: list[Path]) -> QtBatchDialog:
    """Open the batch dialog for ``inputs`` (kept on ``parent.batch_dialog``)."""
    dialog = QtBatchDialog(inputs, parent)
    parent.batch_dialog = dialog
    dialog.show()
    return dialog


def offer_folder_drop(window: Any, paths: list[Path]) -> QMessageBox:
    """A dropped folder: ask whether to view its images or compress it (not modal; kept
    on ``window.drop_choice``). "View images" lists them as before."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Dropped folder",
        f"{', '.join(p.name for p in paths)}: view its images, or compress the folder?",
        parent=window,
    )
    view = box.addButton("View images", QMessageBox.ButtonRole.AcceptRole)
    compress = box.addButton("Compress…", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Cancel)

    def chosen(button: Any) -> None:
        if button is view:
            window.add_paths(paths)
        elif button is compress:
            start_batch_dialog(window, paths)

    box.buttonClicked.connect(chosen)
    window.drop_choice = box
    box.open()
    return box
