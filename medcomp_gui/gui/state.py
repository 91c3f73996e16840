"""The window's state as JSON (``medcomp-gui --screenshot X.png --state X.json``), for
checks (tests, the installed app's packaging test) and for support. No Qt import: it
reads the window's attributes.

Layout (version 1; keys are only ever added, never renamed — see docs/state-file.md)::

    {"format": "medcomp-gui-state", "version": 1,
     "patient_data": "redacted" | "included",
     "title": str, "error": str | null,
     "image": null | {"file": str, "modality": str, "shape": [..], "bits_stored": int,
                      "frame": int (1-based), "frames": int, "stack": bool,
                      "lossy": null | {"ratio": float | null, "method": str}},
     "window_level": {"center": float, "width": float, "units": "HU" | "",
                      "preset": str | null, "inverted": bool},
     "view": {"zoom": float, "maximised": str | null, "tool": str,
              "difference_scale": null | float, "flicker": {"pane": str, "timed": bool}},
     "panes": {"original" | "anlm" | "rwnet" | "svd":
               {"title": str, "state": "empty" | "busy" | "ready" | "error",
                "caption": str, "shown": "image" | "original" | "difference",
                "settings": {...} | null, "figures": {...} | null,
                "overlays": {"top_left": str, "top_right": str,
                             "bottom_left": str, "bottom_right": str},
                "rect": [x, y, w, h]}},
     "size": [w, h], "device_pixel_ratio": float,
     "roi": null | {"shape": str, "x", "y", "w", "h": float,
                    "stats": {pane: null | {"pixels", "mean", "sd", "min", "max",
                                            "psnr", "max_error"}}},
     "ruler": null | {"start": [x, y], "end": [x, y], "text": str}}

Patient data (the overlays' patient lines) is replaced by ``overlays.REDACTED`` unless
the user asked for it (``--state-patient-data``). An infinite PSNR (identical pixels)
is written as null.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from typing import Any

from medcomp_gui.gui import overlays

FORMAT = "medcomp-gui-state"
VERSION = 1


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _figures(measured: Any) -> dict[str, Any] | None:
    if measured is None:
        return None
    q = measured.quality
    return {
        "bytes": q.bytes,
        "ratio": q.ratio,
        "bpp": q.bpp,
        "psnr": _number(q.psnr),
        "ssim": _number(q.ssim),
        "max_abs_error": q.max_abs_error,
        "max_abs_error_output": q.max_abs_error_output,
    }


def _settings(window: Any, name: str) -> dict[str, Any] | None:
    pipeline = window.pipeline
    if pipeline.image is None:
        return None
    if name == "original":
        return None
    if name == "anlm":
        return {"filter": "anlm", "strength": pipeline.strength}
    measured = pipeline.measured.get(name)
    if measured is None:
        return None
    return {
        "codec": measured.codec or name,
        **measured.params,
        "denoised_first": pipeline.denoise_first,
    }


def _pane(window: Any, name: str, include_patient: bool) -> dict[str, Any]:
    pane = window.panes[name]
    if pane.is_flickered():
        shown = "original"
    elif pane.is_difference():
        shown = "difference"
    else:
        shown = "image"
    corners = window.pane_corners(name) if window.show_overlays else {}
    return {
        "title": re.sub(r"<[^>]+>", "", pane.title_label.text()),
        "state": pane.state,
        "caption": pane.caption.text(),
        "shown": shown,
        "settings": _settings(window, name),
        "figures": _figures(window.pipeline.measured.get(name)),
        "overlays": {
            corner: overlays.corner_text(corners.get(corner, []), include_patient)
            for corner in overlays.CORNERS
        },
        "rect": _place(window, pane.graphics),
    }


def _place(window: Any, widget: Any) -> list[int]:
    """Where ``widget`` is in the window (logical pixels: x, y, w, h), so that a check
    can cut a pane's view out of the screenshot."""
    corner = widget.mapTo(window, widget.rect().topLeft())
    return [corner.x(), corner.y(), widget.width(), widget.height()]


def failed_panes(window: Any) -> list[str]:
    """'title: caption' of each pane that shows no image."""
    return [
        f"{re.sub(r'<[^>]+>', '', pane.title_label.text())}: {pane.caption.text() or pane.state}"
        for pane in window.panes.values()
        if pane.state != "ready"
    ]


def _image(window: Any) -> dict[str, Any] | None:
    image = window.pipeline.image
    if image is None:
        return None
    mark = overlays.lossy_mark(image)
    source = Path(image.source) if image.source else None
    return {
        "file": source.name if source else "",
        "modality": image.modality,
        "shape": list(image.pixels.shape),
        "bits_stored": image.bits_stored,
        "frame": window.pipeline.frame + 1,
        "frames": image.n_frames,
        "stack": bool(source and source.is_dir()),
        "lossy": None if mark is None else {"ratio": mark.ratio, "method": mark.method},
    }


def _roi(window: Any) -> dict[str, Any] | None:
    annotations = window.annotations
    if annotations.region is None:
        return None
    stats = {
        name: None
        if s is None
        else {
            **dataclasses.asdict(s),
            "psnr": _number(s.psnr),
        }
        for name, s in annotations.stats.items()
    }
    return {**dataclasses.asdict(annotations.region), "stats": stats}


def window_state(window: Any, include_patient: bool = False) -> dict[str, Any]:
    """The state of a :class:`QtMainWindow` as the module docstring lays it out."""
    image = window.pipeline.image
    preset = (
        window.presets[window.preset_index].name
        if 0 <= window.preset_index < len(window.presets)
        else None
    )
    lead = window.panes[window.maximised or "original"]
    diff_panes = [p for p in window.panes.values() if p.is_difference()]
    annotations = window.annotations
    return {
        "format": FORMAT,
        "version": VERSION,
        "patient_data": "included" if include_patient else "redacted",
        "title": window.windowTitle(),
        "error": window.last_error,
        "image": _image(window),
        "window_level": {
            "center": window.center,
            "width": window.width,
            "units": overlays.output_units(image) if image is not None else "",
            "preset": preset,
            "inverted": window.inverted,
        },
        "view": {
            "zoom": lead.zoom(),
            "maximised": window.maximised,
            "tool": lead.view.tool,
            "difference_scale": diff_panes[0].difference_scale() if diff_panes else None,
            "flicker": {"pane": window.active, "timed": window.flicker_timer.isActive()},
        },
        "panes": {name: _pane(window, name, include_patient) for name in window.panes},
        "size": [window.size().width(), window.size().height()],
        "device_pixel_ratio": window.devicePixelRatioF(),
        "roi": _roi(window),
        "ruler": None
        if annotations.ruler is None
        else {
            "start": list(annotations.ruler[0]),
            "end": list(annotations.ruler[1]),
            "text": annotations.ruler_text(),
        },
    }
