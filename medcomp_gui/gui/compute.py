"""The heavy work behind the four panes, no Qt: run in worker processes by the window
(:mod:`worker_calls`), except the SVD previews, which are cheap.

Every figure shown is measured on real bytes: the SVD and RWNet panes decode the .mcz
file the core writes (``api.compress``) and measure it with :mod:`medcomp_gui.metrics`.
:class:`SVDSession` factorises each frame once, so a rank change costs only the encoding
of that rank (and a fast truncated preview before it, :class:`SVDPreview`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from medcomp_gui import api, container, metrics
from medcomp_gui.codecs.svd_codec import Factorisation, pack_frames, reconstruct
from medcomp_gui.errors import MedcompError
from medcomp_gui.gui.overlays import lossy_mark
from medcomp_gui.guidance import guideline_ratio
from medcomp_gui.imaging.image import MedicalImage


@dataclass(frozen=True)
class Measured:
    """A reconstruction decoded from real bytes and its figures against the original."""

    pixels: np.ndarray  # stored values, the image's dtype and shape
    quality: metrics.Quality
    settings: str  # e.g. "rank 32"
    codec: str = ""  # from the file's header
    params: dict[str, Any] = field(default_factory=dict)  # the file's codec parameters


def measure_bytes(original: MedicalImage, data: bytes, settings: str) -> Measured:
    """Decode .mcz ``data`` and measure it against ``original``."""
    header = container.unpack(data)
    decoded = api.decompress(data)
    q = metrics.quality(
        original.pixels,
        decoded.pixels,
        bits_stored=original.bits_stored,
        bits_allocated=original.bits_allocated,
        n_bytes=len(data),
        rescale_slope=original.rescale_slope,
    )
    return Measured(decoded.pixels, q, settings, header.codec, dict(header.params))


def pack_mcz(
    image: MedicalImage, codec: str, payload: bytes, params: dict[str, Any], lossless: bool
) -> bytes:
    """The .mcz file ``api.compress(image, codec, **params)`` writes, from an encoded
    payload (so that the SVD pane can reuse its factorisation). Tested byte-equal."""
    from medcomp_gui.codecs.base import Encoded

    return api.pack_encoded(image, codec, Encoded(payload, params, lossless))


class SVDSession:
    """SVD factorisations of every frame of one image, and its real files at any rank.

    Lives in the compute worker process (:mod:`worker_calls`); the GUI's fast previews
    come from :meth:`preview_factors` (see :class:`SVDPreview`).
    """

    def __init__(self, image: MedicalImage) -> None:
        self.image = image
        self.factors = [Factorisation.of(frame) for frame in image.frames]

    @property
    def max_rank(self) -> int:
        return min(self.image.rows, self.image.cols)

    def preview_factors(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per frame ``(U S, V^T)`` as float32 (half the memory traffic of float64: a
        preview is replaced by the real file's decoded pixels anyway)."""
        return [
            (
                np.ascontiguousarray((f.u * f.s).astype(np.float32)),
                np.ascontiguousarray(f.vt.astype(np.float32)),
            )
            for f in self.factors
        ]

    def file_bytes(self, rank: int) -> bytes:
        """The .mcz file of the image at ``rank``: byte for byte what ``api.compress(image,
        "svd", rank=rank)`` writes (tested), reusing the full factorisation where the
        codec would compute it too."""
        rank = max(1, min(rank, self.max_rank))
        streams = []
        for f, frame in zip(self.factors, self.image.frames, strict=True):
            # The codec's own choice (Factorisation.leading): the cheap Lanczos
            # factorisation for small ranks, the full SVD (cached here) otherwise.
            if rank > min(frame.shape) // 8:
                streams.append(f.encode(rank))
            else:
                streams.append(Factorisation.leading(frame, rank).encode(rank))
        return pack_mcz(self.image, "svd", pack_frames(streams), {"rank": rank}, lossless=False)

    def measure(self, rank: int, original: MedicalImage) -> Measured:
        return measure_bytes(original, self.file_bytes(rank), f"rank {rank}")


