"""Plots of sensitivity results: one-way, two-way regions, tornado and spider.

Each function takes a result record from :mod:`evtree.sensitivity`, draws on
``ax`` (new Axes when omitted) and returns the Axes.  The numbers drawn are the
record's own; nothing is recomputed here, except that the two-way plot, given the
tree, draws each strategy's region as the exact polygon bounded by the lines
where strategies tie and probabilities reach 0 or 1 (a grid only where those
boundaries are not straight lines).  ``palette`` (a tree's
:func:`~evtree.presentation.plots.style.strategy_palette`) keeps one colour per
strategy across plots.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .style import axes, color, finish, strategy_color

__all__ = ["plot_one_way", "plot_spider", "plot_tornado", "plot_two_way", "region_polygons"]


def plot_one_way(
    result: Any, *, ax: Any = None, strategies: Any = None, legend: bool = True, palette: Any = None
) -> Any:
    """Draw every strategy's value against the parameter; mark each threshold.

    Parameters
    ----------
    result : OneWayResult
    ax : matplotlib Axes, optional
    strategies : list of str, optional
        The strategies to draw (default: all).
    legend : bool, default True
    palette : mapping of strategy name to colour, optional
    """
    ax = axes(ax)
    x = result.frame[result.parameter].to_numpy()
    # a strategy may be named decision=label (docs/output.md) or as the frame's columns are
    columns = {v: k for k, v in getattr(result, "strategy_names", {}).items()}
    names = [columns.get(n, n) for n in strategies] if strategies else result.strategies
    optimal = set(result.frame["optimal"])
    for name in names:
        best = name in optimal
        ax.plot(
            x,
            result.frame[name].to_numpy(),
            color=strategy_color(name, list(result.strategies).index(name), palette),
            linewidth=2.2 if best else 1.0,
            alpha=1.0 if best else 0.55,
            label=getattr(result, "strategy_names", {}).get(name, name),  # decision=label pairs
        )
    for t in result.thresholds:
        ax.axvline(t.value, color="#555555", linestyle="--", linewidth=0.9)
        from ..display import format_number

        shown = format_number(t.exact) if t.exact is not None else "≈ " + format_number(t.value)
        text = f"{t.parameter} = {shown}" if t.exact is not None else f"{t.parameter} {shown}"
        ax.annotate(
            text,
            (t.value, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -12),
            textcoords="offset points",
            fontsize="small",
            color="#333333",
        )
    if legend:
        ax.legend(fontsize="x-small", loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return finish(
        ax, title=f"One-way sensitivity: {result.parameter}", xlabel=result.parameter, ylabel="value"
    )


def _renamer(tree: Any) -> Any:
    """Map a strategy's listed labels to its ``decision=label`` name (unchanged without the tree)."""
    if tree is None:
        return lambda name: name
    from ...sensitivity._common import renamer

    return renamer(tree)  # a name that is no single strategy ("infeasible") is kept as it is


