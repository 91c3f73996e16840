"""The batch in worker processes: the local pool ("spawn"), a real Dask LocalCluster of
two worker processes on loopback giving the same report, and a batch killed with
SIGKILL mid-way then rerun."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pydicom

from batch.mixed import EXPECTED
from medcomp_gui.batch import check_settings, make_plan, run_batch
from medcomp_gui.batch.journal import JOURNAL_NAME
from medcomp_gui.batch.report import REPORT_CSV

ROOT = Path(__file__).resolve().parents[2]


def comparable(result, root: Path) -> dict[str, tuple]:
    return {
        Path(r.source).relative_to(root).as_posix(): (
            r.status,
            r.reason,
            Path(r.output).relative_to(result.report_csv.parent).as_posix() if r.output else "",
            r.output_bytes - generated_uid_bytes(r.output) if r.output else r.output_bytes,
            r.max_error,
        )
        for r in result.rows
    }


def generated_uid_bytes(output: str) -> int:
    """Bytes of a DICOM output's instance, series and study UIDs (with their padding):
    a PNG becomes a DICOM with new random UIDs (``pydicom.uid.generate_uid``) whose
    length varies by a digit or two from run to run; the rest of the file does not."""
    if not output.endswith(".dcm"):
        return 0
    ds = pydicom.dcmread(output, stop_before_pixels=True)
    values = [ds.get(k, "") for k in ("SOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID")]
    values.append(ds.file_meta.get("MediaStorageSOPInstanceUID", ""))
    return sum(len(str(v)) + len(str(v)) % 2 for v in values)


def test_dask_local_cluster_gives_the_same_report_as_the_local_pool(mixed_folder, tmp_path):
    from distributed import LocalCluster

    settings = check_settings("jpeg2000", {"lossless": True}, format="dcm")
    local = run_batch(make_plan([mixed_folder], tmp_path / "local", settings), jobs=2)
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        dask = run_batch(
            make_plan([mixed_folder], tmp_path / "dask", settings),
            scheduler=cluster.scheduler_address,
        )
    assert comparable(dask, mixed_folder) == comparable(local, mixed_folder)
    assert set(comparable(local, mixed_folder)) == set(EXPECTED)
    assert local.totals.ok >= 7 and local.exit_status == 1


def test_kill_9_mid_batch_then_rerun_resumes(tmp_path):
    """SIGKILL to the whole batch (CLI and its pool); the rerun finishes the report,
    leaves finished outputs alone and no temporary file behind."""
    from reference_images import REFERENCES, write_reference

    source = tmp_path / "in"
    source.mkdir()
    reference = write_reference(next(r for r in REFERENCES if r.id == "odd_511x257"), tmp_path)
    for i in range(16):
        shutil.copy(reference, source / f"IM{i:04d}.dcm")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "medcomp_gui.cli", "-q", "batch", str(source), "-o", str(out),
               "-c", "jpeg2000", "--psnr", "70", "--jobs", "1"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, env=env, start_new_session=True)
    journal = out / JOURNAL_NAME
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if journal.exists() and journal.read_text().count("\n") >= 3:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the batch ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = [json.loads(line) for line in journal.read_text().splitlines() if line.endswith("}")]
    assert 3 <= len(finished) < 16
    assert (out / REPORT_CSV).read_text().count("\n") >= 1 + len(finished)  # a report already
    mtimes = {e["output"]: Path(e["output"]).stat().st_mtime_ns for e in finished}
    rerun = subprocess.run(command[:3] + command[4:] + ["--json"], env=env, capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["totals"]["ok"] == 16 and summary["totals"]["not_started"] == 0
    report = json.loads(Path(summary["report_json"]).read_text())
    assert len(report["rows"]) == 16
    resumed = [r for r in report["rows"] if "earlier run" in r["note"]]
    assert len(resumed) == len(finished)
    assert {o: Path(o).stat().st_mtime_ns for o in mtimes} == mtimes
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]
    assert len(list(out.glob("*.dcm"))) == 0 and len(list(out.glob("*.mcz"))) == 16


def test_a_worker_killed_mid_file_fails_only_its_files(tmp_path):
    """The OOM killer or a crash in a native coder ends a worker: the files it held fail
    with that reason, a new pool takes the rest, the batch ends with every row."""
    import multiprocessing
    import threading

    from reference_images import REFERENCES, write_reference

    source = tmp_path / "in"
    source.mkdir()
    reference = write_reference(next(r for r in REFERENCES if r.id == "odd_511x257"), tmp_path)
    for i in range(8):
        shutil.copy(reference, source / f"IM{i:04d}.dcm")
    settings = check_settings("jpeg2000", {}, psnr=70.0)
    first_done = threading.Event()
    outcome: dict = {}

    def batch() -> None:
        outcome["result"] = run_batch(
            make_plan([source], tmp_path / "out", settings),
            jobs=1,
            progress=lambda state: first_done.set(),
        )

    runner = threading.Thread(target=batch)
    runner.start()
    assert first_done.wait(120)
    for child in multiprocessing.active_children():
        os.kill(child.pid, signal.SIGKILL)
    runner.join(300)
    result = outcome["result"]
    statuses = [r.status for r in result.rows]
    assert len(statuses) == 8 and "ok" in statuses
    died = [r for r in result.rows if "worker process died" in r.reason]
    # the file running and the one waiting for that worker; none when the kill fell
    # between two files (the next submit finds the pool broken and the file goes to a
    # new pool: test_a_pool_found_broken_at_submit_loses_no_file)
    assert len(died) <= 2
    assert statuses.count("ok") == 8 - len(died)
    assert not [p for p in (tmp_path / "out").rglob("*") if p.name.endswith(".part")]


def test_a_pool_found_broken_at_submit_loses_no_file():
    """A worker dies between two waits: the next submit raises BrokenProcessPool. The
    file that finished still gives its row, the one the dead worker held fails with the
    reason, and the one never submitted goes back for the next pool (it was lost, and
    with it a row of the report: CI saw 6 rows of 8 once)."""
    import concurrent.futures as cf
    from concurrent.futures.process import BrokenProcessPool
    from types import SimpleNamespace

    from medcomp_gui.batch import run as batch_run
    from medcomp_gui.batch.report import Row
    from medcomp_gui.batch.task import Outcome

    tasks = [
        SimpleNamespace(source=f"IM{i}", settings=SimpleNamespace(codec="jpeg2000"))
        for i in range(4)
    ]

    class DyingPool:
        def __init__(self) -> None:
            self.futures: list[cf.Future] = []

        def submit(self, fn, task):
            if len(self.futures) == 2:  # the worker died after the first file ended
                raise BrokenProcessPool("a child process terminated abruptly")
            future = cf.Future()
            self.futures.append(future)
            if task.source == "IM0":
                future.set_result(Outcome(Row(source="IM0", status="ok"), "fingerprint"))
            return future

    pending = list(reversed(tasks))
    seen = []
    window = batch_run._window(DyingPool(), 1, pending, lambda: False)
    try:
        for task, outcome in window:
            seen.append((task.source, outcome.row.status))
    except BrokenProcessPool:
        pass
    else:
        raise AssertionError("the broken pool was not reported")
    assert seen == [("IM0", "ok"), ("IM1", "failed")]
    assert [t.source for t in reversed(pending)] == ["IM2", "IM3"]


def test_workers_that_cannot_start_stop_the_batch_with_a_message(tmp_path):
    """A program read from standard input cannot be re-imported by "spawn" workers (as a
    badly frozen app could not start them): the batch stops with one clear message after
    two pools died at once, instead of failing every file of the archive."""
    from reference_images import REFERENCES, write_reference

    source = tmp_path / "in"
    source.mkdir()
    for i in range(30):
        write_reference(REFERENCES[0], tmp_path)
        shutil.copy(tmp_path / f"{REFERENCES[0].id}.dcm", source / f"IM{i:04d}.dcm")
    program = (
        "from pathlib import Path\n"
        "from medcomp_gui.batch import check_settings, make_plan, run_batch\n"
        "from medcomp_gui.batch.settings import BatchUsageError\n"
        f"plan = make_plan([Path({str(source)!r})], Path({str(tmp_path / 'out')!r}),\n"
        "                 check_settings('jpegls', {}))\n"
        "try:\n"
        "    run_batch(plan, jobs=1)\n"
        "except BatchUsageError as exc:\n"
        "    print('STOPPED:', exc)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-"], input=program, env=env, capture_output=True, text=True, timeout=300
    )
    assert "STOPPED: the worker processes end as soon as they start" in done.stdout, done.stdout
    rows = (tmp_path / "out" / REPORT_CSV).read_text().splitlines()[1:]
    assert 1 <= len(rows) <= 4  # only the files the two dead pools held
