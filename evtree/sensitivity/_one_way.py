"""One parameter: the exact thresholds where the optimal policy changes, and the one-way sweep."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from ..core import model
from ..core.compile import CHANCE, DECISION, FlatTree
from ..core.evaluate import evaluate
from ..core.presenters import Presentable
from ..core.resources import check_grid
from . import _common as common
from . import _piecewise as pw

__all__ = ["OneWayResult", "Threshold", "ThresholdResult", "one_way", "thresholds"]


# ------------------------------------------------------------------------------ records
@dataclasses.dataclass(frozen=True)
class Threshold:
    """A point where the optimal policy changes.

    Attributes
    ----------
    parameter : str
    value : float
    exact : sympy.Expr or None
        The exact point (rational, radicals, or a ``CRootOf``), when the values
        are polynomials in the parameter; None for a numeric threshold.
    method : {"exact", "brentq"}
    below, above : dict
        The optimal policy (reachable decisions only) just below and just above.
    below_name, above_name : str
        The optimal strategies' labels joined by commas (evtree 0.1's name, kept for
        compatibility); :attr:`below_strategy` and :attr:`above_strategy` give the one
        name evtree gives a strategy, ``decision=label`` pairs of the reached decisions.
    verified : bool
        Whether an independent evaluation of the tree just below and just above
        gave these policies: the float rollback at a relative distance of
        :data:`FLOAT_CHECK_DISTANCE` where no reached decision is near a tie
        there, else exact rationals within about 2**-30.
    decisions : tuple of str
        The decisions whose choice flips here.
    reach : float or None
        Probability, under the optimal policy, of reaching the decisions that
        flip; 0 means the flip changes the policy but not the expected value.
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
    decisions: tuple[str, ...] = ()
    reach: float | None = None

    @property
    def below_strategy(self) -> str:
        """The optimal strategy just below, by name (``decision=label, ...``)."""
        return common.named(self.below)

    @property
    def above_strategy(self) -> str:
        """The optimal strategy just above, by name (``decision=label, ...``)."""
        return common.named(self.above)

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "value": self.value,
            "exact": None if self.exact is None else str(self.exact),
            "method": self.method,
            "below": dict(self.below),
            "above": dict(self.above),
            "below_strategy": self.below_strategy,
            "above_strategy": self.above_strategy,
            "verified": self.verified,
            "decisions": list(self.decisions),
            "reach": self.reach,
        }

    def __str__(self) -> str:
        form = f" = {self.exact}" if self.exact is not None and not self.exact.is_Integer else ""
        below, above = self.below_strategy, self.above_strategy
        if len(below) + len(above) <= 160:
            change = f"{below} below, {above} above"
        else:  # long policies: say what changes
            keys = [k for k in {**self.below, **self.above} if self.below.get(k) != self.above.get(k)]
            moves = [f"{k}: {self.below.get(k, '-')} -> {self.above.get(k, '-')}" for k in keys]
            change = "; ".join(moves[:6]) + ("; ..." if len(moves) > 6 else "")
        text = f"{self.parameter} = {self.value:.6g}{form} ({self.method}): {change}"
        if self.reach == 0:
            text += (
                f" [{', '.join(self.decisions)} reached with probability 0 here: the value does not change]"
            )
        if not self.verified:
            text += " [NOT VERIFIED: re-evaluating the tree on either side disagrees]"
        return text


