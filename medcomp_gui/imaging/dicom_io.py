"""DICOM in and out through pydicom (and its pylibjpeg / pyjpegls pixel plugins)."""

from __future__ import annotations

import copy
import io
import math
import re
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import (
    UID,
    ExplicitVRLittleEndian,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from medcomp_gui.errors import CorruptFileError, MedcompError, OutputError, UnsupportedImageError
from medcomp_gui.imaging import dicom_header as dh
from medcomp_gui.imaging.dicom_header import (
    drop_misplaced_groups,
    header_problem,
    parse_eagerly,
    quiet_pydicom,
    sanitise,
    to_little_endian,
)
from medcomp_gui.imaging.image import (
    GREY_PHOTOMETRICS,
    MAX_PIXELS,
    MODALITY_WINDOWS,
    MedicalImage,
    WindowPreset,
)

#: Pixel-data elements removed from the header we keep beside the pixels.
_PIXEL_KEYWORDS = (
    "PixelData",
    "FloatPixelData",
    "DoubleFloatPixelData",
    "ExtendedOffsetTable",
    "ExtendedOffsetTableLengths",
)
#: Photometric interpretations a message may name (other values are not echoed).
_PHOTOMETRICS = {
    "MONOCHROME1",
    "MONOCHROME2",
    "PALETTE COLOR",
    "RGB",
    "YBR_FULL",
    "YBR_FULL_422",
    "YBR_PARTIAL_420",
    "YBR_ICT",
    "YBR_RCT",
    "XYB",
}
_TAG_IN_MESSAGE = re.compile(r"\(([0-9A-Fa-f]{4}), ?([0-9A-Fa-f]{4})\)")
_CODE_STRING = re.compile(r"[A-Z0-9_ ]{1,16}")
#: Window presets taken from a file at most (the .mcz header holds 64).
MAX_FILE_WINDOWS = 16


def read_dicom(path: Path) -> MedicalImage:
    """Load a grey DICOM image, keeping its header (without pixel data) for re-export.

    Every failure is a MedcompError naming the file and the attribute or element at
    fault, never quoting a value (see :mod:`.dicom_header`).
    """
    try:
        with quiet_pydicom():
            try:
                ds = pydicom.dcmread(path)
            except InvalidDicomError:
                # Older files (ACR-NEMA style) have no preamble or file meta: read them if
                # what comes out is recognisably an image header.
                ds = pydicom.dcmread(path, force=True)
                if "Rows" not in ds or "PixelData" not in ds:
                    raise CorruptFileError("not a DICOM file") from None
                _set_transfer_syntax_from_encoding(ds)
    except MedcompError as exc:
        raise type(exc)(f"{path}: {exc}") from exc
    except OSError as exc:
        raise MedcompError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from exc
    except Exception as exc:  # pydicom raises many types for a damaged file
        raise CorruptFileError(f"{path}: cannot read DICOM: {header_problem(exc)}") from exc
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
    """A MedicalImage from a dataset with pixel data (decoded by pydicom's plugins).

    Attributes the pixels depend on are checked and refused with a message naming
    them; attributes that only affect display (windows, modality) are ignored when
    unreadable, with a note in ``MedicalImage.notes``. The kept header is little endian.
    """
    try:
        with quiet_pydicom():
            parse_eagerly(ds)
            return _image(ds, source, drop_misplaced_groups(ds))
    except MedcompError as exc:
        raise type(exc)(f"{source}: {exc}") from exc


def _image(ds: Dataset, source: str, notes: list[str]) -> MedicalImage:
    if "PixelData" not in ds:
        uid = ds.get("SOPClassUID")
        name = uid.name if isinstance(uid, UID) and uid.is_valid and uid.name != uid else ""
        raise UnsupportedImageError(f"no image in this DICOM file ({name or 'unknown SOP class'})")
    values = dh.strings(ds, "PhotometricInterpretation")
    photometric = values[0].strip() if len(values) == 1 else ""
    samples = dh.integer(ds, "SamplesPerPixel", 1, 0, 65535)
    if photometric not in GREY_PHOTOMETRICS or samples != 1:
        shown = photometric if photometric in _PHOTOMETRICS else "these"
        raise UnsupportedImageError(
            f"{shown} images are not supported (only grey MONOCHROME1/MONOCHROME2)"
        )
    bits_allocated = dh.integer(ds, "BitsAllocated", None, 0, 65535)
    if bits_allocated not in (8, 16):
        raise UnsupportedImageError(f"Bits Allocated {bits_allocated} is not supported (8 or 16)")
    bits_stored = dh.integer(ds, "BitsStored", bits_allocated, 1, bits_allocated)
    signed = dh.integer(ds, "PixelRepresentation", 0, 0, 1) == 1
    if signed and bits_allocated == 8:
        raise UnsupportedImageError("signed 8-bit images are not supported")
    shape = (
        dh.integer(ds, "NumberOfFrames", 1, 1, MAX_PIXELS),
        dh.integer(ds, "Rows", None, 1, 65535),
        dh.integer(ds, "Columns", None, 1, 65535),
    )
    if math.prod(shape) > MAX_PIXELS:
        raise UnsupportedImageError(
            f"{shape[0]} frame(s) of {shape[1]}x{shape[2]} is more than {MAX_PIXELS} pixels"
        )
    slope = dh.real(ds, "RescaleSlope", 1.0)
    if slope == 0:
        notes.append("RescaleSlope 0 is ignored (1 used)")
        slope = 1.0
    intercept = dh.real(ds, "RescaleIntercept", 0.0)
    pixels = _pixels(ds, np.dtype(f"{'i' if signed else 'u'}{bits_allocated // 8}"), shape)
    kept = copy.deepcopy(ds)
    for keyword in _PIXEL_KEYWORDS:
        if keyword in kept:
            delattr(kept, keyword)
    to_little_endian(kept)
    modality = _modality(ds, notes)
    return MedicalImage(
        pixels=pixels,
        bits_stored=bits_stored,
        photometric=photometric,
        rescale_slope=slope,
        rescale_intercept=intercept,
        modality=modality,
        windows=_windows(ds, modality, notes),
        dataset=kept,
        source=source,
        notes=tuple(notes),
    ).with_true_bits()


def _pixels(ds: Dataset, dtype: np.dtype, shape: tuple[int, int, int]) -> np.ndarray:
    """Stored values in ``dtype``, shape ``(rows, cols)`` or ``(frames, rows, cols)``."""
    try:
        pixels = ds.pixel_array
    except Exception as exc:  # pydicom's plugins raise many types for damaged data
        reason = sanitise(str(exc))
        if "missing dependencies" in reason or "no pixel data decoders" in reason.lower():
            raise UnsupportedImageError(f"no decoder installed ({reason})") from exc
        raise CorruptFileError(f"cannot decode the pixel data ({reason})") from exc
    expected = shape if shape[0] > 1 else shape[1:]
    if pixels.shape != expected or pixels.dtype.kind not in "ui":
        raise CorruptFileError(
            f"pixel data decoded to {pixels.shape}, Rows/Columns/NumberOfFrames say {expected}"
        )
    return np.ascontiguousarray(pixels, dtype=dtype)


def _modality(ds: Dataset, notes: list[str]) -> str:
    values = dh.strings(ds, "Modality")
    if not values or values == [""]:
        return "OT"
    if len(values) == 1 and _CODE_STRING.fullmatch(values[0]):
        return values[0].strip()
    notes.append("Modality is not a valid code: ignored (OT used for defaults and guidance)")
    return "OT"


def _windows(ds: Dataset, modality: str, notes: list[str]) -> tuple[WindowPreset, ...]:
    """The file's window presets (those with a width above 0), then the modality's."""
    try:
        centers = dh.reals(ds, "WindowCenter")
        widths = dh.reals(ds, "WindowWidth")
    except CorruptFileError as exc:
        notes.append(f"{exc}: the file's windows are ignored (modality defaults used)")
        centers, widths = [], []
    names = dh.strings(ds, "WindowCenterWidthExplanation")
    presets = [
        WindowPreset(c, w, names[i] if i < len(names) else f"file {i + 1}")
        for i, (c, w) in enumerate(zip(centers, widths, strict=False))
        if w > 0
    ]
    return tuple(presets[:MAX_FILE_WINDOWS]) + MODALITY_WINDOWS.get(modality, ())


def image_dataset(image: MedicalImage) -> Dataset:
    """A full dataset for ``image`` with uncompressed pixel data, little endian.

    Starts from the source header (every attribute kept); a non-DICOM source gets a
    new Secondary Capture header.
    """
    if image.dataset is not None:
        ds = copy.deepcopy(image.dataset)
        with quiet_pydicom():
            to_little_endian(ds)
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
    """A new Secondary Capture header for an image without one (PNG, TIFF, NPY)."""
    with quiet_pydicom():
        return _new_secondary_capture(image)


def _new_secondary_capture(image: MedicalImage) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = image.modality if _CODE_STRING.fullmatch(image.modality) else "OT"
    ds.ConversionType = "WSD"
    ds.ImageType = ["DERIVED", "SECONDARY"]
    ds.PatientName = ""
    ds.PatientID = ""
    if image.rescale_slope != 1.0 or image.rescale_intercept != 0.0:
        ds.RescaleSlope = image.rescale_slope
        ds.RescaleIntercept = image.rescale_intercept
    return ds


def dataset_bytes(ds: Dataset) -> bytes:
    """The DICOM file (preamble, meta and dataset) as bytes; OutputError naming the
    element pydicom cannot write (never its value)."""
    buffer = io.BytesIO()
    try:
        with quiet_pydicom():
            ds.save_as(buffer, enforce_file_format=True)
    except Exception as exc:  # pydicom raises many types for values it cannot encode
        tag = _TAG_IN_MESSAGE.search(str(exc))
        where = f"element ({tag[1]},{tag[2]})" if tag else "the header"
        raise OutputError(
            f"cannot write DICOM: {where} cannot be encoded ({type(exc).__name__})"
        ) from exc
    return buffer.getvalue()


def header_bytes(ds: Dataset) -> bytes:
    """A pixel-less header as a DICOM file (for embedding in a .mcz)."""
    ds = copy.deepcopy(ds) if ds.original_encoding[1] is False else copy.copy(ds)
    if not hasattr(ds, "file_meta") or ds.file_meta is None:
        ds.file_meta = FileMetaDataset()
    else:
        ds.file_meta = copy.copy(ds.file_meta)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.setdefault(
        "MediaStorageSOPClassUID", ds.get("SOPClassUID", SecondaryCaptureImageStorage)
    )
    ds.file_meta.setdefault("MediaStorageSOPInstanceUID", ds.get("SOPInstanceUID", generate_uid()))
    with quiet_pydicom():
        to_little_endian(ds)
    return dataset_bytes(ds)


def header_from_bytes(data: bytes) -> Dataset:
    """Inverse of :func:`header_bytes`, every element parsed now; CorruptFileError for
    anything else."""
    try:
        with quiet_pydicom():
            ds = pydicom.dcmread(io.BytesIO(data))
            parse_eagerly(ds)
    except CorruptFileError as exc:
        raise CorruptFileError(f"embedded DICOM header is damaged: {exc}") from exc
    except Exception as exc:  # any parse failure of embedded bytes is corruption
        raise CorruptFileError(f"embedded DICOM header is damaged: {header_problem(exc)}") from exc
    return ds
