"""The rate-distortion plot of the current image: PSNR against bpp for every available
codec (``compare.compare``, each point measured in a worker process), the panes' current
settings marked.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from medcomp_gui.codecs import codec_names
from medcomp_gui.compare import lossy_curves
from medcomp_gui.errors import MedcompError
from medcomp_gui.gui import compute

if TYPE_CHECKING:
    from medcomp_gui.gui.qt_pipeline import QtPanePipeline

COLOURS = {
    "jpeg2000": "#1f77b4",
    "htj2k": "#17becf",
    "jpegls": "#2ca02c",
    "jpegxl": "#9467bd",
    "svd": "#ff7f0e",
    "rwnet": "#d62728",
}


class SweepStopped(MedcompError):
    """Raised in the worker to end a sweep nobody waits for any more (on purpose, so
    reported as a message, not as a bug)."""


def rd_codecs(rwnet_info: tuple[list[Any], str | None] | None) -> list[str]:
    """Codecs to sweep: all but RWNet unless its background probe found it usable."""
    usable = rwnet_info is not None and rwnet_info[1] is None
    return [name for name in codec_names() if name != "rwnet" or usable]


class QtRDPlotWindow(QWidget):
    """A separate window; it fills itself when the sweep is done."""

    def __init__(self, pipeline: QtPanePipeline, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlag(pg.QtCore.Qt.WindowType.Window)
        self.pipeline = pipeline
        self.rows: list[dict[str, Any]] | None = None
        image = pipeline.image
        frame = pipeline.frame
        self.image = image.with_pixels(image.frames[frame]) if image.n_frames > 1 else image
        name = image.source.rsplit("/", 1)[-1] if image.source else "image"
        self.setWindowTitle(f"Rate-distortion — {name}")
        self.resize(820, 600)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setLabel("bottom", "bits per pixel (file bits / pixels)")
        self.plot.setLabel("left", "PSNR (dB, peak 2^bits stored - 1)")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.legend = self.plot.addLegend(offset=(-10, -10))
        self.status = QLabel("measuring every codec on this image …")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.status)
        codecs = rd_codecs(pipeline.rwnet_info)
        emit = pipeline.runner.progress.emit
        sweep_image = self.image
        self.stop = threading.Event()
        stop = self.stop

        def progress(text: str) -> None:
            if stop.is_set():  # the window was closed: end the sweep at the next point
                raise SweepStopped("rate-distortion sweep stopped")
            emit(f"RD sweep: {text}")

        workers = pipeline.workers

        def measure_point(image, codec: str, params: dict[str, Any]) -> dict[str, Any]:
            worker = workers.rwnet if codec == "rwnet" else workers.compute
            return worker.call("rd_point", image, codec, params)

        def work():
            from medcomp_gui.compare import compare

            return compare(sweep_image, codecs, progress=progress, measure_point=measure_point)

        pipeline.runner.progress.connect(self._on_progress)
        pipeline.runner.submit("rd", work, self.show_rows, self._on_error)

    def _on_progress(self, text: str) -> None:
        if self.rows is None and text.startswith("RD sweep"):
            self.status.setText(text)

    def _on_error(self, exc: BaseException) -> None:
        self.status.setText(f"cannot measure: {compute.error_reason(exc)}")

    def show_rows(self, result: tuple[list[dict[str, Any]], dict[str, float | None]]) -> None:
        rows, bd = result
        self.rows = rows
        for codec, (xs, ys) in lossy_curves(rows).items():
            order = sorted(range(len(xs)), key=xs.__getitem__)
            colour = COLOURS.get(codec, "k")
            self.plot.plot(
                [xs[i] for i in order],
                [ys[i] for i in order],
                pen=pg.mkPen(colour, width=2),
                symbol="o",
                symbolSize=6,
                symbolBrush=colour,
                name=codec,
            )
        self._mark_current()
        lines = [f"{name}: {'n/a' if v is None else f'{v:+.1f} %'}" for name, v in bd.items()]
        lossless = [r for r in rows if math.isinf(r["psnr"])]
        text = "BD-rate vs jpeg2000 (PSNR): " + ", ".join(lines) if lines else "no BD-rate"
        if lossless:
            text += " · lossless bpp: " + ", ".join(
                f"{r['codec']} {r['bpp']:.2f}" for r in lossless
            )
        self.status.setText(text)

    def _mark_current(self) -> None:
        """The SVD and RWNet panes' settings, as big stars (whole image figures)."""
        for name, measured in self.pipeline.measured.items():
            q = measured.quality
            if not math.isfinite(q.psnr) or self.pipeline.image.n_frames > 1:
                continue
            self.plot.plot(
                [q.bpp],
                [q.psnr],
                pen=None,
                symbol="star",
                symbolSize=18,
                symbolBrush=COLOURS.get(name, "k"),
                name=f"{name} now ({measured.settings})",
            )

    def closeEvent(self, event) -> None:  # noqa: N802
        self.stop.set()
        self.pipeline.runner.cancel("rd")
        super().closeEvent(event)
