"""JPEG-LS (CharLS through pyjpegls): lossless, or near-lossless with maximum error NEAR."""

from __future__ import annotations

from typing import Any

import numpy as np

from medcomp_gui.codecs.base import Encoded, ParamSpec, PayloadInfo, resolve_params, to_unsigned
from medcomp_gui.codecs.dicom import DicomEncoded, pydicom_compressed
from medcomp_gui.codecs.framing import decode_frames, pack_frames
from medcomp_gui.errors import CodecError, CodecUnavailableError
from medcomp_gui.imaging.image import MedicalImage


class JPEGLSCodec:
    name = "jpegls"
    description = "JPEG-LS (ISO 14495-1, CharLS): lossless, or near-lossless (max error NEAR)"
    dicom_method = "ISO_14495_1"
    params = (
        ParamSpec("lossless", bool, help="NEAR = 0 (default)"),
        ParamSpec("near", int, 0, 255, help="largest allowed error per pixel, stored units"),
    )

    def availability(self) -> str | None:
        try:
            import jpeg_ls  # noqa: F401
        except ImportError:
            return "needs pyjpegls: pip install pyjpegls"
        return None

    def is_lossless(self, params: dict[str, Any]) -> bool:
        resolved = resolve_params(self, params)
        if resolved.get("near") and resolved.get("lossless"):
            raise CodecError("give either --lossless or --near, not both")
        return not resolved.get("near")

    def _near(self, given: dict[str, Any]) -> int:
        """NEAR from the given parameters (0: lossless), the codec checked usable."""
        if (missing := self.availability()) is not None:
            raise CodecUnavailableError(missing)
        params = resolve_params(self, given)
        near = params.get("near", 0)
        if near and params.get("lossless"):
            raise CodecError("give either --lossless or --near, not both")
        return near

    def encode(self, image: MedicalImage, **given: Any) -> Encoded:
        import jpeg_ls

        near = self._near(given)
        if image.bits_stored < 2:
            raise CodecError("JPEG-LS needs at least 2 bits stored")
        codestreams = []
        for frame in image.frames:
            unsigned = np.ascontiguousarray(to_unsigned(frame, image.bits_stored))
            data = unsigned.astype(unsigned.dtype.newbyteorder("<")).tobytes()
            try:
                codestreams.append(
                    bytes(
                        jpeg_ls.encode_buffer(
                            data,
                            frame.shape[0],
                            frame.shape[1],
                            1,
                            image.bits_stored,
                            lossy_error=near,
                        )
                    )
                )
            except (RuntimeError, ValueError) as exc:
                raise CodecError(f"CharLS refused the image: {exc}") from exc
        used = {"near": near} if near else {"lossless": True}
        return Encoded(pack_frames(codestreams), used, lossless=near == 0)

    def decode(self, payload: bytes, info: PayloadInfo) -> np.ndarray:
        import jpeg_ls
        from jpeg_ls import CharLS

        near = 0 if self.is_lossless(info.params) else info.params["near"]

        def size_of(codestream: bytes) -> tuple[int, int]:
            found = CharLS._CharLS.read_header(codestream)
            if found["components"] != 1 or found["bits_per_sample"] != info.bits_stored:
                raise CodecError("codestream is not a grey image of the header's bit depth")
            if found["allowed_lossy_error"] != near:
                raise CodecError(
                    f"codestream has NEAR={found['allowed_lossy_error']}, header {near}"
                )
            return found["height"], found["width"]

        return decode_frames(
            payload, info, lambda b: jpeg_ls.decode(np.frombuffer(b, np.uint8)), size_of
        )

    def encode_dicom(self, image: MedicalImage, **given: Any) -> DicomEncoded:
        """JPEG-LS Lossless or JPEG-LS Near-Lossless through pydicom's encoder (CharLS)."""
        from pydicom.uid import JPEGLSLossless, JPEGLSNearLossless

        near = self._near(given)
        if not near:
            return DicomEncoded(pydicom_compressed(image, JPEGLSLossless), {"lossless": True}, True)
        ds = pydicom_compressed(image, JPEGLSNearLossless, jls_error=near)
        if np.max(np.abs(image.pixels.astype(np.int64) - ds.pixel_array)) > near:
            # CharLS works modulo the sample range: signed values at the ends of the
            # range can wrap around. The bound is the point of near-lossless, so refuse.
            raise CodecError(
                f"JPEG-LS near-lossless DICOM of this signed image breaks the NEAR={near} bound "
                "(values wrap at the range ends); write .mcz or use jpeg2000"
            )
        return DicomEncoded(ds, {"near": near}, lossless=False)
