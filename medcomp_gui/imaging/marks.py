"""Marks a derived DICOM image as the standard requires (PS3.3 C.7.6.1.1.5, C.7.6.1.1.2)."""

from __future__ import annotations

import math

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from medcomp_gui.imaging.dicom_header import quiet_pydicom


def mark_derived(ds: Dataset, description: str) -> None:
    """Image Type DERIVED, a Derivation Description, a new SOP Instance UID and a
    Source Image Sequence item pointing at the image it was derived from (in place).
    """
    with quiet_pydicom():  # pydicom's value warnings quote the (source's) values
        _mark_derived(ds, description)


def _mark_derived(ds: Dataset, description: str) -> None:
    old_class = ds.get("SOPClassUID")
    old_instance = ds.get("SOPInstanceUID")
    image_type = list(ds.get("ImageType", [])) or ["DERIVED", "SECONDARY"]
    image_type[0] = "DERIVED"
    if len(image_type) == 1:
        image_type.append("SECONDARY")
    ds.ImageType = image_type
    previous = str(ds.get("DerivationDescription", ""))
    text = f"{previous}; {description}" if previous else description
    ds.DerivationDescription = text[:1024]
    ds.SOPInstanceUID = generate_uid()
    if getattr(ds, "file_meta", None) is not None:
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    if old_class and old_instance:
        source = Dataset()
        source.ReferencedSOPClassUID = old_class
        source.ReferencedSOPInstanceUID = old_instance
        ds.SourceImageSequence = [*ds.get("SourceImageSequence", []), source]


def mark_lossy(ds: Dataset, ratio: float, method: str, description: str) -> None:
    """Add the lossy-compression marks (in place), keeping earlier lossy history.

    Lossy Image Compression Ratio and Method are multi-valued and correspond value by
    value (PS3.3 C.7.6.1.1.5): this compression adds one value to each. Earlier history
    is kept; where it has fewer methods than ratios (or the reverse), the shorter list
    is padded at its start with empty values (the earliest steps are the ones a writer
    left unnamed: medcomp before 0.2 wrote ratios of SVD and RWNet without a method),
    and a ratio that is not a number becomes empty, so that the values appended here
    stay in step.

    ``ratio``: this compression's ratio (uncompressed bytes / compressed bytes);
    ``method``: the codec's ``dicom_method`` (a defined term such as ISO_15444_1, or a
    medcomp term for a method the standard names no term for).
    """
    with quiet_pydicom():
        _mark_lossy(ds, ratio, method)
    mark_derived(ds, description)


def _mark_lossy(ds: Dataset, ratio: float, method: str) -> None:
    had_lossy = str(ds.get("LossyImageCompression", "00")) == "01"
    ratios = [_ratio_value(r) for r in _as_list(ds.get("LossyImageCompressionRatio"))]
    methods = [str(m) for m in _as_list(ds.get("LossyImageCompressionMethod"))]
    if not had_lossy:
        ratios, methods = [], []
    steps = max(len(ratios), len(methods))
    ratios = [""] * (steps - len(ratios)) + ratios
    methods = [""] * (steps - len(methods)) + methods
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionRatio = [*ratios, _ds_value(ratio)]
    ds.LossyImageCompressionMethod = [*methods, method]


def _as_list(value: object) -> list[object]:
    if value is None or value == "":
        return []
    if isinstance(value, str | int | float):
        return [value]
    return list(value)  # type: ignore[call-overload]


def _ratio_value(value: object) -> str:
    """An earlier ratio as a Decimal String, or "" when it is not a finite number."""
    text = str(value).strip()
    try:
        number = float(text)
    except (TypeError, ValueError):
        return ""
    return text if math.isfinite(number) and len(text) <= 16 else ""


def _ds_value(ratio: float) -> str:
    """A Decimal String (at most 16 characters) for ``ratio``."""
    return f"{ratio:.4g}"