def plot_two_way(
    result: Any,
    *,
    ax: Any = None,
    tree: Any = None,
    values: Mapping[str, Any] | None = None,
    palette: Any = None,
) -> Any:
    """Draw the region where each strategy is optimal; infeasible points are left blank.

    With ``tree`` (the tree the result is about; a result that carries its
    ``tree`` needs none) and ``values`` (the other parameters, as given to
    :func:`~evtree.sensitivity.two_way`), each region is a filled polygon whose
    edges are the exact lines where two strategies tie or a probability reaches
    0 or 1 (:func:`region_polygons`).  Where some boundary is not a straight line
    (a product of the two parameters, say), the result's exact cells are drawn
    instead (``result.cells``: each region an exact union of cells, filled as
    polygons whose curved edges are the exact tie curves sampled finely, with
    those curves drawn over them).  Without the tree, or when the result has no
    exact cells (a value that is not polynomial), the grid is drawn.
    """
    from matplotlib.patches import Patch, Polygon

    from ...core.errors import EvaluationError

    ax = axes(ax)
    a, b = result.parameters
    ga, gb = result.grid
    tree = tree if tree is not None else getattr(result, "tree", None)
    values = values if values is not None else getattr(result, "values_given", None)
    try:
        polygons = region_polygons(tree, result, values) if tree is not None else None
    except EvaluationError:  # too many strategies to list: the exact cells need no list
        polygons = None

    def colour(i: int) -> str:
        return strategy_color(result.strategies[i], i, palette)

    shown = sorted({int(i) for i in np.unique(result.optimal) if i >= 0})
    handles = []
    if polygons is not None:
        for i, poly in polygons.items():
            if len(poly) >= 3:
                ax.add_patch(
                    Polygon(poly, closed=True, facecolor=colour(i), edgecolor="#ffffff", linewidth=0.8)
                )
        shown = sorted(polygons)
        method = "exact boundaries"
    elif tree is not None and getattr(result, "cells", None):
        cells = result.polygons()
        for i, poly in cells:
            ax.add_patch(Polygon(poly, closed=True, facecolor=colour(i), edgecolor="none", linewidth=0))
        for arc in result.boundary_arcs():
            xs, ys = zip(*arc)
            ax.plot(xs, ys, color="#ffffff", lw=1.0)
        shown = sorted({i for i, _poly in cells})
        method = "exact cells"
    else:
        from matplotlib.colors import ListedColormap

        codes = np.full(result.optimal.shape, np.nan)
        for k, i in enumerate(shown):
            codes[result.optimal == i] = k
        cmap = ListedColormap([colour(i) for i in shown] or ["#ffffff"])
        ax.pcolormesh(
            ga, gb, codes.T, cmap=cmap, vmin=-0.5, vmax=max(len(shown) - 0.5, 0.5), shading="nearest"
        )
        method = f"grid of {len(ga)} × {len(gb)}"
    ax.set_xlim(float(ga[0]), float(ga[-1]))
    ax.set_ylim(float(gb[0]), float(gb[-1]))
    shown_name = _renamer(tree)
    handles = [Patch(color=colour(i), label=shown_name(result.strategies[i])) for i in shown]
    if (result.optimal < 0).any():
        handles.append(Patch(facecolor="white", edgecolor="#999999", label="probabilities outside [0, 1]"))
    ax.legend(handles=handles, fontsize="x-small", loc="upper right", frameon=True)
    ax = finish(ax, title=f"Optimal strategy by {a} and {b}", xlabel=a, ylabel=b)
    ax.text(
        1.0,
        1.01,
        method,
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize="x-small",
        color="#666666",
    )
    return ax


