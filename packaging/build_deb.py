"""Wrap the PyInstaller bundle (dist/medcomp/) in a Debian package: `make package`.

    python packaging/build_deb.py [--bundle dist/medcomp] [--out dist]

Layout of the package (all owned by root; no maintainer scripts: the desktop entry, the
icons and the MIME types are picked up, and dropped again on removal, by the triggers of
shared-mime-info, desktop-file-utils and the icon caches):

    /opt/medcomp/                         the bundle (medcomp-gui, medcomp, _internal/)
    /usr/bin/medcomp, /usr/bin/medcomp-gui   links into it
    /usr/share/applications/medcomp.desktop
    /usr/share/icons/hicolor/{N}x{N}/apps/medcomp.png, scalable/apps/medcomp.svg
    /usr/share/mime/packages/medcomp.xml  application/x-medcomp (.mcz), application/dicom
    /usr/share/doc/medcomp/copyright      the licences (see medcomp_gui/licences.py)

Depends is found the way dpkg-shlibdeps finds it: every ELF file of the bundle is asked
(``ldd``, with the bundle's own library folder first, as its loader sets it) which system
libraries it loads, and ``dpkg -S`` names their packages. So the package fits the
distribution release it was built on (a Debian 12 build for Debian 12, ...). A library
that is not on the build machine is an error that names it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "medcomp"
PREFIX = Path("opt") / PACKAGE
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
#: Recommended, not required: without them the app runs, but a desktop does not learn
#: the file types (shared-mime-info, desktop-file-utils) or draw the icon's caches.
RECOMMENDS = "shared-mime-info, desktop-file-utils, hicolor-icon-theme, xdg-utils"
_NEEDED = re.compile(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")
_LDD_LINE = re.compile(r"^\s*(\S+)\s+=>\s+(.+?)\s+\(0x[0-9a-f]+\)\s*$|^\s*(\S+)\s+=>\s+not found")


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def elf_files(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def system_libraries(bundle: Path) -> tuple[set[str], dict[str, set[str]]]:
    """(paths of the system libraries the bundle's ELF files link to directly, {soname
    not found: the files that need it})."""
    internal = bundle / "_internal"
    env = {**os.environ, "LD_LIBRARY_PATH": f"{internal}:{internal / 'PySide6' / 'Qt' / 'lib'}"}
    found: set[str] = set()
    missing: dict[str, set[str]] = {}
    inside = str(bundle.resolve()) + os.sep
    for path in elf_files(bundle):
        needed = set(_NEEDED.findall(run("readelf", "-d", str(path))))
        result = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env)
        for line in result.stdout.splitlines():
            match = _LDD_LINE.match(line)
            if match is None or (match.group(1) or match.group(3)) not in needed:
                continue
            if match.group(3):
                missing.setdefault(match.group(3), set()).add(str(path.relative_to(bundle)))
            elif not os.path.realpath(match.group(2)).startswith(inside):
                found.add(match.group(2))
    return found, missing


def owning_packages(paths: set[str]) -> set[str]:
    """The Debian packages that own ``paths`` (merged /usr: a file may be registered
    under /lib or /usr/lib, by its name or its link's target)."""
    candidates = {}
    for path in paths:
        names = [path, os.path.realpath(path)]
        names += [p[4:] if p.startswith("/usr/") else "/usr" + p for p in list(names)]
        candidates[path] = list(dict.fromkeys(names))
    every = sorted({name for names in candidates.values() for name in names})
    answer = subprocess.run(["dpkg", "-S", *every], capture_output=True, text=True).stdout
    owner = {}
    for line in answer.splitlines():
        package, _, name = line.partition(": ")
        owner[name.strip()] = package.split(",")[0].split(":")[0].strip()
    packages = set()
    for path, names in sorted(candidates.items()):
        owners = [owner[name] for name in names if name in owner]
        if not owners:
            raise SystemExit(f"build_deb: no Debian package owns {path} (installed by hand?)")
        packages.add(owners[0])
    return packages


def depends(bundle: Path) -> list[str]:
    paths, missing = system_libraries(bundle)
    if missing:
        lines = [
            f"  {name} (needed by {sorted(users)[0]})" for name, users in sorted(missing.items())
        ]
        raise SystemExit(
            "build_deb: these libraries are not on this machine, so the package's Depends "
            "cannot be found; install their packages (python -m medcomp_gui.gui.system_libs "
            "names those of Qt):\n" + "\n".join(lines)
        )
    return sorted(owning_packages(paths))


def copyright_text(bundle: Path) -> str:
    sys.path.insert(0, str(ROOT))
    from medcomp_gui.licences import BUNDLE_TERMS

    index = (bundle / "_internal" / "licenses" / "index.json").read_text()
    import json

    lines = [
        "medcomp — viewer and compressor for medical images",
        "",
        BUNDLE_TERMS,
        "",
        f"The licence texts are in /{PREFIX}/_internal/licenses/; the GPL-3.0 and LGPL-3.0",
        "also in /usr/share/common-licenses/. Bundled software and its licences:",
        "",
    ]
    for entry in json.loads(index):
        version = f" {entry['version']}" if entry["version"] else ""
        lines.append(f"  {entry['name']}{version}: {entry['licence']}")
    return "\n".join(lines) + "\n"


def stage(bundle: Path, staging: Path) -> None:
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(bundle, staging / PREFIX, symlinks=True)
    bin_dir = staging / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    for program in ("medcomp", "medcomp-gui"):
        (bin_dir / program).symlink_to(Path("/") / PREFIX / program)
    share = staging / "usr" / "share"
    linux = ROOT / "resources" / "linux"
    icons = ROOT / "resources" / "icons"
    (share / "applications").mkdir(parents=True)
    shutil.copyfile(linux / "medcomp.desktop", share / "applications" / "medcomp.desktop")
    (share / "mime" / "packages").mkdir(parents=True)
    shutil.copyfile(linux / "medcomp-mime.xml", share / "mime" / "packages" / "medcomp.xml")
    for size in ICON_SIZES:
        folder = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True)
        shutil.copyfile(icons / f"medcomp-{size}.png", folder / "medcomp.png")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copyfile(icons / "medcomp.svg", scalable / "medcomp.svg")
    doc = share / "doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(copyright_text(bundle))
    for path in staging.rglob("*"):  # what dpkg installs: readable by all, no stray modes
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)


