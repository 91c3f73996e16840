"""The batch engine in this process (``jobs=0``), where faults can be injected into the
task: every file is a row, whatever it raises; outputs are verified; nothing partial is
left; a rerun resumes; a second batch is refused."""

from __future__ import annotations

import csv
import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest

from batch.mixed import EXPECTED, snapshot
from medcomp_gui import api
from medcomp_gui.batch import REPORT_CSV, REPORT_JSON, check_settings, make_plan, run_batch
from medcomp_gui.batch import task as task_module
from medcomp_gui.batch.journal import FolderBusyError, FolderLock
from medcomp_gui.batch.report import escape_cell
from medcomp_gui.errors import MedcompError


def run(inputs, out, codec="jpeg2000", params=None, **options):
    settings_keys = ("format", "psnr", "max_error", "within_guideline")
    settings = check_settings(
        codec,
        params if params is not None else {"lossless": True},
        **{k: options.pop(k) for k in settings_keys if k in options},
    )
    plan = make_plan([Path(p) for p in inputs], Path(out), settings)
    return plan, run_batch(plan, jobs=options.pop("jobs", 0), **options)


def rows_by_name(result, root: Path) -> dict[str, object]:
    return {Path(r.source).relative_to(root).as_posix(): r for r in result.rows}


def test_mixed_folder_every_file_has_a_row_and_inputs_stay(mixed_folder, tmp_path):
    before = snapshot(mixed_folder)
    out = tmp_path / "out"
    _, result = run([mixed_folder], out)
    rows = rows_by_name(result, mixed_folder)
    assert set(rows) == set(EXPECTED)
    for name, status in EXPECTED.items():
        assert status is None or rows[name].status == status, (name, rows[name])
    assert rows["MR_small_bigendian.dcm"].status in ("ok", "failed")
    assert "pixel data" in rows["broken.dcm"].reason
    assert result.exit_status == 1
    # each ok output decodes to the source's stored values exactly (lossless)
    for name, row in rows.items():
        if row.status == "ok":
            assert row.lossless is True and row.max_error == 0 and row.psnr is None
            source = api.load_image(mixed_folder / name).pixels
            assert np.array_equal(api.load_any(row.output).pixels, source)
            assert row.output_bytes == Path(row.output).stat().st_size
    assert (out / "mr" / "IM0001.mcz").is_file() and (out / "ct" / "ct_signed.mcz").is_file()
    assert snapshot(mixed_folder) == before
    assert not list(out.rglob("*.part"))
    # both reports: a row per input, failures first, totals at the end
    csv_rows = list(csv.DictReader((out / REPORT_CSV).open(encoding="utf-8")))
    assert len(csv_rows) == len(EXPECTED) + 1 and csv_rows[-1]["source"] == "TOTAL"
    assert csv_rows[0]["status"] == "failed"
    document = json.loads((out / REPORT_JSON).read_text())
    assert len(document["rows"]) == len(EXPECTED)
    totals = document["totals"]
    assert totals["ok"] + totals["failed"] + totals["skipped"] == len(EXPECTED)
    assert totals["output_bytes"] == sum(r.output_bytes for r in result.rows if r.status == "ok")


def test_colliding_names_get_two_outputs_named_in_the_report(mixed_folder, tmp_path):
    out = tmp_path / "out"
    _, result = run([mixed_folder / "scan.dcm", mixed_folder / "scan.png"], out)
    outputs = sorted(Path(r.output).name for r in result.rows)
    assert outputs == ["scan.dcm.mcz", "scan.png.mcz"]
    assert all("renamed" in r.note and "scan.mcz" in r.note for r in result.rows)
    assert api.load_any(out / "scan.png.mcz").pixels.shape == (48, 40)
    assert api.load_any(out / "scan.dcm.mcz").pixels.shape == (64, 72)


class PanicException(BaseException):
    """What pyo3 raises for a panic in a Rust coder (a BaseException, not an Exception)."""


@pytest.mark.parametrize(
    ("raised", "reason"),
    [
        (ValueError("PATIENT^SECRET 19700101"), "internal error: ValueError"),
        (PanicException("PATIENT^SECRET"), "native coder panic: PanicException"),
        (MemoryError(), "out of memory"),
        (OSError(errno.EIO, "Input/output error"), "Input/output error"),
    ],
)
def test_any_exception_is_that_files_row_without_patient_data(
    mixed_folder, tmp_path, monkeypatch, raised, reason
):
    real = task_module.encode_bytes

    def encode(image, *args):
        if image.source.endswith("12bit.dcm"):
            raise raised
        return real(image, *args)

    monkeypatch.setattr(task_module, "encode_bytes", encode)
    _, result = run([mixed_folder / "mr"], tmp_path / "out")
    rows = rows_by_name(result, mixed_folder / "mr")
    assert rows["12bit.dcm"].status == "failed"
    assert rows["12bit.dcm"].reason.startswith(reason)
    assert "SECRET" not in rows["12bit.dcm"].reason
    assert rows["IM0001"].status == "ok"  # the next file was done
    assert not (tmp_path / "out" / "12bit.mcz").exists()


