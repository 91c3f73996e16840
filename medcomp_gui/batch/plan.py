"""Plan a batch before doing any of it: the inputs found, one output path for each.

The tree below each input folder is mirrored under the output folder (several inputs:
each under its own name). Where two inputs would get the same output name — ``scan.dcm``
and ``scan.png`` both becoming ``scan.mcz``, or names differing only in case, which
collide on Windows and macOS — every one of them keeps its own suffix (``scan.dcm.mcz``,
``scan.png.mcz``), and, if that still collides, a number; the row's note says so. An
output never lands on an input, and the output folder is never searched for inputs.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from medcomp_gui.batch.report import REPORT_CSV, REPORT_JSON
from medcomp_gui.batch.settings import BatchUsageError, Settings

#: Suffixes that are never images: listed in the report as skipped without being read.
NOT_IMAGES = {
    ".txt", ".csv", ".json", ".xml", ".html", ".htm", ".md", ".pdf", ".zip", ".gz",
    ".log", ".ini", ".cfg", ".exe", ".dll", ".db", ".lock", ".part",
}  # fmt: skip
#: Files the batch itself writes into an output folder.
OWN_FILES = {REPORT_CSV, REPORT_JSON, ".medcomp_batch.journal", ".medcomp_batch.lock"}


@dataclass(frozen=True)
class Task:
    """One input and where its output goes (absolute paths); ``note`` for the report."""

    source: str
    output: str
    settings: Settings
    note: str = ""


@dataclass
class Plan:
    """Everything a batch will do, before it does any of it."""

    out_dir: Path
    settings: Settings
    tasks: list[Task]
    not_images: list[str] = field(default_factory=list)
    total_bytes: int = 0
    renamed: int = 0

    @property
    def files(self) -> int:
        return len(self.tasks) + len(self.not_images)

    def describe(self) -> str:
        renamed = f", {self.renamed} renamed to avoid a name collision" if self.renamed else ""
        skipped = f" (and {len(self.not_images)} other files)" if self.not_images else ""
        return (
            f"{len(self.tasks)} files, {self.total_bytes / 1e6:.1f} MB{skipped}{renamed}: "
            f"{self.settings.describe()} into {self.out_dir}"
        )


def make_plan(inputs: list[Path], out_dir: Path, settings: Settings) -> Plan:
    """The plan for ``inputs`` (files and folders, searched recursively) into ``out_dir``.

    BatchUsageError when an input is missing or the output folder is an input folder."""
    out_dir = Path(out_dir).absolute()
    found: list[tuple[Path, Path]] = []  # (file, output path relative to out_dir)
    roots = [Path(p).absolute() for p in inputs]
    if not roots:
        raise BatchUsageError("no inputs given")
    for root in roots:
        if not root.exists():
            raise BatchUsageError(f"{root}: no such file or folder")
        if root.is_dir() and out_dir.resolve() == root.resolve():
            raise BatchUsageError(f"{out_dir}: the output folder cannot be an input folder")
        if root.is_dir() and _inside(root, out_dir):
            raise BatchUsageError(f"{root}: an input folder cannot be inside the output folder")
    prefix = len(roots) > 1
    for root in roots:
        if root.is_file():
            found.append((root, Path(root.name)))
            continue
        base = Path(root.name) if prefix else Path()
        for path in _walk(root, out_dir):
            found.append((path, base / path.relative_to(root)))
    plan = Plan(out_dir, settings, [])
    candidates: list[tuple[Path, Path]] = []
    for path, relative in found:
        wanted = (
            path.suffix.lower() == ".mcz"
            if settings.decode
            else path.suffix.lower()
            not in {
                *NOT_IMAGES,
                ".mcz",
            }
        )
        if path.name in OWN_FILES:
            continue  # an earlier batch's report
        if not wanted:
            plan.not_images.append(str(path))
        else:
            candidates.append((path, relative))
    inputs_resolved = {str(p.resolve()) for p, _ in candidates}
    for (path, _), (output, note) in zip(
        candidates, _outputs([r for _, r in candidates], settings.suffix), strict=True
    ):
        target = out_dir / output
        if str(target.resolve()) in inputs_resolved:
            raise BatchUsageError(f"{target}: an output would overwrite an input")
        plan.tasks.append(Task(str(path), str(target), settings, note))
        plan.total_bytes += path.stat().st_size
        plan.renamed += bool(note)
    return plan


def _walk(root: Path, out_dir: Path) -> list[Path]:
    """Files below ``root`` in a stable order, without hidden files and ``out_dir``."""
    files: list[Path] = []
    skip = out_dir.resolve()
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (here / d).resolve() != skip)
        files.extend(here / n for n in sorted(names) if not n.startswith("."))
    return files


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _outputs(relatives: list[Path], suffix: str) -> list[tuple[Path, str]]:
    """An output path for each relative input path, unique even on a case-insensitive
    file system, and a note for each one renamed."""
    first = [r.with_name(_stem(r) + suffix) for r in relatives]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, out in enumerate(first):
        groups[out.as_posix().casefold()].append(i)
    result = [(out, "") for out in first]
    taken = {key for key, members in groups.items() if len(members) == 1}
    for members in (m for m in groups.values() if len(m) > 1):
        names = ", ".join(relatives[i].name for i in members)
        for i in members:
            out = relatives[i].with_name(relatives[i].name + suffix)
            n = 1
            while out.as_posix().casefold() in taken:
                n += 1
                out = relatives[i].with_name(f"{relatives[i].name}~{n}{suffix}")
            taken.add(out.as_posix().casefold())
            result[i] = (out, f"renamed: {names} would share the name {first[i].name}")
    return result


def _stem(relative: Path) -> str:
    """The name without its image suffix (``IM0001`` and ``1.2.840.5`` keep theirs)."""
    suffix = relative.suffix.lower()
    known = {".dcm", ".dicom", ".png", ".tif", ".tiff", ".jpg", ".jpeg", ".npy", ".mcz"}
    return relative.stem if suffix in known else relative.name
