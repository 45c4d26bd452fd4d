"""Plots of probabilistic sensitivity analysis: strategy differences, acceptability, EVPI.

    plot_differences    histogram of each strategy's value minus a reference, or a scatter
    plot_acceptability  probability each strategy is optimal against a parameter
    plot_evpi           EVPI against a parameter
    psa_figure          the figure ``evtree psa --plot`` writes

Each function draws on ``ax`` (new Axes when omitted) and returns it; the
numbers drawn are the result's own, so tests read them back from the artists.
"""

from __future__ import annotations

from typing import Any

from .style import axes, color, finish, strategy_color, strategy_palette

__all__ = ["plot_acceptability", "plot_differences", "plot_evpi", "psa_figure"]


#: At most this many strategies are drawn unless they are named.
MAX_SHOWN = 6


def _own_name(name: str, names: tuple[str, ...], policies: Any = None) -> str:
    """Return the result's name for a strategy given by it or by ``decision=label`` pairs.

    An unknown name is refused with the nearest names, one per line.
    """
    if name in names:
        return name
    from ...core.evaluate import strategy_name

    pairs = {strategy_name(p): n for p, n in zip(policies or (), names)}
    key = " ".join(str(name).split())
    if key in pairs:
        return pairs[key]
    import difflib

    from ...core.errors import UnknownNameError

    known = list(pairs) or list(names)
    nearest = difflib.get_close_matches(key, known, n=5, cutoff=0.0) or known[:5]
    err = UnknownNameError(f"no strategy {name!r}; nearest:" + "".join(f"\n  {n}" for n in nearest))
    err.suggestions = nearest  # type: ignore[attr-defined]
    raise err


def _shown(
    names: tuple[str, ...],
    probability: Any,
    strategies: Any,
    exclude: str | None = None,
    policies: Any = None,
) -> list[str]:
    """Strategies to draw: those named, else those optimal somewhere (most often first)."""
    import numpy as np

    if strategies is not None:
        return [n for n in (_own_name(s, names, policies) for s in strategies) if n != exclude]
    p = np.asarray(probability)
    score = p.max(axis=0) if p.ndim == 2 else p
    order = [i for i in np.argsort(-score, kind="stable") if names[i] != exclude]
    chosen = [names[i] for i in order if score[i] > 0][:MAX_SHOWN]
    return chosen or [names[order[0]]]


