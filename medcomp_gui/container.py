"""The .mcz container: one compressed image, its codec's header and its DICOM header.

Layout of format version 2 (written; integers little-endian, ``varint``: unsigned
LEB128, :mod:`medcomp_gui.varint`)::

    magic        8 bytes   b"MCZ\\x89\\r\\n\\x1a\\n"
    version      u16       2
    header_len   varint    <= MAX_HEADER_BYTES
    payload_len  varint
    dicom_len    varint    <= MAX_DICOM_BYTES; 0 for non-DICOM sources
    header_crc   u32       CRC32 of the header bytes
    body_crc     u32       CRC32 of the payload and dicom bytes
    header       raw DEFLATE, preset dictionary ``container_dicts.HEADER_DICT``, of the
                 JSON of version 1's header fields less the lengths and checksums, and
                 less each field that has its default value (``_DEFAULTS``)
    payload      the codec's bitstream
    dicom        the source DICOM header without pixel data, raw DEFLATE with the
                 preset dictionary ``container_dicts.DICOM_DICT``

A minimal DICOM image's header and embedded DICOM header take about 110-125 bytes
(version 1: about 900 — uncompressed JSON, a 64-digit model hash, zlib without a
dictionary).

Version 1 (still read)::

    magic 8 bytes | version u16 = 1 | header_len u32 | header: JSON (UTF-8) of codec,
    params, shape, dtype, bits_stored, photometric, rescale, modality, windows,
    lossless, extra (e.g. RWNet model id/hash, normalisation), payload_len,
    payload_crc32, dicom_len, dicom_crc32 | header_crc u32 | payload | dicom (zlib)

Every field is validated before anything is allocated from it; any damage is a
CorruptFileError with a message that says what is wrong (naming the field, never
quoting its value: values may come from a patient's DICOM header). The header must
also be consistent: ``lossless`` is what the codec says its ``params`` are
(:meth:`~medcomp_gui.codecs.base.Codec.is_lossless`), so a lossy file cannot pass for a
lossless one. :func:`pack` applies the same checks, so nothing is written that
:func:`unpack` would refuse.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medcomp_gui import varint
from medcomp_gui.codecs import codec_names, get_codec
from medcomp_gui.container_dicts import DICOM_DICT, HEADER_DICT
from medcomp_gui.errors import CodecError, CorruptFileError
from medcomp_gui.imaging.image import GREY_PHOTOMETRICS, MAX_PIXELS, SUPPORTED_DTYPES, WindowPreset

MAGIC = b"MCZ\x89\r\n\x1a\n"
FORMAT_VERSION = 2
#: versions this module reads
READABLE_VERSIONS = (1, 2)
MAX_HEADER_BYTES = 1 << 16
MAX_DICOM_BYTES = 64 << 20  # compressed and uncompressed
MAX_SIDE = 65535
_PREFIX = struct.Struct("<8sHI")
_U32 = struct.Struct("<I")


@dataclass
class Container:
    """The decoded fields of a .mcz file (the payload still encoded)."""

    codec: str
    params: dict[str, Any]
    shape: tuple[int, ...]
    dtype: np.dtype
    bits_stored: int
    lossless: bool
    payload: bytes
    photometric: str = "MONOCHROME2"
    rescale_slope: float = 1.0
    rescale_intercept: float = 0.0
    modality: str = "OT"
    windows: tuple[WindowPreset, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    dicom_header: bytes = b""  # uncompressed DICOM file bytes, or b""

    @property
    def n_pixels(self) -> int:
        return math.prod(self.shape)


def pack(c: Container) -> bytes:
    """The .mcz bytes (format version 2) of ``c``; CodecError for a container
    :func:`unpack` would refuse."""
    dicom = _deflate(c.dicom_header, DICOM_DICT) if c.dicom_header else b""
    header = header_fields(c)
    try:
        _check_fields({**header, **_sizes(c.payload, dicom)})
        _check_codec(header)
        compact = {k: v for k, v in header.items() if _DEFAULTS.get(k, _NONE) != v}
        text = json.dumps(compact, separators=(",", ":"), allow_nan=False).encode()
    except (CorruptFileError, ValueError, TypeError) as exc:
        raise CodecError(f"cannot write this image as .mcz: {exc}") from exc
    header_bytes = _deflate(text, HEADER_DICT)
    if len(header_bytes) > MAX_HEADER_BYTES:
        raise CodecError(f"cannot write this image as .mcz: header over {MAX_HEADER_BYTES} bytes")
    lengths = (len(header_bytes), len(c.payload), len(dicom))
    return b"".join(
        (
            MAGIC,
            struct.pack("<H", FORMAT_VERSION),
            b"".join(varint.encode(n) for n in lengths),
            _U32.pack(zlib.crc32(header_bytes)),
            _U32.pack(zlib.crc32(c.payload + dicom)),
            header_bytes,
            c.payload,
            dicom,
        )
    )


def header_fields(c: Container) -> dict[str, Any]:
    """The header fields of ``c`` as JSON values (without lengths and checksums)."""
    return {
        "codec": c.codec,
        "params": c.params,
        "shape": list(c.shape),
        "dtype": c.dtype.name,
        "bits_stored": c.bits_stored,
        "lossless": c.lossless,
        "photometric": c.photometric,
        "rescale": [c.rescale_slope, c.rescale_intercept],
        "modality": c.modality,
        "windows": [[w.center, w.width, w.name] for w in c.windows],
        "extra": c.extra,
    }


#: version 2 leaves out the header fields that have these values
_DEFAULTS: dict[str, Any] = {
    "photometric": "MONOCHROME2",
    "rescale": [1.0, 0.0],
    "modality": "OT",
    "windows": [],
    "extra": {},
    "lossless": False,
}
_NONE = object()


def _sizes(payload: bytes, dicom: bytes) -> dict[str, int]:
    """The length and checksum fields of a version 1 header."""
    return {
        "payload_len": len(payload),
        "payload_crc32": zlib.crc32(payload),
        "dicom_len": len(dicom),
        "dicom_crc32": zlib.crc32(dicom),
    }


def _deflate(data: bytes, zdict: bytes) -> bytes:
    """Raw DEFLATE (no zlib wrapper: the CRCs guard the bytes) with a preset dictionary."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, zdict)
    return packer.compress(data) + packer.flush()


