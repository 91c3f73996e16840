"""Display arithmetic for the viewer, no Qt: window/level, presets, LUTs, readouts.

Windows are given as DICOM defines them (centre/width in output units: HU for CT,
stored values times slope plus intercept otherwise); the image items show stored values,
so a window is turned into stored-value levels before it is applied.
"""

from __future__ import annotations

import numpy as np

from medcomp_gui.imaging.image import MedicalImage, WindowPreset

#: Percentiles of the frame that the automatic window spans.
AUTO_PERCENTILES = (0.5, 99.5)
#: Frames up to this many pixels are used whole for the automatic window.
AUTO_FULL_PIXELS = 1 << 18
#: Smallest window width in stored units (a width of 0 would divide by zero).
MIN_WIDTH = 1.0


def presets_for(image: MedicalImage) -> list[WindowPreset]:
    """The image's windows: the file's (named "file N" when unnamed), then the core's
    modality defaults (``imaging.dicom_io.MODALITY_WINDOWS``)."""
    return [
        w if w.name else WindowPreset(w.center, w.width, f"file {i}")
        for i, w in enumerate(image.windows, 1)
    ]


def to_output(image: MedicalImage, stored: float) -> float:
    """Stored value to output units (HU for CT)."""
    return stored * image.rescale_slope + image.rescale_intercept


def auto_window(image: MedicalImage, frame: np.ndarray) -> WindowPreset:
    """A window over the central percentiles of ``frame`` (stored values), output units.
    Large frames are sampled every other row and column (fast enough for the GUI thread)."""
    sample = frame[::2, ::2] if frame.size > AUTO_FULL_PIXELS else frame
    low, high = np.percentile(sample, AUTO_PERCENTILES) if sample.size else (0.0, 1.0)
    low, high = sorted((to_output(image, float(low)), to_output(image, float(high))))
    width = max(high - low, MIN_WIDTH * abs(image.rescale_slope or 1.0))
    return WindowPreset((low + high) / 2.0, width, "auto")


def stored_levels(image: MedicalImage, center: float, width: float) -> tuple[float, float]:
    """The stored-value (low, high) levels of a window given in output units."""
    slope = image.rescale_slope or 1.0
    ends = sorted(
        (
            (center - width / 2.0 - image.rescale_intercept) / slope,
            (center + width / 2.0 - image.rescale_intercept) / slope,
        )
    )
    if ends[1] - ends[0] < MIN_WIDTH:
        ends[1] = ends[0] + MIN_WIDTH
    return ends[0], ends[1]


def dragged_window(center: float, width: float, dx: float, dy: float) -> tuple[float, float]:
    """The window after a mouse drag of (dx, dy) screen pixels: right widens, up brightens
    (as in Weasis/Horos: horizontal = width, vertical = level), relative to the width."""
    step = max(width, 1.0) / 256.0
    return center - dy * step, max(width + dx * step, 1e-6)


def grey_lut(invert: bool) -> np.ndarray:
    """A 256 x 3 uint8 grey lookup table; inverted for MONOCHROME1 (0 = white)."""
    ramp = np.arange(256, dtype=np.uint8)
    if invert:
        ramp = ramp[::-1]
    return np.repeat(ramp[:, np.newaxis], 3, axis=1)


def is_inverted(image: MedicalImage) -> bool:
    return image.photometric == "MONOCHROME1"


def readout(image: MedicalImage, row: int, col: int, value: float | None, label: str = "") -> str:
    """``(x, y)  stored v [= h HU]`` for the pixel; CT values also in HU."""
    text = f"x {col}  y {row}"
    if value is None:
        return text
    shown = f"{value:g}" if float(value).is_integer() else f"{value:.2f}"
    text += f"  {label + ' ' if label else ''}stored {shown}"
    if (
        image.modality.upper() == "CT"
        or image.rescale_slope != 1.0
        or image.rescale_intercept != 0.0
    ):
        unit = "HU" if image.modality.upper() == "CT" else "(rescaled)"
        text += f" = {to_output(image, float(value)):g} {unit}"
    return text


def difference(reconstruction: np.ndarray, original: np.ndarray) -> np.ndarray:
    """|reconstruction - original| in stored units: uint16 for integer frames whose
    differences fit (the pane then colours it through a lookup table, as it does the
    frames, where a float image costs a rescale of every pixel on the GUI thread:
    tens of milliseconds for 1024 x 1024), else float32."""
    if reconstruction.dtype.kind in "iu" and original.dtype.kind in "iu":
        diff = np.abs(reconstruction.astype(np.int32) - original.astype(np.int32))
        if diff.size == 0 or diff.max() <= np.iinfo(np.uint16).max:
            return diff.astype(np.uint16)
    return np.abs(reconstruction.astype(np.float32) - original.astype(np.float32))
