"""The batch engine behind `medcomp batch`, `medcomp batch-decode` and the GUI's batch
dialog (no Qt here). It reads top to bottom in the order it runs:

- :mod:`.settings` — what to do, checked once before any work (bad usage: exit 2);
- :mod:`.plan` — the inputs found, one output each (the tree mirrored, collisions named);
- :mod:`.task` — one idempotent task per file: read, encode, write to a temporary name,
  verify by decoding the written file, rename; any failure is that file's row;
- :mod:`.journal` — a lock on the output folder and a JSON-lines journal, so that a
  rerun after a kill resumes;
- :mod:`.report` — the CSV and JSON report, written as the batch goes;
- :mod:`.run` — the same task function on a local process pool or a Dask cluster.
"""

from __future__ import annotations

from medcomp_gui.batch.plan import Plan, make_plan
from medcomp_gui.batch.report import REPORT_CSV, REPORT_JSON, Row, Totals
from medcomp_gui.batch.run import BatchResult, Progress, run_batch
from medcomp_gui.batch.settings import Settings, check_settings

__all__ = [
    "REPORT_CSV",
    "REPORT_JSON",
    "BatchResult",
    "Plan",
    "Progress",
    "Row",
    "Settings",
    "Totals",
    "check_settings",
    "make_plan",
    "run_batch",
]
