"""Entropy coding of RWNet's integer latents with constriction's ANS coder.

Decoding order: the activity class of every latent position (:mod:`.contexts`; row by
row, each row's tables chosen by the row above; from payload version 7 on one at a
time, each table mixed with the counts of the classes before it in its count context,
:func:`adaptive_class_weights`), then the DC residuals row by row
(their bins from the row above, :func:`~.contexts.dc_bins`), then for each other channel
(as its prediction residual, see :mod:`.prediction`) and each (class, context bin) pair, the
values of that channel at the positions of that pair, each group with the categorical
model of its table, mixed with the counts of its band so far (:mod:`.adaptive`; by sign
level too in bands with sign prediction, and from payload version 8 on by neighbour
sub-context as well, each group's key :meth:`~.adaptive.BandCounts.effective`). A detail
value's context bin comes from channels
decoded before it (:func:`~.contexts.channel_bins`); the coarsest level's bands
(:func:`~.contexts.row_channels`) are decoded row by row, their bins also taking in their
own row above. At positions of class 0 only the DC is coded (every other residual is 0
there).
Each group of the latent (:func:`~.contexts.channel_groups`: the classes, the DC, each
band) may take its tables from another quality level than the frame's own
(``table_levels``): the encoder picks, per group, the level whose tables code that
image's values in the fewest bits (:func:`choose_table_levels`; a forward-adaptive
choice of scale, carried in the frame's side information, :mod:`.codec`).
Values outside a table are coded as its escape symbol and stored after the ANS words as
zigzag LEB128 varints (1-5 bytes), so any int32 value can be coded. Both directions
depend only on the integer tables and the symbols.

Frame stream: ``varint n_words, varint n_escapes, u32 words[n_words], zigzag varint
escapes[n_escapes]`` (lengths: unsigned LEB128, :mod:`medcomp_gui.varint`).
"""

from __future__ import annotations

import numpy as np

from medcomp_gui import varint
from medcomp_gui.codecs.rwnet import adaptive
from medcomp_gui.codecs.rwnet.adaptive import (
    DC_GROUP,
    KEYS,
    SIGN_LEVELS,
    WEIGHT,
    BandCounts,
    default_weights,
    side_bytes,
    with_subs,
)
from medcomp_gui.codecs.rwnet.contexts import (
    BINS,
    CLASSES,
    GROUPS,
    activity_classes,
    block_neighbours,
    channel_bins,
    channel_groups,
    class_context,
    class_context_group,
    dc_bins,
    row_channels,
)
from medcomp_gui.codecs.rwnet.prediction import coefficients, from_residual, to_residual
from medcomp_gui.codecs.rwnet.tables import BITS_OF_ENTRY, TOTAL, Tables
from medcomp_gui.errors import CodecError


def _family():
    """Categorical models whose probabilities come with each symbol."""
    import constriction

    return constriction.stream.model.Categorical(perfect=False)


#: sign prediction (payload version 6): how strongly, as a share of the value pairs
#: that are both nonzero, a band's signs must agree or disagree with their neighbours'
#: for its weight to be used (:func:`sign_weights`)
SIGN_AGREEMENT = 0.15


def sign_weights(by_channel: np.ndarray, where: list[np.ndarray]) -> np.ndarray:
    """int64 ``(GROUPS, 2)`` in {-1, 0, 1}: per band, whether a detail value's sign
    tends to agree (1) or disagree (-1) with the sign of the value above it and of the
    value to its left in its block (:func:`~.contexts.block_neighbours`), or neither
    (0): the encoder's side information for :func:`sign_context`. Smooth radiographs' fine
    bands have signs that follow their neighbours' (an ideal coder of the sign given
    the two: 12-22 % fewer sign bits on simulated radiographs at level 9); noise does
    not."""
    channels = by_channel.shape[0]
    weights = np.zeros((GROUPS, 2), np.int64)
    if channels != 4**4:
        return weights
    near, groups = block_neighbours(), channel_groups(channels)
    agree = np.zeros((GROUPS, 2), np.int64)
    pairs = np.zeros((GROUPS, 2), np.int64)
    for c in range(1, channels):
        w = where[c]
        if w.size == 0:
            continue
        own = np.sign(by_channel[c, w])
        for side in (0, 1):
            if near[c, side] >= 0:
                product = own * np.sign(by_channel[near[c, side], w])
                agree[groups[c], side] += int(product.sum())
                pairs[groups[c], side] += int(np.count_nonzero(product))
    strong = np.abs(agree) > SIGN_AGREEMENT * np.maximum(pairs, 1)
    weights[strong] = np.sign(agree[strong])
    return weights


