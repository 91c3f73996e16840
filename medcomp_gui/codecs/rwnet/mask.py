"""Background masks of RWNet frames: large regions at exactly the frame's lowest value.

CT slices carry a padding value outside the reconstruction circle, radiographs a
collimated border at 0, MR a zero-filled background. Those regions are not image, but
their sharp borders are the most expensive thing a wavelet codec codes (on a CT head at
high quality about 40 % of the bits went to the blocks along the circle). With a mask
the encoder codes a frame whose masked pixels are replaced by a smooth continuation of
the rest (:func:`fill`), and the decoder puts the masked pixels back to the exact
value. The mask is a subset of the pixels at that value, so it loses nothing; pixels at
the value but outside the mask (ragged borders, isolated pixels) are coded like any
other.

Mask stream (:func:`encode_mask`): ``u8 order | u32 words[...]`` — an ANS stream
(constriction) of each row's *transitions* (the columns where the mask switches on or
off), row by row: whether the row has as many transitions as the row above; if so,
each transition as its offset from a prediction (``order`` 1: the same column as
above; 2: that column moved as it moved between the two rows above; its counts chosen
by how far that column moved between the two rows above), else the count
(uniformly) and the gaps between the columns (the gap's bit length, then its lower
bits uniformly). The flag, the offsets and the bit lengths have adaptive counts,
updated after each row in both directions. Written by hand: no maintained Python library encodes
bilevel images (imagecodecs' CCITT G4 encoder is missing from its wheels, JBIG2 decodes
only), and a general-purpose compressor spends 3-5 times as many bytes on such masks.
"""

from __future__ import annotations

import struct

import numpy as np

from medcomp_gui.errors import CodecError

#: smallest background region kept in a mask (pixels), and the square opening that
#: takes ragged borders, thin lines and isolated pixels out of the mask first
MIN_REGION = 1024
OPENING = 5
#: a mask whose border is soft — the median pixel just outside it within this share of
#: the frame's range of ``low`` (MR noise, a collimator's penumbra) — is not worth
#: trying: on the development set the masks that paid had borders of 26-92 % of the
#: range, those that did not 0.05-0.45 % (one paid at two high levels only)
SOFT_BORDER = 0.02
#: offsets -SPAN..SPAN get their own symbol; others are escaped and coded as a column
SPAN = 8
_ESCAPE = 2 * SPAN + 1
#: contexts of an offset: the column's last move, clipped to -SLOPE..SLOPE, or none
SLOPE = 3
_CONTEXTS = 2 * SLOPE + 2
_STEP = 32
_LIMIT = 1 << 16
_ORDER = struct.Struct("<B")


def background_mask(values: np.ndarray, low: int, high: int) -> np.ndarray | None:
    """bool ``(rows, cols)``: the large regions (``MIN_REGION`` pixels or more, after an
    opening by ``OPENING`` x ``OPENING``) of ``values`` equal to ``low``; ``None`` when
    there is none, when it would cover the whole frame (a constant frame), or when its
    border is soft (``SOFT_BORDER``; ``high``: the frame's largest value)."""
    from scipy import ndimage

    values = np.asarray(values)
    at = values == low
    if at.sum() < MIN_REGION or at.all():
        return None
    opened = opening(at) & at
    labels, _ = ndimage.label(opened)
    keep = np.bincount(labels.reshape(-1)) >= MIN_REGION
    keep[0] = False
    mask = keep[labels]
    if not mask.any():
        return None
    ring = ndimage.binary_dilation(mask, iterations=2) & ~mask
    border = np.median(values[ring].astype(np.float64) - low) if ring.any() else 0.0
    return mask if border > SOFT_BORDER * max(high - low, 1) else None


def opening(at: np.ndarray) -> np.ndarray:
    """The opening of bool ``at`` by an ``OPENING`` x ``OPENING`` square, beyond the edges
    all True: ``ndimage.binary_opening(at, square, border_value=1)``, as a minimum then a
    maximum filter (separable running extremes: 2-4x faster on 1-4 Mpixel frames)."""
    from scipy import ndimage

    eroded = ndimage.minimum_filter(at.view(np.uint8), size=OPENING, mode="constant", cval=1)
    return ndimage.maximum_filter(eroded, size=OPENING, mode="constant", cval=1).view(bool)


