"""Training data for RWNet: fetch-free preparation from sources any machine can install.

Sources (all by package name, nothing downloaded by URL):

- pydicom's bundled test files and ``pydicom-data`` (pip), EXCEPT the WG04 evaluation
  images (names starting with 693_, MR2_, RG1_, RG3_, US1_) — those are never used for
  training or tuning;
- Debian's ``mricron-data`` brain templates (apt), read with ``nibabel`` (pip);
- scikit-image's bundled greyscale sample images;
- synthetic phantoms (ellipses, bias field, Gaussian / Rician noise) at 10-16 bits.

Only grey images are kept, at their native bit depth. Every 2-D slice is written as a
``uint16`` .npy under ``<out>/slices/`` and listed in ``<out>/manifest.json`` with its
``bits_stored``, its source and a ``group`` (the source file) for the validation split.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

#: WG04 evaluation images: never train or tune on them.
WG04_PREFIXES = ("693_", "MR2_", "RG1_", "RG3_", "US1_")
#: mricron-data volumes that hold intensities (the others are label atlases).
MRICRON_INTENSITY = ("ch2.nii.gz", "ch2better.nii.gz", "inia19-t1-brain.nii.gz", "jhu189.nii.gz")
MRICRON_DIRS = ("/usr/share/mricron", "/usr/share/mricron-data")
SKIMAGE_GREY = (
    "camera",
    "moon",
    "coins",
    "page",
    "text",
    "clock",
    "brick",
    "grass",
    "gravel",
    "cell",
    "microaneurysms",
)
MIN_SIDE = 48


@dataclass
class Slice:
    """One prepared 2-D grey image: stored values (uint16) and their meaning."""

    pixels: np.ndarray
    bits_stored: int
    source: str
    group: str


def is_wg04(path: str) -> bool:
    return os.path.basename(path).startswith(WG04_PREFIXES)


def _fit_bits(arr: np.ndarray, bits: int) -> np.ndarray:
    return np.clip(arr, 0, (1 << bits) - 1).astype(np.uint16)


def dicom_files() -> list[str]:
    """Every DICOM file of pydicom and pydicom-data, WG04 evaluation images removed."""
    from pydicom.data import get_testdata_files

    files = {f for f in get_testdata_files() if os.path.isfile(f)}
    return sorted(f for f in files if not is_wg04(f))


def dicom_slices() -> Iterator[Slice]:
    import pydicom

    for path in dicom_files():
        assert not is_wg04(path)
        try:
            ds = pydicom.dcmread(path)
            if "PixelData" not in ds or ds.get("SamplesPerPixel", 1) != 1:
                continue
            if not str(ds.get("PhotometricInterpretation", "")).startswith("MONOCHROME"):
                continue
            arr = ds.pixel_array
        except Exception:  # noqa: BLE001 - unreadable test files are skipped on purpose
            continue
        bits = int(ds.get("BitsStored", arr.dtype.itemsize * 8))
        if arr.dtype.kind not in "iu" or bits > 16 or bits < 1:
            continue
        frames = arr if arr.ndim == 3 else arr[np.newaxis]
        if frames.ndim != 3:
            continue
        for frame in frames:
            values = frame.astype(np.int64)
            if frame.dtype.kind == "i":
                values = values + (1 << (bits - 1))
            yield Slice(
                _fit_bits(values, bits),
                bits,
                "pydicom:" + os.path.basename(path),
                os.path.basename(path).split(".")[0],
            )


def mricron_slices(step: int = 4) -> Iterator[Slice]:
    try:
        import nibabel as nib
    except ImportError:
        return
    for name in MRICRON_INTENSITY:
        paths = [p for d in MRICRON_DIRS for p in glob.glob(f"{d}/**/{name}", recursive=True)]
        if not paths:
            continue
        vol = np.asarray(nib.load(paths[0]).get_fdata(dtype=np.float32))
        if vol.dtype == np.uint8 or np.allclose(vol, np.round(vol)) and vol.max() < 256:
            bits, vol = 8, np.round(vol)
        else:  # float template: quantised to 12 bits
            bits = 12
            vol = np.round((vol - vol.min()) / max(float(np.ptp(vol)), 1e-6) * 4095)
        for axis in range(3):
            for i in range(0, vol.shape[axis], step):
                sl = np.take(vol, i, axis=axis)
                if sl.std() < 2.0 or (sl > sl.min()).mean() < 0.15:
                    continue
                yield Slice(_fit_bits(sl, bits), bits, f"mricron:{name}:{axis}:{i}", name)


def skimage_slices() -> Iterator[Slice]:
    import skimage.data

    for name in SKIMAGE_GREY:
        try:
            arr = np.asarray(getattr(skimage.data, name)())
        except Exception:  # noqa: BLE001 - images that need a download are skipped
            continue
        if arr.ndim == 2 and arr.dtype == np.uint8:
            yield Slice(arr.astype(np.uint16), 8, f"skimage:{name}", f"skimage_{name}")


def phantom_slices(count: int = 48, seed: int = 1234) -> Iterator[Slice]:
    """Ellipse phantoms with a smooth bias field and realistic noise, 10-16 bits."""
    from skimage.transform import resize

    rng = np.random.default_rng(seed)
    for k in range(count):
        rows, cols = rng.integers(192, 640, size=2)
        yy, xx = np.mgrid[-1 : 1 : rows * 1j, -1 : 1 : cols * 1j]
        img = np.zeros((rows, cols), np.float64)
        for _ in range(rng.integers(4, 14)):
            cy, cx = rng.uniform(-0.6, 0.6, 2)
            ay, ax = rng.uniform(0.05, 0.8, 2)
            th = rng.uniform(0, np.pi)
            c, s = np.cos(th), np.sin(th)
            u, v = (xx - cx) * c + (yy - cy) * s, -(xx - cx) * s + (yy - cy) * c
            img[(u / ax) ** 2 + (v / ay) ** 2 <= 1] += rng.uniform(-0.3, 1.0)
        texture = resize(rng.normal(size=(rows // 16 + 2, cols // 16 + 2)), (rows, cols), order=3)
        img = img + 0.05 * texture
        bias = 1 + 0.3 * (xx * rng.uniform(-1, 1) + yy * rng.uniform(-1, 1))
        img = (img - img.min()) * bias
        img = img / max(img.max(), 1e-6)
        bits = int(rng.choice([10, 12, 12, 14, 16]))
        peak = (1 << bits) - 1
        sigma = rng.uniform(0.002, 0.03)
        if k % 2:  # Rician (MR magnitude)
            img = np.hypot(img + rng.normal(0, sigma, img.shape), rng.normal(0, sigma, img.shape))
        else:  # Gaussian (CT-like)
            img = img + rng.normal(0, sigma, img.shape)
        img = np.clip(img, 0, None) / max(img.max(), 1e-6) * peak * rng.uniform(0.3, 1.0)
        yield Slice(_fit_bits(np.round(img), bits), bits, f"phantom:{k}", f"phantom_{k}")


def prepare(out: str | Path = "data/rwnet") -> dict:
    """Write every slice under ``out`` and return the manifest (also written)."""
    out = Path(out)
    (out / "slices").mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    entries = []
    for gen in (dicom_slices(), mricron_slices(), skimage_slices(), phantom_slices()):
        for sl in gen:
            if (
                min(sl.pixels.shape) < MIN_SIDE
                or sl.pixels.max() == sl.pixels.min()
                or sl.bits_stored < 6
            ):
                continue
            digest = hashlib.sha256(sl.pixels.tobytes()).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            name = f"slices/{len(entries):05d}.npy"
            np.save(out / name, sl.pixels)
            meta = asdict(sl)
            del meta["pixels"]
            entries.append({"file": name, "shape": list(sl.pixels.shape), **meta})
    manifest = {"version": 1, "slices": entries}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def load(out: str | Path = "data/rwnet") -> list[tuple[np.ndarray, int, str]]:
    """(pixels uint16, bits_stored, group) of every prepared slice."""
    out = Path(out)
    manifest = json.loads((out / "manifest.json").read_text())
    return [
        (np.load(out / e["file"]), int(e["bits_stored"]), e["group"]) for e in manifest["slices"]
    ]
