"""The cost-effectiveness frontier of a set of strategies: dominance, ICERs, WTP switches.

:func:`icers` takes strategies with a cost and an effect (floats, exact
rationals or sympy expressions) and returns a :class:`CEAResult`: every
strategy sorted by cost, its status on the efficient frontier, the reason it is
off the frontier, the incremental cost-effectiveness ratios (ICERs) along the
frontier, and the willingness-to-pay values at which the strategy with the
highest net monetary benefit changes.

The rules (those of dampack's ``calculate_icers``, with the reasons added)
---------------------------------------------------------------------------
1. **Order.** Strategies are sorted by cost, ascending; equal costs by effect,
   descending; identical strategies keep their input order.
2. **Strong dominance.** A strategy is ``"dominated"`` when a strategy before it
   in that order is at least as effective: cheaper (or as cheap) and at least
   as effective.  Hence the costlier of two equally effective strategies, the
   less effective of two equally costly ones, and the later of two identical
   ones are dominated.  ``dominated_by`` names the most effective of the
   strategies before it that are not themselves dominated (it dominates it).
3. **Extended dominance.** Among the rest (cost and effect now both strictly
   increasing), a strategy is ``"extended dominated"`` when its ICER from the
   previous strategy is larger than the next strategy's ICER from it: a mix of
   its two neighbours is cheaper for the same effect.  This is repeated until
   no strategy is removed (one pass is not enough: SilverDecisions #200), by a
   single scan that steps back after every removal.  ``dominated_by`` names the
   two neighbours at the time of removal; the strategy lies strictly below the
   segment between them in the cost-effectiveness plane.  Equal ICERs
   (collinear strategies) are kept on the frontier, as in dampack.
4. **ICERs.** Each frontier strategy's incremental cost, effect and ICER are
   against the previous frontier strategy; the first (the cheapest) has none,
   even when it is the only one (dampack #37: no implicit "do nothing").

With ``NMB(λ) = λ·effect − cost``, the frontier strategy with the highest net
benefit changes exactly at the frontier ICERs (Suen & Goldhaber-Fiebert 2016);
dominated and extended-dominated strategies are never strictly optimal.  At a
tie, :meth:`CEAResult.optimal_at` picks the more effective strategy.

Arithmetic
----------
``"float"``: comparisons treat numbers equal within a relative
:data:`TOLERANCE`.  ``"exact"``: rationals (or exact sympy numbers), every
comparison exact, ICERs and thresholds exact.  ``"symbolic"``: costs and
effects are expressions; the order, the dominance and the frontier are decided
at the parameter values given (``at``, the defaults for a tree), and the ICERs
and thresholds are reported as expressions, valid where that order holds.
"""

from __future__ import annotations

import bisect
import dataclasses
import numbers
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy

from ..core.errors import ModelError
from ..core.expressions import exact_number, symbol
from ..core.presenters import Presentable

__all__ = [
    "FRONTIER",
    "DOMINATED",
    "EXTENDED_DOMINATED",
    "TOLERANCE",
    "CEAResult",
    "StrategyCE",
    "WTPSwitch",
    "icers",
]

FRONTIER, DOMINATED, EXTENDED_DOMINATED = "frontier", "dominated", "extended dominated"
#: Relative tolerance under which two float costs, effects or ICER cross products count as equal.
TOLERANCE = 1e-12
METHODS = ("auto", "float", "exact", "symbolic")


@dataclasses.dataclass(frozen=True)
class StrategyCE:
    """One strategy's place in a cost-effectiveness analysis.

    Attributes
    ----------
    name : str
    cost, effect : number or expression
    status : {"frontier", "dominated", "extended dominated"}
    dominated_by : tuple of str
        Empty on the frontier; the dominating strategy for ``"dominated"``; the
        two strategies a mix of which dominates it for ``"extended dominated"``.
    inc_cost, inc_effect, icer : number, expression or None
        Against the previous frontier strategy; ``None`` off the frontier and
        for the first frontier strategy.
    """

    name: str
    cost: Any
    effect: Any
    status: str
    dominated_by: tuple[str, ...] = ()
    inc_cost: Any = None
    inc_effect: Any = None
    icer: Any = None

    @property
    def reason(self) -> str:
        """Why the strategy is where it is, in words."""
        if self.status == FRONTIER:
            return "on the frontier"
        if self.status == DOMINATED:
            return f"dominated by {self.dominated_by[0]} (costs no more, at least as effective)"
        a, b = self.dominated_by
        return f"extended dominated by a mix of {a} and {b}"


