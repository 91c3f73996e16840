"""RWNet model selection on the development set (never WG04), per modality group.

The development set is the ``dev`` split of ``data/rwnet`` (``scripts/fetch_rwnet_data.py``
then ``scripts/prepare_rwnet_data.py``; ``medcomp_gui/codecs/rwnet/archive.py`` fixes
which studies it holds): real CT, MR and grey US from other studies and makers than the
training set's, an RT portal image, and simulated CT, CR/DX, US and MG from other seeds.
Each image is compressed as the application does it from pixels (``api.compress``: the
whole .mcz, container header included; no DICOM header, since the slices are stored
as pixels) at every RWNet level, against the bare codestreams of JPEG 2000 (OpenJPEG,
PSNR-targeted 36-78 dB), and optionally HTJ2K and JPEG XL (``--others``); see
``benchmarks/reference.py``. BD-rate per image, mean per group and overall.

Usage: .venv/bin/python benchmarks/rwnet_dev.py MODEL_DIR [MODEL_DIR ...] [--names NAME ...]
       [--reuse earlier.json ...] [--others] [--out benchmarks/results/rwnet_dev]
       [--rdoq-weight F]
(``--reuse``: the references of earlier runs, and their curves of models of the same name)
A model folder holds ``rwnet-*.{json,weights.h5,tables.npz}`` (``medcomp train ... --export-to``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import reference  # noqa: E402

from medcomp_gui.codecs.rwnet import data, store  # noqa: E402
from medcomp_gui.imaging.image import MedicalImage  # noqa: E402

GROUPS = ("CT", "CRDX", "MR", "US", "MG")


def dev_images(folder: str) -> dict[str, tuple[MedicalImage, dict]]:
    images = {}
    for pixels, entry in data.load(folder, split="dev"):
        modality = {"CRDX": "DX"}.get(entry["modality"], entry["modality"])
        image = MedicalImage(pixels.astype(np.uint16), int(entry["bits_stored"]), modality=modality)
        images[entry["source"]] = (image, entry)
    return images


def group_means(bds: dict[str, float | None], entries: dict[str, dict]) -> dict[str, dict]:
    """Mean BD-rate per group (all / real only / simulated only) and overall."""
    out = {}
    for group in (*GROUPS, "all"):
        keys = [k for k in bds if bds[k] is not None and group in ("all", entries[k]["modality"])]
        real = [bds[k] for k in keys if not entries[k]["simulated"]]
        sim = [bds[k] for k in keys if entries[k]["simulated"]]
        out[group] = {
            "mean": float(np.mean([bds[k] for k in keys])) if keys else None,
            "n": len(keys),
            "real_mean": float(np.mean(real)) if real else None,
            "n_real": len(real),
            "sim_mean": float(np.mean(sim)) if sim else None,
        }
    return out


def _missed(points: list) -> bool:
    """A JPEG 2000 reference whose PSNR allocation landed far below its targets."""
    return any(p["psnr"] < p["param"] - 0.5 for p in points if isinstance(p["param"], int))


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:+.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--data", default="data/rwnet")
    parser.add_argument(
        "--reuse",
        nargs="*",
        help="earlier jsons: their references, and their curves of models named alike",
    )
    parser.add_argument(
        "--names", nargs="*", help="a name for each model folder (default: its name)"
    )
    parser.add_argument("--others", action="store_true", help="also HTJ2K and JPEG XL")
    parser.add_argument("--out", default="benchmarks/results/rwnet_dev")
    parser.add_argument(
        "--rdoq-weight",
        type=float,
        default=None,
        help="the encoder's rdoq.WEIGHT_FACTOR for this run (the decision of that factor)",
    )
    args = parser.parse_args()
    if args.rdoq_weight is not None:
        from medcomp_gui.codecs.rwnet import rdoq

        rdoq.WEIGHT_FACTOR = args.rdoq_weight
    images = dev_images(args.data)
    entries = {k: e for k, (_, e) in images.items()}
    refs, reused = {}, {}
    for path in args.reuse or []:
        earlier = json.loads(Path(path).read_text())
        refs.update(earlier["references"])
        reused.update(earlier.get("curves", {}))
    for key, (image, _) in images.items():
        if key not in refs or _missed(refs[key]["jpeg2000"]):
            refs[key] = {**refs.get(key, {}), "jpeg2000": reference.j2k_curve(image)}
        if args.others and "htj2k" not in refs[key]:
            refs[key]["htj2k"] = reference.htj2k_curve(image)
            refs[key]["jpegxl"] = reference.jxl_curve(image)
        if "lossless_bytes" not in refs[key]:
            refs[key]["lossless_bytes"] = reference.lossless_bytes(image)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({"references": refs}))  # kept if a run fails
    curves, names = {}, []
    labels = args.names or [os.path.basename(m.rstrip("/")) for m in args.models]
    for folder, name in zip(args.models, labels, strict=True):
        names.append(name)
        if name in reused:  # curves of an earlier run (a model whose code has changed since)
            curves[name] = reused[name]
            continue
        os.environ[store.ENV_DIR] = str(Path(folder).resolve())
        start = time.perf_counter()
        curves[name] = {
            k: reference.mcz_curve(img, quality=list(range(1, 12)))
            for k, (img, _) in images.items()
        }
        print(f"{name}: {time.perf_counter() - start:.0f} s", flush=True)
    columns = {
        n: {
            k: reference.bd(refs[k]["jpeg2000"], curves[n][k], refs[k]["lossless_bytes"])
            for k in images
        }
        for n in names
    }
    if args.others:
        for codec in ("htj2k", "jpegxl"):
            columns[codec] = {k: reference.bd(refs[k]["jpeg2000"], refs[k][codec]) for k in images}
    summary = {c: group_means(columns[c], entries) for c in columns}
    lines = [
        "# RWNet on the development set (never WG04): BD-rate against JPEG 2000, %",
        "",
        f"Command: `python benchmarks/rwnet_dev.py {' '.join(sys.argv[1:])}`",
        "",
        f"{len(images)} images; negative = fewer bits than the bare OpenJPEG codestream at "
        "equal PSNR (rwnet: the whole .mcz). Machine: "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| group | images (real) | "
        + " | ".join(columns)
        + " | real only: "
        + " | ".join(names)
        + " |",
        "|---|---|" + "---:|" * (len(columns) + len(names)),
    ]
    for group in (*GROUPS, "all"):
        s0 = summary[names[0]][group]
        lines.append(
            f"| {group} | {s0['n']} ({s0['n_real']}) | "
            + " | ".join(_fmt(summary[c][group]["mean"]) for c in columns)
            + " | "
            + " | ".join(_fmt(summary[n][group]["real_mean"]) for n in names)
            + " |"
        )
    lines += [
        "",
        "| image | group | real? | bits | size | best lossless bpp | " + " | ".join(columns) + " |",
        "|---|---|---|---:|---|---:|" + "---:|" * len(columns),
    ]
    for key, (image, e) in images.items():
        lossless = min(refs[key]["lossless_bytes"].values()) * 8 / image.n_pixels
        lines.append(
            f"| {key} | {e['modality']} | {'sim' if e['simulated'] else 'real'} | "
            f"{e['bits_stored']} | {e['shape'][1]}x{e['shape'][0]} | {lossless:.2f} | "
            + " | ".join(_fmt(columns[c][key]) for c in columns)
            + " |"
        )
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    payload = {
        "command": " ".join(sys.argv),
        "references": refs,
        "curves": curves,
        "bd": columns,
        "summary": summary,
    }
    out.with_suffix(".json").write_text(json.dumps(payload, indent=1))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
