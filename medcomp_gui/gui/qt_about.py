"""Help > About medcomp: the version, the RWNet model in use (id and hash, as written into
every .mcz) and the licences of medcomp and of the libraries it runs with."""

from __future__ import annotations

import platform
import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QFontDatabase, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from medcomp_gui import __version__, licences
from medcomp_gui.codecs import get_codec
from medcomp_gui.errors import MedcompError
from medcomp_gui.resources import resources_dir


def model_line() -> str:
    """'RWNet model rwnet-v4, sha256 …' or why there is none."""
    try:
        model_id, model_hash = get_codec("rwnet").model_identity()
    except MedcompError as exc:
        return f"RWNet model: {exc}"
    return f"RWNet model {model_id}, sha256 {model_hash}"


def build_info() -> str:
    kind = "installed app" if getattr(sys, "frozen", False) else "Python install"
    return (
        f"{kind} · Python {platform.python_version()} · Qt {qVersion()} "
        f"(PySide6 {pyside_version}) · {platform.system()} {platform.machine()}"
    )


class QtAboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About medcomp")
        self.entries = licences.licences()
        icon = QLabel()
        try:
            icon.setPixmap(QPixmap(str(resources_dir() / "icons" / "medcomp-128.png")))
        except MedcompError:  # no resources/ folder: no picture
            pass
        heading = QLabel(
            f"<h2>medcomp {__version__}</h2>"
            "<p>Viewer and compressor for medical images</p>"
            f"<p>{model_line()}</p><p>{build_info()}</p>"
        )
        heading.setWordWrap(True)
        heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(heading, 1)
        terms = QLabel(licences.BUNDLE_TERMS)
        terms.setWordWrap(True)

        self.table = QTableWidget(len(self.entries), 3)
        self.table.setHorizontalHeaderLabels(["Software", "Version", "Licence"])
        for row, entry in enumerate(self.entries):
            for col, text in enumerate((entry.name, entry.version, entry.licence)):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.currentCellChanged.connect(lambda row, *_: self.show_licence(row))
        self.licence_text = QPlainTextEdit()
        self.licence_text.setReadOnly(True)
        self.licence_text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(terms)
        layout.addWidget(QLabel("Software in this installation (select one for its licence):"))
        layout.addWidget(self.table, 2)
        layout.addWidget(self.licence_text, 3)
        layout.addWidget(buttons)
        self.resize(760, 760)
        if self.entries:
            self.table.selectRow(0)

    def show_licence(self, row: int) -> None:
        if 0 <= row < len(self.entries):
            self.licence_text.setPlainText(self.entries[row].text())


def show_about(window: QMainWindow) -> QtAboutDialog:
    """Open the About dialog over ``window`` (Help > About medcomp…)."""
    dialog = QtAboutDialog(window)
    window.about_dialog = dialog  # kept alive while it is open
    dialog.open()
    return dialog
