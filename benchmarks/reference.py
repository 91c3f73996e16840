"""The honest reference for RWNet's rate-distortion benchmarks (rd.py, rwnet_dev.py).

RWNet is measured as the whole ``.mcz`` file a user gets (``api.compress``: container
header, payload and, for a DICOM source, its embedded DICOM header). The references are
the *bare* codestreams of the classical codecs at their best, from ``imagecodecs``:

- JPEG 2000: OpenJPEG (``jpeg2k_encode``, 9/7, J2K codestream, no JP2 box), one
  PSNR-targeted encode per integer target in ``J2K_TARGETS`` (36-78 dB): OpenJPEG's
  rate allocation aims at the PSNR itself (``level``), so each point is the smallest
  codestream its allocator finds for that quality; where it lands more than 0.5 dB
  below the target, the smallest codestream that reaches it by a rate search
  (:func:`_j2k_by_rate`);
- HTJ2K: OpenJPH (``htj2k_encode``), a geometric sweep of its quantisation step;
- JPEG XL: libjxl (``jpegxl_encode``), a geometric sweep of its butteraugli distance.

bpp = bytes * 8 / pixels; PSNR over stored values with peak ``2**BitsStored - 1``
(``medcomp_gui.metrics.psnr``; a multi-frame image: over all frames together).
BD-rate (``metrics.bd_rate``) over the PSNR range both curves cover, with each curve
cut to that range plus its nearest point on either side (so a cubic is fitted where
it is integrated, not through near-lossless points far outside it). Where RWNet codes
losslessly (a level that would cost more than lossless coding), :func:`bd_with_lossless`
counts its lossless files and lets JPEG 2000 use the same lossless codestreams.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from medcomp_gui import api, container, metrics
from medcomp_gui.imaging.image import MedicalImage

#: PSNR targets of the JPEG 2000 sweep (dB), as in the issue's measurement
J2K_TARGETS = tuple(range(36, 79, 2))
#: the PSNR window the other sweeps keep points in (one step beyond the targets)
WINDOW = (33.0, 81.0)

Point = dict  # {"bpp", "psnr", "bytes", "encode_s", "decode_s", "param"}


def _frames(image: MedicalImage) -> list[np.ndarray]:
    """Frames as unsigned stored values (what every codec codes)."""
    from medcomp_gui.codecs.base import to_unsigned

    return [to_unsigned(f, image.bits_stored) for f in image.frames]


def _point(image, frames, param, encode: Callable, decode: Callable) -> Point:
    start = time.perf_counter()
    streams = [bytes(encode(f)) for f in frames]
    encoded = time.perf_counter()
    decoded = np.stack(
        [np.asarray(decode(s)).reshape(f.shape) for s, f in zip(streams, frames, strict=True)]
    )
    done = time.perf_counter()
    size = sum(len(s) for s in streams)
    return {
        "param": param,
        "bytes": size,
        "bpp": size * 8 / image.n_pixels,
        "psnr": metrics.psnr(np.stack(frames), decoded, image.bits_stored),
        "encode_s": encoded - start,
        "decode_s": done - encoded,
    }


def j2k_curve(image: MedicalImage, targets: Sequence[int] = J2K_TARGETS) -> list[Point]:
    """OpenJPEG codestreams, one PSNR-targeted encode per target."""
    import imagecodecs

    frames = _frames(image)
    points = []
    for target in targets:

        def encode(f, t=int(target)):
            return imagecodecs.jpeg2k_encode(
                f,
                level=t,
                codecformat=imagecodecs.JPEG2K.CODEC.J2K,
                bitspersample=image.bits_stored,
                reversible=False,
                resolutions=_resolutions(f),
            )

        point = _point(image, frames, target, encode, imagecodecs.jpeg2k_decode)
        if point["psnr"] < target - 0.5:  # the allocator missed: search the rate instead
            point = _j2k_by_rate(image, frames, target)
        points.append(point)
    return points


def _j2k_by_rate(image: MedicalImage, frames: list[np.ndarray], target: float) -> Point:
    """The smallest OpenJPEG codestream (pylibjpeg-openjpeg, the same library, rate
    allocation by compression ratio) whose PSNR reaches ``target``: a bisection over the
    ratio, for images where OpenJPEG's PSNR allocation lands far below its target (seen
    on 8-bit ultrasound: 10-26 dB for every target)."""
    import openjpeg
    from openjpeg.utils import encode_array

    def at(ratio: float) -> Point:
        def encode(f):
            return encode_array(
                np.ascontiguousarray(f), bits_stored=image.bits_stored, compression_ratios=[ratio]
            )

        return _point(image, frames, target, encode, openjpeg.decode)

    low, high = 1.0, 4000.0  # ratio 1: near lossless
    best = at(low)
    for _ in range(14):
        mid = float(np.sqrt(low * high))
        point = at(mid)
        if point["psnr"] >= target:
            low, best = mid, point
        else:
            high = mid
    return best


def _resolutions(frame: np.ndarray) -> int:
    """OpenJPEG's default 6 resolution levels, fewer for frames under 32 pixels a side."""
    return int(min(6, np.log2(min(frame.shape)) + 1))