def test_keyboard_interrupt_is_not_swallowed(mixed_folder, tmp_path, monkeypatch):
    def encode(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(task_module, "encode_bytes", encode)
    with pytest.raises(KeyboardInterrupt):
        run([mixed_folder / "mr"], tmp_path / "out")


def test_verification_catches_an_output_damaged_after_writing(mixed_folder, tmp_path, monkeypatch):
    real = task_module.write_temp

    def write_then_damage(output, data):
        temp = real(output, data)
        if output.name == "12bit.dcm":
            damaged = bytearray(temp.read_bytes())
            damaged[len(damaged) // 2] ^= 0xFF
            temp.write_bytes(bytes(damaged))
        return temp

    monkeypatch.setattr(task_module, "write_temp", write_then_damage)
    out = tmp_path / "out"
    _, result = run([mixed_folder / "mr"], out, format="dcm")
    rows = rows_by_name(result, mixed_folder / "mr")
    assert rows["12bit.dcm"].status == "failed"
    assert rows["12bit.dcm"].reason.startswith("verification failed")
    assert rows["IM0001"].status == "ok"
    assert not (out / "12bit.dcm").exists() and not list(out.rglob("*.part"))


def test_disk_full_leaves_no_partial_output(mixed_folder, tmp_path, monkeypatch):
    """ENOSPC when the temporary file is flushed to disk (where a full disk shows)."""
    real_fsync = os.fsync

    def fsync(fd):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".part"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    out = tmp_path / "out"
    _, result = run([mixed_folder / "mr", mixed_folder / "ct"], out)
    assert {r.status for r in result.rows} == {"failed"}
    assert all(r.reason.startswith("disk full") for r in result.rows)
    assert not [p for p in out.rglob("*") if p.is_file() and p.suffix in (".mcz", ".part")]
    assert result.exit_status == 1


def test_second_batch_into_the_same_folder_is_refused(mixed_folder, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with FolderLock(out), pytest.raises(FolderBusyError, match="another medcomp batch"):
        run([mixed_folder / "mr"], out)
    assert not list(out.glob("*.mcz"))
    _, result = run([mixed_folder / "mr"], out)  # free again
    assert result.exit_status == 0


def test_rerun_resumes_and_force_redoes(mixed_folder, tmp_path):
    out = tmp_path / "out"
    folders = [mixed_folder / "mr", mixed_folder / "ct"]
    run(folders, out)
    outputs = {p: p.stat().st_mtime_ns for p in out.rglob("*.mcz")}
    assert len(outputs) == 3
    (out / "mr" / "IM0001.mcz").unlink()  # a lost output is made again
    changed = mixed_folder / "ct" / "ct_signed.dcm"
    data = bytearray(changed.read_bytes())
    data[-1] ^= 1  # one pixel changed, same size
    changed.write_bytes(bytes(data))
    _, result = run(folders, out)
    notes = {Path(r.source).name: r.note for r in result.rows}
    assert "earlier run" in notes["12bit.dcm"]
    assert "earlier run" not in notes["IM0001"] and "earlier run" not in notes["ct_signed.dcm"]
    assert (out / "mr" / "12bit.mcz").stat().st_mtime_ns == outputs[out / "mr" / "12bit.mcz"]
    assert np.array_equal(
        api.load_any(out / "ct" / "ct_signed.mcz").pixels, api.load_image(changed).pixels
    )
    _, result = run(folders, out, force=True)
    assert not any("earlier run" in r.note for r in result.rows)
    assert (out / "mr" / "12bit.mcz").stat().st_mtime_ns != outputs[out / "mr" / "12bit.mcz"]
    # other settings are another batch: nothing is taken from the journal
    _, result = run(folders, out, "jpegls")
    assert not any("earlier run" in r.note for r in result.rows)


def test_report_figures_ratio_grew_hu_and_guideline_warning(mixed_folder, tmp_path):
    out = tmp_path / "out"
    _, result = run([mixed_folder / "ct", mixed_folder / "scan.png"], out, "svd", {"rank": 1})
    rows = {Path(r.source).name: r for r in result.rows}
    ct = rows["ct_signed.dcm"]
    assert ct.lossless is False and ct.modality == "CT" and ct.guideline_ratio == 15.0
    assert ct.ratio_pixels > 15 and "exceeds the CAR 2008 guideline" in ct.warning
    assert ct.max_error_hu == pytest.approx(ct.max_error * 1.0) and ct.max_error > 0
    assert ct.ratio_input == pytest.approx(ct.input_bytes / ct.output_bytes, rel=1e-5)
    png = rows["scan.png"]
    assert png.grew is (png.output_bytes > png.input_bytes)
    assert png.guideline_ratio is None and png.warning == ""
    assert json.loads(ct.params) == {"rank": 1}


def test_csv_cells_cannot_run_as_formulas(mixed_folder, tmp_path, monkeypatch):
    assert escape_cell("=1+1") == "'=1+1" and escape_cell("@SUM(A1)") == "'@SUM(A1)"
    assert escape_cell(-3.5) == -3.5 and escape_cell("/data/a.dcm") == "/data/a.dcm"

    def encode(*_args):
        raise MedcompError('=HYPERLINK("http://x","y")')

    monkeypatch.setattr(task_module, "encode_bytes", encode)
    out = tmp_path / "out"
    run([mixed_folder / "mr" / "12bit.dcm"], out)
    text = (out / REPORT_CSV).read_text()
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_output_folder_inside_the_input_is_not_searched_and_an_input_folder_is_refused(
    mixed_folder, tmp_path
):
    from medcomp_gui.batch.settings import BatchUsageError

    inside = mixed_folder / "mr" / "compressed"
    _, first = run([mixed_folder / "mr"], inside)
    _, again = run([mixed_folder / "mr"], inside)  # its own outputs are no inputs
    assert len(first.rows) == len(again.rows) == 2
    with pytest.raises(BatchUsageError, match="cannot be an input folder"):
        run([mixed_folder / "mr"], mixed_folder / "mr")
    with pytest.raises(BatchUsageError, match="no such file or folder"):
        run([tmp_path / "missing"], tmp_path / "out")
