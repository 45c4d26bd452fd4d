"""Risk profiles of strategies and stochastic dominance between them.

    risk_profile   the distribution of final outcomes under a strategy -> RiskProfile
    dominance      first- and second-order stochastic dominance between two profiles -> Dominance
    RiskProfile    outcomes and probabilities, with mean, variance, percentiles, CDF
    Dominance      the frozen result of a dominance check

A *strategy* is given as a policy: decision name to branch label.  Decisions it
does not fix are chosen optimally (maximising expected utility when the tree or
the call gives a utility).  Profiles are computed in float or exact arithmetic.

Examples
--------
>>> from evtree.library import texaco_pennzoil
>>> best = risk_profile(texaco_pennzoil(), method="exact")
>>> best.to_frame()["probability"].tolist()
[249/1000, 117/200, 83/500]
>>> accept3 = risk_profile(texaco_pennzoil(), {"liedtke_on_3": "accept 3"}, method="exact")
>>> dominance(best, accept3).second_order, dominance(best, accept3).first_order
(False, False)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from .core import model
from .core.errors import EvaluationError
from .core.evaluate import evaluate, parse_strategy
from .core.presenters import Presentable
from .core.utility import Utility

__all__ = ["Dominance", "RiskProfile", "dominance", "risk_profile"]

#: Float tolerance when comparing cumulative probabilities.
TOLERANCE = 1e-12


def _exact(v: Any) -> Any:
    return sympy.nsimplify(v) if isinstance(v, sympy.Float) else v


@dataclasses.dataclass(frozen=True, eq=False)
class RiskProfile(Presentable):
    """The distribution of final outcomes under one strategy.

    Attributes
    ----------
    name : str
        The strategy's name: its fixed choices, or ``"optimal"``.
    policy : dict
        The choice at every decision node reached with positive probability.
    outcomes : tuple
        The distinct outcomes, increasing.
    probabilities : tuple
        Their probabilities (exact in exact arithmetic).
    method : {"float", "exact"}
        The arithmetic.
    objective : {"max", "min"}
        Whether larger (``"max"``) or smaller outcomes are better.
    utility : Utility or None
        The utility the strategy's free decisions maximised.
    certainty_equivalent : number or None
        The certainty equivalent under the utility (``None`` when risk neutral).
    """

    name: str
    policy: Mapping[str, str]
    outcomes: tuple[Any, ...]
    probabilities: tuple[Any, ...]
    method: str
    objective: str = "max"
    utility: Utility | None = None
    certainty_equivalent: Any = None

    @property
    def exact(self) -> bool:
        return self.method != "float"

    def _arr(self, values: Sequence[Any]) -> np.ndarray:
        return np.array(values, dtype=object if self.exact else float)

    @property
    def mean(self) -> Any:
        """The expected outcome."""
        return _exact(
            sum((p * x for x, p in zip(self.outcomes, self.probabilities)), 0 * self.probabilities[0])
        )

    @property
    def variance(self) -> Any:
        """The variance of the outcome."""
        m = self.mean
        return _exact(sum((p * (x - m) ** 2 for x, p in zip(self.outcomes, self.probabilities)), 0 * m))

    @property
    def std(self) -> Any:
        """The standard deviation (exact square root in exact arithmetic)."""
        v = self.variance
        return sympy.sqrt(v) if self.exact else math.sqrt(v)

    @property
    def cumulative(self) -> tuple[Any, ...]:
        """``P(outcome <= x)`` at each outcome."""
        out, total = [], 0 * self.probabilities[0]
        for p in self.probabilities:
            total = total + p
            out.append(total)
        return tuple(out)

    def cdf(self, x: Any) -> Any:
        """``P(outcome <= x)``."""
        total = 0 * self.probabilities[0]
        for o, p in zip(self.outcomes, self.probabilities):
            if o <= x:
                total = total + p
        return total

    def percentile(self, q: float) -> Any:
        """Return the ``q``-th percentile (0-100): the least ``x`` with ``P(outcome <= x) >= q/100``.

        Examples
        --------
        >>> from evtree.library import texaco_pennzoil
        >>> p = risk_profile(texaco_pennzoil())
        >>> p.percentile(10), p.percentile(50), p.percentile(90)
        (0.0, 5.0, 10.3)
        """
        if not 0 <= q <= 100:
            raise ValueError(f"a percentile lies in [0, 100], got {q}")
        level = sympy.Rational(str(q)) / 100 if self.exact else q / 100
        tol = 0 if self.exact else TOLERANCE
        for o, c in zip(self.outcomes, self.cumulative):
            if c >= level - tol:
                return o
        return self.outcomes[-1]

    def percentiles(self, qs: Sequence[float] = (5, 25, 50, 75, 95)) -> dict[float, Any]:
        """Several percentiles at once."""
        return {q: self.percentile(q) for q in qs}

    def statistics(self, qs: Sequence[float] = (5, 25, 50, 75, 95)) -> dict[str, Any]:
        """Mean, variance, standard deviation, min, max, percentiles (and the CE under a utility)."""
        stats: dict[str, Any] = {
            "mean": self.mean,
            "variance": self.variance,
            "std": self.std,
            "min": self.outcomes[0],
            "max": self.outcomes[-1],
        }
        stats.update({f"p{q:g}": v for q, v in self.percentiles(qs).items()})
        if self.certainty_equivalent is not None:
            stats["certainty_equivalent"] = self.certainty_equivalent
        return stats

    def to_frame(self) -> Any:
        """One row per distinct outcome: ``outcome``, ``probability``, ``cumulative``."""
        import pandas as pd

        frame = pd.DataFrame(
            {
                "outcome": list(self.outcomes),
                "probability": list(self.probabilities),
                "cumulative": list(self.cumulative),
            }
        )
        frame.attrs["strategy"] = self.name
        frame.attrs["method"] = self.method
        return frame

    def __repr__(self) -> str:
        return f"<RiskProfile {self.name!r} {self.method}: {len(self.outcomes)} outcomes, mean={self.mean!r}>"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return f"<p><b>{self.name}</b> ({self.method}), mean {self.mean}</p>" + self.to_frame().to_html()


def _name(policy: Mapping[str, str] | None) -> str:
    if not policy:
        return "optimal"
    return ", ".join(f"{k}={v}" for k, v in policy.items())


def risk_profile(
    tree: model.DecisionTree,
    policy: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    *,
    method: str = "float",
    utility: Any = "tree",
    name: str | None = None,
) -> RiskProfile:
    """Return the distribution of final outcomes under a strategy.

    Parameters
    ----------
    tree : DecisionTree
        The tree.
    policy : mapping of decision name to branch label, or a strategy's name, optional
        Choices to fix; the other decisions are made optimally (a name is
        ``"decision=label, ..."``, see :func:`evtree.core.evaluate.parse_strategy`).  ``None``: the
        optimal strategy.
    values : mapping, optional
        Parameter values overriding the defaults (one point).
    method : {"float", "exact"}, default "float"
        The arithmetic.
    utility : "tree", None, mapping or Utility, default "tree"
        The utility the free decisions maximise.
    name : str, optional
        A name for the strategy (default: its fixed choices, or ``"optimal"``).

    Returns
    -------
    RiskProfile

    Raises
    ------
    EvaluationError
        In symbolic arithmetic, or with arrays of parameter values.
    UnknownNameError
        If the policy names an unknown decision or branch.
    """
    if method not in ("float", "exact"):
        raise EvaluationError(f"a risk profile needs numbers: use method 'float' or 'exact', not {method!r}")
    if isinstance(policy, str):  # a strategy's name, "decision=label, ..." (issue 18)
        policy = parse_strategy(tree, policy)
    result = evaluate(tree, values, method=method, policy=policy, utility=utility)
    frame = result.risk_profile
    totals: dict[Any, Any] = {}
    for o, p in zip(frame["outcome"], frame["probability"]):
        totals[o] = totals.get(o, 0) + p
    if method == "exact":
        totals = {_exact(o): _exact(p) for o, p in totals.items()}
    order = sorted(totals)
    reached = {}
    for node in tree.decision_nodes:
        if result.reach_probability(node) != 0:
            reached[node.key] = result.policy[node.key]
    return RiskProfile(
        name=name if name is not None else _name(policy),
        policy=reached,
        outcomes=tuple(order),
        probabilities=tuple(totals[o] for o in order),
        method=method,
        objective=tree.objective,
        utility=result.utility,
        certainty_equivalent=result.value if result.utility is not None else None,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class Dominance:
    """Stochastic dominance between two risk profiles ``a`` and ``b``.

    Attributes
    ----------
    a, b : str
        The strategies' names.
    first_order : bool
        ``a`` dominates ``b`` to first order: ``P_a(X <= x) <= P_b(X <= x)`` for
        every ``x``, strictly for some (``>=`` and reversed roles when smaller
        outcomes are better).
    second_order : bool
        ``a`` dominates ``b`` to second order: ``∫ F_a <= ∫ F_b`` up to every
        ``x``, strictly for some; every risk-averse decision maker prefers ``a``.
    reverse_first_order, reverse_second_order : bool
        The same with the roles of ``a`` and ``b`` exchanged.
    identical : bool
        Whether the two distributions are the same.
    method : {"float", "exact"}
        The arithmetic of the comparison.
    """

    a: str
    b: str
    first_order: bool
    second_order: bool
    reverse_first_order: bool
    reverse_second_order: bool
    identical: bool
    method: str

    @property
    def verdict(self) -> str:
        """One sentence summarising the comparison."""
        if self.identical:
            return f"{self.a!r} and {self.b!r} have the same distribution"
        for order, fwd, rev in (
            ("first", self.first_order, self.reverse_first_order),
            ("second", self.second_order, self.reverse_second_order),
        ):
            if fwd:
                return f"{self.a!r} dominates {self.b!r} to {order} order"
            if rev:
                return f"{self.b!r} dominates {self.a!r} to {order} order"
        return f"neither {self.a!r} nor {self.b!r} dominates the other"

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "dominant": self.a,
                    "dominated": self.b,
                    "first_order": self.first_order,
                    "second_order": self.second_order,
                },
                {
                    "dominant": self.b,
                    "dominated": self.a,
                    "first_order": self.reverse_first_order,
                    "second_order": self.reverse_second_order,
                },
            ]
        )

    def __repr__(self) -> str:
        return f"<Dominance: {self.verdict}>"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return f"<p>{self.verdict}</p>" + self.to_frame().to_html()


def _cdf_and_integral(
    points: list[Any], outcomes: Sequence[Any], probs: Sequence[Any], zero: Any
) -> tuple[list[Any], list[Any]]:
    """``F(x)`` and ``∫_{-inf}^{x} F(t) dt`` at each of the increasing ``points``, in one sweep.

    ``outcomes`` are increasing.  ``F`` is a right-continuous step function, so
    between two points its integral grows by ``F(previous) * (x - previous)``:
    linear time, however many outcomes (a wide tree's profile has one per terminal).
    """
    cdf: list[Any] = []
    integral: list[Any] = []
    i, n = 0, len(outcomes)
    f = g = zero
    previous = None
    for x in points:
        if previous is not None:
            g = g + f * (x - previous)
        while i < n and outcomes[i] <= x:
            f = f + probs[i]
            i += 1
        cdf.append(f)
        integral.append(g)
        previous = x
    return cdf, integral


def dominance(a: RiskProfile, b: RiskProfile) -> Dominance:
    """Check first- and second-order stochastic dominance between two risk profiles.

    Both conditions are checked at every outcome of either profile: the CDFs
    are step functions and their integrals piecewise linear with breaks there,
    so that suffices.  Exact profiles are compared exactly; float ones with a
    tolerance of :data:`TOLERANCE`.  When smaller outcomes are better (objective
    ``"min"``), outcomes are negated first.

    Examples
    --------
    A sure 5 against an even chance of 0 or 10: neither dominates to first
    order, and the sure amount dominates to second order.

    >>> sure = RiskProfile("sure", {}, (5,), (1,), "exact")
    >>> gamble = RiskProfile("gamble", {}, (0, 10), (sympy.Rational(1, 2), sympy.Rational(1, 2)), "exact")
    >>> d = dominance(sure, gamble)
    >>> d.first_order, d.second_order, d.reverse_second_order
    (False, True, False)
    """
    if a.objective != b.objective:
        raise EvaluationError("the two profiles come from trees with different objectives")
    exact = a.exact and b.exact
    tol = 0 if exact else TOLERANCE
    sign = 1 if a.objective == "max" else -1

    def prep(p: RiskProfile) -> tuple[list[Any], list[Any]]:
        pairs = sorted(zip((sign * o for o in p.outcomes), p.probabilities), key=lambda t: t[0])
        if not exact:
            pairs = [(float(o), float(q)) for o, q in pairs]
        return [o for o, _ in pairs], [q for _, q in pairs]

    oa, pa = prep(a)
    ob, pb = prep(b)
    points = sorted(set(oa) | set(ob))
    zero = sympy.Integer(0) if exact else 0.0

    fa, ga = _cdf_and_integral(points, oa, pa, zero)
    fb, gb = _cdf_and_integral(points, ob, pb, zero)

    def below(u: list[Any], v: list[Any]) -> tuple[bool, bool]:
        """(u <= v everywhere, u < v somewhere)."""
        return all(x <= y + tol for x, y in zip(u, v)), any(x < y - tol for x, y in zip(u, v))

    le_f, lt_f = below(fa, fb)
    ge_f, gt_f = below(fb, fa)
    le_g, lt_g = below(ga, gb)
    ge_g, gt_g = below(gb, ga)
    identical = le_f and ge_f
    return Dominance(
        a=a.name,
        b=b.name,
        first_order=le_f and lt_f,
        second_order=le_g and lt_g,
        reverse_first_order=ge_f and gt_f,
        reverse_second_order=ge_g and gt_g,
        identical=identical,
        method="exact" if exact else "float",
    )
