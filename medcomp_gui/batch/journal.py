"""The output folder's lock and journal: what makes a batch resumable and exclusive.

- The lock (``.medcomp_batch.lock``, an OS file lock through ``filelock``) keeps a second
  batch out of the folder; the OS drops it when the process ends, even by ``kill -9``.
- The journal (``.medcomp_batch.journal``, JSON lines) gets one line per finished file,
  flushed and synced before the file counts as done. A line cut short by a kill is
  ignored. A rerun skips an input whose line says its verified output was written with
  the same settings, whose size, modification time and SHA-256 still match, and whose
  output is still there with the size recorded; everything else is done again.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from medcomp_gui.batch.plan import Task
from medcomp_gui.batch.report import Row
from medcomp_gui.batch.settings import BatchUsageError
from medcomp_gui.batch.task import PART_SUFFIX, Fingerprint, Outcome, fingerprint

JOURNAL_NAME = ".medcomp_batch.journal"
LOCK_NAME = ".medcomp_batch.lock"


class FolderBusyError(BatchUsageError):
    """Another batch is writing into the output folder."""


class FolderLock:
    """Exclusive use of an output folder for one batch (a context manager)."""

    def __init__(self, out_dir: Path) -> None:
        from filelock import FileLock

        self.path = out_dir / LOCK_NAME
        self._lock = FileLock(str(self.path), timeout=0)

    def __enter__(self) -> FolderLock:
        from filelock import Timeout

        try:
            self._lock.acquire()
        except Timeout:
            raise FolderBusyError(
                f"{self.path.parent}: another medcomp batch is writing into this folder; "
                "wait for it to finish or choose another output folder"
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def remove_stale_parts(tasks: list[Task]) -> int:
    """Delete temporary files a killed batch left beside its outputs (under our lock
    nobody else writes them); the number removed."""
    removed = 0
    for folder in {Path(t.output).parent for t in tasks}:
        if folder.is_dir():
            for part in folder.glob(f".*{PART_SUFFIX}"):
                part.unlink(missing_ok=True)
                removed += 1
    return removed


class Journal:
    """Appends finished files; reads what a previous run finished."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / JOURNAL_NAME
        self.previous: dict[str, dict[str, Any]] = _read(self.path)
        self._file = self.path.open("a", encoding="utf-8")

    def done_before(self, task: Task) -> Row | None:
        """The row of ``task`` from an earlier run if that run's output still holds."""
        entry = self.previous.get(task.source)
        if entry is None or entry.get("settings") != task.settings.key():
            return None
        row = Row.from_dict(entry["row"])
        if row.status == "failed" or entry.get("output") != task.output:
            return None
        if row.status == "ok":
            try:
                if os.stat(task.output).st_size != row.output_bytes:
                    return None
            except OSError:
                return None
        recorded = entry.get("fingerprint")
        if recorded is None:
            return None
        try:
            stat = os.stat(task.source)
        except OSError:
            return None
        if stat.st_size != recorded["size"] or stat.st_mtime_ns != recorded["mtime_ns"]:
            return None
        if fingerprint(task.source) != Fingerprint(**recorded):
            return None
        return row

    def record(self, task: Task, outcome: Outcome) -> None:
        entry = {
            "source": task.source,
            "output": task.output,
            "settings": task.settings.key(),
            "fingerprint": asdict(outcome.fingerprint) if outcome.fingerprint else None,
            "row": asdict(outcome.row),
        }
        self._file.write(json.dumps(entry, default=str) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


def _read(path: Path) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return entries
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                entry = json.loads(line)
                entries[entry["source"]] = entry
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a kill
    return entries