@dataclasses.dataclass(frozen=True, eq=False)
class ThresholdResult:
    """Every threshold of one parameter within a range.

    ``optimal_at_low`` is the optimal strategy's labels joined by commas (kept for
    compatibility); :attr:`strategy_at_low` is its name, ``decision=label, ...``.
    """

    parameter: str
    range: tuple[Any, Any]
    thresholds: tuple[Threshold, ...]
    optimal_at_low: str
    note: str = ""
    policy_at_low: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def strategy_at_low(self) -> str:
        """The strategy optimal at the low end of the range, by name (``decision=label, ...``)."""
        if self.thresholds:
            return self.thresholds[0].below_strategy
        return common.named(self.policy_at_low) if self.policy_at_low else self.optimal_at_low

    @property
    def method(self) -> str:
        methods = sorted({t.method for t in self.thresholds})
        return ", ".join(methods) if methods else "exact"

    @property
    def verified(self) -> bool:
        """Whether every threshold was verified."""
        return all(t.verified for t in self.thresholds)

    def __iter__(self):
        return iter(self.thresholds)

    def __len__(self) -> int:
        return len(self.thresholds)

    def to_frame(self) -> Any:
        import pandas as pd

        rows = [t.to_dict() for t in self.thresholds]
        return pd.DataFrame(
            rows,
            columns=[
                "parameter",
                "value",
                "exact",
                "method",
                "below_strategy",
                "above_strategy",
                "verified",
                "decisions",
                "reach",
            ],
        )

    def summary(self) -> str:
        lo, hi = self.range
        if not self.thresholds:
            return f"{self.parameter} in [{lo}, {hi}]: {self.strategy_at_low} is optimal throughout"
        lines = [f"{self.parameter} in [{lo}, {hi}]: {len(self.thresholds)} threshold(s)"]
        failed = sum(not t.verified for t in self.thresholds)
        if failed:
            lines[0] += f", {failed} NOT VERIFIED"
        lines += [f"  {t}" for t in self.thresholds]
        return "\n".join(lines)

    def _summary_html(self) -> str:
        from html import escape

        return "<pre>" + escape(self.summary()) + "</pre>"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self._summary_html()


# ------------------------------------------------------------------------------ exact engine
def _ancestors(flat: FlatTree) -> dict[int, list[tuple[int, int]]]:
    """For each decision, its decision ancestors and the offset of the child on the path."""
    out: dict[int, list[tuple[int, int]]] = {}
    parent, kind, first = flat.parent, flat.kind, flat.first_child
    for d in flat.decision_indices:
        path = []
        i = int(d)
        while i > 0:
            p = int(parent[i])
            if kind[p] == DECISION:
                path.append((p, i - int(first[p])))
            i = p
        out[int(d)] = path
    return out


def _path_probability(flat: FlatTree, probs: list[Any], d: int) -> Any:
    import flint

    total = flint.fmpq_poly([1])
    i = d
    while i > 0:
        p = int(flat.parent[i])
        if flat.kind[p] == CHANCE:
            total = total * probs[i]
        i = p
    return total


def _exact_thresholds(
    tree: model.DecisionTree,
    name: str,
    fixed: Mapping[sympy.Symbol, Any],
    lo_pt: pw.Point,
    hi_pt: pw.Point,
    lo: Any,
    hi: Any,
) -> ThresholdResult:
    flat = common.compiled(tree)
    others = common.by_name(fixed)
    probs = pw.probability_polynomials(flat, name, others)
    outcome = pw.outcome_polynomials(flat, name, others)
    rolled = pw.piecewise_rollback(flat, probs, outcome, lo_pt, hi_pt, tree.objective)
    choices = rolled.choices
    flips: dict[pw.Point, list[int]] = {}
    for d, (breaks, _opts) in choices.items():
        for b in breaks:
            flips.setdefault(b, []).append(d)
    ancestors = _ancestors(flat)

    def reachable_at(d: int, t: pw.Point, side: int) -> bool:
        return all(pw.choice_on(choices[a], t, side) == c for a, c in ancestors[d])

    def policy_at(t: pw.Point, side: int) -> dict[str, str]:
        return common.reachable_policy(flat, lambda i: pw.choice_on(choices[i], t, side))

    found: list[tuple[pw.Point, dict, dict, list[int]]] = []
    for t in sorted(flips):
        flipping = [d for d in flips[t] if reachable_at(d, t, -1) or reachable_at(d, t, 1)]
        if not flipping:
            continue
        below, above = policy_at(t, -1), policy_at(t, 1)
        if below == above:  # pragma: no cover - a reachable flip changes the policy
            continue
        found.append((t, below, above, flipping))
    edges = [lo_pt, *[f[0] for f in found], hi_pt]
    float_ok = _float_checks(tree, name, fixed, edges, found, rolled.values)
    out = []
    for k, (t, below, above, flipping) in enumerate(found):
        verified = float_ok[k] or _verify(tree, name, others, t, edges[k], edges[k + 2], below, above)
        reach_poly = None
        for d in flipping:
            path = _path_probability(flat, probs, d)
            reach_poly = path if reach_poly is None else reach_poly + path
        reach = _value_float(reach_poly, t)
        keys = tuple(flat.nodes[d].key for d in sorted(flipping))
        out.append(
            Threshold(
                name,
                float(t),
                t.to_sympy(),
                "exact",
                below,
                above,
                common.strategy_name(below),
                common.strategy_name(above),
                verified,
                keys,
                reach,
            )
        )
    first = policy_at(lo_pt, 1)
    return ThresholdResult(name, (lo, hi), tuple(out), common.strategy_name(first), policy_at_low=first)


