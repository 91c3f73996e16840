"""RWNet's parts on their own: the CDF 9/7 path, the context layout, RDOQ, the CLI hook."""

from __future__ import annotations

import json

import numpy as np
import pytest
from reference_images import phantom

from medcomp_gui import varint
from medcomp_gui.codecs.rwnet import contexts as C
from medcomp_gui.codecs.rwnet import prediction as P
from medcomp_gui.errors import CodecError


def test_cdf97_path_is_exactly_invertible_and_kills_ramps() -> None:
    from keras import ops

    from medcomp_gui.codecs.rwnet.layers import Cdf97Analysis, Cdf97Synthesis

    rng = np.random.default_rng(0)
    x = rng.random((2, 64, 96, 1)).astype(np.float32) - 0.5
    y = ops.convert_to_numpy(Cdf97Analysis(4)(x))
    assert y.shape == (2, 4, 6, 256)
    back = ops.convert_to_numpy(Cdf97Synthesis(4)(y))
    assert np.abs(back - x).max() < 1e-5
    # four vanishing moments: a plane leaves nothing in the detail bands but at the ends
    rows, cols = np.mgrid[0:256, 0:256].astype(np.float32)
    plane = ((0.002 * rows - 0.001 * cols)[None, :, :, None]).astype(np.float32)
    details = ops.convert_to_numpy(Cdf97Analysis(4)(plane))[0, 2:-2, 2:-2, 1:]
    assert np.abs(details).max() < 1e-3  # float32 rounding of 0.5-sized values
    # ... but an edge does
    step = np.zeros((1, 256, 256, 1), np.float32)
    step[:, :, 128:] = 1
    assert np.abs(ops.convert_to_numpy(Cdf97Analysis(4)(step))[..., 1:]).max() > 0.1


def test_path_norms_balance_a_unit_error() -> None:
    from keras import ops

    from medcomp_gui.codecs.rwnet.layers import Cdf97Synthesis
    from medcomp_gui.codecs.rwnet.model import RWNetConfig, path_norms

    norms = path_norms(RWNetConfig())
    assert norms.shape == (256,) and np.all(norms > 0.5) and np.all(norms < 4)
    y = np.zeros((1, 16, 16, 256), np.float32)
    y[0, 8, 8, 100] = 1
    energy = float((ops.convert_to_numpy(Cdf97Synthesis(4)(y)) ** 2).sum())
    assert energy == pytest.approx(float(norms[100]) ** 2, rel=1e-4)


def test_dyadic_neighbours_are_causal_and_follow_the_layout() -> None:
    near = C.dyadic_neighbours(4)
    assert near.shape == (256, C.NEIGHBOURS)
    assert np.all(near < np.arange(256)[:, None])
    assert np.all(near[0] == -1) and np.all(near[1] == -1)  # DC; the coarsest LH
    # level 1 (phases 8 x 8 from channel 64), band LH, phase (3, 5): its parent is
    # level 2 (phases 4 x 4 from channel 16), band LH, phase (1, 2)
    child = 64 + 3 * 8 + 5
    assert 16 + 1 * 4 + 2 in near[child]
    assert child - 8 in near[child] and child - 1 in near[child]  # above, left
    hh = 64 + 2 * 64 + 3 * 8 + 5  # the HH band at that phase sees LH and HL there
    assert child in near[hh] and child + 64 in near[hh]
    # every channel but the DC and the coarsest LH has a context
    assert np.all((near[2:] >= 0).any(axis=1))


def test_context_bins_grow_with_neighbour_magnitude() -> None:
    residual = np.array([[0, 0, 0], [1, 0, 0], [3, -4, 0], [100, 100, 0]])
    by_channel = residual.T
    bins = C.context_bins(by_channel, np.array([0, 1, -1, -1, -1]))
    # sums 0, 1, 7 and 200: half-octave bins, the last one open
    assert bins.tolist() == [0, 1, 5, C.BINS - 1]
    assert C.context_bins(by_channel, np.array([0, 1, -1]), np.array([2])).tolist() == [5]
    assert C.bin_of(np.array(C.BIN_EDGES)).tolist() == list(range(1, C.BINS))
    assert C.bin_of(np.array(C.BIN_EDGES) - 1).tolist() == list(range(C.BINS - 1))
    assert C.context_bins(by_channel, np.full(C.NEIGHBOURS, -1)).tolist() == [0, 0, 0, 0]


@pytest.fixture(scope="module")
def model():
    from medcomp_gui.codecs import get_codec
    from medcomp_gui.codecs.rwnet.codec import load_model

    if (missing := get_codec("rwnet").availability()) is not None:
        pytest.fail(missing)
    return load_model()


