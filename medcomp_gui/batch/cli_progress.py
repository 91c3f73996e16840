"""The batch's progress bar on a terminal (rich): n/N, files/s, MB/s, ETA, current file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from medcomp_gui.batch.run import Progress


@contextmanager
def progress_bar(total: int, enabled: bool) -> Iterator[Callable[[Progress], None]]:
    """A callback for :func:`~medcomp_gui.batch.run.run_batch` that draws the bar on
    stderr (only where ``enabled``; a non-terminal gets the final state once)."""
    if not enabled:
        yield lambda _state: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import (
        Progress as RichProgress,
    )

    bar = RichProgress(
        TextColumn("batch"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[current]}", style="dim"),
        console=Console(stderr=True),
        transient=False,
    )
    task = bar.add_task("batch", total=total, rate="", current="")

    def update(state: Progress) -> None:
        name = state.row.source.rsplit("/", 1)[-1] if state.row else ""
        status = "" if state.row is None or state.row.status == "ok" else f" {state.row.status}"
        bar.update(
            task,
            completed=state.done,
            rate=f"{state.files_per_s:.2f} files/s {state.mb_per_s:.1f} MB/s",
            current=f"{name}{status}"[-40:],
        )

    with bar:
        yield update
