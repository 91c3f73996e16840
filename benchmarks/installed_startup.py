"""Start-up of the installed viewer (the .deb's /usr/bin/medcomp-gui, PyInstaller) against
the source install (.venv/bin/medcomp-gui), measured in one run, alternating:

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/installed_startup.py \
        [--installed /usr/bin/medcomp-gui] [--source .venv/bin/medcomp-gui] [--runs 3] \
        > benchmarks/results/installed_startup.md

Each run launches ``medcomp-gui --screenshot X.png --state X.json MR2_UNCR.dcm`` (WG04,
1024 x 1024, 12 bits; pydicom-data) and reads from the state file the CLOCK_MONOTONIC
times the viewer noted (``monotonic``: the event loop's first pass after the window was
shown, each pane's first image), against the time noted here just before the launch.
Both programs run offscreen, with the same environment (no PYTHONPATH; a program is a
command line, e.g. ``--source "env PYTHONPATH=/src /venv/bin/medcomp-gui"``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ("shown", "original", "rwnet", "svd", "anlm")


def launch(program: str, image: Path, folder: Path) -> dict[str, float]:
    """Seconds from the launch to each event of one viewer session."""
    shot, state = folder / "shot.png", folder / "state.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    start = time.monotonic()
    result = subprocess.run(
        [*shlex.split(program), "--screenshot", str(shot), "--state", str(state), str(image)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    total = time.monotonic() - start
    if result.returncode != 0:
        raise SystemExit(f"{program} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    seen = json.loads(state.read_text())["monotonic"]
    return {**{event: seen[event] - start for event in EVENTS}, "exit": total}


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--installed", default="/usr/bin/medcomp-gui")
    parser.add_argument("--source", default=str(ROOT / ".venv" / "bin" / "medcomp-gui"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from pydicom.data import get_testdata_file

    image = Path(get_testdata_file("MR2_UNCR.dcm"))
    programs = {"installed (.deb)": args.installed, "source (.venv)": args.source}
    times: dict[str, list[dict[str, float]]] = {name: [] for name in programs}
    before = load()
    with tempfile.TemporaryDirectory() as tmp:
        launch(args.installed, image, Path(tmp))  # warm the page cache for both, once
        launch(args.source, image, Path(tmp))
        for _ in range(args.runs):
            for name, program in programs.items():
                times[name].append(launch(program, image, Path(tmp)))
    after = load()
    print("# Start-up: installed viewer against the source install\n")
    print(
        f"`{shlex.join(sys.argv)}` — {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{os.cpu_count()} cores, load average before {before}, after {after}.\n"
    )
    print(
        f"MR2_UNCR (1024 x 1024, 12 bits) on the command line; median of {args.runs} "
        "alternating runs after one warm-up each; seconds from the launch.\n"
    )
    print("| program | window shown | Original | RWNet pane | SVD pane | ANLM pane | exit |")
    print("|---|---|---|---|---|---|---|")
    for name, runs in times.items():
        cells = [f"{statistics.median(r[e] for r in runs):.2f}" for e in (*EVENTS, "exit")]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
