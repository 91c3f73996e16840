"""RWNet codec: round trips, damage, model identity, golden file, lazy TensorFlow import.

The golden file (``golden/``) is regenerated only with ``MEDCOMP_REGEN_GOLDEN=1`` — do
that when new weights are committed to models/, and commit the result with them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from reference_images import phantom

from medcomp_gui.codecs.base import PayloadInfo
from medcomp_gui.errors import CodecError
from medcomp_gui.imaging.image import MedicalImage

GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parents[3]


def round_trip(codec, image: MedicalImage, quality: int):
    enc = codec.encode(image, quality=quality)
    info = PayloadInfo(
        image.pixels.shape, image.pixels.dtype, image.bits_stored, enc.params, enc.extra
    )
    return enc, info, codec.decode(enc.payload, info)


def psnr(a: np.ndarray, b: np.ndarray, bits: int) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(((1 << bits) - 1) ** 2 / max(mse, 1e-12)))


def test_registry_and_codec_module_do_not_import_tensorflow() -> None:
    code = (
        "import sys\n"
        "from medcomp_gui.codecs import codec_names, get_codec\n"
        "assert 'rwnet' in codec_names()\n"
        "c = get_codec('rwnet')\n"
        "assert c.qualities == tuple(range(1, len(c.qualities) + 1)) and len(c.qualities) >= 6\n"
        "c.availability()\n"
        "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr


def test_shipped_model_codes_without_tensorflow() -> None:
    # its learned branches are gated shut: the fixed wavelet path runs with NumPy, in an
    # install without TensorFlow too (the viewer's; TensorFlow is the "train" extra)
    code = (
        "import sys\n"
        "sys.modules['tensorflow'] = sys.modules['keras'] = None  # not installed\n"
        "import numpy as np\n"
        "from medcomp_gui import api\n"
        "from medcomp_gui.codecs import get_codec\n"
        "from medcomp_gui.imaging.image import MedicalImage\n"
        "assert get_codec('rwnet').availability() is None\n"
        "x = (np.arange(48 * 40).reshape(48, 40) % 4096).astype(np.uint16)\n"
        "image = MedicalImage(x, 12)\n"
        "back = api.decompress(api.compress(image, 'rwnet', quality=6))\n"
        "assert back.pixels.shape == (48, 40)\n"
        "bad = [m for m in ('tensorflow', 'keras') if sys.modules.get(m) is not None]\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr


def test_a_model_with_open_branches_needs_tensorflow(tmp_path, monkeypatch) -> None:
    import importlib.util
    import json
    import shutil

    from medcomp_gui.codecs.rwnet import store
    from medcomp_gui.codecs.rwnet.codec import RWNetCodec

    for path in store.paths(REPO / "models").values():
        shutil.copy(path, tmp_path)
    config = store.paths(tmp_path)["config"]
    meta = json.loads(config.read_text())
    del meta["fixed_path"]
    config.write_text(json.dumps(meta))
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "tensorflow" else real(name, *a),
    )
    assert RWNetCodec(REPO / "models").availability() is None
    reason = RWNetCodec(tmp_path).availability()
    assert reason is not None and "TensorFlow" in reason and "medcomp-gui[train]" in reason


@pytest.mark.parametrize(
    ("shape", "bits", "signed"),
    [
        ((37, 53), 8, False),
        ((511, 257), 12, False),
        ((64, 48), 16, False),
        ((80, 96), 12, True),
        ((3, 48, 40), 12, False),
        ((9, 7), 10, False),
    ],
    ids=["8bit_37x53", "12bit_511x257", "16bit", "ct_signed", "multiframe", "tiny_9x7"],
)
def test_round_trip(codec, shape, bits, signed) -> None:
    pixels = phantom(shape, bits, signed, seed=3)
    image = MedicalImage(pixels, bits, modality="CT" if signed else "MR")
    enc, info, out = round_trip(codec, image, quality=codec.qualities[-1])
    assert out.shape == pixels.shape and out.dtype == pixels.dtype
    # the top level, or lossless coding where the top level would cost more
    assert enc.params["quality"] == codec.qualities[-1]
    if enc.lossless:
        assert np.array_equal(out, pixels)
    lo, hi = image.stored_range
    assert out.min() >= lo and out.max() <= hi
    assert psnr(out, pixels, bits) > 25.0


def test_no_level_costs_more_than_lossless_coding(codec) -> None:
    """A noisy image where the top levels would cost more than JPEG-LS: those levels
    give the lossless coding (exact, no larger than it plus the 6-byte head, marked
    lossless), the levels below stay lossy and smaller."""
    from medcomp_gui.codecs.rwnet.codec import load_model, lossless_bytes

    rng = np.random.default_rng(4)
    pixels = phantom((128, 128), 12, False, seed=4) // 4 + rng.integers(0, 8, (128, 128))
    image = MedicalImage(pixels.astype(np.uint16), 12)
    lossless = lossless_bytes(image)  # this installation's JPEG-LS / JPEG 2000
    sizes = [len(codec._encode_level(load_model(), image, q - 1)[0]) for q in codec.qualities]
    assert sizes[-1] >= lossless > sizes[0]  # the premise: the top would cost more
    for q, size in zip(codec.qualities, sizes, strict=True):
        enc, _, out = round_trip(codec, image, q)
        assert enc.params["quality"] == q
        if size >= lossless:
            assert enc.lossless and enc.params["lossless"] is True
            assert len(enc.payload) <= lossless + 6 and np.array_equal(out, pixels)
        else:
            assert not enc.lossless and len(enc.payload) == size < lossless


def test_lossless_asked_is_exact_and_decodes_without_the_model(codec, tmp_path) -> None:
    """``lossless=True`` stores the best lossless coding; its payload names the codec and
    decodes where no RWNet model is installed (a missing model folder)."""
    from medcomp_gui.codecs.rwnet.codec import RWNetCodec, lossless_bytes

    pixels = phantom((3, 40, 56), 12, True, seed=9)
    image = MedicalImage(pixels, 12, modality="CT")
    enc = codec.encode(image, lossless=True)
    assert enc.lossless and enc.params == {"quality": 4, "lossless": True}
    assert enc.payload[:4] == b"RWN\x05" and len(enc.payload) == lossless_bytes(image) + 6
    info = PayloadInfo(pixels.shape, pixels.dtype, 12, enc.params, enc.extra)
    bare = RWNetCodec(tmp_path)
    assert bare.availability() is not None
    assert np.array_equal(bare.decode(enc.payload, info), pixels)
    assert codec.is_lossless(enc.params) and not codec.is_lossless({"quality": 4})
    lossy = PayloadInfo(pixels.shape, pixels.dtype, 12, {"quality": 4}, enc.extra)
    with pytest.raises(CodecError, match="header says lossy"):
        codec.decode(enc.payload, lossy)
    with pytest.raises(CodecError, match="damaged"):
        codec.decode(enc.payload[:4] + b"\x00\x07" + enc.payload[6:], info)
    plain = codec.encode(image, quality=2)
    assert not plain.lossless
    said = PayloadInfo(pixels.shape, pixels.dtype, 12, {"quality": 2, "lossless": True}, {})
    with pytest.raises(CodecError, match="header says lossless"):
        codec.decode(plain.payload, said)


def test_a_higher_quality_never_gives_a_worse_image(codec) -> None:
    """nibabel's test pattern, a sawtooth ramp that JPEG 2000 codes losslessly in a
    few hundred bytes (JPEG-LS needs 15x more): from the first level that would cost
    more than that, every level gives the lossless coding; no higher quality gives a
    worse image (when the ladder was stopped below lossless coding, a bound taken from
    JPEG-LS alone at some levels and from JPEG 2000 at others made quality 4 fall back
    to level 1 while quality 3 kept level 3; then qualities 5-11 cost 8-42x lossless)."""
    rows, cols = np.mgrid[0:256, 0:256]
    image = MedicalImage(((256 * rows + cols) % 4096).astype(np.uint16), 12)
    quality, sizes = [], []
    for q in codec.qualities:
        enc, _, out = round_trip(codec, image, q)
        quality.append(psnr(out, image.pixels, 12) if not enc.lossless else np.inf)
        sizes.append(len(enc.payload))
        if enc.lossless:
            assert np.array_equal(out, image.pixels)
    assert quality == sorted(quality), quality
    assert quality[-1] == np.inf and max(sizes) < 700, sizes


def test_quality_levels_trade_rate_for_distortion(codec) -> None:
    pixels = phantom((128, 112), 12, False, seed=5)
    image = MedicalImage(pixels, 12)
    sizes, errors = [], []
    for q in (codec.qualities[0], codec.qualities[-1]):
        enc, _, out = round_trip(codec, image, q)
        sizes.append(len(enc.payload))
        errors.append(psnr(out, pixels, 12))
    assert sizes[0] < sizes[1] and errors[0] < errors[1]


def test_constant_image(codec) -> None:
    pixels = np.full((40, 40), 1234, np.uint16)
    _, _, out = round_trip(codec, MedicalImage(pixels, 12), 3)
    assert np.abs(out.astype(int) - 1234).max() <= 1


def test_bad_quality(codec) -> None:
    with pytest.raises(CodecError):
        codec.encode(
            MedicalImage(np.zeros((16, 16), np.uint8), 8), quality=len(codec.qualities) + 1
        )


def test_damaged_payload_is_a_codec_error(codec) -> None:
    pixels = phantom((96, 80), 12, False)
    enc, info, _ = round_trip(codec, MedicalImage(pixels, 12), 5)
    payload = enc.payload
    bad = [
        b"",
        payload[:10],
        payload[:-3],
        payload + b"\0",
        b"XXX" + payload[3:],
        payload[:3] + bytes([99]) + payload[4:],  # version
        payload[:4] + bytes([200]) + payload[5:],
    ]  # quality
    for damaged in bad:
        with pytest.raises(CodecError):
            codec.decode(damaged, info)
    wrong_shape = PayloadInfo((2, 96, 80), info.dtype, 12, info.params, info.extra)
    with pytest.raises(CodecError):
        codec.decode(payload, wrong_shape)
    rng = np.random.default_rng(0)
    for _ in range(30):  # flipped bytes in the coded latents: an error or an image, never a crash
        mutated = bytearray(payload)
        for pos in rng.integers(20, len(payload), size=3):
            mutated[pos] ^= int(rng.integers(1, 256))
        try:
            out = codec.decode(bytes(mutated), info)
        except CodecError:
            continue
        assert out.shape == pixels.shape and out.dtype == pixels.dtype


def test_bad_normalisation_is_a_codec_error(codec) -> None:
    pixels = phantom((48, 48), 12, False)
    enc, info, _ = round_trip(codec, MedicalImage(pixels, 12), 2)
    for norm in (
        None,
        {"kind": "minmax", "low": [5], "high": [5]},
        {"kind": "minmax", "low": [0], "high": [1 << 20]},
        {"kind": "other"},
    ):
        extra = {**enc.extra, "normalisation": norm}
        with pytest.raises(CodecError):
            codec.decode(enc.payload, PayloadInfo(info.shape, info.dtype, 12, info.params, extra))


def test_other_model_is_a_clear_error(codec) -> None:
    pixels = phantom((48, 48), 12, False)
    enc, info, _ = round_trip(codec, MedicalImage(pixels, 12), 2)
    extra = {**enc.extra, "model_hash": "0" * 64}
    with pytest.raises(CodecError, match="made with RWNet model"):
        codec.decode(enc.payload, PayloadInfo(info.shape, info.dtype, 12, info.params, extra))


def test_entropy_coding_escapes_out_of_table_values(codec) -> None:
    from medcomp_gui.codecs.rwnet import entropy
    from medcomp_gui.codecs.rwnet.codec import load_model

    tables = load_model().tables
    rng = np.random.default_rng(1)
    symbols = rng.integers(-3, 4, size=(3, 5, tables.channels)).astype(np.int32)
    symbols[0, 0, 0] = 10**6
    symbols[2, 4, -1] = -(10**6)
    data = entropy.encode_latent(symbols, tables, level=0)
    np.testing.assert_array_equal(entropy.decode_latent(data, tables, 0, 3, 5), symbols)


# ---------------------------------------------------------------- golden file

GOLDEN_QUALITY = 6


GOLDEN_SIDE = 64  # a 4 x 4 latent: enough values for the band counts to adapt tables


def golden_image() -> MedicalImage:
    return MedicalImage(phantom((GOLDEN_SIDE,) * 2, 12, False, seed=11), 12, modality="MR")


def _frame(payload: bytes, model):
    """(level, table levels, offsets, sign weights, the bands' choices, post-filter, frame
    stream) of a one-frame golden payload."""
    from medcomp_gui.codecs.rwnet.codec import _read_mask, _read_side, _split

    side = GOLDEN_SIDE
    version, level, frames = _split(payload, 1, side, side, model.tables.channels)
    mask, frame = _read_mask(frames[0], side, side)
    assert mask is None
    chosen, offsets, signs, bands, kernel, stream = _read_side(
        frame, level, model.tables.levels, version
    )
    return level, chosen, offsets, signs, bands, kernel, stream


def _regenerate(codec) -> None:
    from medcomp_gui.codecs.rwnet import entropy
    from medcomp_gui.codecs.rwnet.codec import load_model

    image = golden_image()
    enc, info, out = round_trip(codec, image, GOLDEN_QUALITY)
    level, chosen, _, signs, (subs, weights), _, stream = _frame(enc.payload, load_model())
    n = GOLDEN_SIDE // 16
    latents = entropy.decode_latent(
        stream, load_model().tables, level, n, n, chosen, signs, subs=subs, weights=weights
    )
    GOLDEN.mkdir(exist_ok=True)
    (GOLDEN / "golden.rwnet").write_bytes(enc.payload)
    (GOLDEN / "golden.json").write_text(
        json.dumps({"params": enc.params, "extra": enc.extra}, indent=1)
    )
    np.save(
        GOLDEN / "latents.npy",
        latents.astype(np.int16 if np.abs(latents).max() < 2**15 else np.int32),
    )
    np.save(GOLDEN / "reconstruction.npy", out)


@pytest.mark.parametrize(
    "folder, version",
    [
        (GOLDEN, 10),
        (GOLDEN / "v9", 9),
        (GOLDEN / "v8", 8),
        (GOLDEN / "v7", 7),
        (GOLDEN / "v6", 6),
        (GOLDEN / "v4", 4),
    ],
    ids=["current", "payload-v9", "payload-v8", "payload-v7", "payload-v6", "payload-v4"],
)
def test_golden_file(codec, monkeypatch, folder, version) -> None:
    """The golden payload decodes to its latents and image, and today's coder codes
    those latents to the same stream (and, version 9, makes the same choices for the
    bands: neighbour sub-contexts, static table weights); payloads of version 4 (before
    sign prediction), 6 (with the AC prediction, until 2026-12-03), 7 (without neighbour
    sub-contexts, until 2026-12-03), 8 (with them in the bands with sign prediction,
    until 2026-12-04) and 9 (without a post-filter, until 2026-12-04) still decode the
    same."""
    from medcomp_gui.codecs.rwnet import adaptive, entropy
    from medcomp_gui.codecs.rwnet.codec import load_model

    if os.environ.get("MEDCOMP_REGEN_GOLDEN") == "1" and folder == GOLDEN:
        _regenerate(codec)
    meta = json.loads((folder / "golden.json").read_text())
    model = load_model()
    assert model.model_hash.startswith(meta["extra"]["model_hash"]), (
        "golden file made with other weights: rerun with MEDCOMP_REGEN_GOLDEN=1 and commit it"
    )
    payload = (folder / "golden.rwnet").read_bytes()
    assert payload[3] == version
    predict = version < 7  # the AC prediction (:func:`~.prediction.coefficients`)
    latents = np.load(folder / "latents.npy")
    level, chosen, _, signs, bands, _, stream = _frame(payload, model)
    assert level == GOLDEN_QUALITY - 1
    n = GOLDEN_SIDE // 16
    # the coding before version 7, before version 8, and before 9
    subs, weights = bands if version >= 9 else (version >= 8, None)
    old = {"predict": predict, "adapt_classes": not predict, "subs": subs, "weights": weights}
    decoded = entropy.decode_latent(stream, model.tables, level, n, n, chosen, signs, **old)
    np.testing.assert_array_equal(decoded, latents)
    coded = latents.astype(np.int32), model.tables, level, chosen
    assert entropy.encode_latent(*coded, signs=signs, **old) == stream
    info = PayloadInfo((GOLDEN_SIDE,) * 2, np.dtype(np.uint16), 12, meta["params"], meta["extra"])
    out = codec.decode(payload, info)
    expected = np.load(folder / "reconstruction.npy")
    assert np.abs(out.astype(np.int32) - expected.astype(np.int32)).max() <= 1
    if version >= 8:  # the golden stream exercises the neighbour sub-contexts
        assert entropy.encode_latent(*coded, signs=signs, **{**old, "subs": False}) != stream
    if version >= 9:  # and the encoder's choices for the bands
        again, flags, chosen_weights = entropy.encode_latent_choosing_bands(*coded, signs=signs)
        assert again == stream and np.array_equal(flags, subs)
        np.testing.assert_array_equal(chosen_weights, weights)
        assert entropy.encode_latent(*coded, signs=signs, **{**old, "weights": None}) != stream
    # the golden stream exercises the adaptive tables: with static ones it differs
    monkeypatch.setattr(adaptive, "MIN_COUNT", 10**9)
    assert entropy.encode_latent(*coded, signs=signs, **old) != stream


def test_tables_reload_gives_the_same_bytes(codec, tmp_path) -> None:
    from medcomp_gui.codecs.rwnet import entropy
    from medcomp_gui.codecs.rwnet.codec import load_model
    from medcomp_gui.codecs.rwnet.tables import Tables

    tables = load_model().tables
    tables.save(tmp_path / "t.npz")
    again = Tables.load(tmp_path / "t.npz")
    rng = np.random.default_rng(2)
    symbols = rng.integers(-5, 6, size=(4, 6, tables.channels)).astype(np.int32)
    for level in (0, tables.levels - 1):
        data = entropy.encode_latent(symbols, tables, level)
        assert entropy.encode_latent(symbols, again, level) == data
        np.testing.assert_array_equal(entropy.decode_latent(data, again, level, 4, 6), symbols)
