"""Long seeded test loops split over the machine's cores (CI has two)."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from collections.abc import Callable, Iterable
from typing import Any


def spawn_map(fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
    """``[fn(item) for item in items]``, computed in fresh ("spawn") worker processes,
    one per core: ``fn`` must be a module-level function of a module under tests/."""
    items = list(items)
    workers = max(1, min(os.cpu_count() or 1, len(items)))
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(fn, items))
