"""The one look shared by every evtree plot."""

from __future__ import annotations

from typing import Any

__all__ = ["COLORS", "axes", "color", "finish"]

#: Colours given to strategies and series, in order (colour-blind safe, Okabe–Ito).
COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def color(i: int) -> str:
    """Return the colour of the ``i``-th series."""
    return COLORS[i % len(COLORS)]


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
