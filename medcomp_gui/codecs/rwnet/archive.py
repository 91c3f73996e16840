"""RWNet's training and development images: real ones from packages, plus simulated ones.

Every image is a :class:`Slice` with its modality group (``CT``, ``CRDX``, ``MR``,
``US``, ``MG``), its study (the unit of the split: images of one study are all on one
side) and its split, ``train`` or ``dev``, fixed here before any measurement:

- real images (``scripts/fetch_rwnet_data.py`` puts the packages under ``data/cache``):
  pydicom-data and pydicom's own test files without the WG04 images, nibabel's and
  pynetdicom's test DICOM files, the dicomnifti example, ITK's example slices, dipy's
  diffusion volumes, and mricron's brain templates (a small share);
- simulated ones (:mod:`.simulate`) where real ones are scarce: CT noise texture,
  CR/DX, grey US and MG (no real mammogram ships with any package we found); the dev
  set's come from other seeds than the training set's.

Colour and palette ultrasound is kept as its luminance (8 bits). Volumes give every
``step``-th slice.
"""

from __future__ import annotations

import glob
import gzip
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: studies (see :func:`real_slices`) whose images form the development set
DEV_STUDIES = frozenset(
    {
        "pydicom:J2K_pixelrep_mismatch",
        "pydicom:bad_sequence",
        "pydicom:eCT_Supplemental",
        "pydicom:explicit_VR-UN",
        "pydicom:MR-SIEMENS",  # MR-SIEMENS-DICOM-WithOverlays and examples_overlay
        "pydicom:sonosite",  # color3d_jpeg_baseline and examples_ybr_color
        "pydicom:aloka",
        "nibabel:siemens",  # nibabel's Siemens MR test files (one study)
        "itk:BrainT1Slice",
        "itk:FatMRISlice",
        "dipy:S0_10slices",
        "dicomnifti:0001",
        "pynetdicom:RTImageStorage",
        "itk:RatLung",
    }
)
#: pydicom files of one study (same StudyInstanceUID or same source image)
PYDICOM_STUDIES = {
    "MR-SIEMENS-DICOM-WithOverlays": "MR-SIEMENS",
    "examples_overlay": "MR-SIEMENS",
    "color3d_jpeg_baseline": "sonosite",
    "examples_ybr_color": "sonosite",
    "gdcm-US-ALOKA-16": "aloka",
    "OBXXXX1A": "philips_ob",
    "examples_palette": "philips_ob",
}
#: pydicom files derived from WG04 images (same study, same pictures): never used
WG04_DERIVED = ("examples_jpeg2k", "examples_rgb_color")
MODALITY_GROUP = {
    "CT": "CT",
    "CR": "CRDX",
    "DX": "CRDX",
    "RTIMAGE": "CRDX",
    "MR": "MR",
    "US": "US",
    "MG": "MG",
}
#: simulated images per group: (training count, dev count)
SIMULATED = {"CT": (24, 7), "CRDX": (24, 11), "US": (16, 4), "MG": (16, 8)}
MIN_SIDE = 48


@dataclass
class Slice:
    """One 2-D grey image: stored values (uint16) and what they are."""

    pixels: np.ndarray
    bits_stored: int
    source: str
    study: str
    modality: str
    split: str = "train"
    simulated: bool = False


def _dicom_frames(data: bytes) -> Iterator[tuple[np.ndarray, int, str]]:
    """(uint16 frame, bits, modality) of every grey or luminance frame of a DICOM file."""
    import pydicom
    from pydicom.pixels import apply_color_lut, convert_color_space

    ds = pydicom.dcmread(io.BytesIO(data), force=True)
    if "PixelData" not in ds:
        return
    arr = ds.pixel_array
    photometric = str(ds.get("PhotometricInterpretation", ""))
    frames_n = int(ds.get("NumberOfFrames", 1) or 1)
    bits = int(ds.get("BitsStored", arr.dtype.itemsize * 8))
    modality = str(ds.get("Modality", "OT"))
    if photometric.startswith("MONOCHROME"):
        frames = arr if frames_n > 1 else arr[np.newaxis]
        if arr.dtype.kind == "i":
            frames = frames.astype(np.int64) + (1 << (bits - 1))
    else:  # colour or palette ultrasound: its luminance, 8 bits
        if photometric == "PALETTE COLOR":
            arr = apply_color_lut(arr, ds)
        elif photometric.startswith("YBR"):
            arr = convert_color_space(arr, photometric, "RGB")
        rgb = arr if frames_n > 1 else arr[np.newaxis]
        if rgb.max() > 255:
            rgb = rgb / 257.0
        frames = np.rint(rgb[..., :3].astype(np.float64) @ [0.299, 0.587, 0.114])
        bits = 8
    if bits > 16 or frames.ndim != 3:
        return
    for frame in frames:
        yield np.clip(frame, 0, (1 << bits) - 1).astype(np.uint16), bits, modality


