"""`medcomp-gui [FILES]` and `python -m medcomp_gui`: the viewer's entry point.

medcomp-gui image.dcm folder/          open files and folders
medcomp-gui --screenshot out.png FILE  load, wait for every pane, save the window, exit
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
    parser.add_argument("--size", default="1280x1000", help="window size WxH (default 1280x1000)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # a bundled app re-enters here for its worker processes
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app, window = open_window(args.files, args.size)
    if args.screenshot is None:
        return app.exec()
    return _screenshot(app, window, args.screenshot, bool(args.files))


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


def _screenshot(app, window, out: Path, has_files: bool) -> int:
    """Process events until the panes have settled (or time runs out), grab, save."""
    start = time.monotonic()
    while time.monotonic() - start < SCREENSHOT_TIMEOUT_S:
        app.processEvents()
        pipeline = window.pipeline
        if pipeline.image is not None:
            done = pipeline.settled()
        else:  # nothing to show: no file given, or it could not be read (message shown)
            done = (window.last_error is not None or not has_files) and pipeline.runner.busy() == 0
        if done and time.monotonic() - start > 0.5:
            break
        time.sleep(0.02)
    else:
        print(
            f"medcomp-gui: panes still computing after {SCREENSHOT_TIMEOUT_S:g} s", file=sys.stderr
        )
    for _ in range(5):
        app.processEvents()
    ok = window.grab().save(str(out))
    window.close()
    if not ok:
        print(f"medcomp-gui: could not write {out}", file=sys.stderr)
        return 1
    print(f"saved {out}")
    return 0
