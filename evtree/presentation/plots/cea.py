"""Cost-effectiveness plots: the plane with the efficient frontier; PSA scatter, CEAC, EVPI by WTP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .style import axes, color, finish

__all__ = ["plot_ceac", "plot_ce_plane", "plot_ce_scatter", "plot_evpi_curve"]

_MARKERS = {"frontier": "o", "dominated": "x", "extended dominated": "s"}


def _label(name: str, unit: str) -> str:
    return f"{name} ({unit})" if unit else name


def plot_ce_plane(result: Any, *, ax: Any = None, title: str | None = None, annotate: bool = True) -> Any:
    """Plot the cost-effectiveness plane: every strategy, marked by status, and the frontier.

    Effect on the x axis, cost on the y axis (the usual orientation); the frontier
    joins the efficient strategies in order, its slopes being the ICERs.

    Parameters
    ----------
    result : CEAResult
        From :func:`evtree.cea.icers` or :func:`evtree.cea.cea`.
    ax : matplotlib Axes, optional
    title : str, optional
    annotate : bool, default True
        Write each strategy's name beside it (at most 40 strategies).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from evtree.cea import icers
    >>> ax = plot_ce_plane(icers({"A": (0, 0), "B": (3.5, 2), "C": (10, 10)}))
    >>> len(ax.lines)
    1
    """
    if result.method == "symbolic":
        raise ValueError("plot a float or exact result; symbolic costs have no position")
    ax = axes(ax)
    by_status: dict[str, list[Any]] = {}
    for s in result.strategies:
        by_status.setdefault(s.status, []).append(s)
    for i, status in enumerate(("frontier", "extended dominated", "dominated")):
        items = by_status.get(status, [])
        if items:
            ax.scatter(
                [float(s.effect) for s in items],
                [float(s.cost) for s in items],
                marker=_MARKERS[status],
                color=color(i),
                label=f"{status} ({len(items)})"
                if status != "frontier"
                else f"on the frontier ({len(items)})",
                zorder=3,
            )
    front = [result.strategy(n) for n in result.frontier]
    ax.plot(
        [float(s.effect) for s in front],
        [float(s.cost) for s in front],
        color=color(0),
        lw=1.5,
        label="efficient frontier",
    )
    if annotate and len(result.strategies) <= 40:
        for s in result.strategies:
            ax.annotate(
                s.name,
                (float(s.effect), float(s.cost)),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize="small",
            )
    ax.legend(frameon=False, fontsize="small")
    return finish(
        ax,
        title=title or "Cost-effectiveness plane",
        xlabel=_label(result.effect_name, result.effect_unit),
        ylabel=_label(result.cost_name, result.cost_unit),
    )


def plot_ce_scatter(psa: Any, *, ax: Any = None, title: str | None = None, max_points: int = 5000) -> Any:
    """Plot PSA draws on the cost-effectiveness plane, one colour per strategy, with the means."""
    ax = axes(ax)
    n = psa.costs.shape[1]
    step = max(1, n // max_points)
    for i, name in enumerate(psa.strategies):
        ax.scatter(psa.effects[i, ::step], psa.costs[i, ::step], s=4, alpha=0.25, color=color(i), lw=0)
        ax.scatter(
            [psa.effects[i].mean()],
            [psa.costs[i].mean()],
            s=60,
            color=color(i),
            edgecolor="black",
            label=name,
            zorder=3,
        )
    ax.legend(frameon=False, fontsize="small")
    return finish(
        ax,
        title=title or f"Cost-effectiveness plane ({n} draws)",
        xlabel=_label(psa.effect_name, psa.effect_unit),
        ylabel=_label(psa.cost_name, psa.cost_unit),
    )


def plot_ceac(curves: Any, *, ax: Any = None, title: str | None = None, frontier: bool = True) -> Any:
    """Plot cost-effectiveness acceptability curves, and the acceptability frontier."""
    ax = axes(ax)
    wtp = np.asarray(curves.wtp, dtype=float)
    for i, name in enumerate(curves.strategies):
        ax.plot(wtp, curves.probability[i], color=color(i), label=name)
    if frontier:
        ax.plot(
            wtp, curves.frontier_probability, color="black", lw=3, alpha=0.25, label="acceptability frontier"
        )
    ax.set_ylim(-0.02, 1.02)
    ax.legend(frameon=False, fontsize="small")
    return finish(
        ax,
        title=title or "Cost-effectiveness acceptability",
        xlabel="willingness to pay",
        ylabel="P(cost-effective)",
    )


def plot_evpi_curve(
    curves: Any, *, ax: Any = None, title: str | None = None, values: Sequence[float] | None = None
) -> Any:
    """Plot the expected value of perfect information against willingness to pay."""
    ax = axes(ax)
    wtp = np.asarray(curves.wtp, dtype=float)
    ax.plot(wtp, curves.evpi if values is None else values, color=color(0))
    return finish(
        ax,
        title=title or "EVPI by willingness to pay",
        xlabel="willingness to pay",
        ylabel="EVPI (net monetary benefit)",
    )
