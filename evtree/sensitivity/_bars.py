"""Each parameter on its own: tornado bars, spider lines, exact derivatives; strategies' value expressions."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from ..core import model
from ..core.errors import EvaluationError, ModelError
from ..core.evaluate import count_strategies, evaluate, parse_strategy
from ..core.expressions import exact_number, symbol
from ..core.presenters import Presentable
from . import _common as common

__all__ = [
    "SpiderResult",
    "TornadoResult",
    "local_sensitivity",
    "spider",
    "strategy_functions",
    "tornado",
]


def strategy_functions(tree: model.DecisionTree) -> list[common.StrategyFunction]:
    """Return every complete strategy with its value as a sympy expression.

    The expressions come from the symbolic rollback with the strategy's
    decisions fixed; they are cached until the tree changes.  This lists
    strategies by definition, so it is refused above :data:`MAX_STRATEGY_LINES`
    of them; the analyses of this module do not need it.

    Raises
    ------
    EvaluationError
        If the tree has more than :data:`MAX_STRATEGY_LINES` strategies.
    """
    flat = common.compiled(tree)
    cached = flat.cache.get("strategy_functions")
    if cached is not None:
        return cached
    n = count_strategies(tree)
    if n > common.MAX_STRATEGY_LINES:
        raise EvaluationError(
            f"the tree has {n} strategies; listing them one by one handles at most "
            f"{common.MAX_STRATEGY_LINES}"
        )
    out = []
    for policy in common.listed_strategies(tree):
        expr = evaluate(tree, method="symbolic", policy=policy, utility=None).value
        out.append(common.StrategyFunction(common.strategy_name(policy), dict(policy), sympy.expand(expr)))
    flat.cache["strategy_functions"] = out
    return out


# ------------------------------------------------------------------------------ targets
def _targets(tree: model.DecisionTree, strategy: Any) -> list[tuple[str, Any]]:
    """``(name, policy)`` pairs: policy None for the root value (the optimum)."""
    root: tuple[str, Any] = ("value", None)
    if strategy is None:
        return [root]
    few = common.few_strategies(tree)
    if strategy == "all":
        if not few:
            raise EvaluationError(
                f"the tree has {count_strategies(tree)} strategies; 'all' lists at most "
                f"{common.MAX_STRATEGY_LINES}: name the strategies wanted"
            )
        return [root, *[(common.strategy_name(p), p) for p in common.listed_strategies(tree)]]
    wanted = [strategy] if isinstance(strategy, (str, Mapping)) else list(strategy)
    out: list[tuple[str, Any]] = []
    listed = list(common.listed_strategies(tree)) if few else None
    for w in wanted:
        if (
            isinstance(w, str)
            and "=" in w
            and not (listed and any(common.strategy_name(p) == w for p in listed))
        ):
            w = parse_strategy(tree, w)  # a strategy's name, "decision=label, ..." (docs/output.md)
        if listed is None:
            if isinstance(w, Mapping):
                out.append(("; ".join(f"{k}={v}" for k, v in w.items()), dict(w)))
                continue
            raise ModelError(
                f"the tree has too many strategies to look {w!r} up by name; give it as a policy mapping"
            )
        if isinstance(w, Mapping):
            match = [p for p in listed if all(p.get(k) == v for k, v in w.items())]
        else:
            match = [p for p in listed if common.strategy_name(p) == w]
        if not match:
            raise _no_match(w, listed)
        out.extend((common.strategy_name(p), p) for p in match)
    return out


def _no_match(wanted: Any, listed: Sequence[Mapping[str, str]]) -> ModelError:
    """Return the error for a strategy no listed one matches, with the nearest names one per line."""
    import difflib

    from ..core.evaluate import SUGGESTIONS

    names = [common.named(p) for p in listed]
    text = wanted if isinstance(wanted, str) else common.named(wanted)
    # an old name (labels alone) is compared with the old names, and answered with the names
    keys = names if "=" in text else [common.strategy_name(p) for p in listed]
    close = difflib.get_close_matches(text, keys, n=SUGGESTIONS, cutoff=0.0) or keys[:SUGGESTIONS]
    nearest = list(dict.fromkeys(names[keys.index(k)] for k in close))
    err = ModelError(f"no strategy matches {wanted!r}; nearest:" + "".join(f"\n  {n}" for n in nearest))
    err.suggestions = nearest  # type: ignore[attr-defined]
    return err


def _reference(tree: model.DecisionTree, reference: Any) -> tuple[str, Any]:
    """Return the one strategy incremental values are measured against, as ``(name, policy)``."""
    found = [t for t in _targets(tree, reference) if t[1] is not None]
    if len(found) != 1:
        raise ModelError(f"the reference must be one strategy; {reference!r} names {len(found)}")
    return found[0]


def _values(tree: model.DecisionTree, points: Mapping[str, np.ndarray], policy: Any) -> np.ndarray:
    r = common.evaluate_float(tree, points, policy=policy)
    n = len(next(iter(points.values())))
    return np.broadcast_to(np.asarray(r.value, dtype=float), (n,))


# ------------------------------------------------------------------------------ tornado
@dataclasses.dataclass(frozen=True, eq=False)
class TornadoResult(Presentable):
    """Each parameter at its low and high bound, sorted by swing.

    ``frame`` has one row per parameter and target (the root value, or a
    strategy): ``low``, ``high`` (the parameter's values used), ``at_low``,
    ``at_high``, ``base`` and ``swing`` = |at_high - at_low|.  ``target`` and
    ``targets`` name a strategy by its labels joined by commas (kept for
    compatibility); ``strategy_names`` maps those to the strategy's name,
    ``decision=label, ...``, which :meth:`to_frame` uses.
    """

    frame: Any
    targets: list[str]
    note: str
    method: str = "float rollback at every bound at once; bounds clipped exactly"
    strategy_names: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def to_frame(self) -> Any:
        """Return the bars with each target strategy named ``decision=label, ...``."""
        if not self.strategy_names or not len(self.frame):
            return self.frame
        frame = self.frame.copy()
        frame["target"] = [self.strategy_names.get(t, t) for t in frame["target"]]
        return frame

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return "<p><b>Tornado</b></p>" + self.to_frame().to_html()


def _bar_points(
    tree: model.DecisionTree, names: Sequence[str], base: Mapping[sympy.Symbol, Any]
) -> tuple[dict[str, np.ndarray], list[tuple[Any, Any]], list[str]]:
    """Points: the base, then each parameter at its (clipped) low and high bound."""
    bounds, notes = [], []
    for name in names:
        fixed = {k: v for k, v in base.items() if k != symbol(name)}
        lo, hi, clip, _lp, _hp = common.range_of(tree, name, None, fixed)
        if clip:
            notes.append(clip)
        bounds.append((lo, hi))
    n = 1 + 2 * len(names)
    points = {k.name: np.full(n, float(v)) for k, v in base.items()}
    for j, (name, (lo, hi)) in enumerate(zip(names, bounds)):
        points[name][1 + 2 * j] = float(lo)
        points[name][2 + 2 * j] = float(hi)
    return points, bounds, notes


def tornado(
    tree: model.DecisionTree,
    *,
    strategy: Any = None,
    parameters: Sequence[str] | None = None,
    values: Mapping[str, Any] | None = None,
    reference: Any = None,
) -> TornadoResult:
    """Value at each parameter's low and high bound, others at base; sorted by swing.

    The bounds are clipped exactly to valid probabilities; the values are one
    float rollback over all ``2 × (number of parameters) + 1`` points at once
    (one per target strategy), so no strategy is listed for the root value.

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
    reference : str or mapping, optional
        A strategy (by name or policy): every bar is then *incremental*, the target's
        value minus the reference strategy's at the same point. On
        :func:`evtree.cea.net_benefit_tree` that is the incremental net benefit.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> t = tornado(korea_talks())
    >>> row = t.frame.iloc[0]
    >>> row["parameter"], float(row["at_low"]), float(row["at_high"])
    ('p_flout', 65.5, 0.0)
    """
    tree = common.base_view(tree, parameters, values)
    import pandas as pd

    common.check_utility(tree)
    base = common.fixed_point(tree, values, [])
    names = (
        list(parameters)
        if parameters is not None
        else [n for n, p in tree.parameters.items() if None not in p.bounds]
    )
    targets = _targets(tree, strategy)
    columns = ["target", "parameter", "low", "high", "base", "at_low", "at_high", "swing"]
    if not names:
        frame = pd.DataFrame(columns=columns)
        why = "the tree has no parameters" if not tree.parameters else "no parameter has both bounds"
        frame.attrs["why_empty"] = why
        return TornadoResult(frame, [t for t, _p in targets], why, strategy_names=_target_names(targets))
    points, bounds, notes = _bar_points(tree, names, base)
    shift = 0.0
    if reference is not None:
        _ref, ref_policy = _reference(tree, reference)
        shift = _values(tree, points, ref_policy)
        notes = [*notes, f"values are incremental: minus the value of {common.named(ref_policy)}"]
    rows = []
    for target, policy in targets:
        v = _values(tree, points, policy) - shift
        for j, (name, (lo, hi)) in enumerate(zip(names, bounds)):
            at_lo, at_hi = float(v[1 + 2 * j]), float(v[2 + 2 * j])
            rows.append(
                {
                    "target": target,
                    "parameter": name,
                    "low": float(lo),
                    "high": float(hi),
                    "base": float(v[0]),
                    "at_low": at_lo,
                    "at_high": at_hi,
                    "swing": abs(at_hi - at_lo),
                }
            )
    frame = pd.DataFrame(rows)
    if len(frame):
        order = {t: i for i, (t, _p) in enumerate(targets)}
        frame = frame.sort_values(
            ["target", "swing"], key=lambda s: s.map(order) if s.name == "target" else -s, kind="stable"
        )
        frame = frame.reset_index(drop=True)
    return TornadoResult(
        frame, [t for t, _p in targets], "; ".join(notes), strategy_names=_target_names(targets)
    )


def _target_names(targets: Sequence[tuple[str, Any]]) -> dict[str, str]:
    """Each target strategy's compatibility name mapped to its ``decision=label`` name."""
    return {t: common.named(p) for t, p in targets if p is not None}


# ------------------------------------------------------------------------------ spider
@dataclasses.dataclass(frozen=True, eq=False)
class SpiderResult(Presentable):
    """Values as each parameter moves by relative steps from its base value."""

    frame: Any
    target: str
    method: str = "float rollback at every step at once"
    policy: Mapping[str, str] | None = None

    @property
    def strategy(self) -> str:
        """The strategy drawn, by name (``decision=label, ...``), or ``"value"`` for the optimum."""
        return self.target if self.policy is None else common.named(self.policy)

    def to_frame(self) -> Any:
        return self.frame

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return f"<p><b>Spider: {self.strategy}</b></p>" + self.frame.to_html()


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
    tree = common.base_view(tree, parameters, values)
    import pandas as pd

    common.check_utility(tree)
    base = common.fixed_point(tree, values, [])
    first = strategy[0] if isinstance(strategy, list) else strategy
    target, policy = _targets(tree, first)[0]
    names = list(parameters) if parameters is not None else list(tree.parameters)
    used, columns = [], []
    for name in names:
        b = base[symbol(name)]
        if b == 0:
            continue
        fixed = {k: v for k, v in base.items() if k != symbol(name)}
        lo, hi, _note, _lp, _hp = common.range_of(tree, name, None, fixed)
        moved = [b * (1 + exact_number(c)) for c in changes]
        used.append(name)
        columns.append([v if lo <= v <= hi else None for v in moved])
    rows: dict[str, list[float]] = {}
    if used:
        k = len(changes)
        n = len(used) * k
        points = {s.name: np.full(n, float(v)) for s, v in base.items()}
        inside = np.zeros(n, dtype=bool)
        for j, (name, moved) in enumerate(zip(used, columns)):
            for c, v in enumerate(moved):
                if v is not None:
                    points[name][j * k + c] = float(v)
                    inside[j * k + c] = True
        sub = {s: v[inside] for s, v in points.items()}
        out = np.full(n, math.nan)
        if inside.any():
            out[inside] = _values(tree, sub, policy)
        for j, name in enumerate(used):
            rows[name] = out[j * k : (j + 1) * k].tolist()
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=[float(c) for c in changes])
    frame.index.name = "parameter"
    frame.columns.name = "relative change"
    return SpiderResult(frame, target, policy=None if policy is None else dict(policy))


