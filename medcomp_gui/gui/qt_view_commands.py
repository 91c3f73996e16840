"""What the View menu and the pane keys do to the four panes — fit, 1:1, zoom, reset,
the left-button tool, maximise, full screen, the corner overlays, A/B flicker and the
shared difference scale — as a part of :class:`QtMainWindow` (a mixin: it uses the
window's panes, pipeline, controls, menus and settings).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer

from medcomp_gui.gui import overlays

if TYPE_CHECKING:
    from medcomp_gui.gui.qt_image_pane import QtImagePane


class QtViewCommands:
    """Mixed into QtMainWindow; see the module docstring."""

    panes: dict[str, QtImagePane]
    maximised: str | None
    inverted: bool
    show_overlays: bool
    active: str
    flicker_timer: QTimer

    # -- view ------------------------------------------------------------------------
    def lead_view(self):
        """The view that zoom keys act on: the maximised pane's, else the original's."""
        return self.panes[self.maximised or "original"].view

    def fit(self) -> None:
        self.lead_view().autoRange(padding=0.0)

    def one_to_one(self) -> None:
        """One image pixel per screen pixel, about the centre of the view."""
        view = self.lead_view()
        rect = view.viewRect()
        size = view.sceneBoundingRect()
        cx, cy = rect.center().x(), rect.center().y()
        w, h = size.width(), size.height()
        view.setRange(xRange=(cx - w / 2, cx + w / 2), yRange=(cy - h / 2, cy + h / 2), padding=0)

    def zoom_by(self, factor: float) -> None:
        view = self.lead_view()
        view.scaleBy((1.0 / factor, 1.0 / factor), center=view.viewRect().center())

    def reset(self) -> None:
        """Space: the default window, no inversion of the user's, fitted."""
        if self.inverted:
            self.toggle_invert()
        self.apply_preset(self.default_preset)
        self.fit()

    def set_tool(self, tool: str) -> None:
        for pane in self.panes.values():
            pane.view.tool = tool
        self.menus.check_tool(tool)
        self.statusBar().showMessage(f"left button: {tool}")

    def toggle_maximise(self, name: str) -> None:
        """Show only pane ``name`` (double click), or all four again."""
        self.maximised = None if self.maximised == name else name
        for other, pane in self.panes.items():
            pane.setVisible(self.maximised is None or other == self.maximised)
        QTimer.singleShot(0, self.fit)

    def toggle_fullscreen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def toggle_overlays(self) -> None:
        self.show_overlays = not self.show_overlays
        self.settings.set_overlays(self.show_overlays)
        self.refresh_overlays()

    def focus_image(self) -> None:
        """Give the keys to the panes (arrows then step frames, not files)."""
        self.panes[self.maximised or "original"].graphics.setFocus(Qt.FocusReason.OtherFocusReason)

    def pane_corners(self, name: str) -> dict[str, list[overlays.Line]]:
        """The corner lines of pane ``name`` (empty without an image in it)."""
        image, pane = self.pipeline.image, self.panes[name]
        if image is None or pane.frame is None:
            return {}
        info = list(pane.info)
        if pane.is_flickered():
            info = ["A/B: showing the original", *info]
        return overlays.corners(
            image,
            info,
            self.pipeline.frame,
            self.center,
            self.width,
            overlays.output_units(image),
            pane.zoom(),
            self.inverted,
        )

    def refresh_overlays(self) -> None:
        for name, pane in self.panes.items():
            corners = self.pane_corners(name) if self.show_overlays else {}
            pane.set_overlay(
                {c: overlays.corner_text(lines, show_patient=True) for c, lines in corners.items()}
            )

    # -- A/B flicker and difference ---------------------------------------------------
    def _set_active(self, name: str) -> None:
        if name != "original":
            self.active = name

    def toggle_flicker(self) -> None:
        """B: the active pane shows the original in its place, or its own image again."""
        self.flicker_timer.stop()
        pane = self.panes[self.active]
        pane.set_flicker(not pane.is_flickered())

    def toggle_timed_flicker(self) -> None:
        """Shift+B: the active pane alternates every FLICKER_MS until pressed again."""
        if self.flicker_timer.isActive():
            self.flicker_timer.stop()
            self.panes[self.active].set_flicker(False)
        else:
            self.flicker_timer.start()
        self.menus.timed_flicker.setChecked(self.flicker_timer.isActive())

    def _flicker_tick(self) -> None:
        pane = self.panes[self.active]
        pane.set_flicker(not pane.is_flickered())

    def toggle_difference(self) -> None:
        panes = [p for name, p in self.panes.items() if name != "original"]
        on = not all(p.is_difference() for p in panes)
        for pane in panes:
            pane.set_difference(on)

    def update_difference_scale(self) -> None:
        """One colour scale for every pane in difference mode: 0 to the largest
        |difference| of any of them on this frame (stated in the controls)."""
        diffs = [p.difference_image() for p in self.panes.values() if p.is_difference()]
        tops = [float(d.max()) for d in diffs if d is not None and d.size]
        top = max(tops, default=0.0)
        for pane in self.panes.values():
            pane.set_difference_scale(top)
        image = self.pipeline.image
        if not diffs or image is None:
            self.controls.show_difference_scale(None)
        else:
            slope = abs(image.rescale_slope or 1.0)
            units = overlays.output_units(image) or "stored"
            self.controls.show_difference_scale((max(top, 1.0), max(top, 1.0) * slope, units))
