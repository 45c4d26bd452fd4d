"""Cost-effectiveness analysis of a tree: every strategy's expected cost and effect, then the frontier.

:func:`cea` takes a tree that declares criteria (see :mod:`evtree.core.components`),
computes the expected value of the cost and the effect criterion under every
complete strategy (or the strategies given), in float, exact or symbolic
arithmetic, and hands them to :func:`evtree.cea.frontier.icers`.

Each strategy's expectations are sums over the terminals it reaches: one walk
per strategy through its chosen branches only, so a tree whose root decision has
a thousand options costs a few thousand steps, not a thousand rollbacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from ..core import model
from ..core.compile import (
    CHANCE,
    DECISION,
    TERMINAL,
    check_probabilities,
    compile_tree,
    parameter_point,
    raise_problems,
)
from ..core.components import component_view
from ..core.errors import EvaluationError, ModelError, UnknownNameError
from ..core.evaluate import strategies as all_strategies
from ..core.rollback import arithmetic, outcomes
from .frontier import CEAResult, icers

__all__ = [
    "MAX_CEA_STRATEGIES",
    "cea",
    "cost_effect_criteria",
    "incremental_net_benefit",
    "net_benefit_tree",
    "strategy_costs_effects",
]

#: At most this many strategies are compared.
MAX_CEA_STRATEGIES = 200_000


def cost_effect_criteria(
    tree: model.DecisionTree, cost: str | None = None, effect: str | None = None
) -> tuple[str, str]:
    """Return the names of the cost and the effect criterion of a tree.

    Unless given: those of the tree's net-benefit objective, else the only
    criterion whose sense is ``min`` (cost) and the only one whose sense is
    ``max`` (effect).

    Raises
    ------
    ModelError
        If the tree declares no criteria, a name is not a criterion, or the
        choice is ambiguous.
    """
    if not tree.criteria:
        raise ModelError(
            "a cost-effectiveness analysis needs a tree that declares criteria (e.g. cost and qaly)",
            field="criteria",
        )
    names = [c.name for c in tree.criteria]
    spec = tree.criteria_objective
    if spec is not None and spec.kind == "net_benefit":
        cost = cost or spec.spec["cost"]
        effect = effect or spec.spec["effect"]
    for role, name, sense in (("cost", cost, "min"), ("effect", effect, "max")):
        if name is None:
            matching = [c.name for c in tree.criteria if c.sense == sense]
            if len(matching) != 1:
                raise ModelError(
                    f"say which criterion is the {role} (--{role} NAME); criteria: {', '.join(names)}",
                    field=role,
                )
            if role == "cost":
                cost = matching[0]
            else:
                effect = matching[0]
        elif name not in names:
            raise UnknownNameError(
                f"unknown criterion {name!r} as the {role} (criteria: {', '.join(names)})", field=role
            )
    assert cost is not None and effect is not None
    if cost == effect:
        raise ModelError(f"the cost and the effect are the same criterion {cost!r}", field="effect")
    return cost, effect


def _strategy_name(policy: Mapping[str, str]) -> str:
    return ", ".join(str(v) for v in policy.values()) or "(no decision)"


def strategy_costs_effects(
    tree: model.DecisionTree,
    names: Sequence[str],
    *,
    method: str = "float",
    values: Mapping[str, Any] | None = None,
    strategies: Iterable[Mapping[str, str]] | None = None,
) -> tuple[list[str], list[dict[str, str]], dict[str, list[Any]]]:
    """Return the strategies' names, policies, and expected value of each named criterion.

    Parameters
    ----------
    tree : DecisionTree
        A tree with criteria.
    names : sequence of str
        The criteria to compute.
    method : {"float", "exact", "symbolic"}
    values : mapping, optional
        Parameter values (scalars) overriding the defaults.
    strategies : iterable of policies, optional
        Complete strategies (decision name -> label); default every strategy of the tree.
    """
    flat = compile_tree(tree)
    raise_problems(flat)
    if values:
        for k, v in values.items():
            if np.ndim(v) != 0:
                raise ModelError(
                    f"a cost-effectiveness analysis needs one value of {k!r}, not an array", field=k
                )
    point = parameter_point(tree, values, method=method)
    if method == "float":
        point = {k: float(v) for k, v in point.items()}
    arith = arithmetic(method, 1)
    probs = arith.probabilities(flat, point)
    if method == "symbolic":
        check_probabilities(tree, flat, method="symbolic", values=values)
    else:
        arith.check_probabilities(flat, probs)
    table = {}
    for name in names:
        o = outcomes(component_view(flat, name), arith, point)
        table[name] = o[:, 0].tolist() if method == "float" else list(o)
    p = probs[:, 0].tolist() if method == "float" else list(probs)
    kind = flat.kind.tolist()
    first = flat.first_child.tolist()
    count = flat.n_children.tolist()
    decisions = {flat.nodes[d].key: int(d) for d in flat.decision_indices}
    child_of: dict[tuple[int, str], int] = {}
    for d in decisions.values():
        for c in range(first[d], first[d] + count[d]):
            child_of[(d, flat.nodes[c].label)] = c
    policies = list(all_strategies(tree) if strategies is None else strategies)
    if len(policies) > MAX_CEA_STRATEGIES:
        raise EvaluationError(f"{len(policies)} strategies is more than {MAX_CEA_STRATEGIES}")
    one = 1.0 if method == "float" else sympy.Integer(1)
    sums: dict[str, list[Any]] = {name: [] for name in names}
    labels: list[str] = []
    seen: dict[str, int] = {}
    for pol in policies:
        chosen: dict[int, int] = {}
        for key, label in pol.items():
            d = decisions.get(key)
            if d is None:
                raise UnknownNameError(f"no decision node is called {key!r}", field="strategies")
            try:
                chosen[d] = child_of[(d, label)]
            except KeyError:
                raise UnknownNameError(f"decision {key!r} has no option {label!r}", node=key) from None
        reached: list[tuple[int, Any]] = []
        stack = [(0, one)]
        while stack:
            i, q = stack.pop()
            k = kind[i]
            if k == TERMINAL:
                reached.append((i, q))
            elif k == DECISION:
                if i not in chosen:
                    raise ModelError(
                        f"the strategy {dict(pol)!r} makes no choice at decision {flat.nodes[i].key!r}",
                        field="strategies",
                    )
                stack.append((chosen[i], q))
            else:
                assert k == CHANCE
                for c in range(first[i], first[i] + count[i]):
                    if p[c] != 0:
                        stack.append((c, q * p[c]))
        for name in names:
            out = table[name]
            if method == "symbolic":
                sums[name].append(sympy.Add(*(q * out[t] for t, q in reached)))
            else:
                sums[name].append(sum(q * out[t] for t, q in reached))
        label = _strategy_name(pol)
        if label in seen:
            seen[label] += 1
            label = f"{label} #{seen[label]}"
        else:
            seen[label] = 1
        labels.append(label)
    return labels, [dict(pol) for pol in policies], sums


def cea(
    tree: model.DecisionTree,
    *,
    cost: str | None = None,
    effect: str | None = None,
    method: str = "float",
    values: Mapping[str, Any] | None = None,
    wtp: Sequence[Any] = (),
    strategies: Iterable[Mapping[str, str]] | None = None,
) -> CEAResult:
    """Cost-effectiveness analysis of a tree's strategies: dominance, extended dominance, ICERs.

    Parameters
    ----------
    tree : DecisionTree
        A tree that declares criteria, one of them a cost and one an effect.
    cost, effect : str, optional
        The criteria to use (see :func:`cost_effect_criteria` for the defaults).
    method : {"float", "exact", "symbolic"}, default "float"
        The arithmetic.  In symbolic arithmetic costs, effects, ICERs and
        thresholds are expressions in the parameters; the order and dominance
        are decided at the defaults (overridden by ``values``) and the result's
        note says so.
    values : mapping of str to number, optional
        Parameter values overriding the defaults (in symbolic arithmetic: the
        point at which the order is decided; the parameters stay symbols).
    wtp : sequence, optional
        Willingness-to-pay values whose net benefits the table shows.
    strategies : iterable of policies, optional
        The complete strategies to compare (default: all of the tree's).

    Returns
    -------
    CEAResult
        The strategies sorted by cost with status, reason and ICER; the
        frontier; the exact willingness-to-pay thresholds.

    Examples
    --------
    >>> import evtree
    >>> tree = evtree.read_tree("tests/data/sumatriptan.yaml")  # doctest: +SKIP
    >>> cea(tree, method="exact").thresholds[0].wtp  # doctest: +SKIP
    """
    if method not in ("float", "exact", "symbolic"):
        raise ValueError(f"method must be 'float', 'exact' or 'symbolic', got {method!r}")
    cost, effect = cost_effect_criteria(tree, cost, effect)
    numeric = None
    if method == "symbolic":
        numeric = {k: v for k, v in (values or {}).items() if not isinstance(v, sympy.Basic) or v.is_number}
        point_values = None
    else:
        point_values = values
    labels, _, sums = strategy_costs_effects(
        tree, [cost, effect], method=method, values=point_values, strategies=strategies
    )
    at = None
    if method == "symbolic":
        at = {k: p.exact for k, p in tree.parameters.items()}
        at.update(numeric or {})
    crit = {c.name: c for c in tree.criteria}
    note = f"{len(labels)} strategies of the tree"
    return icers(
        cost=sums[cost],
        effect=sums[effect],
        names=labels,
        method=method,
        at=at,
        wtp=wtp,
        cost_name=cost,
        effect_name=effect,
        note=note,
        cost_unit=crit[cost].unit,
        effect_unit=crit[effect].unit,
    )


def net_benefit_tree(
    tree: model.DecisionTree, wtp: Any = "wtp", *, cost: str | None = None, effect: str | None = None
) -> model.DecisionTree:
    """Return a copy of the tree whose objective is net monetary benefit ``wtp * effect - cost``.

    ``wtp`` is a number or an expression in the tree's parameters (default the
    parameter ``wtp``).  Every analysis of one payoff then works on net benefit:
    :func:`evtree.evaluate`, the one-way, tornado and threshold analyses of
    :mod:`evtree.sensitivity` (incremental net benefit is the difference of two
    strategies' values; see :func:`incremental_net_benefit`), :func:`evtree.psa.psa`.

    Examples
    --------
    >>> import evtree
    >>> tree = evtree.read_tree("tests/data/psa_cea.yaml")  # doctest: +SKIP
    >>> evtree.evaluate(net_benefit_tree(tree, 30000)).policy  # doctest: +SKIP
    {'choose': 'new'}
    """
    from ..core.objectives import Objective

    cost, effect = cost_effect_criteria(tree, cost, effect)
    new = tree.copy()
    new.criteria_objective = Objective.net_benefit(effect, cost, wtp).resolved(new)
    new.objective = "max"
    new.rule = "expected-value-maximization"
    return new


def incremental_net_benefit(
    tree: model.DecisionTree,
    strategy: Mapping[str, str],
    reference: Mapping[str, str],
    wtp: Any = "wtp",
    *,
    cost: str | None = None,
    effect: str | None = None,
) -> sympy.Expr:
    """Return the incremental net benefit of ``strategy`` over ``reference`` as an expression.

    ``INB = wtp * (effect_s - effect_r) - (cost_s - cost_r)``, exact, in the
    tree's parameters (and ``wtp`` if it is one): a target for one-way and
    tornado analyses, positive where the strategy is worth its extra cost.
    """
    from ..core.evaluate import evaluate

    nb = net_benefit_tree(tree, wtp, cost=cost, effect=effect)
    a = evaluate(nb, method="symbolic", policy=strategy, utility=None).value
    b = evaluate(nb, method="symbolic", policy=reference, utility=None).value
    return sympy.expand(a - b)
