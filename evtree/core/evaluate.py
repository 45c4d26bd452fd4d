"""Evaluate a tree: one rollback, three arithmetics, one result record.

evaluate           roll a tree back and return an :class:`Evaluation`
evaluate_strategy  the value of one (possibly partial) strategy
strategies         every complete strategy of a tree, as policies
count_strategies   how many complete strategies a tree has
strategy_name      the one name of a strategy: ``decision=label`` pairs
parse_strategy     the policy a strategy's name (or evtree 0.1's name, or a mapping) stands for
Evaluation         the frozen result record
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np
import sympy

from . import model
from .compile import (
    CHANCE,
    DECISION,
    TERMINAL,
    FlatTree,
    SharedPlan,
    check_probabilities,
    compile_tree,
    formula_view,
    iter_strategies,
    parameter_point,
    raise_problems,
    reached_decisions,
    shared_plan,
    strategy_count,
)
from .components import component_view, evaluation_component
from .errors import EvaluationError, UnknownNameError
from .expressions import symbol
from .objectives import Objective, as_objective
from .presenters import present
from .rollback import (
    CertaintyEquivalentArithmetic,
    _to_fraction,
    arithmetic,
    is_tied,
    outcomes,
    reach_probabilities,
    rollback,
)
from .rules import EXPECTED, expected_value_rule, rule_named
from .utility import Utility, resolve_utility, terminal_utilities

__all__ = [
    "MAX_STRATEGIES",
    "METHODS",
    "Evaluation",
    "count_strategies",
    "evaluate",
    "evaluate_strategy",
    "parse_strategy",
    "strategies",
    "strategy_name",
    "strategy_names",
]

#: The arithmetics :func:`evaluate` offers.
METHODS = ("float", "exact", "symbolic")
#: Strategy tables list at most this many strategies; ask for others by policy.
MAX_STRATEGIES = 10_000


def _broadcast_point(point: dict[str, Any]) -> tuple[dict[str, Any], tuple[int, ...]]:
    shape = np.broadcast_shapes(*(np.shape(v) for v in point.values())) if point else ()
    if shape == ():
        return {k: float(v) for k, v in point.items()}, ()
    size = math.prod(shape)
    return {k: np.broadcast_to(v, shape).reshape(size) for k, v in point.items()}, shape


#: A policy fixing at most this many decisions is looked up node by node, without mapping every decision.
_FEW_CHOICES = 16


def _policy_forced(
    flat: FlatTree, tree: model.DecisionTree, policy: Mapping[str, str] | None
) -> np.ndarray | None:
    if not policy:
        return None
    if isinstance(policy, str):
        policy = parse_strategy(tree, policy)
    forced = np.full(flat.size, -1, dtype=np.int64)
    choices = flat.cache.get("decision_choices")
    if choices is None and len(policy) > _FEW_CHOICES:
        # each decision's key: its position and its branches' (a strategy table asks often)
        first, count = flat.first_child, flat.n_children
        choices = flat.cache["decision_choices"] = {
            flat.key_of(d): (d, {flat.label_of(c): c for c in range(first[d], first[d] + count[d])})
            for d in flat.decision_indices.tolist()
        }
    for key, label in policy.items():
        known = choices.get(key) if choices is not None and isinstance(key, str) else None
        if known is not None and label in known[1]:
            forced[known[0]] = known[1][label]
            continue
        node = tree.node(key) if isinstance(key, str) else key
        if not isinstance(node, model.Decision):
            raise UnknownNameError(f"{node.kind} node is not a decision", node=node.path)
        i = flat.position(node)
        child = node.branch(label)
        forced[i] = flat.position(child)
    return forced


def evaluate(
    tree: model.DecisionTree,
    values: Mapping[str, Any] | None = None,
    *,
    method: str = "float",
    policy: Mapping[str, str] | None = None,
    utility: Any = "tree",
    rule: str | None = None,
    criterion: str | None = None,
    objective: Any = None,
) -> Evaluation:
    """Roll back a tree and return every node's value and the optimal policy.

    Parameters
    ----------
    tree : DecisionTree
        The tree; it is validated first.
    values : mapping of str to value, optional
        Parameter values overriding the defaults.  In ``"float"`` arithmetic
        they may be arrays, which broadcast: every point is evaluated in one pass.
        In ``"symbolic"`` arithmetic parameters not given stay symbols.
    method : {"float", "exact", "symbolic"}, default "float"
        The arithmetic: numpy floats, exact rationals, or sympy expressions.
    policy : mapping of decision name to branch label, or a strategy's name, optional
        Fix these decisions; the others are chosen optimally.  A name is
        ``"decision=label, ..."`` (:func:`parse_strategy`).
    utility : "tree", None, mapping or Utility, default "tree"
        The utility function: the tree's own by default, ``None`` for risk
        neutral.  With a utility, decisions maximise expected utility and node
        values are certainty equivalents.
    rule : str, optional
        The decision rule (:mod:`evtree.core.rules`), by SilverDecisions name:
        ``"expected-value-maximization"``, ``"expected-value-minimization"``,
        ``"maxi-min"``, ``"maxi-max"``, ``"mini-min"``, ``"mini-max"`` (or
        ``"max"``/``"min"``).  Default: the tree's own (:attr:`DecisionTree.rule`).
        Under the rules without probabilities a chance node is worth its worst
        (``*-min``) or best (``*-max``) child, and node values are those
        guaranteed (or hoped-for) values; probabilities are still checked.
    criterion : str, optional
        In a tree that declares criteria or players, the one component whose
        payoffs to roll back (a criterion in its own sense; a player's payoffs
        maximised); required there, refused elsewhere
        (:func:`evtree.core.components.evaluation_component`).
    objective : str, mapping or Objective, optional
        In a tree with criteria, what decides (:mod:`evtree.core.objectives`):
        a criterion name, a weighted sum ``{"weights": {"qaly": "wtp", "cost": -1}}``,
        net monetary benefit ``{"net_benefit": {"effect": "qaly", "cost": "cost",
        "wtp": "wtp"}}``, or an :class:`~evtree.core.objectives.Objective`.
        Default: the tree's own (:attr:`DecisionTree.criteria_objective`).
        Every criterion's value under the chosen policy is then in
        :attr:`Evaluation.criteria_values` and :meth:`Evaluation.to_frame`.

    Returns
    -------
    Evaluation
        Frozen record of the results.

    Raises
    ------
    ValidationError
        If the tree is malformed.
    ProbabilityError
        If probabilities are outside [0, 1] or do not sum to 1 at the point.
    EvaluationError
        If an expression has no finite real value at the point.

    Notes
    -----
    A named subtree used more than once (``subtrees`` and ``Use``) is rolled
    back once in exact arithmetic, and in symbolic arithmetic where its values
    are polynomials without a ``Max``/``Min``, when nothing depends on where a
    copy hangs (no utility, criteria or players; every rule qualifies); a copy
    holding a decision ``policy`` fixes stays expanded.  The record is the
    expanded rollback's exactly; the values inside the copies are filled in
    when first asked for.  Float arithmetic rolls the expanded tree back.

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> result = evaluate(texaco_pennzoil(), method="exact")
    >>> result.value
    11587/2500
    >>> result.policy["liedtke"]
    'counteroffer 5'
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    view = formula_view(tree, values or ())  # a value given to a formula overrides it
    flat = compile_tree(view)
    raise_problems(flat)
    full, objective_arg = flat, objective
    spec = _objective_spec(tree, objective, criterion)
    if spec is not None and spec.kind != "criterion":
        objective = spec.sense
    else:
        flat, objective = evaluation_component(tree, flat, spec.names[0] if spec is not None else criterion)
        objective = spec.sense if spec is not None else objective
    util = resolve_utility(tree.utility if utility == "tree" else utility, tree.parameters)
    if util is not None and util.is_linear:
        util = None
    if utility == "tree" and model._TERMINAL_UTILITIES[0] and tree.has_terminal_utilities:
        util = terminal_utilities(formula_view(tree, values or ()), util)  # Howard's u-values
    if rule is not None:
        rule_ = rule_named(rule)
    elif rule_named(tree.rule).uses_probabilities:
        rule_ = expected_value_rule(objective)
    else:
        rule_ = rule_named(tree.rule)
    if util is not None and rule_.decision != "max":
        raise EvaluationError("a utility function needs objective 'max'")
    if isinstance(policy, str):
        policy = parse_strategy(tree, policy)
    if util is not None and not rule_.uses_probabilities:
        raise EvaluationError(f"a utility function needs an expected-value rule, not {rule_.name!r}")
    forced = _policy_forced(flat, tree, policy)
    point = parameter_point(tree, values, method=method)
    shape: tuple[int, ...] = ()
    if method == "float":
        point, shape = _broadcast_point(point)
    arith = arithmetic(method, math.prod(shape) if shape else 1)
    shared = None
    if method != "float" and util is None and spec is None and not tree.component_names:
        shared = _shared_evaluation(tree, view, flat, arith, point, rule_.name, policy, values)
    ce_units = False
    if shared is not None:  # each repeated subtree rolled back once; node arrays filled on demand
        probs = outcome = rolled = None
    else:
        probs, outcome, rolled, ce_units, arith = _expanded_rollback(
            tree, flat, full, spec, arith, point, util, rule_.name, forced, values, method
        )
    base = None
    if method == "symbolic":
        numeric = {k: v for k, v in (values or {}).items() if not isinstance(v, sympy.Basic) or v.is_number}
        base = evaluate(
            tree,
            numeric,
            method="exact",
            policy=policy,
            utility=util,
            rule=rule,
            criterion=criterion,
            objective=objective_arg,
        )
    return Evaluation(
        tree=tree,
        method=method,
        parameters=point,
        shape=shape,
        utility=util,
        policy_fixed=dict(policy or {}),
        _flat=flat,
        _given_probs=probs,
        _given_outcomes=outcome,
        _given_rolled=rolled,
        _base=base,
        rule=rule_.name,
        objective_spec=spec,
        criterion=criterion,
        _full=full,
        _ce_units=ce_units,
        _shared=shared,
    )


