"""Sensitivity analysis: sweeps, exact thresholds, two-way regions, tornado and spider.

    one_way            vary one parameter: every strategy's value and the optimal one
    thresholds         the exact points where the optimal strategy changes
    two_way            a grid over two parameters: where each strategy is optimal
    tornado            each parameter at its low and high bound, sorted by swing
    spider             each parameter moved by relative steps
    local_sensitivity  exact derivatives and elasticities at the base case
    strategy_functions the strategies' values as sympy expressions (the basis of all the above)

Every analysis starts from the strategies' values as exact sympy expressions
(one symbolic rollback per strategy, cached), so crossings are found in closed
form where one exists, and sweeps are vectorised by lambdifying those
expressions once.  Where no closed form exists, crossings are found by scipy's
``brentq`` bracketed on a grid, and the result says so.

Probabilities that move together
--------------------------------
When the varied parameter is the probability of a chance branch, its siblings
must still sum to 1.  If the chance node has a ``rest`` branch, that branch
absorbs the change (this is the default, ``probability_mode="auto"``); if not,
the other branches are rescaled in proportion (``"proportional"``).  Either can
be asked for.  Ranges that would push any probability outside [0, 1] are
clipped to the feasible interval, and the result reports the clipping.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from .core import model
from .core.compile import compile_tree
from .core.errors import EvaluationError, ModelError
from .core.evaluate import count_strategies, evaluate, parse_strategy, strategies
from .core.expressions import as_expr, exact_number, symbol
from .core.presenters import Presentable

__all__ = [
    "OneWayResult",
    "SpiderResult",
    "StrategyFunction",
    "Threshold",
    "ThresholdResult",
    "TornadoResult",
    "TwoWayResult",
    "local_sensitivity",
    "one_way",
    "spider",
    "strategy_functions",
    "strategy_name",
    "thresholds",
    "tornado",
    "two_way",
]

#: Strategy-by-strategy analysis is used up to this many strategies.
MAX_STRATEGY_LINES = 256
PROBABILITY_MODES = ("auto", "rest", "proportional")


# ------------------------------------------------------------------------------ strategies
def strategy_name(policy: Mapping[str, str]) -> str:
    """Return the readable name of a strategy: its labels in pre-order, joined by commas."""
    return ", ".join(str(v) for v in policy.values()) or "(no decision)"


@dataclasses.dataclass(frozen=True)
class StrategyFunction:
    """A complete strategy and its value as an exact expression in the parameters."""

    name: str
    policy: Mapping[str, str]
    expr: sympy.Expr


def strategy_functions(tree: model.DecisionTree) -> list[StrategyFunction]:
    """Return every complete strategy with its value as a sympy expression.

    The expressions come from the symbolic rollback with the strategy's
    decisions fixed; they are cached until the tree changes.

    Raises
    ------
    EvaluationError
        If the tree has more than :data:`MAX_STRATEGY_LINES` strategies.
    """
    flat = compile_tree(tree)
    cached = flat.cache.get("strategy_functions")
    if cached is not None:
        return cached
    n = count_strategies(tree)
    if n > MAX_STRATEGY_LINES:
        raise EvaluationError(
            f"the tree has {n} strategies; strategy-by-strategy analysis handles at most {MAX_STRATEGY_LINES}"
        )
    out = []
    for policy in strategies(tree):
        expr = evaluate(tree, method="symbolic", policy=policy, utility=None).value
        out.append(StrategyFunction(strategy_name(policy), dict(policy), sympy.expand(expr)))
    names = [s.name for s in out]
    if len(set(names)) != len(names):  # labels alone are ambiguous: qualify them
        out = [dataclasses.replace(s, name="; ".join(f"{k}={v}" for k, v in s.policy.items())) for s in out]
    flat.cache["strategy_functions"] = out
    return out


def _fixed_point(tree: model.DecisionTree, values: Mapping[str, Any] | None, free: Sequence[str]) -> dict:
    """Exact values of every parameter except the free ones."""
    values = dict(values or {})
    for name in values:
        tree.parameter(name)
    return {
        symbol(name): exact_number(values.get(name, p.exact))
        for name, p in tree.parameters.items()
        if name not in free
    }


def _check_utility(tree: model.DecisionTree) -> None:
    if tree.utility is not None and tree.utility.get("type", "expression") != "linear":
        raise EvaluationError(
            "sensitivity analysis works on expected values; this tree has a utility function "
            "(analyse a copy with tree.utility = None, or use evaluate() per point)"
        )


# ------------------------------------------------------------------------------ probabilities
def _probability_nodes(tree: model.DecisionTree, name: str) -> list[model.Chance]:
    s = symbol(name)
    found = []
    for node in tree.chance_nodes:
        for child in node.children:
            p = child.probability
            if p is not None and p != model.REST and s in as_expr(p).free_symbols:
                found.append(node)
                break
    return found


def _adjusted(tree: model.DecisionTree, name: str, mode: str) -> tuple[model.DecisionTree, str]:
    """Return the tree in which moving ``name`` keeps every chance node summing to 1."""
    if mode not in PROBABILITY_MODES:
        raise ValueError(f"probability_mode must be one of {PROBABILITY_MODES}, got {mode!r}")
    nodes = _probability_nodes(tree, name)
    if not nodes:
        return tree, ""
    s = symbol(name)
    notes = []
    copy = tree.copy()
    for node in nodes:
        target = copy.node(node.key) if node.name else copy.node(node.path)
        children = list(target.children)
        has_rest = any(c.probability == model.REST for c in children)
        use_rest = mode == "rest" or (mode == "auto" and has_rest)
        if use_rest and has_rest:
            notes.append(f"at {target.key}, the 'rest' branch absorbs changes in {name}")
            continue
        if use_rest:
            raise ModelError(
                "probability_mode 'rest' needs a 'rest' branch; none at this node", node=target.path
            )
        moving = [c for c in children if s in as_expr(c.probability).free_symbols]
        others = [c for c in children if c not in moving]
        if not others:
            continue
        moved_total = sympy.Add(*[as_expr(c.probability) for c in moving])
        others_total = sympy.Add(*[as_expr(c.probability) for c in others])
        base = {symbol(k): p.exact for k, p in tree.parameters.items()}
        if others_total.xreplace(base) == 0:
            raise ModelError(
                "the other branches have probability 0 at the base case; they cannot rescale",
                node=target.path,
            )
        base_others = others_total.xreplace({symbol(name): symbol(name)})
        for c in others:
            c.probability = as_expr(c.probability) * (1 - moved_total) / base_others
        notes.append(f"at {target.key}, the other branches rescale in proportion to {name}")
    return copy, "; ".join(notes)


def _feasible_interval(
    tree: model.DecisionTree, name: str, fixed: Mapping[sympy.Symbol, Any], low: Any, high: Any
) -> tuple[sympy.Expr, sympy.Expr]:
    """Return the largest sub-interval of [low, high] where every probability lies in [0, 1]."""
    from .core.rollback import arithmetic

    x = symbol(name)
    flat = compile_tree(tree)
    point = {k.name: v for k, v in fixed.items()}
    point[name] = x
    probs = arithmetic("symbolic").probabilities(flat, point)
    interval = sympy.Interval(low, high)
    for i in np.flatnonzero(flat.under_chance):
        e = sympy.simplify(probs[i])
        if x not in e.free_symbols:
            continue
        for cond in (e >= 0, e <= 1):
            try:
                ok = sympy.solveset(cond, x, domain=sympy.S.Reals)
            except (NotImplementedError, ValueError, TypeError):
                continue
            interval = interval.intersect(ok)
    if interval.is_empty or not isinstance(interval, sympy.Interval):
        if isinstance(interval, sympy.Union):  # keep the piece holding the base value
            interval = interval.args[0]
        else:
            raise EvaluationError(f"no value of {name} in [{low}, {high}] keeps every probability in [0, 1]")
    return interval.start, interval.end


def _range_of(
    tree: model.DecisionTree, name: str, range_: Any, fixed: Mapping[sympy.Symbol, Any]
) -> tuple[sympy.Expr, sympy.Expr, str]:
    p = tree.parameter(name)
    if range_ is not None:
        low, high = (exact_number(v) for v in range_)
    else:
        low, high = p.bounds
        if low is None or high is None:
            raise ModelError(f"parameter {name!r} has no bounds; give a range", field=f"parameters.{name}")
    if low >= high:
        raise ModelError(f"the range of {name!r} is empty: [{low}, {high}]", field=f"parameters.{name}")
    lo, hi = _feasible_interval(tree, name, fixed, low, high)
    note = ""
    if (lo, hi) != (low, high):
        note = (
            f"{name} clipped from [{low}, {high}] to [{lo}, {hi}] so that every probability stays in [0, 1]"
        )
    return lo, hi, note


def _univariate(tree: model.DecisionTree, name: str, values: Any) -> tuple[list[StrategyFunction], dict]:
    fixed = _fixed_point(tree, values, [name])
    funcs = [
        dataclasses.replace(f, expr=sympy.expand(f.expr.xreplace(fixed))) for f in strategy_functions(tree)
    ]
    return funcs, fixed


def _lambdified(exprs: Sequence[sympy.Expr], names: Sequence[str]) -> Any:
    return sympy.lambdify([symbol(n) for n in names], list(exprs), "numpy")


def _optimal_index(
    tree: model.DecisionTree, funcs: Sequence[StrategyFunction], point: Mapping[str, Any], size: int
) -> np.ndarray:
    """Index of the optimal strategy at every point, as the rollback chooses it.

    The rollback breaks ties at each decision node in branch order, so a
    strategy that is tied only because a branch has probability 0 is not
    picked over one that is optimal where it is reached.
    """
    result = evaluate(tree, point, utility=None)
    policy = {k: np.broadcast_to(np.asarray(v, dtype=object), (size,)) for k, v in result.policy.items()}
    index = np.full(size, -1, dtype=np.int64)
    for i, f in enumerate(funcs):
        match = index < 0
        for key, label in f.policy.items():
            match &= policy[key] == label
        index[match] = i
    return index


# ------------------------------------------------------------------------------ one-way
@dataclasses.dataclass(frozen=True, eq=False)
class OneWayResult(Presentable):
    """Values of every strategy as one parameter varies.

    Attributes
    ----------
    parameter : str
    frame : pandas.DataFrame
        One row per point: the parameter, each strategy's value, ``value``
        (the optimum) and ``optimal`` (the optimal strategy's name).
    thresholds : ThresholdResult
        The exact points where the optimal strategy changes, within the range.
    range : tuple
        The range swept, exact.
    note : str
        Clipping and probability adjustments made.
    method : str
    """

    parameter: str
    frame: Any
    thresholds: ThresholdResult
    range: tuple[Any, Any]
    note: str
    method: str = "lambdified exact strategy expressions"

    @property
    def strategies(self) -> list[str]:
        return [c for c in self.frame.columns if c not in (self.parameter, "value", "optimal")]

    def to_frame(self) -> Any:
        return self.frame

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        head = f"<p><b>One-way sensitivity to {self.parameter}</b> over [{self.range[0]}, {self.range[1]}]"
        head += f" ({self.note})</p>" if self.note else "</p>"
        return (
            head
            + self.thresholds._summary_html()
            + self.frame.iloc[:: max(1, len(self.frame) // 10)].to_html()
        )


def one_way(
    tree: model.DecisionTree,
    parameter: str,
    *,
    range: Sequence[Any] | None = None,  # noqa: A002 - the issue's name
    points: int = 101,
    values: Mapping[str, Any] | None = None,
    probability_mode: str = "auto",
) -> OneWayResult:
    """Vary one parameter over its bounds (or ``range``) and value every strategy.

    Parameters
    ----------
    tree : DecisionTree
    parameter : str
        The parameter to vary.
    range : (low, high), optional
        Defaults to the parameter's bounds.  Clipped to where every probability
        stays in [0, 1]; the clipping is reported in ``note``.
    points : int, default 101
        Number of evenly spaced points, ends included.
    values : mapping, optional
        Values of the other parameters (their defaults otherwise).
    probability_mode : {"auto", "rest", "proportional"}, default "auto"
        How siblings of a varied branch probability keep the sum at 1 (see the
        module notes).

    Returns
    -------
    OneWayResult

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> r = one_way(korea_talks(), "p_defect", points=3)
    >>> r.frame[["p_defect", "value"]].values.tolist()
    [[0.0, 53.0], [0.25, 20.5], [0.5, 0.0]]
    >>> r.frame["optimal"].tolist()
    ['talks, accept, say no, accept', 'talks, accept, say no, accept', 'no talks']
    """
    import pandas as pd

    _check_utility(tree)
    if points < 2:
        raise ValueError("points must be at least 2")
    work, adjust = _adjusted(tree, parameter, probability_mode)
    funcs, fixed = _univariate(work, parameter, values)
    lo, hi, clip = _range_of(work, parameter, range, fixed)
    grid = np.linspace(float(lo), float(hi), points)
    f = _lambdified([fn.expr for fn in funcs], [parameter])
    table = np.array([np.broadcast_to(np.asarray(v, dtype=float), grid.shape) for v in f(grid)])
    others = {k.name: v for k, v in fixed.items()}
    best = _optimal_index(work, funcs, {**others, parameter: grid}, points)
    frame = pd.DataFrame({parameter: grid})
    for fn, row in zip(funcs, table):
        frame[fn.name] = row
    frame["value"] = table[best, np.arange(points)]
    frame["optimal"] = [funcs[i].name for i in best]
    found = _thresholds_from(work, parameter, funcs, fixed, lo, hi)
    note = "; ".join(x for x in (clip, adjust) if x)
    return OneWayResult(parameter, frame, found, (lo, hi), note)


# ------------------------------------------------------------------------------ thresholds
@dataclasses.dataclass(frozen=True)
class Threshold:
    """A point where the optimal strategy changes.

    Attributes
    ----------
    parameter : str
    value : float
    exact : sympy.Expr or None
        The closed form, when one was found.
    method : {"exact", "brentq"}
    below, above : dict
        The optimal policy (reachable decisions only) just below and just above.
    below_name, above_name : str
        The optimal strategies' names.
    verified : bool
        Whether re-evaluating the tree just below and just above gave these policies.
    """

    parameter: str
    value: float
    exact: sympy.Expr | None
    method: str
    below: Mapping[str, str]
    above: Mapping[str, str]
    below_name: str
    above_name: str
    verified: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "value": self.value,
            "exact": None if self.exact is None else str(self.exact),
            "method": self.method,
            "below": dict(self.below),
            "above": dict(self.above),
            "below_strategy": self.below_name,
            "above_strategy": self.above_name,
            "verified": self.verified,
        }

    def __str__(self) -> str:
        form = f" = {self.exact}" if self.exact is not None and not self.exact.is_Integer else ""
        return (
            f"{self.parameter} = {self.value:.6g}{form} ({self.method}): "
            f"{self.below_name} below, {self.above_name} above"
        )


@dataclasses.dataclass(frozen=True, eq=False)
class ThresholdResult:
    """Every threshold of one parameter within a range."""

    parameter: str
    range: tuple[Any, Any]
    thresholds: tuple[Threshold, ...]
    optimal_at_low: str
    note: str = ""

    @property
    def method(self) -> str:
        methods = sorted({t.method for t in self.thresholds})
        return ", ".join(methods) if methods else "exact"

    def __iter__(self):
        return iter(self.thresholds)

    def __len__(self) -> int:
        return len(self.thresholds)

    def to_frame(self) -> Any:
        import pandas as pd

        rows = [t.to_dict() for t in self.thresholds]
        return pd.DataFrame(
            rows,
            columns=["parameter", "value", "exact", "method", "below_strategy", "above_strategy", "verified"],
        )

    def summary(self) -> str:
        lo, hi = self.range
        if not self.thresholds:
            return f"{self.parameter} in [{lo}, {hi}]: {self.optimal_at_low} is optimal throughout"
        lines = [f"{self.parameter} in [{lo}, {hi}]: {len(self.thresholds)} threshold(s)"]
        lines += [f"  {t}" for t in self.thresholds]
        return "\n".join(lines)

    def _summary_html(self) -> str:
        from html import escape

        return "<pre>" + escape(self.summary()) + "</pre>"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self._summary_html()


def _reachable(tree: model.DecisionTree, policy: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}

    def walk(node: model.Node) -> None:
        if isinstance(node, model.Decision):
            label = policy[node.key]
            out[node.key] = label
            walk(node.branch(label))
        else:
            for c in node.children:
                walk(c)

    walk(tree.root)
    return out


def _is_algebraic(expr: sympy.Expr, x: sympy.Symbol) -> bool:
    return not expr.has(sympy.exp, sympy.log, sympy.Min, sympy.Max, sympy.Abs) and expr.is_algebraic_expr(x)


def _crossings(diff: sympy.Expr, x: sympy.Symbol, lo: Any, hi: Any) -> tuple[list[Any], str] | None:
    """Exact roots of ``diff`` in (lo, hi), or None when no closed form is available."""
    diff = sympy.together(diff)
    if diff == 0 or x not in diff.free_symbols:
        return [], "exact"
    if not _is_algebraic(diff, x):
        return None
    num, _den = sympy.fraction(diff)
    if num.is_polynomial(x):
        poly = sympy.Poly(num, x)
        if poly.degree() == 1:
            c1, c0 = poly.all_coeffs()
            root = -c0 / c1
            return ([root] if lo < root < hi else []), "exact"
    try:
        sols = sympy.solveset(sympy.Eq(num, 0), x, domain=sympy.Interval.open(lo, hi))
    except (NotImplementedError, ValueError, TypeError):
        return None
    if isinstance(sols, sympy.FiniteSet):
        return sorted(sols, key=float), "exact"
    if sols is sympy.S.EmptySet:
        return [], "exact"
    return None


def _numeric_crossings(f: Any, g: Any, lo: float, hi: float, n: int = 2001) -> list[float]:
    from scipy.optimize import brentq

    xs = np.linspace(lo, hi, n)
    d = np.asarray(f(xs), dtype=float) - np.asarray(g(xs), dtype=float)
    d = np.broadcast_to(d, xs.shape)
    roots = []
    for i in np.flatnonzero(np.sign(d[:-1]) * np.sign(d[1:]) < 0):
        roots.append(brentq(lambda t: float(f(t)) - float(g(t)), xs[i], xs[i + 1], xtol=1e-14, rtol=1e-14))
    return roots


def _thresholds_from(
    tree: model.DecisionTree,
    name: str,
    funcs: list[StrategyFunction],
    fixed: Mapping[sympy.Symbol, Any],
    lo: Any,
    hi: Any,
) -> ThresholdResult:
    x = symbol(name)
    candidates: dict[float, tuple[Any, str]] = {}
    for i in range(len(funcs)):
        for j in range(i + 1, len(funcs)):
            diff = funcs[i].expr - funcs[j].expr
            found = _crossings(diff, x, lo, hi)
            if found is None:
                fi = sympy.lambdify(x, funcs[i].expr, "numpy")
                fj = sympy.lambdify(x, funcs[j].expr, "numpy")
                for r in _numeric_crossings(fi, fj, float(lo), float(hi)):
                    candidates.setdefault(round(r, 12), (None, "brentq"))
                continue
            for r in found[0]:
                key = round(float(r), 12)
                if key not in candidates or candidates[key][0] is None:
                    candidates[key] = (r, "exact")
    points = sorted(candidates)
    edges = [float(lo), *points, float(hi)]
    values = {k.name: v for k, v in fixed.items()}

    def optimal_at(t: float) -> tuple[dict[str, str], str]:
        at = {**values, name: t}
        r = evaluate(tree, at, utility=None)
        pol = _reachable(tree, r.policy)
        match = next(
            (
                f.name
                for f in funcs
                if _reachable(tree, {**r.policy, **f.policy}) == pol
                and all(f.policy.get(k) == v for k, v in pol.items())
            ),
            strategy_name(pol),
        )
        return pol, match

    intervals = [optimal_at((a + b) / 2) for a, b in zip(edges[:-1], edges[1:])]
    found: list[Threshold] = []
    for k, t in enumerate(points):
        (below, below_name), (above, above_name) = intervals[k], intervals[k + 1]
        if below == above:
            continue
        exact, method = candidates[t]
        value = float(exact) if exact is not None else t
        delta = max(1e-7, 1e-7 * abs(value))
        verified = optimal_at(value - delta)[0] == below and optimal_at(value + delta)[0] == above
        found.append(Threshold(name, value, exact, method, below, above, below_name, above_name, verified))
    return ThresholdResult(name, (lo, hi), tuple(found), intervals[0][1])


def thresholds(
    tree: model.DecisionTree,
    parameter: str,
    *,
    range: Sequence[Any] | None = None,  # noqa: A002 - the issue's name
    values: Mapping[str, Any] | None = None,
    probability_mode: str = "auto",
) -> ThresholdResult:
    """Return every point in the range where the optimal strategy changes.

    Crossings of the strategies' value expressions are solved exactly with
    sympy where the expressions are algebraic in the parameter; otherwise they
    are bracketed on a grid and found with scipy's ``brentq``.  Each threshold
    is verified by evaluating the tree just below and just above it.

    Parameters
    ----------
    tree : DecisionTree
    parameter : str
    range : (low, high), optional
        Defaults to the parameter's bounds, clipped to valid probabilities.
    values : mapping, optional
        Values of the other parameters (defaults otherwise).
    probability_mode : {"auto", "rest", "proportional"}, default "auto"

    Returns
    -------
    ThresholdResult

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> [t.exact for t in thresholds(korea_talks(), "p_defect")]
    [53/130]
    """
    _check_utility(tree)
    work, adjust = _adjusted(tree, parameter, probability_mode)
    funcs, fixed = _univariate(work, parameter, values)
    lo, hi, clip = _range_of(work, parameter, range, fixed)
    result = _thresholds_from(work, parameter, funcs, fixed, lo, hi)
    note = "; ".join(x for x in (clip, adjust) if x)
    return dataclasses.replace(result, note=note)


# ------------------------------------------------------------------------------ two-way
@dataclasses.dataclass(frozen=True, eq=False)
class TwoWayResult(Presentable):
    """Where each strategy is optimal on a grid over two parameters.

    Attributes
    ----------
    parameters : (str, str)
    grid : (ndarray, ndarray)
        The values of each parameter along its axis.
    optimal : ndarray of int
        Index into ``strategies`` of the optimal strategy at each grid point
        (shape ``(len(grid[0]), len(grid[1]))``); -1 where a probability leaves [0, 1].
    strategies : list of str
    values : ndarray
        The optimum at each point (NaN where infeasible).
    boundaries : list of dict
        For every pair of strategies whose regions touch on the grid, the exact
        boundary ``Eq(value_a, value_b)`` as a sympy relation (solved for the
        second parameter where possible).
    """

    parameters: tuple[str, str]
    grid: tuple[np.ndarray, np.ndarray]
    optimal: np.ndarray
    strategies: list[str]
    values: np.ndarray
    boundaries: list[dict[str, Any]]
    method: str = "lambdified exact strategy expressions on a grid"

    def to_frame(self) -> Any:
        import pandas as pd

        a, b = self.parameters
        ga, gb = np.meshgrid(*self.grid, indexing="ij")
        names = np.array([*self.strategies, "infeasible"], dtype=object)
        return pd.DataFrame(
            {
                a: ga.ravel(),
                b: gb.ravel(),
                "optimal": names[self.optimal.ravel()],
                "value": self.values.ravel(),
            }
        )

    def regions(self) -> Any:
        """Share of the grid where each strategy is optimal."""
        import pandas as pd

        counts = pd.Series(self.to_frame()["optimal"]).value_counts(normalize=True)
        return counts.rename("share of grid").to_frame()

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        from html import escape

        bounds = "".join(
            f"<li>{escape(b['a'])} | {escape(b['b'])}: {escape(str(b['boundary']))}</li>"
            for b in self.boundaries
        )
        title = f"<p><b>Two-way: {self.parameters[0]} × {self.parameters[1]}</b></p>"
        return f"{title}{self.regions().to_html()}<ul>{bounds}</ul>"


def two_way(
    tree: model.DecisionTree,
    parameters: Sequence[str],
    *,
    ranges: Sequence[Sequence[Any] | None] | None = None,
    points: int | Sequence[int] = 101,
    values: Mapping[str, Any] | None = None,
) -> TwoWayResult:
    """Find where each strategy is optimal on a grid over two parameters.

    Parameters
    ----------
    tree : DecisionTree
    parameters : (str, str)
    ranges : pair of (low, high) or None, optional
        Defaults to each parameter's bounds.
    points : int or (int, int), default 101
    values : mapping, optional
        Values of the other parameters.

    Returns
    -------
    TwoWayResult
        Grid points where a probability would leave [0, 1] are marked infeasible.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> r = two_way(korea_talks(), ("p_flout", "p_defect"), points=5)
    >>> sorted(r.regions().index)
    ['infeasible', 'no talks', 'talks, accept, say no, accept']
    """
    _check_utility(tree)
    a, b = parameters
    if a == b:
        raise ValueError("two_way needs two different parameters")
    n_a, n_b = (points, points) if isinstance(points, int) else points
    fixed = _fixed_point(tree, values, [a, b])
    ranges = ranges or (None, None)
    axes = []
    for name, rng in zip((a, b), ranges):
        p = tree.parameter(name)
        lo, hi = (exact_number(v) for v in rng) if rng is not None else p.bounds
        if lo is None or hi is None:
            raise ModelError(f"parameter {name!r} has no bounds; give a range", field=f"parameters.{name}")
        axes.append((lo, hi))
    ga = np.linspace(float(axes[0][0]), float(axes[0][1]), n_a)
    gb = np.linspace(float(axes[1][0]), float(axes[1][1]), n_b)
    A, B = np.meshgrid(ga, gb, indexing="ij")
    funcs = [
        dataclasses.replace(f, expr=sympy.expand(f.expr.xreplace(fixed))) for f in strategy_functions(tree)
    ]
    f = _lambdified([fn.expr for fn in funcs], [a, b])
    table = np.array([np.broadcast_to(np.asarray(v, dtype=float), A.shape) for v in f(A, B)])
    feasible = _feasible_mask(tree, fixed, {a: A, b: B})
    best = np.full(A.shape, -1, dtype=np.int64)
    if feasible.any():
        others = {k.name: v for k, v in fixed.items()}
        best[feasible] = _optimal_index(
            tree, funcs, {**others, a: A[feasible], b: B[feasible]}, int(feasible.sum())
        )
    value = np.where(feasible, np.take_along_axis(table, np.maximum(best, 0)[None], axis=0)[0], np.nan)
    boundaries = []
    touching = set()
    for u, v in ((best[1:, :], best[:-1, :]), (best[:, 1:], best[:, :-1])):
        diff = (u != v) & (u >= 0) & (v >= 0)
        touching.update(zip(u[diff].tolist(), v[diff].tolist()))
    for i, j in sorted({tuple(sorted(p)) for p in touching}):
        eq = sympy.Eq(funcs[i].expr, funcs[j].expr)
        solved = None
        try:
            sol = sympy.solve(funcs[i].expr - funcs[j].expr, symbol(b), dict=True)
            if len(sol) == 1:
                solved = sympy.Eq(symbol(b), sympy.simplify(sol[0][symbol(b)]))
        except (NotImplementedError, ValueError, TypeError):
            solved = None
        boundaries.append(
            {"a": funcs[i].name, "b": funcs[j].name, "boundary": solved if solved is not None else eq}
        )
    return TwoWayResult((a, b), (ga, gb), best, [fn.name for fn in funcs], value, boundaries)


def _feasible_mask(
    tree: model.DecisionTree, fixed: Mapping[sympy.Symbol, Any], grid: Mapping[str, np.ndarray]
) -> np.ndarray:
    """Return True where every chance probability lies in [0, 1] (within the float tolerance)."""
    from .core.compile import PROBABILITY_TOLERANCE
    from .core.rollback import FloatArithmetic

    shape = next(iter(grid.values())).shape
    flat = compile_tree(tree)
    point = {k.name: float(v) for k, v in fixed.items()}
    point.update({k: v.ravel() for k, v in grid.items()})
    probs = FloatArithmetic(int(np.prod(shape))).probabilities(flat, point)[flat.under_chance]
    ok = ((probs >= -PROBABILITY_TOLERANCE) & (probs <= 1 + PROBABILITY_TOLERANCE)).all(axis=0)
    return np.broadcast_to(ok, (int(np.prod(shape)),)).reshape(shape)


# ------------------------------------------------------------------------------ tornado, spider
@dataclasses.dataclass(frozen=True, eq=False)
class TornadoResult(Presentable):
    """Each parameter at its low and high bound, sorted by swing.

    ``frame`` has one row per parameter and target (the root value, or a
    strategy): ``low``, ``high`` (the parameter's values used), ``at_low``,
    ``at_high``, ``base`` and ``swing`` = |at_high - at_low|.
    """

    frame: Any
    targets: list[str]
    note: str
    method: str = "exact strategy expressions at each bound"

    def to_frame(self) -> Any:
        return self.frame

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return "<p><b>Tornado</b></p>" + self.frame.to_html()


def _targets(tree: model.DecisionTree, strategy: Any) -> list[tuple[str, sympy.Expr]]:
    funcs = strategy_functions(tree)
    pick = sympy.Max if tree.objective == "max" else sympy.Min
    root = ("value", pick(*[f.expr for f in funcs]))
    if strategy is None:
        return [root]
    if strategy == "all":
        return [root, *[(f.name, f.expr) for f in funcs]]
    wanted = [strategy] if isinstance(strategy, (str, Mapping)) else list(strategy)
    out = []
    for w in wanted:
        if isinstance(w, str) and "=" in w and not any(f.name == w for f in funcs):
            w = parse_strategy(tree, w)  # a strategy's name, "decision=label, ..." (issue 18)
        if isinstance(w, Mapping):
            match = [f for f in funcs if all(f.policy.get(k) == v for k, v in w.items())]
        else:
            match = [f for f in funcs if f.name == w]
        if not match:
            raise ModelError(f"no strategy matches {w!r}; strategies: {', '.join(f.name for f in funcs)}")
        out.extend((f.name, f.expr) for f in match)
    return out


def _bounds_for(
    tree: model.DecisionTree, name: str, base: Mapping[sympy.Symbol, Any]
) -> tuple[Any, Any, str]:
    fixed = {k: v for k, v in base.items() if k != symbol(name)}
    return _range_of(tree, name, None, fixed)


def tornado(
    tree: model.DecisionTree,
    *,
    strategy: Any = None,
    parameters: Sequence[str] | None = None,
    values: Mapping[str, Any] | None = None,
) -> TornadoResult:
    """Value at each parameter's low and high bound, others at base; sorted by swing.

    Parameters
    ----------
    tree : DecisionTree
    strategy : None, "all", str, mapping or list, optional
        ``None``: the root value (the optimum); ``"all"``: the root and every
        strategy; a strategy's name or (partial) policy: those strategies.
    parameters : list of str, optional
        Defaults to every parameter with both bounds.
    values : mapping, optional
        The base case (defaults otherwise).

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> t = tornado(korea_talks())
    >>> row = t.frame.iloc[0]
    >>> row["parameter"], float(row["at_low"]), float(row["at_high"])
    ('p_flout', 65.5, 0.0)
    """
    import pandas as pd

    _check_utility(tree)
    base = _fixed_point(tree, values, [])
    names = (
        list(parameters)
        if parameters is not None
        else [n for n, p in tree.parameters.items() if None not in p.bounds]
    )
    targets = _targets(tree, strategy)
    rows, notes = [], []
    for name in names:
        lo, hi, clip = _bounds_for(tree, name, base)
        if clip:
            notes.append(clip)
        for target, expr in targets:
            at_base = expr.xreplace(base)
            at_lo = expr.xreplace({**base, symbol(name): lo})
            at_hi = expr.xreplace({**base, symbol(name): hi})
            rows.append(
                {
                    "target": target,
                    "parameter": name,
                    "low": float(lo),
                    "high": float(hi),
                    "base": float(at_base),
                    "at_low": float(at_lo),
                    "at_high": float(at_hi),
                    "swing": float(abs(at_hi - at_lo)),
                }
            )
    frame = pd.DataFrame(rows)
    if len(frame):
        order = {t: i for i, (t, _e) in enumerate(targets)}
        frame = frame.sort_values(
            ["target", "swing"], key=lambda s: s.map(order) if s.name == "target" else -s, kind="stable"
        )
        frame = frame.reset_index(drop=True)
    return TornadoResult(frame, [t for t, _e in targets], "; ".join(notes))


@dataclasses.dataclass(frozen=True, eq=False)
class SpiderResult(Presentable):
    """Values as each parameter moves by relative steps from its base value."""

    frame: Any
    target: str
    method: str = "exact strategy expressions"

    def to_frame(self) -> Any:
        return self.frame

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return f"<p><b>Spider: {self.target}</b></p>" + self.frame.to_html()


def spider(
    tree: model.DecisionTree,
    *,
    changes: Sequence[float] = (-0.5, -0.25, 0.0, 0.25, 0.5),
    strategy: Any = None,
    parameters: Sequence[str] | None = None,
    values: Mapping[str, Any] | None = None,
) -> SpiderResult:
    """Value as each parameter moves to ``(1 + change) * base``, the others at base.

    Moves that leave the parameter's bounds, or push a probability outside
    [0, 1], give NaN.  A parameter whose base value is 0 has no relative
    changes and is left out.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> s = spider(korea_talks(), changes=(-0.5, 0, 0.5))
    >>> s.frame.loc["v_deal"].tolist()
    [8.0, 20.5, 33.0]
    """
    import pandas as pd

    _check_utility(tree)
    base = _fixed_point(tree, values, [])
    ((target, expr),) = (
        _targets(tree, strategy)[:1]
        if strategy is None or not isinstance(strategy, list)
        else _targets(tree, strategy[0])[:1]
    )
    names = list(parameters) if parameters is not None else list(tree.parameters)
    rows = {}
    for name in names:
        b = base[symbol(name)]
        if b == 0:
            continue
        lo, hi, _ = _bounds_for(tree, name, base)
        row = []
        for c in changes:
            v = b * (1 + exact_number(c))
            row.append(float(expr.xreplace({**base, symbol(name): v})) if lo <= v <= hi else math.nan)
        rows[name] = row
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=[float(c) for c in changes])
    frame.index.name = "parameter"
    frame.columns.name = "relative change"
    return SpiderResult(frame, target)


# ------------------------------------------------------------------------------ local
def local_sensitivity(
    tree: model.DecisionTree,
    *,
    values: Mapping[str, Any] | None = None,
) -> Any:
    """Exact derivative and elasticity of every strategy's value with respect to every parameter.

    The derivative ``dV/dp`` comes from sympy, not finite differences; the
    elasticity is ``dV/dp * p / V`` (NaN where ``V`` is 0).

    Returns
    -------
    pandas.DataFrame
        One row per (strategy, parameter): ``derivative`` (exact), ``value``,
        ``elasticity`` (float).

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> d = local_sensitivity(korea_talks())
    >>> d.loc[("talks, accept, say no, accept", "p_defect"), "derivative"]
    -130
    """
    import pandas as pd

    base = _fixed_point(tree, values, [])
    rows = []
    for f in strategy_functions(tree):
        v = f.expr.xreplace(base)
        for name in tree.parameters:
            d = sympy.diff(f.expr, symbol(name)).xreplace(base)
            p = base[symbol(name)]
            elasticity = float(d * p / v) if v != 0 else math.nan
            rows.append(
                {"strategy": f.name, "parameter": name, "derivative": d, "value": v, "elasticity": elasticity}
            )
    return pd.DataFrame(rows).set_index(["strategy", "parameter"])