@dataclasses.dataclass(frozen=True)
class WTPSwitch:
    """A willingness to pay at which the strategy with the highest net benefit changes.

    ``below`` is optimal just below ``wtp``, ``above`` just above; at ``wtp``
    both tie, with the frontier strategies in ``tied`` between them (collinear).
    """

    wtp: Any
    below: str
    above: str
    tied: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, eq=False)
class CEAResult(Presentable):
    """Result of :func:`icers` (and :func:`evtree.cea.cea`): the frontier and every strategy's status.

    Attributes
    ----------
    strategies : tuple of StrategyCE
        Every strategy, sorted by cost (equal costs: more effective first).
    frontier : tuple of str
        The efficient strategies, cheapest first.
    thresholds : tuple of WTPSwitch
        The willingness-to-pay values at which the optimal strategy changes, increasing.
    method : {"float", "exact", "symbolic"}
        The arithmetic of the numbers.
    note : str
        How the result was obtained (for symbolic results: where it holds).
    cost_name, effect_name : str
        The criteria used as cost and effect.
    wtp : tuple
        Willingness-to-pay values asked for; :meth:`to_frame` adds their net benefits.
    """

    strategies: tuple[StrategyCE, ...]
    frontier: tuple[str, ...]
    thresholds: tuple[WTPSwitch, ...]
    method: str
    note: str = ""
    cost_name: str = "cost"
    effect_name: str = "effect"
    wtp: tuple[Any, ...] = ()
    cost_unit: str = ""
    effect_unit: str = ""
    _frontier_keys: tuple[Any, ...] = dataclasses.field(default=(), repr=False)

    def strategy(self, name: str) -> StrategyCE:
        """Return the record of the strategy called ``name``."""
        for s in self.strategies:
            if s.name == name:
                return s
        raise ModelError(f"no strategy is called {name!r}; strategies: {', '.join(self.names)}")

    @property
    def names(self) -> list[str]:
        """The strategies' names, in cost order."""
        return [s.name for s in self.strategies]

    def status(self, name: str) -> str:
        """Return the status of one strategy."""
        return self.strategy(name).status

    def icer(self, name: str) -> Any:
        """Return the ICER of one strategy (``None`` off the frontier and for the first)."""
        return self.strategy(name).icer

    def net_benefit(self, wtp: Any) -> dict[str, Any]:
        """Net monetary benefit ``wtp * effect - cost`` of every strategy, by name."""
        w = _wtp_value(wtp, self.method)
        return {s.name: w * s.effect - s.cost for s in self.strategies}

    def optimal_at(self, wtp: Any) -> str:
        """Return the strategy with the highest net benefit at ``wtp`` >= 0 (at a tie, the more effective).

        In symbolic arithmetic ``wtp`` must be a number, compared with the
        thresholds at the parameter values the frontier was decided at.
        """
        key = _number_key(wtp)
        if key < 0:
            raise ModelError(f"willingness to pay must be >= 0, got {wtp}", field="wtp")
        keys = self._frontier_keys
        if self.method == "float":
            # a threshold within the tolerance counts as reached
            i = bisect.bisect_right([k * (1 - TOLERANCE) - TOLERANCE for k in keys], key)
        else:
            i = bisect.bisect_right(list(keys), key)
        return self.frontier[i]

    def to_frame(self) -> Any:
        """One row per strategy in cost order: cost, effect, increments, ICER, status, dominated_by."""
        import pandas as pd

        out = _output(self.method)
        rows = []
        for s in self.strategies:
            rows.append(
                {
                    "strategy": s.name,
                    self.cost_name: out(s.cost),
                    self.effect_name: out(s.effect),
                    "inc_" + self.cost_name: out(s.inc_cost),
                    "inc_" + self.effect_name: out(s.inc_effect),
                    "icer": out(s.icer),
                    "status": s.status,
                    "dominated_by": ", ".join(s.dominated_by),
                }
            )
        frame = pd.DataFrame(rows).set_index("strategy")
        for w in self.wtp:
            nb = self.net_benefit(w)
            frame[f"nmb({w})"] = [out(nb[s.name]) for s in self.strategies]
        frame.attrs["method"] = self.method
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready description: the strategies, the frontier and the thresholds."""
        out = _json_number
        data: dict[str, Any] = {
            "method": self.method,
            "cost": self.cost_name,
            "effect": self.effect_name,
            "strategies": [
                {
                    "name": s.name,
                    "cost": out(s.cost),
                    "effect": out(s.effect),
                    "inc_cost": out(s.inc_cost),
                    "inc_effect": out(s.inc_effect),
                    "icer": out(s.icer),
                    "status": s.status,
                    "dominated_by": list(s.dominated_by),
                }
                for s in self.strategies
            ],
            "frontier": list(self.frontier),
            "thresholds": [
                {"wtp": out(t.wtp), "below": t.below, "above": t.above, "tied": list(t.tied)}
                for t in self.thresholds
            ],
        }
        if self.method != "float":
            for s, rec in zip(self.strategies, data["strategies"]):
                rec["exact"] = {k: _exact_text(getattr(s, k)) for k in ("cost", "effect", "icer")}
            for t, rec in zip(self.thresholds, data["thresholds"]):
                rec["exact"] = _exact_text(t.wtp)
        if self.wtp:
            data["wtp"] = []
            for w in self.wtp:
                nb = self.net_benefit(w)
                item = {"wtp": out(w), "net_benefit": {k: out(v) for k, v in nb.items()}}
                if self.method != "symbolic" or not isinstance(w, sympy.Basic) or w.is_number:
                    item["optimal"] = self.optimal_at(w)
                data["wtp"].append(item)
        if self.note:
            data["note"] = self.note
        return data

    def summary(self) -> str:
        """Return a few lines for the terminal: the frontier, the ICERs and why the others are off it."""
        lines = [f"cost-effectiveness ({self.method} arithmetic): {self.cost_name} vs {self.effect_name}"]
        for s in self.strategies:
            icer = "" if s.icer is None else f"  ICER {_text(s.icer)}"
            lines.append(
                f"  {s.name}: {self.cost_name} {_text(s.cost)}, {self.effect_name} "
                f"{_text(s.effect)}  {s.reason}{icer}"
            )
        for t in self.thresholds:
            tied = f" (tied: {', '.join(t.tied)})" if t.tied else ""
            lines.append(f"  at wtp = {_text(t.wtp)}: {t.below} -> {t.above}{tied}")
        for w in self.wtp:
            if self.method == "symbolic" and isinstance(w, sympy.Basic) and not w.is_number:
                continue
            best = self.optimal_at(w)
            lines.append(
                f"  best at wtp = {_text(w)}: {best} (net benefit {_text(self.net_benefit(w)[best])})"
            )
        if self.note:
            lines.append(f"  {self.note}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<CEAResult {self.method}: frontier={list(self.frontier)!r}>"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return f"<p><b>Cost-effectiveness</b> ({self.method})</p>" + self.to_frame().to_html()


# ------------------------------------------------------------------------------ numbers
def _is_symbolic(v: Any) -> bool:
    return isinstance(v, sympy.Basic) and bool(v.free_symbols)


def _is_exact(v: Any) -> bool:
    return isinstance(v, (Fraction, sympy.Basic)) and not isinstance(v, sympy.Float)


def _to_exact(v: Any) -> Any:
    """Return a Fraction for a rational number, else an exact sympy number."""
    if isinstance(v, Fraction):
        return v
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return Fraction(int(v))
    e = exact_number(v)
    if e.is_Rational:
        return Fraction(int(e.p), int(e.q))
    return e


def _number_key(v: Any) -> Any:
    if isinstance(v, (Fraction, float, int)) and not isinstance(v, bool):
        return v
    if isinstance(v, sympy.Basic):
        if v.free_symbols:
            raise ModelError(f"{v} is not a number")
        return _to_exact(v)
    return float(v)


def _wtp_value(w: Any, method: str) -> Any:
    if method == "float":
        return float(w)
    if method == "exact":
        return _to_exact(w)
    return sympy.sympify(w) if isinstance(w, sympy.Basic) else exact_number(w)


def _output(method: str) -> Any:
    if method == "float":
        return lambda v: None if v is None else float(v)
    return lambda v: None if v is None else _sym(v)


def _sym(v: Any) -> Any:
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    return v


def _json_number(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, sympy.Basic) and v.free_symbols:
        return str(v)
    return float(v)


def _exact_text(v: Any) -> Any:
    return None if v is None else str(_sym(v))


def _text(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.10g}"
    v = _sym(v)
    if isinstance(v, sympy.Basic) and v.is_number and not v.is_Integer:
        return f"{v} (≈ {float(v):.10g})"
    return str(v)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE * max(abs(a), abs(b))


def _snap(keys: list[float]) -> list[float]:
    """Replace floats equal within the tolerance by one value (the smallest of each run)."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    out = list(keys)
    for prev, i in zip(order, order[1:]):
        if _close(out[prev], keys[i]):
            out[i] = out[prev]
    return out


