"""A series of single-frame CT slices written as separate files (a PACS export)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from pydicom.uid import generate_uid
from reference_images import Reference, make_dataset

SLICE = Reference("ct_slice", 12, modality="CT", shape=(32, 28))


def write_series(
    folder: Path,
    n: int = 20,
    *,
    positions: bool = True,
    seed: int = 3,
    spacing: float = 2.5,
) -> list[np.ndarray]:
    """``n`` slices of one series in ``folder`` under shuffled, extension-less names
    (so that neither the names nor the write order give the anatomical order). Slice
    k (from the feet) lies at z = -100 + k * spacing with Instance Number k + 1 and has
    pixel (0, 0) = k. The slices' pixels, in anatomical order."""
    folder.mkdir(parents=True, exist_ok=True)
    study, series = generate_uid(), generate_uid()
    order = list(range(n))
    random.Random(seed).shuffle(order)
    slices = []
    for k in range(n):
        ds = make_dataset(SLICE)
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SeriesNumber, ds.SeriesDescription = 3, "Chest"
        ds.InstanceNumber = k + 1
        if positions:
            ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
            ds.ImagePositionPatient = [-50.0, -50.0, -100.0 + k * spacing]
        ds.PixelSpacing = [0.5, 0.25]
        pixels = ds.pixel_array.copy()
        pixels[0, 0] = k
        ds.PixelData = pixels.tobytes()
        slices.append(pixels)
        ds.save_as(folder / f"IM{order[k]:04d}", enforce_file_format=True)
    return slices