def _expanded_rollback(
    tree: model.DecisionTree,
    flat: FlatTree,
    full: FlatTree,
    spec: Objective | None,
    arith: Any,
    point: Mapping[str, Any],
    util: Utility | None,
    rule: str,
    forced: np.ndarray | None,
    values: Mapping[str, Any] | None,
    method: str,
) -> tuple[Any, Any, Any, bool, Any]:
    """Roll the whole tree back, every copy of a subtree on its own.

    Returns the probabilities, outcomes and rolled-back values of every node,
    whether the values are certainty equivalents, and the arithmetic used.
    """
    probs = arith.probabilities(flat, point)
    if method == "symbolic":
        check_probabilities(tree, flat, method="symbolic", values=values)
    else:
        arith.check_probabilities(flat, probs)
    if spec is not None and spec.kind != "criterion":
        outcome = _weighted_outcomes(tree, full, spec, arith, point)
    else:
        outcome = outcomes(flat, arith, point)
    weighted = spec is not None and spec.kind != "criterion"
    _check_outcomes(full if weighted else flat, arith, outcome, bounded=not weighted)
    ce_units = False
    if util is None:
        leaves = outcome
    elif method == "float" and type(util) is Utility and util.exponential_form is not None:
        # An exponential utility rolls back in certainty-equivalent units (log-sum-exp): stable
        # where 1 - exp(-x/R) rounds to 1 or overflows to -inf.
        arith = CertaintyEquivalentArithmetic(arith.n_points, _exponential_tolerance(util, point))
        leaves, ce_units = outcome, True
    else:
        leaves = util.of_outcomes(outcome, method, point, flat=flat, probs=probs)
        if method != "symbolic":
            arith.skip_zero = _any_infinite(leaves, flat)
    rolled = rollback(flat, arith, leaves, probs, rule, forced, overwrite=leaves is not outcome)
    if method == "float":
        root = np.asarray(rolled[0], dtype=float)
        if not np.isfinite(root).all():  # pragma: no cover - finite terminal values roll back finite
            raise EvaluationError(f"the tree's value is {root.reshape(-1)[0]}, not a finite number")
    return probs, outcome, rolled, ce_units, arith


# ----------------------------------------------------------------------------- shared subtrees
@dataclasses.dataclass(frozen=True, eq=False)
class _Shared:
    """An exact or symbolic rollback with each repeated subtree rolled back once.

    The parts are the plan's main tree (each shared copy's top a leaf) and its
    blocks (:func:`evtree.core.compile.shared_plan`); ``probs``, ``outcomes``
    and ``rolled`` hold each part's arrays, a block's without the payoffs
    above its copies (``above``: per block, the payoffs accumulated down to
    each copy's top).  The expanded tree's arrays are filled from them on
    demand: a node of a copy takes the block's value at the same place plus
    the copy's ``above``, which in exact (rational) arithmetic and for
    polynomials is exactly what rolling the copy back gives.
    """

    plan: SharedPlan
    probs: list[Any]
    outcomes: list[Any]
    rolled: list[Any]
    above: list[Any]

    @property
    def root(self) -> Any:
        return self.rolled[0][0]

    def _fill(self, parts: list[Any], *, shift: bool) -> np.ndarray:
        """Return the expanded tree's array: the main part's entries, and every copy's from its block."""
        main_at, blocks_at = self.plan.positions
        out = np.empty(self.plan.expanded.size, dtype=object)
        out[main_at] = parts[0]
        for where, local, above in zip(blocks_at, parts[1:], self.above):
            if not shift:  # the same at every copy (the top's own entry is the main tree's)
                out[where[:, 1:]] = local[None, 1:]
                continue
            for row, a in zip(where, above):
                out[row] = local if a == 0 else local + a
        return out

    @cached_property
    def full_probs(self) -> np.ndarray:
        return self._fill(self.probs, shift=False)

    @cached_property
    def full_outcomes(self) -> np.ndarray:
        return self._fill(self.outcomes, shift=True)

    @cached_property
    def full_rolled(self) -> np.ndarray:
        return self._fill(self.rolled, shift=True)

    def optimal(self, arith: Any) -> np.ndarray:
        """Node-aligned mask of the optimal options (ties), from each part's own values.

        A constant added to every option of a decision changes none of its ties,
        so a copy's mask is its block's.
        """
        main_at, blocks_at = self.plan.positions
        mask = np.zeros(self.plan.expanded.size, dtype=bool)
        for where, flat, values in zip((main_at, *blocks_at), self._flats, self.rolled):
            under_decision = np.zeros(flat.size, dtype=bool)
            under_decision[1:] = flat.kind[flat.parent[1:]] == DECISION
            rows = np.flatnonzero(under_decision)
            if len(rows):
                tied = arith.is_tied(values[rows], values[flat.parent[rows]])
                mask[where[..., rows]] = tied
        return mask

    @property
    def _flats(self) -> list[FlatTree]:
        return [self.plan.main, *(b.flat for b in self.plan.blocks)]


