"""The batch report: a row per input in ``medcomp_batch_report.csv`` and ``.json`` in the
output folder, written as the batch goes (a killed batch still has one), totals at the end.

CSV cells that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or
a carriage return) are prefixed with a quote; numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

REPORT_CSV = "medcomp_batch_report.csv"
REPORT_JSON = "medcomp_batch_report.json"
STATUSES = ("ok", "failed", "skipped")
#: Seconds between two rewrites of the JSON report while a batch runs.
_JSON_EVERY_S = 2.0
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Row:
    """One input's outcome. Sizes in bytes; ``ratio_input``: input file / output file;
    ``ratio_pixels``: uncompressed pixels (BitsAllocated) / output file, the CAR 2008
    ratio; ``max_error`` in stored units, ``max_error_hu`` for CT; ``seconds`` of work."""

    source: str
    output: str = ""
    status: str = "failed"
    reason: str = ""
    codec: str = ""
    params: str = ""
    modality: str = ""
    lossless: bool | None = None
    input_bytes: int = 0
    output_bytes: int = 0
    ratio_input: float | None = None
    ratio_pixels: float | None = None
    grew: bool = False
    psnr: float | None = None
    ssim: float | None = None
    max_error: int | None = None
    max_error_hu: float | None = None
    seconds: float = 0.0
    guideline_ratio: float | None = None
    warning: str = ""
    note: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Row:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


FIELDS = [f.name for f in fields(Row)]


@dataclass
class Totals:
    files: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    not_started: int = 0
    input_bytes: int = 0
    output_bytes: int = 0
    grew: int = 0
    warnings: int = 0
    seconds: float = 0.0
    wall_seconds: float = 0.0

    @property
    def ratio(self) -> float | None:
        return self.input_bytes / self.output_bytes if self.output_bytes else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio_input": self.ratio}

    def summary(self) -> str:
        overall = ""
        if self.output_bytes:
            overall = f"; {self.input_bytes:,} -> {self.output_bytes:,} bytes ({self.ratio:.2f}:1)"
        extra = f", {self.not_started} not started (cancelled)" if self.not_started else ""
        grew = f", {self.grew} grew" if self.grew else ""
        warned = f", {self.warnings} above the CAR 2008 guideline" if self.warnings else ""
        return (
            f"{self.ok} ok, {self.failed} failed, {self.skipped} skipped{extra}{grew}{warned}"
            f"{overall}; {self.wall_seconds:.1f} s"
        )


def totals_of(rows: list[Row], planned: int, wall_seconds: float) -> Totals:
    t = Totals(files=planned, wall_seconds=wall_seconds)
    for row in rows:
        setattr(t, row.status, getattr(t, row.status) + 1)
        t.seconds += row.seconds
        if row.status == "ok":
            t.input_bytes += row.input_bytes
            t.output_bytes += row.output_bytes
            t.grew += bool(row.grew)
            t.warnings += bool(row.warning)
    t.not_started = planned - len(rows)
    return t


def escape_cell(value: Any) -> Any:
    """A cell safe to open in a spreadsheet: text starting like a formula gets a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    if isinstance(value, float) and not math.isfinite(value):
        return "inf" if value > 0 else ("nan" if math.isnan(value) else "-inf")
    return value


def csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([escape_cell(v) for v in values])
    return buffer.getvalue()


def row_cells(row: Row) -> list[Any]:
    return [getattr(row, name) for name in FIELDS]


class ReportWriter:
    """Keeps both report files current: each row is appended to the CSV at once (and
    flushed), the JSON is rewritten atomically every few seconds and at the end."""

    def __init__(self, out_dir: Path, batch: dict[str, Any]) -> None:
        self.csv_path = out_dir / REPORT_CSV
        self.json_path = out_dir / REPORT_JSON
        self.batch = batch
        self.rows: list[Row] = []
        self._last_json = 0.0
        self._json_cost = 0.0
        self._csv = self.csv_path.open("w", newline="", encoding="utf-8")
        self._csv.write(csv_line(FIELDS))
        self._csv.flush()

    def add(self, row: Row) -> None:
        self.rows.append(row)
        self._csv.write(csv_line(row_cells(row)))
        self._csv.flush()
        if time.monotonic() - self._last_json > max(_JSON_EVERY_S, 10 * self._json_cost):
            self.write_json(None)

    def write_json(self, totals: Totals | None) -> None:
        """Rewrite the JSON report (while running, at most 10 % of the time goes here:
        the interval grows with the report)."""
        started = time.monotonic()
        document = {
            "batch": self.batch,
            "rows": [asdict(r) for r in self.rows],
            "totals": totals.as_dict() if totals else None,
        }
        _write_atomic_text(self.json_path, json.dumps(document, indent=1, default=_json_default))
        self._last_json = time.monotonic()
        self._json_cost = self._last_json - started

    def finish(self, totals: Totals, order: dict[str, int]) -> None:
        """Both files complete: rows in plan order, failures first, a totals line."""
        self.rows.sort(key=lambda r: (r.status != "failed", order.get(r.source, len(order))))
        self._csv.close()
        text = csv_line(FIELDS) + "".join(csv_line(row_cells(r)) for r in self.rows)
        total = Row(
            source="TOTAL",
            status=f"{totals.ok} ok / {totals.failed} failed / {totals.skipped} skipped",
            input_bytes=totals.input_bytes,
            output_bytes=totals.output_bytes,
            ratio_input=round(totals.ratio, 4) if totals.ratio else None,
            seconds=round(totals.seconds, 3),
            note=f"{totals.not_started} not started" if totals.not_started else "",
        )
        _write_atomic_text(self.csv_path, text + csv_line(row_cells(total)))
        self.write_json(totals)

    def close(self) -> None:
        if not self._csv.closed:
            self._csv.close()


def _json_default(value: Any) -> Any:
    return str(value)


def _write_atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_json_report(out_dir: Path) -> dict[str, Any]:
    return json.loads((out_dir / REPORT_JSON).read_text(encoding="utf-8"))