def plot_differences(
    result: Any,
    *,
    reference: str | None = None,
    strategies: Any = None,
    kind: str = "hist",
    x: str | None = None,
    bins: int = 60,
    ax: Any = None,
    palette: Any = None,
) -> Any:
    """Plot each strategy's value minus a reference strategy's, over the PSA draws.

    Parameters
    ----------
    result : PSAResult
    reference : str, optional
        The reference strategy (default: the best by expected value).
    strategies : sequence of str, optional
        The strategies to compare with it (default: those optimal at some draw,
        most often first, at most :data:`MAX_SHOWN`; else the runner-up).
    kind : {"hist", "scatter"}, default "hist"
        ``"hist"``: a histogram of the differences of each other strategy.
        ``"scatter"``: the differences against the draws of input ``x`` (a
        parameter or a Dirichlet column such as ``texaco[refuses]``), or, when
        ``x`` is None, each strategy's value against the reference's.
    x : str, optional
        The input on the horizontal axis of a scatter.
    bins : int, default 60
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes(ax)
    policies = getattr(result, "policies", None)
    ref = _own_name(reference, result.strategies, policies) if reference is not None else result.best
    shown = _shown(result.strategies, result.probability_optimal, strategies, exclude=ref, policies=policies)
    if not shown:
        shown = [s for s in result.strategies if s != ref][:1]
    diffs = result.differences(ref)[shown]
    palette = palette if palette is not None else strategy_palette(result.tree)
    colour = {name: strategy_color(name, i, palette) for i, name in enumerate(result.strategies)}
    if kind == "hist":
        for name in diffs.columns:
            ax.hist(diffs[name].to_numpy(), bins=bins, alpha=0.55, color=colour[name], label=name)
        ax.axvline(0.0, color="#333333", linewidth=0.8)
        ax.legend(frameon=False, fontsize="small")
        return finish(
            ax, title="Strategy differences over the draws", xlabel=f"value minus '{ref}'", ylabel="draws"
        )
    if kind != "scatter":
        raise ValueError(f"kind must be 'hist' or 'scatter', got {kind!r}")
    n = min(result.n_draws, 5000)
    if x is None:
        ref_values = result.values[result.strategies.index(ref)][:n]
        for name in diffs.columns:
            other = result.values[result.strategies.index(name)][:n]
            ax.scatter(ref_values, other, s=4, alpha=0.4, color=colour[name], label=name)
        lo = min(ax.get_xlim()[0], ax.get_ylim()[0])
        hi = max(ax.get_xlim()[1], ax.get_ylim()[1])
        ax.plot([lo, hi], [lo, hi], color="#333333", linewidth=0.8)
        ax.legend(frameon=False, fontsize="small")
        return finish(ax, title="Strategy values over the draws", xlabel=f"value of '{ref}'", ylabel="value")
    draws = result.draws_frame()
    if x not in draws.columns:
        from ...core.errors import UnknownNameError

        raise UnknownNameError(f"no sampled input {x!r} (inputs: {', '.join(draws.columns)})")
    xs = draws[x].to_numpy()[:n]
    for name in diffs.columns:
        ax.scatter(xs, diffs[name].to_numpy()[:n], s=4, alpha=0.4, color=colour[name], label=name)
    ax.axhline(0.0, color="#333333", linewidth=0.8)
    ax.legend(frameon=False, fontsize="small")
    return finish(ax, title="Strategy differences against an input", xlabel=x, ylabel=f"value minus '{ref}'")


def plot_acceptability(acc: Any, *, strategies: Any = None, ax: Any = None, palette: Any = None) -> Any:
    """Plot the probability each strategy is optimal against the swept parameter.

    The strategy with the best expected value at each grid value (the
    frontier) is marked with dots.

    Parameters
    ----------
    acc : Acceptability
    strategies : sequence of str, optional
        The strategies to draw (default: those optimal somewhere on the grid,
        at most :data:`MAX_SHOWN`).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes(ax)
    for name in _shown(acc.strategies, acc.probability_optimal, strategies):
        i = acc.strategies.index(name)
        ax.plot(acc.grid, acc.probability_optimal[:, i], color=strategy_color(name, i, palette), label=name)
    frontier = [acc.strategies.index(b) for b in acc.best]
    ax.scatter(
        acc.grid,
        [acc.probability_optimal[g, s] for g, s in enumerate(frontier)],
        s=14,
        color="#000000",
        zorder=3,
        label="best expected value",
    )
    ax.set_ylim(-0.02, 1.02)
    ax.legend(frameon=False, fontsize="small")
    return finish(ax, title="Acceptability curves", xlabel=acc.parameter, ylabel="probability optimal")


def plot_evpi(acc: Any, *, ax: Any = None) -> Any:
    """Plot EVPI against the swept parameter of an :class:`~evtree.psa.Acceptability`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes(ax)
    ax.plot(acc.grid, acc.evpi, color=color(0))
    return finish(ax, title="Expected value of perfect information", xlabel=acc.parameter, ylabel="EVPI")


def psa_figure(result: Any, acceptability: Any = None) -> Any:
    """Return the figure ``evtree psa --plot`` writes: differences, and curves when given.

    Strategies have their colours of :func:`~evtree.presentation.plots.style.strategy_palette`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if acceptability is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
        plot_differences(result, ax=ax)
        return fig
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(16, 4.2), layout="constrained")
    palette = strategy_palette(result.tree)
    plot_differences(result, ax=a, palette=palette)
    plot_acceptability(acceptability, ax=b, palette=palette)
    plot_evpi(acceptability, ax=c)
    return fig
