"""Help > About: version, the RWNet model's id and hash, the libraries' licences."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMenu

from medcomp_gui import __version__, licences
from medcomp_gui.codecs.rwnet import store
from medcomp_gui.gui.qt_about import QtAboutDialog


def test_about_dialog_from_the_help_menu(qtbot, window):
    help_menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&Help")
    next(a for a in help_menu.actions() if "About" in a.text()).trigger()
    dialog = window.about_dialog
    qtbot.waitUntil(dialog.isVisible)
    labels = " ".join(label.text() for label in dialog.findChildren(QLabel))
    model_id, model_hash = store.identity(store.default_dir())
    assert f"medcomp {__version__}" in labels
    assert f"RWNet model {model_id}, sha256 {model_hash}" in labels
    assert "GPL-3.0" in labels and "MIT" in labels
    dialog.close()


def test_the_licence_table_lists_every_library_and_shows_its_text(qtbot):
    dialog = QtAboutDialog()
    qtbot.addWidget(dialog)
    names = [dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())]
    for wanted in ("medcomp-gui", "numpy", "pydicom", "pylibjpeg-libjpeg", "PySide6_Essentials"):
        assert wanted in names
    row = names.index("pylibjpeg-libjpeg")
    assert "GPL" in dialog.table.item(row, 2).text()
    dialog.table.selectRow(row)
    assert "GNU GENERAL PUBLIC LICENSE" in dialog.licence_text.toPlainText().upper()
    assert "tensorflow" not in [n.lower() for n in names]  # the "train" extra is not the app's


def test_version_matches_pyproject():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    assert project["version"] == __version__
    assert any(entry.name == "medcomp-gui" for entry in licences.licences())
