"""Rewriting .mcz files for tests: change header fields, payload or embedded DICOM and
recompute every CRC, so that a damaged file reaches the parsers instead of failing its
checksum."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

from medcomp_gui import container

_PREFIX = struct.Struct("<8sHI")


def split(data: bytes) -> tuple[dict[str, Any], bytes, bytes]:
    """(header, payload, compressed DICOM) of a valid .mcz file."""
    _, _, header_len = _PREFIX.unpack_from(data)
    start = _PREFIX.size
    header = json.loads(data[start : start + header_len])
    body = start + header_len + 4
    payload = data[body : body + header["payload_len"]]
    return header, payload, data[body + header["payload_len"] :]


def forge(
    header: dict[str, Any],
    payload: bytes,
    dicom: bytes,
    *,
    raw_header: bytes | None = None,
    version: int = container.FORMAT_VERSION,
) -> bytes:
    """A .mcz file of these parts with lengths and CRCs made to match (``raw_header``:
    header bytes used as they are)."""
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


def with_header(data: bytes, **changes: Any) -> bytes:
    """``data`` with header fields changed (CRCs recomputed)."""
    header, payload, dicom = split(data)
    return forge({**header, **changes}, payload, dicom)
