"""An interactive explorer for JupyterLab: move a slider, watch the tree change.

    explore    build an :class:`Explorer` for a tree
    Explorer   sliders, the drawing, the strategy values, the policy and a one-way plot

One slider per parameter, within the parameter's bounds.  As a slider moves the
tree is rolled back again (float arithmetic) and the drawing, the value of every
strategy, the optimal policy and a one-way plot for a chosen parameter update.

Probabilities stay consistent: when a move would give some chance node
probabilities outside [0, 1] or not summing to 1 (say ``p_flout + p_defect > 1``
when the third branch takes the ``rest``), the moved slider is *clipped* to the
last value at which every chance node is consistent, found by bisection; the
other sliders keep their values.

ipywidgets and matplotlib are imported when an explorer is built, not before.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core import model
from ..core.compile import compile_tree, parameter_point
from ..core.errors import EvtreeError
from ..core.evaluate import MAX_STRATEGIES, Evaluation, evaluate
from .display import format_number, frame_html

__all__ = ["Explorer", "clip_move", "explore", "parameter_range", "probability_parameters"]

#: The one-way plot shows every strategy when there are at most this many (else the root
#: decision's options).
MAX_LINES = 12


def probability_parameters(tree: model.DecisionTree) -> set[str]:
    """Return the names of parameters that appear in some branch probability.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> sorted(probability_parameters(korea_talks()))
    ['p_defect', 'p_flout']
    """
    flat = compile_tree(tree)
    return {s.name for e in flat.probability.exprs for s in e.free_symbols}


def parameter_range(tree: model.DecisionTree, name: str) -> tuple[float, float]:
    """Return the slider range of a parameter: its bounds, or a range around its default.

    A missing bound is the default minus (plus) the larger of its magnitude and
    1; parameters used in probabilities are kept within [0, 1].
    """
    p = tree.parameter(name)
    v = float(p.exact)
    low, high = p.bounds
    span = max(abs(v), 1.0)
    lo = float(low) if low is not None else v - span
    hi = float(high) if high is not None else v + span
    if name in probability_parameters(tree):
        lo, hi = max(lo, 0.0) if low is None else lo, min(hi, 1.0) if high is None else hi
    return lo, hi


def _consistent(tree: model.DecisionTree, point: Mapping[str, float]) -> bool:
    """Whether every chance node's probabilities lie in [0, 1] (strictly) and sum to 1."""
    from ..core.rollback import FloatArithmetic

    flat = compile_tree(tree)
    arith = FloatArithmetic(1)
    try:
        probs = arith.probabilities(flat, parameter_point(tree, point, method="float"))
        arith.check_probabilities(flat, probs)
    except EvtreeError:
        return False
    sub = probs[flat.under_chance]
    return bool(((sub >= 0) & (sub <= 1)).all())


def clip_move(
    tree: model.DecisionTree, point: Mapping[str, float], name: str, new: float, *, iterations: int = 48
) -> float:
    """Return how far parameter ``name`` can move from ``point`` towards ``new``.

    ``point`` must be consistent (every chance node's probabilities in [0, 1]
    summing to 1).  If the point with ``name = new`` is consistent too, ``new``
    is returned; otherwise the last consistent value on the way, by bisection.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> tree = korea_talks()
    >>> clip_move(tree, {"p_flout": 0.5, "p_defect": 0.25}, "p_flout", 0.9)
    0.75
    """
    old = float(point[name]) if name in point else float(tree.parameter(name).exact)
    moved = {**point, name: new}
    if _consistent(tree, moved):
        return new
    good, bad = old, float(new)
    for _ in range(iterations):
        mid = (good + bad) / 2
        if _consistent(tree, {**point, name: mid}):
            good = mid
        else:
            bad = mid
    # prefer a short number at the boundary (0.75 rather than 0.74999999999999)
    lo, hi = min(old, float(new)), max(old, float(new))
    for digits in range(1, 16):
        c = round(good, digits)
        if (
            abs(c - good) <= 1e-9 * max(1.0, abs(good))
            and lo <= c <= hi
            and _consistent(tree, {**point, name: c})
        ):
            return c
    return good


