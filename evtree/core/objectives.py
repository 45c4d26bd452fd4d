"""What decides in a tree with criteria: one criterion, a weighted sum, or net monetary benefit.

    Objective                 the record: weights per criterion and a sense
    Objective.criterion       one criterion, in its own sense (or the one given)
    Objective.weighted        a weighted sum of criteria, maximised; weights are expressions
    Objective.net_benefit     ``wtp * effect - cost``, maximised (``wtp`` an expression)
    as_objective              read an objective given as text or a mapping (files)

In a file (``objective:`` at the top of a tree that declares ``criteria``)::

    objective: {criterion: qaly}
    objective: {weights: {qaly: wtp, cost: -1}}          # sense: max unless given
    objective: {net_benefit: {effect: qaly, cost: cost, wtp: wtp}}

The score a terminal gets is the weighted sum of its accumulated criteria; since
outcomes accumulate linearly, that is the weighted sum of the criteria's
outcomes, and the rollback runs on it unchanged.  Weights may use the tree's
parameters (such as ``wtp``), so the policy, thresholds and sensitivity
analyses treat them as any other parameter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sympy

from .errors import ExpressionError, ModelError, UnknownNameError
from .expressions import as_expr, parse_expression

if TYPE_CHECKING:  # pragma: no cover
    from .model import DecisionTree

__all__ = ["TWO_CRITERIA_RULES", "Objective", "as_objective", "objective_view"]

#: SilverDecisions' two-criteria rules: the signs of the first and second criterion.
TWO_CRITERIA_RULES = {"max-max": (1, 1), "max-min": (1, -1), "min-max": (-1, 1), "min-min": (-1, -1)}

_SENSES = {
    "max": "max",
    "maximize": "max",
    "maximise": "max",
    "min": "min",
    "minimize": "min",
    "minimise": "min",
}


@dataclasses.dataclass(frozen=True)
class Objective:
    """An objective over a tree's criteria: a weighted sum of them, maximised or minimised.

    Attributes
    ----------
    kind : {"criterion", "weighted", "net_benefit"}
        How it was stated (kept for writing it back).
    weights : tuple of (str, object)
        Criterion name and weight (number, expression text or sympy expression).
    sense : {"max", "min"}
        Whether the weighted sum is maximised or minimised.
    spec : mapping
        The statement as given (``criterion``, ``effect``/``cost``/``wtp``).
    """

    kind: str
    weights: tuple[tuple[str, Any], ...]
    sense: str = "max"
    spec: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def criterion(cls, name: str, sense: str | None = None) -> Objective:
        """Return the objective "this criterion", in its sense unless ``sense`` is given."""
        return cls("criterion", ((name, 1),), _sense(sense) if sense else "", {"criterion": name})

    @classmethod
    def weighted(cls, weights: Mapping[str, Any], sense: str = "max") -> Objective:
        """Return the objective "the weighted sum of criteria", maximised unless ``sense='min'``."""
        if not isinstance(weights, Mapping) or not weights:
            raise ModelError("weights must map criterion names to weights", field="objective.weights")
        return cls("weighted", tuple(weights.items()), _sense(sense), {})

    @classmethod
    def net_benefit(cls, effect: str, cost: str, wtp: Any = "wtp") -> Objective:
        """Return net monetary benefit ``wtp * effect - cost``, maximised."""
        return cls(
            "net_benefit",
            ((effect, wtp), (cost, -1)),
            "max",
            {"effect": effect, "cost": cost, "wtp": wtp},
        )

    @classmethod
    def two_criteria(cls, rule: str, first: str, second: str, weight: Any = 1) -> Objective:
        """Return SilverDecisions' two-criteria rule ``rule`` as a weighted sum, maximised.

        ``max-max``, ``max-min``, ``min-max`` and ``min-min`` maximise
        ``c1 * weight * first + c2 * second`` with ``(c1, c2)`` = ``(1, 1)``,
        ``(1, -1)``, ``(-1, 1)``, ``(-1, -1)``; the first word applies to the
        first criterion.  ``weight`` is SilverDecisions' ``defaultCriterion1Weight``;
        ``"Infinity"`` keeps the first criterion alone.

        Examples
        --------
        >>> Objective.two_criteria("min-max", "cost", "effect", 2).weights
        (('cost', -2), ('effect', 1))
        """
        if rule not in TWO_CRITERIA_RULES:
            known = ", ".join(TWO_CRITERIA_RULES)
            raise ModelError(f"unknown two-criteria rule {rule!r} (known: {known})", field="rule")
        c1, c2 = TWO_CRITERIA_RULES[rule]
        if isinstance(weight, str) and weight.strip() in ("Infinity", "inf"):
            return cls.weighted({first: c1})
        w = as_expr(weight)
        if w.is_number and w < 0:
            raise ModelError(
                f"the weight of the first criterion must be >= 0, got {weight!r}", field="weight"
            )
        first_weight: Any = c1 * w
        if first_weight.is_Integer:
            first_weight = int(first_weight)
        return cls.weighted({first: first_weight, second: c2})

    @property
    def names(self) -> tuple[str, ...]:
        """The criteria the objective uses."""
        return tuple(n for n, _ in self.weights)

    def resolved(self, tree: DecisionTree) -> Objective:
        """Check the objective against a tree's criteria and parameters; fill in a criterion's sense.

        Raises
        ------
        ModelError
            If the tree declares no criteria, a name is not a criterion, or a
            weight is not an expression in the tree's parameters.
        """
        if not tree.criteria:
            raise ModelError(
                "an objective over criteria needs the tree to declare criteria", field="objective"
            )
        known = {c.name: c for c in tree.criteria}
        for name, weight in self.weights:
            if name not in known:
                raise UnknownNameError(
                    f"unknown criterion {name!r} in the objective (declared: {', '.join(known)})",
                    field=f"objective.{self.kind}",
                )
            _weight_expr(weight, tree, f"objective.{self.kind}.{name}")
        if self.kind == "net_benefit" and self.spec["effect"] == self.spec["cost"]:
            raise ModelError("net benefit needs two different criteria", field="objective.net_benefit")
        if self.kind == "criterion" and not self.sense:
            return dataclasses.replace(self, sense=known[self.names[0]].sense)
        return self

    def weight_exprs(self, tree: DecisionTree) -> list[tuple[str, sympy.Expr]]:
        """Return the weights as sympy expressions in the parameters."""
        return [(n, _weight_expr(w, tree, f"objective.{self.kind}.{n}")) for n, w in self.weights]

    def to_data(self) -> dict[str, Any]:
        """Return the objective as file data (the inverse of :func:`as_objective`)."""
        if self.kind == "criterion":
            out: dict[str, Any] = {"criterion": self.names[0]}
            if self.spec.get("sense"):
                out["sense"] = self.sense
            return out
        if self.kind == "net_benefit":
            return {"net_benefit": {k: _text(v) for k, v in self.spec.items()}}
        out = {"weights": {n: _text(w) for n, w in self.weights}}
        if self.sense != "max":
            out["sense"] = self.sense
        return out

    def describe(self) -> str:
        """Return the objective in words, e.g. ``maximise wtp*qaly - cost``."""
        if self.kind == "criterion":
            return f"{'maximise' if self.sense == 'max' else 'minimise'} {self.names[0]}"
        terms = " + ".join(f"({_text(w)})*{n}" for n, w in self.weights)
        if self.kind == "net_benefit":
            terms = f"{_text(self.spec['wtp'])}*{self.spec['effect']} - {self.spec['cost']}"
        return f"{'maximise' if self.sense == 'max' else 'minimise'} {terms}"


def _sense(sense: Any) -> str:
    if sense not in _SENSES:
        raise ModelError(f"sense must be 'max' or 'min', got {sense!r}", field="objective.sense")
    return _SENSES[sense]


def _text(v: Any) -> Any:
    if isinstance(v, sympy.Basic):
        return str(v)
    return v


def _weight_expr(weight: Any, tree: DecisionTree, field: str) -> sympy.Expr:
    try:
        if isinstance(weight, str):
            expr = parse_expression(weight, tree.parameters)
        else:
            expr = as_expr(weight)
    except (ExpressionError, TypeError, ValueError) as err:
        raise ModelError(f"weight {weight!r}: {err}", field=field) from None
    unknown = sorted(s.name for s in expr.free_symbols if s.name not in tree.parameters)
    if unknown:
        raise UnknownNameError(f"weight {weight!r} uses unknown parameters {', '.join(unknown)}", field=field)
    return expr


def as_objective(value: Any) -> Objective:
    """Read an objective: an :class:`Objective`, or a mapping in the file syntax.

    Examples
    --------
    >>> as_objective({"net_benefit": {"effect": "qaly", "cost": "cost", "wtp": "wtp"}}).describe()
    'maximise wtp*qaly - cost'
    >>> as_objective({"weights": {"qaly": 50000, "cost": -1}}).weights
    (('qaly', 50000), ('cost', -1))
    """
    if isinstance(value, Objective):
        return value
    if isinstance(value, str):
        return Objective.criterion(value)
    if not isinstance(value, Mapping):
        raise ModelError(
            f"an objective must be text or a mapping, got {type(value).__name__}", field="objective"
        )
    keys = set(value)
    forms = keys & {"criterion", "weights", "net_benefit"}
    if len(forms) != 1:
        raise ModelError(
            "an objective mapping needs exactly one of 'criterion', 'weights', 'net_benefit'",
            field="objective",
        )
    extra = keys - forms - {"sense"}
    if extra:
        raise ModelError(f"unknown objective key {sorted(extra)[0]!r}", field="objective")
    (form,) = forms
    if form == "criterion":
        name = value["criterion"]
        if not isinstance(name, str):
            raise ModelError("'criterion' must name a criterion", field="objective.criterion")
        obj = Objective.criterion(name, value.get("sense"))
        return dataclasses.replace(
            obj, spec={"criterion": name, **({"sense": obj.sense} if obj.sense else {})}
        )
    if form == "weights":
        weights = value["weights"]
        if not isinstance(weights, Mapping):
            raise ModelError("'weights' must map criteria to weights", field="objective.weights")
        return Objective.weighted(dict(weights), value.get("sense", "max"))
    nb = value["net_benefit"]
    if (
        not isinstance(nb, Mapping)
        or not {"effect", "cost"} <= set(nb)
        or set(nb) - {"effect", "cost", "wtp"}
    ):
        raise ModelError(
            "'net_benefit' needs 'effect', 'cost' and optionally 'wtp'", field="objective.net_benefit"
        )
    if "sense" in value and _sense(value["sense"]) != "max":
        raise ModelError("net benefit is maximised", field="objective.sense")
    return Objective.net_benefit(nb["effect"], nb["cost"], nb.get("wtp", "wtp"))


def objective_view(
    tree: DecisionTree, flat: Any, objective: Objective, at: Mapping[str, Any] | None = None
) -> Any:
    """Return a FlatTree whose payoffs are the objective's score (cached on ``flat``).

    Each node's branch and terminal payoff become the weighted sum of its
    criteria's; weights are numbers, or expressions in the parameters (then the
    payoffs are expressions too), with ``at`` substituted first (e.g.
    ``{"wtp": 50000}``).  Any rollback, and :class:`evtree.psa.CompiledTree`,
    then runs unchanged on the score.
    """
    from .compile import _quantity
    from .components import component_view
    from .expressions import exact_number, symbol

    objective = objective.resolved(tree)
    subs = {symbol(k): exact_number(v) for k, v in (at or {}).items()}
    weights = [(n, w.xreplace(subs) if subs else w) for n, w in objective.weight_exprs(tree)]
    key = ("objective_view", tuple((n, str(w)) for n, w in weights))
    view = flat.cache.get(key)
    if view is not None:
        return view
    parts = [(w, component_view(flat, n)) for n, w in weights]

    def combine(field: str) -> Any:
        raw = []
        for i in range(flat.size):
            total = sympy.Integer(0)
            for w, v in parts:
                q = getattr(v, field)
                j = q.expr_index[i]
                if j >= 0:
                    value = q.exprs[j]
                else:
                    r = q.raw[i]
                    value = 0 if r is None else (as_expr(r) if isinstance(r, str) else exact_number(r))
                total += w * value
            raw.append(None if total == 0 else total)
        return _quantity(raw)

    if all(getattr(v, f).is_constant for _, v in parts for f in ("payoff", "branch_payoff")) and all(
        w.is_number for w, _ in parts
    ):
        payoff_q, branch_q = (
            _constant_combination(parts, "payoff"),
            _constant_combination(parts, "branch_payoff"),
        )
    else:
        payoff_q, branch_q = combine("payoff"), combine("branch_payoff")
    view = dataclasses.replace(flat, payoff=payoff_q, branch_payoff=branch_q, cache={})
    view.cache["parameter_names"] = flat.cache.get("parameter_names")
    flat.cache[key] = view
    return view


def _constant_combination(parts: list[tuple[Any, Any]], field: str) -> Any:
    """Combine constant quantities with numeric weights, vectorised (floats; exact raws kept)."""
    import numpy as np

    from .compile import Quantity
    from .expressions import exact_number

    first = getattr(parts[0][1], field)
    const = np.zeros(len(first.const))
    for w, v in parts:
        q = getattr(v, field)
        const += float(w) * np.where(np.isnan(q.const), 0.0, q.const)
    raw: list[Any] = []
    for i in range(len(const)):
        total = sympy.Integer(0)
        for w, v in parts:
            r = getattr(v, field).raw[i]
            if r is not None:
                total += w * (as_expr(r) if isinstance(r, str) else exact_number(r))
        raw.append(None if total == 0 else total)
    return Quantity(const, np.full(len(const), -1, dtype=np.int64), (), raw)