def control(staging: Path, depends_on: list[str]) -> str:
    meta = project()
    arch = run("dpkg", "--print-architecture").strip()
    size_kib = int(run("du", "-sk", "--apparent-size", str(staging)).split()[0])
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {meta['version']}\n"
        f"Architecture: {arch}\n"
        "Maintainer: medcomp developers <medcomp@localhost>\n"
        f"Installed-Size: {size_kib}\n"
        f"Depends: {', '.join(depends_on)}\n"
        f"Recommends: {RECOMMENDS}\n"
        "Section: science\n"
        "Priority: optional\n"
        f"Description: {meta['description'][:70]}\n"
        " The medcomp viewer (medcomp-gui) shows a medical image beside its ANLM-filtered\n"
        " image and its RWNet and SVD reconstructions, with sizes and quality figures;\n"
        " the medcomp command compresses images and whole archives. Installed under\n"
        " /opt/medcomp; opens DICOM and .mcz files from the desktop. No TensorFlow:\n"
        " training RWNet needs the Python install (pip install 'medcomp-gui[train]').\n"
    )


#: dpkg-deb's compressor and level. zstd (dpkg >= 1.21.18: Debian 12, Ubuntu 22.04 and
#: later) at level 6: 138 MB in 9 s here; xz -6 makes 115 MB in 7 min (measured on the
#: same bundle, packaging/README.md), too slow for every CI run.
COMPRESSION = {"zstd": 6, "xz": 6, "gzip": 9}


def build(bundle: Path, out: Path, compression: str) -> Path:
    if not (bundle / "medcomp-gui").is_file():
        raise SystemExit(
            f"build_deb: no bundle in {bundle}: run pyinstaller packaging/medcomp.spec"
        )
    depends_on = depends(bundle)
    version = project()["version"]
    arch = run("dpkg", "--print-architecture").strip()
    staging = ROOT / "build" / "deb" / f"{PACKAGE}_{version}_{arch}"
    stage(bundle, staging)
    (staging / "DEBIAN").mkdir()
    (staging / "DEBIAN" / "control").write_text(control(staging, depends_on))
    out.mkdir(parents=True, exist_ok=True)
    deb = out / f"{PACKAGE}_{version}_{arch}.deb"
    subprocess.run(
        [
            "dpkg-deb",
            "--root-owner-group",
            f"-Z{compression}",
            f"-z{COMPRESSION[compression]}",
            "--build",
            str(staging),
            str(deb),
        ],
        check=True,
    )
    shutil.rmtree(staging)
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "medcomp")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--compression", default="zstd", choices=sorted(COMPRESSION))
    args = parser.parse_args(argv)
    deb = build(args.bundle, args.out, args.compression)
    print(f"built {deb} ({deb.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
