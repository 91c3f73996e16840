"""Entropy coding of RWNet's integer latents with constriction's ANS coder.

Decoding order: the activity class of every latent position (:mod:`.tables`; row by
row, each row's tables chosen by the row above), then for
each channel (as its prediction residual, see :mod:`.tables`) and each class, the values of
that channel at the positions of that class, each group with the fixed categorical
model of its table. Values outside a table are coded as its escape symbol and stored
verbatim (int32) after the ANS words, so any value can be coded. Both directions depend
only on the integer tables and the symbols.

Frame stream: ``u32 n_words, u32 n_escapes, u32 words[n_words], i32 escapes[n_escapes]``.
"""

from __future__ import annotations

import struct

import numpy as np

from medcomp_gui.codecs.rwnet.tables import (
    CLASSES,
    Tables,
    activity_classes,
    class_context,
    from_residual,
    to_residual,
)
from medcomp_gui.errors import CodecError

_HEAD = struct.Struct("<II")


def _family():
    """Categorical models whose probabilities come with each symbol."""
    import constriction

    return constriction.stream.model.Categorical(perfect=False)


def encode_latent(symbols: np.ndarray, tables: Tables, level: int) -> bytes:
    """Bytes of the int32 latent ``symbols`` ``(h, w, channels)`` at 0-based ``level``."""
    import constriction

    h, w, channels = symbols.shape
    residual = to_residual(symbols, tables.ac_coeffs[level])
    classes = activity_classes(residual).reshape(-1)
    flat = residual.reshape(-1, channels)
    groups = [np.nonzero(classes == k)[0] for k in range(CLASSES)]
    coded, escapes = [], []  # in decoding order
    for c in range(channels):
        for k, where in enumerate(groups):
            if where.size == 0:
                continue
            low, length = int(tables.low[level, k, c]), int(tables.length[level, k, c])
            values = flat[where, c]
            index = values.astype(np.int64) - low
            outside = (index < 0) | (index >= length)
            escapes.append(values[outside].astype(np.int32))
            index[outside] = length
            coded.append((index.astype(np.int32), tables.model(level, k, c)))
    coder = constriction.stream.stack.AnsCoder()
    for index, model in reversed(coded):  # a stack: what is coded last is read first
        coder.encode_reverse(index, model)
    contexts = class_context(classes.reshape(h, w)).reshape(-1)
    coder.encode_reverse(classes, _family(), tables.class_probabilities(level, contexts))
    words = coder.get_compressed().astype("<u4")
    escaped = np.concatenate(escapes).astype("<i4") if escapes else np.zeros(0, "<i4")
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
    out = np.empty((h * w, tables.channels), np.int32)
    used = 0
    try:
        coder = constriction.stream.stack.AnsCoder(words)
        grid = np.zeros((h, w), np.int32)
        for i in range(h):
            contexts = class_context(grid[max(i - 1, 0) : i + 1])[-1] if i else np.full(w, CLASSES)
            probs = tables.class_probabilities(level, contexts)
            grid[i] = np.asarray(coder.decode(_family(), probs), np.int32)
        classes = grid.reshape(-1).astype(np.int64)
        groups = [np.nonzero(classes == k)[0] for k in range(CLASSES)]
        for c in range(tables.channels):
            for k, where in enumerate(groups):
                if where.size == 0:
                    continue
                low, length = int(tables.low[level, k, c]), int(tables.length[level, k, c])
                index = np.asarray(coder.decode(tables.model(level, k, c), where.size), np.int64)
                values = index + low
                outside = index == length
                count = int(outside.sum())
                if used + count > n_escapes:
                    raise CodecError("RWNet frame stream has too few escaped values")
                values[outside] = escaped[used : used + count]
                used += count
                out[where, c] = values
    except CodecError:
        raise
    except Exception as exc:  # constriction reports damage with several exception types
        raise CodecError(f"RWNet frame stream damaged ({exc})") from exc
    if used != n_escapes:
        raise CodecError("RWNet frame stream has unused escaped values")
    out = out.reshape(h, w, tables.channels)
    if not np.array_equal(activity_classes(out).reshape(-1), classes):
        raise CodecError("RWNet frame stream damaged (activity classes do not match)")
    symbols = from_residual(out, tables.ac_coeffs[level])
    if np.abs(symbols).max(initial=0) >= 2**31:
        raise CodecError("RWNet frame stream damaged (latent out of range)")
    return symbols.astype(np.int32)
