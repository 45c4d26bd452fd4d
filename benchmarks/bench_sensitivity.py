"""Sensitivity speed (issue 3) on the essays' tree, against a per-point loop over the float rollback.

The loop baseline evaluates the tree once per point with ``evtree.evaluate``
(timed on a sample of points and scaled to the full count).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from _common import Row

import evtree
from evtree import sensitivity

KOREA = Path(__file__).resolve().parent.parent / "trees" / "korea_talks.yaml"


def _loop_seconds(tree, points: list[dict]) -> float:
    start = time.perf_counter()
    for p in points:
        evtree.evaluate(tree, p).policy  # noqa: B018 - the work being timed
    return time.perf_counter() - start


def run() -> list[Row]:
    tree = evtree.read_tree(KOREA)
    rows = []

    start = time.perf_counter()
    sweep = sensitivity.one_way(tree, "p_defect", points=100_000)
    t_sweep = time.perf_counter() - start
    sample = np.linspace(0, 0.5, 500)
    t_loop = _loop_seconds(tree, [{"p_defect": float(x)} for x in sample]) * (100_000 / 500)
    assert len(sweep.frame) == 100_000
    rows.append(
        Row(
            "one-way sweep, 10^5 points",
            t_sweep,
            "per-point rollback loop (scaled)",
            t_loop,
            "< 1 s",
            t_sweep < 1,
        )
    )

    start = time.perf_counter()
    grid = sensitivity.two_way(tree, ("p_flout", "p_defect"), points=300)
    t_grid = time.perf_counter() - start
    sample = [{"p_flout": a, "p_defect": b} for a in np.linspace(0, 0.5, 25) for b in np.linspace(0, 0.5, 20)]
    t_loop = _loop_seconds(tree, sample) * (90_000 / len(sample))
    assert grid.optimal.shape == (300, 300)
    rows.append(
        Row(
            "two-way grid, 300 x 300", t_grid, "per-point rollback loop (scaled)", t_loop, "< 1 s", t_grid < 1
        )
    )

    fresh = evtree.read_tree(KOREA)  # cold: includes the symbolic strategy values
    start = time.perf_counter()
    found = {name: sensitivity.thresholds(fresh, name) for name in fresh.parameters}
    t_thr = time.perf_counter() - start
    assert found["p_defect"].thresholds[0].exact == 53 / __import__("sympy").Integer(130)
    start = time.perf_counter()
    for name in fresh.parameters:  # numeric baseline: bisection on a 1001-point grid of rollbacks
        fixed = sensitivity._common.fixed_point(fresh, None, [name])
        lo, hi = sensitivity._common.range_of(fresh, name, None, fixed)[:2]
        xs = np.linspace(float(lo), float(hi), 1001)
        evtree.evaluate(fresh, {name: xs}).policy  # noqa: B018
    t_grid_search = time.perf_counter() - start
    rows.append(
        Row(
            "exact thresholds, all 8 parameters (cold)",
            t_thr,
            "1001-point vectorised grid scan",
            t_grid_search,
            "< 2 s",
            t_thr < 2,
        )
    )
    return rows
