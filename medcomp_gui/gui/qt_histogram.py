"""A histogram of the current frame with the shared window drawn on it as a region.

Its axis is in the window's units (output units: HU for CT, as the C/W boxes).
Dragging the region or its edges sets the window (``levels_dragged``, output units).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

#: Bins of the histogram (over the frame's range of stored values).
BINS = 256


def frame_histogram(
    frame: np.ndarray, slope: float = 1.0, intercept: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Counts and bin edges of ``frame``'s values in output units (stored values times
    ``slope`` plus ``intercept``: HU for CT), edges increasing (run in a worker)."""
    low, high = float(frame.min()), float(frame.max())
    counts, edges = np.histogram(frame, bins=BINS, range=(low, max(high, low + 1.0)))
    edges = edges * slope + intercept
    return (counts[::-1], edges[::-1]) if slope < 0 else (counts, edges)


class QtWindowHistogram(pg.PlotWidget):
    levels_dragged = Signal(float, float)  # low, high in output units

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setMinimumHeight(90)
        self.setMaximumHeight(130)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.getPlotItem().hideAxis("left")
        self.getPlotItem().setMenuEnabled(False)
        self.curve = self.plot([0, 1], [0], stepMode="center", pen=pg.mkPen((60, 60, 60), width=1))
        self.region = pg.LinearRegionItem(values=(0, 1), brush=(255, 170, 0, 60))
        self.region.sigRegionChanged.connect(self._on_region)
        self.addItem(self.region)
        # Ranges change only with new counts: an auto-ranging view would also follow
        # the window's region and re-tick its axis whenever a window is set (up to
        # 10 ms of the GUI thread, in the same turn as a new image's first paint).
        self.getPlotItem().vb.disableAutoRange()
        self._quiet = False

    def set_counts(self, counts: np.ndarray, edges: np.ndarray) -> None:
        """Show a histogram from :func:`frame_histogram` (counts on a log scale)."""
        heights = np.log1p(counts)
        self.curve.setData(edges, heights)
        self.setXRange(edges[0], edges[-1], padding=0.02)
        self.setYRange(0.0, max(float(heights.max(initial=0.0)), 1.0), padding=0.02)

    def clear_counts(self) -> None:
        self.curve.setData([0, 1], [0])

    def set_levels(self, low: float, high: float) -> None:
        self._quiet = True
        self.region.setRegion((low, high))
        self._quiet = False

    def _on_region(self) -> None:
        if not self._quiet:
            low, high = self.region.getRegion()
            self.levels_dragged.emit(float(low), float(high))