def pydicom_slices() -> Iterator[Slice]:
    from medcomp_gui.codecs.rwnet.data import dicom_files, is_wg04

    for path in dicom_files():
        stem = os.path.basename(path).split(".")[0]
        if is_wg04(path) or stem.startswith(WG04_DERIVED):
            continue
        try:
            frames = list(_dicom_frames(Path(path).read_bytes()))
        except Exception:  # noqa: BLE001 - unreadable test files are skipped on purpose
            continue
        study = "pydicom:" + next(
            (v for k, v in PYDICOM_STUDIES.items() if stem.startswith(k)), stem
        )
        step = max(len(frames) // 6, 1)  # long US clips: a few frames
        for i, (frame, bits, modality) in enumerate(frames[::step]):
            yield Slice(frame, bits, f"pydicom:{stem}:{i}", study, _group(modality))


def _group(modality: str) -> str:
    return MODALITY_GROUP.get(modality, "OTHER")


def cache_dicom_slices(cache: Path) -> Iterator[Slice]:
    """DICOM test files of nibabel, pynetdicom and the dicomnifti example."""
    patterns = {
        "nibabel": "pypi/nibabel/nibabel/**/tests/data/*.dcm*",
        "pynetdicom": "pypi/pynetdicom/pynetdicom/tests/dicom_files/*.dcm",
        "dicomnifti": "deb/dicomnifti/usr/share/doc/dicomnifti/examples/*.dcm",
    }
    for package, pattern in patterns.items():
        for path in sorted(glob.glob(str(cache / pattern), recursive=True)):
            stem = os.path.basename(path).split(".")[0]
            data = Path(path).read_bytes()
            if path.endswith(".gz"):
                data = gzip.decompress(data)
            try:
                frames = list(_dicom_frames(data))
            except Exception:  # noqa: BLE001 - files without usable pixels
                continue
            study = (
                f"{package}:{stem}"
                if package != "nibabel" or "mprage" in stem
                else "nibabel:siemens"
            )
            step = max(len(frames) // 12, 1)  # volumes: a dozen slices
            for i, (frame, bits, modality) in enumerate(frames[::step]):
                yield Slice(frame, bits, f"{package}:{stem}:{i}", study, _group(modality))


def volume_slices(cache: Path, step: int = 6) -> Iterator[Slice]:
    """Slices of dipy's diffusion volumes (NIfTI), ITK's example slices (PNG, MetaImage)
    and, a small share, mricron's brain templates."""
    import nibabel as nib

    vols = sorted(glob.glob(str(cache / "deb/python3-dipy/**/data/files/*.nii*"), recursive=True))
    templates = sorted(glob.glob(str(cache / "deb/mricron-data/**/*.nii.gz"), recursive=True))
    templates = [
        t
        for t in templates
        if os.path.basename(t) in ("ch2better.nii.gz", "inia19-t1-brain.nii.gz")
    ]
    for path, stride, label in [(v, 1, "dipy") for v in vols] + [
        (t, 12, "mricron") for t in templates
    ]:
        vol = np.asarray(nib.load(path).dataobj)
        if vol.ndim == 4:
            vol = vol[..., 0]
        if vol.ndim != 3 or vol.dtype.kind not in "iuf" or min(vol.shape[:2]) < MIN_SIDE:
            continue
        vol = np.clip(np.rint(vol.astype(np.float64)), 0, None)
        bits = max(int(vol.max()).bit_length(), 8)
        if bits > 16:
            vol, bits = np.rint(vol / vol.max() * 4095), 12
        name = os.path.basename(path).split(".")[0]
        for i in range(0, vol.shape[2], step * stride):
            yield Slice(
                vol[..., i].astype(np.uint16), bits, f"{label}:{name}:{i}", f"{label}:{name}", "MR"
            )
    yield from _itk_slices(cache)


def _itk_slices(cache: Path) -> Iterator[Slice]:
    import imageio.v3 as iio

    base = (
        cache / "deb/insighttoolkit5-examples/usr/share/doc/insighttoolkit5-examples/examples/Data"
    )
    for name in (
        "BrainProtonDensitySlice256x256",
        "BrainT1Slice",
        "FatMRISlice",
        "BrainMidSagittalSlice",
    ):
        path = base / f"{name}.png"
        if path.is_file():
            img = np.asarray(iio.imread(path))
            if img.ndim == 3 and np.all(img[..., :3] == img[..., :1]):  # grey stored as RGB
                img = img[..., 0]
            if img.ndim == 2:
                yield Slice(img.astype(np.uint16), 8, f"itk:{name}", f"itk:{name}", "MR")
    for name in ("RatLungSlice1", "RatLungSlice2"):  # micro-CT, 8-bit MetaImage
        raw = base / f"{name}.raw"
        if raw.is_file():
            img = np.fromfile(raw, np.uint8).reshape(128, 128)
            yield Slice(img.astype(np.uint16), 8, f"itk:{name}", "itk:RatLung", "CT")


def simulated_slices() -> Iterator[Slice]:
    from medcomp_gui.codecs.rwnet.simulate import GENERATORS

    for group, (n_train, n_dev) in SIMULATED.items():
        for split, count, seed in (("train", n_train, 1000), ("dev", n_dev, 9000)):
            for k in range(count):
                rng = np.random.default_rng([seed, k, len(group)])
                pixels, bits = GENERATORS[group](rng)
                yield Slice(
                    pixels,
                    bits,
                    f"sim:{group}:{split}:{k}",
                    f"sim:{group}:{split}:{k}",
                    group,
                    split,
                    simulated=True,
                )


def all_slices(cache: str | Path = "data/cache") -> Iterator[Slice]:
    """Every slice, its split set by :data:`DEV_STUDIES` (real) or its seed (simulated)."""
    cache = Path(cache)
    for sl in (*pydicom_slices(), *cache_dicom_slices(cache), *volume_slices(cache)):
        if sl.modality == "OTHER" or min(sl.pixels.shape) < MIN_SIDE or sl.bits_stored < 6:
            continue
        sl.split = "dev" if sl.study in DEV_STUDIES else "train"
        yield sl
    yield from simulated_slices()
