"""Display arithmetic for the viewer, no Qt: window/level, presets, LUTs, readouts.

Windows are given as DICOM defines them (centre/width in output units: HU for CT,
stored values times slope plus intercept otherwise); the image items show stored values,
so a window is turned into stored-value levels before it is applied.
"""

from __future__ import annotations

import math

import numpy as np

# np.percentile imports numpy.ma on its first call: 24 ms on the GUI thread when the first
# image opens; imported here, it is part of start-up instead
import numpy.ma  # noqa: F401

from medcomp_gui.imaging.image import MODALITY_WINDOWS, MedicalImage, WindowPreset

#: Percentiles of the frame that the automatic window spans.
AUTO_PERCENTILES = (0.5, 99.5)
#: Frames up to this many pixels are used whole for the automatic window.
AUTO_FULL_PIXELS = 1 << 18
#: Smallest window width in stored units (a width of 0 would divide by zero).
MIN_WIDTH = 1.0
#: OHIF's CT window presets (centre, width in HU).
CT_PRESETS = (
    WindowPreset(40, 400, "soft tissue"),
    WindowPreset(-600, 1500, "lung"),
    WindowPreset(90, 150, "liver"),
    WindowPreset(480, 2500, "bone"),
    WindowPreset(40, 80, "brain"),
)
#: Other modalities: (name, low, high percentile) of the frame's inner values.
PERCENTILE_PRESETS = (
    ("image 1-99 %", 1.0, 99.0),
    ("wide 0.1-99.9 %", 0.1, 99.9),
    ("contrast 5-95 %", 5.0, 95.0),
)
#: Projection radiography opens at the narrower window first: collimation, shielding
#: and direct exposure fill the tails of its histogram (an MR's tails are the image's).
PROJECTION_MODALITIES = ("CR", "DX", "MG", "RF", "XA", "PX", "IO")
#: A file window at least this wide, covering the frame's values, is "full range".
FULL_RANGE_FRACTION = 0.9
#: cornerstone's WindowLevelTool: multiplier = dynamic range / 1024, at least 4.
DRAG_RANGE = 1024.0
DRAG_MIN_MULTIPLIER = 4.0


def file_windows(image: MedicalImage) -> list[WindowPreset]:
    """The windows the file itself gives (named "file N" when unnamed), without the
    core's modality defaults that ``dicom_io`` appends to them."""
    defaults = set(MODALITY_WINDOWS.get(image.modality.upper(), ()))
    return [
        w if w.name else WindowPreset(w.center, w.width, f"file {i}")
        for i, w in enumerate((w for w in image.windows if w not in defaults), 1)
    ]


def modality_presets(image: MedicalImage, frame: np.ndarray) -> list[WindowPreset]:
    """CT: OHIF's presets (HU); any other modality: windows over percentiles of the
    frame's values between its lowest and highest (padding, collimator and saturated
    pixels left out), so that they fit MR, CR/DX and MG alike; projection radiographs
    (:data:`PROJECTION_MODALITIES`) list the narrower 5-95 % window first."""
    if image.modality.upper() == "CT":
        return list(CT_PRESETS)
    sample = frame[::2, ::2] if frame.size > AUTO_FULL_PIXELS else frame
    low, high = (sample.min(), sample.max()) if sample.size else (0, 1)
    inner = sample[(sample > low) & (sample < high)]
    values = inner if inner.size >= max(64, sample.size // 10) else sample
    table = PERCENTILE_PRESETS
    if image.modality.upper() in PROJECTION_MODALITIES:
        table = (table[2], table[0], table[1])
    qs = [q for _, lo, hi in table for q in (lo, hi)]
    ends = np.percentile(values, qs) if values.size else np.zeros(len(qs))
    presets = []
    for i, (name, _, _) in enumerate(table):
        a, b = sorted(
            (to_output(image, float(ends[2 * i])), to_output(image, float(ends[2 * i + 1])))
        )
        width = max(b - a, MIN_WIDTH * abs(image.rescale_slope or 1.0))
        presets.append(WindowPreset((a + b) / 2.0, width, name))
    return presets


def default_preset(image: MedicalImage, frame: np.ndarray, presets: list[WindowPreset]) -> int:
    """The index in ``presets`` (file windows first, then the modality's) to open with:
    the file's first window, unless it spans nearly the whole range of stored values
    (a "full range" window: washed out, RG1's); else the modality's first preset."""
    n_file = len(file_windows(image))
    if n_file:
        first = presets[0]
        lo_v, hi_v = sorted(
            (to_output(image, float(frame.min())), to_output(image, float(frame.max())))
        )
        full = hi_v - lo_v
        covers = first.center - first.width / 2 <= lo_v + 0.05 * full and (
            first.center + first.width / 2 >= hi_v - 0.05 * full
        )
        if not (covers and first.width >= FULL_RANGE_FRACTION * full):
            return 0
    return n_file if len(presets) > n_file else 0


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


def drag_multiplier(image: MedicalImage, frame: np.ndarray) -> float:
    """Output units per screen pixel of a window/level drag: cornerstone's
    WindowLevelTool (the frame's dynamic range / 1024, rounded, at least 4)."""
    span = abs(float(frame.max()) - float(frame.min())) * abs(image.rescale_slope or 1.0)
    return float(max(DRAG_MIN_MULTIPLIER, round(span / DRAG_RANGE)))


def dragged_window(
    center: float, width: float, dx: float, dy: float, multiplier: float
) -> tuple[float, float]:
    """The window after a drag of (dx, dy) screen pixels, as cornerstone's
    WindowLevelTool (OHIF's default left button): width + dx * m, centre + dy * m —
    right widens; down raises the centre (darker), up brightens."""
    return center + dy * multiplier, max(width + dx * multiplier, MIN_WIDTH)


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


#: Positions of the logarithmic rank slider.
RANK_STEPS = 1000


def rank_at(position: int, max_rank: int) -> int:
    """The rank at ``position`` (0..RANK_STEPS) of a logarithmic slider over 1..max_rank."""
    if max_rank <= 1:
        return 1
    return max(1, min(max_rank, round(max_rank ** (position / RANK_STEPS))))


def rank_position(rank: int, max_rank: int) -> int:
    """The slider position that shows ``rank`` (inverse of :func:`rank_at`)."""
    if max_rank <= 1 or rank <= 1:
        return 0
    return round(math.log(min(rank, max_rank)) / math.log(max_rank) * RANK_STEPS)
