"""The Python API behind the CLI and the GUI (no Qt, no TensorFlow at import time).

image = load_image("MR2_UNCR.dcm")
data = compress(image, "jpeg2000", psnr=45)        # a complete .mcz file
restored = decompress(data)                        # MedicalImage, DICOM header kept
result = encode_file(image, "out.dcm", "jpegls", near=2)   # written, measured
"""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from medcomp_gui import container, metrics
from medcomp_gui.codecs import codec_names, get_codec
from medcomp_gui.codecs.base import Encoded, PayloadInfo
from medcomp_gui.errors import CodecError, MedcompError
from medcomp_gui.imaging import MedicalImage, load_image, write_atomic

__all__ = [
    "EncodeResult",
    "MedicalImage",
    "codec_names",
    "compress",
    "compress_dicom",
    "decode_output",
    "decompress",
    "denoise",
    "encode_file",
    "get_codec",
    "load_image",
    "load_any",
    "save",
]


def compress(image: MedicalImage, codec: str, **params: Any) -> bytes:
    """A complete .mcz file holding ``image`` compressed by ``codec`` (stored values
    above ``bits_stored`` are coded at their true range, see
    :meth:`MedicalImage.with_true_bits`)."""
    image = image.with_true_bits()
    encoded = get_codec(codec).encode(image, **params)
    return pack_encoded(image, codec, encoded)


def pack_encoded(image: MedicalImage, codec: str, encoded: Encoded) -> bytes:
    """The .mcz file for ``image`` from a codec's :class:`Encoded` output."""
    from medcomp_gui.imaging.dicom_io import header_bytes

    return container.pack(
        container.Container(
            codec=codec,
            params=encoded.params,
            shape=tuple(image.pixels.shape),
            dtype=image.pixels.dtype,
            bits_stored=image.bits_stored,
            lossless=encoded.lossless,
            payload=encoded.payload,
            photometric=image.photometric,
            rescale_slope=image.rescale_slope,
            rescale_intercept=image.rescale_intercept,
            modality=image.modality,
            windows=image.windows,
            extra=encoded.extra,
            dicom_header=header_bytes(image.dataset) if image.dataset is not None else b"",
        )
    )


def decompress(data: bytes, source: str = "") -> MedicalImage:
    """The image in .mcz bytes. A lossy file's DICOM header carries the lossy marks."""
    from medcomp_gui.imaging.dicom_io import header_from_bytes, new_secondary_capture
    from medcomp_gui.imaging.marks import mark_lossy

    c = container.unpack(data)
    dataset = header_from_bytes(c.dicom_header) if c.dicom_header else None
    codec = get_codec(c.codec)
    info = PayloadInfo(c.shape, c.dtype, c.bits_stored, c.params, c.extra)
    pixels = codec.decode(c.payload, info)
    if pixels.shape != c.shape or pixels.dtype != c.dtype:
        raise CodecError(
            f"{c.codec} decoded {pixels.shape} {pixels.dtype}, header says {c.shape} {c.dtype}"
        )
    image = MedicalImage(
        pixels=pixels,
        bits_stored=c.bits_stored,
        photometric=c.photometric,
        rescale_slope=c.rescale_slope,
        rescale_intercept=c.rescale_intercept,
        modality=c.modality,
        windows=c.windows,
        dataset=dataset,
        source=source,
    )
    if not c.lossless:
        if image.dataset is None:
            image.dataset = new_secondary_capture(image)
        ratio = metrics.ratio(len(data), image.n_pixels, image.bits_allocated)
        mark_lossy(image.dataset, ratio, codec.dicom_method, _description(c.codec, c.params, ratio))
    return image


def _description(codec: str, params: dict[str, Any], ratio: float) -> str:
    settings = " ".join(f"{k}={v}" for k, v in params.items())
    return f"Lossy compressed by medcomp {codec} {settings}, ratio {ratio:.3g}:1".replace("  ", " ")


def compress_dicom(image: MedicalImage, codec: str, **params: Any) -> bytes:
    """A standard DICOM file of ``image`` compressed by ``codec`` (one with a DICOM
    transfer syntax: :func:`~medcomp_gui.codecs.dicom_codec_names`).

    The codec encodes (its ``encode_dicom``); lossless output keeps the SOP Instance UID,
    lossy output is marked here for every codec alike (new UID, Lossy Image Compression
    "01", ratio, the codec's method, DERIVED).
    """
    from medcomp_gui.imaging.dicom_io import dataset_bytes
    from medcomp_gui.imaging.marks import mark_lossy

    image = image.with_true_bits()
    chosen = get_codec(codec)
    encode = getattr(chosen, "encode_dicom", None)
    if encode is None:
        raise CodecError(f"{codec} has no DICOM transfer syntax; write a .mcz file instead")
    if (missing := chosen.availability()) is not None:
        raise CodecError(missing)
    out = encode(image, **params)
    if not out.lossless:
        ratio = image.original_bytes / len(out.dataset.PixelData)
        mark_lossy(out.dataset, ratio, chosen.dicom_method, _description(codec, out.params, ratio))
    return dataset_bytes(out.dataset)


def decode_output(data: bytes) -> MedicalImage:
    """Read back bytes we wrote (.mcz or DICOM) as an image."""
    from medcomp_gui.errors import CorruptFileError
    from medcomp_gui.imaging.dicom_header import header_problem, quiet_pydicom
    from medcomp_gui.imaging.dicom_io import dataset_to_image

    if container.is_mcz(data):
        return decompress(data)
    import pydicom

    try:
        with quiet_pydicom():
            ds = pydicom.dcmread(io.BytesIO(data))
    except Exception as exc:  # pydicom raises many types for a damaged file
        raise CorruptFileError(f"cannot read DICOM: {header_problem(exc)}") from exc
    return dataset_to_image(ds, "<output>")


