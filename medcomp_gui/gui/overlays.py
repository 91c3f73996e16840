"""What the panes say about the image on screen, no Qt: corner overlays and lossy marks.

Each corner of a pane holds a few lines (as PACS viewers show them): top left the
patient (name, ID, study date), top right the study (modality, series, frame n/N),
bottom left the view (W/L, zoom), bottom right the pane's own codec and setting.

Patient data appears only on screen. Lines that carry it are flagged (``patient``), so
that every other output — the ``--state`` file, logs, reports — leaves them out or
replaces them with :data:`REDACTED` (:func:`corner_text`).
"""

from __future__ import annotations

from dataclasses import dataclass

from medcomp_gui.imaging.image import MedicalImage

#: What replaces a line of patient data outside the screen.
REDACTED = "[patient data]"
CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")
#: Transfer syntaxes that are lossy by definition (JPEG baseline/extended, JPEG-LS
#: near-lossless, JPEG 2000 and HTJ2K "lossy or lossless" are judged by the marks).
LOSSY_SYNTAXES = {
    "1.2.840.10008.1.2.4.50": "JPEG baseline",
    "1.2.840.10008.1.2.4.51": "JPEG extended",
    "1.2.840.10008.1.2.4.81": "JPEG-LS near-lossless",
}


@dataclass(frozen=True)
class Line:
    """One overlay line; ``patient`` lines are shown on screen only."""

    text: str
    patient: bool = False


@dataclass(frozen=True)
class LossyMark:
    """Why the image on screen is not the original acquisition."""

    ratio: float | None  # the last lossy compression's ratio, if recorded
    method: str  # e.g. "ISO_15444_1", "medcomp svd"

    def label(self) -> str:
        ratio = f" {self.ratio:.3g}:1" if self.ratio else ""
        return f"LOSSY{ratio}{' ' + self.method if self.method else ''}"


def lossy_mark(image: MedicalImage) -> LossyMark | None:
    """The lossy history of ``image`` (DICOM Lossy Image Compression, or a lossy
    transfer syntax without it), or None when nothing says it was lossy-compressed."""
    ds = image.dataset
    if ds is None:
        return None
    if str(ds.get("LossyImageCompression", "")) == "01":
        ratios = _values(ds.get("LossyImageCompressionRatio"))
        methods = _values(ds.get("LossyImageCompressionMethod"))
        try:
            ratio = float(ratios[-1]) if ratios else None
        except ValueError:
            ratio = None
        method = str(methods[-1]) if methods else _medcomp_method(ds)
        return LossyMark(ratio, method)
    meta = getattr(ds, "file_meta", None)
    syntax = str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""
    if syntax in LOSSY_SYNTAXES:
        return LossyMark(None, LOSSY_SYNTAXES[syntax])
    return None


def _values(value: object) -> list[object]:
    if value is None or value == "":
        return []
    if isinstance(value, str | int | float):
        return [value]
    return list(value)  # type: ignore[call-overload]


def _medcomp_method(ds: object) -> str:
    """ "medcomp svd" from our Derivation Description (SVD and RWNet have no defined term)."""
    text = str(getattr(ds, "DerivationDescription", ""))
    marker = "Lossy compressed by medcomp "
    if marker in text:
        return "medcomp " + text.rsplit(marker, 1)[1].split()[0]
    return ""


def patient_lines(image: MedicalImage) -> list[Line]:
    """Name, ID and study date from the DICOM header (none for other sources)."""
    ds = image.dataset
    if ds is None:
        return []
    lines = []
    name = str(ds.get("PatientName", "") or "").replace("^", ", ").strip(", ")
    if name:
        lines.append(Line(name, patient=True))
    if pid := str(ds.get("PatientID", "") or ""):
        lines.append(Line(f"ID {pid}", patient=True))
    if date := str(ds.get("StudyDate", "") or ""):
        shown = f"{date[:4]}-{date[4:6]}-{date[6:8]}" if len(date) == 8 else date
        lines.append(Line(f"Study {shown}", patient=True))
    return lines


def study_lines(image: MedicalImage, frame: int) -> list[Line]:
    """Modality, series (number and description) and ``frame`` (0-based) of N."""
    ds = image.dataset
    lines = [Line(image.modality)]
    if ds is not None:
        number = str(ds.get("SeriesNumber", "") or "")
        text = str(ds.get("SeriesDescription", "") or "")
        series = " ".join(t for t in (f"Se {number}" if number else "", text) if t)
        if series:
            lines.append(Line(series))
    lines.append(Line(f"Frame {frame + 1}/{image.n_frames}"))
    return lines


def view_lines(center: float, width: float, units: str, zoom: float, inverted: bool) -> list[Line]:
    """W/L in output units and the zoom (screen pixels per image pixel)."""
    lines = [Line(f"W {_level(width)} L {_level(center)}{' ' + units if units else ''}")]
    lines.append(Line(f"Zoom {zoom:.2f}×" + (" · inverted" if inverted else "")))
    return lines


def _level(value: float) -> str:
    """A window value as a reading: whole units from 100 up, else 4 digits."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.4g}"


def corners(
    image: MedicalImage,
    pane_lines: list[str],
    frame: int,
    center: float,
    width: float,
    units: str,
    zoom: float,
    inverted: bool = False,
) -> dict[str, list[Line]]:
    """The four corners of one pane (``pane_lines``: its codec and setting)."""
    return {
        "top_left": patient_lines(image),
        "top_right": study_lines(image, frame),
        "bottom_left": view_lines(center, width, units, zoom, inverted),
        "bottom_right": [Line(text) for text in pane_lines],
    }


def corner_text(lines: list[Line], show_patient: bool) -> str:
    """The lines joined; patient lines kept only when ``show_patient`` (the screen)."""
    return "\n".join(line.text if show_patient or not line.patient else REDACTED for line in lines)


def output_units(image: MedicalImage) -> str:
    """The unit of window centre/width: HU for CT, "" for stored (or rescaled) values."""
    return "HU" if image.modality.upper() == "CT" else ""
