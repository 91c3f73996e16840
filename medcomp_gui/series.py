"""Files and folders as the viewer lists them: studies, series, and stacks of slices.

A folder of single-frame DICOM files of one series (a CT or MR acquisition exported
slice by slice) becomes one :class:`Entry` whose files are in anatomical order — by
the position of each slice along the normal of its plane (Image Position / Orientation
(Patient)), else by Instance Number, else by file name — and loads as one multi-frame
image (:func:`load_entry`). Everything else is an entry of its own. Entries carry the
study and series they belong to, so a list can group them.

Headers are read without pixel data (``stop_before_pixels``); call :func:`scan` in a
worker process for large folders.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from medcomp_gui.errors import MedcompError
from medcomp_gui.imaging.image import MedicalImage
from medcomp_gui.imaging.raster_io import RASTER_SUFFIXES

IMAGE_SUFFIXES = (".dcm", ".dicom", ".mcz", *RASTER_SUFFIXES)
#: Files taken from one folder at most (a whole PACS export would flood the list).
MAX_FOLDER_FILES = 5000
#: Attributes every slice of a stack must share (else its files stay separate).
STACK_KEYS = (
    "Rows",
    "Columns",
    "BitsAllocated",
    "BitsStored",
    "PixelRepresentation",
    "PhotometricInterpretation",
    "RescaleSlope",
    "RescaleIntercept",
)
OTHER_FILES = "Other files"


@dataclass(frozen=True)
class Entry:
    """One item of the viewer's list: a file, or a series' slices in order."""

    paths: tuple[Path, ...]
    label: str  # what the list shows for it
    study: str = OTHER_FILES  # the group it belongs to (on screen only: may name the patient)
    series: str = ""  # the subgroup ("" for files outside any DICOM series)
    keys: tuple[str, str] = ("", "")  # Study and Series Instance UIDs, for grouping

    @property
    def is_stack(self) -> bool:
        return len(self.paths) > 1


@dataclass
class _Header:
    path: Path
    study_uid: str
    series_uid: str
    study: str
    series: str
    frames: int
    stack_key: tuple[object, ...]
    position: float | None
    instance: int | None
    tags: dict[str, object] = field(default_factory=dict)


def image_files(folder: Path) -> list[Path]:
    """Image files in ``folder`` and below: known suffixes, or none (DICOM often has none)."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if not name.startswith(".") and (
                path.suffix.lower() in IMAGE_SUFFIXES or path.suffix == ""
            ):
                found.append(path)
                if len(found) >= MAX_FOLDER_FILES:
                    return found
    return found


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given, folders replaced by their image files."""
    found: list[Path] = []
    for path in paths:
        found.extend(image_files(path) if path.is_dir() else [path])
    return found


def _read_header(path: Path) -> _Header | None:
    """The header fields we group and sort by, or None for a file that is no DICOM."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    if path.suffix.lower() in (".mcz", *RASTER_SUFFIXES):
        return None
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, ValueError, EOFError, KeyError, TypeError, AttributeError):
        return None
    if "Rows" not in ds:
        return None
    name = str(ds.get("PatientName", "") or "").replace("^", ", ").strip(", ")
    date = str(ds.get("StudyDate", "") or "")
    study = " · ".join(
        t for t in (name, _date(date), str(ds.get("StudyDescription", "") or "")) if t
    )
    number = str(ds.get("SeriesNumber", "") or "")
    series = " ".join(
        t
        for t in (
            str(ds.get("Modality", "") or ""),
            f"Se {number}" if number else "",
            str(ds.get("SeriesDescription", "") or ""),
        )
        if t
    )
    return _Header(
        path=path,
        study_uid=str(ds.get("StudyInstanceUID", "")),
        series_uid=str(ds.get("SeriesInstanceUID", "")),
        study=study or "Study",
        series=series or "Series",
        frames=int(ds.get("NumberOfFrames", 1) or 1),
        stack_key=tuple(str(ds.get(k, "")) for k in STACK_KEYS)
        + (tuple(round(float(v), 4) for v in ds.get("ImageOrientationPatient", []) or []),),
        position=_slice_position(ds),
        instance=int(ds.InstanceNumber)
        if ds.get("InstanceNumber", None) not in (None, "")
        else None,
    )


