"""Shared pieces of the benchmarks: timing and the row format."""

from __future__ import annotations

import dataclasses
import gc
import time
from collections.abc import Callable
from typing import Any

__all__ = ["Row", "best_time", "print_rows"]


@dataclasses.dataclass
class Row:
    """One figure beside its baseline, both measured in the same run.

    ``ratio`` is figure / baseline for times (below 1 means evtree is faster).
    ``goal`` states the target from the issue, and ``met`` whether it was met.
    """

    name: str
    seconds: float
    baseline_name: str
    baseline_seconds: float | None
    goal: str
    met: bool | None

    @property
    def ratio(self) -> float | None:
        if self.baseline_seconds in (None, 0):
            return None
        return self.seconds / self.baseline_seconds


def best_time(fn: Callable[[], Any], *, repeat: int = 3) -> tuple[float, Any]:
    """Return the best wall time of ``repeat`` calls of ``fn``, and its last result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def print_rows(rows: list[Row]) -> None:
    for r in rows:
        base = "" if r.baseline_seconds is None else f"{r.baseline_name}: {r.baseline_seconds:.4f} s"
        ratio = "" if r.ratio is None else f"ratio {r.ratio:.3g}"
        met = {True: "MET", False: "NOT MET", None: ""}[r.met]
        print(f"  {r.name:<48} {r.seconds:9.4f} s | {base:<40} {ratio:<13} goal: {r.goal} {met}", flush=True)
