"""RWNet's post-filter (payload version 10): a point-symmetric linear filter over a
diamond of radius 1-4 (at most 41 taps, 20 pairs) that the encoder fits to each frame by
least squares (a Wiener filter, as the adaptive loop filter of H.266/VVC) and sends in
the frame's side information where it pays, the diamond that pays most; the decoder
applies it to the reconstruction.

At low and middle rates a wavelet codec's error is smooth ringing around edges and the
DC's quantisation steps; a filter fitted to the image takes some of it off. Development
set (``benchmarks/probes/post_filter.py``, every 4th image at levels 2/4/6/8, bytes the
encoder's choice saves, % of the files, CR/DX / MR / CT / US): a 5 x 5 square filter
2.75 / 1.65 / 0.75 / 0.68; the same about its centre (its gain kept when its
coefficients are rounded) 3.94 / 1.91 / 0.78 / 0.69; a diamond of radius 3 4.69 / 2.00
/ 0.89 / 0.73, of radius 4 5.22 / 2.20 / 1.04 / 0.74. Written here because no library
fits a signalled filter: SciPy and scikit-image filter with given kernels, and the fit
is a 21-unknown least-squares problem (NumPy).

The filter: ``out = (1 + gain) * x + sum_k c_k * (x[r + di, c + dj] + x[r - di, c - dj]
- 2 x)`` over ``PAIRS``, with ``x`` extended symmetrically beyond its edges;
coefficients in units of ``1 / UNIT``. The decoder computes it in float32 as the
centre's weight times ``x`` plus each pair's sum times its weight, in a fixed order,
so a frame decodes to the same values on every machine.

Side information (:func:`packed`): ``u8 n (0: none, or one of SHAPES) | n zigzag
varints`` — the gain's coefficient first, then each pair's (``PAIRS``' first n - 1).
"""

from __future__ import annotations

import numpy as np

from medcomp_gui import varint
from medcomp_gui.errors import CodecError

RADIUS = 4
#: the offsets of the pairs of taps within the diamond of ``RADIUS`` (each pair: the
#: offset and its opposite), shell by shell: the first pairs make the smaller diamonds
PAIRS = tuple(
    sorted(
        (
            (di, dj)
            for di in range(-RADIUS, RADIUS + 1)
            for dj in range(-RADIUS, RADIUS + 1)
            if (di, dj) > (0, 0) and abs(di) + abs(dj) <= RADIUS
        ),
        key=lambda d: (abs(d[0]) + abs(d[1]), d),
    )
)
#: the coefficients of the largest filter: the gain's, then each pair's
TAPS = 1 + len(PAIRS)
#: the filters the encoder chooses from, by their coefficients: the diamonds of radius
#: 1-4 (a small image's filter pays only with few coefficients)
SHAPES = tuple(1 + sum(abs(di) + abs(dj) <= r for di, dj in PAIRS) for r in range(1, RADIUS + 1))
#: the coefficients' unit (development set, ``benchmarks/probes/post_filter.py``: with
#: the pairs' terms taken about the centre, 1/1024 codes as well as 1/4096)
UNIT = 1024
#: the largest coefficient a frame may carry, in units of ``1/UNIT`` (64: a fitted filter
#: beyond it is ill-conditioned, a nearly flat frame's; a decoder meeting one has a
#: damaged frame)
LIMIT = 64 * UNIT
#: rows of the frame the filter takes at a time (bounds its memory)
_CHUNK = 128
#: about how many pixels the fit takes (whole chunks of rows, evenly spread: a regular
#: subsample of rows or columns would alias with the wavelet's dyadic structure)
FIT_PIXELS = 1 << 18


def _padded(x: np.ndarray) -> np.ndarray:
    return np.pad(np.asarray(x, np.float32), RADIUS, mode="symmetric")


def _pair_sums(
    padded: np.ndarray, rows: slice, cols: int, pairs: int = TAPS - 1
) -> tuple[np.ndarray, list]:
    """(the centre, the sum of each of the first ``pairs`` pairs) for ``rows`` of the
    frame whose symmetric extension is ``padded``."""
    a, z = rows.start + RADIUS, rows.stop + RADIUS

    def shifted(di: int, dj: int) -> np.ndarray:
        return padded[a + di : z + di, RADIUS + dj : RADIUS + dj + cols]

    return shifted(0, 0), [shifted(di, dj) + shifted(-di, -dj) for di, dj in PAIRS[:pairs]]


def _chunks(rows: int, step: int = 1) -> list[slice]:
    starts = range(0, rows, _CHUNK)
    return [slice(a, min(a + _CHUNK, rows)) for a in list(starts)[::step]]


