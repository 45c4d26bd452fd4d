"""Where a claim holds: the exact region of :func:`evtree.claims.holds_where`, drawn."""

from __future__ import annotations

from typing import Any

import sympy

from ...core.expressions import symbol

__all__ = ["plot_region"]


def plot_region(region: Any, *, ax: Any = None, n: int = 301, color: str = "#4C72B0") -> Any:
    """Shade where the claim holds (grid for drawing only; the region itself is exact).

    One parameter: a band on the parameter's range; two: the plane.
    Returns the matplotlib Axes.
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
        d = np.broadcast_to(np.asarray(f(x), dtype=float), x.shape)
        inside = (
            np.all([np.broadcast_to(np.asarray(g(x), dtype=float), x.shape) >= -1e-12 for g in gs], axis=0)
            if gs
            else np.ones_like(x, bool)
        )
        ok = (d >= 0) & inside
        ax.plot(x, d, color="black", lw=1.2, label="difference")
        ax.axhline(0, color="gray", lw=0.8)
        ax.fill_between(x, d.min(), d.max(), where=ok, color=color, alpha=0.25, label="claim holds")
        ax.set_xlabel(region.parameters[0])
        ax.set_ylabel("difference")
        if region.holds is not None:
            for b in sorted(region.holds.boundary):
                if b.is_real and x[0] < float(b) < x[-1]:
                    ax.axvline(float(b), color=color, ls="--", lw=1)
    else:
        xx, yy = np.meshgrid(ranges[0], ranges[1])
        d = np.broadcast_to(np.asarray(f(xx, yy), dtype=float), xx.shape)
        inside = (
            np.all(
                [np.broadcast_to(np.asarray(g(xx, yy), dtype=float), xx.shape) >= -1e-12 for g in gs],
                axis=0,
            )
            if gs
            else np.ones_like(xx, bool)
        )
        state = np.where(~inside, np.nan, np.where(d >= 0, 1.0, 0.0))
        from matplotlib.colors import ListedColormap

        ax.pcolormesh(
            xx,
            yy,
            state,
            cmap=ListedColormap(["#DD8452", color]),
            vmin=0,
            vmax=1,
            shading="auto",
            alpha=0.5,
        )
        ax.contour(xx, yy, np.where(inside, d, np.nan), levels=[0], colors="black", linewidths=1.2)
        ax.set_xlabel(region.parameters[0])
        ax.set_ylabel(region.parameters[1])
    ax.set_title(region.claim.title)
    return ax