def _value_float(poly: Any, t: pw.Point) -> float:
    if t.q is not None:
        v = poly(t.q)
        return int(v.p) / int(v.q)
    lo, hi = t.bounds()
    a, b = poly(lo), poly(hi)
    return (int(a.p) / int(a.q) + int(b.p) / int(b.q)) / 2


def _near(t: pw.Point, neighbour: pw.Point, side: int) -> Any:
    """Return a rational point between ``t`` and ``neighbour``, within about 2**-30 of ``t``."""
    import flint

    lo, hi = t.bounds()
    scale = max(flint.fmpq(1), abs(lo))
    delta = scale / flint.fmpq(2**30)
    target = pw.rational(lo - delta) if side < 0 else pw.rational(hi + delta)
    if side < 0:
        edge = target if neighbour < target else neighbour
        return pw.sample_between(edge, t)
    edge = target if target < neighbour else neighbour
    return pw.sample_between(t, edge)


#: The float check looks this far (relative) on either side of a threshold.
FLOAT_CHECK_DISTANCE = 1e-6


def _float_checks(
    tree: model.DecisionTree,
    name: str,
    fixed: Mapping[sympy.Symbol, Any],
    edges: list[pw.Point],
    found: list[tuple[pw.Point, dict, dict, list[int]]],
    values: list[pw.Piecewise1D],
) -> list[bool]:
    """Check every threshold at once with the float rollback, just below and just above it.

    A threshold passes when, at both points, the reachable optimal policy is the
    one reported and no reached decision is within the float tie tolerance
    (unless its tied options are identical functions, where both rollbacks take
    the first); the others are checked in exact rationals (:func:`_verify`).
    """
    if not found:
        return []
    from ..core.compile import DECISION

    points, usable = [], []
    for k, (t, _b, _a, _f) in enumerate(found):
        x = float(t)
        gap = min(x - float(edges[k]), float(edges[k + 2]) - x)
        delta = min(FLOAT_CHECK_DISTANCE * max(1.0, abs(x)), gap / 3)
        usable.append(delta > 1e-12 * max(1.0, abs(x)))
        points += [x - delta, x + delta]
    flat = common.compiled(tree)
    try:
        r = common.evaluate_float(tree, {**common.float_point(fixed), name: np.array(points)})
        codes, policies = common.policy_codes(flat, r)
        optimal = np.asarray(r._optimal)
    except Exception:  # noqa: BLE001 - left to the exact check
        return [False] * len(found)
    tied = {}
    for d in np.flatnonzero(flat.kind == DECISION):
        a, n = int(flat.first_child[d]), int(flat.n_children[d])
        block = optimal[a : a + n]
        near = block.sum(axis=0) > 1
        for j in np.flatnonzero(near):
            options = [values[a + c] for c in np.flatnonzero(block[:, j])]
            if all(o.breaks == options[0].breaks and o.polys == options[0].polys for o in options):
                near[j] = False  # an exact tie: both rollbacks take the first option
        tied[flat.nodes[d].key] = near
    out = []
    for k, (_t, below, above, _f) in enumerate(found):
        ok = usable[k]
        for j, expected in ((2 * k, below), (2 * k + 1, above)):
            policy = policies[codes[j]]
            ok = ok and policy == expected and not any(tied[key][j] for key in policy)
        out.append(bool(ok))
    return out


def _verify(
    tree: model.DecisionTree,
    name: str,
    others: Mapping[str, Any],
    t: pw.Point,
    prev: pw.Point,
    nxt: pw.Point,
    below: Mapping[str, str],
    above: Mapping[str, str],
) -> bool:
    """Evaluate the tree in exact rationals just below and just above ``t``."""
    for side, expected in ((-1, below), (1, above)):
        q = _near(t, prev if side < 0 else nxt, side)
        at = {**others, name: sympy.Rational(int(q.p), int(q.q))}
        try:
            r = evaluate(tree, at, method="exact", utility=None)
        except Exception:  # noqa: BLE001 - a failed check is reported, not raised
            return False
        if common.reachable(tree, r.policy) != dict(expected):
            return False
    return True