def fill(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """float32 copy of ``x`` ``(rows, cols)`` whose ``mask`` pixels continue the others
    smoothly (push-pull: masked averages down a pyramid, bilinear interpolation back up),
    so the transform sees no border where the mask begins. Encoder only: float32 (a
    large frame's pyramid stays under twice its size)."""
    from scipy import ndimage

    value = np.where(mask, np.float32(0), np.asarray(x, np.float32))
    weight = (~mask).astype(np.float32)
    pyramid = []
    while (weight == 0).any() and min(value.shape) > 1:
        pyramid.append((value, weight))
        value, weight = _halve(value), _halve(weight)
    mean = np.float32(value.sum(dtype=np.float64) / weight.sum(dtype=np.float64))
    estimate = np.where(weight > 0, value / np.maximum(weight, np.float32(1e-30)), mean)
    for value, weight in reversed(pyramid):
        up = ndimage.zoom(estimate, 2, order=1, mode="nearest", grid_mode=True)
        up = up[: value.shape[0], : value.shape[1]]
        estimate = np.where(weight > 0, value / np.maximum(weight, np.float32(1e-30)), up)
    out = np.asarray(x, np.float32).copy()
    out[mask] = estimate[mask]
    return out


def _halve(a: np.ndarray) -> np.ndarray:
    a = np.pad(a, ((0, a.shape[0] % 2), (0, a.shape[1] % 2)))
    return a.reshape(a.shape[0] // 2, 2, a.shape[1] // 2, 2).sum(axis=(1, 3))


def transitions(mask: np.ndarray) -> list[np.ndarray]:
    """Per row, the int64 columns ``0..cols`` where the mask switches (an even count:
    on at ``t[0]``, off at ``t[1]``, ...)."""
    edges = np.diff(np.asarray(mask, np.int8), axis=1, prepend=0, append=0)
    return [np.flatnonzero(row) for row in edges]


def from_transitions(rows: list[np.ndarray], cols: int) -> np.ndarray:
    """Inverse of :func:`transitions`."""
    mask = np.zeros((len(rows), cols + 1), np.int8)
    for i, t in enumerate(rows):
        mask[i, t[0::2]] += 1
        mask[i, t[1::2]] -= 1
    return np.cumsum(mask, axis=1)[:, :cols].astype(bool)


class _Offsets:
    """One :class:`_Adaptive` per context; a row's offsets are coded with the counts as
    they were before the row."""

    def __init__(self) -> None:
        self.counts = [_Adaptive(_ESCAPE + 1) for _ in range(_CONTEXTS)]

    def models(self, contexts: np.ndarray) -> list:
        made = {int(c): self.counts[int(c)].model() for c in np.unique(contexts)}
        return [made[int(c)] for c in contexts]

    def update(self, symbols: np.ndarray, contexts: np.ndarray) -> None:
        for c in np.unique(contexts):
            self.counts[int(c)].update(symbols[contexts == c])


class _Adaptive:
    """Integer symbol counts (both directions update them identically), as a
    constriction model."""

    def __init__(self, size: int) -> None:
        self.counts = np.ones(size, np.int64)

    def model(self):
        import constriction

        probs = self.counts.astype(np.float64) / self.counts.sum()
        return constriction.stream.model.Categorical(probs, perfect=False)

    def update(self, symbols) -> None:
        np.add.at(self.counts, np.asarray(symbols, np.int64), _STEP)
        if self.counts.sum() > _LIMIT:
            self.counts = (self.counts + 1) // 2


def _bits(cols: int) -> int:
    """Symbols of a gap's bit length: 0 .. bit_length(cols)."""
    return int(cols).bit_length() + 1


def _bit_lengths(gaps: np.ndarray) -> np.ndarray:
    return np.array([int(g).bit_length() for g in gaps.tolist()], np.int64)


def _low_bits(n: int):
    """Uniform model of the ``n - 1`` bits below a gap's top bit."""
    import constriction

    return constriction.stream.model.Uniform(1 << (n - 1))


def _prediction(order: int, above: np.ndarray, before: np.ndarray | None) -> np.ndarray:
    if order == 2 and before is not None:
        return 2 * above - before
    return above


def _contexts(above: np.ndarray, before: np.ndarray | None) -> np.ndarray:
    if before is None:
        return np.full(above.size, _CONTEXTS - 1, np.int64)
    return np.clip(above - before, -SLOPE, SLOPE) + SLOPE


def _symbols(rows: list[np.ndarray], cols: int, order: int):
    """Yield per row (same, (offset symbols, their contexts) or None, escaped columns,
    new-count columns)."""
    above, before = np.zeros(0, np.int64), None
    for t in rows:
        same = t.size == above.size
        if same:
            offset = t - _prediction(order, above, before)
            inside = np.abs(offset) <= SPAN
            symbols = np.where(inside, offset + SPAN, _ESCAPE)
            yield True, (symbols, _contexts(above, before)), t[~inside], None
            before = above
        else:
            yield False, None, None, t
            before = None
        above = t


def _cost(rows: list[np.ndarray], cols: int, order: int) -> float:
    """Empirical conditional entropy (bits) of the offsets in their contexts, escapes
    included: the encoder's quick measure for the choice of ``order``."""
    symbols, contexts, escaped = [], [], 0
    for same, coded, escapes, _ in _symbols(rows, cols, order):
        if same:
            symbols.append(coded[0])
            contexts.append(coded[1])
            escaped += escapes.size
    if not symbols:
        return 0.0
    key = np.concatenate(contexts) * (_ESCAPE + 1) + np.concatenate(symbols)
    _, pair_counts = np.unique(key, return_counts=True)
    _, context_counts = np.unique(key // (_ESCAPE + 1), return_counts=True)
    entropy = float((context_counts * np.log2(context_counts)).sum())
    entropy -= float((pair_counts * np.log2(pair_counts)).sum())
    return entropy + escaped * np.log2(cols + 1)


def encode_mask(mask: np.ndarray) -> bytes:
    """Bytes of a bool mask ``(rows, cols)`` (see the module docstring)."""
    import constriction

    mask = np.asarray(mask, bool)
    cols = mask.shape[1]
    rows = transitions(mask)
    order = min((1, 2), key=lambda o: _cost(rows, cols, o))
    flags, offsets, lengths = _Adaptive(2), _Offsets(), _Adaptive(_bits(cols))
    column = constriction.stream.model.Uniform(cols + 1)
    pairs = constriction.stream.model.Uniform(cols // 2 + 2)
    coded = []  # (symbols, model) in decoding order
    for same, symbols, escaped, fresh in _symbols(rows, cols, order):
        coded.append((np.array([int(same)], np.int32), flags.model()))
        flags.update([int(same)])
        if same:
            symbols, contexts = symbols
            models = offsets.models(contexts)
            for s, model in zip(symbols.tolist(), models, strict=True):
                coded.append((np.array([s], np.int32), model))
            offsets.update(symbols, contexts)
            if escaped.size:
                coded.append((escaped.astype(np.int32), column))
        else:
            coded.append((np.array([fresh.size // 2], np.int32), pairs))
            if fresh.size:
                gaps = np.diff(fresh, prepend=0)
                size = _bit_lengths(gaps)
                coded.append((size.astype(np.int32), lengths.model()))
                lengths.update(size)
                for gap, n in zip(gaps.tolist(), size.tolist(), strict=True):
                    if n > 1:  # the top bit is implied
                        coded.append((np.array([gap - (1 << (n - 1))], np.int32), _low_bits(n)))
    coder = constriction.stream.stack.AnsCoder()
    for symbols, model in reversed(coded):
        coder.encode_reverse(symbols, model)
    return _ORDER.pack(order) + coder.get_compressed().astype("<u4").tobytes()


def decode_mask(data: bytes, shape: tuple[int, int]) -> np.ndarray:
    """Inverse of :func:`encode_mask`; CodecError for a damaged stream."""
    import constriction

    n_rows, cols = shape
    if len(data) < _ORDER.size + 4 or (len(data) - _ORDER.size) % 4:
        raise CodecError("RWNet background mask damaged")
    (order,) = _ORDER.unpack_from(data)
    if order not in (1, 2):
        raise CodecError("RWNet background mask damaged (unknown order)")
    words = np.frombuffer(data, "<u4", offset=_ORDER.size).astype(np.uint32)
    flags, offsets, lengths = _Adaptive(2), _Offsets(), _Adaptive(_bits(cols))
    column = constriction.stream.model.Uniform(cols + 1)
    pairs = constriction.stream.model.Uniform(cols // 2 + 2)
    rows: list[np.ndarray] = []
    above, before = np.zeros(0, np.int64), None
    try:
        coder = constriction.stream.stack.AnsCoder(words)
        for _ in range(n_rows):
            same = int(coder.decode(flags.model(), 1)[0])
            flags.update([same])
            if same:
                t = _prediction(order, above, before).copy()
                if t.size:
                    contexts = _contexts(above, before)
                    models = offsets.models(contexts)
                    symbols = np.array([int(coder.decode(m, 1)[0]) for m in models], np.int64)
                    offsets.update(symbols, contexts)
                    escaped = symbols == _ESCAPE
                    t = np.where(escaped, 0, t + symbols - SPAN)
                    if escaped.any():
                        t[escaped] = np.asarray(coder.decode(column, int(escaped.sum())))
                before = above
            else:
                count = 2 * int(coder.decode(pairs, 1)[0])
                size = np.asarray(coder.decode(lengths.model(), count), np.int64)
                lengths.update(size)
                gaps = [
                    (1 << (n - 1)) + int(coder.decode(_low_bits(n), 1)[0]) if n > 1 else n
                    for n in size.tolist()
                ]
                t = np.cumsum(np.asarray(gaps, np.int64))
                before = None
            if t.size % 2 or np.any(np.diff(t) <= 0) or (t.size and (t[0] < 0 or t[-1] > cols)):
                raise CodecError("RWNet background mask damaged (transitions out of order)")
            rows.append(t.astype(np.int64))
            above = rows[-1]
        if not coder.is_empty():
            raise CodecError("RWNet background mask damaged (unused data)")
    except CodecError:
        raise
    except Exception as exc:  # constriction reports damage with several exception types
        raise CodecError(f"RWNet background mask damaged ({exc})") from exc
    return from_transitions(rows, cols)
