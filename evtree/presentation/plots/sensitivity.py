"""Plots of sensitivity results: one-way, two-way regions, tornado and spider.

Each function takes a result record from :mod:`evtree.sensitivity`, draws on
``ax`` (new Axes when omitted) and returns the Axes.  The numbers drawn are the
record's own; nothing is recomputed here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .style import axes, color, finish

__all__ = ["plot_one_way", "plot_spider", "plot_tornado", "plot_two_way"]


def plot_one_way(result: Any, *, ax: Any = None, strategies: Any = None, legend: bool = True) -> Any:
    """Draw every strategy's value against the parameter; mark each threshold.

    Parameters
    ----------
    result : OneWayResult
    ax : matplotlib Axes, optional
    strategies : list of str, optional
        The strategies to draw (default: all).
    legend : bool, default True
    """
    ax = axes(ax)
    x = result.frame[result.parameter].to_numpy()
    names = strategies or result.strategies
    optimal = set(result.frame["optimal"])
    for i, name in enumerate(names):
        best = name in optimal
        ax.plot(
            x,
            result.frame[name].to_numpy(),
            color=color(i),
            linewidth=2.2 if best else 1.0,
            alpha=1.0 if best else 0.55,
            label=name,
        )
    for t in result.thresholds:
        ax.axvline(t.value, color="#555555", linestyle="--", linewidth=0.9)
        text = f"{t.parameter} = {t.exact}" if t.exact is not None else f"{t.parameter} ≈ {t.value:.4g}"
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


def plot_two_way(result: Any, *, ax: Any = None) -> Any:
    """Draw the region where each strategy is optimal; infeasible points are left blank."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    ax = axes(ax)
    a, b = result.parameters
    ga, gb = result.grid
    shown = sorted({int(i) for i in np.unique(result.optimal) if i >= 0})
    codes = np.full(result.optimal.shape, np.nan)
    for k, i in enumerate(shown):
        codes[result.optimal == i] = k
    cmap = ListedColormap([color(i) for i in shown] or ["#ffffff"])
    ax.pcolormesh(ga, gb, codes.T, cmap=cmap, vmin=-0.5, vmax=max(len(shown) - 0.5, 0.5), shading="nearest")
    handles = [Patch(color=color(i), label=result.strategies[i]) for i in shown]
    if (result.optimal < 0).any():
        handles.append(Patch(facecolor="white", edgecolor="#999999", label="probabilities outside [0, 1]"))
    ax.legend(handles=handles, fontsize="x-small", loc="upper right", frameon=True)
    return finish(ax, title=f"Optimal strategy by {a} and {b}", xlabel=a, ylabel=b)


def plot_tornado(result: Any, *, target: str | None = None, ax: Any = None) -> Any:
    """Draw a tornado for one target (the root value by default), widest swing on top."""
    ax = axes(ax)
    target = target or result.targets[0]
    frame = result.frame[result.frame["target"] == target]
    if frame.empty:
        raise ValueError(f"no tornado rows for {target!r}; targets: {', '.join(result.targets)}")
    frame = frame.iloc[::-1]
    base = float(frame["base"].iloc[0])
    y = np.arange(len(frame))
    low = frame["at_low"].to_numpy() - base
    high = frame["at_high"].to_numpy() - base
    ax.barh(y, low, left=base, color=color(0), label="at low bound")
    ax.barh(y, high, left=base, color=color(1), label="at high bound")
    ax.axvline(base, color="#333333", linewidth=0.9)
    ax.set_yticks(
        y, [f"{p} [{lo:g}, {hi:g}]" for p, lo, hi in zip(frame["parameter"], frame["low"], frame["high"])]
    )
    ax.legend(fontsize="x-small", frameon=False)
    return finish(ax, title=f"Tornado: {target}", xlabel="value")


def plot_spider(result: Any, *, ax: Any = None) -> Any:
    """Draw the value against the relative change of each parameter."""
    ax = axes(ax)
    x = np.asarray(result.frame.columns, dtype=float)
    for i, (name, row) in enumerate(result.frame.iterrows()):
        ax.plot(x * 100, row.to_numpy(dtype=float), marker="o", markersize=3, color=color(i), label=name)
    ax.legend(fontsize="x-small", frameon=False)
    return finish(ax, title=f"Spider: {result.target}", xlabel="change from base value (%)", ylabel="value")