# ------------------------------------------------------------------------------ numeric engine
def _numeric_thresholds(
    tree: model.DecisionTree, name: str, fixed: Mapping[sympy.Symbol, Any], lo: Any, hi: Any, n: int = 2001
) -> ThresholdResult:
    """Thresholds when some value is not a polynomial in the parameter: grid scan, then brentq."""
    from scipy.optimize import brentq

    flat = common.compiled(tree)
    others = common.float_point(fixed)
    xs = np.linspace(float(lo), float(hi), n)
    r = common.evaluate_float(tree, {**others, name: xs})
    codes, policies = common.policy_codes(flat, r)
    choice = np.asarray(r._choice)
    out = []
    for i in np.flatnonzero(codes[:-1] != codes[1:]):
        below, above = policies[codes[i]], policies[codes[i + 1]]
        changed = [
            int(d)
            for d in flat.decision_indices
            if choice[d, i] != choice[d, i + 1] and (flat.nodes[d].key in below or flat.nodes[d].key in above)
        ]
        d = changed[0] if changed else int(flat.decision_indices[0])
        key = flat.nodes[d].key
        left, right = int(choice[d, i]), int(choice[d, i + 1])

        def gap(x: float, key: str = key, left: int = left, right: int = right) -> float:
            ov = common.evaluate_float(tree, {**others, name: x}).option_values[key]
            return float(ov[flat.nodes[left].label]) - float(ov[flat.nodes[right].label])

        try:
            t = brentq(gap, xs[i], xs[i + 1], xtol=1e-14, rtol=1e-14)
        except ValueError:
            t = (xs[i] + xs[i + 1]) / 2
        delta = max(1e-7, 1e-7 * abs(t))
        ok = (
            common.reachable(tree, common.evaluate_float(tree, {**others, name: t - delta}).policy) == below
            and common.reachable(tree, common.evaluate_float(tree, {**others, name: t + delta}).policy)
            == above
        )
        out.append(
            Threshold(
                name,
                float(t),
                None,
                "brentq",
                below,
                above,
                common.strategy_name(below),
                common.strategy_name(above),
                ok,
                tuple(flat.nodes[c].key for c in changed),
                None,
            )
        )
    return ThresholdResult(
        name,
        (lo, hi),
        tuple(out),
        common.strategy_name(policies[codes[0]]),
        policy_at_low=dict(policies[codes[0]]),
    )


def _closed_form_roots(diff: sympy.Expr, x: sympy.Symbol, lo: Any, hi: Any) -> list[Any] | None:
    """Return the roots of ``diff`` in ``(lo, hi)`` (numerator of degree <= 2), else None."""
    diff = sympy.together(diff)
    if diff == 0 or x not in diff.free_symbols:
        return []
    num, _den = sympy.fraction(diff)
    if not num.is_polynomial(x):
        return None
    poly = sympy.Poly(num, x)
    if poly.degree() > 2:
        return None
    roots = [r for r in sympy.roots(poly, filter="R") if r.is_real]
    return sorted((r for r in roots if bool(lo < r) and bool(r < hi)), key=float)