def _date(value: str) -> str:
    return f"{value[:4]}-{value[4:6]}-{value[6:8]}" if len(value) == 8 else value


def _slice_position(ds: object) -> float | None:
    """The slice's position along the normal of its plane (mm), or None."""
    try:
        orientation = [float(v) for v in ds.ImageOrientationPatient]  # type: ignore[attr-defined]
        position = [float(v) for v in ds.ImagePositionPatient]  # type: ignore[attr-defined]
    except (AttributeError, TypeError, ValueError):
        return None
    if len(orientation) != 6 or len(position) != 3:
        return None
    normal = np.cross(orientation[:3], orientation[3:])
    return float(np.dot(normal, position))


def _order(headers: list[_Header]) -> list[_Header] | None:
    """The slices in anatomical order, or None when they do not form one stack."""
    if len(headers) < 2 or any(h.frames != 1 for h in headers):
        return None
    if len({h.stack_key for h in headers}) != 1:
        return None
    positions = [h.position for h in headers]
    if all(p is not None for p in positions) and len(set(positions)) == len(positions):
        return sorted(headers, key=lambda h: (h.position, h.path.name))
    instances = [h.instance for h in headers]
    if all(i is not None for i in instances) and len(set(instances)) == len(instances):
        return sorted(headers, key=lambda h: (h.instance, h.path.name))
    return sorted(headers, key=lambda h: h.path.name)


def scan(paths: list[Path]) -> list[Entry]:
    """The list entries for ``paths`` (files and folders): each DICOM series of
    single-frame slices as one stack, every other file on its own, in the order found."""
    files = list(dict.fromkeys(expand_paths(paths)))
    headers = {path: _read_header(path) for path in files}
    by_series: dict[tuple[str, str], list[_Header]] = defaultdict(list)
    for header in headers.values():
        if header is not None and header.series_uid:
            by_series[(header.study_uid, header.series_uid)].append(header)
    names = [p.name for p in files]
    entries: list[Entry] = []
    done: set[tuple[str, str]] = set()
    for path in files:
        header = headers[path]
        key = (header.study_uid, header.series_uid) if header is not None else None
        if header is not None and key in by_series:
            if key in done:
                continue
            members = by_series[key]
            ordered = _order(members)
            if ordered is not None:
                done.add(key)
                entries.append(
                    Entry(
                        tuple(h.path for h in ordered),
                        f"{len(ordered)} slices · {ordered[0].path.parent.name or '.'}",
                        header.study,
                        header.series,
                        key,
                    )
                )
                continue
            entries.append(Entry((path,), _label(path, names), header.study, header.series, key))
        else:
            entries.append(Entry((path,), _label(path, names)))
    return entries


def _label(path: Path, names: list[str]) -> str:
    """The file's name, with its folder when another file has the same name."""
    return f"{path.parent.name}/{path.name}" if names.count(path.name) > 1 else path.name


def load_entry(entry: Entry) -> MedicalImage:
    """The image of an entry: its file, or its slices stacked as frames (the first
    slice's header kept; ``source`` is the first slice's folder)."""
    from medcomp_gui.api import load_any

    if not entry.is_stack:
        return load_any(entry.paths[0])
    slices = [load_any(p) for p in entry.paths]
    first = slices[0]
    for path, image in zip(entry.paths, slices, strict=True):
        if image.pixels.shape != first.pixels.shape or image.pixels.dtype != first.pixels.dtype:
            raise MedcompError(f"{path}: differs in size or type from the other slices")
    pixels = np.stack([image.pixels for image in slices])
    return first.with_pixels(pixels, source=str(entry.paths[0].parent))
