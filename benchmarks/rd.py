"""Rate-distortion of RWNet against JPEG 2000 on the WG04 grey originals (evaluation only).

For each image (693, MR2, RG1, RG3 ``_UNCR`` from pydicom-data): RWNet at every quality
level, JPEG 2000 (OpenJPEG, PSNR-targeted) over a fixed sweep of PSNR targets, and the
lossy sweeps of jpegxl, jpegls and svd (``--others``) with their BD-rates too;
bpp of the whole .mcz file (DESIGN.md), PSNR over stored values, BD-rate of RWNet against
JPEG 2000 (``medcomp_gui.metrics.bd_rate``), RWNet encode/decode seconds and the
process's peak memory. Writes ``benchmarks/results/rd_wg04.{md,json}`` and, when
matplotlib is installed, one ``rd_<image>.png`` per image.

Usage: .venv/bin/python benchmarks/rd.py [--images MR2 ...] [--out benchmarks/results]
       [--j2k-only]  (writes rd_wg04_j2k.json)  [--reuse-j2k benchmarks/results/rd_wg04_j2k.json]
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

from medcomp_gui import api, metrics  # noqa: E402
from medcomp_gui.codecs import get_codec  # noqa: E402
from medcomp_gui.imaging import load_image  # noqa: E402

IMAGES = {
    "693": "693_UNCR.dcm",
    "MR2": "MR2_UNCR.dcm",
    "RG1": "RG1_UNCR.dcm",
    "RG3": "RG3_UNCR.dcm",
}


def measure(image, codec: str, **params) -> dict:
    start = time.perf_counter()
    data = api.compress(image, codec, **params)
    encoded = time.perf_counter()
    decoded = api.decompress(data)
    done = time.perf_counter()
    return {
        "codec": codec,
        "params": params,
        "bpp": metrics.bpp(len(data), image.n_pixels),
        "psnr": metrics.psnr(image.pixels, decoded.pixels, image.bits_stored),
        "encode_s": encoded - start,
        "decode_s": done - encoded,
    }


def run_rwnet(name: str, image) -> list[dict]:
    rwnet = get_codec("rwnet")
    measure(image, "rwnet", quality=1)  # warm-up: model load and tracing
    rows = [measure(image, "rwnet", quality=q) for q in rwnet.qualities]
    for r in rows:
        print(
            f"{name} rwnet q{r['params']['quality']}: {r['bpp']:.3f} bpp {r['psnr']:.2f} dB "
            f"enc {r['encode_s']:.2f}s dec {r['decode_s']:.2f}s",
            flush=True,
        )
    return rows


def run_j2k(name: str, image, targets: list[float]) -> list[dict]:
    rows = []
    for target in targets:
        r = measure(image, "jpeg2000", psnr=float(target))
        print(
            f"{name} jpeg2000 psnr>={target:.1f}: {r['bpp']:.3f} bpp {r['psnr']:.2f} dB", flush=True
        )
        rows.append(r)
    return rows


def run_others(name: str, image, codecs: list[str]) -> dict[str, list[dict]]:
    """The lossy sweep of each other classical codec (``medcomp compare``'s settings)."""
    from medcomp_gui.compare import SWEEPS

    out = {}
    for codec in codecs:
        rows = []
        for params in SWEEPS[codec]:
            if params.get("lossless"):
                continue
            r = measure(image, codec, **params)
            print(f"{name} {codec} {params}: {r['bpp']:.3f} bpp {r['psnr']:.2f} dB", flush=True)
            rows.append(r)
        out[codec] = rows
    return out


def bd(rows: list[dict], j2k: list[dict]) -> float | None:
    try:
        return metrics.bd_rate(
            [r["bpp"] for r in j2k],
            [r["psnr"] for r in j2k],
            [r["bpp"] for r in rows],
            [r["psnr"] for r in rows],
        )
    except ValueError as exc:
        print(f"no BD-rate ({exc})")
        return None


def plot(result: dict, out: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(5, 4))
    curves = {"rwnet": result["rwnet"], "jpeg2000": result["jpeg2000"], **result["others"]}
    styles = {"rwnet": "o-", "jpeg2000": "s--", "jpegxl": "^:", "jpegls": "v:", "svd": "x:"}
    for key, rows in curves.items():
        pts = sorted((r["bpp"], r["psnr"]) for r in rows)
        style = styles.get(key, ".:")
        ax.plot(*zip(*pts, strict=True), style, label=key)
    ax.set_xscale("log")
    ax.set_xlabel("bpp (whole .mcz)")
    ax.set_ylabel("PSNR (dB, peak 2**bits-1)")
    ax.set_title(f"WG04 {result['image']}")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / f"rd_{result['image']}.png", dpi=100)
    plt.close(fig)


def j2k_bpp_at(j2k: list[dict], psnr: float) -> float | None:
    """JPEG 2000 bpp at ``psnr``, interpolated (log rate) in its sweep; None outside it."""
    pts = sorted((r["psnr"], r["bpp"]) for r in j2k if np.isfinite(r["psnr"]))
    quality = np.array([p for p, _ in pts])
    if not pts or not quality.min() <= psnr <= quality.max():
        return None
    return float(np.exp(np.interp(psnr, quality, np.log([b for _, b in pts]))))


