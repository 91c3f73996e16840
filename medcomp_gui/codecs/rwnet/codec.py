"""RWNet as a registered codec (``get_codec("rwnet")``): quality levels 1..N, lossy, and
lossless where a level would cost more than lossless coding (or ``lossless`` is asked).

Importing this module imports neither TensorFlow nor Keras; the trained model (see
:mod:`.store`) is loaded on the first encode/decode and cached.

Payload (version 10; versions 4, 6, 7, 8 and 9 are still read: 4 has no sign weights, and 4
and 6 code the detail channels as residuals of the AC prediction from the DC,
:func:`~.prediction.coefficients`, the DC with the model's step and the classes with
static tables, where version 7 on codes the detail values themselves, the DC with
``DC_STEP`` and the classes with adapted tables,
:func:`~.entropy.adaptive_class_weights`; version 8 also counts the adapted detail
values of the bands with sign prediction by their neighbour sub-contexts,
:func:`~.adaptive.with_subs`, and version 9 those of the bands the encoder flags, each
band with the static tables' weight it chose, :func:`~.entropy.choose_bands`; version
10 frames may carry a post-filter, :mod:`.postfilter`);
``varint``: unsigned LEB128
(:mod:`medcomp_gui.varint`)::

    b"RWN" u8 version | u8 quality | varint latent channels | varint frames | varint rows
    | varint cols | per frame: varint length, frame

    frame: u8 has_mask | [varint mask length | mask (:mod:`.mask`)] if has_mask
           | varint group mask | u8 table level of each group in the mask
           | u8 n_offsets (0 or OFFSETS) | i8 offsets[n_offsets]
           | varint sign weights (:func:`_packed_signs`; version 6 on)
           | varint bands' choices (:func:`~.adaptive.packed_bands`; version 9 on)
           | post-filter (:func:`~.postfilter.packed`; version 10 on)
           | frame stream (:mod:`.entropy`)

A frame with a background mask was coded with the masked pixels filled in smoothly
(:func:`~.mask.fill`); the decoder sets them back to the frame's lowest value
(``low``), exactly. The encoder uses a mask where it pays (:func:`code_frame`).

The side information of a frame: the groups (:func:`~.contexts.channel_groups`) coded with
another level's tables (:func:`~.entropy.choose_table_levels`), and the reconstruction
offsets of the detail bands (:func:`reconstruction_offsets`). (Version 1, without side
information, was only ever written with the model rwnet-v2; version 2, without
background masks, only with rwnet-v3; version 3, with fixed-size fields, only with
rwnet-v4: none decodes with this model.)

Lossless payload (version 5: the best of this installation's JPEG-LS and JPEG 2000 5/3
codings of the image, where the asked level's payload would be no smaller, or where
``lossless`` is asked; it decodes without the model)::

    b"RWN" u8 5 | u8 quality asked | u8 codec (0: JPEG-LS, 1: JPEG 2000) | its payload

``Encoded.extra`` (lossy payloads): ``model_id``, ``model_hash`` (its first ``HASH_DIGITS``),
``normalisation`` (per frame ``low`` and ``high``, in unsigned stored units:
``x = (v - low) / (high - low) - 0.5``).
"""

from __future__ import annotations

import importlib.util
import json
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medcomp_gui import varint
from medcomp_gui.codecs.base import (
    Encoded,
    ParamSpec,
    PayloadInfo,
    from_unsigned,
    native_errors,
    resolve_params,
    to_unsigned,
)
from medcomp_gui.codecs.rwnet import store
from medcomp_gui.errors import CodecError, CodecUnavailableError
from medcomp_gui.imaging.image import MedicalImage

