"""The list of opened images, grouped by study and series (:mod:`medcomp_gui.series`).

Top level: one row per study (patient, date, description — on screen only) and one for
files outside any DICOM study; below each study its series; below each series its
entries (a stack of slices, or single files, named with their folder where two share
a name). Selecting an entry emits ``entry_selected`` with its index in :attr:`entries`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from medcomp_gui.series import Entry

INDEX_ROLE = Qt.ItemDataRole.UserRole


class QtFileTree(QTreeWidget):
    entry_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setMinimumHeight(70)
        self.setUniformRowHeights(True)
        self.entries: list[Entry] = []
        self._groups: dict[tuple[str, ...], QTreeWidgetItem] = {}
        self._items: list[QTreeWidgetItem] = []
        self.currentItemChanged.connect(self._on_current)

    def add_entries(self, entries: list[Entry]) -> list[int]:
        """Add ``entries`` not listed yet; the indices of ``entries`` in the list."""
        known = {entry.paths: i for i, entry in enumerate(self.entries)}
        indices = []
        for entry in entries:
            if entry.paths in known:
                indices.append(known[entry.paths])
                continue
            index = len(self.entries)
            known[entry.paths] = index
            self.entries.append(entry)
            item = QTreeWidgetItem([entry.label])
            item.setData(0, INDEX_ROLE, index)
            item.setToolTip(0, str(entry.paths[0].parent if entry.is_stack else entry.paths[0]))
            self._parent_for(entry).addChild(item)
            self._items.append(item)
            indices.append(index)
        self.expandAll()
        return indices

    def _parent_for(self, entry: Entry) -> QTreeWidgetItem:
        study_key = (entry.keys[0] or entry.study,)
        study = self._groups.get(study_key)
        if study is None:
            study = QTreeWidgetItem([entry.study])
            study.setToolTip(0, entry.study)
            study.setFlags(study.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            self.addTopLevelItem(study)
            self._groups[study_key] = study
        if not entry.series:
            return study
        series_key = (*study_key, entry.keys[1] or entry.series)
        series = self._groups.get(series_key)
        if series is None:
            series = QTreeWidgetItem([entry.series])
            series.setFlags(series.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            study.addChild(series)
            self._groups[series_key] = series
        return series

    def count(self) -> int:
        """Entries listed (stacks count once)."""
        return len(self.entries)

    def select(self, index: int) -> None:
        """Make entry ``index`` current (emits ``entry_selected`` if it was not)."""
        if 0 <= index < len(self._items):
            self.setCurrentItem(self._items[index])

    def current_index(self) -> int:
        item = self.currentItem()
        value = item.data(0, INDEX_ROLE) if item is not None else None
        return -1 if value is None else int(value)

    def _on_current(
        self, current: QTreeWidgetItem | None, previous: QTreeWidgetItem | None
    ) -> None:
        if current is None:
            return
        value = current.data(0, INDEX_ROLE)
        if value is not None:
            self.entry_selected.emit(int(value))
            return
        # A study or series row: arrow keys step over it to the next entry that way.
        up = previous is not None and (
            self.visualItemRect(current).top() < self.visualItemRect(previous).top()
        )
        item = current
        while item is not None and item.data(0, INDEX_ROLE) is None:
            item = self.itemAbove(item) if up else self.itemBelow(item)
        if item is not None:
            self.setCurrentItem(item)
        elif previous is not None:
            self.setCurrentItem(previous)