def _swept(image, make: Callable, params: Sequence[float], decode: Callable) -> list[Point]:
    frames = _frames(image)
    points = []
    for p in params:
        try:
            pt = _point(image, frames, p, make(p), decode)
        except Exception:  # noqa: BLE001 - a setting the encoder refuses is no point
            continue
        if WINDOW[0] <= pt["psnr"] <= WINDOW[1]:
            points.append(pt)
    return points


def htj2k_curve(image: MedicalImage) -> list[Point]:
    """OpenJPH codestreams over a geometric sweep of the quantisation step (relative to
    the sample's full 16-bit range, so scaled to the stored bits)."""
    import imagecodecs

    scale = 2.0 ** (image.bits_stored - 16)
    steps = [scale * 2.0 ** (-k / 2) for k in range(2, 34)]
    return _swept(
        image,
        lambda q: lambda f: imagecodecs.htj2k_encode(f, level=q, reversible=False),
        steps,
        imagecodecs.htj2k_decode,
    )


def jxl_curve(image: MedicalImage) -> list[Point]:
    """libjxl codestreams (no container) over a geometric sweep of the distance."""
    import imagecodecs

    distances = [25.0 * 2.0 ** (-k / 2) for k in range(0, 20)]
    return _swept(
        image,
        lambda d: (
            lambda f: imagecodecs.jpegxl_encode(
                f, distance=d, bitspersample=image.bits_stored, usecontainer=False
            )
        ),
        distances,
        imagecodecs.jpegxl_decode,
    )


def lossless_bytes(image: MedicalImage) -> dict[str, int]:
    """Bytes of the lossless codestreams (JPEG 2000 5/3, JPEG-LS, JPEG XL) of ``image``
    (a codec that refuses the image is left out)."""
    import imagecodecs

    frames = _frames(image)
    coders = {
        "jpeg2000": lambda f: imagecodecs.jpeg2k_encode(
            f,
            codecformat=imagecodecs.JPEG2K.CODEC.J2K,
            bitspersample=image.bits_stored,
            reversible=True,
            resolutions=_resolutions(f),
        ),
        "jpegls": imagecodecs.jpegls_encode,
        "jpegxl": lambda f: imagecodecs.jpegxl_encode(
            f, lossless=True, bitspersample=image.bits_stored, usecontainer=False
        ),
    }
    out = {}
    for name, code in coders.items():
        try:
            out[name] = sum(len(code(f)) for f in frames)
        except Exception:  # noqa: BLE001 - e.g. libjxl refuses some bit depths
            continue
    return out


def mcz_curve(image: MedicalImage, codec: str = "rwnet", **sweep) -> list[Point]:
    """The whole .mcz file of ``codec`` at each value of the one swept parameter."""
    ((name, values),) = sweep.items()
    points = []
    for value in values:
        start = time.perf_counter()
        data = api.compress(image, codec, **{name: value})
        encoded = time.perf_counter()
        decoded = api.decompress(data)
        done = time.perf_counter()
        points.append(
            {
                "param": value,
                "bytes": len(data),
                "bpp": len(data) * 8 / image.n_pixels,
                "psnr": metrics.psnr(image.pixels, decoded.pixels, image.bits_stored),
                "encode_s": encoded - start,
                "decode_s": done - encoded,
                "lossless": container.unpack(data).lossless,
            }
        )
    return points


def _cut(points: list[Point], low: float, high: float) -> list[Point]:
    """The points inside [low, high] plus the nearest one on either side."""
    pts = sorted((p for p in points if np.isfinite(p["psnr"])), key=lambda p: p["psnr"])
    inside = [i for i, p in enumerate(pts) if low <= p["psnr"] <= high]
    if not inside:
        return []
    return pts[max(inside[0] - 1, 0) : inside[-1] + 2]