# ------------------------------------------------------------------------------ local
def local_sensitivity(
    tree: model.DecisionTree,
    *,
    values: Mapping[str, Any] | None = None,
) -> Any:
    """Exact derivative and elasticity of strategies' values with respect to every parameter.

    Every strategy when the tree has at most :data:`MAX_STRATEGY_LINES`, else
    the optimal one at the base case.  The derivative ``dV/dp`` comes from
    sympy, not finite differences; the elasticity is ``dV/dp * p / V`` (NaN
    where ``V`` is 0).

    Returns
    -------
    pandas.DataFrame
        One row per (strategy, parameter): ``name`` (the strategy's name,
        ``decision=label, ...``; the index keeps its labels joined by commas),
        ``derivative`` (exact), ``value``, ``elasticity`` (float).

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> d = local_sensitivity(korea_talks())
    >>> d.loc[("talks, accept, say no, accept", "p_defect"), "derivative"]
    -130
    """
    tree = common.base_view(tree, None, values)
    import pandas as pd

    base = common.fixed_point(tree, values, [])
    if common.few_strategies(tree):
        funcs = strategy_functions(tree)
    else:
        at = {k.name: v for k, v in base.items()}
        pol = common.reachable(tree, evaluate(tree, at, method="exact", utility=None).policy)
        expr = sympy.expand(evaluate(tree, method="symbolic", policy=pol, utility=None).value)
        funcs = [common.StrategyFunction(common.strategy_name(pol), pol, expr)]
    rows = []
    for f in funcs:
        v = f.expr.xreplace(base)
        for name in tree.parameters:
            d = sympy.diff(f.expr, symbol(name)).xreplace(base)
            p = base[symbol(name)]
            elasticity = float(d * p / v) if v != 0 else math.nan
            rows.append(
                {
                    "strategy": f.name,
                    "parameter": name,
                    "name": common.named(f.policy),
                    "derivative": d,
                    "value": v,
                    "elasticity": elasticity,
                }
            )
    return pd.DataFrame(rows).set_index(["strategy", "parameter"])
