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
- ANLM (medcomp_gui.filters.anlm.denoise_image) with its per-modality defaults: the
  Rician correction wherever the image's own background tests Rayleigh (any modality).

Metrics are medcomp_gui.metrics.psnr / ssim (peak 2**bits_stored - 1). Speed: the best of
several runs of ANLM on a 512 x 512 and a 1024 x 1024 16-bit frame (Gaussian noise as CT,
Rician noise as MR, so that the Rician path is timed too), with the load average.

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
NLM_H_FACTOR = 1.0
SEED = 2024


@dataclass(frozen=True)
class Case:
    reference: str
    model: str  # "Rician" or "Gaussian"
    noise: str
    clean: MedicalImage
    noisy: MedicalImage
    sigma: np.ndarray  # true noise sigma per pixel (stored units)

    @property
    def varying(self) -> bool:
        return "-" in self.noise


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
    real = x - origin + rng.normal(size=x.shape) * sigma
    imag = rng.normal(size=x.shape) * sigma
    return image.with_pixels(_stored(np.hypot(real, imag) + origin, image))


def add_gaussian(image: MedicalImage, sigma: np.ndarray, rng: np.random.Generator) -> MedicalImage:
    """Additive Gaussian noise of per-pixel ``sigma`` (stored units)."""
    x = image.pixels.astype(np.float64)
    return image.with_pixels(_stored(x + rng.normal(size=x.shape) * sigma, image))


def cases(names: list[str] | None = None, gaussian_ct: bool = True) -> list[Case]:
    """Rician cases for every reference, then (``gaussian_ct``) Gaussian ones for CT."""
    models = [("Rician", add_rician, SEED)]
    if gaussian_ct:
        models.append(("Gaussian", add_gaussian, SEED + 1))
    out = []
    for model, add_noise, seed in models:
        rng = np.random.default_rng(seed)
        for ref_name, image in references().items():
            if names and not any(n.lower() in ref_name.lower() for n in names):
                continue
            if model == "Gaussian" and image.modality != "CT":
                continue
            value_range = float(image.pixels.max()) - float(image.pixels.min())
            shape = image.pixels.shape
            sigmas = {f"{level:.0%}": np.full(shape, level * value_range) for level in NOISE_LEVELS}
            ramp = np.linspace(RAMP[0], RAMP[1], shape[1]) * value_range
            sigmas[f"{RAMP[0]:.0%}-{RAMP[1]:.0%}"] = np.broadcast_to(ramp, shape)
            for noise, sigma in sigmas.items():
                noisy = add_noise(image, sigma, rng)
                out.append(Case(ref_name, model, noise, image, noisy, sigma))
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
    """Best-of-``repeats`` ANLM seconds on 512 x 512 and 1024 x 1024 16-bit frames: CT with
    Gaussian noise, MR with Rician noise (its background tests Rayleigh: corrected)."""
    rng = np.random.default_rng(SEED)
    result = {}
    for size in (512, 1024):
        base = MedicalImage(
            pixels=np.linspace(0, 40000, size * size).reshape(size, size).astype(np.uint16),
            bits_stored=16,
        )
        sigma = np.full(base.pixels.shape, 2000.0)
        noisy = {"CT": add_gaussian(base, sigma, rng), "MR": add_rician(base, sigma, rng)}
        for modality, frame in noisy.items():
            image = MedicalImage(pixels=frame.pixels, bits_stored=16, modality=modality)
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                denoise_image(image)
                times.append(time.perf_counter() - start)
            result[f"{size}x{size} {modality}"] = min(times)
    return result