MAGIC = b"RWN"
VERSION = 10
#: payload versions this code reads: 4 (rwnet-v5 until 2026-12-03, without sign
#: prediction), 6 (with it), 7 (without the AC prediction), 8 (with neighbour
#: sub-contexts in the bands with sign prediction), 9 (in the bands the encoder chose),
#: 10 (with a post-filter where it pays), and the lossless payloads (``LOSSLESS_VERSION``)
LOSSY_VERSIONS = (4, 6, 7, 8, 9, 10)
#: the first payload version that codes the detail channels without the AC prediction
#: (:func:`~.prediction.coefficients`), quantises the DC with ``DC_STEP`` and adapts the
#: class tables (:func:`~.entropy.adaptive_class_weights`)
UNPREDICTED_VERSION = 7
#: the first payload version whose adapted detail values are also counted by their
#: neighbour sub-contexts (:func:`~.adaptive.with_subs`)
SUBS_VERSION = 8
#: the first payload version whose frames say which bands use neighbour sub-contexts
#: and which static table weight (:func:`~.entropy.choose_bands`)
CHOSEN_BANDS_VERSION = 9
#: the first payload version whose frames may carry a post-filter (:mod:`.postfilter`)
FILTER_VERSION = 10
#: payload version 7 on: the DC's quantisation step, as a share of the model's (the
#: latent's DC is divided by it before quantisation, multiplied back after decoding).
#: Development set: 20 images of every group (benchmarks/probes/dc_step.py, levels 1-7,
#: BD-rate against the model's step): 0.8 -2.1 % on CR/DX, -2.3 to -3.1 % on CT, -0.7
#: to +0.3 % elsewhere; 0.6 up to +1.2 %, 0.5 up to +5 %, 1.4 +4 to +8 %; then all 60
#: images (benchmarks/rwnet_dev.py), 0.7 against 0.8: all -9.2 / -9.0 %, CR/DX +1.2 /
#: +1.3 %, US -15.9 / -15.0 %, CT -11.1 / -11.1 %, MR -4.0 / -4.1 %
DC_STEP = 0.7
#: quality levels: the model's trained levels plus its extrapolated ones
LEVELS = 11
_HEAD = struct.Struct("<3sBB")  # magic, version, quality; then varints (module docstring)
#: reconstruction offsets per frame: per detail level (coarse to fine), for |value| = 1
#: and for |value| >= 2, in units of 1/OFFSET_UNIT of a quantisation step
OFFSETS = 8
OFFSET_UNIT = 128
STRIDE = 16
#: the payload version of a frame set coded losslessly (the quality level would have cost
#: more, or ``lossless`` was asked), and its codecs, by the index its byte gives
LOSSLESS_VERSION = 5
_LOSSLESS_CODECS = ("jpegls", "jpeg2000")
#: hex digits of the model hash a payload records (48 bits tell models apart; files of
#: earlier versions hold all 64, which still match)
HASH_DIGITS = 12
#: levels of the fixed wavelet path (4**4 = 256 latent channels, 1/16 resolution)
WAVELET_LEVELS = 4


@dataclass
class LoadedModel:
    """The trained transforms, their integer tables and their identity."""

    model_id: str
    model_hash: str
    lambdas: tuple[float, ...]
    tables: Any
    analysis: Any
    synthesis: Any

    def rounded_bits_saved(self, x: np.ndarray, filled: np.ndarray, level: int) -> float:
        """Bits the rounded latent of ``filled`` saves against that of ``x`` (both padded),
        with the tables of ``level``, counted at the positions where they differ."""
        from medcomp_gui.codecs.rwnet import entropy

        latents = [np.rint(self.latent(v, level)) for v in (x, filled)]
        plain, other = (y.astype(np.int32) for y in latents)
        differ = np.flatnonzero((plain != other).any(axis=-1))
        if differ.size == 0:
            return 0.0
        bits = [
            entropy.group_bits(y, self.tables, level, [level], differ, predict=False)[level].sum()
            for y in (plain, other)
        ]
        return float(bits[0] - bits[1])

    def latent(self, x: np.ndarray, level: int) -> np.ndarray:
        """The unrounded latent ``(h, w, channels)`` of ``x`` ``(rows, cols)`` (padded) at
        ``level``, as the encoder quantises it (the DC divided by ``DC_STEP``)."""
        y = np.array(self.analysis(x[np.newaxis, :, :, np.newaxis], level))[0]
        y[..., 0] /= DC_STEP
        return y

    def encode_frame(self, x: np.ndarray, level: int, quantum: float = 0.0) -> bytes:
        """The frame (side information and stream) of ``x`` ``(rows, cols)`` (padded;
        ``quantum``: one stored value in ``x``'s units, for the post-filter's choice)."""
        from medcomp_gui.codecs.rwnet import entropy, postfilter, rdoq

        y = self.latent(x, level)
        # quantised with the level's own tables, then each group's tables chosen for it
        # (quantising again with the chosen tables gained 0.1 % on the development set
        # for a third more encoding time)
        symbols = rdoq.optimise(y, self.tables, level, predict=False, dc_step=DC_STEP)
        prepared = entropy.Prepared(symbols, self.tables, level, predict=False)  # for both
        chosen = entropy.choose_table_levels(symbols, self.tables, level, prepared=prepared)
        weights = rdoq.weights_of(self.tables, level, DC_STEP)
        offsets = reconstruction_offsets(y, symbols, weights)
        signs = entropy.sign_weights(prepared.by_channel, prepared.where)
        stream, subs, band_weights = entropy.encode_latent_choosing_bands(
            symbols, self.tables, level, chosen, prepared, signs
        )
        decoded = self.reconstruct(symbols, level, offsets, DC_STEP)
        kernel = postfilter.choose(decoded, x, level, len(stream), quantum)
        side = _side(chosen, level, offsets, signs, (subs, band_weights))
        return side + postfilter.packed(kernel) + stream

    def decode_frame(
        self, frame: bytes, level: int, h: int, w: int, version: int = VERSION
    ) -> np.ndarray:
        """Inverse of :func:`encode_frame` (padded size; ``h``, ``w``: latent size;
        ``version``: the payload's, 4 without sign prediction, 4 and 6 with the AC
        prediction)."""
        from medcomp_gui.codecs.rwnet import entropy

        chosen, offsets, signs, bands, kernel, stream = _read_side(
            frame, level, self.tables.levels, version
        )
        subs, band_weights = bands if bands is not None else (version >= SUBS_VERSION, None)
        predict = version < UNPREDICTED_VERSION
        symbols = entropy.decode_latent(
            stream,
            self.tables,
            level,
            h,
            w,
            chosen,
            signs,
            predict,
            adapt_classes=not predict,
            subs=subs,
            weights=band_weights,
        )
        decoded = self.reconstruct(symbols, level, offsets, 1.0 if predict else DC_STEP)
        if kernel is None:
            return decoded
        from medcomp_gui.codecs.rwnet import postfilter

        return postfilter.apply(decoded, kernel)

    def reconstruct(
        self,
        symbols: np.ndarray,
        level: int,
        offsets: np.ndarray | None = None,
        dc_step: float = 1.0,
    ) -> np.ndarray:
        """The image ``(rows, cols)`` (padded) of an integer latent whose DC was quantised
        with ``dc_step`` times the model's step (:data:`DC_STEP`)."""
        y = symbols.astype(np.float32)
        y[..., 0] *= np.float32(dc_step)
        if offsets is not None:
            y += np.sign(y) * _offset_grid(symbols, offsets)
        x = self.synthesis(y[np.newaxis], level)
        return np.asarray(x)[0, :, :, 0]


