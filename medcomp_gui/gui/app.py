"""`medcomp-gui [FILES]` and `python -m medcomp_gui`: the viewer's entry point.

medcomp-gui image.dcm folder/          open files and folders
medcomp-gui --screenshot out.png FILE  load, wait for every pane, save the window, exit
                                       (status 1 when the file or a pane failed)
    --state out.json                   also write the window's state (gui/state.py;
                                       patient data redacted unless --state-patient-data)
    --roi rect:X,Y,W,H --flicker rwnet draw an ROI / flicker a pane first (checks, docs)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

#: Longest wait for the panes in --screenshot mode (RWNet on a large image is slow).
SCREENSHOT_TIMEOUT_S = 600.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="medcomp-gui", description="medcomp viewer and compressor"
    )
    parser.add_argument("files", nargs="*", type=Path, help="images, .mcz files or folders to open")
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="OUT.png",
        help="wait until every pane is computed, save the window as OUT.png, exit",
    )
    parser.add_argument(
        "--state",
        type=Path,
        metavar="OUT.json",
        help="with --screenshot: also write the window's state (captions, figures, codec "
        "settings, W/L, overlays' text) as JSON, patient data redacted",
    )
    parser.add_argument(
        "--state-patient-data",
        action="store_true",
        help="keep the overlays' patient data in the --state file",
    )
    parser.add_argument(
        "--roi",
        type=_roi_arg,
        metavar="SHAPE:X,Y,W,H",
        help="with --screenshot: draw this ROI first (rect or ellipse, image pixels)",
    )
    parser.add_argument(
        "--flicker",
        choices=("anlm", "rwnet", "svd"),
        help="with --screenshot: show the original in this pane (A/B flicker)",
    )
    parser.add_argument("--size", default="1280x1000", help="window size WxH (default 1280x1000)")
    return parser.parse_args(argv)


def _roi_arg(text: str) -> tuple[str, float, float, float, float]:
    try:
        shape, numbers = text.split(":", 1)
        x, y, w, h = (float(v) for v in numbers.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            "expected SHAPE:X,Y,W,H, e.g. rect:100,120,64,48"
        ) from None
    if shape not in ("rect", "ellipse"):
        raise argparse.ArgumentTypeError("the ROI shape is rect or ellipse")
    return shape, x, y, w, h


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # a bundled app re-enters here for its worker processes
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from medcomp_gui.gui import system_libs

    if (missing := system_libs.check()) is not None:  # before Qt, which would abort
        print(missing, file=sys.stderr)
        return 1
    app, window = open_window(args.files, args.size)
    if args.screenshot is None:
        return app.exec()
    return _screenshot(app, window, args, bool(args.files))


def open_window(files: list[Path], size: str = "1280x1000") -> tuple[Any, Any]:
    """Start the worker processes, then Qt; show the main window and queue ``files`` to
    open once the event loop runs. The QApplication and the window."""
    from medcomp_gui.gui.worker_process import make_workers

    # First of all: RWNet's child loads its model (and TensorFlow, when the model's
    # learned branches are open) while Qt loads here.
    workers = make_workers()
    workers.start()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from medcomp_gui.gui.qt_compat import guard_singleton_refcounts
    from medcomp_gui.gui.qt_main_window import QtMainWindow

    guard_singleton_refcounts()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("medcomp")
    window = QtMainWindow(workers)
    width, height = (int(v) for v in size.lower().split("x"))
    window.resize(width, height)
    window.show()
    if files:
        QTimer.singleShot(0, lambda: window.add_paths(files))
    return app, window


def _settle(app, window, has_files: bool, seen: dict[str, float] | None = None) -> bool:
    """Process events until the panes have settled (or time runs out); whether they did.
    ``seen`` gets the time.monotonic() of the first pass of the event loop ("shown") and
    of each pane's first image (its name)."""
    start = time.monotonic()
    seen = {} if seen is None else seen
    while time.monotonic() - start < SCREENSHOT_TIMEOUT_S:
        app.processEvents()
        seen.setdefault("shown", time.monotonic())
        for name, pane in window.panes.items():
            if pane.state == "ready":
                seen.setdefault(name, time.monotonic())
        pipeline = window.pipeline
        if pipeline.image is not None:
            done = pipeline.settled()
        else:  # nothing to show: no file given, or it could not be read (message shown)
            done = (window.last_error is not None or not has_files) and pipeline.runner.busy() == 0
        if done and time.monotonic() - start > 0.5:
            return True
        time.sleep(0.02)
    return False


def _screenshot(app, window, args: argparse.Namespace, has_files: bool) -> int:
    """Wait for the panes, draw what was asked, grab, save (and the state), exit: 1 when
    the image could not be shown or a pane has no image (each named on stderr)."""
    from medcomp_gui.gui.state import failed_panes

    out = args.screenshot
    seen: dict[str, float] = {}
    if not _settle(app, window, has_files, seen):
        print(
            f"medcomp-gui: panes still computing after {SCREENSHOT_TIMEOUT_S:g} s", file=sys.stderr
        )
    if window.pipeline.image is not None and (args.roi or args.flicker):
        from medcomp_gui.gui.roi import Region

        if args.roi:
            window.annotations.set_region(Region(*args.roi))
        if args.flicker:
            window.active = args.flicker
            window.toggle_flicker()
        _settle(app, window, has_files)
    for _ in range(5):
        app.processEvents()
    failures = [window.last_error] if window.last_error else []
    if has_files and not failures:
        failures = failed_panes(window)
    ok = window.grab().save(str(out))
    if ok and args.state is not None:
        ok = _write_state(window, args.state, args.state_patient_data, seen)
    window.close()
    if not ok:
        print(f"medcomp-gui: could not write {out}", file=sys.stderr)
        return 1
    print(f"saved {out}")
    for failure in failures:
        print(f"medcomp-gui: {failure}", file=sys.stderr)
    return 1 if failures else 0


def _write_state(window, path: Path, include_patient: bool, seen: dict[str, float]) -> bool:
    import json

    from medcomp_gui.gui.state import window_state

    # CLOCK_MONOTONIC is one clock for the whole machine: a launcher that notes it before
    # starting this process measures start-up (benchmarks/installed_startup.py)
    state = {**window_state(window, include_patient), "monotonic": seen}
    try:
        path.write_text(
            json.dumps(state, indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    except OSError as exc:
        print(f"medcomp-gui: could not write {path}: {exc.strerror}", file=sys.stderr)
        return False
    return True