def tune(selected: list[Case]) -> None:
    """Mean PSNR for NLM h factors, and per modality for ANLM strengths (Rician cases)."""
    selected = [c for c in selected if c.model == "Rician"]
    nlm = {}
    for factor in (0.6, 0.8, 1.0, 1.2, 1.4):
        values = [measure(c, lambda im, f=factor: skimage_nlm(im, f))[0] for c in selected]
        nlm[factor] = np.array(values)
        print(f"skimage NLM h={factor:.1f}*sigma: mean PSNR {np.mean(values):.3f} dB", flush=True)
    baseline = nlm[NLM_H_FACTOR]
    for strength in (0.6, 0.8, 1.0, 1.3, 1.6):
        values = np.array(
            [measure(c, lambda im, s=strength: anlm_filter(im, s))[0] for c in selected]
        )
        for modality in sorted({c.clean.modality for c in selected}):
            mask = np.array([c.clean.modality == modality for c in selected])
            uniform = mask & ~np.array([c.varying for c in selected])
            print(
                f"ANLM strength {strength:.1f} {modality}: mean PSNR {values[mask].mean():.3f} dB, "
                f"worst uniform case vs NLM {np.min(values[uniform] - baseline[uniform]):+.2f} dB",
                flush=True,
            )


METHODS = ("noisy", "nlm", "bm3d", "anlm")
TITLES = {"noisy": "noisy", "nlm": "skimage NLM", "bm3d": "BM3D", "anlm": "ANLM"}


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
        row: dict[str, object] = {
            "reference": case.reference,
            "modality": case.clean.modality,
            "model": case.model,
            "noise": case.noise,
            "varying": case.varying,
        }
        for name, method in methods.items():
            p, s, t = measure(case, method)
            row.update({f"{name}_psnr": p, f"{name}_ssim": s, f"{name}_s": t})
        rows.append(row)
        psnrs = "  ".join(f"{n} {row[f'{n}_psnr']:.2f}" for n in METHODS if f"{n}_psnr" in row)
        print(f"{case.reference} {case.model} {case.noise}  {psnrs}", flush=True)
    return rows


