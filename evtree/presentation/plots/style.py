"""The one look shared by every evtree plot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["COLORS", "axes", "color", "finish", "strategy_color", "strategy_palette"]

#: Colours given to strategies and series, in order (colour-blind safe: Okabe–Ito, then Tol's muted).
COLORS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
    "#117733",
    "#332288",
    "#DDCC77",
    "#88CCEE",
)


def color(i: int) -> str:
    """Return the colour of the ``i``-th series."""
    return COLORS[i % len(COLORS)]


def strategy_palette(tree: Any) -> dict[str, str]:
    """Return one colour per strategy of the tree, under every name the strategy goes by.

    The ``i``-th strategy in tree order (:func:`evtree.strategies`) gets
    :func:`color` ``(i)``, whichever analysis draws it, so a strategy keeps its
    colour throughout a report.  Keys are its ``decision=label`` name, the
    comma-joined labels (evtree 0.1's name) and the ``;``-joined pairs.

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> palette = strategy_palette(texaco_pennzoil())
    >>> palette["liedtke=accept 2"] == palette["accept 2"] == COLORS[0]
    True
    """
    from ...core.evaluate import MAX_STRATEGIES, count_strategies, strategies, strategy_name

    out: dict[str, str] = {}
    if count_strategies(tree) > MAX_STRATEGIES:
        return out
    for i, policy in enumerate(strategies(tree)):
        c = color(i)
        for name in (
            strategy_name(policy),
            ", ".join(policy.values()) or "(no decision)",
            "; ".join(f"{k}={v}" for k, v in policy.items()),
        ):
            out.setdefault(name, c)
    return out


def strategy_color(name: str, i: int, palette: Mapping[str, str] | None = None) -> str:
    """Return a strategy's colour: from ``palette`` when it names it, else the ``i``-th colour."""
    if palette and name in palette:
        return palette[name]
    return color(i)


def axes(ax: Any = None, *, figsize: tuple[float, float] = (6.4, 4.0)) -> Any:
    """Return ``ax``, or new Axes on a new figure when ``ax`` is None."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _fig, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def finish(ax: Any, *, title: str | None = None, xlabel: str | None = None, ylabel: str | None = None) -> Any:
    """Apply the shared look: labels, light grid, no top and right spines."""
    if title:
        ax.set_title(title, loc="left", fontsize="medium", fontweight="bold")
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax
