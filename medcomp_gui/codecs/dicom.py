"""What a codec needs to write its own DICOM transfer syntax.

A codec with a standard transfer syntax has ``encode_dicom(image, **params) ->
DicomEncoded``: the complete dataset of ``image`` (every attribute of the source header
kept) with its pixel data encoded and its transfer syntax set. The SOP Instance UID is
left alone: lossy marks and the new UID are added by ``api.compress_dicom`` for every
codec alike (:mod:`medcomp_gui.imaging.marks`).

Two ways to fill the pixel data: pydicom's own encoder plugins (:func:`pydicom_compressed`,
JPEG 2000 and JPEG-LS), or codestreams a codec made itself, encapsulated with
``pydicom.encaps`` (:func:`encapsulated`, HTJ2K).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from medcomp_gui.errors import CodecError

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

    from medcomp_gui.imaging.image import MedicalImage


@dataclass
class DicomEncoded:
    """A codec's DICOM output: the dataset, the parameters used, and whether lossless."""

    dataset: Dataset
    params: dict[str, Any]
    lossless: bool


def pydicom_compressed(image: MedicalImage, syntax: str, **options: Any) -> Dataset:
    """The dataset of ``image`` compressed by pydicom's encoder for ``syntax`` (a UID).

    ``options``: the encoder's, e.g. ``j2k_cr`` / ``j2k_psnr`` or ``jls_error``."""
    from medcomp_gui.imaging.dicom_header import quiet_pydicom, sanitise
    from medcomp_gui.imaging.dicom_io import image_dataset

    ds = image_dataset(image)
    try:
        with quiet_pydicom():
            ds.compress(syntax, generate_instance_uid=False, **options)
    except (ValueError, RuntimeError) as exc:
        reason = sanitise(str(exc))
        raise CodecError(f"cannot encode as {getattr(syntax, 'name', syntax)}: {reason}") from exc
    return ds


def encapsulated(image: MedicalImage, syntax: str, codestreams: Sequence[bytes]) -> Dataset:
    """The dataset of ``image`` with one codestream per frame, encapsulated (PS3.5 A.4)."""
    from pydicom.encaps import encapsulate

    from medcomp_gui.imaging.dicom_io import image_dataset

    if len(codestreams) != image.n_frames:
        raise CodecError(f"{len(codestreams)} codestreams for {image.n_frames} frames")
    ds = image_dataset(image)
    ds.file_meta.TransferSyntaxUID = syntax
    ds.PixelData = encapsulate([bytes(c) for c in codestreams])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds
