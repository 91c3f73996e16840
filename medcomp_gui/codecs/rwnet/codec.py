"""RWNet as a registered codec (``get_codec("rwnet")``): quality levels 1..N, lossy.

Importing this module imports neither TensorFlow nor Keras; the trained model (see
:mod:`.store`) is loaded on the first encode/decode and cached.

Payload (version 1), all little-endian::

    b"RWN" u8 version | u8 quality | u8 0 | u16 latent channels | u32 frames | u32 rows
    | u32 cols | per frame: u32 length, frame stream (:mod:`.entropy`)

``Encoded.extra``: ``model_id``, ``model_hash``, ``normalisation`` (per frame ``low`` and
``high``, in unsigned stored units: ``x = (v - low) / (high - low) - 0.5``).
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

from medcomp_gui.codecs.base import (
    Encoded,
    ParamSpec,
    PayloadInfo,
    from_unsigned,
    resolve_params,
    to_unsigned,
)
from medcomp_gui.codecs.rwnet import store
from medcomp_gui.errors import CodecError, CodecUnavailableError
from medcomp_gui.imaging.image import MedicalImage

MAGIC = b"RWN"
VERSION = 1
#: quality levels: the model's trained levels plus its extrapolated ones
LEVELS = 10
_HEAD = struct.Struct("<3sBBBHIII")  # magic, version, quality, 0, channels, frames, rows, cols
_U32 = struct.Struct("<I")
STRIDE = 16
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

    def encode_frame(self, x: np.ndarray, level: int) -> np.ndarray:
        """int32 latent ``(rows/16, cols/16, channels)`` of ``x`` ``(rows, cols)`` (padded),
        quantised by rate-distortion optimisation (:mod:`.rdoq`)."""
        from medcomp_gui.codecs.rwnet import rdoq

        y = self.analysis(x[np.newaxis, :, :, np.newaxis], level)
        return rdoq.optimise(np.asarray(y)[0], self.tables, level)

    def decode_frame(self, symbols: np.ndarray, level: int) -> np.ndarray:
        x = self.synthesis(symbols[np.newaxis].astype(np.float32), level)
        return np.asarray(x)[0, :, :, 0]


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
        store.model_hash(files["weights"], files["tables"]),
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


class RWNetCodec:
    name = "rwnet"
    description = "RWNet: learned residual-wavelet codec (lossy, quality levels; TensorFlow)"
    dicom_method = ""
    qualities = tuple(range(1, LEVELS + 1))
    params = (ParamSpec("quality", int, 1, LEVELS, 4, help=f"1 (smallest) .. {LEVELS} (best)"),)

    def __init__(self, model_dir: str | Path | None = None) -> None:
        self.model_dir = Path(model_dir) if model_dir else None

    def availability(self) -> str | None:
        if importlib.util.find_spec("tensorflow") is None:
            return "RWNet needs TensorFlow: pip install tensorflow-cpu (or tensorflow)"
        folder = self.model_dir or store.default_dir()
        if lost := store.missing(folder):
            return f"RWNet model files missing: {', '.join(str(p) for p in lost)}"
        return None

    def _model(self) -> LoadedModel:
        if (missing := self.availability()) is not None:
            raise CodecUnavailableError(missing)
        return load_model(self.model_dir)

    def encode(self, image: MedicalImage, **given: Any) -> Encoded:
        params = resolve_params(self, given)
        level = params["quality"] - 1
        model = self._model()
        rows, cols = image.rows, image.cols
        lows, highs, streams = [], [], []
        for frame in image.frames:
            values = to_unsigned(frame, image.bits_stored).astype(np.float32)
            low, high = int(values.min()), int(values.max())
            high = max(high, low + 1)
            x = (values - low) / (high - low) - 0.5
            x = np.pad(x, ((0, -rows % STRIDE), (0, -cols % STRIDE)), mode="symmetric")
            symbols = model.encode_frame(x, level)
            streams.append(_entropy().encode_latent(symbols, model.tables, level))
            lows.append(low)
            highs.append(high)
        head = _HEAD.pack(
            MAGIC, VERSION, level + 1, 0, model.tables.channels, image.n_frames, rows, cols
        )
        payload = head + b"".join(_U32.pack(len(s)) + s for s in streams)
        extra = {
            "model_id": model.model_id,
            "model_hash": model.model_hash,
            "normalisation": {"kind": "minmax", "low": lows, "high": highs},
        }
        return Encoded(payload, params, lossless=False, extra=extra)

    def decode(self, payload: bytes, info: PayloadInfo) -> np.ndarray:
        model = self._model()
        _check_model(info.extra, model)
        n_frames = info.shape[0] if len(info.shape) == 3 else 1
        rows, cols = info.shape[-2:]
        level, streams = _split(payload, n_frames, rows, cols, model.tables.channels)
        lows, highs = _normalisation(info.extra, n_frames, info.bits_stored)
        h, w = -(-rows // STRIDE), -(-cols // STRIDE)
        peak = (1 << info.bits_stored) - 1
        frames = []
        for stream, low, high in zip(streams, lows, highs, strict=True):
            symbols = _entropy().decode_latent(stream, model.tables, level, h, w)
            x = model.decode_frame(symbols, level)[:rows, :cols]
            values = np.rint((x + 0.5) * (high - low) + low)
            values = np.clip(values, max(low, 0), min(high, peak)).astype(np.int32)
            frames.append(from_unsigned(values, info.dtype, info.bits_stored))
        out = np.stack(frames)
        return out if len(info.shape) == 3 else out[0]


def _entropy():
    from medcomp_gui.codecs.rwnet import entropy

    return entropy


def _check_model(extra: dict, model: LoadedModel) -> None:
    made_id, made_hash = extra.get("model_id"), extra.get("model_hash")
    if made_id != model.model_id or made_hash != model.model_hash:
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
) -> tuple[int, list[bytes]]:
    """(0-based level, frame streams), every header field checked before any allocation."""
    if len(payload) < _HEAD.size:
        raise CodecError("RWNet payload truncated")
    magic, version, quality, _, latent, frames, p_rows, p_cols = _HEAD.unpack_from(payload)
    if magic != MAGIC:
        raise CodecError("not an RWNet payload")
    if version != VERSION:
        raise CodecError(f"RWNet payload version {version}; this version reads {VERSION}")
    if not 1 <= quality <= LEVELS or latent != channels:
        raise CodecError("RWNet payload has an invalid quality or channel count")
    if (frames, p_rows, p_cols) != (n_frames, rows, cols):
        raise CodecError("RWNet payload shape does not match the header")
    streams, pos = [], _HEAD.size
    for _ in range(frames):
        if pos + _U32.size > len(payload):
            raise CodecError("RWNet payload truncated in its frame table")
        (length,) = _U32.unpack_from(payload, pos)
        pos += _U32.size
        if pos + length > len(payload):
            raise CodecError("RWNet payload truncated")
        streams.append(payload[pos : pos + length])
        pos += length
    if pos != len(payload):
        raise CodecError("RWNet payload has trailing bytes")
    return quality - 1, streams
