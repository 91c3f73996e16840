"""The main window's menus and key bindings (the table is :mod:`shortcuts`), and the
Open dialog.

Keys that step frames, reset the view or remove an ROI act only while a pane has the
focus (a click in an image gives it; opening files gives it), so the file list keeps
its own arrow keys. The other keys are the menus' and act anywhere in the window.
The Help menu is :attr:`QtMenus.help_menu`: Shortcuts, About.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QFileSystemModel, QInputDialog, QMenu

from medcomp_gui.gui.qt_about import show_about
from medcomp_gui.gui.qt_view_tools import TOOLS
from medcomp_gui.series import IMAGE_SUFFIXES

if TYPE_CHECKING:
    from medcomp_gui.gui.qt_main_window import QtMainWindow

#: Left-button tools' keys (Esc also goes back to window/level).
TOOL_KEYS = {"window": "W", "pan": "P", "zoom": "Z", "rect": "R", "ellipse": "E", "ruler": "M"}


class QtMenus:
    """Builds and holds the window's actions."""

    def __init__(self, window: QtMainWindow) -> None:
        self.window = window
        w = window
        bar = w.menuBar()
        file_menu = bar.addMenu("&File")
        self.file_menu = file_menu
        self.action(file_menu, "&Open…", w.open_dialog, QKeySequence.StandardKey.Open)
        self.action(file_menu, "Open &folder…", self.open_folder, "Ctrl+Shift+O")
        self.action(file_menu, "&Compress folder…", w.compress_folder_dialog, "Ctrl+B")
        self.action(
            file_menu, "&Save compressed…", w.save_compressed, QKeySequence.StandardKey.Save
        )
        file_menu.addSeparator()
        self.action(file_menu, "&Quit", w.close, QKeySequence.StandardKey.Quit)

        view = bar.addMenu("&View")
        self.view_menu = view
        self.action(view, "&Fit", w.fit, "F")
        self.action(view, "&1:1 pixels", w.one_to_one, "Ctrl+0")
        self.action(view, "Zoom &in", lambda: w.zoom_by(1.25), "+")
        self.action(view, "Zoom &out", lambda: w.zoom_by(1 / 1.25), "-")
        self.action(view, "&Invert", w.toggle_invert, "I")
        view.addSeparator()
        self.action(view, "&Auto window", w.auto_window, "A")
        self.action(view, "&Save window as preset…", self.save_preset)
        view.addSeparator()
        self.action(view, "A/&B flicker (active pane)", w.toggle_flicker, "B")
        self.timed_flicker = self.action(
            view, "&Timed A/B flicker", w.toggle_timed_flicker, "Shift+B", checkable=True
        )
        self.action(view, "&Difference mode (all panes)", w.toggle_difference, "D")
        self.crosshair = self.action(
            view, "Linked &crosshair", w.annotations.toggle_crosshair, "C", checkable=True
        )
        self.crosshair.setChecked(True)
        self.overlays = self.action(view, "Corner &overlays", w.toggle_overlays, "O", True)
        self.overlays.setChecked(w.show_overlays)
        view.addSeparator()
        self.action(view, "F&ull screen", w.toggle_fullscreen, "F11")

        tools = bar.addMenu("&Tools")
        self.tools_menu = tools
        group = QActionGroup(w)
        self.tool_actions: dict[str, QAction] = {}
        for name, text in TOOLS.items():
            action = self.action(
                tools,
                f"Left button: {text}",
                lambda _=False, t=name: w.set_tool(t),
                TOOL_KEYS[name],
                checkable=True,
            )
            group.addAction(action)
            self.tool_actions[name] = action
        self.tool_actions["window"].setChecked(True)
        self.action(tools, "Remove ROI and ruler", w.annotations.clear, "Del")
        tools.addSeparator()
        self.action(tools, "&Rate-distortion plot…", w.show_rd_plot, "Ctrl+R")

        self.help_menu: QMenu = bar.addMenu("&Help")
        self.action(self.help_menu, "&Shortcuts…", w.show_shortcuts, "F1")
        about = self.action(self.help_menu, "&About medcomp…", lambda: show_about(w))
        about.setMenuRole(QAction.MenuRole.AboutRole)

        hidden = [("Esc", lambda: w.set_tool("window")), ("=", w.fit)]
        hidden += [(str(i), lambda _=False, n=i - 1: w.apply_preset(n)) for i in range(1, 10)]
        for key, slot in hidden:
            self.hidden_action(key, slot)
        # Keys for the image only (see the module docstring).
        for key, slot in (
            ("Down", lambda: w.step_frame(1)),
            ("PgDown", lambda: w.step_frame(1)),
            ("Up", lambda: w.step_frame(-1)),
            ("PgUp", lambda: w.step_frame(-1)),
            ("Home", lambda: w.go_to_frame(0)),
            ("End", lambda: w.go_to_frame(10**9)),
            ("Space", w.reset),
        ):
            self.hidden_action(key, slot, w.panes_widget)

    def action(self, menu, text: str, slot, shortcut=None, checkable: bool = False) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(lambda _=False: slot())
        menu.addAction(action)
        return action

    def hidden_action(self, key: str, slot, widget=None) -> QAction:
        """A key bound without a menu item: window-wide, or only in ``widget`` and its
        children."""
        action = QAction(self.window)
        action.setShortcut(QKeySequence(key))
        action.triggered.connect(lambda _=False: slot())
        if widget is not None:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            widget.addAction(action)
        else:
            self.window.addAction(action)
        return action

    def check_tool(self, tool: str) -> None:
        if tool in self.tool_actions:
            self.tool_actions[tool].setChecked(True)

    def open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Open a folder of images")
        if folder:
            self.window.add_paths([Path(folder)])

    def save_preset(self) -> None:
        name, ok = QInputDialog.getText(self.window, "Save window as preset", "Name:")
        if ok and name.strip():
            self.window.save_user_preset(name.strip())


def build_menus(window: QtMainWindow) -> QtMenus:
    return QtMenus(window)


class ImageFilesProxy(QSortFilterProxyModel):
    """Folders, and files with an image suffix or none at all (DICOM files often have
    none, and a name filter cannot ask for "no suffix")."""

    def filterAcceptsRow(self, row, parent) -> bool:  # noqa: N802
        model = self.sourceModel()
        index = model.index(row, 0, parent)
        if not isinstance(model, QFileSystemModel) or model.isDir(index):
            return True
        suffix = Path(model.fileName(index)).suffix.lower()
        return suffix in IMAGE_SUFFIXES or suffix == ""


def make_open_dialog(window) -> QFileDialog:
    """The Open dialog (Qt's own, so that it can show extension-less files)."""
    dialog = QFileDialog(window, "Open images")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    dialog.setProxyModel(ImageFilesProxy(dialog))
    dialog.setNameFilters(["Images, DICOM and .mcz (*)", "All files (*)"])
    return dialog


def open_dialog(window) -> list[Path]:
    dialog = make_open_dialog(window)
    if not dialog.exec():
        return []
    return [Path(name) for name in dialog.selectedFiles()]
