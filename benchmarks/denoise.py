"""Denoising benchmark: ANLM against scikit-image NLM and BM3D, PSNR / SSIM / seconds.

References (clean-ish, never the WG04 images): brain MR template slices from Debian's
mricron-data (/usr/share/mricron/templates) and pydicom's MR and CT test files. Each gets
synthetic Rician noise of standard deviation 2, 5 and 10 % of its value range
(max - min), and Rician noise whose sigma rises linearly from 2 % to 8 % from the left to
the right column. Rician noise is the magnitude of the signal plus complex Gaussian noise,
taken about stored value 0 (about the minimum for images with negative stored values),
rounded and clipped to the stored range.

Methods, all blind (none is told the true sigma):
- scikit-image ``denoise_nl_means``, fast mode, patch 5 x 5, search 13 x 13, ``sigma``
  from its own ``estimate_sigma`` and ``h = factor * sigma``; the factor is the best one
  of a sweep over these references (``--tune``), stated in the output;
- BM3D (``bm3d`` package, default profile), ``sigma_psd`` from ``estimate_sigma``;
- ANLM (medcomp_gui.filters.anlm.denoise_image) with its per-modality defaults.

Metrics are medcomp_gui.metrics.psnr / ssim (peak 2**bits_stored - 1). Speed: the best of
several runs of ANLM on a 512 x 512 and a 1024 x 1024 16-bit frame, with the load average.

    python benchmarks/denoise.py                      # full table -> benchmarks/results/
    python benchmarks/denoise.py --tune               # sweep NLM h factor and ANLM strength
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medcomp_gui.filters.anlm import denoise_image
from medcomp_gui.imaging.image import MedicalImage
from medcomp_gui.metrics import psnr, ssim

TEMPLATES = Path("/usr/share/mricron/templates")
RESULTS = Path(__file__).parent / "results"
NOISE_LEVELS = (0.02, 0.05, 0.10)
RAMP = (0.02, 0.08)
#: scikit-image NLM: h = this * estimated sigma (best of the --tune sweep).
NLM_H_FACTOR = 0.6
SEED = 2024


@dataclass(frozen=True)
class Case:
    reference: str
    noise: str
    clean: MedicalImage
    noisy: MedicalImage
    sigma: np.ndarray  # true noise sigma per pixel (stored units)


def _template_slice(name: str, axis: int, scale: float, bits: int) -> MedicalImage:
    import nibabel

    volume = np.asarray(nibabel.load(TEMPLATES / name).dataobj, dtype=np.float64)
    index = volume.shape[axis] // 2
    plane = np.rot90(np.take(volume, index, axis=axis))
    dtype = np.uint8 if bits <= 8 else np.uint16
    pixels = np.clip(np.rint(plane * scale), 0, (1 << bits) - 1).astype(dtype)
    return MedicalImage(pixels=pixels, bits_stored=bits, modality="MR", source=name)


def _dicom(name: str, frame: int | None = None) -> MedicalImage:
    import pydicom
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name)
    ds = pydicom.dcmread(path)
    pixels = ds.pixel_array
    if frame is not None:
        pixels = pixels[frame]
    bits = int(ds.BitsStored)
    if int(ds.get("PixelRepresentation", 0)):
        pixels = pixels.astype(np.int16)
    else:
        pixels = pixels.astype(np.uint16 if bits > 8 else np.uint8)
    return MedicalImage(pixels=pixels, bits_stored=bits, modality=str(ds.Modality), source=name)


def references() -> dict[str, MedicalImage]:
    """The clean-ish reference images by short name."""
    return {
        "ch2better axial (MR, 8-bit)": _template_slice("ch2better.nii.gz", 2, 1.0, 8),
        "ch2better coronal (MR, 8-bit)": _template_slice("ch2better.nii.gz", 1, 1.0, 8),
        "inia19 T1 axial (MR, 12-bit)": _template_slice("inia19-t1-brain.nii.gz", 2, 10.0, 12),
        "MR_small (MR, 16-bit signed)": _dicom("MR_small.dcm"),
        "MR-SIEMENS overlays (MR, 12-bit)": _dicom("MR-SIEMENS-DICOM-WithOverlays.dcm"),
        "CT_small (CT, 16-bit signed)": _dicom("CT_small.dcm"),
        "explicit_VR-UN (CT, 16-bit signed)": _dicom("explicit_VR-UN.dcm"),
        "eCT_Supplemental f0 (CT, 16-bit)": _dicom("eCT_Supplemental.dcm", 0),
    }


def add_rician(image: MedicalImage, sigma: np.ndarray, rng: np.random.Generator) -> MedicalImage:
    """Rician noise of per-pixel ``sigma`` (stored units) about stored 0 (or the minimum)."""
    x = image.pixels.astype(np.float64)
    origin = min(0.0, float(x.min()))
    signal = x - origin
    real = signal + rng.normal(size=x.shape) * sigma
    imag = rng.normal(size=x.shape) * sigma
    noisy = np.hypot(real, imag) + origin
    low, high = image.stored_range
    return image.with_pixels(np.clip(np.rint(noisy), low, high).astype(image.pixels.dtype))


def cases(names: list[str] | None = None) -> list[Case]:
    rng = np.random.default_rng(SEED)
    out = []
    for ref_name, image in references().items():
        if names and not any(n.lower() in ref_name.lower() for n in names):
            continue
        value_range = float(image.pixels.max()) - float(image.pixels.min())
        shape = image.pixels.shape
        for level in NOISE_LEVELS:
            sigma = np.full(shape, level * value_range)
            out.append(Case(ref_name, f"{level:.0%}", image, add_rician(image, sigma, rng), sigma))
        ramp = np.linspace(RAMP[0], RAMP[1], shape[1]) * value_range
        sigma = np.broadcast_to(ramp, shape)
        noise = f"{RAMP[0]:.0%}-{RAMP[1]:.0%}"
        out.append(Case(ref_name, noise, image, add_rician(image, sigma, rng), sigma))
    return out


def skimage_nlm(image: MedicalImage, h_factor: float = NLM_H_FACTOR) -> np.ndarray:
    from skimage.restoration import denoise_nl_means, estimate_sigma

    x = image.pixels.astype(np.float64)
    sigma = float(estimate_sigma(x))
    out = denoise_nl_means(
        x, h=h_factor * sigma, sigma=sigma, fast_mode=True, patch_size=5, patch_distance=6
    )
    return _stored(out, image)


def bm3d_filter(image: MedicalImage) -> np.ndarray:
    import bm3d
    from skimage.restoration import estimate_sigma

    x = image.pixels.astype(np.float64)
    sigma = float(estimate_sigma(x))
    return _stored(np.asarray(bm3d.bm3d(x, sigma_psd=sigma)), image)


def anlm_filter(image: MedicalImage, strength: float | None = None) -> np.ndarray:
    return denoise_image(image, strength=strength).pixels


def _stored(values: np.ndarray, image: MedicalImage) -> np.ndarray:
    low, high = image.stored_range
    return np.clip(np.rint(values), low, high).astype(image.pixels.dtype)


def measure(case: Case, method: Callable[[MedicalImage], np.ndarray]) -> tuple[float, float, float]:
    """PSNR (dB), SSIM and seconds of one method on one case."""
    start = time.perf_counter()
    out = method(case.noisy)
    seconds = time.perf_counter() - start
    bits = case.clean.bits_stored
    return psnr(case.clean.pixels, out, bits), ssim(case.clean.pixels, out, bits), seconds


def speed(repeats: int = 5) -> dict[str, float]:
    """Best-of-``repeats`` ANLM seconds on 512 x 512 and 1024 x 1024 16-bit MR/CT frames."""
    rng = np.random.default_rng(SEED)
    result = {}
    for size in (512, 1024):
        base = np.linspace(0, 40000, size * size).reshape(size, size)
        pixels = np.clip(base + rng.normal(0, 2000, base.shape), 0, 65535).astype(np.uint16)
        for modality in ("CT", "MR"):
            image = MedicalImage(pixels=pixels, bits_stored=16, modality=modality)
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                denoise_image(image)
                times.append(time.perf_counter() - start)
            result[f"{size}x{size} {modality}"] = min(times)
    return result


def tune(selected: list[Case]) -> None:
    """Mean PSNR over the cases for NLM h factors and ANLM strengths (prints a table)."""
    for factor in (0.4, 0.5, 0.6, 0.7, 0.8, 1.0):
        values = [measure(c, lambda im, f=factor: skimage_nlm(im, f))[0] for c in selected]
        print(f"skimage NLM h={factor:.1f}*sigma: mean PSNR {np.mean(values):.3f} dB", flush=True)
    for strength in (0.6, 0.8, 1.0, 1.2, 1.4):
        values = [measure(c, lambda im, s=strength: anlm_filter(im, s))[0] for c in selected]
        print(f"ANLM strength {strength:.1f}: mean PSNR {np.mean(values):.3f} dB", flush=True)


def run(selected: list[Case], with_bm3d: bool) -> list[dict[str, object]]:
    methods: dict[str, Callable[[MedicalImage], np.ndarray]] = {
        "noisy": lambda im: im.pixels,
        "nlm": skimage_nlm,
        "anlm": anlm_filter,
    }
    if with_bm3d:
        methods["bm3d"] = bm3d_filter
    rows = []
    for case in selected:
        row: dict[str, object] = {"reference": case.reference, "noise": case.noise}
        for name, method in methods.items():
            p, s, t = measure(case, method)
            row.update({f"{name}_psnr": p, f"{name}_ssim": s, f"{name}_s": t})
        rows.append(row)
        print(_row_line(row), flush=True)
    return rows


def _row_line(row: dict[str, object]) -> str:
    parts = [f"{row['reference']} {row['noise']}"]
    for name in ("noisy", "nlm", "bm3d", "anlm"):
        if f"{name}_psnr" in row:
            parts.append(f"{name} {row[f'{name}_psnr']:.2f}")
    return "  ".join(parts)


def markdown(
    rows: list[dict[str, object]], timing: dict[str, float], load: tuple[float, ...], command: str
) -> str:
    names = [n for n in ("noisy", "nlm", "bm3d", "anlm") if f"{n}_psnr" in rows[0]]
    titles = {"noisy": "noisy", "nlm": "skimage NLM", "bm3d": "BM3D", "anlm": "ANLM"}
    head = ["reference", "noise"]
    for n in names:
        head += [f"{titles[n]} PSNR", f"{titles[n]} SSIM"] + (
            [f"{titles[n]} s"] if n != "noisy" else []
        )
    lines = [
        "# Denoising benchmark: ANLM vs scikit-image NLM vs BM3D",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average while running (1/5/15 min) {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}; "
        "another job was using about one core, so seconds are disturbed.",
        "",
        "Noise: Rician, sigma = 2/5/10 % of each reference's value range, or rising "
        "linearly from 2 % to 8 % across the columns. PSNR in dB over stored values, peak "
        f"2**bits_stored - 1. skimage NLM: fast mode, 5x5 patches, 13x13 search, "
        f"h = {NLM_H_FACTOR} x estimate_sigma (best factor of the `--tune` sweep). "
        "BM3D: sigma_psd = estimate_sigma. ANLM: denoise_image per-modality defaults.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for row in rows:
        cells = [str(row["reference"]), str(row["noise"])]
        for n in names:
            cells += [f"{row[f'{n}_psnr']:.2f}", f"{row[f'{n}_ssim']:.4f}"]
            if n != "noisy":
                cells.append(f"{row[f'{n}_s']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Summary (mean PSNR dB / SSIM)", ""]
    groups = {"uniform (2/5/10 %)": [r for r in rows if "-" not in str(r["noise"])]}
    groups["varying (2-8 %)"] = [r for r in rows if "-" in str(r["noise"])]
    groups["all"] = rows
    lines.append(
        "| cases | n | "
        + " | ".join(titles[n] for n in names)
        + " | ANLM - NLM |"
        + (" ANLM - BM3D |" if "bm3d" in names else "")
    )
    lines.append("|" + "---|" * (3 + len(names) + ("bm3d" in names)))
    for label, group in groups.items():
        means = {n: np.mean([float(r[f"{n}_psnr"]) for r in group]) for n in names}
        ssims = {n: np.mean([float(r[f"{n}_ssim"]) for r in group]) for n in names}
        cells = [label, str(len(group))] + [f"{means[n]:.2f} / {ssims[n]:.4f}" for n in names]
        cells.append(f"{means['anlm'] - means['nlm']:+.2f} dB")
        if "bm3d" in names:
            cells.append(f"{means['anlm'] - means['bm3d']:+.2f} dB")
        lines.append("| " + " | ".join(cells) + " |")
    worst = min(float(r["anlm_psnr"]) - float(r["nlm_psnr"]) for r in rows)
    lines += ["", f"Smallest per-image ANLM - NLM PSNR difference: {worst:+.2f} dB.", ""]
    lines += ["## ANLM speed (best of 5, seconds, 16-bit frames)", ""]
    lines += ["| frame | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in timing.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="substrings of reference names to run")
    parser.add_argument("--no-bm3d", action="store_true", help="skip BM3D (slow)")
    parser.add_argument("--tune", action="store_true", help="sweep NLM h and ANLM strength")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    selected = cases(args.only)
    if args.tune:
        tune(selected)
        return 0
    rows = run(selected, not args.no_bm3d)
    timing = speed()
    load = os.getloadavg()
    command = "python " + " ".join(shlex.quote(a) for a in ["benchmarks/denoise.py", *sys.argv[1:]])
    text = markdown(rows, timing, load, command)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "denoise.md").write_text(text)
        (RESULTS / "denoise.json").write_text(
            json.dumps({"command": command, "load": load, "speed": timing, "rows": rows}, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
