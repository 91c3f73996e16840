"""RWNet encode + decode seconds and peak memory on MR2 and RG1 (WG04), every quality level.

The issue's speed targets (MR2 <= 1.5 s, RG1 <= 6 s, peak <= 3 GB) without the other
codecs' sweeps of ``rd.py``. Usage: .venv/bin/python benchmarks/rwnet_speed.py
(writes benchmarks/results/rwnet_speed.md).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from medcomp_gui import api  # noqa: E402
from medcomp_gui.codecs import get_codec  # noqa: E402
from medcomp_gui.imaging import load_image  # noqa: E402

#: runs per level; the table gives their median (one run on this shared machine can
#: take half as long again as the next)
REPEATS = 3


def main() -> int:
    from pydicom.data import get_testdata_file

    lines = [
        "# RWNet speed and memory (WG04 MR2 and RG1, every quality level)",
        "",
        "Command: `python benchmarks/rwnet_speed.py`  ",
        f"Machine: {os.cpu_count()} cores, load average before "
        + ", ".join(f"{v:.2f}" for v in os.getloadavg())
        + f". Median of {REPEATS} runs per level; the first call (model load) is left out.",
        "",
        "| image | encode + decode, fastest level (s) | slowest level (s) | target (s) |",
        "|---|---:|---:|---:|",
    ]
    levels = get_codec("rwnet").qualities
    per_level = []
    for name, target in (("MR2", 1.5), ("RG1", 6.0)):
        image = load_image(get_testdata_file(f"{name}_UNCR.dcm"))
        api.compress(image, "rwnet", quality=1)  # warm-up
        seconds = []
        for q in levels:
            runs = []
            for _ in range(REPEATS):
                start = time.perf_counter()
                api.decompress(api.compress(image, "rwnet", quality=q))
                runs.append(time.perf_counter() - start)
            seconds.append(float(np.median(runs)))
        lines.append(f"| {name} | {min(seconds):.2f} | {max(seconds):.2f} | {target} |")
        per_level.append(f"| {name} | " + " | ".join(f"{t:.2f}" for t in seconds) + " |")
    lines += [
        "",
        "Per level (s):",
        "",
        "| image | " + " | ".join(f"q{q}" for q in levels) + " |",
        "|---" + "|---:" * len(levels) + "|",
        *per_level,
    ]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += ["", f"Peak resident memory of the process: {peak:.0f} MB (target 3 GB)."]
    out = Path("benchmarks/results/rwnet_speed.md")
    out.write_text("\n".join(lines) + "\n")
    print(out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