def sign_context(
    by_channel: np.ndarray, c: int, where: np.ndarray, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray] | None:
    """(flips, levels) of channel ``c`` at positions ``where``: int64 +-1, -1 where its
    neighbours' signs, weighted by its band's ``weights`` (:func:`sign_weights`),
    predict a negative value; and int64 0 .. ``SIGN_LEVELS - 1``, how many of them
    predict it. A value is coded times its flip, and its band's adapted counts
    (:mod:`.adaptive`) are kept per (class, bin, level), so that they learn how often
    the prediction holds (the static tables are those of the (class, bin)). None: no
    sign prediction for this channel."""
    if weights is None or by_channel.shape[0] != 4**4:
        return None
    band = weights[int(channel_groups(by_channel.shape[0])[c])]
    near = block_neighbours()[c]
    if not any(band[side] and near[side] >= 0 for side in (0, 1)):
        return None
    score = np.zeros(where.size, np.int64)
    for side in (0, 1):
        if band[side] and near[side] >= 0:
            score += band[side] * np.sign(by_channel[near[side], where])
    return np.where(score < 0, -1, 1), np.minimum(np.abs(score), SIGN_LEVELS - 1)


#: adaptive class coding (payload version 7 on): the static class table's weight, in
#: counts, against the counts of the classes coded before in the same count context
#: (:func:`class_count_contexts`). Ideal code lengths on 7 development images at levels
#: 2-10: weight 1 -20.1 %, 4 -23.9 %, 16 -22.7 %, 64 -17.7 % of the class bits (the
#: static tables were fitted with the AC prediction, whose residuals' classes differ);
#: counts by the largest class above alone -18.9 %, with the left class too -23.9 %
CLASS_WEIGHT = 4
#: count contexts of the classes: (largest class above or ``CLASSES`` on the first row)
#: times ``CLASSES + 1``, plus the class on the left (``CLASSES`` in the first column)
CLASS_COUNT_CONTEXTS = (CLASSES + 1) ** 2


def class_count_contexts(classes: np.ndarray) -> np.ndarray:
    """int64 ``(h, w)`` count context of each class of ``classes`` ``(h, w)``
    (:data:`CLASS_COUNT_CONTEXTS`): what a decoder knows when it decodes it, row by row
    and left to right."""
    classes = np.asarray(classes, np.int64)
    above = class_context_group(class_context(classes))
    left = np.full(classes.shape, CLASSES, np.int64)
    left[:, 1:] = classes[:, :-1]
    return above * (CLASSES + 1) + left


def adaptive_class_weights(classes: np.ndarray, tables: Tables, level: int) -> np.ndarray:
    """int64 ``(h * w, CLASSES)``: the weights each class symbol of ``classes`` ``(h, w)``
    is coded with (raster order): ``CLASS_WEIGHT`` times its static table (by the three
    classes above, :func:`~.contexts.class_context`, at table level ``level``) plus
    ``TOTAL`` times the counts of each class among the symbols before it in its count
    context (:func:`class_count_contexts`). The decoder (:func:`decode_latent`) builds
    the same integers one symbol at a time."""
    flat = np.asarray(classes, np.int64).reshape(-1)
    static = tables.class_pmf[level][class_context(classes).reshape(-1)].astype(np.int64)
    context = class_count_contexts(classes).reshape(-1)
    order = np.argsort(context, kind="stable")
    onehot = np.zeros((flat.size, CLASSES), np.int64)
    onehot[np.arange(flat.size), flat[order]] = 1
    before = np.cumsum(onehot, axis=0) - onehot  # in context order
    starts = np.flatnonzero(np.r_[True, context[order][1:] != context[order][:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, flat.size]))
    counts = np.empty_like(before)
    counts[order] = before - before[first]  # before each symbol in its own context
    return CLASS_WEIGHT * static + TOTAL * counts


def _probabilities(weights: np.ndarray) -> np.ndarray:
    """Float64 probabilities of integer ``weights`` (last axis): each divided by its row's
    sum (an exact integer), so one row computed alone gives the same floats."""
    return weights / weights.sum(axis=-1, keepdims=True)


