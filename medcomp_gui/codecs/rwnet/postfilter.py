"""RWNet's post-filter (payload version 10): a point-symmetric 5 x 5 linear filter that the
encoder fits to each frame by least squares (a Wiener filter, as the adaptive loop
filter of H.266/VVC) and sends in the frame's side information where it pays; the
decoder applies it to the reconstruction.

At low and middle rates a wavelet codec's error is smooth ringing around edges and
the DC's quantisation steps; a filter fitted to the image takes some of it off
(development set: 0.05-0.3 dB at levels 3-8 on radiographs, MR and CT, 1-2 dB at
levels 1-2 on mammograms and ultrasound; ``benchmarks/probes/post_filter.py``).
Written here because no library fits a signalled filter: SciPy and scikit-image filter
with given kernels, and the fit is a 13-unknown least-squares problem (NumPy).

The filter: ``out[r, c] = sum_k coefficient[k] * (x[r + di, c + dj] + x[r - di, c - dj])``
over ``PAIRS`` plus the centre's coefficient times ``x[r, c]``, with ``x`` extended
symmetrically beyond its edges; coefficients in units of ``1 / UNIT``. The arithmetic
is float64, each term added in the same order in the encoder's estimate and the
decoder, so a frame decodes to the same values on every machine.

Side information (:func:`packed`): ``u8 taps (0 or TAPS) | TAPS zigzag varints`` — the
centre's coefficient minus ``UNIT`` first, then each pair's.
"""

from __future__ import annotations

import numpy as np

from medcomp_gui import varint
from medcomp_gui.errors import CodecError

RADIUS = 2
#: the offsets of the pairs of taps (each pair: the offset and its opposite)
PAIRS = tuple(
    (di, dj)
    for di in range(-RADIUS, RADIUS + 1)
    for dj in range(-RADIUS, RADIUS + 1)
    if (di, dj) > (0, 0)
)
TAPS = 1 + len(PAIRS)
#: the coefficients' unit: 1/4096 keeps the quantised filter within 0.01 dB of the
#: fitted one on the development set (1/1024 loses up to 0.05 dB on smooth images,
#: whose fitted coefficients are large and nearly cancel)
UNIT = 4096
#: rows of the frame the normal equations take at a time (bounds the memory of the fit)
_CHUNK = 128


def _padded(x: np.ndarray) -> np.ndarray:
    return np.pad(np.asarray(x, np.float64), RADIUS, mode="symmetric")


def _terms(padded: np.ndarray, rows: slice, cols: int) -> list[np.ndarray]:
    """The filter's ``TAPS`` inputs (centre, then each pair's sum) for ``rows`` of the
    frame whose symmetric extension is ``padded``."""
    a, z = rows.start + RADIUS, rows.stop + RADIUS

    def shifted(di: int, dj: int) -> np.ndarray:
        return padded[a + di : z + di, RADIUS + dj : RADIUS + dj + cols]

    return [shifted(0, 0)] + [shifted(di, dj) + shifted(-di, -dj) for di, dj in PAIRS]


def fit(decoded: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(int64 ``(TAPS,)`` coefficients in units of ``1/UNIT``, squared error before,
    squared error after) of the least-squares filter that takes the float ``decoded``
    frame ``(rows, cols)`` closest to ``target`` (the same shape), every pixel counted
    (a regular subsample would alias with the wavelet's dyadic structure)."""
    rows, cols = decoded.shape
    padded = _padded(decoded)
    gram, cross, before = np.zeros((TAPS, TAPS)), np.zeros(TAPS), 0.0
    for start in range(0, rows, _CHUNK):
        part = slice(start, min(start + _CHUNK, rows))
        a = np.stack([t.reshape(-1) for t in _terms(padded, part, cols)], axis=1)
        b = np.asarray(target[part], np.float64).reshape(-1)
        gram += a.T @ a
        cross += a.T @ b
        before += float(b @ b)
    identity = np.zeros(TAPS)
    identity[0] = 1.0
    try:
        solved = np.linalg.solve(gram, cross)
    except np.linalg.LinAlgError:  # a flat frame: nothing to fit
        solved = identity
    coefficients = np.rint(solved * UNIT).astype(np.int64)
    c = coefficients / UNIT
    after = before - 2 * float(c @ cross) + float(c @ gram @ c)
    before = before - 2 * float(identity @ cross) + float(gram[0, 0])
    return coefficients, before, max(after, 0.0)


def apply(decoded: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """The float64 frame ``decoded`` ``(rows, cols)`` filtered with ``coefficients``
    (:func:`fit`)."""
    rows, cols = decoded.shape
    c = np.asarray(coefficients, np.float64) / UNIT
    padded = _padded(decoded)
    out = np.zeros((rows, cols))
    for start in range(0, rows, _CHUNK):
        part = slice(start, min(start + _CHUNK, rows))
        acc = out[part]
        for weight, term in zip(c.tolist(), _terms(padded, part, cols), strict=True):
            acc += weight * term
    return out


def _zigzag(value: int) -> int:
    return 2 * value if value >= 0 else -2 * value - 1


def _unzigzag(value: int) -> int:
    return value // 2 if value % 2 == 0 else -(value + 1) // 2


def packed(coefficients: np.ndarray | None) -> bytes:
    """The side information of a frame's filter (None: no filter, one byte)."""
    if coefficients is None:
        return b"\x00"
    values = [int(coefficients[0]) - UNIT, *(int(v) for v in coefficients[1:])]
    return bytes([TAPS]) + b"".join(varint.encode(_zigzag(v)) for v in values)


def unpacked(frame: bytes, pos: int) -> tuple[np.ndarray | None, int]:
    """(coefficients or None, position after them) of :func:`packed` at ``pos``."""
    if pos >= len(frame) or frame[pos] not in (0, TAPS):
        raise CodecError("RWNet frame side information damaged (post-filter)")
    if frame[pos] == 0:
        return None, pos + 1
    pos += 1
    values = []
    for _ in range(TAPS):
        value, pos = varint.decode(frame, pos, "RWNet frame post-filter", CodecError)
        values.append(_unzigzag(value))
    values[0] += UNIT
    return np.array(values, np.int64), pos


#: decibels that doubling a frame's bytes buys, per 0-based level: the median over the
#: development set's consecutive levels (``benchmarks/results/rwnet_dev.json``, payload
#: version 9); the encoder values the filter's gain at what those bytes would cost
DB_PER_DOUBLING = (4.6, 3.0, 3.3, 4.2, 5.3, 6.5, 8.0, 11.8, 16.0, 14.9, 14.9)


def choose(
    decoded: np.ndarray, target: np.ndarray, level: int, stream_bytes: int, quantum: float = 0.0
) -> np.ndarray | None:
    """The coefficients (:func:`fit`) of the filter for the frame ``decoded`` (the
    decoder's reconstruction) of ``target``, or None where it does not pay: where its
    gain in dB (the stored values' rounding, ``quantum**2 / 12`` per pixel, counted
    as the error it adds to both), valued at ``DB_PER_DOUBLING`` of the level for a frame
    of ``stream_bytes``, is less than its side information."""
    coefficients, before, after = fit(decoded, target)
    rounding = decoded.size * quantum**2 / 12.0
    if not after < before:
        return None
    gain_db = 10.0 * np.log10((before + rounding) / (after + rounding))
    worth = 8.0 * stream_bytes * gain_db / DB_PER_DOUBLING[min(level, 10)]
    return coefficients if worth > 8 * len(packed(coefficients)) else None
