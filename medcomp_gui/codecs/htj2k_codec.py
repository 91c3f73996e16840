"""HTJ2K, High-Throughput JPEG 2000 (ISO 15444-15; OpenJPH through imagecodecs):
lossless, or lossy with the largest quantisation step that keeps a PSNR target.

Encoded by OpenJPH, decoded by OpenJPEG (see :func:`_decode`).

DICOM: transfer syntax 1.2.840.10008.1.2.4.201 (HTJ2K Lossless) or .203 (HTJ2K, lossy),
one codestream per frame encapsulated with ``pydicom.encaps``; pydicom decodes it with
its pylibjpeg-openjpeg plugin (plain pydicom reads our files back).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from medcomp_gui import metrics
from medcomp_gui.codecs.base import Encoded, ParamSpec, PayloadInfo, resolve_params, to_unsigned
from medcomp_gui.codecs.dicom import DicomEncoded, encapsulated
from medcomp_gui.codecs.framing import decode_frames, j2k_size, pack_frames
from medcomp_gui.errors import CodecError, CodecUnavailableError
from medcomp_gui.imaging.image import MedicalImage

#: OpenJPH's base quantisation step, relative to the sample range: (0, 2].
_STEP_RANGE = (1e-7, 2.0)
#: Bisection steps on log(step): the step found is within 0.1 % of the largest one that
#: meets the target (log range 16.8 / 2**14).
_STEP_TRIES = 14


class HTJ2KCodec:
    name = "htj2k"
    description = "HTJ2K (ISO 15444-15, OpenJPH): lossless, or lossy by PSNR; DICOM .201/.203"
    dicom_method = "ISO_15444_15"
    params = (
        ParamSpec("lossless", bool, help="reversible 5/3 wavelet (default when no target)"),
        ParamSpec(
            "psnr", float, 10.0, 150.0, help="lossy: smallest file with at least this PSNR (dB)"
        ),
    )

    def availability(self) -> str | None:
        try:
            import imagecodecs
        except ImportError:
            return "needs imagecodecs: pip install imagecodecs"
        if not imagecodecs.HTJ2K.available:
            return "this imagecodecs build has no HTJ2K (OpenJPH): pip install -U imagecodecs"
        return None

    def _params(self, given: dict[str, Any]) -> dict[str, Any]:
        if (missing := self.availability()) is not None:
            raise CodecUnavailableError(missing)
        params = resolve_params(self, given)
        if "psnr" in params and params.get("lossless"):
            raise CodecError("give either --lossless or --psnr, not both")
        return {"psnr": params["psnr"]} if "psnr" in params else {"lossless": True}

    def is_lossless(self, params: dict[str, Any]) -> bool:
        resolved = resolve_params(self, params)
        if "psnr" in resolved and resolved.get("lossless"):
            raise CodecError("give either --lossless or --psnr, not both")
        return "psnr" not in resolved

    def encode(self, image: MedicalImage, **given: Any) -> Encoded:
        params = self._params(given)
        frames = [to_unsigned(f, image.bits_stored) for f in image.frames]
        streams = [_encode(f, image.bits_stored, params.get("psnr")) for f in frames]
        return Encoded(pack_frames(streams), params, lossless="psnr" not in params)

    def decode(self, payload: bytes, info: PayloadInfo) -> np.ndarray:

        return decode_frames(payload, info, _decode, j2k_size)

    def encode_dicom(self, image: MedicalImage, **given: Any) -> DicomEncoded:
        """HTJ2K Lossless (.201) or HTJ2K (.203) of the stored values as they are (a
        signed image gives a signed codestream, as Pixel Representation 1 asks)."""
        from pydicom.uid import HTJ2K, HTJ2KLossless

        params = self._params(given)
        streams = [_encode(f, image.bits_stored, params.get("psnr")) for f in image.frames]
        syntax = HTJ2K if "psnr" in params else HTJ2KLossless
        return DicomEncoded(
            encapsulated(image, syntax, streams), params, lossless="psnr" not in params
        )


def _decode(codestream: bytes) -> np.ndarray:
    """One codestream decoded by OpenJPEG (pylibjpeg-openjpeg, the decoder pydicom uses
    for HTJ2K DICOM), not by OpenJPH: on damaged codestreams OpenJPH crashed the process
    (a segmentation fault) or hung, and it wraps lossy values at the top of the range
    (255 decoded as 0); OpenJPEG raises an error and clamps."""
    import openjpeg

    return openjpeg.decode(codestream)


def _encode(frame: np.ndarray, bits_stored: int, psnr: float | None) -> bytes:
    """One frame's codestream: reversible, or the coarsest step meeting ``psnr``."""
    import imagecodecs

    frame = np.ascontiguousarray(frame)

    def at(step: float | None) -> bytes:
        try:
            return bytes(imagecodecs.htj2k_encode(frame, level=step, reversible=step is None))
        except imagecodecs.Htj2kError as exc:
            raise CodecError(f"OpenJPH refused the image: {exc}") from exc

    if psnr is None:
        return at(None)

    def meets(codestream: bytes) -> bool:
        decoded = _decode(codestream)
        return metrics.psnr(frame, decoded, bits_stored) >= psnr

    low, high = (math.log(s) for s in _STEP_RANGE)  # fine (meets) .. coarse
    coarsest = at(_STEP_RANGE[1])
    if meets(coarsest):
        return coarsest
    best = at(_STEP_RANGE[0])
    if not meets(best):
        return at(None)  # lossless: the only encoding sure to reach the target
    for _ in range(_STEP_TRIES):
        middle = (low + high) / 2
        codestream = at(math.exp(middle))
        if meets(codestream):
            low, best = middle, codestream
        else:
            high = middle
    return best
