"""JPEG XL (libjxl through imagecodecs): lossless, or lossy by butteraugli distance."""

from __future__ import annotations

from typing import Any

import numpy as np

from medcomp_gui.codecs.base import Encoded, ParamSpec, PayloadInfo, resolve_params, to_unsigned
from medcomp_gui.codecs.framing import decode_frames, jpegxl_size, pack_frames
from medcomp_gui.errors import CodecError, CodecUnavailableError
from medcomp_gui.imaging.image import MedicalImage


class JPEGXLCodec:
    name = "jpegxl"
    description = (
        "JPEG XL (ISO 18181-1, libjxl): lossless, or lossy by distance (1.0 ~ visually lossless)"
    )
    dicom_method = "ISO_18181_1"
    params = (
        ParamSpec("lossless", bool, help="modular lossless (default when no distance)"),
        ParamSpec(
            "distance", float, 0.01, 25.0, help="lossy: butteraugli distance, lower is better"
        ),
        ParamSpec("effort", int, 1, 9, 7, help="encoder effort, higher is slower and smaller"),
    )

    def availability(self) -> str | None:
        try:
            import imagecodecs
        except ImportError:
            return "needs imagecodecs: pip install imagecodecs"
        if not imagecodecs.JPEGXL.available:
            return "this imagecodecs build has no JPEG XL; pip install --upgrade imagecodecs"
        return None

    def is_lossless(self, params: dict[str, Any]) -> bool:
        resolved = resolve_params(self, params)
        if "distance" in resolved and resolved.get("lossless"):
            raise CodecError("give either --lossless or --distance, not both")
        return "distance" not in resolved

    def encode(self, image: MedicalImage, **given: Any) -> Encoded:
        if (missing := self.availability()) is not None:
            raise CodecUnavailableError(missing)
        import imagecodecs

        params = resolve_params(self, given)
        distance = params.get("distance")
        if distance is not None and params.get("lossless"):
            raise CodecError("give either --lossless or --distance, not both")
        codestreams = []
        for frame in image.frames:
            unsigned = np.ascontiguousarray(to_unsigned(frame, image.bits_stored))
            options: dict[str, Any] = {
                "effort": params["effort"],
                "bitspersample": image.bits_stored,
            }
            if distance is None:
                options["lossless"] = True
            else:
                options["distance"] = distance
            try:
                codestreams.append(bytes(imagecodecs.jpegxl_encode(unsigned, **options)))
            except imagecodecs.JpegxlError as exc:
                raise CodecError(f"libjxl refused the image: {exc}") from exc
        used = {
            "effort": params["effort"],
            **({"lossless": True} if distance is None else {"distance": distance}),
        }
        return Encoded(pack_frames(codestreams), used, lossless=distance is None)

    def decode(self, payload: bytes, info: PayloadInfo) -> np.ndarray:
        import imagecodecs

        return decode_frames(payload, info, imagecodecs.jpegxl_decode, jpegxl_size)
