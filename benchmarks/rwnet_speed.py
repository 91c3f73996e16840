"""RWNet encode + decode seconds and peak memory on MR2 and RG1 (WG04), every quality level,
and its speed against OpenJPEG near 1 bpp.

The issue's speed targets (MR2 <= 1.5 s, RG1 <= 6 s, peak <= 3 GB) without the other
codecs' sweeps of ``rd.py``; then, at the RWNet level nearest 1 bpp, OpenJPEG
(imagecodecs, 9/7, one thread) at the same rate: encode and decode seconds of both and
their ratio. Usage: .venv/bin/python benchmarks/rwnet_speed.py
(writes benchmarks/results/rwnet_speed.md).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from medcomp_gui import api  # noqa: E402
from medcomp_gui.codecs import get_codec  # noqa: E402
from medcomp_gui.imaging import load_image  # noqa: E402

#: runs per level; the table gives their median (one run on this shared machine can
#: take half as long again as the next)
REPEATS = 3


def _median_seconds(call) -> tuple[float, object]:
    runs, out = [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        out = call()
        runs.append(time.perf_counter() - start)
    return float(np.median(runs)), out


def against_openjpeg(name: str, image, quality: int) -> str:
    """A table row: RWNet's and OpenJPEG's encode and decode seconds at RWNet's rate."""
    import imagecodecs

    from medcomp_gui import metrics

    enc_s, data = _median_seconds(lambda: api.compress(image, "rwnet", quality=quality))
    dec_s, decoded = _median_seconds(lambda: api.decompress(data))
    bpp = len(data) * 8 / image.n_pixels
    psnr = metrics.psnr(image.pixels, decoded.pixels, image.bits_stored)
    frame = image.pixels

    def j2k_encode():
        return imagecodecs.jpeg2k_encode(
            frame,
            level=int(round(psnr)),  # OpenJPEG aims at this PSNR: about RWNet's quality
            codecformat=imagecodecs.JPEG2K.CODEC.J2K,
            bitspersample=image.bits_stored,
            reversible=False,
            numthreads=1,
        )

    j_enc, stream = _median_seconds(j2k_encode)
    j_dec, _ = _median_seconds(lambda: imagecodecs.jpeg2k_decode(stream, numthreads=1))
    return (
        f"| {name} | {quality} | {bpp:.2f} ({psnr:.1f} dB) | {enc_s:.2f} | {dec_s:.2f} "
        f"| {j_enc:.3f} ({len(stream) * 8 / image.n_pixels:.2f} bpp) | {j_dec:.3f} "
        f"| {enc_s / j_enc:.1f} | {dec_s / j_dec:.1f} |"
    )


def main() -> int:
    from pydicom.data import get_testdata_file

    lines = [
        "# RWNet speed and memory (WG04 MR2 and RG1, every quality level)",
        "",
        "Command: `python benchmarks/rwnet_speed.py`  ",
        f"Machine: {os.cpu_count()} cores, load average before "
        + ", ".join(f"{v:.2f}" for v in os.getloadavg())
        + f". Median of {REPEATS} runs per level; the first call (model load) is left out.",
        "",
        "| image | encode + decode, fastest level (s) | slowest level (s) | target (s) |",
        "|---|---:|---:|---:|",
    ]
    levels = get_codec("rwnet").qualities
    per_level, versus = [], []
    for name, target in (("MR2", 1.5), ("RG1", 6.0)):
        image = load_image(get_testdata_file(f"{name}_UNCR.dcm"))
        api.compress(image, "rwnet", quality=1)  # warm-up
        seconds, rates = [], []
        for q in levels:
            runs = []
            for _ in range(REPEATS):
                start = time.perf_counter()
                data = api.compress(image, "rwnet", quality=q)
                api.decompress(data)
                runs.append(time.perf_counter() - start)
            seconds.append(float(np.median(runs)))
            rates.append(len(data) * 8 / image.n_pixels)
        lines.append(f"| {name} | {min(seconds):.2f} | {max(seconds):.2f} | {target} |")
        per_level.append(f"| {name} | " + " | ".join(f"{t:.2f}" for t in seconds) + " |")
        q = levels[int(np.argmin([abs(np.log(r)) for r in rates]))]
        versus.append(against_openjpeg(name, image, q))
    lines += [
        "",
        "Per level (s):",
        "",
        "| image | " + " | ".join(f"q{q}" for q in levels) + " |",
        "|---" + "|---:" * len(levels) + "|",
        *per_level,
    ]
    lines += [
        "",
        "Against OpenJPEG at the RWNet level nearest 1 bpp (median of "
        f"{REPEATS} runs; OpenJPEG aiming at RWNet's PSNR, 9/7, one thread; RWNet "
        "through the API, the .mcz container included):",
        "",
        "| image | level | bpp | RWNet encode s | decode s | OpenJPEG encode s | decode s "
        "| encode ratio | decode ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *versus,
    ]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += ["", f"Peak resident memory of the process: {peak:.0f} MB (target 3 GB)."]
    out = Path("benchmarks/results/rwnet_speed.md")
    out.write_text("\n".join(lines) + "\n")
    print(out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
