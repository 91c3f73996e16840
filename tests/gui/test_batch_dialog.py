"""The batch dialog: a dropped folder -> "Compress…" -> dialog -> Start -> the progress
advances -> the report table; Cancel; File > Compress folder… (Ctrl+B); the GUI thread
is never kept waiting more than 50 ms while the batch runs in worker processes."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from batch.mixed import EXPECTED, make_mixed_folder
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog
from reference_images import REFERENCES, write_reference

from medcomp_gui.batch.report import REPORT_CSV

from .test_main_window import drop

WAIT_MS = 120_000
#: Longest the GUI thread may be kept from its event loop during a batch.
MAX_GAP_MS = 50.0


class GapMeter:
    """A 5 ms timer on the GUI thread; the longest time between two of its ticks."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.longest_ms = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.last:
            self.longest_ms = max(self.longest_ms, (now - self.last) * 1000 - 5)
        self.last = now

    def start(self) -> None:
        self.last = 0.0
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()


def test_drop_folder_compress_progress_report_table(qtbot, window, tmp_path):
    folder = make_mixed_folder(tmp_path / "export")
    drop(window, [folder])
    box = window.drop_choice
    next(b for b in box.buttons() if b.text() == "Compress…").click()
    dialog = window.batch_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.found_label.text().startswith("Found"), timeout=WAIT_MS)
    assert dialog.found_label.text().startswith(f"Found {len(EXPECTED) - 1} files")  # + notes.txt
    dialog.output_edit.setText(str(tmp_path / "out"))
    dialog.jobs_box.setValue(2)
    steps = []
    dialog.job.stepped.connect(lambda step: steps.append(step.done))
    meter = GapMeter()
    meter.start()
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=WAIT_MS)
    meter.stop()
    assert steps == sorted(steps) and steps[-1] == len(EXPECTED)
    assert dialog.progress.value() == dialog.progress.maximum() == len(EXPECTED)
    assert dialog.table.rowCount() == len(EXPECTED)
    statuses = [dialog.table.item(i, 1).text() for i in range(dialog.table.rowCount())]
    assert statuses[0] == "failed", statuses  # failures first, with a reason
    assert dialog.table.item(0, 2).text()
    assert "ok" in dialog.totals_label.text() and dialog.open_button.isEnabled()
    saved = tmp_path / "saved.csv"
    dialog.save_report(str(saved))
    assert saved.read_text() == (tmp_path / "out" / REPORT_CSV).read_text()
    qtbot.waitUntil(lambda: not dialog.job.running, timeout=WAIT_MS)  # the process ended
    print(f"longest GUI-thread gap {meter.longest_ms:.1f} ms")
    assert meter.longest_ms < MAX_GAP_MS, f"GUI thread blocked {meter.longest_ms:.0f} ms"


def test_menu_compress_folder_then_cancel(qtbot, window, tmp_path, monkeypatch):
    folder = tmp_path / "series"
    folder.mkdir()
    reference = write_reference(next(r for r in REFERENCES if r.id == "odd_511x257"), tmp_path)
    for i in range(12):
        shutil.copy(reference, folder / f"IM{i:04d}")
    action = next(a for a in window.findChildren(QAction) if a.text() == "&Compress folder…")
    assert action.shortcut().toString() == "Ctrl+B"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    action.trigger()
    dialog = window.batch_dialog
    qtbot.waitUntil(lambda: dialog.found_label.text().startswith("Found 12"), timeout=WAIT_MS)
    out = tmp_path / "out"
    dialog.output_edit.setText(str(out))
    dialog.jobs_box.setValue(1)
    dialog.psnr_use.setChecked(True)
    dialog.psnr_box.setValue(70.0)
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 1, timeout=WAIT_MS)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=WAIT_MS)
    result = dialog.result
    assert result.cancelled and 0 < result.totals.not_started < 12
    assert dialog.status_label.text() == "cancelled"
    assert dialog.table.rowCount() == len(result.rows) == 12 - result.totals.not_started
    assert (out / REPORT_CSV).is_file()
    assert not [p for p in Path(out).rglob("*") if p.name.endswith(".part")]
    qtbot.waitUntil(lambda: not dialog.job.running, timeout=WAIT_MS)  # the process ended