def test_rdoq_saves_bits_for_little_distortion_and_decodes(model) -> None:
    from medcomp_gui.codecs.rwnet import entropy, rdoq

    pixels = phantom((256, 256), 12, False, seed=3).astype(np.float32)
    x = pixels / 4095 - 0.5
    level = 3
    y = np.asarray(model.analysis(x[None, :, :, None], level))[0]
    rounded = np.rint(y).astype(np.int32)
    optimised = rdoq.optimise(y, model.tables, level)
    assert optimised.shape == rounded.shape and optimised.dtype == np.int32
    # each value goes only towards zero, except at emptied positions, where every detail
    # value becomes its prediction from the DC (residual 0; 0 without the AC prediction)
    coeffs = P.coefficients(model.tables.ac_coeffs, level, predict=False)
    emptied = ~P.to_residual(optimised, coeffs)[..., 1:].any(axis=-1)
    towards_zero = (np.abs(optimised) <= np.abs(rounded))[..., 1:]
    assert np.all(towards_zero.all(axis=-1) | emptied)
    # the DC: its two nearest integers or its prediction, never far from y
    assert np.abs(optimised[..., 0] - y[..., 0]).max() < 2.5
    plain = entropy.encode_latent(rounded, model.tables, level)
    tuned = entropy.encode_latent(optimised, model.tables, level)
    assert len(tuned) < 0.95 * len(plain)
    np.testing.assert_array_equal(
        entropy.decode_latent(tuned, model.tables, level, 16, 16), optimised
    )

    def sse(q):
        return float(((model.reconstruct(q, level) - x) ** 2).sum())

    # the exchange follows the encoder's objective: bits + lambda * SSE goes down
    lam = rdoq.LAMBDA_SCALE * model.lambdas[level]
    assert 8 * len(tuned) + lam * sse(optimised) < 8 * len(plain) + lam * sse(rounded)


def test_dc_choice_lowers_bits_plus_weighted_error(model) -> None:
    from medcomp_gui.codecs.rwnet import entropy, rdoq

    rng = np.random.default_rng(7)
    walk = np.cumsum(np.cumsum(rng.normal(size=(24, 20)), 0), 1)
    y = 0.2 * walk + 0.3 * rng.normal(size=(24, 20))
    classes = rng.integers(0, 6, size=y.shape)
    level = 2
    weight = model.tables.rdo_weights[level][0]

    def cost(dc):
        residual = P.dc_residual(dc)
        key = classes.reshape(-1) * C.BINS + C.dc_bins(residual)
        bits = entropy.code_lengths(model.tables, level, 0, key, residual.reshape(-1)).sum()
        return bits + weight * ((y - dc) ** 2).sum()

    chosen = rdoq.choose_dc(y, model.tables, level, classes)
    rounded = np.rint(y).astype(np.int64)
    assert chosen.shape == y.shape and np.abs(chosen - y).max() < 2.5
    assert not np.array_equal(chosen, rounded)
    assert cost(chosen) < 0.995 * cost(rounded)  # 1,327 against 1,345


def test_distortion_weights_extend_lambdas_geometrically() -> None:
    from medcomp_gui.codecs.rwnet import rdoq

    w = rdoq.distortion_weights((2.0, 8.0), np.full((4, 3), 0.5), np.array([1.0, 2.0, 4.0]))
    assert w.shape == (4, 3)
    w = w / rdoq.LAMBDA_SCALE
    np.testing.assert_allclose(w[:, 0], [0.5, 2.0, 8.0, 32.0])
    np.testing.assert_allclose(w[1], [2.0, 8.0, 32.0])


def test_balanced_gains_give_every_channel_the_same_image_domain_step() -> None:
    from medcomp_gui.codecs.rwnet.model import RWNet, RWNetConfig, level_gains, path_norms

    cfg = RWNetConfig()
    net = RWNet(cfg)
    net.balance_gains()
    _, inv_gain = level_gains(net)
    step = inv_gain * path_norms(cfg)[None, :]  # image-domain error of a unit latent error
    np.testing.assert_allclose(step, step[:, :1] * np.ones_like(step), rtol=1e-5)
    assert np.all(np.diff(step[:, 0]) < 0)  # finer at every higher quality
    net.log_gain.assign(net.log_gain.numpy() + 1.0)
    net.reset_gains()
    np.testing.assert_allclose(level_gains(net)[1], inv_gain, rtol=1e-6)


def test_loaded_transforms_equal_the_full_network(model) -> None:
    # the shipped model's branches are gated shut: the codec runs the fixed path with
    # NumPy and the gains from its json; it must give the network's values exactly
    from keras import ops

    from medcomp_gui.codecs.rwnet import store
    from medcomp_gui.codecs.rwnet.model import gates_closed, level_gains

    net = store.load_network(store.default_dir())
    assert gates_closed(net)
    gains, inv_gains = level_gains(net)
    meta = json.loads(store.paths(store.default_dir())["config"].read_text())
    stored = store.fixed_path_gains(meta, *gains.shape)
    np.testing.assert_array_equal(stored[0], gains)
    np.testing.assert_array_equal(stored[1], inv_gains)
    x = phantom((64, 48), 12, False, seed=5).astype(np.float32)[None, :, :, None] / 4095 - 0.5
    full = ops.convert_to_numpy(net.analysis(x))[0] * gains[2]
    np.testing.assert_array_equal(np.asarray(model.analysis(x, 2))[0], full)
    y = np.rint(full)[None]
    back = ops.convert_to_numpy(net.synthesis(y * inv_gains[2]))
    np.testing.assert_allclose(np.asarray(model.synthesis(y, 2)), back, rtol=0, atol=1e-6)


