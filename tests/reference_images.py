"""One shared table of reference images for codec and I/O tests.

Each is a real DICOM dataset built with pydicom (so the readers are exercised too)
holding a smooth phantom with noise, at the bit depth, signedness and shape named.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid


@dataclass(frozen=True)
class Reference:
    id: str
    bits_stored: int
    signed: bool = False
    shape: tuple[int, ...] = (96, 80)
    photometric: str = "MONOCHROME2"
    modality: str = "MR"


REFERENCES = (
    Reference("8bit", 8, shape=(64, 72)),
    Reference("10bit", 10),
    Reference("12bit", 12),
    Reference("15bit", 15, modality="CR"),
    Reference("16bit", 16),
    Reference("ct_signed", 12, signed=True, modality="CT"),
    Reference("multiframe", 12, shape=(3, 48, 40)),
    Reference("monochrome1", 12, photometric="MONOCHROME1", modality="CR"),
    Reference("odd_511x257", 12, shape=(511, 257)),
    Reference("tiny_9x7", 12, shape=(9, 7)),
)


def phantom(shape: tuple[int, ...], bits_stored: int, signed: bool, seed: int = 0) -> np.ndarray:
    """Ellipses and a gradient plus noise, filling most of the stored range."""
    rng = np.random.default_rng(seed)
    frames = shape if len(shape) == 3 else (1, *shape)
    n, rows, cols = frames
    y, x = np.mgrid[0:rows, 0:cols]
    y = (y - rows / 2) / max(rows / 2, 1)
    x = (x - cols / 2) / max(cols / 2, 1)
    out = np.empty(frames, dtype=np.float64)
    for f in range(n):
        img = 0.25 + 0.2 * x
        img += 0.4 * ((x / 0.8) ** 2 + (y / 0.9) ** 2 < 1)
        img += 0.25 * (((x - 0.2 - 0.05 * f) / 0.25) ** 2 + ((y + 0.1) / 0.35) ** 2 < 1)
        img += rng.normal(0, 0.02, (rows, cols))
        out[f] = img
    peak = (1 << bits_stored) - 1
    values = np.clip(out, 0, 1) * peak
    if signed:
        values -= 1 << (bits_stored - 1)
    dtype = np.int16 if signed else (np.uint8 if bits_stored <= 8 else np.uint16)
    values = np.rint(values).astype(dtype)
    return values if len(shape) == 3 else values[0]


def make_dataset(ref: Reference) -> Dataset:
    """A complete DICOM dataset (with file meta) for ``ref``."""
    pixels = phantom(ref.shape, ref.bits_stored, ref.signed)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.PatientName = "Test^Phantom"
    ds.PatientID = "PH-0001"
    ds.PatientBirthDate = "19700101"
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.StudyDescription = f"reference {ref.id}"
    ds.AccessionNumber = "ACC42"
    ds.Modality = ref.modality
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = ref.photometric
    ds.Rows, ds.Columns = pixels.shape[-2:]
    if pixels.ndim == 3:
        ds.NumberOfFrames = pixels.shape[0]
    ds.BitsAllocated = pixels.dtype.itemsize * 8
    ds.BitsStored = ref.bits_stored
    ds.HighBit = ref.bits_stored - 1
    ds.PixelRepresentation = int(ref.signed)
    if ref.modality == "CT":
        ds.RescaleSlope = 1
        ds.RescaleIntercept = -1024 if not ref.signed else 0
        ds.WindowCenter = 40
        ds.WindowWidth = 400
    ds.PixelData = pixels.tobytes()
    return ds


def write_reference(ref: Reference, directory) -> pydicom.FileDataset:
    path = directory / f"{ref.id}.dcm"
    make_dataset(ref).save_as(path, enforce_file_format=True)
    return path


def dataset_bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