def _shared_evaluation(
    tree: model.DecisionTree,
    view: model.DecisionTree,
    flat: FlatTree,
    arith: Any,
    point: Mapping[str, Any],
    rule: str,
    policy: Mapping[str, str] | None,
    values: Mapping[str, Any] | None,
) -> _Shared | None:
    """Roll back with each repeated subtree rolled back once, or return ``None`` where that is not exact.

    The caller has ruled out utilities, criteria and players and float
    arithmetic (:func:`evtree.core.compile.sharing_allowed`).  A copy holding a
    decision ``policy`` fixes is expanded (the other copies still share).  The
    result is the expanded rollback's exactly: every decision rule moves by a
    constant added to every outcome and keeps its choices; in exact arithmetic
    when every probability and payoff is rational (Python fractions add and
    compare exactly; an irrational sympy number may be written differently),
    in symbolic arithmetic under an expected-value rule when each part rolls
    back as polynomials (or rationals) and no decision inside a block needs a
    ``Max``/``Min``: the expanded tree's would have the payoffs above inside.
    Checks and errors are the expanded rollback's, naming the first copy's
    nodes for a problem inside a shared subtree.
    """
    whole = [view.node(k) if isinstance(k, str) else k for k in policy] if policy else ()
    plan = shared_plan(view, whole=whole)
    if not plan.blocks:
        return None
    symbolic = arith.name == "symbolic"
    if symbolic and rule_named(rule).chance != EXPECTED:
        return None
    parts = [plan.main, *(b.flat for b in plan.blocks)]
    probs = [arith.probabilities(part, point) for part in parts]
    for part, p in zip(parts, probs):
        if symbolic:
            check_probabilities(tree, part, method="symbolic", values=values)
        else:
            arith.check_probabilities(part, p)
    outs = [outcomes(part, arith, point) for part in parts]
    if not symbolic and not all(_all_rational(x) for x in (*probs, *outs)):
        return None
    leaf = outs[0].copy()
    above = []
    for block in plan.blocks:
        above.append(outs[0][list(block.copies)])
    if not symbolic and not _outcomes_in_range(plan, outs, above):
        # some outcome may be beyond the float range: the expanded check names the first
        _check_outcomes(flat, arith, _Shared(plan, probs, outs, outs, above).full_outcomes)
    decision = rule_named(rule).decision
    rolled = []
    for block, p, o in zip(plan.blocks, probs[1:], outs[1:]):
        r = _part_rollback(block.flat, arith, o, p, rule, decision, None)
        if r is None:
            return None
        if symbolic and any(_has_max_min(r[d]) for d in block.flat.decision_indices):
            return None
        rolled.append(r)
        for i in block.copies:
            leaf[i] = leaf[i] + r[0]
    forced = _policy_forced(plan.main, view, policy)
    main = _part_rollback(plan.main, arith, leaf, probs[0], rule, decision, forced)
    if main is None:
        return None
    return _Shared(plan, probs, outs, [main, *rolled], above)


def _part_rollback(
    flat: FlatTree, arith: Any, leaf: Any, probs: Any, rule: str, decision: str, forced: np.ndarray | None
) -> Any:
    """Roll one part of a plan back; in symbolic arithmetic ``None`` where the result would not be exact.

    Symbolic: polynomials (the expanded tree's rollback writes a shifted
    polynomial the same way), or rational numbers only.
    """
    if arith.name != "symbolic":
        return rollback(flat, arith, leaf, probs, rule, forced)
    fast = arith.fast_rollback(flat, leaf, probs, decision, forced)
    if fast is not None:
        return fast
    inputs = [leaf[i] for i in flat.terminal_indices] + [probs[i] for i in np.flatnonzero(flat.under_chance)]
    if all(type(v) is int or isinstance(v, sympy.Rational) for v in inputs):
        return rollback(flat, arith, leaf, probs, rule, forced)
    return None


def _all_rational(values: Any) -> bool:
    """Whether every entry is a Python int or fraction (exact arithmetic's rationals)."""
    return all(type(v) is Fraction or type(v) is int for v in values)


def _has_max_min(value: Any) -> bool:
    return isinstance(value, sympy.Basic) and value.has(sympy.Max, sympy.Min)


def _outcomes_in_range(plan: SharedPlan, outs: list[Any], above: list[Any]) -> bool:
    """Whether every terminal outcome of the expanded tree is surely within the float range.

    The main tree's own terminals are checked one by one; a copy's terminal is
    its block's local outcome plus the copy's payoffs above, bounded by the
    largest of each in magnitude.
    """
    from . import budget

    tops = {i for block in plan.blocks for i in block.copies}
    main = plan.main
    for i in main.terminal_indices:
        if int(i) not in tops and budget.number_problem(_to_output(outs[0][i])):
            return False
    for block, local, a in zip(plan.blocks, outs[1:], above):
        terms = block.flat.terminal_indices
        bound = max(abs(v) for v in local[terms]) + max(abs(v) for v in a)
        if budget.number_problem(_to_output(bound)):
            return False
    return True


def _check_outcomes(flat: FlatTree, arith: Any, outcome: Any, *, bounded: bool = True) -> None:
    """Refuse a terminal outcome (a sum of payoffs along its path) beyond the float range.

    Every payoff is already checked finite; only their sum can overflow.  In float
    arithmetic the check is skipped when a bound on the sums (largest constant times the
    depth) is in range, which it is for every tree without huge constants (``bounded``:
    the outcomes are the tree's own payoffs, not a weighted sum of criteria).
    """
    from . import budget

    terms = flat.terminal_indices
    if arith.name == "float":
        if bounded and flat.payoff.is_constant and flat.branch_payoff.is_constant:
            bound = flat.cache.get("outcome_bound")
            if bound is None:
                largest = max(
                    max(float(np.nanmax(q.const, initial=0.0)), -float(np.nanmin(q.const, initial=0.0)))
                    for q in (flat.payoff, flat.branch_payoff)
                )
                bound = largest * (len(flat.levels) + 1)
                flat.cache["outcome_bound"] = bound
            if bound < budget.MAX_MAGNITUDE:
                return
        if np.isfinite(outcome).all():
            return
        bad = int(terms[~np.isfinite(np.asarray(outcome[terms], dtype=float)).all(axis=-1)][0])
        raise budget.BudgetError(
            f"node '{flat.nodes[bad].path}': its outcome (the sum of the payoffs along its path) is "
            "beyond the float range"
        )
    if arith.name == "exact":
        for i in terms:
            reason = budget.number_problem(_to_output(outcome[i]))
            if reason:
                raise budget.BudgetError(
                    f"node '{flat.nodes[i].path}': its outcome (the sum of the payoffs along its path) "
                    f"{reason}"
                )