def _pairwise_thresholds(
    tree: model.DecisionTree, name: str, fixed: Mapping[sympy.Symbol, Any], lo: Any, hi: Any
) -> ThresholdResult | None:
    """Crossings of the strategies' closed-form values, for small trees whose values are not polynomials.

    Returns None when a crossing has no closed form of degree at most 2 (then
    the numeric scan takes over).
    """
    from ._bars import strategy_functions

    x = sympy.Symbol(name, real=True)
    exprs = [sympy.expand(f.expr.xreplace(fixed)) for f in strategy_functions(tree)]
    candidates: dict[float, Any] = {}
    for i in range(len(exprs)):
        for j in range(i + 1, len(exprs)):
            found = _closed_form_roots(exprs[i] - exprs[j], x, lo, hi)
            if found is None:
                return None
            for r in found:
                candidates.setdefault(round(float(r), 12), r)
    flat = common.compiled(tree)
    others = common.by_name(fixed)
    points = sorted(candidates)
    edges = [float(lo), *points, float(hi)]
    mids = np.array([(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])])
    r = common.evaluate_float(tree, {**common.float_point(fixed), name: mids})
    codes, policies = common.policy_codes(flat, r)
    out = []
    for k, t in enumerate(points):
        below, above = policies[codes[k]], policies[codes[k + 1]]
        if below == above:
            continue
        exact = candidates[t]
        delta = sympy.Rational(1, 2**30) * max(1, abs(sympy.Rational(t)))
        ok = True
        for q, expected in ((sympy.Rational(t) - delta, below), (sympy.Rational(t) + delta, above)):
            try:
                got = evaluate(tree, {**others, name: q}, method="exact", utility=None).policy
            except Exception:  # noqa: BLE001 - a failed check is reported, not raised
                ok = False
                break
            ok = ok and common.reachable(tree, got) == expected
        out.append(
            Threshold(
                name,
                float(exact),
                exact,
                "exact",
                below,
                above,
                common.strategy_name(below),
                common.strategy_name(above),
                ok,
            )
        )
    return ThresholdResult(
        name,
        (lo, hi),
        tuple(out),
        common.strategy_name(policies[codes[0]]),
        policy_at_low=dict(policies[codes[0]]),
    )


def _thresholds_in(
    tree: model.DecisionTree,
    name: str,
    fixed: Mapping[sympy.Symbol, Any],
    lo: Any,
    hi: Any,
    lo_pt: pw.Point | None,
    hi_pt: pw.Point | None,
) -> ThresholdResult:
    if lo_pt is not None and hi_pt is not None:
        try:
            return _exact_thresholds(tree, name, fixed, lo_pt, hi_pt, lo, hi)
        except pw.NotPolynomial:
            pass
    if common.few_strategies(tree):
        found = _pairwise_thresholds(tree, name, fixed, lo, hi)
        if found is not None:
            return found
    return _numeric_thresholds(tree, name, fixed, lo, hi)