def test_open_gates_are_not_exported_as_the_fixed_path() -> None:
    from medcomp_gui.codecs.rwnet import store
    from medcomp_gui.codecs.rwnet.model import RWNet, RWNetConfig

    net = RWNet(RWNetConfig())
    assert "fixed_path" in store.fixed_path_entry(net)
    gate = net.synthesis.get_layer("gate")
    gate.alpha.assign(np.full(gate.alpha.shape, 0.01, np.float32))
    assert store.fixed_path_entry(net) == {}


def test_fixed_path_gains_of_the_wrong_shape_are_refused() -> None:
    from medcomp_gui.codecs.rwnet import store

    meta = {"fixed_path": {"gain": [[1.0, 2.0]], "inv_gain": [[1.0, 0.5]]}}
    assert store.fixed_path_gains({}, 1, 2) is None
    assert store.fixed_path_gains(meta, 1, 2)[0].dtype == np.float32
    with pytest.raises(ValueError, match="do not match"):
        store.fixed_path_gains(meta, 10, 256)


def test_numpy_and_keras_wavelets_agree_exactly() -> None:
    from keras import ops

    from medcomp_gui.codecs.rwnet import wavelet
    from medcomp_gui.codecs.rwnet.layers import Cdf97Analysis, Cdf97Synthesis

    x = np.random.default_rng(3).random((1, 80, 48, 1), dtype=np.float32) - 0.5
    y = wavelet.analysis(x, 4, np)
    np.testing.assert_array_equal(y, ops.convert_to_numpy(Cdf97Analysis(4)(x)))
    y = y * np.float32(1.7)
    np.testing.assert_array_equal(
        wavelet.synthesis(y, 4, np), ops.convert_to_numpy(Cdf97Synthesis(4)(y))
    )


def test_groups_may_use_other_levels_tables_and_the_choice_saves_bits(model) -> None:
    from medcomp_gui.codecs.rwnet import entropy
    from medcomp_gui.codecs.rwnet.contexts import GROUPS

    tables, level = model.tables, 4
    x = phantom((128, 96), 12, False, seed=9).astype(np.float32) / 4095 - 0.5
    q = np.asarray(model.analysis(x[None, :, :, None], 1))[0]  # a coarser level's latent
    symbols = np.rint(q).astype(np.int32)
    forced = np.arange(GROUPS) % tables.levels
    data = entropy.encode_latent(symbols, tables, level, forced)
    np.testing.assert_array_equal(entropy.decode_latent(data, tables, level, 8, 6, forced), symbols)
    assert data != entropy.encode_latent(symbols, tables, level)
    chosen = entropy.choose_table_levels(symbols, tables, level)
    assert np.any(chosen != level)  # the latent is another level's: its tables fit better
    assert len(entropy.encode_latent(symbols, tables, level, chosen)) < len(
        entropy.encode_latent(symbols, tables, level)
    )
    with pytest.raises(Exception, match="table levels"):
        entropy.encode_latent(symbols, tables, level, np.full(GROUPS, tables.levels))


def test_reconstruction_offsets_are_the_centroids_and_are_applied(model) -> None:
    from medcomp_gui.codecs.rwnet.codec import OFFSET_UNIT, reconstruction_offsets

    rng = np.random.default_rng(4)
    y = rng.laplace(0, 0.8, (6, 5, 256)).astype(np.float32)
    y[..., 0] = 3.0
    symbols = np.rint(y).astype(np.int32)
    offsets = reconstruction_offsets(y, symbols, np.full(256, 50.0))
    assert offsets is not None and offsets.dtype == np.int8
    finest_ones = (np.abs(symbols) == 1) & (np.arange(256) >= 64)
    centroid = ((y - symbols) * np.sign(symbols))[finest_ones].mean()
    assert offsets[6] == round(centroid * OFFSET_UNIT) and offsets[6] < 0  # Laplace: inward
    assert reconstruction_offsets(y, symbols, np.full(256, 1e-6)) is None  # not worth it
    fine = np.where(np.arange(256) >= 64, symbols, 0)  # finest level only: offsets 6 and 7
    fine[..., 0] = symbols[..., 0]
    step = np.where(np.abs(fine) >= 2, offsets[7], offsets[6]) / OFFSET_UNIT
    expected = model.reconstruct((fine + np.sign(fine) * step * (np.arange(256) > 0)), 3)
    moved = model.reconstruct(fine, 3, offsets)
    assert np.abs(moved - model.reconstruct(fine, 3)).max() > 1e-4
    np.testing.assert_allclose(moved, expected, rtol=0, atol=1e-6)


