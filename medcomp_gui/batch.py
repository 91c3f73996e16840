"""Batch compression of files and folders (used by `medcomp batch` and the GUI).

Every image found is compressed to the output folder, mirroring the folder structure
below each input folder; a file that cannot be read or encoded is recorded with its
reason and the batch goes on. A CSV report lands beside the outputs. Inputs are only
read, never modified.
"""

from __future__ import annotations

import csv
import io
import math
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from medcomp_gui.errors import MedcompError, OutputError

REPORT_NAME = "medcomp_batch_report.csv"
#: Suffixes tried as images; DICOM files often have none or a numeric one, so files
#: with other suffixes are tried too and skipped (with a reason) when unreadable.
_SKIP_SUFFIXES = {".mcz", ".csv", ".txt", ".json", ".md", ".xml", ".html", ".pdf", ".zip"}


@dataclass
class BatchItem:
    """One input file's outcome. ``status``: "ok", "failed" or "skipped"."""

    source: str
    output: str
    status: str
    input_bytes: int = 0
    output_bytes: int = 0
    ratio: float = math.nan
    psnr: float = math.nan
    max_abs_error: int = -1
    message: str = ""


@dataclass
class BatchReport:
    items: list[BatchItem]
    report_path: Path | None

    @property
    def failed(self) -> list[BatchItem]:
        return [i for i in self.items if i.status == "failed"]

    @property
    def succeeded(self) -> list[BatchItem]:
        return [i for i in self.items if i.status == "ok"]

    def summary(self) -> str:
        total_in = sum(i.input_bytes for i in self.succeeded)
        total_out = sum(i.output_bytes for i in self.succeeded)
        overall = f", {total_in} -> {total_out} bytes" if total_out else ""
        skipped = sum(i.status == "skipped" for i in self.items)
        return (
            f"{len(self.succeeded)} compressed, {len(self.failed)} failed, "
            f"{skipped} skipped{overall}"
        )


def find_inputs(inputs: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """(file, path relative to its input) for every candidate file, sorted per folder."""
    for root in inputs:
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                if path.suffix.lower() not in _SKIP_SUFFIXES and not path.name.startswith("."):
                    yield path, path.relative_to(root)
        else:
            yield root, Path(root.name)


def compress_batch(
    inputs: Iterable[Path],
    out_dir: Path,
    codec: str,
    params: dict[str, Any],
    *,
    suffix: str = ".mcz",
    progress: Callable[[int, BatchItem], None] = lambda _i, _item: None,
    cancel: threading.Event | None = None,
) -> BatchReport:
    """Compress every image under ``inputs`` into ``out_dir`` (.mcz or .dcm).

    ``progress(index, item)`` is called after each file; setting ``cancel`` stops the
    batch after the current file. The report is written as ``out_dir/REPORT_NAME``.
    """
    from medcomp_gui import api

    if suffix not in (".mcz", ".dcm"):
        raise MedcompError(f"batch output format must be .mcz or .dcm, not {suffix}")
    out_dir.mkdir(parents=True, exist_ok=True)
    if not out_dir.is_dir():
        raise OutputError(f"{out_dir}: not a folder")
    sources = list(find_inputs(inputs))
    resolved_sources = {s.resolve() for s, _ in sources}
    items: list[BatchItem] = []
    for index, (source, relative) in enumerate(sources):
        if cancel is not None and cancel.is_set():
            break
        target = (out_dir / relative).with_suffix(suffix)
        item = BatchItem(str(source), str(target), "ok")
        try:
            if target.resolve() in resolved_sources:
                raise OutputError(f"{target}: would overwrite an input file")
            image = api.load_image(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            result = api.encode_file(image, target, codec, **params)
            q = result.quality
            item.input_bytes = source.stat().st_size
            item.output_bytes = q.bytes
            item.ratio = q.ratio
            item.psnr = q.psnr
            item.max_abs_error = q.max_abs_error
        except MedcompError as exc:
            item.status = "skipped" if "unknown file type" in str(exc) else "failed"
            item.output = ""
            item.message = str(exc)
        except OSError as exc:
            item.status, item.output = "failed", ""
            item.message = f"{exc.filename or source}: {exc.strerror or exc}"
        items.append(item)
        progress(index, item)
    report = BatchReport(items, None)
    report.report_path = write_report(report, out_dir / REPORT_NAME)
    return report


def report_csv(report: BatchReport) -> str:
    """The report as CSV text (one row per file)."""
    buffer = io.StringIO()
    fields = list(asdict(BatchItem("", "", "")).keys())
    writer = csv.DictWriter(buffer, fieldnames=fields)
    writer.writeheader()
    for item in report.items:
        writer.writerow(asdict(item))
    return buffer.getvalue()


def write_report(report: BatchReport, path: Path) -> Path:
    from medcomp_gui.imaging import write_atomic

    return write_atomic(path, report_csv(report).encode())
