"""JPEG 2000 (OpenJPEG through pylibjpeg-openjpeg): lossless, or lossy by PSNR or ratio."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from medcomp_gui import metrics
from medcomp_gui.codecs.base import Encoded, ParamSpec, PayloadInfo, resolve_params, to_unsigned
from medcomp_gui.codecs.dicom import DicomEncoded, pydicom_compressed
from medcomp_gui.codecs.framing import decode_frames, j2k_size, pack_frames
from medcomp_gui.errors import CodecError, CodecUnavailableError
from medcomp_gui.imaging.image import MedicalImage

#: Re-encodes allowed to reach a PSNR target that OpenJPEG's rate allocation undershoots.
_PSNR_TRIES = 8
#: pylibjpeg-openjpeg's fixed 6 resolution levels need 2**5 pixels a side.
_MIN_SIDE = 32
#: OpenJPEG's encoder through pylibjpeg-openjpeg (ours and pydicom's) crashes the process
#: when two threads encode at once (a segfault in two threads of ``encode_array`` on
#: 256 x 256 frames, 2026-12-03; decoding concurrently is safe): one encode at a time
#: per process. The viewer's in-process workers and RWNet's lossless coding share it.
_ENCODER = threading.Lock()


def lossy_mode(params: dict[str, Any]) -> str:
    """ "lossless", "psnr" or "ratio" from resolved parameters (one of them at most)."""
    chosen = [name for name in ("psnr", "ratio") if name in params]
    if len(chosen) > 1 or (chosen and params.get("lossless")):
        raise CodecError("give one of --lossless, --psnr or --ratio")
    return chosen[0] if chosen else "lossless"


class JPEG2000Codec:
    name = "jpeg2000"
    description = "JPEG 2000 (ISO 15444-1, OpenJPEG): lossless 5/3, or lossy 9/7 by PSNR or ratio"
    dicom_method = "ISO_15444_1"
    params = (
        ParamSpec("lossless", bool, help="reversible 5/3 wavelet (default when no target)"),
        ParamSpec(
            "psnr", float, 10.0, 150.0, help="lossy: smallest file with at least this PSNR (dB)"
        ),
        ParamSpec("ratio", float, 1.0, 10000.0, help="lossy: compression ratio of the codestream"),
    )

    def availability(self) -> str | None:
        try:
            import openjpeg  # noqa: F401
        except ImportError:
            return "needs pylibjpeg-openjpeg: pip install pylibjpeg-openjpeg"
        return None

    def is_lossless(self, params: dict[str, Any]) -> bool:
        return lossy_mode(resolve_params(self, params)) == "lossless"

    def encode(self, image: MedicalImage, **given: Any) -> Encoded:
        if (missing := self.availability()) is not None:
            raise CodecUnavailableError(missing)
        params = resolve_params(self, given)
        mode = lossy_mode(params)
        codestreams = []
        for frame in image.frames:
            unsigned = to_unsigned(frame, image.bits_stored)
            if mode == "lossless":
                codestreams.append(_encode(unsigned, image.bits_stored))
            elif mode == "ratio":
                codestreams.append(
                    _encode(unsigned, image.bits_stored, compression_ratios=[params["ratio"]])
                )
            else:
                codestreams.append(_encode_to_psnr(unsigned, image.bits_stored, params["psnr"]))
        if mode == "lossless":
            params = {"lossless": True}
        return Encoded(pack_frames(codestreams), params, lossless=mode == "lossless")

    def decode(self, payload: bytes, info: PayloadInfo) -> np.ndarray:
        import openjpeg

        return decode_frames(payload, info, openjpeg.decode, j2k_size)

    def encode_dicom(self, image: MedicalImage, **given: Any) -> DicomEncoded:
        """JPEG 2000 Image Compression (Lossless Only) or JPEG 2000 (lossy) through
        pydicom's encoder (OpenJPEG); a PSNR target is met by raising OpenJPEG's aim."""
        from pydicom.uid import JPEG2000, JPEG2000Lossless

        if (missing := self.availability()) is not None:
            raise CodecUnavailableError(missing)
        params = resolve_params(self, given)
        if min(image.rows, image.cols) < _MIN_SIDE:
            raise CodecError(
                f"JPEG 2000 in DICOM needs at least {_MIN_SIDE} pixels a side "
                f"({image.rows}x{image.cols}): pydicom's encoder uses 6 resolution levels; "
                "write .mcz or use jpegls or htj2k"
            )
        mode = lossy_mode(params)
        if mode == "lossless":
            ds = _pydicom_compressed(image, JPEG2000Lossless)
            return DicomEncoded(ds, {"lossless": True}, lossless=True)
        if mode == "ratio":
            return DicomEncoded(
                _pydicom_compressed(image, JPEG2000, j2k_cr=[params["ratio"]]), params, False
            )
        aim = params["psnr"]
        for _ in range(_PSNR_TRIES):
            ds = _pydicom_compressed(image, JPEG2000, j2k_psnr=[aim])
            achieved = metrics.psnr(image.pixels, ds.pixel_array, image.bits_stored)
            if achieved >= params["psnr"]:
                return DicomEncoded(ds, params, lossless=False)
            aim += max(params["psnr"] - achieved, 0.02) + 0.02
        ds = _pydicom_compressed(image, JPEG2000Lossless)
        return DicomEncoded(ds, {"lossless": True}, lossless=True)


def _pydicom_compressed(image: MedicalImage, syntax: Any, **options: Any) -> Any:
    with _ENCODER:
        return pydicom_compressed(image, syntax, **options)


def _encode(frame: np.ndarray, bits_stored: int, **options: Any) -> bytes:
    from openjpeg.utils import encode_array

    if min(frame.shape) < _MIN_SIDE:
        return _encode_small(frame, bits_stored, **options)
    try:
        with _ENCODER:
            codestream = encode_array(
                np.ascontiguousarray(frame), bits_stored=bits_stored, **options
            )
        return bytes(codestream)
    except (RuntimeError, ValueError) as exc:
        raise CodecError(f"OpenJPEG refused the image: {exc}") from exc


def _encode_small(frame: np.ndarray, bits_stored: int, **options: Any) -> bytes:
    """Frames under 32 pixels a side: pylibjpeg-openjpeg always asks for 6 resolution
    levels, which OpenJPEG refuses there; imagecodecs' binding of the same OpenJPEG
    lets us ask for fewer."""
    import imagecodecs

    if "compression_ratios" in options:
        raise CodecError(
            f"a {frame.shape[0]}x{frame.shape[1]} frame is too small for --ratio; use --psnr"
        )
    psnr = options.get("signal_noise_ratios", [0])[0]
    try:
        return bytes(
            imagecodecs.jpeg2k_encode(
                frame,
                level=psnr,
                reversible=not psnr,
                bitspersample=bits_stored,
                resolutions=min(6, int(np.log2(min(frame.shape))) + 1),
                codecformat=imagecodecs.JPEG2K.CODEC.J2K,
            )
        )
    except imagecodecs.Jpeg2kError as exc:
        raise CodecError(f"OpenJPEG refused the image: {exc}") from exc


def _encode_to_psnr(frame: np.ndarray, bits_stored: int, target: float) -> bytes:
    """The codestream at OpenJPEG's PSNR target, raised until the decoded PSNR reaches it.

    OpenJPEG's rate allocation aims at the target but may land a little below; the
    reported quality must hold, so we re-encode with a higher aim if it does.
    """
    import openjpeg

    aim = target
    for _ in range(_PSNR_TRIES):
        codestream = _encode(frame, bits_stored, signal_noise_ratios=[aim])
        achieved = metrics.psnr(frame, openjpeg.decode(codestream), bits_stored)
        if achieved >= target:
            return codestream
        aim += max(target - achieved, 0.02) + 0.02
    return _encode(frame, bits_stored)  # lossless: the only encoding sure to reach it
