"""The size report after a save, no Qt: rows of (field, value), as text or CSV.

Every figure comes from the file as written: its size on disk, and its pixels decoded
from disk against the image that was compressed (``api.encode_file`` measures them).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from medcomp_gui import api
from medcomp_gui.api import EncodeResult
from medcomp_gui.gui.compute import image_guideline
from medcomp_gui.guidance import ratio_warning
from medcomp_gui.imaging.image import MedicalImage

#: DICOM attributes that record lossy compression (PS3.3 C.7.6.1.1.5).
LOSSY_MARKS = (
    ("LossyImageCompression", "Lossy Image Compression (0028,2110)"),
    ("LossyImageCompressionRatio", "Lossy Image Compression Ratio (0028,2112)"),
    ("LossyImageCompressionMethod", "Lossy Image Compression Method (0028,2114)"),
    ("ImageType", "Image Type (0008,0008)"),
    ("DerivationDescription", "Derivation Description (0008,2111)"),
)


def encode_and_report(
    image: MedicalImage,
    path: str | Path,
    codec: str,
    params: dict[str, Any],
    denoised: bool = False,
) -> tuple[EncodeResult, list[tuple[str, str]]]:
    """Write ``image`` to ``path`` with ``codec`` and the report rows (worker thread)."""
    result = api.encode_file(image, path, codec, **params)
    return result, size_report(result, image, denoised)


def size_report(
    result: EncodeResult, image: MedicalImage, denoised: bool = False
) -> list[tuple[str, str]]:
    """Rows of the report: sizes, ratio against the CAR 2008 guideline, quality, marks."""
    q = result.quality
    on_disk = Path(result.path).stat().st_size
    limit = image_guideline(image)
    settings = " ".join(f"{k}={v}" for k, v in result.params.items()) or "defaults"
    rows = [
        ("File", str(result.path)),
        ("Codec", f"{result.codec} ({settings})"),
        ("Mode", "lossless" if result.lossless else "LOSSY"),
        ("Original bytes", f"{image.original_bytes}"),
        ("Compressed bytes", f"{on_disk}"),
        ("Ratio", f"{q.ratio:.2f}:1"),
        (
            "CAR 2008 guideline",
            f"{limit:g}:1 for {image.modality}" if limit else f"none for {image.modality}",
        ),
    ]
    hu = f" ({q.max_abs_error_output:g} HU)" if image.modality.upper() == "CT" else ""
    body = str(image.dataset.get("BodyPartExamined", "") or "") if image.dataset is not None else ""
    warning = None if result.lossless else ratio_warning(q.ratio, image.modality.upper(), body)
    rows.append(
        ("Guideline check", warning or ("within the guideline" if limit else "no guideline"))
    )
    rows += [
        ("bpp", f"{q.bpp:.4f}"),
        ("PSNR", "lossless (identical)" if math.isinf(q.psnr) else f"{q.psnr:.2f} dB"),
        ("SSIM", "n/a" if math.isnan(q.ssim) else f"{q.ssim:.5f}"),
        ("Max abs error", f"{q.max_abs_error} stored{hu}"),
        ("RMSE", f"{q.rmse:.3f} stored"),
        ("Encode time", f"{result.encode_seconds:.2f} s"),
    ]
    if denoised:
        rows.append(
            ("Note", "ANLM-denoised before compressing; figures are against the denoised image")
        )
    rows += lossy_marks(Path(result.path))
    rows += [("Note", note) for note in result.notes]
    return rows


def lossy_marks(path: Path) -> list[tuple[str, str]]:
    """The lossy-compression attributes of the file read back (its DICOM header)."""
    try:
        dataset = api.decode_output(path.read_bytes()).dataset
    except Exception as exc:  # the report must still show the sizes
        return [("Lossy marks", f"could not read back: {exc}")]
    if dataset is None:
        return [("Lossy marks", "no DICOM header")]
    rows = []
    for keyword, label in LOSSY_MARKS:
        value = dataset.get(keyword)
        if value is not None:
            iterable = hasattr(value, "__iter__") and not isinstance(value, str)
            rows.append((label, "\\".join(str(v) for v in value) if iterable else str(value)))
    return rows or [("Lossy marks", "none (lossless)")]


def as_text(rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows) + "\n"


def as_csv(rows: list[tuple[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("field", "value"))
    writer.writerows(rows)
    return buffer.getvalue()


def compressed_bytes(rows: list[tuple[str, str]]) -> int:
    """The compressed size the report gives (for checks against the file on disk)."""
    return int(dict(rows)["Compressed bytes"])
