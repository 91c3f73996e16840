"""The licences of medcomp and the libraries it runs with (the About dialog, the bundle).

In a Python install they are read from the installed distributions' metadata: the
runtime requirements of ``medcomp-gui``, followed recursively. The installed app
(PyInstaller) carries no metadata for most of them, so its build writes ``licenses/``
beside the program: ``index.json`` (what :func:`licences` returns) and each library's
licence files (:func:`write_notices`, called by packaging/medcomp.spec).
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import re
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

DISTRIBUTION = "medcomp-gui"
INDEX = "index.json"
#: Files of a distribution that are its licence or notices.
_NOTICE = re.compile(r"(^|/)(LICEN[CS]E|COPYING|NOTICE|AUTHORS)[^/]*$", re.IGNORECASE)
#: What the bundle's licence is, and why (shown in the About dialog, written to README).
BUNDLE_TERMS = (
    "medcomp's own code is under the MIT licence. The installed app also contains "
    "pylibjpeg-libjpeg (JPEG decoding of DICOM), which is GPL-3.0: the app as distributed "
    "(the bundle, the .deb, the installers) is therefore a combined work under the GPL-3.0 — "
    "you may use, copy and pass it on only under the GPL-3.0's terms, including giving "
    "recipients its source (medcomp's repository and the libraries' source releases on "
    "PyPI). Qt (PySide6) is used under the LGPL-3.0 as shared libraries you may replace; "
    "the other libraries are under permissive licences (BSD, MIT, Apache, PSF)."
)


@dataclass(frozen=True)
class Licence:
    name: str
    version: str
    licence: str  # an SPDX expression or the classifier's words
    files: tuple[str, ...] = ()  # its licence files (absolute paths)

    def text(self, limit: int = 200_000) -> str:
        """Its licence files, one after the other (the first ``limit`` characters)."""
        parts = []
        for name in self.files:
            try:
                parts.append(f"==> {Path(name).name} <==\n{Path(name).read_text(errors='replace')}")
            except OSError as exc:
                parts.append(f"==> {Path(name).name} <==\n(cannot read: {exc.strerror})")
        return "\n\n".join(parts)[:limit] or f"{self.name}: {self.licence} (no licence file)"


def licence_of(dist: metadata.Distribution) -> str:
    """The licence a distribution declares: License-Expression, else a one-line License
    field, else its licence classifiers."""
    meta = dist.metadata
    if expression := meta.get("License-Expression"):
        return expression.strip()
    text = (meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) <= 80:
        return text
    classifiers = [
        c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")
    ]
    return " / ".join(classifiers) or "see its licence files"


def runtime_distributions(root: str = DISTRIBUTION) -> list[metadata.Distribution]:
    """``root`` and everything it needs at run time (no extras), each once, by name."""
    found: dict[str, metadata.Distribution] = {}
    todo = [root]
    while todo:
        name = _canonical(todo.pop())
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found[name] = dist
        for requirement in dist.requires or []:
            if _wanted(requirement):
                todo.append(re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0])
    return sorted(found.values(), key=lambda d: _canonical(d.metadata["Name"]))


def licences() -> list[Licence]:
    """medcomp and its libraries: from the bundle's index when frozen, else installed."""
    folder = notices_dir()
    if (folder / INDEX).is_file():
        return [
            Licence(**{**e, "files": tuple(str(folder / f) for f in e["files"])})
            for e in json.loads((folder / INDEX).read_text())
        ]
    return [
        Licence(
            d.metadata["Name"],
            d.version,
            licence_of(d),
            tuple(str(d.locate_file(f)) for f in _notice_files(d)),
        )
        for d in runtime_distributions()
    ]


def _notice_files(dist: metadata.Distribution) -> list:
    """Its licence files, the licence itself first (then notices, authors)."""
    found = [f for f in dist.files or [] if _NOTICE.search(str(f)) and not str(f).endswith(".py")]
    return sorted(found, key=lambda f: ("LICEN" not in f.name.upper(), len(str(f)), str(f)))


def notices_dir() -> Path:
    """``licenses/`` of the installed app (beside its libraries)."""
    return Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent)) / "licenses"


def write_notices(
    out: Path, dists: list[metadata.Distribution], extra: dict[str, Path]
) -> list[Licence]:
    """Copy each distribution's licence files to ``out/<name>/`` and write ``out/index.json``.
    ``extra``: further notices by title (Python's licence, the GPL and LGPL texts)."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    entries = []
    for dist in dists:
        name = dist.metadata["Name"]
        files = []
        for file in _notice_files(dist):
            target = out / _canonical(name) / str(file).replace("/", "__")
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(dist.locate_file(file), target)
            files.append(target.relative_to(out).as_posix())
        entries.append(Licence(name, dist.version, licence_of(dist), tuple(files)))
    for title, path in extra.items():
        shutil.copyfile(path, out / path.name)
        entries.append(Licence(title, "", path.name, (path.name,)))
    (out / INDEX).write_text(json.dumps([asdict(e) for e in entries], indent=1))
    return entries


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wanted(requirement: str) -> bool:
    """A requirement that applies here without an extra."""
    if ";" not in requirement:
        return True
    marker = requirement.split(";", 1)[1]
    if "extra" in marker:
        return False
    try:
        from packaging.markers import Marker
    except ImportError:  # no packaging: count it (the list is informative)
        return True
    return Marker(marker).evaluate()