def _groups(classes: np.ndarray, bins: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
    """(class, bin, positions) of every non-empty pair, in coding order."""
    return [(k // BINS, k % BINS, at) for k, at in _key_groups(classes * BINS + bins)]


def _key_groups(key: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(key, positions) of every key present, in coding order (ascending keys, each's
    positions in their order)."""
    if key.size == 0:
        return []
    order = np.argsort(key, kind="stable")
    starts = _starts(key[order])
    keys = key[order][starts]
    ends = np.append(starts[1:], order.size)
    return [
        (k, order[a:b])
        for k, a, b in zip(keys.tolist(), starts.tolist(), ends.tolist(), strict=True)
    ]


def default_levels(level: int) -> np.ndarray:
    """Every group with the tables of the frame's own ``level``."""
    return np.full(GROUPS, level, np.int64)


def _table_levels(tables: Tables, level: int, table_levels: np.ndarray | None) -> np.ndarray:
    """int64 ``(channels + 1,)``: the table level of the classes (first), then of each
    channel."""
    chosen = default_levels(level) if table_levels is None else np.asarray(table_levels)
    if chosen.shape != (GROUPS,) or chosen.min() < 0 or chosen.max() >= tables.levels:
        raise CodecError("RWNet table levels out of range")
    return np.concatenate([[chosen[0]], chosen[channel_groups(tables.channels)]]).astype(np.int64)


def _layout(symbols: np.ndarray, tables: Tables, level: int, predict: bool = False):
    """(channel-major residuals, classes, positions coded per channel) of a latent
    (``predict``: with the AC prediction, :func:`~.prediction.coefficients`)."""
    h, w, channels = symbols.shape
    residual = to_residual(symbols, coefficients(tables.ac_coeffs, level, predict))
    classes = activity_classes(residual).reshape(-1)
    by_channel = np.ascontiguousarray(residual.reshape(-1, channels).T)
    busy = np.nonzero(classes)[0]  # class 0: every value but the DC is 0, nothing to code
    every = np.arange(classes.size)
    return by_channel, classes, [every if c == 0 else busy for c in range(channels)]


class Prepared:
    """What coding a latent and choosing its tables both compute from it: the layout
    (:func:`_layout`) and each detail channel's (class, bin) keys, computed once (the
    encoder does both: :meth:`~.codec.LoadedModel.encode_frame`; ``predict``: with the
    AC prediction, :func:`~.prediction.coefficients`)."""

    def __init__(
        self, symbols: np.ndarray, tables: Tables, level: int, predict: bool = False
    ) -> None:
        self.shape = symbols.shape[:2]
        self.predict = predict
        self.by_channel, self.classes, self.where = _layout(symbols, tables, level, predict)
        self._tables = tables
        self._keys: dict[int, np.ndarray] = {}
        self._signed: dict[tuple, tuple] = {}

    def keys(self, c: int) -> np.ndarray:
        """(class, bin) keys of detail channel ``c`` at its coded positions."""
        if c not in self._keys:
            where = self.where[c]
            bins = channel_bins(self.by_channel, self._tables.neighbours, c, self.shape, where)
            self._keys[c] = self.classes[where] * BINS + bins
        return self._keys[c]

    def signed(self, c: int, signs: np.ndarray | None) -> tuple:
        """(count keys with their sign levels, sign context (:func:`sign_context`; None:
        none), the keys with their neighbour sub-contexts (:func:`~.adaptive.with_subs`))
        of detail channel ``c`` by the sign weights ``signs``: the band choice and the
        coder both use them (computed once per ``signs``)."""
        if (c, id(signs)) not in self._signed:
            where, key = self.where[c], self.keys(c)
            context = sign_context(self.by_channel, c, where, signs)
            if context is not None:
                key = key + KEYS * context[1]
            sub_key = with_subs(key, self.by_channel, c, where)
            self._signed[c, id(signs)] = key, context, sub_key, signs
        return self._signed[c, id(signs)][:3]


def choose_table_levels(
    symbols: np.ndarray,
    tables: Tables,
    level: int,
    spread: int = 3,
    prepared: Prepared | None = None,
    predict: bool = False,
) -> np.ndarray:
    """int64 ``(GROUPS,)``: for each group, the level within ``spread`` of ``level`` whose
    tables code ``symbols`` in the fewest bits (ideal code lengths of the very tables the
    coder uses); a group keeps ``level`` unless another saves more than its side
    information (:data:`SIDE_BITS`); ``predict``: as :class:`Prepared`'s (``prepared``'s
    own when given)."""
    candidates = range(max(level - spread, 0), min(level + spread + 1, tables.levels))
    bits = group_bits(symbols, tables, level, candidates, prepared=prepared, predict=predict)
    chosen = default_levels(level)
    for g in range(GROUPS):
        best = min(candidates, key=lambda q: bits[q, g])
        if bits[best, g] + SIDE_BITS < bits[level, g]:
            chosen[g] = best
    return chosen


def group_bits(
    symbols: np.ndarray,
    tables: Tables,
    level: int,
    candidates,
    positions: np.ndarray | None = None,
    prepared: Prepared | None = None,
    predict: bool = False,
) -> np.ndarray:
    """``(levels, GROUPS)``: the bits of each group of ``symbols`` (frame level ``level``)
    with the tables of each level in ``candidates`` (other rows 0); with ``positions``
    (sorted raster indices), only the symbols there (``prepared``: only without; its
    ``predict`` overrides the one given, :class:`Prepared`)."""
    h, w, channels = symbols.shape
    if prepared is not None and positions is None:
        by_channel, classes, where = prepared.by_channel, prepared.classes, prepared.where
    else:
        if prepared is not None:
            predict = prepared.predict
        prepared = None
        by_channel, classes, where = _layout(symbols, tables, level, predict)
    if positions is not None:
        where = [np.intersect1d(c, positions, assume_unique=True) for c in where]
    bits = np.zeros((tables.levels, GROUPS))
    contexts = class_context(classes.reshape(h, w)).reshape(-1)
    groups = channel_groups(channels)
    for q in candidates:
        probs = tables.class_pmf[q][contexts, classes]
        bits[q, 0] = -np.log2((probs if positions is None else probs[positions]) / TOTAL).sum()
    for c in range(channels):
        if where[c].size == 0:
            continue
        if c == 0:
            key = classes[where[c]] * BINS + dc_bins(by_channel[0].reshape(h, w))[where[c]]
        elif prepared is not None:
            key = prepared.keys(c)
        else:
            bins = channel_bins(by_channel, tables.neighbours, c, (h, w), where[c])
            key = classes[where[c]] * BINS + bins
        levels = np.asarray(candidates)  # every candidate level's tables at once
        key, values, count = _distinct_pairs(key, by_channel[c, where[c]])
        lengths = lengths_with(tables, table_refs(tables, levels, c, key), values)
        for q, row in zip(levels.tolist(), lengths @ count, strict=True):
            bits[q, groups[c]] += row
    return bits


def _distinct_pairs(key: np.ndarray, values: np.ndarray):
    """The distinct (key, value) pairs of a channel and how often each occurs: a
    channel's values repeat (mostly 0 and +-1), and looking each one up in every
    candidate level's tables cost more than sorting them once."""
    low = int(values.min())
    span = int(values.max()) - low + 1
    pairs, count = np.unique(key.astype(np.int64) * span + (values - low), return_counts=True)
    return pairs // span, pairs % span + low, count.astype(np.float64)


#: bits of side information for one group coded with another level's tables
SIDE_BITS = 8
#: bits charged for an escaped value (besides its escape symbol)
ESCAPE_BITS = 32


def table_refs(tables: Tables, level: int, channel: int, key: np.ndarray):
    """(low, length, offset) of the table of each (class, bin) ``key`` of ``channel``;
    ``level`` an int, or an array of levels (then one row per level)."""
    return tuple(a[level, channel][..., key] for a in tables.by_channel())


def lengths_with(tables: Tables, refs, values: np.ndarray) -> np.ndarray:
    """Bits of ``values`` with the tables ``refs`` (:func:`table_refs`); an escaped value
    costs its symbol plus ``ESCAPE_BITS``."""
    low, length, offset = refs
    pos = values - low
    outside = (pos < 0) | (pos >= length)
    pos = np.where(outside, length, pos)
    return BITS_OF_ENTRY[tables.pmf[offset + pos]] + ESCAPE_BITS * outside


def code_lengths(tables: Tables, level: int, channel: int, key: np.ndarray, values: np.ndarray):
    """Bits of ``values`` (residuals) of ``channel`` whose (class, bin) is ``key``, with
    the tables of ``level``."""
    return lengths_with(tables, table_refs(tables, level, channel, key), values)


def encode_latent(
    symbols: np.ndarray,
    tables: Tables,
    level: int,
    table_levels: np.ndarray | None = None,
    prepared: Prepared | None = None,
    signs: np.ndarray | None = None,
    predict: bool = False,
    adapt_classes: bool = True,
    subs: bool | np.ndarray = False,
    weights: np.ndarray | None = None,
) -> bytes:
    """Bytes of the int32 latent ``symbols`` ``(h, w, channels)`` at 0-based ``level``,
    each group coded with the tables of its ``table_levels`` (default: ``level``), each
    detail value times its sign flip by ``signs`` (:func:`sign_context`; None: none),
    with the AC prediction if ``predict`` (:func:`~.prediction.coefficients`; payload
    versions before 7; ``prepared``'s own when given), the classes with adapted tables if
    ``adapt_classes`` (:func:`adaptive_class_weights`; payload version 7 on), the
    adapted values of the bands with sign prediction also counted by their neighbour
    sub-contexts if ``subs`` is True (:func:`~.adaptive.with_subs`; payload version 8),
    those of the bands ``subs`` flags if it is an array, each band's static tables
    weighted by its ``weights`` (default ``adaptive.WEIGHT``; version 9,
    :func:`encode_latent_choosing_bands`)."""
    import constriction

    h, w, channels = symbols.shape
    lv = _table_levels(tables, level, table_levels)
    prepared = prepared or Prepared(symbols, tables, level, predict)
    by_channel, classes, where_of = prepared.by_channel, prepared.classes, prepared.where
    coded, escapes = [], []  # in decoding order
    counts = BandCounts(weights)
    dc = dc_bins(by_channel[0].reshape(h, w)).reshape(h, w)
    dc_adapted = counts.by_rows(DC_GROUP)
    for c in range(channels):
        where_c, t = where_of[c], int(lv[c + 1])
        if c == 0:  # row by row (the decoder learns each row's bins from the row before)
            for i in range(h):
                row = slice(i * w, (i + 1) * w)
                groups = _groups(classes[row], dc[i])
                models = _dc_models(counts, tables, t, groups) if dc_adapted else None
                for j, (k, b, group) in enumerate(groups):
                    low, length = int(tables.low[t, k, c, b]), int(tables.length[t, k, c, b])
                    values = by_channel[c, i * w + group]
                    index = values.astype(np.int64) - low
                    outside = (index < 0) | (index >= length)
                    escapes.append(values[outside].astype(np.int32))
                    index[outside] = length
                    model = models[j] if models else tables.model(t, k, c, b)
                    coded.append((index.astype(np.int32), model))
                if dc_adapted:
                    counts.add(DC_GROUP, classes[row] * BINS + dc[i], by_channel[c, row])
        elif where_c.size:  # the whole channel at once, then one call per (class, bin) group
            coder_of = _Channel(tables, t, c, counts)
            key, context, sub_key = prepared.signed(c, signs)
            flips = None if context is None else context[0]
            if _with_subs(subs, coder_of.band, context):
                key = sub_key
            if coder_of.by_rows:  # each row with the counts of the rows before
                bounds = np.searchsorted(where_c, np.arange(h + 1) * w)
                for a, z in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
                    if a == z:
                        continue
                    row = where_c[a:z], key[a:z]  # (no sign prediction in these bands)
                    _code_channel(coder_of, *row, by_channel, (h, w), coded, escapes)
                continue
            _code_channel(coder_of, where_c, key, by_channel, (h, w), coded, escapes, flips)
    coder = constriction.stream.stack.AnsCoder()
    for index, model in reversed(coded):  # a stack: what is coded last is read first
        coder.encode_reverse(index, model)
    if adapt_classes:
        probs = _probabilities(adaptive_class_weights(classes.reshape(h, w), tables, int(lv[0])))
    else:
        contexts = class_context(classes.reshape(h, w)).reshape(-1)
        probs = tables.class_probabilities(int(lv[0]), contexts)
    coder.encode_reverse(classes, _family(), probs)
    words = coder.get_compressed().astype("<u4")
    escaped = np.concatenate(escapes) if escapes else np.zeros(0, np.int64)
    head = varint.encode(words.size) + varint.encode(escaped.size)
    return head + words.tobytes() + _varints(escaped)


def _dc_models(counts: BandCounts, tables: Tables, t: int, groups: list) -> list:
    """The models of one DC row's (class, bin) ``groups`` (:func:`_groups`), adapted by
    the counts of the rows before (payload version 9, a frame whose DC weight is set)."""
    keys = np.array([k * BINS + b for k, b, _ in groups], np.int64)
    return counts.models(tables, t, 0, DC_GROUP, keys)


def encode_latent_choosing_bands(
    symbols: np.ndarray,
    tables: Tables,
    level: int,
    table_levels: np.ndarray | None = None,
    prepared: Prepared | None = None,
    signs: np.ndarray | None = None,
) -> tuple[bytes, np.ndarray, np.ndarray]:
    """(bytes, sub-context flags, weights) of :func:`encode_latent` with each band's
    way of adapting chosen (payload version 9, :func:`choose_bands`)."""
    prepared = prepared or Prepared(symbols, tables, level)
    flags, weights = choose_bands(prepared, tables, level, table_levels, signs)
    stream = encode_latent(
        symbols, tables, level, table_levels, prepared, signs, subs=flags, weights=weights
    )
    return stream, flags, weights


def choose_bands(
    prepared: Prepared,
    tables: Tables,
    level: int,
    table_levels: np.ndarray | None = None,
    signs: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(bool flags, int64 weights), each ``(GROUPS,)``: for each band of adapted detail
    values, whether they are counted by their neighbour sub-contexts and the static
    tables' weight among ``adaptive.WEIGHTS`` that code them in the fewest ideal bits
    (:meth:`~.adaptive.BandCounts.estimate`, a pass over the latent that counts as the
    coder does; the counts are the same whatever a band chooses). Sub-contexts pay in
    the busy fine bands of smooth images and cost learning in coarse or noisy ones; the
    static tables deserve more weight at high levels and in coarse bands, less in a
    radiograph's fine bands (development set, every 3rd image at levels 3/5/7/9: one
    weight per band would save 0.15-0.94 % of each group's bytes)."""
    lv = _table_levels(tables, level, table_levels)
    by_channel, where_of = prepared.by_channel, prepared.where
    counts = BandCounts()
    bits = np.zeros((GROUPS, len(adaptive.WEIGHTS), 2))
    groups, rows = channel_groups(tables.channels), row_channels(tables.channels)
    for c in range(1, tables.channels if tables.channels == 4**4 else 1):
        where_c = where_of[c]
        if where_c.size == 0 or c in rows:
            continue
        t, band = int(lv[c + 1]), int(groups[c])
        key, context, sub_key = prepared.signed(c, signs)
        values = by_channel[c, where_c]
        if context is not None:
            values = values * context[0]
        inside, static = _static_probabilities(tables, t, c, key % KEYS, values)
        bits[band] += counts.estimate(band, key, sub_key, values, inside, static)
        counts.add(band, sub_key, values)
    flags = bits[:, :, 1].min(axis=1) < bits[:, :, 0].min(axis=1)
    best = np.where(flags, bits[:, :, 1].argmin(axis=1), bits[:, :, 0].argmin(axis=1))
    weights = np.array(adaptive.WEIGHTS, np.int64)[best]
    weights[~bits.any(axis=(1, 2))] = WEIGHT  # no adapted values: the default
    saved = bits[:, 0, 0].sum() - bits[np.arange(GROUPS), best, flags.astype(int)].sum()
    for group, (static, adapted) in _by_rows_bits(prepared, tables, lv).items():
        weights[group] = 0
        if static - adapted.min() > ROWS_MIN_SAVING:
            weights[group] = adaptive.WEIGHTS[int(adapted.argmin())]
            saved += static - adapted.min()
    # the choices cost up to 5 bytes of side information, the defaults (no sub-contexts,
    # ``WEIGHT``, the groups coded by rows static) one: a small image keeps the defaults
    # unless the choices save more
    if saved <= 8 * (side_bytes(flags, weights) - 1):
        flags, weights = np.zeros(GROUPS, bool), default_weights()
    return flags, weights


def _static_probabilities(tables: Tables, t: int, c: int, keys: np.ndarray, values: np.ndarray):
    """(within its table, its static probability) of each of ``values`` of channel ``c``
    at its (class, bin) ``keys`` with the tables of level ``t`` (an escaped value: the
    escape's)."""
    low, length, offset = (a[t, c].take(keys) for a in tables.by_channel())
    index = values - low
    inside = (index >= 0) & (index < length)
    return inside, tables.pmf[offset + np.where(inside, index, length)] / float(TOTAL)


#: bits a group coded by rows (the DC, the coarsest bands) must save adapted to be
#: adapted (it costs a model per row and (class, bin) in the decoder): on the
#: development set the adapted DC pays at low levels, where it is a quarter to two
#: thirds of a radiograph's bits (ideal code lengths: -0.2 to -1.3 % of the file at
#: levels 2-4), and little elsewhere
ROWS_MIN_SAVING = 64


def _by_rows_bits(prepared: Prepared, tables: Tables, lv: np.ndarray) -> dict:
    """For each of ``adaptive.ROW_GROUPS`` with values, (bits with the static tables,
    bits adapted row by row with each of ``adaptive.WEIGHTS``) of ``prepared``'s values
    (the DC's residuals, the coarsest bands' values) at their table levels ``lv``
    (:func:`_table_levels`): ideal code lengths counted as the coder counts
    (:meth:`~.adaptive.BandCounts.estimate`)."""
    h, w = prepared.shape
    by_channel, out = prepared.by_channel, {}
    dc_keys = prepared.classes * BINS + dc_bins(by_channel[0].reshape(h, w))
    rows = (0, *row_channels(tables.channels)) if tables.channels == 4**4 else (0,)
    for c, group in zip(rows, adaptive.ROW_GROUPS, strict=False):
        where = prepared.where[c]
        if where.size == 0:
            continue
        keys = dc_keys if c == 0 else prepared.keys(c)
        values = by_channel[c, where]
        inside, static = _static_probabilities(tables, int(lv[c + 1]), c, keys, values)
        counts, adapted = BandCounts(), np.zeros(len(adaptive.WEIGHTS))
        bounds = np.searchsorted(where, np.arange(h + 1) * w).tolist()
        for a, z in zip(bounds[:-1], bounds[1:], strict=True):
            if a == z:
                continue
            part = slice(a, z)
            key, value = keys[part], values[part]
            adapted += counts.estimate(group, key, key, value, inside[part], static[part])[:, 0]
            counts.add(group, key, value)
        out[group] = float(-np.log2(static).sum()), adapted
    return out


def _with_subs(subs, band: int, context) -> bool:
    """Whether a detail channel of ``band`` (not a row channel) is counted by neighbour
    sub-contexts: ``subs`` True (payload version 8): where it has sign prediction
    (``context`` not None); an array (version 9): where its band's flag is set."""
    if isinstance(subs, np.ndarray):
        return bool(subs[band])
    return bool(subs) and context is not None


class _Channel:
    """The tables one detail channel is coded with: level ``t``'s, mixed with the counts
    of its band (:mod:`.adaptive`) unless it is a row channel."""

    def __init__(self, tables: Tables, t: int, c: int, counts: BandCounts) -> None:
        self.tables, self.t, self.c, self.counts = tables, t, c, counts
        self.row = c in row_channels(tables.channels)
        self.band = int(channel_groups(tables.channels)[c])
        # a row channel adapted row by row (payload version 9, its band's weight set)
        self.by_rows = self.row and counts.by_rows(self.band)

    def groups(self, keys: np.ndarray) -> np.ndarray:
        """The keys the channel's values are grouped and coded by: ``keys`` themselves,
        a neighbour sub-context without enough counts yet its parent's
        (:meth:`~.adaptive.BandCounts.effective`)."""
        return keys if self.row else self.counts.effective(self.band, keys)

    def models(self, keys: np.ndarray) -> list:
        """The model of each (class, bin) key, in the order given."""
        if self.row and not self.by_rows:
            return [self.tables.model(self.t, int(k) // BINS, self.c, int(k) % BINS) for k in keys]
        return self.counts.models(self.tables, self.t, self.c, self.band, keys)

    def seen(self, keys: np.ndarray, values: np.ndarray) -> None:
        """After the channel (a row channel adapted by rows: after each row): its values
        join its band's counts."""
        if not self.row or self.by_rows:
            self.counts.add(self.band, keys, values)


def _code_channel(
    channel: _Channel,
    where: np.ndarray,
    key: np.ndarray,
    by_channel: np.ndarray,
    shape: tuple[int, int],
    coded: list,
    escapes: list,
    flips: np.ndarray | None = None,
) -> None:
    """Append detail channel ``channel.c``'s groups (in the decoder's order: by (class,
    bin), or for a row channel row by row and by (class, bin) within each row) to
    ``coded`` and its escaped values to ``escapes`` (``key``: the (class, bin) of each
    position in ``where``, plus ``KEYS`` times its sign level; ``flips``: its sign
    flips, :func:`sign_context`)."""
    tables, t, c = channel.tables, channel.t, channel.c
    group = channel.groups(key)
    if channel.row:
        group = where // shape[1] * (CLASSES * BINS) + key
    order = np.argsort(group, kind="stable")
    key, group = key[order], group[order]
    values = by_channel[c, where[order]]
    if flips is not None:
        values = values * flips[order]
    base = key % KEYS
    low = tables.low[t, base // BINS, c, base % BINS]
    length = tables.length[t, base // BINS, c, base % BINS]
    index = values - low
    outside = (index < 0) | (index >= length)
    escapes.append(values[outside].astype(np.int32))
    index = np.where(outside, length, index).astype(np.int32)
    starts = _starts(group)
    ends = np.append(starts[1:], key.size)
    models = channel.models(group[starts] if not channel.row else key[starts])
    for a, z, model in zip(starts.tolist(), ends.tolist(), models, strict=True):
        coded.append((index[a:z], model))
    channel.seen(key, values)


def _starts(ordered: np.ndarray) -> np.ndarray:
    """Where each run of equal values of the sorted ``ordered`` starts (``np.unique``'s
    ``return_index`` without sorting again)."""
    if ordered.size == 0:
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])


def _varints(values: np.ndarray) -> bytes:
    """Zigzag LEB128 bytes of int32 ``values`` (escapes are rare: a plain loop)."""
    out = bytearray()
    for v in values.tolist():
        z = (v << 1) ^ (v >> 63) if v < 0 else v << 1
        while z >= 0x80:
            out.append((z & 0x7F) | 0x80)
            z >>= 7
        out.append(z)
    return bytes(out)


def _read_varints(data: bytes, count: int) -> np.ndarray:
    """Inverse of :func:`_varints`; every byte of ``data`` must be used."""
    values, z, shift = [], 0, 0
    for byte in data:
        z |= (byte & 0x7F) << shift
        shift += 7
        if shift > 35:
            raise CodecError("RWNet frame stream damaged (escaped value too long)")
        if byte < 0x80:
            values.append((z >> 1) ^ -(z & 1))
            z, shift = 0, 0
    if len(values) != count or shift:
        raise CodecError("RWNet frame stream damaged (escaped values do not add up)")
    return np.array(values, np.int64)


def _decode_classes(coder, tables: Tables, level: int, grid: np.ndarray) -> None:
    """Decode the classes of :func:`adaptive_class_weights` into ``grid`` ``(h, w)``, one
    at a time (each one's weights need the one on its left): the same integers, so the
    same probabilities, as the encoder's."""
    h, w = grid.shape
    counts = np.zeros((CLASS_COUNT_CONTEXTS, CLASSES), np.int64)
    family = _family()
    for i in range(h):
        contexts = class_context(grid[max(i - 1, 0) : i + 1])[-1]  # the row above's
        static = tables.class_pmf[level][contexts].astype(np.int64)
        rows = class_context_group(contexts) * (CLASSES + 1)
        left = CLASSES
        for j in range(w):
            context = int(rows[j]) + left
            weights = CLASS_WEIGHT * static[j] + TOTAL * counts[context]
            left = int(coder.decode(family, _probabilities(weights)[np.newaxis])[0])
            counts[context, left] += 1
            grid[i, j] = left


def decode_latent(
    data: bytes,
    tables: Tables,
    level: int,
    h: int,
    w: int,
    table_levels: np.ndarray | None = None,
    signs: np.ndarray | None = None,
    predict: bool = False,
    adapt_classes: bool = True,
    subs: bool | np.ndarray = False,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Inverse of :func:`encode_latent`; CodecError for a damaged stream."""
    import constriction

    lv = _table_levels(tables, level, table_levels)
    n_words, start = varint.decode(data, 0, "the RWNet frame stream", CodecError)
    n_escapes, start = varint.decode(data, start, "the RWNet frame stream", CodecError)
    end = start + 4 * n_words
    if not end + n_escapes <= len(data) <= end + 5 * n_escapes:
        raise CodecError("RWNet frame stream lengths do not add up")
    words = np.frombuffer(data, "<u4", n_words, start).astype(np.uint32)
    escaped = _read_varints(data[end:], n_escapes)
    by_channel = np.zeros((tables.channels, h * w), np.int64)
    used = 0
    try:
        coder = constriction.stream.stack.AnsCoder(words)
        grid = np.zeros((h, w), np.int32)
        if adapt_classes:
            _decode_classes(coder, tables, int(lv[0]), grid)
        else:
            for i in range(h):
                contexts = class_context(grid[max(i - 1, 0) : i + 1])[-1]
                probs = tables.class_probabilities(int(lv[0]), contexts)
                grid[i] = np.asarray(coder.decode(_family(), probs), np.int32)
        classes = grid.reshape(-1).astype(np.int64)
        busy = np.nonzero(classes)[0]

        def values_of(index: np.ndarray, low, length) -> np.ndarray:
            """The values of decoded table ``index``es (int64), the escapes taken in order."""
            nonlocal used
            values = index + low
            outside = index == length
            count = np.count_nonzero(outside)
            if count:
                if used + count > n_escapes:
                    raise CodecError("RWNet frame stream has too few escaped values")
                values[outside] = escaped[used : used + count]
                used += count
            return values

        def read(c: int, t: int, k: int, b: int, where: np.ndarray, model=None) -> None:
            low, length = tables.low.item(t, k, c, b), tables.length.item(t, k, c, b)
            model = model or tables.model(t, k, c, b)
            index = np.asarray(coder.decode(model, where.size), np.int64)
            by_channel[c, where] = values_of(index, low, length)

        counts = BandCounts(weights)
        dc_adapted = counts.by_rows(DC_GROUP)
        for i in range(h):  # the DC, row by row: each row's bins from the row above
            rows = by_channel[0, max(i - 1, 0) * w : (i + 1) * w].reshape(-1, w)
            bins = dc_bins(rows)[-w:] if i else np.zeros(w, np.int64)
            row = slice(i * w, (i + 1) * w)
            groups = _groups(classes[row], bins)
            models = _dc_models(counts, tables, int(lv[1]), groups) if dc_adapted else None
            for j, (k, b, group) in enumerate(groups):
                read(0, int(lv[1]), k, b, i * w + group, models[j] if models else None)
            if dc_adapted:
                counts.add(DC_GROUP, classes[row] * BINS + bins, by_channel[0, row])
        rows = np.searchsorted(busy, np.arange(h + 1) * w)  # busy positions of each row
        for c in range(1, tables.channels):
            if c in row_channels(tables.channels):  # each row's bins from the row above
                channel = _Channel(tables, int(lv[c + 1]), c, counts)
                for i in range(h):
                    here = busy[rows[i] : rows[i + 1]]
                    bins = channel_bins(by_channel, tables.neighbours, c, (h, w), here)
                    groups = _groups(classes[here], bins)
                    models = None
                    if channel.by_rows:
                        keys = np.array([k * BINS + b for k, b, _ in groups], np.int64)
                        models = channel.models(keys)
                    for j, (k, b, group) in enumerate(groups):
                        read(c, channel.t, k, b, here[group], models[j] if models else None)
                    if channel.by_rows:
                        channel.seen(classes[here] * BINS + bins, by_channel[c, here])
                continue
            bins = channel_bins(by_channel, tables.neighbours, c, (h, w), busy)
            channel = _Channel(tables, int(lv[c + 1]), c, counts)
            key = classes[busy] * BINS + bins
            if (context := sign_context(by_channel, c, busy, signs)) is not None:
                key = key + KEYS * context[1]
            if _with_subs(subs, channel.band, context):
                key = with_subs(key, by_channel, c, busy)
            group = channel.groups(key)
            order = np.argsort(group, kind="stable")  # the encoder's group order
            starts = _starts(group[order])
            distinct = group[order][starts]
            models = channel.models(distinct)
            sizes = np.diff(np.append(starts, order.size)).tolist()
            # one decode call per group, then the whole channel at once (as :func:`read`)
            decoded = [coder.decode(m, n) for m, n in zip(models, sizes, strict=True)]
            index = np.concatenate(decoded).astype(np.int64) if decoded else np.zeros(0, np.int64)
            base = np.repeat(distinct % KEYS, sizes)
            cls, bins_ = base // BINS, base % BINS
            low, length = (
                tables.low[channel.t, cls, c, bins_],
                tables.length[channel.t, cls, c, bins_],
            )
            by_channel[c, busy[order]] = values_of(index, low, length)
            channel.seen(key, by_channel[c, busy])
            if context is not None:
                by_channel[c, busy] *= context[0]
    except CodecError:
        raise
    except Exception as exc:  # constriction reports damage with several exception types
        raise CodecError(f"RWNet frame stream damaged ({exc})") from exc
    if used != n_escapes:
        raise CodecError("RWNet frame stream has unused escaped values")
    out = by_channel.T.reshape(h, w, tables.channels)
    if not np.array_equal(activity_classes(out).reshape(-1), classes):
        raise CodecError("RWNet frame stream damaged (activity classes do not match)")
    symbols = from_residual(out, coefficients(tables.ac_coeffs, level, predict))
    if np.abs(symbols).max(initial=0) >= 2**31:
        raise CodecError("RWNet frame stream damaged (latent out of range)")
    return symbols.astype(np.int32)