def bd(
    anchor: list[Point], test: list[Point], anchor_lossless: dict[str, int] | None = None
) -> float | None:
    """BD-rate (%) of ``test`` against ``anchor`` over their common PSNR range; None when
    they do not share enough of it.

    Where ``test`` has files marked lossless (RWNet's lossless coding, at the levels that
    would cost more), :func:`bd_with_lossless` counts them; otherwise (and for every
    curve measured before RWNet had it) the cubic fit of the lossy points, as always."""
    if any(p.get("lossless") for p in test):
        return bd_with_lossless(anchor, test, anchor_lossless or {})
    a = [p for p in anchor if np.isfinite(p["psnr"])]
    t = [p for p in test if np.isfinite(p["psnr"])]
    if not a or not t:
        return None
    low = max(min(p["psnr"] for p in a), min(p["psnr"] for p in t))
    high = min(max(p["psnr"] for p in a), max(p["psnr"] for p in t))
    a, t = _cut(a, low, high), _cut(t, low, high)
    try:
        return metrics.bd_rate(
            [p["bpp"] for p in a],
            [p["psnr"] for p in a],
            [p["bpp"] for p in t],
            [p["psnr"] for p in t],
        )
    except ValueError:
        return None


#: the lossless codestreams RWNet's lossless coding chooses from, which the anchor may
#: use as well in :func:`bd_with_lossless`
LOSSLESS_FALLBACKS = ("jpeg2000", "jpegls")


def bd_with_lossless(
    anchor: list[Point], test: list[Point], anchor_lossless: dict[str, int]
) -> float | None:
    """BD-rate (%) where ``test`` has lossless files: a lossless file reaches every PSNR,
    so each curve's rate at a PSNR is the smaller of its lossy curve's (the cubic fit of
    its lossy points as in :func:`bd`, log-linear where fewer than 4 are in the range;
    none outside them) and its lossless file's. The anchor may use the same lossless
    codestreams (``LOSSLESS_FALLBACKS`` of ``anchor_lossless``, bare) or the test's own
    lossless file, whichever is smaller: RWNet gains nothing here from coding losslessly
    with another codec. The range: from the higher of the two lowest lossy PSNRs to the
    anchor's highest (a lossless file covers everything above its lossy points).
    Integrated numerically (trapezoids on 4,001 PSNRs)."""
    a = [p for p in anchor if np.isfinite(p["psnr"])]
    t = [p for p in test if np.isfinite(p["psnr"]) and not p.get("lossless")]
    if not a:
        return None
    per_byte = a[0]["bpp"] / a[0]["bytes"]
    t_cap = min(p["bpp"] for p in test if p.get("lossless"))
    fallbacks = [anchor_lossless[k] * per_byte for k in LOSSLESS_FALLBACKS if k in anchor_lossless]
    a_cap = min([t_cap, *fallbacks])
    low = max(min(p["psnr"] for p in a), min((p["psnr"] for p in t), default=-np.inf))
    high = max(p["psnr"] for p in a)
    if not high > low:
        return None
    grid = np.linspace(low, high, 4001)
    log_rates = []
    for points, cap in ((a, a_cap), (t, t_cap)):
        lossy = _lossy_log_rate(_cut(points, low, high), grid)
        log_rates.append(np.minimum(lossy, np.log(cap)))
    if not np.all(np.isfinite(log_rates[0])):
        return None
    mean = np.trapezoid(log_rates[1] - log_rates[0], grid) / (high - low)
    return float((np.exp(mean) - 1.0) * 100.0)


def _lossy_log_rate(points: list[Point], grid: np.ndarray) -> np.ndarray:
    """log bpp of a lossy curve at each PSNR of ``grid``; ``inf`` outside its points."""
    out = np.full(grid.shape, np.inf)
    quality = np.array([p["psnr"] for p in points])
    if len(np.unique(quality)) < 2:
        return out
    log_rate = np.log([p["bpp"] for p in points])
    inside = (grid >= quality.min()) & (grid <= quality.max())
    if len(np.unique(quality)) >= 4:
        out[inside] = np.polyval(np.polyfit(quality, log_rate, 3), grid[inside])
    else:
        out[inside] = np.interp(grid[inside], quality, log_rate)
    return out


def bpp_at(curve: list[Point], psnr: float) -> float | None:
    """bpp of ``curve`` at ``psnr``, interpolated in log rate; None outside it."""
    pts = sorted((p["psnr"], p["bpp"]) for p in curve if np.isfinite(p["psnr"]))
    if not pts or not pts[0][0] <= psnr <= pts[-1][0]:
        return None
    quality = np.array([q for q, _ in pts])
    return float(np.exp(np.interp(psnr, quality, np.log([b for _, b in pts]))))
