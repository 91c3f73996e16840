"""Entropy coding of RWNet's integer latents with constriction's ANS coder.

Channel ``c`` of a latent ``(h, w, channels)`` is coded with the fixed categorical model
of its level's integer table (:mod:`.tables`); values outside the table are coded as the
escape symbol and stored verbatim (int32) after the ANS words, so any value can be coded.
Both directions depend only on the integer tables and the symbols.

Frame stream: ``u32 n_words, u32 n_escapes, u32 words[n_words], i32 escapes[n_escapes]``.
"""

from __future__ import annotations

import struct

import numpy as np

from medcomp_gui.codecs.rwnet.tables import Tables
from medcomp_gui.errors import CodecError

_HEAD = struct.Struct("<II")


def _model(tables: Tables, level: int, channel: int):
    import constriction

    return constriction.stream.model.Categorical(
        tables.probabilities(level, channel), perfect=False
    )


def encode_latent(symbols: np.ndarray, tables: Tables, level: int) -> bytes:
    """Bytes of the int32 latent ``symbols`` ``(h, w, channels)`` at 0-based ``level``."""
    import constriction

    h, w, channels = symbols.shape
    coder = constriction.stream.stack.AnsCoder()
    escapes: list[np.ndarray] = []
    for c in reversed(range(channels)):  # a stack: the last channel coded is read first
        low, length = int(tables.low[level, c]), int(tables.length[level, c])
        index = symbols[:, :, c].reshape(-1).astype(np.int64) - low
        outside = (index < 0) | (index >= length)
        escapes.append(symbols[:, :, c].reshape(-1)[outside])
        index[outside] = length
        coder.encode_reverse(index.astype(np.int32), _model(tables, level, c))
    words = coder.get_compressed().astype("<u4")
    escaped = np.concatenate(escapes[::-1]).astype("<i4") if escapes else np.zeros(0, "<i4")
    return _HEAD.pack(words.size, escaped.size) + words.tobytes() + escaped.tobytes()


def decode_latent(data: bytes, tables: Tables, level: int, h: int, w: int) -> np.ndarray:
    """Inverse of :func:`encode_latent`; CodecError for a damaged stream."""
    import constriction

    if len(data) < _HEAD.size:
        raise CodecError("RWNet frame stream truncated")
    n_words, n_escapes = _HEAD.unpack_from(data)
    if _HEAD.size + 4 * (n_words + n_escapes) != len(data):
        raise CodecError("RWNet frame stream lengths do not add up")
    words = np.frombuffer(data, "<u4", n_words, _HEAD.size).astype(np.uint32)
    escaped = np.frombuffer(data, "<i4", n_escapes, _HEAD.size + 4 * n_words).astype(np.int32)
    out = np.empty((h, w, tables.channels), np.int32)
    used = 0
    try:
        coder = constriction.stream.stack.AnsCoder(words)
        for c in range(tables.channels):
            low, length = int(tables.low[level, c]), int(tables.length[level, c])
            index = np.asarray(coder.decode(_model(tables, level, c), h * w), np.int64)
            values = index + low
            outside = index == length
            count = int(outside.sum())
            if used + count > n_escapes:
                raise CodecError("RWNet frame stream has too few escaped values")
            values[outside] = escaped[used : used + count]
            used += count
            out[:, :, c] = values.reshape(h, w)
    except CodecError:
        raise
    except Exception as exc:  # constriction reports damage with several exception types
        raise CodecError(f"RWNet frame stream damaged ({exc})") from exc
    if used != n_escapes:
        raise CodecError("RWNet frame stream has unused escaped values")
    return out