def fit(decoded: np.ndarray, target: np.ndarray) -> tuple[list[tuple[np.ndarray, float]], float]:
    """([(int64 coefficients in units of ``1/UNIT``, squared error after) of each of
    ``SHAPES``], squared error before; errors per pixel): the least-squares filters that
    take the float ``decoded`` frame ``(rows, cols)`` closest to ``target`` (the same
    shape): ``out = x + gain * x + sum_k c_k * (pair_k - 2 x)`` (the pairs' terms about
    the centre, so that rounding their coefficients keeps the filter's gain; the gain's
    coefficient only where it pays: at the lowest levels the best filter also scales
    the image). Fitted on about ``FIT_PIXELS`` pixels; one set of normal equations
    serves every shape (a smaller diamond's terms are the first ones)."""
    rows, cols = decoded.shape
    padded = _padded(decoded)
    step = max(1, rows * cols // FIT_PIXELS)
    gram, cross, before, n = np.zeros((TAPS, TAPS)), np.zeros(TAPS), 0.0, 0
    for part in _chunks(rows, step):
        centre, sums = _pair_sums(padded, part, cols)
        terms = [centre.reshape(-1)] + [(t - 2 * centre).reshape(-1) for t in sums]
        a = np.stack(terms, axis=1, dtype=np.float64)
        b = (np.asarray(target[part], np.float64) - centre).reshape(-1)
        gram += a.T @ a
        cross += a.T @ b
        before += float(b @ b)
        n += b.size
    out = []
    for taps in SHAPES:
        best = np.zeros(taps, np.int64), before
        for first in (1, 0):  # without the gain, then with it
            try:
                solved = np.linalg.solve(gram[first:taps, first:taps], cross[first:taps])
            except np.linalg.LinAlgError:  # a flat frame: nothing to fit
                continue
            if not np.all(np.abs(solved) * UNIT <= LIMIT):  # also NaN
                continue
            coefficients = np.zeros(taps, np.int64)
            coefficients[first:] = np.rint(solved * UNIT)
            c = coefficients / UNIT
            g, x = gram[:taps, :taps], cross[:taps]
            after = before - 2 * float(c @ x) + float(c @ g @ c)
            if after < best[1] - 1e-12 * before:
                best = coefficients, after
        out.append((best[0], max(best[1], 0.0) / max(n, 1)))
    return out, before / max(n, 1)


def apply(decoded: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """The float32 frame ``decoded`` ``(rows, cols)`` filtered with ``coefficients`` (one
    of ``SHAPES``, :func:`fit`): ``centre * x + sum_k c_k * pair_k`` in float32, term by
    term in the order of ``PAIRS``."""
    rows, cols = decoded.shape
    c = np.asarray(coefficients, np.float64) / UNIT
    centre_weight = np.float32(1.0 + c[0] - 2.0 * c[1:].sum())
    weights = c[1:].astype(np.float32)
    padded = _padded(decoded)
    out = np.empty((rows, cols), np.float32)
    for part in _chunks(rows):
        centre, sums = _pair_sums(padded, part, cols, weights.size)
        acc = centre * centre_weight
        for weight, term in zip(weights, sums, strict=True):
            acc += weight * term
        out[part] = acc
    return out


def _zigzag(value: int) -> int:
    return 2 * value if value >= 0 else -2 * value - 1


def _unzigzag(value: int) -> int:
    return value // 2 if value % 2 == 0 else -(value + 1) // 2


def packed(coefficients: np.ndarray | None) -> bytes:
    """The side information of a frame's filter (None: no filter, one byte)."""
    if coefficients is None:
        return b"\x00"
    head = bytes([len(coefficients)])
    return head + b"".join(varint.encode(_zigzag(int(v))) for v in coefficients)


def unpacked(frame: bytes, pos: int) -> tuple[np.ndarray | None, int]:
    """(coefficients or None, position after them) of :func:`packed` at ``pos``."""
    if pos >= len(frame) or frame[pos] not in (0, *SHAPES):
        raise CodecError("RWNet frame side information damaged (post-filter)")
    if frame[pos] == 0:
        return None, pos + 1
    taps = frame[pos]
    pos += 1
    values = []
    for _ in range(taps):
        value, pos = varint.decode(frame, pos, "RWNet frame post-filter", CodecError)
        values.append(_unzigzag(value))
    if max(abs(v) for v in values) > LIMIT:
        raise CodecError("RWNet frame side information damaged (post-filter)")
    return np.array(values, np.int64), pos


#: decibels that doubling a frame's bytes buys, per 0-based level: the median over the
#: development set's consecutive levels (``benchmarks/results/rwnet_dev.json``, payload
#: version 9); the encoder values the filter's gain at what those bytes would cost
DB_PER_DOUBLING = (4.6, 3.0, 3.3, 4.2, 5.3, 6.5, 8.0, 11.8, 16.0, 14.9, 14.9)
#: the share of that worth the encoder counts (development set, all 60 images, the
#: radius-4 filter alone: 2 / 1 / 0.5 gave -11.07 / -11.15 / -11.18 % BD-rate; a filter
#: that barely pays moves a point of the curve for little)
WORTH_FACTOR = 0.5


def choose(
    decoded: np.ndarray, target: np.ndarray, level: int, stream_bytes: int, quantum: float = 0.0
) -> np.ndarray | None:
    """The coefficients of the filter (:func:`fit`, one of ``SHAPES``) that pays most for
    the frame ``decoded`` (the decoder's reconstruction) of ``target``, or None where
    none pays: a filter's gain in dB (the stored values' rounding, ``quantum**2 / 12``
    per pixel, counted as the error it adds to both), valued at ``DB_PER_DOUBLING`` of
    the level for a frame of ``stream_bytes`` and times ``WORTH_FACTOR``, less its side
    information."""
    fitted, before = fit(decoded, target)
    rounding = quantum**2 / 12.0
    best, most = None, 0.0
    for coefficients, after in fitted:
        if not after < before:
            continue
        gain_db = 10.0 * np.log10((before + rounding) / (after + rounding))
        worth = WORTH_FACTOR * 8.0 * stream_bytes * gain_db / DB_PER_DOUBLING[min(level, 10)]
        net = worth - 8 * len(packed(coefficients))
        if net > most:
            best, most = coefficients, net
    return best