def _offset_index(symbols: np.ndarray) -> np.ndarray:
    """int64 index into the offsets of each value of a latent; -1: none (DC, zeros)."""
    from medcomp_gui.codecs.rwnet.contexts import channel_groups

    depth = (channel_groups(symbols.shape[-1]) - 2) // 3  # 0 coarsest .. 3 finest; DC -1
    index = 2 * depth[None, None, :] + (np.abs(symbols) >= 2)
    return np.where((symbols != 0) & (depth[None, None, :] >= 0), index, -1)


def _offset_grid(symbols: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    index = _offset_index(symbols)
    table = np.append(offsets.astype(np.float32) / OFFSET_UNIT, np.float32(0))
    return table[index]  # index -1 reads the appended 0


def reconstruction_offsets(
    y: np.ndarray, symbols: np.ndarray, weights: np.ndarray
) -> np.ndarray | None:
    """int8 ``(OFFSETS,)``: for each detail level and magnitude (1, or 2 and more), how far
    beyond its integer the decoder should put a nonzero value (in 1/``OFFSET_UNIT``
    steps): the mean of the encoder's ``(y - q) * sign(q)`` there — the centroid of the
    values quantised to ``q`` (rounding towards zero by :mod:`.rdoq` leaves them
    beyond ``q``; a peaked density, short of it). ``None`` when the distortion saved,
    in bits (``weights``: the level's bits per squared latent error, :mod:`.rdoq`), is
    less than the offsets' side information."""
    index = _offset_index(symbols).reshape(-1, symbols.shape[-1])
    nonzero = np.nonzero(index >= 0)  # (position, channel) of each nonzero detail value
    i = index[nonzero]
    q = symbols.reshape(index.shape)[nonzero]
    err = (y.reshape(index.shape)[nonzero] - q).astype(np.float64) * np.sign(q)
    weight = np.asarray(weights, np.float64)[nonzero[1]]
    count = np.bincount(i, minlength=OFFSETS)
    mean = np.bincount(i, err, minlength=OFFSETS) / np.maximum(count, 1)
    delta = np.clip(np.rint(mean * OFFSET_UNIT), -127, 127) / OFFSET_UNIT
    offsets = (delta * OFFSET_UNIT).astype(np.int8)
    saved = float((weight * (err**2 - (err - delta[i]) ** 2)).sum())
    return offsets if saved > 8 * (OFFSETS + 1) else None


def _side(
    chosen: np.ndarray,
    level: int,
    offsets: np.ndarray | None,
    signs: np.ndarray,
    bands: tuple[np.ndarray, np.ndarray] | None = None,
) -> bytes:
    """The side information of a frame (the module docstring); ``bands``: the bands'
    sub-context flags and static table weights (version 9; None: a version 8 frame)."""
    groups = [g for g in range(chosen.size) if chosen[g] != level]
    mask = sum(1 << g for g in groups)
    side = varint.encode(mask) + bytes(int(chosen[g]) for g in groups)
    side += b"\x00" if offsets is None else bytes([OFFSETS]) + offsets.astype(np.int8).tobytes()
    side += varint.encode(_packed_signs(signs))
    if bands is None:
        return side
    from medcomp_gui.codecs.rwnet.adaptive import packed_bands

    return side + varint.encode(packed_bands(*bands))


#: the bands whose sign weights a frame carries (:func:`~.entropy.sign_weights`): those
#: with neighbours in the block (every level but the coarsest)
SIGN_BANDS = range(5, 14)


def _packed_signs(signs: np.ndarray) -> int:
    """The sign weights of ``SIGN_BANDS`` (-1, 0, 1 each for above and left) as one
    base-3 number (0: none; at most 5 bytes as a varint)."""
    digits = signs[list(SIGN_BANDS)].reshape(-1) % 3  # -1 -> 2
    return sum(int(d) * 3**i for i, d in enumerate(digits.tolist()))


def _unpacked_signs(packed: int) -> np.ndarray | None:
    from medcomp_gui.codecs.rwnet.contexts import GROUPS

    if packed >= 3 ** (2 * len(SIGN_BANDS)):
        raise CodecError("RWNet frame side information damaged (sign weights)")
    if packed == 0:
        return None
    digits = [packed // 3**i % 3 for i in range(2 * len(SIGN_BANDS))]
    signs = np.zeros((GROUPS, 2), np.int64)
    signs[list(SIGN_BANDS)] = np.array([(d + 1) % 3 - 1 for d in digits]).reshape(-1, 2)
    return signs


def _read_side(
    frame: bytes, level: int, levels: int, version: int = VERSION
) -> tuple[
    np.ndarray, np.ndarray | None, np.ndarray | None, tuple | None, np.ndarray | None, bytes
]:
    """(table levels, offsets, sign weights, the bands' (sub-context flags, weights),
    post-filter coefficients, frame stream) of a frame (no sign weights before payload
    version 6, no band choices before 9, no post-filter before 10)."""
    from medcomp_gui.codecs.rwnet.contexts import GROUPS

    mask, start = varint.decode(frame, 0, "RWNet frame side information", CodecError)
    if mask >> GROUPS:
        raise CodecError("RWNet frame side information damaged")
    groups = [g for g in range(GROUPS) if mask >> g & 1]
    pos = start + len(groups)
    if len(frame) < pos + 1:
        raise CodecError("RWNet frame side information damaged")
    chosen = np.full(GROUPS, level, np.int64)
    chosen[groups] = list(frame[start:pos])
    if chosen.max() >= levels:
        raise CodecError("RWNet frame names tables of a level this model lacks")
    count = frame[pos]
    pos += 1
    if count not in (0, OFFSETS) or len(frame) < pos + count:
        raise CodecError("RWNet frame side information damaged")
    offsets = np.frombuffer(frame, np.int8, count, pos) if count else None
    pos += count
    signs = None
    if version >= 6:
        packed, pos = varint.decode(frame, pos, "RWNet frame side information", CodecError)
        signs = _unpacked_signs(packed)
    bands = None
    if version >= CHOSEN_BANDS_VERSION:
        packed, pos = varint.decode(frame, pos, "RWNet frame side information", CodecError)
        from medcomp_gui.codecs.rwnet.adaptive import unpacked_bands

        bands = unpacked_bands(packed)
    kernel = None
    if version >= FILTER_VERSION:
        from medcomp_gui.codecs.rwnet.postfilter import unpacked

        kernel, pos = unpacked(frame, pos)
    return chosen, offsets, signs, bands, kernel, frame[pos:]


_LOCK = threading.Lock()
_CACHE: dict[Path, LoadedModel] = {}


def load_model(folder: Path | None = None) -> LoadedModel:
    """The model in ``folder`` (default :func:`store.default_dir`), loaded once."""
    folder = Path(folder or store.default_dir()).resolve()
    with _LOCK:
        if folder not in _CACHE:
            try:
                _CACHE[folder] = _load(folder)
            except CodecError:
                raise
            except Exception as exc:  # damaged or foreign model files
                raise CodecError(f"cannot load the RWNet model in {folder}: {exc}") from exc
        return _CACHE[folder]


def _load(folder: Path) -> LoadedModel:
    from medcomp_gui.codecs.rwnet.tables import Tables

    files = store.paths(folder)
    meta = json.loads(files["config"].read_text())
    cfg = meta["config"]
    tables = Tables.load(files["tables"])
    if (
        tables.levels != LEVELS
        or cfg["levels"] + cfg["extra_levels"] != LEVELS
        or tables.channels != cfg["latent"]
    ):
        raise CodecError("RWNet tables do not match the model's configuration")
    fixed = store.fixed_path_gains(meta, LEVELS, tables.channels)
    if fixed is not None:
        analysis, synthesis = _fixed_transforms(*fixed)
    else:
        analysis, synthesis = _network_transforms(folder)
    return LoadedModel(
        meta["model_id"],
        store.model_hash(files["weights"], files["tables"], meta.get("fixed_path")),
        tuple(cfg["lambdas"]),
        tables,
        analysis,
        synthesis,
    )


def _fixed_transforms(gain: np.ndarray, inv_gain: np.ndarray) -> tuple[Any, Any]:
    """Both learned branches are gated to exactly 0 (the export says so): the transform
    is the fixed CDF 9/7 path alone, run with NumPy (same values as the network, tested;
    no TensorFlow import, which is 2-3 s of a cold start)."""
    from medcomp_gui.codecs.rwnet import wavelet

    levels = WAVELET_LEVELS

    def analysis(x: np.ndarray, q: int) -> np.ndarray:
        return wavelet.analysis(np.asarray(x, np.float32), levels, np) * gain[q]

    def synthesis(y: np.ndarray, q: int) -> np.ndarray:
        return wavelet.synthesis(np.asarray(y, np.float32) * inv_gain[q], levels, np)

    return analysis, synthesis


def _network_transforms(folder: Path) -> tuple[Any, Any]:
    """The whole network (learned branches open), traced once per signature."""
    import tensorflow as tf

    from medcomp_gui.codecs.rwnet.model import level_gains

    net = store.load_network(folder)
    gains, inv_gains = level_gains(net)
    gain, inv_gain = tf.constant(gains), tf.constant(inv_gains)
    spec_x = tf.TensorSpec((1, None, None, 1), tf.float32)
    spec_y = tf.TensorSpec((1, None, None, net.cfg.latent), tf.float32)
    spec_q = tf.TensorSpec((), tf.int32)

    @tf.function(input_signature=[spec_x, spec_q], autograph=False)
    def analysis(x, q):
        return net.analysis(x) * gain[q]

    @tf.function(input_signature=[spec_y, spec_q], autograph=False)
    def synthesis(y, q):
        return net.synthesis(y * inv_gain[q])

    return analysis, synthesis


#: pixels of a frame from which :meth:`RWNetCodec.estimated_bytes` estimates from a
#: quarter of the latent (a smaller one's latent is too small to sample)
QUICK_PIXELS = 512 * 512


class RWNetCodec:
    name = "rwnet"
    description = "RWNet: learned residual-wavelet codec (lossy, quality levels)"
    #: no defined term exists (PS3.3 C.7.6.1.1.5.1 lets Defined Terms be extended)
    dicom_method = "MEDCOMP_RWNET"
    qualities = tuple(range(1, LEVELS + 1))
    params = (
        ParamSpec("quality", int, 1, LEVELS, 4, help=f"1 (smallest) .. {LEVELS} (best)"),
        ParamSpec(
            "lossless",
            bool,
            help="the best of JPEG-LS and JPEG 2000 5/3 inside the RWNet file (also used "
            "where a quality level would cost more)",
        ),
    )

    def __init__(self, model_dir: str | Path | None = None) -> None:
        self.model_dir = Path(model_dir) if model_dir else None

    def availability(self) -> str | None:
        """None when usable. The shipped model's learned branches are gated shut and it
        runs on NumPy; only a model with open branches needs TensorFlow."""
        folder = self.model_dir or store.default_dir()
        if lost := store.missing(folder):
            return f"RWNet model files missing: {', '.join(str(p) for p in lost)}"
        if store.needs_network(folder) and importlib.util.find_spec("tensorflow") is None:
            return (
                "this RWNet model runs its learned branches and needs TensorFlow: "
                "pip install 'medcomp-gui[train]'"
            )
        return None

    def model_identity(self) -> tuple[str, str]:
        """(model id, model hash) of the model files this codec would load (the hash as
        every .mcz records it), without loading the model. A CodecError when missing."""
        folder = self.model_dir or store.default_dir()
        if lost := store.missing(folder):
            raise CodecError(f"RWNet model files missing: {', '.join(p.name for p in lost)}")
        try:
            return store.identity(folder)
        except (OSError, ValueError, KeyError) as exc:
            raise CodecError(f"cannot read the RWNet model in {folder}: {exc}") from exc

    def _model(self) -> LoadedModel:
        if (missing := self.availability()) is not None:
            raise CodecUnavailableError(missing)
        return load_model(self.model_dir)

    def is_lossless(self, params: dict[str, Any]) -> bool:
        return bool(resolve_params(self, params).get("lossless"))

    def estimated_bytes(self, image: MedicalImage, quality: int) -> float:
        """A quick, rough figure for the payload of ``image`` at ``quality`` (more than
        the coder spends: :func:`estimated_bytes`, from a quarter of the latent of an
        image of ``QUICK_PIXELS`` or more), in a tenth of a coding's time or less: for
        searches along the ladder."""
        quarter = image.rows * image.cols >= QUICK_PIXELS
        with native_errors("RWNet could not code this image"):
            return estimated_bytes(self._model(), image, int(quality) - 1, quarter=quarter)

    def encode(self, image: MedicalImage, **given: Any) -> Encoded:
        """Stored values outside ``image.bits_stored`` are clipped to it (the API reads
        such images at their true range first: :meth:`MedicalImage.with_true_bits`)."""
        with native_errors("RWNet could not code this image"):
            return self._encode(image, **given)

    def decode(self, payload: bytes, info: PayloadInfo) -> np.ndarray:
        with native_errors("RWNet payload damaged"):
            return self._decode(payload, info)

    def _encode(self, image: MedicalImage, **given: Any) -> Encoded:
        """The payload at the asked quality level; or, where that would be no smaller
        than the best lossless coding of the image (:class:`LosslessBound`), or where
        ``lossless`` is asked, that lossless coding (:func:`_lossless_payload`): no level
        costs more than lossless coding, and a level that would gets a perfect image
        for fewer bytes. The levels below stay lossy: the ladder is the lossy levels up
        to where lossless coding is cheaper, then lossless, and a higher quality never
        gives a worse image (the payload grows with the level)."""
        params = resolve_params(self, given)
        bound = LosslessBound(image)
        if params.get("lossless"):
            return self._lossless(bound, params)
        payload, extra = self._encode_level(self._model(), image, params["quality"] - 1)
        if bound.under(len(payload)):
            return Encoded(payload, params, lossless=False, extra=extra)
        return self._lossless(bound, params)

    def _lossless(self, bound: LosslessBound, params: dict[str, Any]) -> Encoded:
        name, inner = bound.best()
        if inner is None:
            raise CodecError("no lossless codec of this installation takes this image")
        head = _HEAD.pack(MAGIC, LOSSLESS_VERSION, params["quality"])
        payload = head + bytes([_LOSSLESS_CODECS.index(name)]) + inner
        return Encoded(payload, {**params, "lossless": True}, lossless=True)

    def _encode_level(
        self, model: LoadedModel, image: MedicalImage, level: int
    ) -> tuple[bytes, dict]:
        from medcomp_gui.codecs.rwnet.mask import background_mask

        rows, cols = image.rows, image.cols
        lows, highs, streams = [], [], []
        for frame in image.frames:
            values, low, high, x = _normalised(frame, image)
            mask = background_mask(values, low, high)
            streams.append(code_frame(model, x, level, mask, 1.0 / (high - low)))
            lows.append(low)
            highs.append(high)
        sizes = (model.tables.channels, image.n_frames, rows, cols)
        head = _HEAD.pack(MAGIC, VERSION, level + 1) + b"".join(map(varint.encode, sizes))
        payload = head + b"".join(varint.encode(len(s)) + s for s in streams)
        extra = {
            "model_id": model.model_id,
            "model_hash": model.model_hash[:HASH_DIGITS],
            "normalisation": {"kind": "minmax", "low": lows, "high": highs},
        }
        return payload, extra

    def _decode(self, payload: bytes, info: PayloadInfo) -> np.ndarray:
        if payload[3:4] == bytes([LOSSLESS_VERSION]) and payload[:3] == MAGIC:
            return _decode_lossless(payload, info)
        if info.params.get("lossless"):
            raise CodecError("RWNet payload is lossy, the header says lossless")
        model = self._model()
        _check_model(info.extra, model)
        n_frames = info.shape[0] if len(info.shape) == 3 else 1
        rows, cols = info.shape[-2:]
        version, level, streams = _split(payload, n_frames, rows, cols, model.tables.channels)
        lows, highs = _normalisation(info.extra, n_frames, info.bits_stored)
        h, w = -(-rows // STRIDE), -(-cols // STRIDE)
        peak = (1 << info.bits_stored) - 1
        frames = []
        for stream, low, high in zip(streams, lows, highs, strict=True):
            mask, stream = _read_mask(stream, rows, cols)
            x = model.decode_frame(stream, level, h, w, version)[:rows, :cols]
            values = np.rint((x + 0.5) * (high - low) + low)
            values = np.clip(values, max(low, 0), min(high, peak)).astype(np.int32)
            if mask is not None:
                values[mask] = low
            frames.append(from_unsigned(values, info.dtype, info.bits_stored))
        out = np.stack(frames)
        return out if len(info.shape) == 3 else out[0]


def _decode_lossless(payload: bytes, info: PayloadInfo) -> np.ndarray:
    """The frames of a lossless payload (no model needed): ``b"RWN" u8 5 | u8 quality
    asked | u8 codec (0 JPEG-LS, 1 JPEG 2000) | that codec's payload``."""
    from medcomp_gui.codecs import get_codec

    if len(payload) < _HEAD.size + 1 or payload[_HEAD.size] >= len(_LOSSLESS_CODECS):
        raise CodecError("RWNet lossless payload damaged")
    if not info.params.get("lossless"):
        raise CodecError("RWNet payload is lossless, the header says lossy")
    inner = get_codec(_LOSSLESS_CODECS[payload[_HEAD.size]])
    if (missing := inner.availability()) is not None:
        raise CodecUnavailableError(missing)
    plain = PayloadInfo(info.shape, info.dtype, info.bits_stored, {"lossless": True}, {})
    return inner.decode(payload[_HEAD.size + 1 :], plain)


def _normalised(frame: np.ndarray, image: MedicalImage):
    """(unsigned stored values, low, high, ``x``) of one frame as RWNet codes it:
    clipped to BitsStored, ``x = (v - low) / (high - low) - 0.5`` (``high > low``)."""
    values = to_unsigned(np.clip(frame, *image.stored_range), image.bits_stored)
    low, high = int(values.min()), int(values.max())
    high = max(high, low + 1)
    return values, low, high, (values.astype(np.float32) - low) / (high - low) - 0.5


def estimated_bytes(
    model: LoadedModel, image: MedicalImage, level: int, quarter: bool = False
) -> float:
    """Bytes of ``image``'s payload at ``level`` as the rounded latent of each frame costs
    with the level's static tables (no rate-distortion optimisation, no adaptation, no
    background mask: more than the coder spends); ``quarter``: from every other latent
    row and column, times 4 (a quarter of the time, a rougher figure)."""
    from medcomp_gui.codecs.rwnet import entropy

    total = 0.0
    for frame in image.frames:
        x = _padded(_normalised(frame, image)[3])
        y = np.rint(model.latent(x, level)).astype(np.int32)
        if quarter:
            y = np.ascontiguousarray(y[::2, ::2])
        bits = entropy.group_bits(y, model.tables, level, [level], predict=False)[level].sum()
        total += (4 if quarter else 1) * bits / 8
    return total


#: side of the centre crop on which JPEG 2000 and JPEG-LS are compared losslessly
#: (:class:`LosslessBound`), and by how much JPEG 2000 must win there to be consulted
PROBE_SIDE = 256
PROBE_MARGIN = 0.9


def lossless_bytes(image: MedicalImage) -> float:
    """Bytes of the best lossless coding of ``image`` by this installation's own lossless
    codecs, JPEG-LS (CharLS) and JPEG 2000 (5/3); ``inf`` where neither is available."""
    clipped = _as_coded(image)
    return min(_size(_lossless_payload(name, clipped)) for name in _LOSSLESS_CODECS)


class LosslessBound:
    """The best lossless coding of an image (:meth:`best`), and whether a payload of
    ``n`` bytes is under its size (:meth:`under`). JPEG-LS (CharLS, fast) is coded at
    once; JPEG 2000 (5/3, four times slower) only where it may decide the answer: when
    it beats JPEG-LS by ``1 - PROBE_MARGIN`` or more on the image's centre crop (ramps:
    nibabel's test pattern takes 618 bytes in JPEG 2000, 9,557 in JPEG-LS), or when a
    payload comes within that margin of JPEG-LS. Every answer is then the exact one
    wherever JPEG 2000 is not far smaller on the whole image than on its centre,
    whatever the level asked: a bound taken from JPEG-LS alone at some levels and from
    both at others made quality 4 give a worse image than quality 3."""

    def __init__(self, image: MedicalImage) -> None:
        self._image = _as_coded(image)
        self._payloads = {"jpegls": _lossless_payload("jpegls", self._image)}
        self.value = _size(self._payloads["jpegls"])
        self._exact = False
        if self.value == float("inf") or _jpeg2000_may_win(self._image):
            self._refine()

    def under(self, n: float) -> bool:
        return not self.at_least(n)

    def at_least(self, n: float) -> bool:
        """Whether ``n`` bytes are as many as the bound's or more."""
        if not self._exact and n >= PROBE_MARGIN * self.value:
            self._refine()
        return n >= self.value

    def best(self) -> tuple[str, bytes | None]:
        """(codec name, payload) of the smallest lossless coding (JPEG 2000 coded too
        where it was not yet); ``None`` where no lossless codec takes the image."""
        self._refine()
        name = min(self._payloads, key=lambda k: (_size(self._payloads[k]), k))
        return name, self._payloads[name]

    def _refine(self) -> None:
        if not self._exact:
            self._payloads["jpeg2000"] = _lossless_payload("jpeg2000", self._image)
            self.value = min(self.value, _size(self._payloads["jpeg2000"]))
            self._exact = True


def _as_coded(image: MedicalImage) -> MedicalImage:
    """``image`` clipped to its BitsStored range, as RWNet codes it."""
    values = np.clip(image.pixels, *image.stored_range).astype(image.pixels.dtype)
    return MedicalImage(values, image.bits_stored)


def _jpeg2000_may_win(image: MedicalImage) -> bool:
    frame = image.frames[0]
    top, left = (max((n - PROBE_SIDE) // 2, 0) for n in frame.shape)
    crop = np.ascontiguousarray(frame[top : top + PROBE_SIDE, left : left + PROBE_SIDE])
    part = MedicalImage(crop, image.bits_stored)
    return _size(_lossless_payload("jpeg2000", part)) < PROBE_MARGIN * _size(
        _lossless_payload("jpegls", part)
    )


def _lossless_payload(codec_name: str, image: MedicalImage) -> bytes | None:
    """``image`` coded losslessly by ``codec_name`` (its payload); ``None`` where that
    codec is unavailable or refuses the image (it then sets no bound)."""
    from medcomp_gui.codecs import get_codec

    codec = get_codec(codec_name)
    if codec.availability() is not None:
        return None
    try:
        return codec.encode(image, lossless=True).payload
    except CodecError:
        return None


def _size(payload: bytes | None) -> float:
    return float("inf") if payload is None else float(len(payload))


def _padded(x: np.ndarray) -> np.ndarray:
    rows, cols = x.shape
    return np.pad(x, ((0, -rows % STRIDE), (0, -cols % STRIDE)), mode="symmetric")


def code_frame(
    model: LoadedModel, x: np.ndarray, level: int, mask: np.ndarray | None, quantum: float = 0.0
) -> bytes:
    """The payload frame of the normalised image ``x`` ``(rows, cols)``, coded with its
    background ``mask`` (:mod:`.mask`; masked pixels at ``x = -0.5``) when that pays: when
    the rounded latent of the filled frame plus the mask costs fewer bits than the
    rounded latent of ``x`` (with the level's tables; a quick stand-in for coding both:
    a soft border, as a collimator's, may gain less than the mask costs); ``quantum``:
    one stored value in ``x``'s units."""
    from medcomp_gui.codecs.rwnet.mask import encode_mask, fill

    plain = _padded(x)
    if mask is None:
        return b"\x00" + model.encode_frame(plain, level, quantum)
    filled = _padded(fill(x, mask))
    saved = model.rounded_bits_saved(plain, filled, level)
    if saved > 0:  # only then is the mask worth coding (its cost decides)
        side = encode_mask(mask)
        if 8 * len(side) < saved:
            frame = model.encode_frame(filled, level, quantum)
            return b"\x01" + varint.encode(len(side)) + side + frame
    return b"\x00" + model.encode_frame(plain, level, quantum)


def _read_mask(frame: bytes, rows: int, cols: int) -> tuple[np.ndarray | None, bytes]:
    """(background mask or None, the rest of the frame)."""
    from medcomp_gui.codecs.rwnet.mask import decode_mask

    if not frame or frame[0] > 1:
        raise CodecError("RWNet frame damaged (background-mask flag)")
    if frame[0] == 0:
        return None, frame[1:]
    length, start = varint.decode(frame, 1, "the RWNet frame", CodecError)
    end = start + length
    if end > len(frame):
        raise CodecError("RWNet frame truncated in its background mask")
    return decode_mask(frame[start:end], (rows, cols)), frame[end:]


def _check_model(extra: dict, model: LoadedModel) -> None:
    made_id, made_hash = extra.get("model_id"), extra.get("model_hash")
    short = isinstance(made_hash, str) and len(made_hash) >= HASH_DIGITS
    if made_id != model.model_id or not (short and model.model_hash.startswith(made_hash)):
        made = f"{made_id} ({str(made_hash)[:12]})"
        have = f"{model.model_id} ({model.model_hash[:12]})"
        raise CodecError(f"made with RWNet model {made}, this installation has {have}")


def _normalisation(extra: dict, n_frames: int, bits_stored: int) -> tuple[list[int], list[int]]:
    norm = extra.get("normalisation")
    if not isinstance(norm, dict) or norm.get("kind") != "minmax":
        raise CodecError("RWNet header lacks its normalisation")
    lows, highs = norm.get("low"), norm.get("high")
    peak = 1 << bits_stored
    ok = (
        isinstance(lows, list)
        and isinstance(highs, list)
        and len(lows) == len(highs) == n_frames
        and all(isinstance(v, int) and not isinstance(v, bool) for v in lows + highs)
        and all(0 <= lo < hi <= peak for lo, hi in zip(lows, highs, strict=True))
    )
    if not ok:
        raise CodecError("RWNet normalisation in the header is invalid")
    return lows, highs


def _split(
    payload: bytes, n_frames: int, rows: int, cols: int, channels: int
) -> tuple[int, int, list[bytes]]:
    """(version, 0-based level, frames), every header field checked before any
    allocation."""
    if len(payload) < _HEAD.size:
        raise CodecError("RWNet payload truncated")
    magic, version, quality = _HEAD.unpack_from(payload)
    if magic != MAGIC:
        raise CodecError("not an RWNet payload")
    if version not in LOSSY_VERSIONS:
        known = ", ".join(map(str, LOSSY_VERSIONS))
        raise CodecError(f"RWNet payload version {version}; this version reads {known}")
    sizes, pos = [], _HEAD.size
    for _ in range(4):
        value, pos = varint.decode(payload, pos, "the RWNet payload header", CodecError)
        sizes.append(value)
    latent, frames, p_rows, p_cols = sizes
    if not 1 <= quality <= LEVELS or latent != channels:
        raise CodecError("RWNet payload has an invalid quality or channel count")
    if (frames, p_rows, p_cols) != (n_frames, rows, cols):
        raise CodecError("RWNet payload shape does not match the header")
    streams = []
    for _ in range(frames):
        length, pos = varint.decode(payload, pos, "the RWNet frame table", CodecError)
        if pos + length > len(payload):
            raise CodecError("RWNet payload truncated")
        streams.append(payload[pos : pos + length])
        pos += length
    if pos != len(payload):
        raise CodecError("RWNet payload has trailing bytes")
    return version, quality - 1, streams
