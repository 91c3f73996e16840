"""Fetch the packages that ship real medical images for RWNet's training and dev data.

Everything is fetched by package name with the ordinary clients and unpacked under
``data/cache`` (git-ignored); nothing is installed into the system or the venv:

- Debian (``apt-get download`` + ``dpkg-deb -x``; ``apt-get update`` first if a package
  is not found): dicomnifti (a Siemens MR), insighttoolkit5-examples (MR and micro-CT
  slices), python3-dipy (diffusion MR volumes), mricron-data (brain templates: kept to
  a small share by the preparation);
- PyPI wheels (``pip download --no-deps``, unzipped): nibabel (Siemens and Philips MR
  DICOM test files), pynetdicom (CT, MR and an RT portal image test files);
- pydicom-data must be installed (``pip install pydicom-data``): it is read in place.

Never fetched, never read: the packages reserved for evaluation (invesalius-examples,
deid-data, dicompyler-core, heudiconv, dicom3tools, octave-dicom); the WG04 images of
pydicom-data are skipped by the preparation (``data.is_wg04``).

Usage: python scripts/fetch_rwnet_data.py [--cache data/cache]
then:  python scripts/prepare_rwnet_data.py
"""

from __future__ import annotations

import argparse
import glob
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

DEBIAN = ("dicomnifti", "insighttoolkit5-examples", "python3-dipy", "mricron-data")
PYPI = ("nibabel", "pynetdicom")
RESERVED = ("invesalius", "deid-data", "dicompyler", "heudiconv", "dicom3tools", "octave-dicom")


def fetch_debian(name: str, cache: Path) -> None:
    target = cache / "deb" / name
    if target.is_dir():
        return
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["apt-get", "download", name]
        if subprocess.run(cmd, cwd=tmp, capture_output=True).returncode:
            subprocess.run(["apt-get", "update", "-qq"], check=False)
            subprocess.run(cmd, cwd=tmp, check=True, capture_output=True)
        (deb,) = glob.glob(f"{tmp}/*.deb")
        target.mkdir(parents=True)
        subprocess.run(["dpkg-deb", "-x", deb, str(target)], check=True)


def fetch_pypi(name: str, cache: Path) -> None:
    target = cache / "pypi" / name
    if target.is_dir():
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary",
                ":all:",
                "-q",
                "-d",
                tmp,
                name,
            ],
            check=True,
        )
        (wheel,) = glob.glob(f"{tmp}/*.whl")
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default="data/cache")
    cache = Path(parser.parse_args().cache).resolve()
    for name in DEBIAN + PYPI:
        assert not any(r in name for r in RESERVED)
    for name in DEBIAN:
        try:
            fetch_debian(name, cache)
            print(f"debian {name}: ok")
        except (subprocess.CalledProcessError, ValueError) as exc:  # e.g. not in this release
            print(f"debian {name}: not fetched ({exc}); the preparation goes on without it")
    for name in PYPI:
        fetch_pypi(name, cache)
        print(f"pypi {name}: ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