def comparison_table(res: dict) -> list[str]:
    bd = res["bd_rate_rwnet_vs_j2k"]
    lines = [
        f"**{res['image']}** ({res['file']}, {res['shape'][-1]} x {res['shape'][-2]}, "
        f"{res['bits_stored']}-bit); BD-rate vs JPEG 2000: "
        + ("n/a" if bd is None else f"{bd:+.1f} %"),
        "",
        "| quality | rwnet bpp | rwnet PSNR (dB) | JPEG 2000 bpp at that PSNR | rwnet / JPEG 2000 "
        "| encode s | decode s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in res["rwnet"]:
        j2k = j2k_bpp_at(res["jpeg2000"], r["psnr"])
        cmp = "outside the sweep | -" if j2k is None else f"{j2k:.3f} | {r['bpp'] / j2k:.2f}"
        lines.append(
            f"| {r['params']['quality']} | {r['bpp']:.3f} | {r['psnr']:.2f} | {cmp} "
            f"| {r['encode_s']:.2f} | {r['decode_s']:.2f} |"
        )
    return lines + [""]


def write_markdown(results: list[dict], out: Path, command: str, model: dict) -> None:
    training = model.get("training", {})
    lines = [
        "# RWNet vs JPEG 2000 on the WG04 grey originals (evaluation only)",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end "
        f"(other jobs were running); {time.strftime('%Y-%m-%d', time.gmtime())}. "
        f"Model: {model.get('model_id')} ({str(model.get('model_hash'))[:12]}), "
        f"{training.get('steps')} training steps.",
        "bpp = whole .mcz file bits / pixels (payload + header + embedded DICOM header); "
        "PSNR over stored values, peak 2**BitsStored-1. JPEG 2000: OpenJPEG, PSNR-targeted, "
        "same container.",
        "",
    ]
    for res in results:
        lines += comparison_table(res)
    lines += ["| image | jpeg2000 target | bpp | PSNR |", "|---|---|---|---|"]
    for res in results:
        for r in res["jpeg2000"]:
            lines.append(
                f"| {res['image']} | {r['params']['psnr']} | {r['bpp']:.3f} | {r['psnr']:.2f} |"
            )
    codecs = ["rwnet", *results[0]["others"]]
    lines += [
        "",
        "BD-rate (PSNR) of every codec against jpeg2000, % (positive: more bits):",
        "",
        "| image | " + " | ".join(codecs) + " |",
        "|---|" + "---:|" * len(codecs),
    ]
    for res in results:
        cells = [res["bd_rate_rwnet_vs_j2k"], *(res["bd_rates_others"][c] for c in codecs[1:])]
        lines.append(
            f"| {res['image']} | "
            + " | ".join("n/a" if v is None else f"{v:+.1f}" for v in cells)
            + " |"
        )
    means = []
    for i, codec in enumerate(codecs):
        values = [
            (r["bd_rate_rwnet_vs_j2k"] if i == 0 else r["bd_rates_others"][codec]) for r in results
        ]
        known = [v for v in values if v is not None]
        means.append(f"{np.mean(known):+.1f}" if known else "n/a")
    lines.append("| **mean** | " + " | ".join(means) + " |")
    lines += [
        "",
        "Encode / decode seconds of the other codecs are in rd_wg04.json "
        "(`encode_s`, `decode_s` per point).",
    ]
    bds = [r["bd_rate_rwnet_vs_j2k"] for r in results if r["bd_rate_rwnet_vs_j2k"] is not None]
    if bds:
        lines += [
            "",
            f"Mean BD-rate of rwnet vs jpeg2000 over {len(bds)} images: "
            f"{np.mean(bds):+.1f} % (positive: rwnet needs more bits for the same PSNR).",
        ]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += ["", f"Peak resident memory of the whole benchmark process: {peak_mb:.0f} MB."]
    (out / "rd_wg04.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    from pydicom.data import get_testdata_file

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", nargs="+", default=list(IMAGES), choices=list(IMAGES))
    parser.add_argument(
        "--j2k-targets", nargs="+", type=float, default=[float(t) for t in range(26, 78, 3)]
    )
    parser.add_argument("--reuse-j2k", default=None, help="take jpeg2000 rows from this rd json")
    parser.add_argument("--j2k-only", action="store_true", help="jpeg2000 sweep only")
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument(
        "--others", nargs="*", default=["jpegxl", "jpegls", "svd"], help="other codecs to sweep"
    )
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    reused = {}
    if args.reuse_j2k:
        for res in json.loads(Path(args.reuse_j2k).read_text())["results"]:
            reused[res["image"]] = res["jpeg2000"]
    results = []
    for name in args.images:
        path = get_testdata_file(IMAGES[name])
        if path is None:
            raise SystemExit("pydicom-data is needed: pip install pydicom-data")
        image = load_image(path)
        j2k = reused.get(name) or run_j2k(name, image, args.j2k_targets)
        rows = [] if args.j2k_only else run_rwnet(name, image)
        others = {} if args.j2k_only else run_others(name, image, args.others)
        result = {
            "image": name,
            "file": os.path.basename(path),
            "shape": list(image.pixels.shape),
            "bits_stored": image.bits_stored,
            "rwnet": rows,
            "jpeg2000": j2k,
            "bd_rate_rwnet_vs_j2k": bd(rows, j2k) if rows else None,
            "others": others,
            "bd_rates_others": {codec: bd(points, j2k) for codec, points in others.items()},
        }
        results.append(result)
        if rows:
            plot(result, out)
    command = "python benchmarks/rd.py " + " ".join(sys.argv[1:])
    model = {}
    if not args.j2k_only:
        from medcomp_gui.codecs.rwnet import store

        model = json.loads(store.paths(store.default_dir())["config"].read_text())
    name = "rd_wg04_j2k.json" if args.j2k_only else "rd_wg04.json"
    payload = {"command": command.strip(), "model": model, "results": results}
    (out / name).write_text(json.dumps(payload, indent=1))
    if not args.j2k_only:
        write_markdown(results, out, command.strip(), model)
        print((out / "rd_wg04.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
