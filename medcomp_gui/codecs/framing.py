"""Frame-by-frame payloads: ``u32 n_frames, u32 length x n, codestreams``.

Classical codecs compress each frame on its own (as DICOM encapsulation does); this
module packs their codestreams into one payload and checks it on the way back.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

import numpy as np

from medcomp_gui.codecs.base import PayloadInfo, native_errors
from medcomp_gui.errors import CodecError

_U32 = struct.Struct("<I")


def pack_frames(codestreams: Sequence[bytes]) -> bytes:
    lengths = struct.pack(f"<{len(codestreams)}I", *(len(c) for c in codestreams))
    return _U32.pack(len(codestreams)) + lengths + b"".join(codestreams)


def unpack_frames(payload: bytes, n_frames: int) -> list[bytes]:
    """The codestreams in ``payload``; CodecError unless exactly ``n_frames`` fit."""
    if len(payload) < _U32.size or _U32.unpack_from(payload)[0] != n_frames:
        raise CodecError(f"payload does not hold {n_frames} frame(s)")
    table_end = _U32.size * (1 + n_frames)
    if len(payload) < table_end:
        raise CodecError("payload truncated in its frame table")
    lengths = struct.unpack_from(f"<{n_frames}I", payload, _U32.size)
    if table_end + sum(lengths) != len(payload):
        raise CodecError("payload frame lengths do not add up")
    out, pos = [], table_end
    for length in lengths:
        out.append(payload[pos : pos + length])
        pos += length
    return out


def decode_frames(
    payload: bytes,
    info: PayloadInfo,
    decode_one: Callable[[bytes], np.ndarray],
    size_of: Callable[[bytes], tuple[int, int]],
) -> np.ndarray:
    """Decode every frame with ``decode_one`` and check each against ``info.shape``.

    ``size_of`` reads (rows, cols) from a codestream's own header: it must match
    ``info.shape`` before ``decode_one`` runs, so that a codestream cannot make the
    decoder allocate more than the checked .mcz header allows. ``decode_one`` returns
    unsigned samples (signed images were offset on encoding); the result is in
    ``info.dtype`` and ``info.shape``.
    """
    from medcomp_gui.codecs.base import from_unsigned

    rows, cols = info.shape[-2:]
    n_frames = info.shape[0] if len(info.shape) == 3 else 1
    frames = []
    for codestream in unpack_frames(payload, n_frames):
        with native_errors("cannot read the codestream's header"):
            size = size_of(codestream)
        if size != (rows, cols):
            raise CodecError(f"codestream is {size[0]}x{size[1]}, header says {rows}x{cols}")
        with native_errors("cannot decode codestream"):
            frame = np.asarray(decode_one(codestream))
        if frame.shape != (rows, cols):
            raise CodecError(f"decoded frame is {frame.shape}, header says {(rows, cols)}")
        frames.append(from_unsigned(frame, info.dtype, info.bits_stored))
    stacked = np.stack(frames)
    return stacked if len(info.shape) == 3 else stacked[0]


def j2k_size(codestream: bytes) -> tuple[int, int]:
    """(rows, cols) from a JPEG 2000 or HTJ2K codestream's SIZ marker (OpenJPEG's
    header reader); CodecError unless it holds one component."""
    import openjpeg

    found = openjpeg.get_parameters(codestream)
    if found["samples_per_pixel"] != 1:
        raise CodecError("codestream is not a grey image")
    return found["rows"], found["columns"]


_JXL_CONTAINER = b"\x00\x00\x00\x0cJXL \r\n\x87\n"


def _jxl_codestream(data: bytes) -> bytes:
    """The start of the codestream: ``data`` itself, or in the container format (libjxl
    writes it above 12 bits) the contents of its jxlc box or first jxlp box."""
    if not data.startswith(_JXL_CONTAINER):
        return data
    pos = len(_JXL_CONTAINER)
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1 and pos + 16 <= len(data):
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:
            size = len(data) - pos
        if size < header:
            break
        if kind == b"jxlc":
            return data[pos + header : pos + size]
        if kind == b"jxlp":
            return data[pos + header + 4 : pos + size]
        pos += size
    raise CodecError("JPEG XL container without a codestream")


_JXL_RATIOS = {1: (1, 1), 2: (12, 10), 3: (4, 3), 4: (3, 2), 5: (16, 9), 6: (5, 4), 7: (2, 1)}


def jpegxl_size(data: bytes) -> tuple[int, int]:
    """(rows, cols) from a JPEG XL file's SizeHeader (ISO/IEC 18181-1 A.3, 18181-2).

    Written by hand: imagecodecs decodes JPEG XL but does not expose libjxl's basic
    info, and decoding first would allocate whatever the codestream claims.
    """
    codestream = _jxl_codestream(data)
    if codestream[:2] != b"\xff\x0a":
        raise CodecError("not a JPEG XL codestream")
    bits = int.from_bytes(codestream[2:18].ljust(16, b"\0"), "little")
    pos = 0

    def read(n: int) -> int:
        nonlocal pos
        value = (bits >> pos) & ((1 << n) - 1)
        pos += n
        return value

    def dimension(small: bool) -> int:
        if small:
            return 8 * (1 + read(5))
        return 1 + read((9, 13, 18, 30)[read(2)])

    small = bool(read(1))
    rows = dimension(small)
    ratio = read(3)
    if ratio:
        num, den = _JXL_RATIOS[ratio]
        return rows, rows * num // den
    return rows, dimension(small)