def thresholds(
    tree: model.DecisionTree,
    parameter: str,
    *,
    range: Sequence[Any] | None = None,  # noqa: A002 - the issue's name
    values: Mapping[str, Any] | None = None,
    probability_mode: str = "auto",
) -> ThresholdResult:
    """Return every point in the range where the optimal policy changes.

    Where every probability and payoff is a polynomial in the parameter (the
    others fixed), each node's value is rolled back exactly as a piecewise
    polynomial of it: sums at chance nodes, upper envelopes at decisions, the
    envelopes' breakpoints isolated exactly as real roots (python-flint).  A
    threshold is a breakpoint of the choice at a decision that is reached
    (structurally: a decision under a zero-probability branch counts, and its
    ``reach`` says so).  No strategy is listed, so the tree may have any number
    of them.  Otherwise the optimal policy is scanned on a grid and each
    change located by scipy's ``brentq``.  Each threshold is verified by
    evaluating the tree just below and just above it (in exact rationals for
    exact thresholds); a failed verification shows in the summary, the table
    and the JSON.

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
    tree = common.base_view(tree, [parameter], values)
    common.check_utility(tree)
    work, adjust = common.adjusted(tree, parameter, probability_mode)
    fixed = common.fixed_point(work, values, [parameter])
    lo, hi, clip, lo_pt, hi_pt = common.range_of(work, parameter, range, fixed)
    result = _thresholds_in(work, parameter, fixed, lo, hi, lo_pt, hi_pt)
    note = "; ".join(x for x in (clip, adjust) if x)
    return dataclasses.replace(result, note=note)


# ------------------------------------------------------------------------------ one-way
@dataclasses.dataclass(frozen=True, eq=False)
class OneWayResult(Presentable):
    """Values of the strategies as one parameter varies.

    Attributes
    ----------
    parameter : str
    frame : pandas.DataFrame
        One row per point: the parameter, each listed strategy's value,
        ``value`` (the optimum) and ``optimal`` (the optimal strategy's name).
        Every strategy is listed when the tree has at most
        :data:`MAX_STRATEGY_LINES`; otherwise those optimal somewhere in the range.
    thresholds : ThresholdResult
        The exact points where the optimal policy changes, within the range.
    range : tuple
        The range swept, exact.
    note : str
        Clipping and probability adjustments made.
    method : str
    strategy_names : dict
        Each name ``frame`` uses (a strategy's labels joined by commas, kept for
        compatibility) mapped to the strategy's name, ``decision=label, ...``;
        :meth:`to_frame` names strategies that way.
    """

    parameter: str
    frame: Any
    thresholds: ThresholdResult
    range: tuple[Any, Any]
    note: str
    method: str = "float rollback on the grid; thresholds by exact piecewise rollback"
    strategy_names: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def strategies(self) -> list[str]:
        return [c for c in self.frame.columns if c not in (self.parameter, "value", "optimal")]

    def to_frame(self) -> Any:
        """Return the sweep with strategies named ``decision=label, ...`` (columns and ``optimal``)."""
        names = dict(self.strategy_names)
        if not names:
            return self.frame
        frame = self.frame.rename(columns={c: names[c] for c in self.strategies if c in names})
        frame["optimal"] = [names.get(v, v) for v in self.frame["optimal"]]
        return frame

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        head = f"<p><b>One-way sensitivity to {self.parameter}</b> over [{self.range[0]}, {self.range[1]}]"
        head += f" ({self.note})</p>" if self.note else "</p>"
        return (
            head
            + self.thresholds._summary_html()
            + self.to_frame().iloc[:: max(1, len(self.frame) // 10)].to_html()
        )


def one_way(
    tree: model.DecisionTree,
    parameter: str,
    *,
    range: Sequence[Any] | None = None,  # noqa: A002 - the issue's name
    points: int = 101,
    values: Mapping[str, Any] | None = None,
    probability_mode: str = "auto",
    reference: Any = None,
) -> OneWayResult:
    """Vary one parameter over its bounds (or ``range``) and value the strategies.

    The sweep is the float rollback, vectorised over the points; the
    thresholds are exact (see :func:`thresholds`).

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
    reference : str or mapping, optional
        A strategy (by name or policy): every strategy's column and ``value`` are
        then *incremental*, minus the reference strategy's value at the same point.
        On :func:`evtree.cea.net_benefit_tree` that is the incremental net benefit.

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
    check_grid(tree, points, "a one-way sweep")
    tree = common.base_view(tree, [parameter], values)
    import pandas as pd

    common.check_utility(tree)
    if points < 2:
        raise ValueError("points must be at least 2")
    work, adjust = common.adjusted(tree, parameter, probability_mode)
    fixed = common.fixed_point(work, values, [parameter])
    lo, hi, clip, lo_pt, hi_pt = common.range_of(work, parameter, range, fixed)
    found = _thresholds_in(work, parameter, fixed, lo, hi, lo_pt, hi_pt)
    grid = np.linspace(float(lo), float(hi), points)
    others = common.float_point(fixed)
    at = {**others, parameter: grid}
    result = common.evaluate_float(work, at)
    codes, policies = common.policy_codes(common.compiled(work), result)
    frame = pd.DataFrame({parameter: grid})
    if common.few_strategies(work):
        listed = list(common.listed_strategies(work))
    else:
        listed = [dict(found.thresholds[0].below)] if found.thresholds else [policies[codes[0]]]
        listed += [dict(t.above) for t in found.thresholds]
    seen = set()
    for pol in listed:
        name = common.strategy_name(pol)
        if name in seen:
            continue
        seen.add(name)
        value = common.evaluate_float(work, at, policy=pol).value
        frame[name] = np.broadcast_to(np.asarray(value, dtype=float), grid.shape)
    frame["value"] = np.broadcast_to(np.asarray(result.value, dtype=float), grid.shape)
    incremental = ""
    if reference is not None:
        from ._bars import _reference

        _ref, ref_policy = _reference(work, reference)
        base = np.broadcast_to(
            np.asarray(common.evaluate_float(work, at, policy=ref_policy).value, dtype=float), grid.shape
        )
        for column in [c for c in frame.columns if c != parameter]:
            frame[column] = frame[column] - base
        incremental = f"values are incremental: minus the value of {common.named(ref_policy)}"
    names = [common.strategy_name(p) for p in policies]
    frame["optimal"] = [names[c] for c in codes]
    note = "; ".join(x for x in (clip, adjust, incremental) if x)
    strategy_names = {**common.names_of(listed), **common.names_of(policies)}
    return OneWayResult(parameter, frame, found, (lo, hi), note, strategy_names=strategy_names)