def _figure_html(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img class="evtree-plot" alt="one-way plot" src="data:image/svg+xml;base64,{data}"/>'


def _valid_interval(tree: model.DecisionTree, point: Mapping[str, float], name: str) -> tuple[float, float]:
    lo, hi = parameter_range(tree, name)
    return clip_move(tree, point, name, lo), clip_move(tree, point, name, hi)


class Explorer:
    """Sliders for a tree's parameters, and the tree's picture and values that follow them.

    Build one with :func:`explore`.  Display it in a notebook cell (it shows as
    its :attr:`widget`).  :attr:`sliders` maps parameter names to the sliders;
    set ``explorer.sliders["p"].value`` to move one from code.

    Attributes
    ----------
    tree : DecisionTree
    sliders : dict of str to ipywidgets.FloatSlider
    chooser : ipywidgets.Dropdown
        The parameter of the one-way plot.
    summary, picture, plot : ipywidgets.HTML
        The value and policy with the strategy table; the tree drawing; the one-way plot.
    result : Evaluation
        The evaluation at the sliders' values.
    widget : ipywidgets.VBox
        Everything, laid out.
    """

    def __init__(
        self,
        tree: model.DecisionTree,
        *,
        parameter: str | None = None,
        max_depth: int | None = None,
        continuous: bool | None = None,
        points: int = 101,
    ) -> None:
        import ipywidgets as w

        self.tree = tree
        self.max_depth = max_depth
        self.points = points
        self.result: Evaluation = evaluate(tree)
        n_nodes = compile_tree(tree).size
        if continuous is None:
            continuous = n_nodes <= 500
        self.sliders: dict[str, Any] = {}
        for name, p in tree.parameters.items():
            if p.is_formula:  # a formula follows the parameters it is made of
                continue
            lo, hi = parameter_range(tree, name)
            step = (hi - lo) / 200 if hi > lo else 0.01
            s = w.FloatSlider(
                value=float(p.exact),
                min=lo,
                max=hi,
                step=step,
                description=name,
                readout_format=".4g",
                continuous_update=continuous,
                style={"description_width": "initial"},
                layout=w.Layout(width="340px"),
                tooltip=p.description or name,
            )
            s.observe(self._on_slider, names="value")
            self.sliders[name] = s
        names = list(tree.parameters)
        if parameter is not None:
            tree.parameter(parameter)
        self.chooser = w.Dropdown(
            options=names, value=parameter or (names[0] if names else None), description="one-way:"
        )
        self.chooser.observe(lambda _change: self._update(), names="value")
        self.reset_button = w.Button(description="reset to defaults", icon="undo")
        self.reset_button.on_click(lambda _b: self.reset())
        self.message = w.HTML()
        self.summary = w.HTML()
        self.plot = w.HTML()
        self.picture = w.HTML()
        self._busy = False
        controls = w.VBox([*self.sliders.values(), self.chooser, self.reset_button, self.message])
        self.widget = w.VBox(
            [w.HBox([controls, w.VBox([self.summary, self.plot])]), self.picture],
            layout=w.Layout(width="100%"),
        )
        self._update()

    # -- state ----------------------------------------------------------------------------
    @property
    def values(self) -> dict[str, float]:
        """The parameter values the sliders show."""
        return {k: float(s.value) for k, s in self.sliders.items()}

    def reset(self) -> None:
        """Put every slider back at its parameter's default."""
        self._busy = True
        try:
            for name, s in self.sliders.items():
                s.value = float(self.tree.parameters[name].exact)
        finally:
            self._busy = False
        self.message.value = ""
        self._update()

    def _on_slider(self, change: Mapping[str, Any]) -> None:
        if self._busy:
            return
        name = change["owner"].description
        point = {**self.values, name: float(change["old"])}
        allowed = clip_move(self.tree, point, name, float(change["new"]))
        if allowed != change["new"]:
            self._busy = True
            try:
                change["owner"].value = allowed
            finally:
                self._busy = False
            self.message.value = (
                f"<small>{html.escape(name)} held at {format_number(allowed, digits=4)}: "
                "further, some chance node's probabilities would leave [0, 1]</small>"
            )
        else:
            self.message.value = ""
        self._update()

    # -- drawing --------------------------------------------------------------------------
    def _update(self) -> None:
        from .draw import tree_svg

        try:
            self.result = evaluate(self.tree, self.values)
        except EvtreeError as err:
            self.summary.value = f"<p style='color:#b00'>{html.escape(str(err))}</p>"
            return
        r = self.result
        self.picture.value = tree_svg(self.tree, r, max_depth=self.max_depth, legend=False)
        self.summary.value = self._summary_html(r)
        self.plot.value = self._plot_html()

    def _summary_html(self, r: Evaluation) -> str:
        kind = "certainty equivalent" if r.utility is not None else "expected value"
        parts = [f"<p><b>{kind}: {html.escape(format_number(r.value))}</b></p>"]
        if r.policy:
            rows = "".join(
                f"<li>{html.escape(str(k))}: <b>{html.escape(str(v))}</b>"
                + (f" (tied: {html.escape(', '.join(r.ties[k]))})" if k in r.ties else "")
                + "</li>"
                for k, v in r.policy.items()
            )
            parts.append(f"<p>optimal policy:</p><ul>{rows}</ul>")
        if r.n_strategies <= min(MAX_STRATEGIES, 64):
            parts.append(frame_html(r.strategies))
        return "".join(parts)

    def one_way_result(self, name: str | None = None) -> Any:
        """Return :func:`evtree.sensitivity.one_way` for a parameter at the other sliders' values.

        The range is the slider's, narrowed to where the probabilities stay
        consistent; the result carries the exact thresholds within it.
        """
        from ..sensitivity import one_way

        name = name or self.chooser.value
        others = {k: v for k, v in self.values.items() if k != name}
        return one_way(
            self.tree, name, range=parameter_range(self.tree, name), points=self.points, values=others
        )

    def one_way_values(self, name: str | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Return the grid of the one-way plot and the value of each line on it.

        The grid spans the parameter's range, narrowed to where the chance
        nodes' probabilities stay consistent at the other sliders' values.
        Lines are the complete strategies (from :meth:`one_way_result`) when
        there are at most :data:`MAX_LINES`, else the options of the root
        decision (the later decisions made optimally), else the root value.
        """
        name = name or self.chooser.value
        if self.result.n_strategies <= MAX_LINES:
            res = self.one_way_result(name)
            frame = res.frame
            return frame[name].to_numpy(), {s: frame[s].to_numpy() for s in res.strategies}
        point = self.values
        lo, hi = _valid_interval(self.tree, point, name)
        grid = np.linspace(lo, hi, self.points)
        values = {**point, name: grid}
        lines: dict[str, np.ndarray] = {}
        if isinstance(self.tree.root, model.Decision):
            key = self.tree.root.key
            for child in self.tree.root.children:
                value = evaluate(self.tree, values, policy={key: child.label}).value
                lines[str(child.label)] = np.asarray(value, dtype=float)
        else:
            lines["value"] = np.asarray(evaluate(self.tree, values).value, dtype=float)
        return grid, lines

    def _plot_html(self) -> str:
        if not self.sliders or self.chooser.value is None:
            return ""
        from matplotlib.figure import Figure

        from .plots.sensitivity import plot_one_way
        from .plots.style import color, finish

        name = self.chooser.value
        fig = Figure(figsize=(7.8, 3.6), layout="constrained")
        ax = fig.add_subplot()
        if self.result.n_strategies <= MAX_LINES:
            plot_one_way(self.one_way_result(name), ax=ax)
        else:
            grid, lines = self.one_way_values(name)
            for i, (label, ys) in enumerate(lines.items()):
                ax.plot(grid, ys, color=color(i), label=label, linewidth=1.8)
            ax.legend(fontsize="x-small", frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
            finish(
                ax,
                title=f"One-way sensitivity: {name} (first decision's options)",
                xlabel=name,
                ylabel="value",
            )
        ax.axvline(self.values[name], color=color(3), linewidth=1.2, linestyle=":")
        return _figure_html(fig)

    # -- display --------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:  # pragma: no cover - notebook display
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<Explorer of {self.tree.name or 'a tree'}: {len(self.sliders)} sliders>"


def explore(
    tree: model.DecisionTree,
    *,
    parameter: str | None = None,
    max_depth: int | None = None,
    continuous: bool | None = None,
) -> Explorer:
    """Return an interactive explorer of the tree: sliders, drawing, values, one-way plot.

    Parameters
    ----------
    tree : DecisionTree
        The tree; its parameters get one slider each, within their bounds.
    parameter : str, optional
        The parameter of the one-way plot (the first one by default; a
        drop-down changes it).
    max_depth : int, optional
        Collapse the drawing below this depth.
    continuous : bool, optional
        Update while a slider is dragged (default: for trees of up to 500 nodes)
        rather than when it is released.

    Returns
    -------
    Explorer
        Shown as widgets in a notebook.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> ex = explore(korea_talks(), parameter="p_defect")
    >>> ex.sliders["p_flout"].value = 0.9   # p_defect is 0.25: clipped at 0.75
    >>> ex.values["p_flout"]
    0.75
    """
    return Explorer(tree, parameter=parameter, max_depth=max_depth, continuous=continuous)