def _exponential_tolerance(util: Utility, point: Mapping[str, Any]) -> Any:
    """Return ``R`` of an exponential utility at every point, checked: finite, nonzero, u increasing."""
    util._check_risk_tolerance("float", point)
    r, b = util.exponential_form
    values = []
    for e in (r, b):
        names = sorted(s.name for s in e.free_symbols)
        if names:
            f = sympy.lambdify([symbol(n) for n in names], e, "numpy")
            with np.errstate(all="ignore"):
                values.append(np.asarray(f(*(np.asarray(point[n], dtype=float) for n in names)), dtype=float))
        else:
            values.append(np.asarray(float(e)))
    rv, bv = values
    if not (np.isfinite(rv).all() and np.isfinite(bv).all() and (rv != 0).all()):
        raise EvaluationError(f"the utility {util.expr} has no finite risk tolerance at the point")
    if not (-bv / rv > 0).all():
        raise EvaluationError(
            f"the utility {util.expr} decreases in x at the point; a utility must be increasing, "
            "or decisions pick the worse option"
        )
    return rv


def _any_infinite(leaves: Any, flat: FlatTree) -> bool:
    """Whether a terminal's utility is infinite (allowed only where reached with probability zero)."""
    t = leaves[flat.terminal_indices]
    if t.dtype == object:
        return any(isinstance(v, sympy.Basic) and v.is_infinite for v in t)
    return not np.isfinite(t).all()


def _objective_spec(tree: model.DecisionTree, objective: Any, criterion: str | None) -> Objective | None:
    """Return the objective over criteria to use, or ``None`` (one payoff, or a player)."""
    if objective is not None and criterion is not None:
        raise EvaluationError("give criterion= or objective=, not both")
    if objective is not None:
        return as_objective(objective).resolved(tree)
    if criterion is not None:
        if any(c.name == criterion for c in tree.criteria):
            return Objective.criterion(criterion).resolved(tree)
        return None
    return tree.criteria_objective


def _weight_value(expr: sympy.Expr, arith: Any, point: Mapping[str, Any]) -> Any:
    """Return a weight's value at the point in the arithmetic (float: broadcast over the points)."""
    if arith.name == "float":
        if expr.is_number:
            return float(expr)
        names = sorted(point)
        v = sympy.lambdify([symbol(n) for n in names], expr, "numpy")(*(point[n] for n in names))
        v = np.asarray(v, dtype=float)
        if not np.isfinite(v).all():
            raise EvaluationError(f"the objective's weight {expr} is not finite at the point")
        return v.reshape(1, -1) if v.ndim else float(v)
    value = expr.xreplace({symbol(k): v for k, v in point.items()})
    if arith.name == "exact":
        if not (value.is_real and value.is_finite):
            raise EvaluationError(f"the objective's weight {expr} is {value}, not a finite real number")
        return _to_fraction(value)
    return value


def _weighted_outcomes(
    tree: model.DecisionTree, flat: FlatTree, spec: Objective, arith: Any, point: Mapping[str, Any]
) -> Any:
    """Return every node's score: the weighted sum of its accumulated criteria."""
    total: Any = None
    for name, weight in spec.weight_exprs(tree):
        term = outcomes(component_view(flat, name), arith, point) * _weight_value(weight, arith, point)
        total = term if total is None else total + term
    return total


def _policy_rollback(flat: FlatTree, arith: Any, leaf: Any, probs: Any, choice: np.ndarray) -> Any:
    """Roll back expected values, each decision node taking its ``choice`` (per point in float)."""
    if leaf.dtype != object:
        width = max(leaf.shape[1], probs.shape[1], choice.shape[1] if choice.ndim == 2 else 1)
        values = np.array(np.broadcast_to(leaf, (leaf.shape[0], width)))
    else:
        values = leaf.copy()
    every = np.arange(flat.size)
    for level in reversed(flat.levels):
        values[level.parents] = arith.weighted_sum(probs[level.children], values[level.children], level)
        parents = every[level.parents]
        dec = parents[flat.kind[parents] == DECISION]
        if len(dec):
            c = choice[dec]
            if values.dtype != object and c.ndim == 2:
                values[dec] = values[c, np.arange(values.shape[1])]
            else:
                values[dec] = values[c]
    return values


def _to_output(v: Any) -> Any:
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    if isinstance(v, int) and not isinstance(v, bool):
        return sympy.Integer(v)
    return v