@dataclass
class EncodeResult:
    """An encoded file on disk and the figures measured on decoding its bytes."""

    path: Path
    codec: str
    params: dict[str, Any]
    lossless: bool
    quality: metrics.Quality
    encode_seconds: float
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        q = self.quality
        return {
            "path": str(self.path),
            "codec": self.codec,
            "params": self.params,
            "lossless": self.lossless,
            "bytes": q.bytes,
            "bpp": q.bpp,
            "ratio": q.ratio,
            "psnr": None if np.isinf(q.psnr) else q.psnr,
            "ssim": q.ssim if np.isfinite(q.ssim) else None,  # NaN: too small for SSIM
            "max_abs_error": q.max_abs_error,
            "rmse": q.rmse,
            "encode_seconds": self.encode_seconds,
            "notes": self.notes,
        }


def encode_file(
    image: MedicalImage, path: str | os.PathLike[str], codec: str, **params: Any
) -> EncodeResult:
    """Compress ``image`` to ``path`` (.mcz, or .dcm for DICOM codecs) and measure the
    file as written: its size, and its decoded pixels against ``image``.

    The file is written under a temporary name, decoded from disk and checked (shape,
    dtype; every value for a lossless codec), and only then renamed to ``path``: a
    failure at any step leaves no output (and an existing ``path`` untouched).
    ``notes`` carry what the reader ignored or corrected in ``image``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".mcz", ".dcm"):
        raise MedcompError(f"{path}: output must end in .mcz or .dcm")
    image = image.with_true_bits()
    start = time.perf_counter()
    data = (compress if suffix == ".mcz" else compress_dicom)(image, codec, **params)
    seconds = time.perf_counter() - start
    used = container.unpack(data).params if suffix == ".mcz" else _dicom_params(codec, params)
    lossless = get_codec(codec).is_lossless(used)
    decoded: list[MedicalImage] = []

    def verify(written: Path) -> None:
        decoded.append(_verify(written, image, lossless))

    write_atomic(path, data, verify=verify)
    quality = metrics.image_quality(image, decoded[0].pixels, len(data))
    return EncodeResult(path, codec, used, lossless, quality, seconds, list(image.notes))


def _verify(written: Path, image: MedicalImage, lossless: bool) -> MedicalImage:
    """The image decoded from the file just written; CodecError unless it matches."""
    try:
        decoded = decode_output(written.read_bytes())
    except MedcompError as exc:
        raise CodecError(f"the encoded file does not decode ({exc}); nothing written") from exc
    if decoded.pixels.shape != image.pixels.shape or decoded.pixels.dtype != image.pixels.dtype:
        raise CodecError(
            f"the encoded file decodes to {decoded.pixels.shape} {decoded.pixels.dtype}, not "
            f"{image.pixels.shape} {image.pixels.dtype}; nothing written"
        )
    if lossless and not np.array_equal(decoded.pixels, image.pixels):
        raise CodecError("the lossless file does not decode to the same values; nothing written")
    return decoded


def _dicom_params(codec: str, params: dict[str, Any]) -> dict[str, Any]:
    from medcomp_gui.codecs.base import resolve_params

    resolved = resolve_params(get_codec(codec), params)
    return resolved or {"lossless": True}


def save(image: MedicalImage, path: str | os.PathLike[str]) -> Path:
    """Write ``image`` uncompressed: .dcm (Explicit VR Little Endian), .png, .tif, .npy."""
    from medcomp_gui.imaging.dicom_io import dataset_bytes, image_dataset
    from medcomp_gui.imaging.raster_io import write_raster

    path = Path(path)
    if path.suffix.lower() == ".dcm":
        data = dataset_bytes(image_dataset(image))
    elif path.suffix.lower() == ".mcz":
        raise MedcompError(f"{path}: use compress() / `medcomp encode` for .mcz files")
    else:
        data = write_raster(image, path)
    return write_atomic(path, data)


def denoise(image: MedicalImage, **params: Any) -> MedicalImage:
    """ANLM-filtered copy of ``image`` (parameters: strength, patch_radius, search_radius,
    rician; None means the modality default). Its DICOM header, if any, is marked
    DERIVED with a Derivation Description and a new SOP Instance UID."""
    import copy

    from medcomp_gui.filters.anlm import denoise_image
    from medcomp_gui.imaging.marks import mark_derived

    try:
        filtered = denoise_image(image, **{k: v for k, v in params.items() if v is not None})
    except ValueError as exc:
        raise MedcompError(f"cannot denoise: {exc}") from exc
    if image.dataset is not None:
        filtered.dataset = copy.deepcopy(image.dataset)
        settings = ", ".join(f"{k}={v}" for k, v in params.items() if v is not None) or "defaults"
        mark_derived(filtered.dataset, f"Denoised by medcomp ANLM ({settings})")
    return filtered


def load_any(path: str | os.PathLike[str]) -> MedicalImage:
    """An image file, or a .mcz decoded (errors name the file)."""
    path = Path(path)
    if path.is_file():
        with path.open("rb") as f:
            head = f.read(8)
        if container.is_mcz(head) or path.suffix.lower() == ".mcz":
            try:
                return decompress(path.read_bytes(), str(path))
            except MedcompError as exc:
                raise type(exc)(f"{path}: {exc}") from exc
    return load_image(path)
