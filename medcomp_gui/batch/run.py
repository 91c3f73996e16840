"""Run a planned batch: the same task function on a local process pool or a Dask cluster.

- Local (default): ``concurrent.futures.ProcessPoolExecutor`` with the "spawn" start
  method (no state inherited; a frozen executable starts its workers the same way),
  ``jobs`` workers, each preparing the codec once (RWNet's model) in its initializer.
- Cluster: ``scheduler="tcp://HOST:8786"`` sends the tasks to a running Dask distributed
  scheduler through ``Client.get_executor`` (a concurrent.futures executor, so the loop
  below is the same); its workers need medcomp installed and the input and output
  folders on shared storage at the same paths.
- ``jobs=0``: in this process, one file at a time (debugging, and tests that inject
  faults into the task).

At most a few tasks per worker are in flight, so memory stays flat over millions of
files. A worker that dies (a crash in a native coder, the OOM killer) fails the files it
held; the pool is started again and the batch goes on.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medcomp_gui.batch.journal import FolderLock, Journal, remove_stale_parts
from medcomp_gui.batch.plan import Plan, Task
from medcomp_gui.batch.report import ReportWriter, Row, Totals, totals_of
from medcomp_gui.batch.settings import BatchUsageError
from medcomp_gui.batch.task import Outcome, prepare_worker, run_task

#: Tasks in flight per worker (one running, one waiting, so a worker never idles).
IN_FLIGHT_PER_WORKER = 2
#: BLAS threads per worker process: the workers already use every core.
_WORKER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class Progress:
    """Where a running batch stands (passed to the progress callback after each file)."""

    done: int
    total: int
    input_bytes: int
    elapsed: float
    row: Row | None
    resumed: int = 0

    @property
    def files_per_s(self) -> float:
        return (self.done - self.resumed) / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.input_bytes / 1e6 / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        rate = self.files_per_s
        return (self.total - self.done) / rate if rate > 0 else None


@dataclass
class BatchResult:
    rows: list[Row]
    totals: Totals
    report_csv: Path
    report_json: Path
    cancelled: bool = False

    @property
    def exit_status(self) -> int:
        """0: every image done; 1: some failed (or the batch was cancelled)."""
        return 1 if self.totals.failed or self.totals.not_started else 0

    def failed(self) -> list[Row]:
        return [r for r in self.rows if r.status == "failed"]


@dataclass(frozen=True)
class _Pool:
    """Where tasks run: ``jobs`` local workers (0: this process) or a Dask scheduler."""

    jobs: int | None
    scheduler: str | None
    codec: str
    niceness: int = 0


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_batch(
    plan: Plan,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    niceness: int = 0,
) -> BatchResult:
    """Do ``plan``: resume what an earlier run finished (unless ``force``), run the rest,
    keep the journal and the report current. FolderBusyError when another batch holds
    the output folder. ``cancel``: no new file starts once set; files in flight finish.
    ``niceness``: of the local workers (the window runs them at 10: its own process
    keeps the CPU its event loop needs)."""
    started = time.monotonic()
    out_dir = plan.out_dir
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchUsageError(
            f"{out_dir}: cannot create the output folder ({exc.strerror})"
        ) from exc
    with FolderLock(out_dir):
        remove_stale_parts(plan.tasks)
        journal = Journal(out_dir)
        report = ReportWriter(out_dir, _batch_info(plan, jobs, scheduler))
        try:
            pool = _Pool(jobs, scheduler, plan.settings.codec, niceness)
            rows = _execute(plan, journal, report, pool, force, progress, cancel, started)
            totals = totals_of(rows, plan.files, time.monotonic() - started)
            order = {t.source: i for i, t in enumerate(plan.tasks)}
            report.finish(totals, order)
        finally:
            report.close()
            journal.close()
    cancelled = cancel is not None and cancel.is_set() and totals.not_started > 0
    return BatchResult(report.rows, totals, report.csv_path, report.json_path, cancelled)


def _execute(
    plan: Plan,
    journal: Journal,
    report: ReportWriter,
    pool: _Pool,
    force: bool,
    progress: Callable[[Progress], None] | None,
    cancel: threading.Event | None,
    started: float,
) -> list[Row]:
    total = plan.files
    state = Progress(0, total, 0, 0.0, None)

    def finished(row: Row, fresh: bool) -> None:
        report.add(row)
        state.done += 1
        state.resumed += not fresh
        if fresh:
            state.input_bytes += row.input_bytes
        state.elapsed = time.monotonic() - started
        state.row = row
        if progress is not None:
            progress(state)

    for source in plan.not_images:
        finished(Row(source=source, status="skipped", reason="not an image file"), False)
    todo: list[Task] = []
    for task in plan.tasks:
        earlier = None if force else journal.done_before(task)
        if earlier is not None:
            earlier.note = _join(earlier.note, "done in an earlier run")
            finished(earlier, False)
        else:
            todo.append(task)
    stopped = cancel.is_set if cancel is not None else (lambda: False)
    for task, outcome in _outcomes(todo, pool, stopped):
        finished(outcome.row, True)  # the report first: it never lags the journal
        journal.record(task, outcome)
    return report.rows


def _outcomes(
    tasks: list[Task], pool: _Pool, stopped: Callable[[], bool]
) -> Iterator[tuple[Task, Outcome]]:
    """(task, outcome) as tasks finish, on the chosen executor."""
    if not tasks:
        return
    if pool.jobs == 0 and pool.scheduler is None:
        for task in tasks:
            if stopped():
                return
            yield task, run_task(task)
        return
    pending = list(reversed(tasks))
    fruitless = 0  # pools in a row that broke before finishing any file
    while pending:
        finished = 0
        with _executor(pool) as (executor, workers):
            try:
                for task, outcome in _window(executor, workers, pending, stopped):
                    finished += outcome.fingerprint is not None
                    yield task, outcome
            except cf.process.BrokenProcessPool:
                # _window failed the tasks the dead worker held; start a new pool, unless
                # workers die before doing anything (they cannot start: stop, say so)
                fruitless = 0 if finished else fruitless + 1
                if fruitless >= 2:
                    raise BatchUsageError(
                        "the worker processes end as soon as they start (see their messages "
                        "above); the files not yet tried were left alone"
                    ) from None
                continue
        return


def _window(
    executor: cf.Executor, workers: int, pending: list[Task], stopped: Callable[[], bool]
) -> Iterator[tuple[Task, Outcome]]:
    """Keep ``workers * IN_FLIGHT_PER_WORKER`` tasks submitted; yield each as it ends."""
    in_flight: dict[cf.Future[Outcome], Task] = {}
    limit = max(1, workers) * IN_FLIGHT_PER_WORKER
    while pending or in_flight:
        while pending and len(in_flight) < limit and not stopped():
            task = pending.pop()
            try:
                future = executor.submit(run_task, task)
            except cf.process.BrokenProcessPool:  # a worker died since the last wait
                pending.append(task)  # never started: the next pool takes it
                yield from _settle(in_flight)
                raise
            in_flight[future] = task
        if not in_flight:
            return
        done, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
        broken = cf.process.BrokenProcessPool
        if any(not f.cancelled() and isinstance(f.exception(), broken) for f in done):
            yield from _settle(in_flight)  # the finished, and the rest held by the dead pool
            raise cf.process.BrokenProcessPool("a worker process died")
        yield from _settle({f: in_flight.pop(f) for f in done})


def _settle(futures: dict[cf.Future[Outcome], Task]) -> Iterator[tuple[Task, Outcome]]:
    """Each (task, outcome) of ``futures`` (emptied): its result where it has one, else
    a failed row saying why (the worker died, or the executor failed it)."""
    for future, task in list(futures.items()):
        futures.pop(future)
        if not future.done():  # held by a pool that is broken: it will not end
            yield task, _worker_died(task)
            continue
        try:
            yield task, future.result()
        except cf.process.BrokenProcessPool:
            yield task, _worker_died(task)
        except Exception as exc:  # the executor itself failed this task
            yield task, _worker_died(task, f"{type(exc).__name__}")


def _worker_died(task: Task, why: str = "") -> Outcome:
    reason = "the worker process died on this file (a crash in a native coder, or out of memory)"
    if why:
        reason = f"the cluster could not run this file ({why})"
    return Outcome(
        Row(source=task.source, status="failed", reason=reason, codec=task.settings.codec), None
    )


@contextmanager
def _executor(pool: _Pool) -> Iterator[tuple[cf.Executor, int]]:
    if pool.scheduler is not None:
        with _dask_executor(pool.scheduler, pool.codec) as pair:
            yield pair
        return
    import multiprocessing

    workers = pool.jobs or default_jobs()
    saved = {k: os.environ.get(k) for k in _WORKER_ENV}
    os.environ.update(_WORKER_ENV)  # inherited by the spawned workers only at start
    try:
        executor = cf.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=prepare_worker,
            initargs=(pool.codec, pool.niceness),
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        yield executor, workers
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _dask_executor(scheduler: str, codec: str) -> Iterator[tuple[cf.Executor, int]]:
    try:
        from distributed import Client
    except ImportError:
        where = "the Python install of medcomp with " if getattr(sys, "frozen", False) else ""
        raise BatchUsageError(  # the installed app (PyInstaller) carries no Dask
            f"--scheduler needs {where}Dask distributed: pip install 'medcomp-gui[cluster]'"
        ) from None
    try:
        client = Client(scheduler, timeout=10)
    except (OSError, TimeoutError) as exc:
        raise BatchUsageError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from exc
    try:
        client.run(prepare_worker, codec)
        workers = max(
            1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
        )
        executor = client.get_executor(pure=False)
        yield executor, workers
    finally:
        client.close()


def _batch_info(plan: Plan, jobs: int | None, scheduler: str | None) -> dict[str, Any]:
    return {
        "settings": plan.settings.describe(),
        "output_folder": str(plan.out_dir),
        "files": plan.files,
        "input_bytes": plan.total_bytes,
        "renamed": plan.renamed,
        "executor": scheduler or f"local pool, {jobs or default_jobs()} workers",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b