def region_polygons(
    tree: Any, result: Any, values: Mapping[str, Any] | None = None
) -> dict[int, list[tuple[float, float]]] | None:
    """Return each strategy's optimal region over the two-way box as an exact polygon.

    A strategy is optimal where its value is at least every other's (strictly
    more than those listed before it, which win ties as the rollback's order
    does) and every chance probability lies in [0, 1].  When all these are
    straight lines in the two parameters, as when the values are linear in each,
    each region is the box cut by half-planes (a convex polygon, vertices from
    the exact coefficients).  Returns ``{strategy index: vertices}`` for the
    regions of positive area, or ``None`` when some boundary is not a line.
    """
    import sympy

    from ...core.evaluate import evaluate
    from ...core.expressions import symbol
    from ...sensitivity import strategy_functions

    a, b = result.parameters
    sa, sb = symbol(a), symbol(b)
    fixed = {k: v for k, v in (values or {}).items() if k not in (a, b)}
    point = {
        symbol(k): sympy.nsimplify(p.exact if k not in fixed else fixed[k])
        for k, p in tree.parameters.items()
    }
    point = {k: v for k, v in point.items() if k not in (sa, sb)}
    funcs = strategy_functions(tree)
    if [f.name for f in funcs] != list(result.strategies):
        return None
    exprs = [sympy.expand(f.expr.xreplace(point)) for f in funcs]
    sign = 1 if tree.objective == "max" else -1
    ev = evaluate(tree, {k.name: v for k, v in point.items()}, method="symbolic", utility=None)
    flat = ev._flat
    probs = [sympy.expand(sympy.sympify(ev._probs[i])) for i in range(flat.size) if flat.under_chance[i]]
    feasible = []
    for p in probs:
        feasible.extend([p, 1 - p])

    def line(expr: Any) -> tuple[Any, Any, Any] | None:
        """``expr`` as exact (c0, ca, cb) with expr = c0 + ca*a + cb*b, or None if not of that form."""
        if not expr.free_symbols <= {sa, sb}:
            return None
        try:
            poly = sympy.Poly(expr, sa, sb)
        except sympy.PolynomialError:
            return None
        if poly.total_degree() > 1:
            return None
        c = dict(zip(poly.monoms(), poly.coeffs()))
        return c.get((0, 0), 0), c.get((1, 0), 0), c.get((0, 1), 0)

    def as_float(h: tuple[Any, Any, Any]) -> tuple[float, float, float]:
        return float(h[0]), float(h[1]), float(h[2])

    constraints = [line(g) for g in feasible]
    lines = [line(f) for f in exprs]  # each value is a plane over the box (differences are then lines)
    if any(h is None for h in constraints) or any(h is None for h in lines):
        return None
    (a0, a1), (b0, b1) = (
        (float(result.grid[0][0]), float(result.grid[0][-1])),
        (float(result.grid[1][0]), float(result.grid[1][-1])),
    )
    box = [(a0, b0), (a1, b0), (a1, b1), (a0, b1)]
    for h in constraints:
        box = _clip(box, as_float(h))
    out: dict[int, list[tuple[float, float]]] = {}
    area_scale = max((a1 - a0) * (b1 - b0), 1e-300)
    for s, hs in enumerate(lines):
        poly = box
        for t, ht in enumerate(lines):
            if t == s:
                continue
            d = tuple(sign * (x - y) for x, y in zip(hs, ht))
            if all(x == 0 for x in d):
                if t < s:  # identical values: the earlier strategy is the one chosen
                    poly = []
                    break
                continue
            poly = _clip(poly, as_float(d))
            if not poly:
                break
        if len(poly) >= 3 and _area(poly) > 1e-12 * area_scale:
            out[s] = poly
    out = {s: _distinct(poly) for s, poly in out.items()}
    return out if _agrees_with_grid(out, result) else None


def _agrees_with_grid(polygons: dict[int, list[tuple[float, float]]], result: Any) -> bool:
    """Whether the polygons hold the grid's points of each strategy, but for a band along the edges.

    A second method: the grid was classified by evaluating the strategies at each
    point.  Points within a cell or so of a boundary may fall either side; many more
    disagreeing means the polygons were built for other values than the grid's.
    """
    from matplotlib.path import Path

    ga, gb = result.grid
    A, B = np.meshgrid(ga, gb, indexing="ij")
    points = np.column_stack([A.ravel(), B.ravel()])
    found = np.full(len(points), -1)
    for s, poly in polygons.items():
        found[Path(poly).contains_points(points) & (found < 0)] = s
    grid = result.optimal.ravel()
    disagree = np.mean(found != grid)
    return bool(disagree <= 4 / min(len(ga), len(gb)) + 0.01)


