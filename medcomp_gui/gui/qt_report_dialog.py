"""The size report after a save: the figures of the file on disk, copy or save as text/CSV."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medcomp_gui.gui import report


class QtReportDialog(QDialog):
    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Size report")
        self.rows = rows
        self.text = report.as_text(rows)
        view = QPlainTextEdit(self.text)
        view.setReadOnly(True)
        view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        view.setMinimumSize(640, 380)
        layout = QVBoxLayout(self)
        values = dict(rows)
        check = values.get("Guideline check", "")
        if "exceeds" in check:
            warning = QLabel(f"<b style='color:#c00'>Warning: {check}</b>")
            warning.setWordWrap(True)
            layout.addWidget(warning)
        layout.addWidget(view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        for text, slot in (
            ("Copy", self.copy),
            ("Save as text…", self.save_text),
            ("Save as CSV…", self.save_csv),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text)

    def save_text(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save report", "report.txt", "Text (*.txt)")
        if name:
            self.write(Path(name))

    def save_csv(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save report", "report.csv", "CSV (*.csv)")
        if name:
            self.write(Path(name))

    def write(self, path: Path) -> None:
        """The report as CSV for a .csv name, else as text."""
        path.write_text(
            report.as_csv(self.rows) if path.suffix.lower() == ".csv" else self.text,
            encoding="utf-8",
        )
