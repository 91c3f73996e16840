"""PNG, TIFF, JPEG and NPY in and out (grey only, native bit depth)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from medcomp_gui.errors import CorruptFileError, UnsupportedImageError
from medcomp_gui.imaging.image import SUPPORTED_DTYPES, MedicalImage

RASTER_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".npy")


def read_raster(path: Path) -> MedicalImage:
    """Load a grey PNG/TIFF/JPEG (8 or 16 bit) or an NPY of stored values."""
    suffix = path.suffix.lower()
    if suffix == ".npy":
        pixels = _read_npy(path)
    else:
        pixels = _read_picture(path, suffix)
    if pixels.dtype not in SUPPORTED_DTYPES:
        raise UnsupportedImageError(
            f"{path}: pixel type {pixels.dtype} is not supported (uint8, uint16 or int16)"
        )
    if pixels.ndim not in (2, 3) or min(pixels.shape) < 1:
        raise UnsupportedImageError(f"{path}: shape {pixels.shape} is not a grey image")
    return MedicalImage(
        pixels=np.ascontiguousarray(pixels),
        bits_stored=pixels.dtype.itemsize * 8,
        source=str(path),
    )


def _read_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise CorruptFileError(f"{path}: not a plain NPY array ({exc})") from exc
    except (OSError, EOFError) as exc:
        raise CorruptFileError(f"{path}: cannot read NPY ({exc})") from exc


def _read_picture(path: Path, suffix: str) -> np.ndarray:
    import imagecodecs
    import tifffile

    try:
        if suffix in (".tif", ".tiff"):
            pixels = tifffile.imread(path)
        else:
            pixels = imagecodecs.imread(str(path))
    except FileNotFoundError:
        raise
    except Exception as exc:  # the decoders raise many types for damaged files
        raise CorruptFileError(f"{path}: cannot decode image ({exc})") from exc
    pixels = np.asarray(pixels)
    if pixels.ndim == 3 and pixels.shape[-1] in (3, 4) and suffix != ".npy":
        raise UnsupportedImageError(f"{path}: colour images are not supported (grey only)")
    return pixels


def write_raster(image: MedicalImage, path: Path) -> bytes:
    """The bytes of ``image`` as ``path``'s format (PNG/TIFF 16-bit, or NPY as stored)."""
    suffix = path.suffix.lower()
    if suffix == ".npy":
        import io

        buffer = io.BytesIO()
        np.save(buffer, image.pixels, allow_pickle=False)
        return buffer.getvalue()
    if image.signed:
        raise UnsupportedImageError(
            f"{path}: signed images cannot be written as {suffix}; use .dcm or .npy"
        )
    if suffix == ".png":
        import imagecodecs

        if image.pixels.ndim == 3:
            raise UnsupportedImageError(f"{path}: PNG holds one frame; use .tif, .dcm or .npy")
        return imagecodecs.png_encode(image.pixels)
    if suffix in (".tif", ".tiff"):
        import io

        import tifffile

        buffer = io.BytesIO()
        tifffile.imwrite(buffer, image.pixels, photometric="minisblack", compression="zlib")
        return buffer.getvalue()
    raise UnsupportedImageError(f"{path}: cannot write {suffix or 'files without a suffix'}")
