"""Frame-by-frame payloads: ``u32 n_frames, u32 length x n, codestreams``.

Classical codecs compress each frame on its own (as DICOM encapsulation does); this
module packs their codestreams into one payload and checks it on the way back.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

import numpy as np

from medcomp_gui.codecs.base import PayloadInfo
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
    payload: bytes, info: PayloadInfo, decode_one: Callable[[bytes], np.ndarray]
) -> np.ndarray:
    """Decode every frame with ``decode_one`` and check each against ``info.shape``.

    ``decode_one`` returns unsigned samples (signed images were offset on encoding);
    the result is in ``info.dtype`` and ``info.shape``.
    """
    from medcomp_gui.codecs.base import from_unsigned

    rows, cols = info.shape[-2:]
    n_frames = info.shape[0] if len(info.shape) == 3 else 1
    frames = []
    for codestream in unpack_frames(payload, n_frames):
        try:
            frame = np.asarray(decode_one(codestream))
        except CodecError:
            raise
        except Exception as exc:  # third-party decoders raise many types on damage
            raise CodecError(f"cannot decode codestream ({exc})") from exc
        if frame.shape != (rows, cols):
            raise CodecError(f"decoded frame is {frame.shape}, header says {(rows, cols)}")
        frames.append(from_unsigned(frame, info.dtype, info.bits_stored))
    stacked = np.stack(frames)
    return stacked if len(info.shape) == 3 else stacked[0]
