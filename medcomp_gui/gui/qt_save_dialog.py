"""Save compressed…: codec, parameters, format and path; the file is written in a worker
by ``api.encode_file`` and a size report follows (:mod:`qt_report_dialog`).

The dialog opens at the best codec for this image by the viewer's own measurement
(``pipeline.best``: every codec at its highest compression within the guideline, on
real files; :mod:`operating_point`), with that codec's setting — unless the user chose
another codec last time (the settings remember it, and the format). It shows the CAR
2008 guideline ratio for the image's modality and, for SVD and RWNet at the settings
shown in their panes, the measured ratio against it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from medcomp_gui.codecs import codec_names, dicom_codec_names, get_codec
from medcomp_gui.gui import compute

if TYPE_CHECKING:
    from medcomp_gui.gui.qt_main_window import QtMainWindow


#: Where an optional parameter's box starts (it is used only when ticked).
START_VALUES = {"psnr": 45.0, "ratio": 10.0, "near": 2, "distance": 1.0}


def codec_availability(name: str, pipeline: Any) -> str | None:
    """Why ``name`` cannot be used now, or None, from the pipeline's background probes
    (never import TensorFlow on the GUI thread)."""
    if name == "rwnet":
        return "still loading RWNet" if pipeline.rwnet_info is None else pipeline.rwnet_info[1]
    if pipeline.codec_info is None:
        pipeline.codec_info = compute.codec_status()
    return pipeline.codec_info.get(name)


class _ParamRow:
    """An editor for one ParamSpec, with a "use" box for parameters without a default."""

    def __init__(self, spec: Any, value: Any, choices: list[Any] | None) -> None:
        self.spec = spec
        self.use = QCheckBox(spec.name)
        self.use.setToolTip(spec.help)
        if choices:
            self.editor: QWidget = QComboBox()
            for c in choices:
                self.editor.addItem(str(c), c)
            if value in choices:
                self.editor.setCurrentIndex(choices.index(value))
        elif spec.kind is bool:
            self.editor = QLabel(spec.help)
        elif spec.kind is int:
            self.editor = QSpinBox()
            self.editor.setRange(
                int(spec.low if spec.low is not None else -(2**31)),
                int(min(spec.high if spec.high is not None else 2**31 - 1, 2**31 - 1)),
            )
        else:
            self.editor = QDoubleSpinBox()
            self.editor.setDecimals(2)
            self.editor.setRange(
                spec.low if spec.low is not None else -1e9,
                spec.high if spec.high is not None else 1e9,
            )
        if isinstance(self.editor, QSpinBox | QDoubleSpinBox):
            fallback = START_VALUES.get(spec.name, spec.low or 0)
            start = value if value is not None else spec.default
            self.editor.setValue(start if start is not None else fallback)
        self.use.setChecked(value is not None or spec.default is not None)
        self.editor.setToolTip(spec.help)

    def value(self) -> Any:
        if not self.use.isChecked():
            return None
        if isinstance(self.editor, QComboBox):
            return self.editor.currentData()
        if self.spec.kind is bool:
            return True
        return self.editor.value()


class QtSaveDialog(QDialog):
    def __init__(self, window: QtMainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Save compressed")
        self.window_ = window
        pipeline = window.pipeline
        self.image = pipeline.source()
        self.rows: list[_ParamRow] = []
        form = QFormLayout()
        self.codec_combo = QComboBox()
        for name in codec_names():
            missing = codec_availability(name, pipeline)
            self.codec_combo.addItem(
                name if missing is None else f"{name} (not available: {missing})", name
            )
            if missing is not None:
                self.codec_combo.model().item(self.codec_combo.count() - 1).setEnabled(False)
        self.settings = window.settings
        self._chosen = False  # the user picked a codec in this dialog
        self.codec_combo.setCurrentIndex(self._initial_codec())
        self.codec_combo.currentIndexChanged.connect(self._rebuild)
        self.codec_combo.activated.connect(self._on_user_codec)
        form.addRow("Codec", self.codec_combo)
        self.params_box = QWidget()
        self.params_form = QFormLayout(self.params_box)
        self.params_form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Parameters", self.params_box)
        self.format_combo = QComboBox()
        self.format_combo.addItems([".mcz", ".dcm"])
        self.format_combo.currentTextChanged.connect(self._on_format)
        form.addRow("Format", self.format_combo)
        self.path_edit = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("File", row)
        self.guide_label = QLabel()
        self.guide_label.setWordWrap(True)
        form.addRow(self.guide_label)
        self.best_label = QLabel()
        self.best_label.setWordWrap(True)
        form.addRow(self.best_label)
        pipeline.best_measured.connect(self._on_best)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        source = (
            Path(self.image.source)
            if self.image is not None and self.image.source
            else Path("image")
        )
        self.path_edit.setText(str(source.with_name(source.stem + "_compressed.mcz")))
        self._rebuild()
        self._show_best()
        self.accepted.connect(self._remember)

    # -- the default codec ---------------------------------------------------------
    def best(self) -> Any:
        """The best measured candidate for this image, or None (not measured yet)."""
        best = self.window_.pipeline.best
        return best[0] if best else None

    def _index(self, name: str) -> int:
        index = self.codec_combo.findData(name)
        usable = index >= 0 and self.codec_combo.model().item(index).isEnabled()
        return index if usable else -1

    def _initial_codec(self) -> int:
        """The codec the user chose last time, else the best measured, else JPEG 2000."""
        remembered = self.settings.last_save().get("codec")
        best = self.best()
        for name in (
            remembered if remembered != "best" else None,
            best.codec if best else None,
            "jpeg2000",
        ):
            if name and (index := self._index(name)) >= 0:
                return index
        return max(self._index(n) for n in codec_names())

    def _on_user_codec(self, _index: int) -> None:
        self._chosen = True

    def _on_best(self) -> None:
        """The measurement arrived while the dialog is open: follow it unless the user
        has chosen, or chose last time."""
        best = self.best()
        remembered = self.settings.last_save().get("codec")
        if best is not None and not self._chosen and remembered in (None, "best"):
            index = self._index(best.codec)
            if index >= 0:
                self.codec_combo.setCurrentIndex(index)
                self._rebuild()
        self._show_best()

    def _show_best(self) -> None:
        pipeline = self.window_.pipeline
        if pipeline.best is None:
            self.best_label.setText("Measuring the best codec for this image …")
            return
        if not pipeline.best:
            self.best_label.setText("No codec meets the target on this image.")
            return
        target = pipeline.target.describe() if pipeline.target else ""
        lines = [f"<b>Best for this image</b> (measured, {target}):"]
        lines += [
            ("<b>" + c.describe() + "</b>" if i == 0 else c.describe())
            for i, c in enumerate(pipeline.best)
        ]
        self.best_label.setText("<br>".join(lines))

    def _remember(self) -> None:
        best = self.best()
        codec = "best" if best is not None and best.codec == self.codec() else self.codec()
        self.settings.set_last_save(codec, self.format_combo.currentText())

    def codec(self) -> str:
        return self.codec_combo.currentData()

    def params(self) -> dict[str, Any]:
        return {r.spec.name: v for r in self.rows if (v := r.value()) is not None}

    def path(self) -> Path:
        return Path(self.path_edit.text()).with_suffix(self.format_combo.currentText())

    def _rebuild(self) -> None:
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        self.rows = []
        pipeline, name = self.window_.pipeline, self.codec()
        current = {
            "svd": {"rank": pipeline.rank},
            "rwnet": {"quality": pipeline.rwnet_quality},
        }.get(name, {})
        measured = next((c for c in pipeline.best or () if c.codec == name), None)
        if measured is not None and name not in ("svd", "rwnet"):
            current = dict(measured.params)  # the setting the measurement chose
        choices = (
            {"quality": sorted(pipeline.rwnet_info[0])}
            if name == "rwnet" and pipeline.rwnet_info
            else {}
        )
        try:
            specs = get_codec(name).params if name != "rwnet" or pipeline.rwnet_info else ()
        except Exception:  # unavailable codecs are disabled in the combo box
            specs = ()
        for spec in specs:
            row = _ParamRow(spec, current.get(spec.name), choices.get(spec.name))
            self.rows.append(row)
            self.params_form.addRow(row.use, row.editor)
        dicom_ok = name in dicom_codec_names()
        self.format_combo.model().item(1).setEnabled(dicom_ok)
        remembered = self.settings.last_save().get("format")
        if remembered in (".mcz", ".dcm"):
            wanted = remembered
        else:  # a DICOM source is saved as a standard DICOM where a syntax exists
            wanted = ".dcm" if self.image is not None and self.image.dataset is not None else ".mcz"
        self.format_combo.setCurrentText(wanted if dicom_ok else ".mcz")
        self._update_guide()

    def _update_guide(self) -> None:
        image, pipeline = self.image, self.window_.pipeline
        if image is None:
            return
        limit = compute.image_guideline(image)
        text = (
            f"CAR 2008 guideline for {image.modality}: at most {limit:g}:1 for lossy compression."
            if limit
            else f"CAR 2008 names no ratio for {image.modality}."
        )
        measured = pipeline.measured.get(self.codec())
        if measured is not None:
            ratio = measured.quality.ratio
            above = limit is not None and ratio > limit
            text += f"<br>At the pane's {measured.settings}: {ratio:.1f}:1"
            text += (
                " — <b style='color:#c00'>above the guideline</b>"
                if above
                else " — within the guideline"
            )
        if pipeline.denoise_first:
            text += "<br>The ANLM-filtered image is compressed (Denoise before compressing)."
        self.guide_label.setText(text)

    def _on_format(self, suffix: str) -> None:
        self.path_edit.setText(str(Path(self.path_edit.text()).with_suffix(suffix)))

    def _browse(self) -> None:
        suffix = self.format_combo.currentText()
        name, _ = QFileDialog.getSaveFileName(
            self, "Save compressed", self.path_edit.text(), f"*{suffix}"
        )
        if name:
            self.path_edit.setText(name)


def start_save(window: QtMainWindow) -> None:
    """Open the dialog; on Save, write the file in a worker and show the report."""
    if window.pipeline.source() is None:
        window.statusBar().showMessage(
            "nothing to save yet: open an image (and wait for ANLM if denoising)"
        )
        return
    dialog = QtSaveDialog(window)
    window.save_dialog = dialog
    dialog.accepted.connect(lambda: save_to(window, dialog.path(), dialog.codec(), dialog.params()))
    dialog.open()


def save_to(window: QtMainWindow, path: Path, codec: str, params: dict[str, Any]) -> None:
    """Encode the current image to ``path`` in a worker process (RWNet's for RWNet),
    then show the size report."""
    from medcomp_gui.gui.qt_report_dialog import QtReportDialog

    image, denoised = window.pipeline.source(), window.pipeline.denoise_first
    window.statusBar().showMessage(f"writing {path} …")

    def done(result: Any) -> None:
        window.statusBar().showMessage(f"wrote {path}")
        window.report_dialog = QtReportDialog(result[1], window)
        window.report_dialog.show()

    def failed(exc: BaseException) -> None:
        window.last_error = f"Cannot save {path}: {compute.error_reason(exc)}"
        window.statusBar().showMessage(window.last_error)
        window.message_box = QMessageBox(
            QMessageBox.Icon.Warning, "Cannot save", window.last_error, parent=window
        )
        window.message_box.open()

    workers = window.pipeline.workers
    worker = workers.rwnet if codec == "rwnet" else workers.compute
    window.pipeline.runner.submit(
        "save", lambda: worker.call("save", image, path, codec, params, denoised), done, failed
    )