@dataclasses.dataclass(frozen=True, eq=False)
class Evaluation:
    """Result of :func:`evaluate`: values, choices, strategies and the risk profile.

    Attributes
    ----------
    tree : DecisionTree
        The tree evaluated.
    method : {"float", "exact", "symbolic"}
        The arithmetic that produced the numbers.
    parameters : dict
        The parameter values used (arrays flattened for a broadcast evaluation).
    shape : tuple of int
        The broadcast shape of the parameter values; ``()`` for one point.
    utility : Utility or None
        The utility function, or ``None`` for a risk-neutral evaluation.
    policy_fixed : dict
        Decisions fixed by the caller rather than chosen optimally.
    rule : str
        The decision rule (:mod:`evtree.core.rules`) the values follow.
    """

    tree: model.DecisionTree
    method: str
    parameters: Mapping[str, Any]
    shape: tuple[int, ...]
    utility: Utility | None
    policy_fixed: Mapping[str, str]
    _flat: FlatTree = dataclasses.field(repr=False)
    _given_probs: Any = dataclasses.field(repr=False)
    _given_outcomes: Any = dataclasses.field(repr=False)
    _given_rolled: Any = dataclasses.field(repr=False)
    _base: Evaluation | None = dataclasses.field(repr=False, default=None)
    rule: str = "expected-value-maximization"
    objective_spec: Objective | None = None
    criterion: str | None = None
    _full: FlatTree | None = dataclasses.field(repr=False, default=None)
    #: Whether ``_rolled`` holds certainty equivalents (an exponential utility in float) rather
    #: than expected utilities.
    _ce_units: bool = dataclasses.field(repr=False, default=False)
    #: The rollback with each repeated subtree rolled back once (exact and symbolic arithmetic,
    #: where the rule allows it), from which the node arrays are filled on demand; else ``None``.
    _shared: _Shared | None = dataclasses.field(repr=False, default=None)

    # -- node arrays ------------------------------------------------------------------------
    @cached_property
    def _probs(self) -> Any:
        """Node-aligned branch probabilities (1 where not under a chance node)."""
        return self._given_probs if self._shared is None else self._shared.full_probs

    @cached_property
    def _outcomes(self) -> Any:
        """Node-aligned outcomes: the payoffs accumulated from the root (a terminal's own included)."""
        return self._given_outcomes if self._shared is None else self._shared.full_outcomes

    @cached_property
    def _rolled(self) -> Any:
        """Node-aligned rolled-back values (expected utilities under a utility)."""
        return self._given_rolled if self._shared is None else self._shared.full_rolled

    # -- values ---------------------------------------------------------------------------
    @property
    def exact(self) -> bool:
        """Whether the arithmetic was exact (exact or symbolic)."""
        return self.method != "float"

    @cached_property
    def _values(self) -> Any:
        """Node values in payoff units: expected values, or certainty equivalents."""
        if self.utility is None or self._ce_units:
            return self._rolled
        return self.utility.inverse(self._rolled, self.method, self.parameters)

    @cached_property
    def _utilities(self) -> Any:
        """Node expected utilities (``_rolled``, or the utility of the certainty equivalents)."""
        if not self._ce_units:
            return self._rolled
        with np.errstate(all="ignore"):
            return self.utility.forward(self._rolled, self.method, self.parameters)

    def _out(self, row: Any) -> Any:
        if self.method == "float":
            return float(row[0]) if self.shape == () else row.reshape(self.shape)
        return _to_output(row)

    @property
    def value(self) -> Any:
        """The root's value: expected value, or certainty equivalent under a utility."""
        if self._shared is not None and "_rolled" not in self.__dict__:
            return self._out(self._shared.root)  # risk neutral: the rolled-back value itself
        return self._out(self._values[0])

    @property
    def expected_utility(self) -> Any:
        """The root's expected utility (``None`` when risk neutral)."""
        return None if self.utility is None else self._out(self._utilities[0])

    def value_of(self, node: model.Node | str) -> Any:
        """Return the value of a node, given as object, name or path."""
        return self._out(self._values[self._flat.position(node, self.tree)])

    @cached_property
    def _above(self) -> Any:
        """Node-aligned: the payoffs accumulated from the root down to each node (its branch included)."""
        flat = self._flat
        if flat.payoff.is_constant and flat.branch_payoff.is_constant and not flat.branch_payoff.const.any():
            return np.zeros_like(self._outcomes) if self._outcomes.dtype != object else self._outcomes * 0
        arith = arithmetic(self.method, max(1, math.prod(self.shape)))
        own = arith.quantity(flat, flat.payoff, self.parameters)
        return self._outcomes - own

    def local_value_of(self, node: model.Node | str) -> Any:
        """Return a node's value without the payoffs accumulated above it (the textbook's "EV at the node").

        :meth:`value_of` follows the path convention: the expected total outcome
        given that the node is reached, so it includes the payoffs of the
        branches leading to the node (its own branch's included).  This is that
        value minus those payoffs: at Goferbroke's survey node, 153 rather than
        123 (the survey's cost of 30 is on the branch into it).  Under a
        utility, the certainty equivalent minus the same payoffs.
        """
        i = self._flat.position(node, self.tree)
        return self._out(self._values[i] - self._above[i])

    def utility_of(self, node: model.Node | str) -> Any:
        """Return the expected utility at a node (its value when risk neutral)."""
        return self._out(self._utilities[self._flat.position(node, self.tree)])

    # -- choices --------------------------------------------------------------------------
    @cached_property
    def _optimal(self) -> np.ndarray:
        """Node-aligned mask: the node is an optimal option of its decision parent."""
        if self._base is not None:
            return self._base._optimal
        flat = self._flat
        arith = arithmetic(self.method, max(1, math.prod(self.shape)))
        if self._shared is not None:
            mask = self._shared.optimal(arith)
        else:
            shape = (flat.size,) if self.method != "float" else self._rolled.shape
            mask = np.zeros(shape, dtype=bool)
            under_decision = np.zeros(flat.size, dtype=bool)
            under_decision[1:] = flat.kind[flat.parent[1:]] == DECISION
            rows = np.flatnonzero(under_decision)
            if len(rows):
                r = self._rolled
                mask[rows] = arith.is_tied(r[rows], r[flat.parent[rows]])
        forced = _policy_forced(flat, self.tree, self.policy_fixed)
        if forced is not None:
            for p in np.flatnonzero(forced >= 0):
                a = flat.first_child[p]
                mask[a : a + flat.n_children[p]] = False
                mask[forced[p]] = True
        return mask

    @cached_property
    def _choice(self) -> np.ndarray:
        """Node-aligned flat index of the first optimal child of each decision node (-1 elsewhere)."""
        flat = self._flat
        opt = self._optimal
        extra = opt.shape[1:]
        choice = np.full((flat.size,) + extra, -1, dtype=np.int64)
        dec = flat.decision_indices
        if len(dec):
            from .rollback import _segment_index

            counts = flat.n_children[dec]
            idx = _segment_index(flat.first_child[dec], counts)
            offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
            big = np.iinfo(np.int64).max
            cand = np.where(opt[idx], idx.reshape((-1,) + (1,) * len(extra)), big)
            choice[dec] = np.minimum.reduceat(cand, offsets, axis=0)
        return choice

    @cached_property
    def policy(self) -> dict[str, Any]:
        """The optimal choice at every decision node: name (or path) to branch label.

        With ties, the first optimal branch; :attr:`ties` lists them all.  For a
        broadcast evaluation each entry is an array of labels, one per point.
        For a symbolic evaluation, the policy at the default parameter values.
        """
        flat = self._flat
        out: dict[str, Any] = {}
        key_of, label_of = flat.key_of, flat.label_of  # a table tree's from its columns: no node made
        for d in flat.decision_indices.tolist():
            c = self._choice[d]
            if c.ndim == 0 or self._base is not None or self.shape == ():
                out[key_of(d)] = label_of(int(c if c.ndim == 0 else c[0]))
            else:
                a = int(flat.first_child[d])
                labels = np.array([label_of(a + j) for j in range(int(flat.n_children[d]))], dtype=object)
                out[key_of(d)] = labels[c - a].reshape(self.shape)
        return out

    @cached_property
    def ties(self) -> dict[str, tuple[str, ...]]:
        """Decision nodes with more than one optimal branch, and those branches.

        For a broadcast evaluation, the branches optimal at some point where
        the node is tied.
        """
        flat = self._flat
        out: dict[str, tuple[str, ...]] = {}
        opt = self._optimal
        for d in flat.decision_indices:
            a, k = flat.first_child[d], flat.n_children[d]
            block = opt[a : a + k]
            if block.ndim == 1:
                if block.sum() > 1:
                    out[flat.key_of(d)] = tuple(flat.label_of(a + j) for j in np.flatnonzero(block))
            else:
                tied_points = block.sum(axis=0) > 1
                if tied_points.any():
                    which = block[:, tied_points].any(axis=1)
                    out[flat.key_of(d)] = tuple(flat.label_of(a + j) for j in np.flatnonzero(which))
        return out

    @cached_property
    def option_values(self) -> dict[str, dict[str, Any]]:
        """The value of every option at every decision node: name to {label: value}."""
        flat = self._flat
        return {
            flat.key_of(d): {
                flat.label_of(c): self._out(self._values[c])
                for c in range(flat.first_child[d], flat.first_child[d] + flat.n_children[d])
            }
            for d in flat.decision_indices
        }

    # -- risk profile ---------------------------------------------------------------------
    @cached_property
    def _reach(self) -> Any:
        zero = 0 if self.method != "float" else 0.0
        return reach_probabilities(self._flat, self._probs, self._choice, zero=zero)

    def reach_probability(self, node: model.Node | str) -> Any:
        """Probability of reaching a node under the optimal policy."""
        return self._out(self._reach[self._flat.position(node, self.tree)])

    @cached_property
    def risk_profile(self) -> Any:
        """Terminals reached under the optimal policy, with outcome and probability.

        Returns
        -------
        pandas.DataFrame
            Columns ``terminal`` (name or path), ``outcome`` and ``probability``,
            one row per terminal reached with positive probability.
        """
        import pandas as pd

        if self.shape != ():
            raise EvaluationError("a risk profile needs a single parameter point")
        flat = self._flat
        rows = []
        for t in flat.terminal_indices:
            p = self._reach[t]
            p = p[0] if self.method == "float" else p
            if p != 0:
                o = self._outcomes[t]
                o = o[0] if self.method == "float" else o
                rows.append(
                    (
                        flat.nodes[t].key,
                        _to_output(o) if self.method != "float" else float(o),
                        _to_output(p) if self.method != "float" else float(p),
                    )
                )
        return pd.DataFrame(rows, columns=["terminal", "outcome", "probability"])

    # -- strategies -----------------------------------------------------------------------
    @cached_property
    def n_strategies(self) -> int:
        """How many complete strategies the tree has."""
        return count_strategies(self.tree)

    def strategy_value(self, policy: Mapping[str, str] | str) -> Any:
        """Value of a strategy given as decision name → label, or by name (others chosen optimally).

        ``policy`` may be the strategy's name, ``"decision=label, ..."`` (see
        :func:`parse_strategy`).
        """
        return self._strategy_evaluation(policy).value

    def _batched_strategy_values(self, policies: list[dict[str, str]]) -> list[float] | None:
        """Every strategy's value from one float rollback with a column per strategy, or ``None``.

        For a risk-neutral float evaluation at one point (no utility, criteria,
        players or fixed decisions): column ``j`` takes strategy ``j``'s choice at
        each decision it reaches and the best elsewhere (nodes it never reaches,
        which cannot change its value), the same operations, column by column, as
        evaluating each strategy on its own.  Chunked to a few million cells.
        """
        if (
            self.method != "float"
            or self.shape != ()
            or self.utility is not None
            or self._ce_units
            or self.tree.criteria
            or self.tree.players
            or self.criterion is not None
            or self.objective_spec is not None
            or self.policy_fixed
            or (self._full is not None and self._full is not self._flat)
        ):
            return None
        flat = self._flat
        n = flat.size
        leaves_one, probs_one = np.asarray(self._outcomes), np.asarray(self._probs)
        if leaves_one.dtype == object or leaves_one.shape != (n, 1) or probs_one.shape != (n, 1):
            return None
        out: list[float] = []
        step = max(1, int(4_000_000 // n))
        for start in range(0, len(policies), step):
            chunk = policies[start : start + step]
            columns = len(chunk)
            forced = np.full((n, columns), -1, dtype=np.int64)
            for j, pol in enumerate(chunk):
                one = _policy_forced(flat, self.tree, pol)  # None: nothing to force (no decision reached)
                if one is not None:
                    forced[:, j] = one
            leaves = np.array(np.broadcast_to(leaves_one, (n, columns)))
            probs = np.broadcast_to(probs_one, (n, columns))
            rolled = rollback(
                flat, arithmetic("float", columns), leaves, probs, self.rule, forced, overwrite=True
            )
            out.extend(rolled[0].tolist())
        return out

    def _strategy_evaluation(self, policy: Mapping[str, str] | str) -> Evaluation:
        if isinstance(policy, str):
            policy = parse_strategy(self.tree, policy)
        merged = {**self.policy_fixed, **policy}
        values = self.parameters if self.method != "symbolic" else None
        if self.method == "float" and self.shape != ():
            values = {k: np.asarray(v).reshape(self.shape) for k, v in self.parameters.items()}
        return evaluate(
            self.tree,
            values,
            method=self.method,
            policy=merged,
            utility=self.utility,
            rule=self.rule,
            criterion=self.criterion,
            objective=self.objective_spec if self.criterion is None else None,
        )

    # -- criteria -------------------------------------------------------------------------
    @cached_property
    def _criteria_rolled(self) -> dict[str, Any]:
        """Every criterion's expected value at every node under the policy (trees with criteria)."""
        if not self.tree.criteria:
            return {}
        flat = self._full if self._full is not None else self._flat
        arith = arithmetic(self.method, max(1, math.prod(self.shape)))
        out = {}
        for c in self.tree.criteria:
            leaf = outcomes(component_view(flat, c.name), arith, self.parameters)
            out[c.name] = _policy_rollback(flat, arith, leaf, self._probs, self._choice)
        return out

    @property
    def criteria_values(self) -> dict[str, Any]:
        """Each criterion's expected value at the root under the policy chosen (trees with criteria).

        In every arithmetic; in symbolic arithmetic, expressions under the policy
        optimal at the defaults.  At a tied decision the first optimal branch is
        taken (as in :attr:`policy`; :attr:`ties` lists the others).  Expected
        values, whatever the decision rule.  Empty for a tree without criteria.
        """
        return {name: self._out(v[0]) for name, v in self._criteria_rolled.items()}

    def criterion_value(self, name: str, node: model.Node | str | None = None) -> Any:
        """Return one criterion's expected value under the policy, at the root or at ``node``."""
        if name not in self._criteria_rolled:
            known = ", ".join(self._criteria_rolled) or "none"
            raise UnknownNameError(f"unknown criterion {name!r} (declared: {known})")
        i = 0 if node is None else self._flat.position(node, self.tree)
        return self._out(self._criteria_rolled[name][i])

    @cached_property
    def strategies(self) -> Any:
        """Every complete strategy and its value, as a DataFrame.

        One column per decision node holding the chosen label (empty where the
        node is not reached; a decision named ``value`` or ``optimal`` gets the
        column ``"value (decision)"``, and the index is ``strategy #`` when a
        decision is named ``strategy``; ``frame.attrs["decisions"]`` maps columns
        to decisions), then ``value`` and ``optimal``.  Raises
        :class:`EvaluationError` when the tree has more than
        :data:`MAX_STRATEGIES`; use :meth:`strategy_value` for chosen ones.
        """
        import pandas as pd

        n = self.n_strategies
        if n > MAX_STRATEGIES:
            raise EvaluationError(
                f"the tree has {n} strategies, more than {MAX_STRATEGIES}; "
                "evaluate chosen ones with Evaluation.strategy_value(policy)"
            )
        keys = [d.key for d in self.tree.decision_nodes]
        # a decision named like a column of the table keeps its own column (no clash)
        columns = {k: f"{k} (decision)" if k in ("value", "optimal") else k for k in keys}
        rows = []
        crit = [c.name for c in self.tree.criteria]
        policies = list(strategies(self.tree))
        batched = self._batched_strategy_values(policies)
        for i, pol in enumerate(policies):
            if batched is not None:
                rows.append({**{columns[k]: pol.get(k, "") for k in keys}, "value": batched[i]})
                continue
            ev = self._strategy_evaluation(pol)
            rows.append(
                {**{columns[k]: pol.get(k, "") for k in keys}, "value": ev.value, **ev.criteria_values}
            )
        frame = pd.DataFrame(rows, columns=[*columns.values(), "value", *crit])
        frame.attrs["decisions"] = {c: k for k, c in columns.items()}
        if self.shape == ():
            best = self.value
            if self.method == "symbolic":
                policy = {columns[k]: v for k, v in self.policy.items()}
                frame["optimal"] = [
                    _strategy_is_optimal(r, policy, list(columns.values())) for _, r in frame.iterrows()
                ]
            elif self.method == "exact":
                frame["optimal"] = [v == best for v in frame["value"]]
            else:
                frame["optimal"] = is_tied(frame["value"].astype(float).to_numpy(), best)
        index_name = "strategy" if "strategy" not in columns.values() else "strategy #"
        frame.index = pd.RangeIndex(1, len(frame) + 1, name=index_name)
        return frame

    # -- display --------------------------------------------------------------------------
    def to_frame(self) -> Any:
        """Every node as a row: path, kind, probability, value, local value, optimal, reach.

        ``value`` includes the payoffs accumulated above the node (the path
        convention), ``local_value`` leaves them out (see :meth:`local_value_of`).
        """
        import pandas as pd

        if self.shape != ():
            raise EvaluationError("to_frame needs a single parameter point; index the points first")
        flat = self._flat
        kinds = {TERMINAL: "terminal", CHANCE: "chance", DECISION: "decision"}
        order = [flat.position(n) for n in self.tree.nodes()]
        conv = (lambda v: float(v[0])) if self.method == "float" else _to_output
        rows = []
        for i in order:
            node = flat.nodes[i]
            rows.append(
                {
                    "path": node.path,
                    "name": node.name,
                    "kind": kinds[int(flat.kind[i])],
                    "probability": conv(self._probs[i]) if flat.under_chance[i] else None,
                    "value": conv(self._values[i]),
                    "local_value": conv(self._values[i] - self._above[i]),
                    "optimal": bool(np.asarray(self._optimal[i]).all())
                    if i and flat.kind[flat.parent[i]] == DECISION
                    else None,
                    "reach": conv(self._reach[i]),
                    **{name: conv(v[i]) for name, v in self._criteria_rolled.items()},
                }
            )
        return pd.DataFrame(rows).set_index("path")

    def latex(self) -> str:
        """Return the root value as LaTeX."""
        return sympy.latex(sympy.sympify(self.value) if self.method == "float" else self.value)

    def summary(self) -> str:
        """Return a few lines: arithmetic, root value, policy and ties."""
        lines = [f"{self.tree.name or 'tree'} ({self.method} arithmetic)"]
        label = "certainty equivalent" if self.utility is not None else "expected value"
        if not rule_named(self.rule).uses_probabilities:
            label = f"value under {self.rule}"
        lines.append(f"  {label}: {self.value}")
        for k, v in self.policy.items():
            tie = f"  (tied: {', '.join(self.ties[k])})" if k in self.ties else ""
            lines.append(f"  {k}: {v}{tie}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Evaluation {self.method}: value={self.value!r}, policy={self.policy!r}>"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return present("html", self)

    def _repr_latex_(self) -> str | None:  # pragma: no cover - notebook display
        if self.method != "symbolic" or self.shape != ():
            return None
        return f"$\\displaystyle {self.latex()}$"


def _strategy_is_optimal(row: Any, policy: Mapping[str, str], keys: list[str]) -> bool:
    return all(row[k] == "" or row[k] == policy[k] for k in keys if k in policy)


def strategies(tree: model.DecisionTree) -> Iterator[dict[str, str]]:
    """Yield every complete strategy: a choice at each reachable decision node.

    Each strategy is a dict from decision name (or path) to branch label, in
    pre-order.

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> [list(s.values()) for s in strategies(texaco_pennzoil())]  # doctest: +NORMALIZE_WHITESPACE
    [['accept 2'], ['counteroffer 5', 'accept 3'], ['counteroffer 5', 'refuse 3']]
    """
    return iter_strategies(tree)  # backtracking with an explicit stack: any depth, any width


def count_strategies(tree: model.DecisionTree) -> int:
    """Return the number of complete strategies (exact, however large).

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> count_strategies(texaco_pennzoil())
    3
    """
    return strategy_count(tree)  # level by level: sums at decisions, products at chance nodes


def evaluate_strategy(
    tree: model.DecisionTree,
    policy: Mapping[str, str],
    values: Mapping[str, Any] | None = None,
    *,
    method: str = "float",
) -> Any:
    """Return the value of a strategy: ``policy`` fixes decisions, the rest are optimal."""
    return evaluate(tree, values, method=method, policy=policy).value


# ----------------------------------------------------------------------------- strategy names
#: How many nearest names a strategy mismatch suggests.
SUGGESTIONS = 5


def _reached_decisions(tree: model.DecisionTree, policy: Mapping[str, str]) -> list[str]:
    """Return the keys of the decisions that ``policy`` reaches, in pre-order."""
    return reached_decisions(tree, policy)


def strategy_name(policy: Mapping[str, str], tree: model.DecisionTree | None = None) -> str:
    """Return the one name evtree gives a strategy: ``decision=label`` pairs, in pre-order.

    With ``tree``, decisions the strategy does not reach are left out (so every
    complete strategy has one name, however its policy was written).  Every
    command and function that takes a strategy accepts this name
    (:func:`parse_strategy`).

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> [strategy_name(s) for s in strategies(texaco_pennzoil())]  # doctest: +NORMALIZE_WHITESPACE
    ['liedtke=accept 2', 'liedtke=counteroffer 5, liedtke_on_3=accept 3',
     'liedtke=counteroffer 5, liedtke_on_3=refuse 3']
    >>> strategy_name({"liedtke": "accept 2", "liedtke_on_3": "refuse 3"}, texaco_pennzoil())
    'liedtke=accept 2'
    """
    keys = [str(k if isinstance(k, str) else k.key) for k in policy]
    labels = {str(k if isinstance(k, str) else k.key): str(v) for k, v in policy.items()}
    if tree is not None:
        keys = _reached_decisions(tree, labels)
    return ", ".join(f"{k}={labels[k]}" for k in keys) or "(no decision)"


def _labels_name(policy: Mapping[str, str]) -> str:
    """Return the name evtree 0.1 gave a strategy: its labels joined by commas."""
    return ", ".join(str(v) for v in policy.values()) or "(no decision)"


def strategy_names(tree: model.DecisionTree) -> dict[str, dict[str, str]]:
    """Return every complete strategy by its name (:func:`strategy_name`), in tree order.

    Raises
    ------
    EvaluationError
        If the tree has more than :data:`MAX_STRATEGIES` strategies.
    """
    n = count_strategies(tree)
    if n > MAX_STRATEGIES:
        raise EvaluationError(f"the tree has {n} strategies, more than {MAX_STRATEGIES}, to name one by one")
    return {strategy_name(p): p for p in strategies(tree)}


def _nearest(text: str, names: list[str]) -> list[str]:
    import difflib

    close = difflib.get_close_matches(text, names, n=SUGGESTIONS, cutoff=0.0)
    return close or names[:SUGGESTIONS]


def _no_strategy(text: str, names: list[str], why: str) -> UnknownNameError:
    nearest = _nearest(text, names)
    err = UnknownNameError(f"{why}; nearest:" + "".join(f"\n  {n}" for n in nearest))
    err.suggestions = nearest  # type: ignore[attr-defined]
    return err


def parse_strategy(tree: model.DecisionTree, spec: Any, *, complete: bool = False) -> dict[str, str]:
    """Return the policy a strategy names: decision key to branch label.

    Parameters
    ----------
    tree : DecisionTree
    spec : str or mapping
        ``"decision=label, decision=label"`` (the name :func:`strategy_name`
        gives; decisions not given are left free), the labels alone as evtree
        0.1 named strategies (``"counteroffer 5, refuse 3"``, complete
        strategies only), or a mapping of decision (name, path or node) to label.
    complete : bool, default False
        Require a complete strategy: one choice at every decision it reaches.
        A partial one matching exactly one complete strategy is completed.

    Returns
    -------
    dict
        The policy, keyed by decision name (or path), in pre-order.

    Raises
    ------
    UnknownNameError
        If the text names no strategy, decision or branch; the message ends with
        the nearest names, one per line (also in the error's ``suggestions``).

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> tree = texaco_pennzoil()
    >>> parse_strategy(tree, "liedtke=counteroffer 5, liedtke_on_3=refuse 3")
    {'liedtke': 'counteroffer 5', 'liedtke_on_3': 'refuse 3'}
    >>> parse_strategy(tree, "counteroffer 5, refuse 3")  # the old name
    {'liedtke': 'counteroffer 5', 'liedtke_on_3': 'refuse 3'}
    >>> parse_strategy(tree, "liedtke=accept 2", complete=True)
    {'liedtke': 'accept 2'}
    """
    if isinstance(spec, Mapping):
        policy = _checked_policy(tree, spec)
    else:
        text = " ".join(str(spec).split())
        policy = _named_policy(tree, text)
    if complete:
        policy = _completed(tree, policy)
    return policy


def _checked_policy(tree: model.DecisionTree, spec: Mapping[Any, Any]) -> dict[str, str]:
    policy: dict[str, str] = {}
    for key, label in spec.items():
        node = key if isinstance(key, model.Node) else tree.node(str(key))
        if not isinstance(node, model.Decision):
            raise UnknownNameError(f"a strategy fixes decisions; this is a {node.kind} node", node=node.path)
        node.branch(str(label))
        policy[node.key] = str(label)
    order = {n.key: i for i, n in enumerate(tree.decision_nodes)}
    return dict(sorted(policy.items(), key=lambda kv: order.get(kv[0], 0)))


def _named_policy(tree: model.DecisionTree, text: str) -> dict[str, str]:
    names: dict[str, dict[str, str]] = {}
    if count_strategies(tree) <= MAX_STRATEGIES:
        for p in strategies(tree):
            names.setdefault(strategy_name(p), p)
            names.setdefault(_labels_name(p), p)
            names.setdefault("; ".join(f"{k}={v}" for k, v in p.items()), p)
    if text in names:
        return dict(names[text])
    if "=" not in text:
        shown = [n for n in names if "=" in n and ";" not in n]
        raise _no_strategy(
            text, shown, f"no strategy is named {text!r} (a strategy is DECISION=LABEL[, DECISION=LABEL...])"
        )
    # decision=label pairs; a piece without '=' belongs to the label before it (a label with a comma)
    pieces: list[list[str]] = []
    for part in text.replace(";", ",").split(","):
        if "=" in part or not pieces:
            pieces.append([part])
        else:
            pieces[-1].append(part)
    spec: dict[str, str] = {}
    decisions = {d.key: d for d in tree.decision_nodes}
    for parts in pieces:
        key, eq, label = ",".join(parts).partition("=")
        key, label = key.strip(), label.strip()
        if not eq or not key or not label:
            raise _no_strategy(
                text,
                [n for n in names if "=" in n and ";" not in n],
                f"a strategy is DECISION=LABEL[, DECISION=LABEL...], not {text!r}",
            )
        if key not in decisions:
            raise _no_strategy(key, list(decisions), f"no decision {key!r} in the strategy {text!r}")
        labels = [c.label for c in decisions[key].children]
        if label not in labels:
            raise _no_strategy(
                label, [f"{key}={x}" for x in labels], f"decision {key!r} has no branch {label!r}"
            )
        spec[key] = label
    return _checked_policy(tree, spec)


def _completed(tree: model.DecisionTree, policy: dict[str, str]) -> dict[str, str]:
    reached = _reached_decisions(tree, policy)
    matches = (
        [p for p in strategies(tree) if all(p.get(k) == policy[k] for k in reached)]
        if count_strategies(tree) <= MAX_STRATEGIES
        else []
    )
    if len(matches) == 1:
        return dict(matches[0])
    missing = [d.key for d in tree.decision_nodes if d.key not in policy and _is_reached(tree, policy, d)]
    if not missing and matches:
        return {k: policy[k] for k in reached}
    shown = [strategy_name(p) for p in matches] or list(strategy_names(tree))
    raise _no_strategy(
        strategy_name(policy),
        shown,
        f"the strategy {strategy_name(policy)!r} does not choose at {missing[0]!r}, which it reaches"
        if missing
        else f"no complete strategy matches {strategy_name(policy)!r}",
    )


def _is_reached(tree: model.DecisionTree, policy: Mapping[str, str], node: model.Node) -> bool:
    """Whether ``node`` can be reached when the decisions in ``policy`` choose as it says."""
    child = node
    parent = node.parent
    while parent is not None:
        if isinstance(parent, model.Decision) and parent.key in policy and policy[parent.key] != child.label:
            return False
        child, parent = parent, parent.parent
    return True
