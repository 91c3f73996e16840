"""Rate-distortion of RWNet against JPEG 2000 on the WG04 grey originals (evaluation only).

For each image (693, MR2, RG1, RG3 ``_UNCR`` from pydicom-data): RWNet at every quality
level as the whole .mcz file (header, payload and embedded DICOM header), against the
bare codestreams of JPEG 2000 (OpenJPEG, PSNR-targeted sweep 36-78 dB), HTJ2K and JPEG XL
at their best (``benchmarks/reference.py`` says how), and the lossless codestreams.
BD-rates against JPEG 2000 over the common PSNR range. Writes
``benchmarks/results/rd_wg04.{md,json}`` and, with matplotlib, ``rd_<image>.png``.
WG04 only reports: no choice of the codec may be made on it.

Usage: .venv/bin/python benchmarks/rd.py [--images MR2 ...] [--out benchmarks/results]
       [--reuse benchmarks/results/rd_wg04.json]  (the references of an earlier run)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import reference  # noqa: E402

from medcomp_gui.codecs import get_codec  # noqa: E402
from medcomp_gui.imaging import load_image  # noqa: E402

IMAGES = {
    "693": "693_UNCR.dcm",
    "MR2": "MR2_UNCR.dcm",
    "RG1": "RG1_UNCR.dcm",
    "RG3": "RG3_UNCR.dcm",
}
REFERENCES = ("jpeg2000", "htj2k", "jpegxl")


def references(image) -> dict:
    return {
        "jpeg2000": reference.j2k_curve(image),
        "htj2k": reference.htj2k_curve(image),
        "jpegxl": reference.jxl_curve(image),
        "lossless_bytes": reference.lossless_bytes(image),
    }


def plot(result: dict, out: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(5, 4))
    styles = {"rwnet": "o-", "jpeg2000": "s--", "htj2k": "v:", "jpegxl": "^:"}
    for key, style in styles.items():
        pts = sorted((r["bpp"], r["psnr"]) for r in result[key] if np.isfinite(r["psnr"]))
        if pts:
            ax.plot(*zip(*pts, strict=True), style, label=key)
    ax.set_xscale("log")
    ax.set_xlabel("bpp (rwnet: whole .mcz; others: codestream)")
    ax.set_ylabel("PSNR (dB, peak 2**bits-1)")
    ax.set_title(f"WG04 {result['image']}")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / f"rd_{result['image']}.png", dpi=100)
    plt.close(fig)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}"


def comparison_table(res: dict) -> list[str]:
    lossless = min(res["lossless_bytes"].values()) * 8 / res["pixels"]
    lines = [
        f"**{res['image']}** ({res['file']}, {res['shape'][-1]} x {res['shape'][-2]}, "
        f"{res['bits_stored']}-bit); BD-rate vs JPEG 2000: {_fmt(res['bd']['rwnet'])} %; "
        f"best lossless codestream {lossless:.3f} bpp",
        "",
        "| quality | rwnet bpp (.mcz) | PSNR (dB) | JPEG 2000 bpp at that PSNR | rwnet / JPEG 2000 "
        "| encode s | decode s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in res["rwnet"]:
        j2k = reference.bpp_at(res["jpeg2000"], r["psnr"])
        cmp = "outside the sweep | -" if j2k is None else f"{j2k:.3f} | {r['bpp'] / j2k:.2f}"
        if r.get("lossless"):
            cmp = "lossless (the best lossless codestream was smaller) | -"
        lines.append(
            f"| {r['param']} | {r['bpp']:.3f} | {r['psnr']:.2f} | {cmp} "
            f"| {r['encode_s']:.2f} | {r['decode_s']:.2f} |"
        )
    return lines + [""]


def write_markdown(results: list[dict], out: Path, command: str, model: dict) -> None:
    lines = [
        "# RWNet vs JPEG 2000 on the WG04 grey originals (evaluation only)",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end "
        f"(shared with other jobs); {time.strftime('%Y-%m-%d', time.gmtime())}. "
        f"Model: {model.get('model_id')} ({str(model.get('model_hash'))[:12]}).",
        "",
        "rwnet: bpp of the whole .mcz file (container header, payload, embedded DICOM "
        "header). References: bare codestreams (`benchmarks/reference.py`): JPEG 2000 = "
        "OpenJPEG via imagecodecs, one PSNR-targeted encode per 2 dB from 36 to 78 dB; "
        "HTJ2K = OpenJPH, quantisation-step sweep; JPEG XL = libjxl, distance sweep. PSNR "
        "over stored values, peak 2**BitsStored-1. BD-rate over the common PSNR range.",
        "",
    ]
    for res in results:
        lines += comparison_table(res)
    codecs = ["rwnet", "htj2k", "jpegxl"]
    lines += [
        "BD-rate (PSNR) against JPEG 2000, % (negative: fewer bits):",
        "",
        "| image | " + " | ".join(codecs) + " |",
        "|---|" + "---:|" * len(codecs),
    ]
    for res in results:
        lines.append(f"| {res['image']} | " + " | ".join(_fmt(res["bd"][c]) for c in codecs) + " |")
    means = []
    for codec in codecs:
        known = [r["bd"][codec] for r in results if r["bd"][codec] is not None]
        means.append(f"{np.mean(known):+.1f}" if known else "n/a")
    lines.append("| **mean** | " + " | ".join(means) + " |")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += [
        "",
        "Every point (bytes, PSNR, seconds) is in rd_wg04.json.",
        f"Peak resident memory of the whole benchmark process: {peak_mb:.0f} MB.",
    ]
    (out / "rd_wg04.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    from pydicom.data import get_testdata_file

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", nargs="+", default=list(IMAGES), choices=list(IMAGES))
    parser.add_argument("--reuse", default=None, help="take the references from this rd json")
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    reused = {}
    if args.reuse:
        for res in json.loads(Path(args.reuse).read_text())["results"]:
            reused[res["image"]] = {k: res[k] for k in (*REFERENCES, "lossless_bytes")}
    rwnet = get_codec("rwnet")
    results = []
    for name in args.images:
        path = get_testdata_file(IMAGES[name])
        if path is None:
            raise SystemExit("pydicom-data is needed: pip install pydicom-data")
        image = load_image(path)
        refs = reused.get(name) or references(image)
        reference.mcz_curve(image, quality=[1])  # warm-up: model load
        rows = reference.mcz_curve(image, quality=list(rwnet.qualities))
        for r in rows:
            print(f"{name} rwnet q{r['param']}: {r['bpp']:.3f} bpp {r['psnr']:.2f} dB", flush=True)
        result = {
            "image": name,
            "file": os.path.basename(path),
            "shape": list(image.pixels.shape),
            "pixels": image.n_pixels,
            "bits_stored": image.bits_stored,
            "rwnet": rows,
            **refs,
        }
        result["bd"] = {
            c: reference.bd(refs["jpeg2000"], result[c], refs["lossless_bytes"])
            for c in ("rwnet", "htj2k", "jpegxl")
        }
        results.append(result)
        plot(result, out)
    command = "python benchmarks/rd.py " + " ".join(sys.argv[1:])
    from medcomp_gui.codecs.rwnet import store

    model = json.loads(store.paths(store.default_dir())["config"].read_text())
    model = {k: model.get(k) for k in ("model_id", "model_hash")}
    payload = {"command": command.strip(), "model": model, "results": results}
    (out / "rd_wg04.json").write_text(json.dumps(payload, indent=1))
    write_markdown(results, out, command.strip(), model)
    print((out / "rd_wg04.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
