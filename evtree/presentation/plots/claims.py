"""Where a claim holds: the exact region of :func:`evtree.claims.holds_where`, drawn as vector shapes.

One parameter: the exact intervals of ``region.holds`` as spans (their endpoints are the
exact algebraic numbers, placed at their float values), over the difference's curve.
Two parameters: the exact cells where the claim holds (``region.cells``) as filled
polygons, their curved sides the exact curves sampled finely between the cells'
exact x-endpoints, and every boundary curve drawn slab by slab from its exact
sections.  Without cells (a piece that is not a rational function) the region is
filled by ``contourf`` and the curves of ``region.curves`` drawn as ``y = g(x)``
where sympy solves ``f`` for ``y``, else as the zero contour of ``f``.
"""

from __future__ import annotations

from typing import Any

import sympy

from ...core.expressions import symbol

__all__ = ["plot_region"]


def _intervals(holds: Any) -> list[tuple[Any, Any]]:
    """Return the (start, end) pairs of an exact set, points as zero-width intervals."""
    if holds is None or holds == sympy.S.EmptySet:
        return []
    parts = holds.args if isinstance(holds, sympy.Union) else (holds,)
    out = []
    for p in parts:
        if isinstance(p, sympy.Interval):
            out.append((p.start, p.end))
        elif isinstance(p, sympy.FiniteSet):
            out += [(a, a) for a in p.args]
    return out


def _section_arcs(region: Any, ranges: Any, n: int) -> list[tuple[Any, Any]]:
    """Every exact boundary curve of the region's cells, slab by slab, as float polylines."""
    import numpy as np

    from ...core.decompose import sample_x

    dec = region._decomposition
    (x0, x1), (y0, y1) = (ranges[0][0], ranges[0][-1]), (ranges[1][0], ranges[1][-1])
    out = []
    for s, slab in enumerate(dec.slabs):
        lo = max(float(slab.lo), x0) if slab.lo is not None else x0
        hi = min(float(slab.hi), x1) if slab.hi is not None else x1
        if not lo < hi:
            continue
        xs = sample_x(lo, hi, max(8, n // 4))
        inner = xs.copy()
        inner[0] += 1e-9 * (hi - lo)
        inner[-1] -= 1e-9 * (hi - lo)
        for section, _root in slab.sections:
            ys = dec.branch(section, xs, s)
            bad = np.isnan(ys)
            if bad.any():
                ys[bad] = dec.branch(section, inner[bad], s)
            keep = ~np.isnan(ys) & (ys >= y0) & (ys <= y1)
            if keep.sum() >= 2:
                out.append((xs[keep], ys[keep]))
    return out


def plot_region(region: Any, *, ax: Any = None, n: int = 301, color: str = "#4C72B0") -> Any:
    """Draw where the claim holds; returns the matplotlib Axes.

    One parameter: the exact intervals as shaded spans, with the difference's curve.
    Two parameters: the region as filled polygons, and its exact boundary curves.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4))
    ranges = []
    for name in region.parameters:
        lo, hi = region._plot_range(name)
        ranges.append(np.linspace(lo, hi, n))
    syms = [symbol(p) for p in region.parameters]
    f = sympy.lambdify(syms, region.difference, "numpy")
    gs = [sympy.lambdify(syms, c.expr, "numpy") for c in region._domain_exprs]
    if len(syms) == 1:
        x = ranges[0]
        with np.errstate(all="ignore"):
            d = np.broadcast_to(np.asarray(f(x), dtype=float), x.shape)
        ax.plot(x, d, color="black", lw=1.2, label="difference")
        ax.axhline(0, color="gray", lw=0.8)
        first = True
        for start, end in _intervals(region.holds):
            a = max(float(start), x[0]) if start.is_finite else x[0]
            b = min(float(end), x[-1]) if end.is_finite else x[-1]
            if a > b:
                continue
            if a == b:
                ax.axvline(a, color=color, lw=2)
            else:
                ax.axvspan(a, b, color=color, alpha=0.25, label="claim holds" if first else None)
            first = False
            for e in (start, end):
                if e.is_finite and x[0] < float(e) < x[-1]:
                    ax.axvline(float(e), color=color, ls="--", lw=1)
        ax.set_xlabel(region.parameters[0])
        ax.set_ylabel("difference")
    elif region.cells:
        from matplotlib.patches import Polygon

        first = True
        for _cell, poly in region.polygons(n=max(16, n // 4)):
            ax.add_patch(
                Polygon(
                    poly,
                    closed=True,
                    facecolor=color,
                    alpha=0.35,
                    edgecolor="none",
                    label="claim holds" if first else None,
                )
            )
            first = False
        for xs, ys in _section_arcs(region, ranges, n):
            ax.plot(xs, ys, color="black", lw=1)
        ax.set_xlim(ranges[0][0], ranges[0][-1])
        ax.set_ylim(ranges[1][0], ranges[1][-1])
        ax.set_xlabel(region.parameters[0])
        ax.set_ylabel(region.parameters[1])
    else:
        xx, yy = np.meshgrid(ranges[0], ranges[1])
        with np.errstate(all="ignore"):
            d = np.broadcast_to(np.asarray(f(xx, yy), dtype=float), xx.shape)
            margin = d.copy()
            for g in gs:
                margin = np.minimum(margin, np.broadcast_to(np.asarray(g(xx, yy), dtype=float), xx.shape))
        top = max(float(np.nanmax(margin)), 0.0) + 1.0
        ax.contourf(xx, yy, margin, levels=[0, top], colors=[color], alpha=0.35)  # filled polygons
        x, y = syms
        for curve in region.curves:
            expr = curve.lhs
            try:
                branches = sympy.solve(expr, y) if sympy.degree(expr, y) in (1, 2) else []
            except (NotImplementedError, sympy.PolynomialError):
                branches = []
            if branches:
                for b in branches:
                    yb = sympy.lambdify(x, b, "numpy")
                    with np.errstate(all="ignore"):
                        ys = np.broadcast_to(np.asarray(yb(ranges[0]), dtype=complex), ranges[0].shape)
                    real = np.where(np.abs(ys.imag) < 1e-12, ys.real, np.nan)
                    ax.plot(ranges[0], real, color="black", lw=1)
            else:
                h = sympy.lambdify(syms, expr, "numpy")
                with np.errstate(all="ignore"):
                    hv = np.broadcast_to(np.asarray(h(xx, yy), dtype=float), xx.shape)
                ax.contour(xx, yy, hv, levels=[0], colors="black", linewidths=1)
        ax.set_xlim(ranges[0][0], ranges[0][-1])
        ax.set_ylim(ranges[1][0], ranges[1][-1])
        ax.set_xlabel(region.parameters[0])
        ax.set_ylabel(region.parameters[1])
    ax.set_title(region.claim.title)
    return ax
