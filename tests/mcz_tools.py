"""Rewriting .mcz files for tests: change header fields, payload or embedded DICOM and
recompute every CRC, so that a damaged file reaches the parsers instead of failing its
checksum.

The parts are handled in version 1's terms (a JSON header with lengths and CRCs, a zlib
DICOM header); :func:`forge` writes them as version 1 (still read) or, with
``version=2``, in the compact layout the application writes.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

from medcomp_gui import container, varint
from medcomp_gui.container_dicts import DICOM_DICT, HEADER_DICT

_PREFIX = struct.Struct("<8sHI")
_SIZES = ("payload_len", "payload_crc32", "dicom_len", "dicom_crc32")


def split(data: bytes) -> tuple[dict[str, Any], bytes, bytes]:
    """(header with every version 1 field, payload, zlib-compressed DICOM) of a valid
    .mcz file of either version."""
    (version,) = struct.unpack_from("<H", data, 8)
    if version == 1:
        _, _, header_len = _PREFIX.unpack_from(data)
        start = _PREFIX.size
        header = json.loads(data[start : start + header_len])
        body = start + header_len + 4
        payload = data[body : body + header["payload_len"]]
        return header, payload, data[body + header["payload_len"] :]
    c = container.unpack(data)
    header = container.header_fields(c)
    return header, c.payload, zlib.compress(c.dicom_header) if c.dicom_header else b""


def _deflate(data: bytes, zdict: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, zdict)
    return packer.compress(data) + packer.flush()


def forge(
    header: dict[str, Any],
    payload: bytes,
    dicom: bytes,
    *,
    raw_header: bytes | None = None,
    version: int = 1,
) -> bytes:
    """A .mcz file of these parts with lengths and CRCs made to match (``raw_header``:
    header bytes used as they are; ``dicom``: zlib-compressed, as :func:`split` gives)."""
    if version == 2:
        fields = {k: v for k, v in header.items() if k not in _SIZES}
        body = raw_header if raw_header is not None else json.dumps(fields).encode()
        packed = _deflate(body, HEADER_DICT)
        dicom2 = _deflate(zlib.decompress(dicom), DICOM_DICT) if dicom else b""
        lengths = (len(packed), len(payload), len(dicom2))
        return b"".join(
            (
                container.MAGIC,
                struct.pack("<H", 2),
                b"".join(varint.encode(n) for n in lengths),
                struct.pack("<II", zlib.crc32(packed), zlib.crc32(payload + dicom2)),
                packed,
                payload,
                dicom2,
            )
        )
    header = {
        **header,
        "payload_len": len(payload),
        "payload_crc32": zlib.crc32(payload),
        "dicom_len": len(dicom),
        "dicom_crc32": zlib.crc32(dicom),
    }
    body = raw_header if raw_header is not None else json.dumps(header).encode()
    return b"".join(
        (
            _PREFIX.pack(container.MAGIC, version, len(body)),
            body,
            struct.pack("<I", zlib.crc32(body)),
            payload,
            dicom,
        )
    )


def with_header(data: bytes, version: int = 1, **changes: Any) -> bytes:
    """``data`` with header fields changed (CRCs recomputed), written as ``version``."""
    header, payload, dicom = split(data)
    return forge({**header, **changes}, payload, dicom, version=version)