def test_side_information_damage_is_a_codec_error() -> None:
    from medcomp_gui.codecs.rwnet.codec import OFFSETS, _read_side

    # group mask (a varint), a level, the offsets, the sign weights (a varint: 3 ** 3:
    # the second band's above and left, base 3), the stream
    good = bytes([1 << 3, 7, OFFSETS]) + bytes(OFFSETS) + bytes([27]) + b"stream"
    chosen, offsets, signs, bands, _, stream = _read_side(good, 2, 10, version=8)
    assert chosen[3] == 7 and (chosen == 2).sum() == chosen.size - 1
    assert offsets is not None and stream == b"stream"
    assert signs is not None and signs[6].tolist() == [0, 1] and np.abs(signs).sum() == 1
    # payload version 4: no sign weights
    chosen, offsets, signs, bands, _, stream = _read_side(good, 2, 10, version=4)
    assert signs is None and bands is None and stream == bytes([27]) + b"stream"
    # version 9: the frame's choices (a varint: the weights of the DC and the coarsest
    # bands, 1-4, base 4: 0 (static) 64 16 256; then base 6 from the finest band, 13:
    # its sub-context flag plus twice its weight's index, 64 16 256): the DC adapted
    # with 16, band 3 with 256, 13 with sub-contexts and weight 64, 12 without and 256,
    # the others the defaults (static; without sub-contexts and 64)
    choices = 2 + 4**2 * 3 + 4**4 * (1 + 6 * 4)
    chosen, offsets, signs, bands, kernel, stream = _read_side(
        good[:-6] + varint.encode(choices) + b"stream", 2, 10, version=9
    )
    subs, weights = bands
    assert stream == b"stream" and np.flatnonzero(subs).tolist() == [13]
    assert weights[1:5].tolist() == [16, 0, 256, 0]
    assert weights[12] == 256 and (weights[5:12] == 64).all() and weights[13] == 64
    assert kernel is None
    # version 10: then the post-filter (0: none; else its number of coefficients, 3, 7,
    # 13 or 21, and as many zigzag varints, the gain's first): the gain -2, the first
    # pair 3
    with_filter = good[:-6] + varint.encode(choices) + bytes([21, 3, 6]) + bytes(19) + b"stream"
    *_, kernel, stream = _read_side(with_filter, 2, 10)
    assert kernel.tolist() == [-2, 3] + [0] * 19 and stream == b"stream"
    *_, kernel, stream = _read_side(good[:-6] + varint.encode(choices) + b"\x00stream", 2, 10)
    assert kernel is None and stream == b"stream"
    for bad in (
        good[:1],
        b"",
        bytes([0x80, 0x80, 0x02, 1, 0]),  # group 15: no such group
        bytes([0xFF] * 6),  # group mask longer than a varint may be
        good[:1] + bytes([10]) + good[2:],  # no such level
        good[:2] + bytes([3]) + good[3:],  # offsets of another count
        good[:5],  # offsets truncated
        good[: 3 + OFFSETS],  # sign weights missing
        good[: 3 + OFFSETS] + bytes([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),  # 3**18 or more
    ):
        with pytest.raises(CodecError):
            _read_side(bad, 2, 10, version=8)
    for bad in (good[:-6], good[:-6] + varint.encode(4**4 * 6**9)):  # missing; too many
        with pytest.raises(CodecError):
            _read_side(bad, 2, 10, version=9)
    head = good[:-6] + varint.encode(choices)
    for bad in (head, head + bytes([12]) + bytes(12), head + bytes([21]) + bytes(20)):
        with pytest.raises(CodecError):  # missing; no such shape; truncated
            _read_side(bad, 2, 10)


def _radiograph_latent(model, level: int = 8, shape: tuple[int, int] = (384, 320)):
    """(tables, latent at 0-based ``level``, its :class:`~.entropy.Prepared`, sign
    weights) of a seeded simulated radiograph (``shape``)."""
    from medcomp_gui.codecs.rwnet import entropy, rdoq, simulate
    from medcomp_gui.codecs.rwnet.codec import _normalised
    from medcomp_gui.imaging.image import MedicalImage

    values, bits = simulate.radiograph(np.random.default_rng(2), *shape)
    image = MedicalImage(values.astype(np.uint16), bits)
    x = _normalised(image.frames[0], image)[3]
    tables = model.tables
    y = np.asarray(model.analysis(x[None, :, :, None], level))[0]
    symbols = rdoq.optimise(y, tables, level)
    prepared = entropy.Prepared(symbols, tables, level, predict=False)
    signs = entropy.sign_weights(prepared.by_channel, prepared.where)
    return tables, symbols, prepared, signs


def test_sign_prediction_round_trips_and_pays_on_a_radiograph(model) -> None:
    """A smooth radiograph's fine bands have signs that follow their neighbours': the
    encoder finds weights, the latent coded with them decodes the same, and is smaller
    than without them (a simulated radiograph, seeded; 34,492 -> 33,253 bytes)."""
    from medcomp_gui.codecs.rwnet import entropy
    from medcomp_gui.codecs.rwnet.codec import _packed_signs, _unpacked_signs

    tables, symbols, prepared, signs = _radiograph_latent(model)
    assert np.abs(signs).sum() > 0
    np.testing.assert_array_equal(_unpacked_signs(_packed_signs(signs)), signs)
    plain = entropy.encode_latent(symbols, tables, 8, None, prepared)
    signed = entropy.encode_latent(symbols, tables, 8, None, prepared, signs)
    assert len(signed) < 0.99 * len(plain)
    back = entropy.decode_latent(signed, tables, 8, 24, 20, None, signs)
    np.testing.assert_array_equal(back, symbols)
    try:  # decoded without the weights: damage, or other values
        wrong = entropy.decode_latent(signed, tables, 8, 24, 20, None, None)
    except CodecError:
        return
    assert not np.array_equal(wrong, symbols)


def test_detail_values_without_the_ac_prediction_cost_less_on_a_radiograph(model) -> None:
    """Payload version 7 codes the detail channels as they are: the AC prediction from
    the DC (versions 4 and 6) moved zeros of a smooth radiograph's fine bands to +-1.
    Each way (quantised and coded alike) decodes exactly; without it the latent of a
    seeded simulated radiograph is 13.5 % smaller at level 9 (39,896 -> 34,492 bytes)."""
    from medcomp_gui.codecs.rwnet import entropy, rdoq, simulate
    from medcomp_gui.codecs.rwnet.codec import _normalised
    from medcomp_gui.imaging.image import MedicalImage

    values, bits = simulate.radiograph(np.random.default_rng(2), 384, 320)
    image = MedicalImage(values.astype(np.uint16), bits)
    x = _normalised(image.frames[0], image)[3]
    tables = model.tables
    y = np.asarray(model.analysis(x[None, :, :, None], 8))[0]
    sizes = {}
    for predict in (True, False):
        symbols = rdoq.optimise(y, tables, 8, predict=predict)
        data = entropy.encode_latent(symbols, tables, 8, predict=predict)
        back = entropy.decode_latent(data, tables, 8, 24, 20, predict=predict)
        np.testing.assert_array_equal(back, symbols)
        sizes[predict] = len(data)
    assert sizes[False] < 0.9 * sizes[True], sizes


def test_adaptive_class_weights_are_what_a_decoder_counts_one_by_one(model) -> None:
    """The encoder's vectorised class weights (payload version 7) equal a plain loop's
    over the classes in raster order: the static table plus the counts so far in the
    (largest class above, class on the left) context."""
    from medcomp_gui.codecs.rwnet import entropy
    from medcomp_gui.codecs.rwnet.tables import TOTAL

    rng = np.random.default_rng(5)
    classes = np.minimum(rng.geometric(0.4, size=(5, 7)) - 1, C.CLASSES - 1)
    weights = entropy.adaptive_class_weights(classes, model.tables, 3)
    static = model.tables.class_pmf[3][C.class_context(classes).reshape(-1)]
    counts = np.zeros((entropy.CLASS_COUNT_CONTEXTS, C.CLASSES), np.int64)
    for n, (i, j) in enumerate(np.ndindex(classes.shape)):
        above = C.CLASSES if i == 0 else classes[i - 1, max(j - 1, 0) : j + 2].max()
        left = C.CLASSES if j == 0 else classes[i, j - 1]
        context = above * (C.CLASSES + 1) + left
        expected = entropy.CLASS_WEIGHT * static[n] + TOTAL * counts[context]
        np.testing.assert_array_equal(weights[n], expected)
        counts[context, classes[i, j]] += 1
    assert counts.sum() == classes.size and (weights > entropy.CLASS_WEIGHT * static).any()


def test_adapted_class_tables_pay_on_a_radiograph_at_a_low_level(model) -> None:
    """At a low level most of a smooth radiograph's bits are its DC and classes: the
    classes coded with adapted tables (payload version 7) make the latent of a seeded
    simulated radiograph at level 2 10 % smaller (435 -> 391 bytes; both decode exactly)."""
    from medcomp_gui.codecs.rwnet import entropy, rdoq, simulate
    from medcomp_gui.codecs.rwnet.codec import _normalised
    from medcomp_gui.imaging.image import MedicalImage

    values, bits = simulate.radiograph(np.random.default_rng(2), 384, 320)
    image = MedicalImage(values.astype(np.uint16), bits)
    x = _normalised(image.frames[0], image)[3]
    y = np.asarray(model.analysis(x[None, :, :, None], 2))[0]
    symbols = rdoq.optimise(y, model.tables, 2)
    sizes = {}
    for adapt in (False, True):
        data = entropy.encode_latent(symbols, model.tables, 2, adapt_classes=adapt)
        back = entropy.decode_latent(data, model.tables, 2, 24, 20, adapt_classes=adapt)
        np.testing.assert_array_equal(back, symbols)
        sizes[adapt] = len(data)
    assert sizes[True] < 0.95 * sizes[False], sizes


def test_pooled_channels_partition_the_finest_level_into_small_like_groups(model) -> None:
    groups = C.pooled_channels(256)
    assert sorted(c for g in groups for c in g) == list(range(256))
    band = C.channel_groups(256)
    near = C.dyadic_neighbours(4)
    for members in groups:
        assert len(members) == 1 or (min(members) >= 64 and len(members) <= 4)
        assert len({int(band[m]) for m in members}) == 1
        # same neighbour pattern (how many context channels) within a group
        assert len({int((near[m] >= 0).sum()) for m in members}) == 1
    assert sum(len(g) > 1 for g in groups) >= 36
    # the shipped tables: pooled channels use one table
    tables = model.tables
    for members in groups:
        first = tables.offset[:, :, members[0], :]
        for m in members[1:]:
            np.testing.assert_array_equal(tables.offset[:, :, m, :], first)


def test_spatial_neighbours_count_twice() -> None:
    near = C.dyadic_neighbours(4)
    child = 64 + 3 * 8 + 5  # finest LH, phase (3, 5)
    assert list(near[child]).count(child - 8) == 2 and list(near[child]).count(child - 1) == 2
    assert list(near[child]).count(16 + 1 * 4 + 2) == 1  # the parent once


def test_dc_bins_come_from_the_row_above() -> None:
    residual = np.array([[5, 0, 0, 0], [0, 0, 0, 0], [0, 0, 9, 0]])
    bins = C.dc_bins(residual).reshape(3, 4)
    assert bins[0].tolist() == [0, 0, 0, 0]  # first row: nothing above
    assert bins[1].tolist() == [C.bin_of(np.array(5))] * 2 + [0, 0]  # under and right of 5
    assert bins[2].tolist() == [0, 0, 0, 0]


def test_rdoq_empties_positions_whose_details_are_not_worth_their_bits(model) -> None:
    from medcomp_gui.codecs.rwnet import rdoq

    tables, level = model.tables, 3
    y = np.zeros((4, 4, 256), np.float32)
    y[..., 0] = 7.0  # a flat DC: the prediction of every detail value is 0
    y[1, 1, 200] = 0.55  # barely rounds to 1: not worth a class and a value
    y[1, 1, 201] = -0.55
    y[2, 2, 1:60] = 40.0  # strong details: kept
    q = rdoq.optimise(y, tables, level)
    assert not q[1, 1, 1:].any()
    assert np.all(q[2, 2, 1:60] != 0)
    assert q[..., 0].tolist() == np.rint(y[..., 0]).tolist()  # the DC is never touched
    # exact values (no rounding error to gain by keeping them) at an isolated position:
    # four +-1 are not worth a class symbol and their bits, four +-4 are
    from medcomp_gui.codecs.rwnet.entropy import default_levels

    for size, emptied in ((1, True), (4, False)):
        exact = np.zeros((4, 4, 256), np.int64)
        exact[..., 0] = 7
        exact[1, 1, 200:204] = [size, -size, size, -size]
        target = np.ascontiguousarray(exact.reshape(-1, 256).T, np.float64)
        weights, coeffs = tables.rdo_weights[level], np.zeros_like(tables.ac_coeffs[level])
        out = rdoq._empty_positions(
            exact, target, tables, level, default_levels(level), weights, coeffs
        )
        assert (not out[1, 1, 1:].any()) == emptied
        others = np.arange(16) != 5  # every other position is left as it was
        np.testing.assert_array_equal(out.reshape(16, 256)[others], exact.reshape(16, 256)[others])


def test_class_context_is_the_three_classes_above() -> None:
    classes = np.array([[1, 2, 3], [4, 5, 6]])
    ctx = C.class_context(classes)
    first = C.CLASSES**3
    assert ctx[0].tolist() == [first] * 3  # nothing above the first row
    n = C.CLASSES
    # (top, top-left, top-right), the sides repeated
    assert ctx[1].tolist() == [(1 * n + 1) * n + 2, (2 * n + 1) * n + 3, (3 * n + 2) * n + 3]
    assert ctx.max() < C.CLASS_CONTEXTS
    assert C.class_context_group(ctx[1]).tolist() == [2, 3, 3]  # backs off to the largest
    assert C.class_context_group(np.array([first])).tolist() == [C.CLASSES]


def test_row_channels_take_their_context_from_the_row_above() -> None:
    h, w, channels = 3, 4, 256
    by_channel = np.zeros((channels, h * w), np.int64)
    by_channel[1, 1] = 7  # band LH of the coarsest level, row 0, column 1
    near = C.dyadic_neighbours(4)
    bins = C.channel_bins(by_channel, near, 1, (h, w)).reshape(h, w)
    assert bins[0].tolist() == [0, 0, 0, 0]  # nothing above the first row
    assert bins[1].tolist() == [C.bin_of(np.array(7))] * 3 + [0]  # under and beside it
    assert bins[2].tolist() == [0, 0, 0, 0]
    # HL: quarter of the row above (its own values) and of its neighbours (LH here)
    by_channel[2, 2] = 2  # HL above position (1, 2)
    hl = C.channel_bins(by_channel, near, 2, (h, w)).reshape(h, w)
    assert hl[1, 2] == 4 * 1 + 0  # 2 above: quarter 1; no LH there
    assert hl[0, 1] == 0 * 4 + 2  # nothing above; LH 7 at the same position: quarter 2
    # other channels keep their in-block context
    np.testing.assert_array_equal(
        C.channel_bins(by_channel, near, 70, (h, w)), C.context_bins(by_channel, near[70])
    )
    assert C.row_channels(16) == ()


def test_model_hash_covers_the_fixed_path_gains(tmp_path) -> None:
    from medcomp_gui.codecs.rwnet import store

    weights, tables = tmp_path / "w", tmp_path / "t"
    weights.write_bytes(b"weights")
    tables.write_bytes(b"tables")
    gains = {"gain": [[1.0, 2.0]], "inv_gain": [[1.0, 0.5]]}
    edited = {"gain": [[1.0, 2.5]], "inv_gain": [[1.0, 0.4]]}
    plain = store.model_hash(weights, tables)
    assert store.model_hash(weights, tables, gains) not in (
        plain,
        store.model_hash(weights, tables, edited),
    )


def test_band_counts_pull_a_table_towards_the_values_seen(model) -> None:
    from medcomp_gui.codecs.rwnet import adaptive

    tables, level, channel, cls, bin_ = model.tables, 5, 200, 3, 2
    band = int(C.channel_groups(256)[channel])
    key = np.array([cls * C.BINS + bin_])
    counts = adaptive.BandCounts()
    (static,) = counts.models(tables, level, channel, band, key)
    assert static is tables.model(level, cls, channel, bin_)  # nothing counted yet
    low = int(tables.low[level, cls, channel, bin_])
    value = low + 1  # a value inside the table, seen a hundred times in the band
    counts.add(band, np.repeat(key, 100), np.full(100, value))
    (mixed,) = counts.models(tables, level, channel, band, key)
    assert mixed is not static
    probs = tables.probabilities(level, cls, channel, bin_)
    # the mixed table: (64 * static + 100 at the value) / 164
    expected = (adaptive.WEIGHT * probs[1] + 100) / (adaptive.WEIGHT + 100)
    import constriction

    bits = []
    for m in (static, mixed):
        coder = constriction.stream.stack.AnsCoder()
        coder.encode_reverse(np.full(200, 1, np.int32), m)
        bits.append(coder.num_bits())
    assert bits[1] < bits[0]  # the value seen is now cheaper
    assert bits[1] <= 200 * -np.log2(expected) + 64


def test_adaptation_shrinks_an_image_unlike_the_training_set(model, monkeypatch) -> None:
    """Speckle-like noise at a fine level: the band counts learn its spread."""
    from medcomp_gui.codecs.rwnet import adaptive, entropy, rdoq

    rng = np.random.default_rng(8)
    x = rng.rayleigh(0.08, (128, 128)).astype(np.float32) - 0.3
    y = np.asarray(model.analysis(x[None, :, :, None], 6))[0]
    symbols = rdoq.optimise(y, model.tables, 6)
    adapted = entropy.encode_latent(symbols, model.tables, 6)
    np.testing.assert_array_equal(entropy.decode_latent(adapted, model.tables, 6, 8, 8), symbols)
    monkeypatch.setattr(adaptive, "MIN_COUNT", 10**9)
    static = entropy.encode_latent(symbols, model.tables, 6)
    assert len(adapted) < 0.99 * len(static)  # 8,838 against 9,074 bytes


def _recorded_probabilities(monkeypatch) -> list:
    """The probabilities of every constriction categorical model made from now on (the
    list fills as they are made)."""
    import constriction

    given = []
    real = constriction.stream.model.Categorical
    monkeypatch.setattr(
        constriction.stream.model,
        "Categorical",
        lambda probs, perfect: given.append(np.array(probs)) or real(probs, perfect=perfect),
    )
    return given


def test_band_counts_of_a_large_band_stay_exact(model, monkeypatch) -> None:
    """A band of a large image counts a value some 10**5 times: the mix of static table
    and counts must stay exact (int32 counts times the tables' total overflowed, the
    mixed probabilities went negative, and MR2's quality 5 wrote a stream its decoder
    could not read)."""
    from medcomp_gui.codecs.rwnet import adaptive

    tables, level, channel, cls, bin_ = model.tables, 5, 200, 3, 2
    band = int(C.channel_groups(256)[channel])
    key = np.array([cls * C.BINS + bin_])
    value = int(tables.low[level, cls, channel, bin_]) + 1
    counts = adaptive.BandCounts()
    seen = 100_000
    counts.add(band, np.repeat(key, seen), np.full(seen, value))
    given = _recorded_probabilities(monkeypatch)
    counts.models(tables, level, channel, band, key)
    (probs,) = given
    static = tables.probabilities(level, cls, channel, bin_)
    expected = adaptive.WEIGHT * static[: probs.size]
    expected[1] += seen
    assert (probs > 0).all()
    np.testing.assert_allclose(probs, expected / (adaptive.WEIGHT + seen), rtol=1e-6, atol=1e-12)


def test_neighbour_sub_contexts_mix_their_counts_into_their_parents(model, monkeypatch) -> None:
    """Payload version 8: a value counted under a neighbour sub-context counts for its
    (class, bin, sign level) too; a sub-context with counts is coded with its parent's
    mixed distribution mixed again with its own counts (a value outside the table at the
    escape), one without counts with its parent's model itself."""
    from medcomp_gui.codecs.rwnet import adaptive

    tables, level, channel, cls, bin_ = model.tables, 5, 200, 3, 2
    band = int(C.channel_groups(256)[channel])
    parent = cls * C.BINS + bin_
    sub, empty = parent + adaptive.PARENTS * 5, parent + adaptive.PARENTS * 9
    low = int(tables.low[level, cls, channel, bin_])
    length = int(tables.length[level, cls, channel, bin_])
    counts = adaptive.BandCounts()
    # 40 plain values at low, 30 in the sub-context at low + 1, one far outside the table
    keys = np.array([parent] * 40 + [sub] * 31)
    values = np.array([low] * 40 + [low + 1] * 30 + [low + length + 5000])
    counts.add(band, keys, values)
    given = _recorded_probabilities(monkeypatch)
    plain, deep, none = counts.models(tables, level, channel, band, np.array([parent, sub, empty]))
    assert none is plain  # no counts of its own: its parent's model
    mixed, blended = given
    static = adaptive.WEIGHT * tables.probabilities(level, cls, channel, bin_)[: length + 1]
    expected = static.copy()
    expected[[0, 1, length]] += [40, 30, 1]  # every value counts for the parent
    expected /= adaptive.WEIGHT + 71
    np.testing.assert_allclose(mixed, expected, rtol=1e-9)
    own = np.zeros(length + 1)
    own[[1, length]] = [30, 1]
    want = (adaptive.SUB_WEIGHT * expected + own) / (adaptive.SUB_WEIGHT + 31)
    np.testing.assert_allclose(blended, want, rtol=1e-9)
    assert blended[1] > mixed[1] and blended[0] < mixed[0]


def test_neighbour_sub_contexts_round_trip_and_pay_on_a_radiograph(model) -> None:
    """The latent of a seeded simulated radiograph coded with neighbour sub-contexts
    (payload version 8) decodes the same, and is smaller than without them (level 9:
    33,542 -> 33,034 bytes)."""
    from medcomp_gui.codecs.rwnet import entropy

    tables, symbols, prepared, signs = _radiograph_latent(model)
    without = entropy.encode_latent(symbols, tables, 8, None, prepared, signs)
    with_subs = entropy.encode_latent(symbols, tables, 8, None, prepared, signs, subs=True)
    assert len(with_subs) < 0.995 * len(without)
    back = entropy.decode_latent(with_subs, tables, 8, 24, 20, None, signs, subs=True)
    np.testing.assert_array_equal(back, symbols)
    try:  # decoded as version 7: damage, or other values
        wrong = entropy.decode_latent(with_subs, tables, 8, 24, 20, None, signs)
    except CodecError:
        return
    assert not np.array_equal(wrong, symbols)


def test_each_band_keeps_the_way_of_adapting_that_codes_it_smallest(model) -> None:
    """Payload version 9: the encoder chooses for each band whether its values are
    counted by their neighbour sub-contexts and its static tables' weight (ideal bits
    of each value's probability, :func:`~.entropy.choose_bands`); the stream decodes the
    same with those choices, and no other choice for any one band gives a smaller
    stream (4 bytes: the ANS coder's word). Here: 32,702 bytes (the three finest bands
    with sub-contexts and weight 16, the coarse ones 256), against 33,034 with version
    8's coding and 33,542 without sub-contexts; the worst single change costs 592."""
    from medcomp_gui.codecs.rwnet import adaptive, entropy

    tables, symbols, prepared, signs = _radiograph_latent(model)
    stream, flags, weights = entropy.encode_latent_choosing_bands(
        symbols, tables, 8, None, prepared, signs
    )
    assert flags.dtype == bool and not flags[:5].any()  # classes, DC, row bands: never
    assert set(weights[5:].tolist()) <= set(adaptive.WEIGHTS)
    assert set(weights[1:5].tolist()) <= set(adaptive.ROW_WEIGHTS)
    back = entropy.decode_latent(
        stream, tables, 8, 24, 20, None, signs, subs=flags, weights=weights
    )
    np.testing.assert_array_equal(back, symbols)
    coded = symbols, tables, 8, None, prepared, signs
    assert entropy.encode_latent(*coded, subs=flags, weights=weights) == stream
    costs = []
    for band in range(5, 14):
        for apart in (False, True):
            for weight in adaptive.WEIGHTS:
                other, heavier = flags.copy(), weights.copy()
                other[band], heavier[band] = apart, weight
                size = len(entropy.encode_latent(*coded, subs=other, weights=heavier))
                costs.append(size - len(stream))
    for group in adaptive.ROW_GROUPS:  # the DC and coarsest bands: static (0) or adapted
        for weight in adaptive.ROW_WEIGHTS:
            heavier = weights.copy()
            heavier[group] = weight
            size = len(entropy.encode_latent(*coded, subs=flags, weights=heavier))
            costs.append(size - len(stream))
    assert min(costs) >= -4
    assert max(costs) > 200  # the choices matter
    for fixed in (False, True):  # against version 7's and 8's coding
        assert len(stream) < len(entropy.encode_latent(*coded, subs=fixed)) - 100


def test_dc_and_coarsest_bands_adapted_by_rows_round_trip_and_pay_at_a_low_level(model) -> None:
    """Payload version 9: at a low level, where the DC and the coarsest bands are much of
    a radiograph's bits, the encoder adapts some of them row by row (each row coded with
    the counts of the rows before); the stream decodes the same, and is smaller than
    with all four static (1024 x 896 at level 2: 1,263 bytes, the DC with weight 64 and
    the first coarsest band with 16, against 1,351). Every weight for each of them
    round-trips."""
    from medcomp_gui.codecs.rwnet import adaptive, entropy

    tables, symbols, prepared, signs = _radiograph_latent(model, 2, (1024, 896))
    stream, flags, weights = entropy.encode_latent_choosing_bands(
        symbols, tables, 2, None, prepared, signs
    )
    assert (weights[list(adaptive.ROW_GROUPS)] > 0).any()
    coded = symbols, tables, 2, None, prepared, signs
    static = weights.copy()
    static[list(adaptive.ROW_GROUPS)] = 0
    assert len(stream) < len(entropy.encode_latent(*coded, subs=flags, weights=static)) - 8
    h, w = symbols.shape[:2]
    for group in adaptive.ROW_GROUPS:
        for weight in adaptive.WEIGHTS:
            forced = static.copy()
            forced[group] = weight
            data = entropy.encode_latent(*coded, subs=flags, weights=forced)
            back = entropy.decode_latent(
                data, tables, 2, h, w, None, signs, subs=flags, weights=forced
            )
            np.testing.assert_array_equal(back, symbols)
