"""Rate-distortion sweeps of every codec on one image, and BD-rates against JPEG 2000."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from typing import Any

from medcomp_gui import metrics
from medcomp_gui.api import compress, decompress
from medcomp_gui.codecs import codec_names, get_codec
from medcomp_gui.errors import MedcompError
from medcomp_gui.imaging import MedicalImage

#: Settings swept per codec (lossless modes are one extra point each, not in the BD-rate).
SWEEPS: dict[str, list[dict[str, Any]]] = {
    "jpeg2000": [{"psnr": p} for p in (40, 45, 50, 55, 60, 65)] + [{"lossless": True}],
    "htj2k": [{"psnr": p} for p in (40, 45, 50, 55, 60, 65)] + [{"lossless": True}],
    "jpegls": [{"near": n} for n in (16, 8, 4, 2, 1)] + [{"lossless": True}],
    "jpegxl": [{"distance": d} for d in (8.0, 4.0, 2.0, 1.0, 0.5, 0.25)] + [{"lossless": True}],
    "svd": [{"rank": r} for r in (4, 8, 16, 32, 64, 128)],
}


def sweep_for(codec: str) -> list[dict[str, Any]]:
    if codec in SWEEPS:
        return SWEEPS[codec]
    qualities = getattr(get_codec(codec), "qualities", ())
    return [{"quality": q} for q in qualities]


def measure(image: MedicalImage, codec: str, params: dict[str, Any]) -> dict[str, Any]:
    """One point: the .mcz bytes of ``image`` at ``params`` and its decoded quality."""
    start = time.perf_counter()
    data = compress(image, codec, **params)
    encoded = time.perf_counter()
    decoded = decompress(data)
    done = time.perf_counter()
    q = metrics.image_quality(image, decoded.pixels, len(data))
    return {
        "codec": codec,
        "params": params,
        "bytes": q.bytes,
        "bpp": q.bpp,
        "ratio": q.ratio,
        "psnr": q.psnr,
        "ssim": q.ssim,
        "max_abs_error": q.max_abs_error,
        "encode_seconds": encoded - start,
        "decode_seconds": done - encoded,
    }


def compare(
    image: MedicalImage,
    codecs: Iterable[str] | None = None,
    progress: Callable[[str], None] = lambda _: None,
    measure_point: Callable[[MedicalImage, str, dict[str, Any]], dict[str, Any]] = measure,
) -> tuple[list[dict[str, Any]], dict[str, float | None]]:
    """Every point of every (available) codec, and each codec's BD-rate vs jpeg2000 (%).

    ``measure_point``: how one point is measured, :func:`measure` or the same elsewhere
    (the GUI measures in its worker processes)."""
    names = list(codecs) if codecs else codec_names()
    rows: list[dict[str, Any]] = []
    for name in names:
        codec = get_codec(name)
        if (missing := codec.availability()) is not None:
            progress(f"skipping {name}: {missing}")
            continue
        settings = sweep_for(name)
        for i, params in enumerate(settings, 1):
            progress(f"{name} {i}/{len(settings)} {params}")
            try:
                rows.append(measure_point(image, name, params))
            except MedcompError as exc:
                progress(f"{name} {params}: {exc}")
    return rows, bd_rates(rows)


def lossy_curves(rows: list[dict[str, Any]]) -> dict[str, tuple[list[float], list[float]]]:
    """Each codec's (bpp, PSNR) lists over its lossy points (lossless ones left out)."""
    curves: dict[str, tuple[list[float], list[float]]] = {}
    for row in rows:
        if math.isfinite(row["psnr"]):
            rates, psnrs = curves.setdefault(row["codec"], ([], []))
            rates.append(row["bpp"])
            psnrs.append(row["psnr"])
    return curves


def bd_rates(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """BD-rate (PSNR) of each codec's lossy points against jpeg2000's; None where the
    curves do not overlap enough to tell."""
    curves = lossy_curves(rows)
    if "jpeg2000" not in curves:
        return {}
    anchor = curves["jpeg2000"]
    out: dict[str, float | None] = {}
    for name, (rates, psnrs) in curves.items():
        try:
            out[name] = metrics.bd_rate(anchor[0], anchor[1], rates, psnrs)
        except ValueError:
            out[name] = None
    return out


def format_table(
    title: str, image: MedicalImage, rows: list[dict[str, Any]], bd: dict[str, float | None]
) -> str:
    """A Markdown table of ``rows`` and the BD-rates."""
    shape = "x".join(str(s) for s in image.pixels.shape)
    lines = [
        f"## {title}: {shape}, {image.bits_stored} bits stored, {image.modality}",
        "",
        "| codec | settings | bytes | bpp | ratio | PSNR dB | SSIM | max err | enc s | dec s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        settings = " ".join(f"{k}={v}" for k, v in r["params"].items())
        psnr = "lossless" if math.isinf(r["psnr"]) else f"{r['psnr']:.2f}"
        lines.append(
            f"| {r['codec']} | {settings} | {r['bytes']} | {r['bpp']:.4f} | {r['ratio']:.2f} "
            f"| {psnr} | {r['ssim']:.4f} | {r['max_abs_error']} "
            f"| {r['encode_seconds']:.2f} | {r['decode_seconds']:.2f} |"
        )
    lines += ["", "BD-rate (PSNR) against jpeg2000, negative = fewer bits:", ""]
    for name, value in bd.items():
        lines.append(
            f"- {name}: {'n/a (curves do not overlap)' if value is None else f'{value:+.1f} %'}"
        )
    return "\n".join(lines)