def _table(rows: list[dict[str, object]], names: list[str]) -> list[str]:
    head = ["reference", "noise"]
    for n in names:
        head += [f"{TITLES[n]} PSNR", f"{TITLES[n]} SSIM"] + (
            [f"{TITLES[n]} s"] if n != "noisy" else []
        )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [str(row["reference"]), str(row["noise"])]
        for n in names:
            cells += [f"{row[f'{n}_psnr']:.2f}", f"{row[f'{n}_ssim']:.4f}"]
            if n != "noisy":
                cells.append(f"{row[f'{n}_s']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _summary(groups: dict[str, list[dict[str, object]]], names: list[str]) -> list[str]:
    bm3d = "bm3d" in names
    head = ["cases", "n"] + [TITLES[n] for n in names] + ["ANLM - NLM (mean / worst)"]
    head += ["ANLM - BM3D (mean)"] if bm3d else []
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, group in groups.items():
        if not group:
            continue
        cells = [label, str(len(group))]
        for n in names:
            p = np.mean([float(r[f"{n}_psnr"]) for r in group])
            q = np.mean([float(r[f"{n}_ssim"]) for r in group])
            cells.append(f"{p:.2f} / {q:.4f}")
        diff = [float(r["anlm_psnr"]) - float(r["nlm_psnr"]) for r in group]
        cells.append(f"{np.mean(diff):+.2f} / {min(diff):+.2f} dB")
        if bm3d:
            diff = [float(r["anlm_psnr"]) - float(r["bm3d_psnr"]) for r in group]
            cells.append(f"{np.mean(diff):+.2f} dB")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _targets(rows: list[dict[str, object]], timing: dict[str, float]) -> list[str]:
    rician = [r for r in rows if r["model"] == "Rician"]

    def gap(r: dict[str, object], other: str) -> float:
        return float(r["anlm_psnr"]) - float(r[f"{other}_psnr"])

    def names(selected: list[dict[str, object]]) -> str:
        return ", ".join(f"{r['reference']} {r['noise']} ({gap(r, 'nlm'):+.2f})" for r in selected)

    varying_short = [r for r in rician if r["varying"] and gap(r, "nlm") < 0.3]
    uniform_worse = [r for r in rician if not r["varying"] and gap(r, "nlm") < 0.0]
    lines = [
        "- ANLM >= NLM + 0.3 dB on every varying-noise image: "
        + ("met" if not varying_short else f"NOT met for {names(varying_short)}"),
        "- ANLM not worse than NLM on every uniform-noise image: "
        + ("met" if not uniform_worse else f"NOT met for {names(uniform_worse)}"),
    ]
    if "bm3d_psnr" in rows[0]:
        mean = np.mean([gap(r, "bm3d") for r in rician])
        lines.append(
            f"- ANLM within 0.5 dB of BM3D on average: mean ANLM - BM3D {mean:+.2f} dB: "
            + ("met" if mean >= -0.5 else "NOT met")
        )
    for key, limit in (("512x512", 0.6), ("1024x1024", 2.5)):
        worst = max(v for k, v in timing.items() if k.startswith(key))
        verdict = "met" if worst <= limit else "NOT met"
        lines.append(f"- {key} 16-bit <= {limit} s: slowest modality {worst:.2f} s: {verdict}")
    return lines


def markdown(
    rows: list[dict[str, object]],
    timing: dict[str, float],
    loads: dict[str, tuple[float, ...]],
    command: str,
) -> str:
    names = [n for n in METHODS if f"{n}_psnr" in rows[0]]
    load_text = "; ".join(
        f"{when}: {v[0]:.2f} / {v[1]:.2f} / {v[2]:.2f}" for when, v in loads.items()
    )
    lines = [
        "# Denoising benchmark: ANLM vs scikit-image NLM vs BM3D",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores. Load average (1 / 5 / 15 min) "
        f"{load_text}. A TensorFlow training ran beside it, so all seconds are disturbed.",
        "",
        "Noise: sigma = 2 / 5 / 10 % of each reference's value range (max - min), or rising "
        "linearly from 2 % (left column) to 8 % (right column). Rician noise is taken about "
        "stored 0 (about the minimum for references with negative stored values). PSNR in dB "
        "over stored values, peak 2**bits_stored - 1; SSIM from medcomp_gui.metrics. "
        f"skimage NLM: fast mode, 5x5 patches, 13x13 search, h = {NLM_H_FACTOR} x "
        "estimate_sigma (best factor of the `--tune` sweep over these references). "
        "BM3D: sigma_psd = estimate_sigma (blind, like the others). ANLM: denoise_image with "
        "its per-modality defaults: the Rician correction wherever the image's own "
        "background tests Rayleigh (filters.noise.rayleigh_background), whatever the "
        "modality, and for MR also where there is no background to test.",
        "",
        "## Rician noise (the acceptance set)",
        "",
        *_table([r for r in rows if r["model"] == "Rician"], names),
        "",
        "## Supplement: CT references with Gaussian noise",
        "",
        "Rician noise on CT puts a Rayleigh bias (mean 1.25 sigma) into the air around the "
        "patient, which NLM and BM3D leave and ANLM removes where its background test finds "
        "it. Gaussian noise, closer to real CT, shows the filters themselves, and that the "
        "test leaves Gaussian CT uncorrected.",
        "",
        *_table([r for r in rows if r["model"] == "Gaussian"], names),
        "",
        "## Summary (mean PSNR dB / SSIM)",
        "",
    ]
    groups: dict[str, list[dict[str, object]]] = {}
    for model in ("Rician", "Gaussian"):
        for modality in ("MR", "CT"):
            for varying, label in ((False, "uniform"), (True, "varying")):
                groups[f"{model} {modality} {label}"] = [
                    r
                    for r in rows
                    if r["model"] == model and r["modality"] == modality and r["varying"] == varying
                ]
        groups[f"{model} all"] = [r for r in rows if r["model"] == model]
    lines += _summary(groups, names)
    lines += ["", "## Targets (Rician set)", "", *_targets(rows, timing), ""]
    lines += ["## ANLM speed (best of 5, seconds, 16-bit frames, denoise_image defaults)", ""]
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
    loads = {"at start": os.getloadavg()}
    rows = run(selected, not args.no_bm3d)
    loads["before the speed runs"] = os.getloadavg()
    timing = speed()
    loads["after them"] = os.getloadavg()
    command = "python " + " ".join(shlex.quote(a) for a in ["benchmarks/denoise.py", *sys.argv[1:]])
    text = markdown(rows, timing, loads, command)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "denoise.md").write_text(text)
        record = {"command": command, "loads": loads, "speed": timing, "rows": rows}
        (RESULTS / "denoise.json").write_text(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