# ------------------------------------------------------------------------------ the algorithm
def _read_input(data: Any, cost: Any, effect: Any, names: Any) -> tuple[list[str], list[Any], list[Any]]:
    if data is not None:
        if cost is not None or effect is not None:
            raise ModelError("give either the strategies as one argument, or cost= and effect=")
        if hasattr(data, "columns"):  # a DataFrame with cost and effect columns
            for col in ("cost", "effect"):
                if col not in data.columns:
                    raise ModelError(f"the table has no {col!r} column", field=col)
            names = [str(n) for n in data.index] if names is None else names
            cost, effect = list(data["cost"]), list(data["effect"])
        elif isinstance(data, Mapping):
            names = [str(k) for k in data]
            pairs = list(data.values())
            for n, p in zip(names, pairs):
                if not (isinstance(p, Sequence) and len(p) == 2):
                    raise ModelError(f"strategy {n!r}: expected a (cost, effect) pair, got {p!r}")
            cost, effect = [p[0] for p in pairs], [p[1] for p in pairs]
        else:
            raise ModelError("strategies must be a mapping name -> (cost, effect) or a DataFrame")
    if cost is None or effect is None:
        raise ModelError("both cost and effect are needed")
    cost, effect = list(cost), list(effect)
    if len(cost) != len(effect):  # dampack #149: checked against the right vector
        raise ModelError(
            f"{len(cost)} costs but {len(effect)} effects; give one of each per strategy", field="effect"
        )
    if names is None:
        names = [f"S{i + 1}" for i in range(len(cost))]
    names = [str(n) for n in names]
    if len(names) != len(cost):
        raise ModelError(f"{len(names)} names for {len(cost)} strategies", field="names")
    if not cost:  # dampack #178
        raise ModelError("a cost-effectiveness analysis needs at least one strategy")
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise ModelError(f"strategy {n!r} appears twice", field="names")
        seen.add(n)
    return names, cost, effect


