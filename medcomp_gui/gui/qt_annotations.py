"""What the user draws on the panes: one ROI (rectangle or ellipse) and one ruler, both
shown at the same place in every pane, the W/L-from-ROI box, and the linked crosshair.

The ROI's statistics (:mod:`roi`) for all four panes fill a table under the panes:
mean, SD, min, max in output units, and PSNR and the largest error against the
original inside the ROI. They are computed in a worker thread (numpy releases the
interpreter lock for the big array work), the latest ROI winning.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGraphicsRectItem,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
)

from medcomp_gui.gui import overlays, roi

if TYPE_CHECKING:
    from medcomp_gui.gui.qt_main_window import QtMainWindow

ROI_PEN = pg.mkPen("#00e5ff", width=2)
RULER_PEN = pg.mkPen("#7CFC00", width=2)
CROSS_PEN = pg.mkPen("#ffd24a", width=1.5)
COLUMNS = ("Pixels", "Mean", "SD", "Min", "Max", "PSNR (dB)", "Max err")
#: Columns in output units (HU for CT).
OUTPUT_COLUMNS = ("Mean", "SD", "Min", "Max", "Max err")


class _EllipseROI(pg.EllipseROI):
    """An ellipse with one scale handle and no rotation (the statistics' ellipse is
    axis-aligned)."""

    def _addHandles(self):  # noqa: N802
        self.addScaleHandle([1, 1], [0, 0])


class QtAnnotations(QObject):
    def __init__(self, window: QtMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.region: roi.Region | None = None
        self.ruler: tuple[tuple[float, float], tuple[float, float]] | None = None
        self.stats: dict[str, roi.RegionStats | None] = {}
        self.stats_region: roi.Region | None = None  # the region ``stats`` are for
        self.crosshair_on = True
        self._rois: dict[str, pg.ROI] = {}
        self._rulers: dict[str, tuple[pg.LineSegmentROI, pg.TextItem]] = {}
        self._wl_box: QGraphicsRectItem | None = None
        self._syncing = False
        self._markers: dict[str, pg.ScatterPlotItem] = {}
        for name, pane in window.panes.items():
            pane.view.drawing.connect(
                lambda tool, a, b, done, n=name: self._on_drawing(n, tool, a, b, done)
            )
            marker = pg.ScatterPlotItem(symbol="+", size=18, pen=CROSS_PEN, brush=None)
            marker.setZValue(20)
            marker.hide()
            pane.view.addItem(marker, ignoreBounds=True)
            self._markers[name] = marker
        self.table = QTableWidget(len(window.panes), len(COLUMNS))
        self.table.setVerticalHeaderLabels([p.title for p in window.panes.values()])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        rows = len(window.panes) + 1
        self.table.setFixedHeight(self.table.verticalHeader().defaultSectionSize() * rows + 6)
        self.table.hide()

    # -- drawing -------------------------------------------------------------------
    def _on_drawing(self, name: str, tool: str, start: QPointF, end: QPointF, done: bool) -> None:
        if self.window.pipeline.image is None:
            return
        if tool == "ruler":
            self.set_ruler((start.x(), start.y()), (end.x(), end.y()))
        elif tool in ("rect", "ellipse"):
            region = roi.Region(
                tool, start.x(), start.y(), end.x() - start.x(), end.y() - start.y()
            )
            self.set_region(region.normalised(), compute=done)
        elif tool == "wl-region":
            self._wl_region(name, start, end, done)

    def _wl_region(self, name: str, start: QPointF, end: QPointF, done: bool) -> None:
        view = self.window.panes[name].view
        rect = QRectF(start, end).normalized()
        if self._wl_box is None:
            self._wl_box = QGraphicsRectItem()
            pen = QPen(Qt.GlobalColor.yellow)
            pen.setStyle(Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            self._wl_box.setPen(pen)
            view.addItem(self._wl_box, ignoreBounds=True)
        self._wl_box.setRect(rect)
        if not done:
            return
        view.removeItem(self._wl_box)
        self._wl_box = None
        pipeline = self.window.pipeline
        region = roi.Region("rect", rect.x(), rect.y(), rect.width(), rect.height())
        try:
            center, width = roi.region_window(
                pipeline.image, pipeline.image.frames[pipeline.frame], region
            )
        except ValueError:
            return
        self.window.set_window(center, width)

    # -- the ROI ---------------------------------------------------------------------
    def set_region(self, region: roi.Region, compute: bool = True) -> None:
        """Show ``region`` in every pane; its statistics follow when ``compute``."""
        self.region = region
        for name, pane in self.window.panes.items():
            item = self._rois.get(name)
            if item is None or type(item) is not (
                _EllipseROI if region.shape == "ellipse" else pg.RectROI
            ):
                if item is not None:
                    pane.view.removeItem(item)
                cls = _EllipseROI if region.shape == "ellipse" else pg.RectROI
                item = cls((region.x, region.y), (region.w, region.h), pen=ROI_PEN)
                item.setZValue(10)
                item.sigRegionChanged.connect(lambda it, n=name: self._on_roi_moved(n, it))
                item.sigRegionChangeFinished.connect(lambda _it: self.update_stats())
                pane.view.addItem(item, ignoreBounds=True)
                self._rois[name] = item
            self._syncing = True
            item.setPos((region.x, region.y), update=False, finish=False)
            item.setSize((region.w, region.h), update=True, finish=False)
            self._syncing = False
        if compute:
            self.update_stats()

    def _on_roi_moved(self, name: str, item: pg.ROI) -> None:
        if self._syncing or self.region is None:
            return
        pos, size = item.pos(), item.size()
        self.set_region(
            roi.Region(self.region.shape, pos.x(), pos.y(), size.x(), size.y()), compute=False
        )

    def update_stats(self) -> None:
        """Recompute the ROI's statistics in every pane (in a worker thread)."""
        pipeline, region = self.window.pipeline, self.region
        if region is None or pipeline.image is None:
            return
        image = pipeline.image
        reference = self.window.panes["original"].frame
        frames = {name: pane.frame for name, pane in self.window.panes.items()}

        def work() -> dict[str, roi.RegionStats | None]:
            return {
                name: None if frame is None else roi.region_stats(image, frame, reference, region)
                for name, frame in frames.items()
            }

        pipeline.runner.submit("roi", work, lambda stats: self._show_stats(region, stats))

    def _show_stats(self, region: roi.Region, stats: dict[str, roi.RegionStats | None]) -> None:
        self.stats, self.stats_region = stats, region
        image = self.window.pipeline.image
        units = overlays.output_units(image) if image is not None else ""
        self.table.setHorizontalHeaderLabels(
            [
                f"{c} ({units})" if units and c in ("Mean", "SD", "Min", "Max", "Max err") else c
                for c in COLUMNS
            ]
        )
        for row, name in enumerate(self.window.panes):
            values = stats.get(name)
            cells = ["–"] * len(COLUMNS) if values is None else self.cells(values)
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.show()

    @staticmethod
    def cells(s: roi.RegionStats) -> list[str]:
        if s.psnr is None:
            psnr = "–"
        else:
            psnr = "∞" if math.isinf(s.psnr) else f"{s.psnr:.2f}"
        err = "–" if s.max_error is None else f"{s.max_error:.1f}"
        return [
            f"{s.pixels:,}",
            f"{s.mean:.1f}",
            f"{s.sd:.2f}",
            f"{s.min:.1f}",
            f"{s.max:.1f}",
            psnr,
            err,
        ]

    # -- the ruler -------------------------------------------------------------------
    def set_ruler(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        self.ruler = (start, end)
        image = self.window.pipeline.image
        length, unit = roi.ruler_length(start, end, roi.pixel_spacing(image))
        for name, pane in self.window.panes.items():
            line, label = self._rulers.get(name, (None, None))
            if line is None:
                line = pg.LineSegmentROI([start, end], pen=RULER_PEN)
                line.setZValue(10)
                line.sigRegionChangeFinished.connect(lambda it: self._on_ruler_moved(it))
                label = pg.TextItem(color="#7CFC00", anchor=(0, 1))
                pane.view.addItem(line, ignoreBounds=True)
                pane.view.addItem(label, ignoreBounds=True)
                self._rulers[name] = (line, label)
            self._syncing = True
            for handle, point in zip(line.getHandles(), (start, end), strict=True):
                handle.setPos(QPointF(*point) - line.pos())
            line.stateChanged(finish=False)
            self._syncing = False
            label.setText(f"{length:.1f} {unit}")
            label.setPos(*end)

    def _on_ruler_moved(self, line: pg.LineSegmentROI) -> None:
        if self._syncing:
            return
        a, b = (line.pos() + h.pos() for h in line.getHandles())
        self.set_ruler((a.x(), a.y()), (b.x(), b.y()))

    def ruler_text(self) -> str:
        return next(iter(self._rulers.values()))[1].toPlainText() if self._rulers else ""

    # -- crosshair ------------------------------------------------------------------
    def toggle_crosshair(self) -> None:
        self.crosshair_on = not self.crosshair_on
        if not self.crosshair_on:
            for marker in self._markers.values():
                marker.hide()

    def show_crosshair(self, source, row: int, col: int) -> None:
        """Mark pixel (row, col) in every pane but ``source`` (the hovered one)."""
        for name, pane in self.window.panes.items():
            marker = self._markers[name]
            if not self.crosshair_on or row < 0 or pane is source or pane.frame is None:
                marker.hide()
                continue
            marker.setData([col + 0.5], [row + 0.5])
            marker.show()

    # -- all -------------------------------------------------------------------------
    def clear(self) -> None:
        """Remove the ROI, the ruler and their table."""
        for name, item in self._rois.items():
            self.window.panes[name].view.removeItem(item)
        for name, (line, label) in self._rulers.items():
            self.window.panes[name].view.removeItem(line)
            self.window.panes[name].view.removeItem(label)
        self._rois, self._rulers = {}, {}
        self.region, self.ruler, self.stats, self.stats_region = None, None, {}, None
        self.window.pipeline.runner.cancel("roi")
        self.table.hide()
