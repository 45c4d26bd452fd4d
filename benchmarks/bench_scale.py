"""Exact analyses at real scale (issue 11), on ``evtree.library.balanced(depth)``.

Each figure beside a baseline measured in the same run:

- tornado at depth 5 against 2 x (number of parameters) separate float evaluations;
- exact thresholds of one parameter at depth 11 against a 1001-point vectorised float grid scan;
- a two-way region (101 x 101) at depth 9 against one vectorised float evaluation of the grid;
- symbolic evaluate at depth 12 against one exact-rational evaluation.
"""

from __future__ import annotations

import time

import numpy as np
from _common import Row, best_time

import evtree
from evtree import sensitivity
from evtree.core.compile import compile_tree
from evtree.library import balanced


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def run() -> list[Row]:
    rows = []

    tree = balanced(5)
    t_tornado, result = best_time(lambda: sensitivity.tornado(balanced(5)), repeat=3)
    assert len(result.frame) == len(tree.parameters)

    def separate_evaluations():
        for name, p in tree.parameters.items():
            for bound in p.bounds:
                evtree.evaluate(tree, {name: bound}).value  # noqa: B018 - the work being timed

    separate_evaluations()
    t_evals, _ = best_time(separate_evaluations, repeat=3)
    rows.append(
        Row(
            "tornado, balanced(5), 128 strategies (cold tree)",
            t_tornado,
            f"{2 * len(tree.parameters)} float evaluations",
            t_evals,
            "within 10x",
            t_tornado <= 10 * t_evals,
        )
    )

    for name in ("v0", "p0"):
        fresh = balanced(11)
        t_thr, found = _timed(lambda fresh=fresh, name=name: sensitivity.thresholds(fresh, name))
        assert found.verified
        lo, hi = (float(v) for v in found.range)
        xs = np.linspace(lo, hi, 1001)
        t_scan, _ = _timed(lambda fresh=fresh, name=name, xs=xs: evtree.evaluate(fresh, {name: xs}).policy)
        rows.append(
            Row(
                f"exact thresholds of {name}, balanced(11): {len(found)} found",
                t_thr,
                "1001-point vectorised float grid scan",
                t_scan,
                "< 5 s",
                t_thr < 5,
            )
        )

    fresh = balanced(9)
    t_two, region = _timed(lambda: sensitivity.two_way(fresh, ("v0", "p0")))
    grid = np.meshgrid(np.linspace(-10, 10, 101), np.linspace(0, 1, 101), indexing="ij")
    t_grid, _ = _timed(lambda: evtree.evaluate(fresh, {"v0": grid[0].ravel(), "p0": grid[1].ravel()}).value)
    rows.append(
        Row(
            f"two-way v0 x p0, 101 x 101, balanced(9): {len(region.boundaries)} exact boundaries"
            f" ({'NOT certified' if 'NOT certified' in region.method else 'certified'})",
            t_two,
            "one vectorised float evaluation of the grid",
            t_grid,
            "< 10 s",
            t_two < 10,
        )
    )

    fresh = balanced(5)  # 128 strategies: small enough for the certificate (one-shot deviations)
    t_cert, certified = _timed(lambda: sensitivity.two_way(fresh, ("v0", "p0")))
    assert "NOT certified" not in certified.method
    rows.append(
        Row(
            f"two-way v0 x p0, 101 x 101, balanced(5), certified: {len(certified.cells)} cells",
            t_cert,
            "one vectorised float evaluation of the grid",
            _timed(lambda: evtree.evaluate(fresh, {"v0": grid[0].ravel(), "p0": grid[1].ravel()}).value)[0],
            "(reported)",
            None,
        )
    )

    fresh = balanced(12)
    compile_tree(fresh)  # loading and compiling is measured by bench_core
    t_sym, sym = _timed(lambda: evtree.evaluate(fresh, method="symbolic").value)
    t_exact, exact = _timed(lambda: evtree.evaluate(fresh, method="exact").value)
    point = {evtree.symbol(k): p.exact for k, p in fresh.parameters.items()}
    assert sym.xreplace(point) == exact
    rows.append(
        Row(
            "symbolic evaluate, balanced(12), 8,191 nodes",
            t_sym,
            "exact-rational evaluate at one point",
            t_exact,
            "< 5 s",
            t_sym < 5,
        )
    )
    return rows
