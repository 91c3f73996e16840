"""The viewer's mouse and keys in one table, no Qt: the Help > Shortcuts dialog shows
it, the README lists it (a test keeps the two the same), the window binds the keys.

The defaults are OHIF's (``initToolGroups.js``: left window/level, middle pan, right
zoom, wheel stack scroll; its hotkeys: I invert, space reset, up/down previous/next
image, 1-9 window presets, = fit), with F for fit as the issue asked and the keys OHIF
leaves free for what this viewer adds (A/B flicker, difference, ROI tools).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Binding:
    keys: str  # as shown to the user; for keys also what QKeySequence reads
    action: str


MOUSE = (
    Binding("Left drag", "window/level: right = wider, up = brighter (the left-button tool)"),
    Binding("Ctrl + left drag", "window/level from the region drawn"),
    Binding("Middle drag", "pan"),
    Binding("Right drag", "zoom about the point pressed (down = in)"),
    Binding("Wheel", "previous / next frame or slice"),
    Binding("Ctrl + wheel", "zoom"),
    Binding("Double click", "maximise the pane / back to four panes"),
)

#: Keys that act on the image; bound by the window (frames only while a pane has focus).
KEYS = (
    Binding("Down", "next frame"),
    Binding("Up", "previous frame"),
    Binding("PgDown", "next frame"),
    Binding("PgUp", "previous frame"),
    Binding("Home", "first frame"),
    Binding("End", "last frame"),
    Binding("W", "left button: window/level (Esc too)"),
    Binding("P", "left button: pan"),
    Binding("Z", "left button: zoom"),
    Binding("R", "left button: rectangle ROI"),
    Binding("E", "left button: ellipse ROI"),
    Binding("M", "left button: ruler (mm where the file gives the pixel spacing)"),
    Binding("Del", "remove the ROI and the ruler"),
    Binding("1 … 9", "window presets"),
    Binding("A", "automatic window (0.5-99.5 % of the frame)"),
    Binding("I", "invert the grey scale"),
    Binding("F", "fit the image to the panes (= too)"),
    Binding("Ctrl+0", "1:1 (one image pixel per screen pixel)"),
    Binding("+", "zoom in"),
    Binding("-", "zoom out"),
    Binding("Space", "reset: the default window and fit"),
    Binding("B", "A/B flicker of the active pane: the original in its place"),
    Binding("Shift+B", "timed A/B flicker of the active pane (on/off)"),
    Binding("D", "difference mode in every pane (one shared colour scale)"),
    Binding("C", "linked crosshair on/off"),
    Binding("O", "corner overlays on/off"),
    Binding("F11", "full screen"),
    Binding("F1", "this list"),
)


def as_rows() -> list[tuple[str, str, str]]:
    """(kind, keys, action) rows for a table: the mouse first, then the keys."""
    return [("Mouse", b.keys, b.action) for b in MOUSE] + [("Key", b.keys, b.action) for b in KEYS]