def is_mcz(data: bytes) -> bool:
    return data[: len(MAGIC)] == MAGIC


def unpack(data: bytes) -> Container:
    """Parse and validate .mcz bytes (format version 1 or 2); CorruptFileError for
    anything malformed."""
    if len(data) < _PREFIX.size or not is_mcz(data):
        raise CorruptFileError("not a .mcz file (bad magic number)")
    (version,) = struct.unpack_from("<H", data, len(MAGIC))
    if version not in READABLE_VERSIONS:
        raise CorruptFileError(
            f".mcz format version {version} is not supported (this reads "
            f"{' and '.join(map(str, READABLE_VERSIONS))})"
        )
    header, payload, dicom = (_split_v1 if version == 1 else _split_v2)(data)
    slope, intercept = header["rescale"]
    return Container(
        codec=header["codec"],
        params=header["params"],
        shape=tuple(header["shape"]),
        dtype=np.dtype(header["dtype"]),
        bits_stored=header["bits_stored"],
        lossless=header["lossless"],
        payload=payload,
        photometric=header["photometric"],
        rescale_slope=slope,
        rescale_intercept=intercept,
        modality=header["modality"],
        windows=tuple(WindowPreset(c, w, n) for c, w, n in header["windows"]),
        extra=header["extra"],
        dicom_header=dicom,
    )


def _split_v2(data: bytes) -> tuple[dict[str, Any], bytes, bytes]:
    """(checked header, payload, inflated DICOM header) of a version 2 file."""
    pos = len(MAGIC) + 2
    lengths = []
    for _ in range(3):
        value, pos = varint.decode(data, pos, "the header's length fields")
        lengths.append(value)
    header_len, payload_len, dicom_len = lengths
    if header_len > MAX_HEADER_BYTES:
        raise CorruptFileError(f"header length {header_len} exceeds {MAX_HEADER_BYTES}")
    if dicom_len > MAX_DICOM_BYTES:
        raise _fail("dicom_len")
    if len(data) < pos + 2 * _U32.size + header_len:
        raise CorruptFileError("file is truncated inside the header")
    header_crc, body_crc = struct.unpack_from("<II", data, pos)
    pos += 2 * _U32.size
    header_bytes = data[pos : pos + header_len]
    if zlib.crc32(header_bytes) != header_crc:
        raise CorruptFileError("header checksum mismatch (file is damaged)")
    pos += header_len
    if len(data) != pos + payload_len + dicom_len:
        raise CorruptFileError(
            f"file is {len(data)} bytes, header says {pos + payload_len + dicom_len} "
            "(truncated or padded)"
        )
    if zlib.crc32(data[pos:]) != body_crc:
        raise CorruptFileError("payload or DICOM header checksum mismatch (file is damaged)")
    payload, dicom = data[pos : pos + payload_len], data[pos + payload_len :]
    text = _inflate(header_bytes, HEADER_DICT, MAX_HEADER_BYTES, "header")
    header = {**_DEFAULTS, **_parse_json(text), **_sizes(payload, dicom)}
    _check_fields(header)
    _check_codec(header)
    return header, payload, _inflate(dicom, DICOM_DICT, MAX_DICOM_BYTES, "embedded DICOM header")


