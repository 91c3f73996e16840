"""DICOM in and out through pydicom (and its pylibjpeg / pyjpegls pixel plugins)."""

from __future__ import annotations

import copy
import io
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import (
    ExplicitVRLittleEndian,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from medcomp_gui.errors import CorruptFileError, UnsupportedImageError
from medcomp_gui.imaging.image import GREY_PHOTOMETRICS, MedicalImage, WindowPreset

#: Pixel-data elements removed from the header we keep beside the pixels.
_PIXEL_KEYWORDS = (
    "PixelData",
    "FloatPixelData",
    "DoubleFloatPixelData",
    "ExtendedOffsetTable",
    "ExtendedOffsetTableLengths",
)
#: Modality default windows (centre, width) in output units, when the file has none.
MODALITY_WINDOWS: dict[str, tuple[WindowPreset, ...]] = {
    "CT": (
        WindowPreset(40, 80, "brain"),
        WindowPreset(-600, 1500, "lung"),
        WindowPreset(400, 1800, "bone"),
        WindowPreset(50, 400, "abdomen"),
        WindowPreset(50, 350, "mediastinum"),
    ),
}


def read_dicom(path: Path) -> MedicalImage:
    """Load a grey DICOM image, keeping its header (without pixel data) for re-export."""
    try:
        try:
            ds = pydicom.dcmread(path)
        except InvalidDicomError:
            # Older files (ACR-NEMA style) have no preamble or file meta: read them if
            # what comes out is recognisably an image header.
            ds = pydicom.dcmread(path, force=True)
            if "Rows" not in ds or "PixelData" not in ds:
                raise CorruptFileError(f"{path}: not a DICOM file") from None
            _set_transfer_syntax_from_encoding(ds)
    except (EOFError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CorruptFileError(f"{path}: cannot read DICOM ({exc})") from exc
    return dataset_to_image(ds, str(path))


def _set_transfer_syntax_from_encoding(ds: Dataset) -> None:
    """Give a file read without meta information the transfer syntax it was read in."""
    from pydicom.uid import ExplicitVRBigEndian, ImplicitVRLittleEndian

    if "TransferSyntaxUID" in getattr(ds, "file_meta", {}):
        return
    implicit, little = ds.original_encoding
    if not hasattr(ds, "file_meta") or ds.file_meta is None:
        ds.file_meta = FileMetaDataset()
    if implicit:
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    else:
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian if little else ExplicitVRBigEndian


def dataset_to_image(ds: Dataset, source: str) -> MedicalImage:
    """A MedicalImage from a dataset with pixel data (decoded by pydicom's plugins)."""
    if "PixelData" not in ds:
        what = ds.get("SOPClassUID", "unknown SOP class")
        name = getattr(what, "name", str(what))
        raise UnsupportedImageError(f"{source}: no image in this DICOM file ({name})")
    photometric = str(ds.get("PhotometricInterpretation", ""))
    if photometric not in GREY_PHOTOMETRICS or int(ds.get("SamplesPerPixel", 1)) != 1:
        raise UnsupportedImageError(
            f"{source}: {photometric or 'unknown'} images are not supported "
            "(only grey MONOCHROME1/MONOCHROME2)"
        )
    bits_allocated = int(ds.get("BitsAllocated", 0))
    if bits_allocated not in (8, 16):
        raise UnsupportedImageError(
            f"{source}: Bits Allocated {bits_allocated} is not supported (8 or 16)"
        )
    try:
        pixels = ds.pixel_array
    except Exception as exc:  # pydicom's plugins raise many types for damaged data
        reason = " ".join(str(exc).split())
        if "missing dependencies" in reason or "no pixel data decoders" in reason.lower():
            raise UnsupportedImageError(f"{source}: no decoder installed ({reason})") from exc
        raise CorruptFileError(f"{source}: cannot decode the pixel data ({reason})") from exc
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    dtype = np.dtype(f"{'i' if signed else 'u'}{bits_allocated // 8}")
    if dtype == np.int8:
        raise UnsupportedImageError(f"{source}: signed 8-bit images are not supported")
    pixels = np.ascontiguousarray(pixels, dtype=dtype)
    header = copy.deepcopy(ds)
    for keyword in _PIXEL_KEYWORDS:
        if keyword in header:
            delattr(header, keyword)
    modality = str(ds.get("Modality", "OT")) or "OT"
    return MedicalImage(
        pixels=pixels,
        bits_stored=int(ds.get("BitsStored", bits_allocated)),
        photometric=photometric,
        rescale_slope=float(ds.get("RescaleSlope", 1.0) or 1.0),
        rescale_intercept=float(ds.get("RescaleIntercept", 0.0) or 0.0),
        modality=modality,
        windows=_windows(ds, modality),
        dataset=header,
        source=source,
    )


def _windows(ds: Dataset, modality: str) -> tuple[WindowPreset, ...]:
    centers = ds.get("WindowCenter")
    widths = ds.get("WindowWidth")
    presets: list[WindowPreset] = []
    if centers is not None and widths is not None:
        centers_list = (
            list(centers) if isinstance(centers, pydicom.multival.MultiValue) else [centers]
        )
        widths_list = list(widths) if isinstance(widths, pydicom.multival.MultiValue) else [widths]
        names = ds.get("WindowCenterWidthExplanation") or []
        names_list = (
            list(names) if isinstance(names, pydicom.multival.MultiValue | list) else [names]
        )
        for i, (c, w) in enumerate(zip(centers_list, widths_list, strict=False)):
            if float(w) > 0:
                name = str(names_list[i]) if i < len(names_list) else f"file {i + 1}"
                presets.append(WindowPreset(float(c), float(w), name))
    return tuple(presets) + MODALITY_WINDOWS.get(modality, ())


def image_dataset(image: MedicalImage) -> Dataset:
    """A full dataset for ``image`` with uncompressed pixel data.

    Starts from the source header (every attribute kept); a non-DICOM source gets a
    new Secondary Capture header.
    """
    if image.dataset is not None:
        ds = copy.deepcopy(image.dataset)
    else:
        ds = new_secondary_capture(image)
    if not hasattr(ds, "file_meta") or ds.file_meta is None:
        ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = image.photometric
    ds.Rows, ds.Columns = image.rows, image.cols
    if image.pixels.ndim == 3:
        ds.NumberOfFrames = image.n_frames
    elif "NumberOfFrames" in ds:
        ds.NumberOfFrames = 1
    ds.BitsAllocated = image.bits_allocated
    ds.BitsStored = image.bits_stored
    ds.HighBit = image.bits_stored - 1
    ds.PixelRepresentation = 1 if image.signed else 0
    ds.PixelData = (
        np.ascontiguousarray(image.pixels).astype(image.pixels.dtype.newbyteorder("<")).tobytes()
    )
    ds["PixelData"].VR = "OW" if image.bits_allocated > 8 else "OB"
    return ds


def new_secondary_capture(image: MedicalImage) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = image.modality
    ds.ConversionType = "WSD"
    ds.ImageType = ["DERIVED", "SECONDARY"]
    ds.PatientName = ""
    ds.PatientID = ""
    if image.rescale_slope != 1.0 or image.rescale_intercept != 0.0:
        ds.RescaleSlope = image.rescale_slope
        ds.RescaleIntercept = image.rescale_intercept
    return ds


def dataset_bytes(ds: Dataset) -> bytes:
    """The DICOM file (preamble, meta and dataset) as bytes."""
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def header_bytes(ds: Dataset) -> bytes:
    """A pixel-less header as a DICOM file (for embedding in a .mcz)."""
    ds = copy.copy(ds)
    if not hasattr(ds, "file_meta") or ds.file_meta is None:
        ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.setdefault(
        "MediaStorageSOPClassUID", ds.get("SOPClassUID", SecondaryCaptureImageStorage)
    )
    ds.file_meta.setdefault("MediaStorageSOPInstanceUID", ds.get("SOPInstanceUID", generate_uid()))
    return dataset_bytes(ds)


def header_from_bytes(data: bytes) -> Dataset:
    """Inverse of :func:`header_bytes`; CorruptFileError for anything else."""
    try:
        return pydicom.dcmread(io.BytesIO(data))
    except Exception as exc:  # any parse failure of embedded bytes is corruption
        raise CorruptFileError(f"embedded DICOM header is damaged ({exc})") from exc
