"""Risk profile plots: cumulative (and probability-mass) distributions of outcomes by strategy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .style import axes, finish, strategy_color

__all__ = ["plot_risk_profiles"]


def plot_risk_profiles(
    profiles: Sequence[Any],
    *,
    ax: Any = None,
    cumulative: bool = True,
    title: str | None = None,
    xlabel: str = "outcome",
    palette: Any = None,
) -> Any:
    """Plot risk profiles: ``P(outcome <= x)`` as steps, or the probability mass as stems.

    Parameters
    ----------
    profiles : sequence of RiskProfile
        One line per strategy (see :func:`evtree.risk.risk_profile`).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when ``None``.
    cumulative : bool, default True
        Cumulative risk profile (steps); otherwise the probability of each outcome.
    title, xlabel : str
        Labels.
    palette : mapping of strategy name to colour, optional
        A tree's :func:`~evtree.presentation.plots.style.strategy_palette`: each
        profile takes the colour of the strategy it follows, as in every other plot.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from evtree.library import texaco_pennzoil
    >>> from evtree.risk import risk_profile
    >>> ax = plot_risk_profiles([risk_profile(texaco_pennzoil())])
    >>> len(ax.lines)
    1
    """
    ax = axes(ax)
    if not profiles:
        raise ValueError("no risk profiles to plot")
    lo = min(float(p.outcomes[0]) for p in profiles)
    hi = max(float(p.outcomes[-1]) for p in profiles)
    pad = 0.05 * (hi - lo) if hi > lo else 1.0
    from ...core.evaluate import strategy_name
    from ..display import format_number

    for i, p in enumerate(profiles):
        xs = [float(x) for x in p.outcomes]
        ps = [float(q) for q in p.probabilities]
        label = f"{p.name} (mean {format_number(float(p.mean))})"
        c = strategy_color(strategy_name(p.policy) if p.policy else p.name, i, palette)
        if cumulative:
            cum = [float(c) for c in p.cumulative]
            ax.step([lo - pad, *xs, hi + pad], [0.0, *cum, 1.0], where="post", color=c, label=label)
        else:
            offset = (i - (len(profiles) - 1) / 2) * pad * 0.2
            ax.vlines([x + offset for x in xs], 0, ps, color=c, label=label)
            ax.plot([x + offset for x in xs], ps, "o", color=c)
    ax.set_ylim(0, 1.05 if cumulative else None)
    ax.legend(frameon=False, fontsize="small")
    default = "Cumulative risk profile" if cumulative else "Risk profile"
    return finish(
        ax, title=title or default, xlabel=xlabel, ylabel="P(outcome ≤ x)" if cumulative else "probability"
    )