def _split_v1(data: bytes) -> tuple[dict[str, Any], bytes, bytes]:
    """(checked header, payload, inflated DICOM header) of a version 1 file."""
    _, _, header_len = _PREFIX.unpack_from(data)
    if header_len > MAX_HEADER_BYTES:
        raise CorruptFileError(f"header length {header_len} exceeds {MAX_HEADER_BYTES}")
    pos = _PREFIX.size
    if len(data) < pos + header_len + _U32.size:
        raise CorruptFileError("file is truncated inside the header")
    header_bytes = data[pos : pos + header_len]
    pos += header_len
    (header_crc,) = _U32.unpack_from(data, pos)
    pos += _U32.size
    if zlib.crc32(header_bytes) != header_crc:
        raise CorruptFileError("header checksum mismatch (file is damaged)")
    header = _parse_json(header_bytes)
    _check_fields(header)
    _check_codec(header)
    payload_len, dicom_len = header["payload_len"], header["dicom_len"]
    if len(data) != pos + payload_len + dicom_len:
        raise CorruptFileError(
            f"file is {len(data)} bytes, header says {pos + payload_len + dicom_len} "
            "(truncated or padded)"
        )
    payload = data[pos : pos + payload_len]
    if zlib.crc32(payload) != header["payload_crc32"]:
        raise CorruptFileError("payload checksum mismatch (file is damaged)")
    dicom = data[pos + payload_len :]
    if zlib.crc32(dicom) != header["dicom_crc32"]:
        raise CorruptFileError("DICOM header checksum mismatch (file is damaged)")
    return header, payload, _inflate(dicom, None, MAX_DICOM_BYTES, "embedded DICOM header")


def _inflate(data: bytes, zdict: bytes | None, limit: int, what: str) -> bytes:
    """``data`` inflated: raw DEFLATE with ``zdict`` (version 2) or zlib (``None``:
    version 1), at most ``limit`` bytes out; b"" for b""."""
    if not data:
        return b""
    inflater = zlib.decompressobj(-15, zdict) if zdict else zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit)
    except zlib.error as exc:
        raise CorruptFileError(f"{what} is damaged ({exc})") from exc
    if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
        raise CorruptFileError(f"{what} is damaged or too large")
    return out


def _fail(field: str, why: str = "") -> CorruptFileError:
    return CorruptFileError(f"invalid header field {field!r}" + (f" ({why})" if why else ""))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _parse_json(header_bytes: bytes) -> dict[str, Any]:
    try:
        header = json.loads(header_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CorruptFileError(f"header is not valid JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise CorruptFileError("header is not a JSON object")
    return header


def _check_fields(header: dict[str, Any]) -> None:
    """Types, ranges and the relations between fields (shape, dtype, bits stored)."""
    checks: dict[str, Any] = {
        "codec": lambda v: isinstance(v, str) and 0 < len(v) <= 64,
        "params": lambda v: (
            isinstance(v, dict)
            and all(_is_number(x) or isinstance(x, bool | str) for x in v.values())
        ),
        "shape": lambda v: (
            isinstance(v, list)
            and len(v) in (2, 3)
            and all(_is_int(x) and 1 <= x <= MAX_SIDE for x in v)
        ),
        "dtype": lambda v: isinstance(v, str) and v in {d.name for d in SUPPORTED_DTYPES},
        "bits_stored": _is_int,
        "lossless": lambda v: isinstance(v, bool),
        "photometric": lambda v: v in GREY_PHOTOMETRICS,
        "rescale": lambda v: isinstance(v, list) and len(v) == 2 and all(_is_number(x) for x in v),
        "modality": lambda v: isinstance(v, str) and len(v) <= 16,
        "windows": lambda v: (
            isinstance(v, list)
            and len(v) <= 64
            and all(
                isinstance(w, list)
                and len(w) == 3
                and _is_number(w[0])
                and _is_number(w[1])
                and isinstance(w[2], str)
                for w in v
            )
        ),
        "extra": lambda v: isinstance(v, dict),
        "payload_len": lambda v: _is_int(v) and v >= 0,
        "payload_crc32": lambda v: _is_int(v) and 0 <= v < 1 << 32,
        "dicom_len": lambda v: _is_int(v) and 0 <= v <= MAX_DICOM_BYTES,
        "dicom_crc32": lambda v: _is_int(v) and 0 <= v < 1 << 32,
    }
    for key, check in checks.items():
        if key not in header:
            raise _fail(key, "missing")
        if not check(header[key]):
            raise _fail(key)
    if math.prod(header["shape"]) > MAX_PIXELS:
        raise _fail("shape", f"{math.prod(header['shape'])} pixels, more than {MAX_PIXELS}")
    itemsize_bits = np.dtype(header["dtype"]).itemsize * 8
    if not 1 <= header["bits_stored"] <= itemsize_bits:
        raise _fail("bits_stored", f"{header['bits_stored']} for {header['dtype']}")


def _check_codec(header: dict[str, Any]) -> None:
    """The codec is known, accepts the parameters, and agrees about ``lossless``."""
    name = header["codec"]
    if name not in codec_names():
        raise CodecError(f"file made with codec {name!r}, which this version does not know")
    codec = get_codec(name)
    try:
        lossless = codec.is_lossless(header["params"])
    except CodecError as exc:
        raise _fail("params", f"{name}: {exc}") from exc
    if lossless != header["lossless"]:
        said = "lossless" if header["lossless"] else "lossy"
        raise _fail("lossless", f"says {said}, but {name} with these parameters is not")