def _method_of(values: list[Any], method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if method != "auto":
        return method
    if any(_is_symbolic(v) for v in values):
        return "symbolic"
    if any(_is_exact(v) for v in values) and not any(isinstance(v, float) for v in values):
        return "exact"
    return "float"


def icers(
    strategies: Any = None,
    *,
    cost: Sequence[Any] | None = None,
    effect: Sequence[Any] | None = None,
    names: Sequence[str] | None = None,
    method: str = "auto",
    at: Mapping[str, Any] | None = None,
    wtp: Sequence[Any] = (),
    cost_name: str = "cost",
    effect_name: str = "effect",
    note: str = "",
    cost_unit: str = "",
    effect_unit: str = "",
) -> CEAResult:
    """Sort strategies by cost, find strong and extended dominance, and the ICERs of the frontier.

    Parameters
    ----------
    strategies : mapping of name to (cost, effect), or DataFrame, optional
        The strategies; or give ``cost``, ``effect`` (and ``names``) instead.
        A DataFrame needs ``cost`` and ``effect`` columns; its index names the strategies.
    cost, effect : sequence
        One cost and one effect per strategy (effect: more is better).
    names : sequence of str, optional
        The strategies' names (default ``S1, S2, ...``).
    method : {"auto", "float", "exact", "symbolic"}, default "auto"
        The arithmetic.  ``"auto"``: symbolic if a value has free symbols,
        exact if the values are exact numbers (Fraction, sympy) and none is a
        float, else float (plain integers alone give float).
    at : mapping of str to number, optional
        Symbolic arithmetic: the parameter values at which the order and the
        dominance are decided (every free symbol needs one).
    wtp : sequence, optional
        Willingness-to-pay values whose net benefits :meth:`CEAResult.to_frame` shows.
    cost_name, effect_name : str
        What cost and effect are called in tables.
    note : str
        Extra text for the result's note.
    cost_unit, effect_unit : str
        Units, for plots and tables (an ICER is in cost unit per effect unit).

    Returns
    -------
    CEAResult

    Raises
    ------
    ModelError
        For no strategies, unequal numbers of costs and effects, duplicate
        names, non-finite values, or symbols without a value in ``at``.

    Examples
    --------
    The HERC example (dampack's test of ``calculate_icers``):

    >>> r = icers(cost=[55000, 35000, 25000, 10000, 12000, 5000], effect=[5, 4, 3, 2, 1.5, 1],
    ...           names=["E", "D", "C", "B", "A", "UC"])
    >>> r.frontier
    ('UC', 'B', 'D', 'E')
    >>> [(s.name, s.status, s.dominated_by) for s in r.strategies if s.status != "frontier"]
    [('A', 'dominated', ('B',)), ('C', 'extended dominated', ('B', 'D'))]
    >>> [t.wtp for t in r.thresholds]
    [5000.0, 12500.0, 20000.0]
    """
    names_, costs, effects = _read_input(strategies, cost, effect, names)
    method = _method_of(costs + effects, method)
    n = len(names_)
    if method == "float":
        try:
            costs = [float(v) for v in costs]
            effects = [float(v) for v in effects]
        except (TypeError, ValueError) as err:
            raise ModelError(f"cost and effect must be numbers: {err}") from None
        for kind, vals in (("cost", costs), ("effect", effects)):
            for nm, v in zip(names_, vals):
                if v != v or v in (float("inf"), float("-inf")):
                    raise ModelError(f"strategy {nm!r}: {kind} {v} is not a finite number", field=kind)
        ckeys, ekeys = _snap(costs), _snap(effects)
    elif method == "exact":
        try:
            costs = [_to_exact(v) for v in costs]
            effects = [_to_exact(v) for v in effects]
        except (TypeError, ValueError) as err:
            raise ModelError(f"cost and effect must be exact numbers: {err}") from None
        for kind, vals in (("cost", costs), ("effect", effects)):
            for nm, v in zip(names_, vals):
                if isinstance(v, sympy.Basic) and (v.free_symbols or not (v.is_real and v.is_finite)):
                    raise ModelError(f"strategy {nm!r}: {kind} {v} is not a finite real number", field=kind)
        ckeys, ekeys = list(costs), list(effects)
    else:
        costs = [sympy.sympify(v) if isinstance(v, sympy.Basic) else exact_number(v) for v in costs]
        effects = [sympy.sympify(v) if isinstance(v, sympy.Basic) else exact_number(v) for v in effects]
        subs = {symbol(k): exact_number(v) for k, v in (at or {}).items()}
        ckeys, ekeys = [], []
        for kind, vals, keys in (("cost", costs, ckeys), ("effect", effects, ekeys)):
            for nm, v in zip(names_, vals):
                k = v.xreplace(subs) if subs else v
                if k.free_symbols:
                    missing = ", ".join(sorted(s.name for s in k.free_symbols))
                    raise ModelError(
                        f"strategy {nm!r}: {kind} {v} needs values for {missing} (give at=)", field=kind
                    )
                if not (k.is_real and k.is_finite):
                    raise ModelError(
                        f"strategy {nm!r}: {kind} {v} is not finite at the values given", field=kind
                    )
                keys.append(_to_exact(k))
        where = ", ".join(f"{k} = {v}" for k, v in (at or {}).items())
        extra = (
            f"order and dominance decided at {where}; the ICERs and thresholds are exact expressions, "
            "valid where that order holds"
        )
        note = f"{note}; {extra}" if note else extra

    tol = method == "float"

    def gt(a: Any, b: Any) -> bool:
        return a > b and not (tol and _close(a, b))

    order = sorted(range(n), key=lambda i: (ckeys[i], -ekeys[i], i))
    status: dict[int, str] = {}
    by: dict[int, tuple[int, ...]] = {}
    # strong dominance: a strategy earlier in the order at least as effective
    undominated: list[int] = []
    best = None
    for i in order:
        if best is not None and not gt(ekeys[i], ekeys[best]):
            status[i], by[i] = DOMINATED, (best,)
        else:
            undominated.append(i)
            best = i
    # extended dominance: one scan, stepping back after every removal
    stack: list[int] = []
    for i in undominated:
        while len(stack) >= 2:
            a, b = stack[-2], stack[-1]
            left = (ckeys[b] - ckeys[a]) * (ekeys[i] - ekeys[b])  # ICER(a->b) > ICER(b->i)
            right = (ckeys[i] - ckeys[b]) * (ekeys[b] - ekeys[a])
            if not gt(left, right):
                break
            stack.pop()
            status[b], by[b] = EXTENDED_DOMINATED, (a, i)
        stack.append(i)

    exact_out = method != "float"

    def div(x: Any, y: Any) -> Any:
        if method == "symbolic":
            return sympy.cancel(x / y)
        return x / y

    records: dict[int, StrategyCE] = {}
    frontier_keys: list[Any] = []
    prev = None
    for i in stack:
        if prev is None:
            records[i] = StrategyCE(
                names_[i], _keep(costs[i], exact_out), _keep(effects[i], exact_out), FRONTIER
            )
        else:
            dc, de = costs[i] - costs[prev], effects[i] - effects[prev]
            if method == "symbolic":
                dc, de = sympy.expand(dc), sympy.expand(de)
            records[i] = StrategyCE(
                names_[i],
                _keep(costs[i], exact_out),
                _keep(effects[i], exact_out),
                FRONTIER,
                (),
                _keep(dc, exact_out),
                _keep(de, exact_out),
                _keep(div(dc, de), exact_out),
            )
            frontier_keys.append((ckeys[i] - ckeys[prev]) / (ekeys[i] - ekeys[prev]))
        prev = i
    for i, st in status.items():
        records[i] = StrategyCE(
            names_[i],
            _keep(costs[i], exact_out),
            _keep(effects[i], exact_out),
            st,
            tuple(names_[j] for j in by[i]),
        )
    if method == "symbolic":
        undecided = _symbolic_ties(order, names_, costs, effects, ckeys, ekeys)
        if undecided:
            note += "; not decided there (equal at those values, different expressions): " + ", ".join(
                undecided
            )
    thresholds: list[WTPSwitch] = []
    j = 1
    while j < len(stack):
        k = j
        same = _close if tol else (lambda u, v: u == v)
        while k + 1 < len(stack) and same(frontier_keys[k], frontier_keys[j - 1]):
            k += 1
        thresholds.append(
            WTPSwitch(
                records[stack[j]].icer,
                names_[stack[j - 1]],
                names_[stack[k]],
                tuple(names_[stack[m]] for m in range(j, k)),
            )
        )
        j = k + 1
    return CEAResult(
        strategies=tuple(records[i] for i in order),
        frontier=tuple(names_[i] for i in stack),
        thresholds=tuple(thresholds),
        method=method,
        note=note,
        cost_name=cost_name,
        effect_name=effect_name,
        wtp=tuple(wtp),
        cost_unit=cost_unit,
        effect_unit=effect_unit,
        _frontier_keys=tuple(frontier_keys),
    )


def _symbolic_ties(
    order: list[int],
    names: list[str],
    costs: list[Any],
    effects: list[Any],
    ckeys: list[Any],
    ekeys: list[Any],
) -> list[str]:
    """Pairs of strategies whose cost or effect tie at the values given but differ as expressions."""
    out = []
    for a, b in zip(order, order[1:]):
        for kind, vals, keys in (("cost", costs, ckeys), ("effect", effects, ekeys)):
            if keys[a] == keys[b] and sympy.expand(vals[a] - vals[b]) != 0:
                out.append(f"{names[a]} and {names[b]} ({kind})")
    return out


def _keep(v: Any, exact: bool) -> Any:
    """Exact numbers are reported as sympy numbers (like :func:`evtree.evaluate`)."""
    return _sym(v) if exact else v