class SVDPreview:
    """Unquantised rank-k truncations of an image's frames, from
    :meth:`SVDSession.preview_factors`: cheap enough for every move of the slider.

    Keeps the last float reconstruction of each frame and moves to a new rank from the
    cheapest start: nothing, the last rank, or the full frame.
    """

    def __init__(self, image: MedicalImage, factors: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.image = image
        self._a = [a for a, _ in factors]
        self._b = [b for _, b in factors]
        self._last: dict[int, tuple[int, np.ndarray]] = {}

    @property
    def max_rank(self) -> int:
        return min(self.image.rows, self.image.cols)

    def preview(self, frame: int, rank: int) -> np.ndarray:
        """Rank-``rank`` truncation of one frame (unquantised), stored dtype, 2-D."""
        a, b = self._a[frame], self._b[frame]
        full = a.shape[1]
        rank = max(1, min(rank, full))
        start, base = self._last.get(frame, (0, None))
        if base is None or abs(rank - start) > min(rank, full - rank):
            if rank <= full - rank:
                base = a[:, :rank] @ b[:rank]
            else:
                base = self.image.frames[frame].astype(np.float32)
                base -= a[:, rank:] @ b[rank:]
        elif rank != start:
            low, high = sorted((start, rank))
            step = a[:, low:high] @ b[low:high]
            if rank > start:
                base += step
            else:
                base -= step
        self._last[frame] = (rank, base)
        return reconstruct(base, self.image.pixels.dtype, self.image.bits_stored)


def rwnet_probe() -> tuple[list[Any], str | None]:
    """RWNet's quality levels (its default first) and ``None``, or ``[]`` and why it is
    not available.

    Also warms RWNet up (model load; TensorFlow's import and graph tracing where the
    model needs its network) by coding a small
    image through the public API, so that the pane of the first image opened only waits
    for its own encoding. Call it in a worker thread.
    """
    try:
        from medcomp_gui.codecs import get_codec

        codec = get_codec("rwnet")
        missing = codec.availability()
        if missing is not None:
            return [], missing
        qualities = list(getattr(codec, "qualities", ()))
        default = next((p.default for p in codec.params if p.name == "quality"), None)
        if default in qualities:
            qualities.remove(default)
            qualities.insert(0, default)
        warm = MedicalImage(np.arange(64 * 64, dtype=np.uint16).reshape(64, 64), 12, modality="MR")
        api.decompress(api.compress(warm, "rwnet", **({"quality": default} if default else {})))
        return qualities, None
    except Exception as exc:  # the codec is being built: any failure is "not available"
        return [], error_reason(exc)


def mcz_codec(path: str | Path) -> str | None:
    """The codec of a .mcz file; None for any other file, or one that cannot be read
    (loading it says why)."""
    try:
        with open(path, "rb") as f:
            data = f.read(len(container.MAGIC))
            if not container.is_mcz(data):
                return None
            data += f.read()
        return container.unpack(data).codec
    except (OSError, MedcompError):
        return None


def codec_status() -> dict[str, str | None]:
    """Each codec but RWNet: None when usable, else why not (imports their modules:
    call it in a worker so that the save dialog opens at once)."""
    from medcomp_gui.codecs import codec_names, get_codec

    status: dict[str, str | None] = {}
    for name in codec_names():
        if name == "rwnet":
            continue
        try:
            status[name] = get_codec(name).availability()
        except Exception as exc:  # a codec that cannot even be imported is unavailable
            status[name] = error_reason(exc)
    return status


def rwnet_measure(source: MedicalImage, original: MedicalImage, quality: Any) -> Measured:
    params = {} if quality is None else {"quality": quality}
    data = api.compress(source, "rwnet", **params)
    return measure_bytes(original, data, rwnet_settings(quality, data))


def rwnet_settings(quality: Any, data: bytes) -> str:
    """The pane's words for an RWNet file: its quality, and where the level would have
    cost more than lossless coding, that the file is lossless instead."""
    if container.unpack(data).lossless:
        return f"quality {quality}, stored losslessly"
    return f"quality {quality}"


def anlm_filter(image: MedicalImage, strength: float) -> tuple[MedicalImage, str]:
    """The ANLM-filtered image and its caption (PSNR, SSIM, largest change vs original)."""
    filtered = api.denoise(image, strength=strength)
    p = metrics.psnr(image.pixels, filtered.pixels, image.bits_stored)
    s = metrics.ssim(image.pixels, filtered.pixels, image.bits_stored)
    change = metrics.max_abs_error(image.pixels, filtered.pixels)
    caption = (
        f"ANLM strength {strength:g}\n"
        f"PSNR vs original {format_psnr(p)} · SSIM {format_ssim(s)} · largest change {change}"
    )
    return filtered, caption


def format_psnr(value: float) -> str:
    return "∞ (identical)" if math.isinf(value) else f"{value:.2f} dB"


def format_ssim(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.4f}"


def image_guideline(image: MedicalImage) -> float | None:
    """The CAR 2008 ratio limit for ``image``: its modality and, where the guideline
    names one (CT head 12:1), its Body Part Examined."""
    body = str(image.dataset.get("BodyPartExamined", "") or "") if image.dataset is not None else ""
    return guideline_ratio(image.modality.upper(), body)


def quality_caption(title: str, measured: Measured, image: MedicalImage, note: str = "") -> str:
    """Two lines: codec, settings, bytes, ratio (vs the CAR 2008 guideline), bpp; then
    PSNR, SSIM and the largest error (also in HU for CT)."""
    q = measured.quality
    limit = image_guideline(image)
    guide = ""
    if limit is not None:
        guide = f" (CAR ≤{limit:g}:1{', ABOVE' if q.ratio > limit else ''})"
    err = f"max err {q.max_abs_error}"
    if image.modality.upper() == "CT":
        err += f" ({q.max_abs_error_output:g} HU)"
    first = (
        f"{title} {measured.settings} · {q.bytes:,} B · {q.ratio:.1f}:1{guide} · {q.bpp:.3f} bpp"
    )
    second = f"PSNR {format_psnr(q.psnr)} · SSIM {format_ssim(q.ssim)} · {err}"
    if lossy_mark(image) is not None:
        second += " · against the LOSSY source"
    return f"{first}\n{second}{note}"


def original_caption(image: MedicalImage) -> str:
    """Two lines: what was opened; a lossy source says so first."""
    shape = " × ".join(str(s) for s in image.pixels.shape)
    mark = lossy_mark(image)
    first = f"{mark.label()} source" if mark else "Original"
    return (
        f"{first} {image.modality} · {shape} · {image.bits_stored} bits stored\n"
        f"{image.original_bytes:,} B uncompressed ({image.bits_allocated} bits allocated) · "
        f"{image.photometric}"
    )


def original_info(image: MedicalImage) -> list[str]:
    """The original pane's overlay lines: what it is, and a lossy source's history."""
    mark = lossy_mark(image)
    return [mark.label() + " source"] if mark else ["Original"]


def measured_info(title: str, measured: Measured, image: MedicalImage) -> list[str]:
    """A compressed pane's overlay lines: codec and setting, ratio, PSNR."""
    q = measured.quality
    limit = image_guideline(image)
    guide = "" if limit is None else (" ABOVE CAR" if q.ratio > limit else " ≤ CAR")
    return [f"{title} {measured.settings}", f"{q.ratio:.1f}:1{guide} · {format_psnr(q.psnr)}"]


#: Longest error shown in a caption or a message box (a decoder's whole report is not).
MAX_REASON = 200


def error_reason(exc: BaseException) -> str:
    """The first line of an error's message, for a caption or a message box; cut at
    :data:`MAX_REASON` characters."""
    text = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"