def _distinct(poly: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Drop vertices that repeat the one before (clipping leaves them where lines meet at a corner)."""
    out: list[tuple[float, float]] = []
    for p in poly:
        if not out or abs(p[0] - out[-1][0]) + abs(p[1] - out[-1][1]) > 1e-12:
            out.append(p)
    if len(out) > 1 and abs(out[0][0] - out[-1][0]) + abs(out[0][1] - out[-1][1]) <= 1e-12:
        out.pop()
    return out


def _clip(poly: list[tuple[float, float]], h: tuple[float, float, float]) -> list[tuple[float, float]]:
    """Clip a convex polygon to the half-plane c0 + ca*x + cb*y >= 0 (Sutherland–Hodgman)."""
    c0, ca, cb = h
    if not poly:
        return []
    scale = abs(c0) + abs(ca) + abs(cb) or 1.0
    out = []
    for k, p in enumerate(poly):
        q = poly[(k + 1) % len(poly)]
        fp = (c0 + ca * p[0] + cb * p[1]) / scale
        fq = (c0 + ca * q[0] + cb * q[1]) / scale
        if fp >= -1e-12:
            out.append(p)
        if (fp >= -1e-12) != (fq >= -1e-12) and fp != fq:
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def _area(poly: list[tuple[float, float]]) -> float:
    return abs(sum(p[0] * q[1] - q[0] * p[1] for p, q in zip(poly, poly[1:] + poly[:1]))) / 2


def plot_tornado(result: Any, *, target: str | None = None, ax: Any = None) -> Any:
    """Draw a tornado, widest swing on top: one panel per target (the root, then each strategy).

    ``target`` draws that one only; by default every target of the result is
    drawn, in one figure, the panels sharing their value axis so that swings
    compare.  Returns the (first) Axes.  A result without rows says why in one
    line instead of a chart.
    """
    if len(result.frame) == 0 or "target" not in result.frame.columns:
        ax = axes(ax)
        _tornado_panel(ax, result, None)
        return ax
    if target is not None:  # a strategy may be named decision=label (docs/output.md)
        target = {v: k for k, v in getattr(result, "strategy_names", {}).items()}.get(target, target)
    targets = [target] if target is not None else list(result.targets)
    if target is not None and result.frame[result.frame["target"] == target].empty:
        raise ValueError(f"no tornado rows for {target!r}; targets: {', '.join(result.targets)}")
    if len(targets) <= 1:
        ax = axes(ax)
        _tornado_panel(ax, result, targets[0] if targets else None)
        return ax
    import matplotlib.pyplot as plt

    n_rows = max(1, len(result.frame[result.frame["target"] == targets[0]]))
    cols = 2 if len(targets) > 4 else 1
    rows = -(-len(targets) // cols)
    fig, panels = plt.subplots(
        rows,
        cols,
        figsize=(6.4 * cols, 1.0 + rows * (0.6 + 0.28 * n_rows)),
        sharex=True,
        layout="constrained",
        squeeze=False,
    )
    flat = list(panels.ravel())
    for k, name in enumerate(targets):
        _tornado_panel(flat[k], result, name, legend=k == 0)
    for extra in flat[len(targets) :]:
        extra.set_axis_off()
    return flat[0]


def _tornado_panel(ax: Any, result: Any, target: str | None, *, legend: bool = True) -> None:
    from ..display import format_number

    frame = result.frame[result.frame["target"] == target] if target is not None else result.frame.iloc[:0]
    if frame.empty:
        why = getattr(result, "note", "") or "no parameter has both bounds"
        ax.text(0.5, 0.5, f"nothing to show: {why}", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    frame = frame.iloc[::-1]
    base = float(frame["base"].iloc[0])
    y = np.arange(len(frame))
    low = frame["at_low"].to_numpy(dtype=float) - base
    high = frame["at_high"].to_numpy(dtype=float) - base
    ax.barh(y, low, left=base, color=color(0), label="at low bound")
    ax.barh(y, high, left=base, color=color(1), label="at high bound")
    ax.axvline(base, color="#333333", linewidth=0.9)
    ax.set_yticks(
        y,
        [
            f"{p} [{format_number(lo)}, {format_number(hi)}]"
            for p, lo, hi in zip(frame["parameter"], frame["low"], frame["high"])
        ],
    )
    if legend:
        ax.legend(fontsize="x-small", frameon=False)
    finish(ax, title=f"Tornado: {target} (base {format_number(base)})", xlabel="value")


def plot_spider(result: Any, *, ax: Any = None) -> Any:
    """Draw the value against the relative change of each parameter."""
    ax = axes(ax)
    x = np.asarray(result.frame.columns, dtype=float)
    for i, (name, row) in enumerate(result.frame.iterrows()):
        ax.plot(x * 100, row.to_numpy(dtype=float), marker="o", markersize=3, color=color(i), label=name)
    ax.legend(fontsize="x-small", frameon=False)
    return finish(ax, title=f"Spider: {result.target}", xlabel="change from base value (%)", ylabel="value")
