"""Marks a derived DICOM image as the standard requires (PS3.3 C.7.6.1.1.5, C.7.6.1.1.2)."""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid


def mark_derived(ds: Dataset, description: str) -> None:
    """Image Type DERIVED, a Derivation Description, a new SOP Instance UID and a
    Source Image Sequence item pointing at the image it was derived from (in place).
    """
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

    ``ratio``: this compression's ratio (uncompressed bytes / compressed bytes);
    ``method``: a defined term such as ISO_15444_1, or "" where none exists.
    """
    had_lossy = str(ds.get("LossyImageCompression", "00")) == "01"
    ratios = [str(r) for r in _as_list(ds.get("LossyImageCompressionRatio"))] if had_lossy else []
    methods = [str(m) for m in _as_list(ds.get("LossyImageCompressionMethod"))] if had_lossy else []
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionRatio = [*ratios, _ds_value(ratio)]
    if method and (not methods or len(methods) == len(ratios)):
        ds.LossyImageCompressionMethod = [*methods, method]
    mark_derived(ds, description)


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    if isinstance(value, str | int | float):
        return [value]
    return list(value)  # type: ignore[call-overload]


def _ds_value(ratio: float) -> str:
    """A Decimal String (at most 16 characters) for ``ratio``."""
    return f"{ratio:.4g}"
