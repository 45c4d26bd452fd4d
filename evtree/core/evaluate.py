"""Evaluate a tree: one rollback, three arithmetics, one result record.

evaluate           roll a tree back and return an :class:`Evaluation`
evaluate_strategy  the value of one (possibly partial) strategy
strategies         every complete strategy of a tree, as policies
count_strategies   how many complete strategies a tree has
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
    check_probabilities,
    compile_tree,
    formula_view,
    parameter_point,
    raise_problems,
)
from .errors import EvaluationError, UnknownNameError
from .presenters import present
from .rollback import arithmetic, outcomes, reach_probabilities, rollback
from .utility import Utility, resolve_utility, terminal_utilities

__all__ = [
    "MAX_STRATEGIES",
    "METHODS",
    "Evaluation",
    "count_strategies",
    "evaluate",
    "evaluate_strategy",
    "strategies",
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


def _policy_forced(
    flat: FlatTree, tree: model.DecisionTree, policy: Mapping[str, str] | None
) -> np.ndarray | None:
    if not policy:
        return None
    forced = np.full(flat.size, -1, dtype=np.int64)
    for key, label in policy.items():
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
    policy : mapping of decision name to branch label, optional
        Fix these decisions; the others are chosen optimally.
    utility : "tree", None, mapping or Utility, default "tree"
        The utility function: the tree's own by default, ``None`` for risk
        neutral.  With a utility, decisions maximise expected utility and node
        values are certainty equivalents.

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
    flat = compile_tree(formula_view(tree, values or ()))  # a value given to a formula overrides it
    raise_problems(flat)
    util = resolve_utility(tree.utility if utility == "tree" else utility, tree.parameters)
    if util is not None and util.is_linear:
        util = None
    if utility == "tree" and model._TERMINAL_UTILITIES[0] and tree.has_terminal_utilities:
        util = terminal_utilities(formula_view(tree, values or ()), util)  # Howard's u-values
    if util is not None and tree.objective != "max":
        raise EvaluationError("a utility function needs objective 'max'")
    forced = _policy_forced(flat, tree, policy)
    point = parameter_point(tree, values, method=method)
    shape: tuple[int, ...] = ()
    if method == "float":
        point, shape = _broadcast_point(point)
    arith = arithmetic(method, math.prod(shape) if shape else 1)
    probs = arith.probabilities(flat, point)
    if method == "symbolic":
        check_probabilities(tree, flat, method="symbolic", values=values)
    else:
        arith.check_probabilities(flat, probs)
    outcome = outcomes(flat, arith, point)
    leaves = outcome if util is None else util.forward(outcome, method, point)
    rolled = rollback(flat, arith, leaves, probs, tree.objective, forced, overwrite=leaves is not outcome)
    base = None
    if method == "symbolic":
        numeric = {k: v for k, v in (values or {}).items() if not isinstance(v, sympy.Basic) or v.is_number}
        base = evaluate(tree, numeric, method="exact", policy=policy, utility=util)
    return Evaluation(
        tree=tree,
        method=method,
        parameters=point,
        shape=shape,
        utility=util,
        policy_fixed=dict(policy or {}),
        _flat=flat,
        _probs=probs,
        _outcomes=outcome,
        _rolled=rolled,
        _base=base,
    )


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
    """

    tree: model.DecisionTree
    method: str
    parameters: Mapping[str, Any]
    shape: tuple[int, ...]
    utility: Utility | None
    policy_fixed: Mapping[str, str]
    _flat: FlatTree = dataclasses.field(repr=False)
    _probs: Any = dataclasses.field(repr=False)
    _outcomes: Any = dataclasses.field(repr=False)
    _rolled: Any = dataclasses.field(repr=False)
    _base: Evaluation | None = dataclasses.field(repr=False, default=None)

    # -- values ---------------------------------------------------------------------------
    @property
    def exact(self) -> bool:
        """Whether the arithmetic was exact (exact or symbolic)."""
        return self.method != "float"

    @cached_property
    def _values(self) -> Any:
        """Node values in payoff units: expected values, or certainty equivalents."""
        if self.utility is None:
            return self._rolled
        return self.utility.inverse(self._rolled, self.method, self.parameters)

    def _out(self, row: Any) -> Any:
        if self.method == "float":
            return float(row[0]) if self.shape == () else row.reshape(self.shape)
        return _to_output(row)

    @property
    def value(self) -> Any:
        """The root's value: expected value, or certainty equivalent under a utility."""
        return self._out(self._values[0])

    @property
    def expected_utility(self) -> Any:
        """The root's expected utility (``None`` when risk neutral)."""
        return None if self.utility is None else self._out(self._rolled[0])

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
        return self._out(self._rolled[self._flat.position(node, self.tree)])

    # -- choices --------------------------------------------------------------------------
    @cached_property
    def _optimal(self) -> np.ndarray:
        """Node-aligned mask: the node is an optimal option of its decision parent."""
        if self._base is not None:
            return self._base._optimal
        flat = self._flat
        arith = arithmetic(self.method, max(1, math.prod(self.shape)))
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
        for d in flat.decision_indices:
            node = flat.nodes[d]
            c = self._choice[d]
            if c.ndim == 0 or self._base is not None or self.shape == ():
                out[node.key] = flat.nodes[int(c if c.ndim == 0 else c[0])].label
            else:
                labels = np.array([ch.label for ch in node.children], dtype=object)
                out[node.key] = labels[c - flat.first_child[d]].reshape(self.shape)
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
                    out[flat.nodes[d].key] = tuple(flat.nodes[a + j].label for j in np.flatnonzero(block))
            else:
                tied_points = block.sum(axis=0) > 1
                if tied_points.any():
                    which = block[:, tied_points].any(axis=1)
                    out[flat.nodes[d].key] = tuple(flat.nodes[a + j].label for j in np.flatnonzero(which))
        return out

    @cached_property
    def option_values(self) -> dict[str, dict[str, Any]]:
        """The value of every option at every decision node: name to {label: value}."""
        flat = self._flat
        return {
            flat.nodes[d].key: {
                flat.nodes[c].label: self._out(self._values[c])
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

    def strategy_value(self, policy: Mapping[str, str]) -> Any:
        """Value of a strategy given as decision name → label (others chosen optimally)."""
        merged = {**self.policy_fixed, **policy}
        values = self.parameters if self.method != "symbolic" else None
        if self.method == "float" and self.shape != ():
            values = {k: np.asarray(v).reshape(self.shape) for k, v in self.parameters.items()}
        return evaluate(self.tree, values, method=self.method, policy=merged, utility=self.utility).value

    @cached_property
    def strategies(self) -> Any:
        """Every complete strategy and its value, as a DataFrame.

        One column per decision node holding the chosen label (empty where the
        node is not reached), then ``value`` and ``optimal``.  Raises
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
        rows = []
        for pol in strategies(self.tree):
            v = self.strategy_value(pol)
            rows.append({**{k: pol.get(k, "") for k in keys}, "value": v})
        frame = pd.DataFrame(rows, columns=[*keys, "value"])
        if self.shape == ():
            best = self.value
            if self.method == "symbolic":
                frame["optimal"] = [_strategy_is_optimal(r, self.policy, keys) for _, r in frame.iterrows()]
            elif self.method == "exact":
                frame["optimal"] = [v == best for v in frame["value"]]
            else:
                frame["optimal"] = np.isclose(frame["value"].astype(float), best, rtol=1e-9, atol=1e-12)
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="strategy")
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

    def walk(node: model.Node) -> Iterator[dict[str, str]]:
        if isinstance(node, model.Terminal):
            yield {}
        elif isinstance(node, model.Decision):
            for child in node.children:
                for rest in walk(child):
                    yield {node.key: child.label, **rest}
        else:
            parts = [list(walk(c)) for c in node.children]
            yield from _product(parts)

    return walk(tree.root)


def _product(parts: list[list[dict[str, str]]]) -> Iterator[dict[str, str]]:
    if not parts:
        yield {}
        return
    for first in parts[0]:
        for rest in _product(parts[1:]):
            yield {**first, **rest}


def count_strategies(tree: model.DecisionTree) -> int:
    """Return the number of complete strategies (exact, however large).

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> count_strategies(texaco_pennzoil())
    3
    """
    flat = compile_tree(tree)
    counts = np.ones(flat.size, dtype=object)
    for level in reversed(flat.levels):
        kids = counts[level.children]
        out = []
        for kind, s, c in zip(level.kinds, level.starts, level.counts):
            seg = kids[s : s + c]
            out.append(sum(seg) if kind == DECISION else math.prod(seg))
        parents = level.parents
        if isinstance(parents, slice):
            counts[parents] = out
        else:
            for p, v in zip(parents, out):
                counts[p] = v
    return int(counts[0])


def evaluate_strategy(
    tree: model.DecisionTree,
    policy: Mapping[str, str],
    values: Mapping[str, Any] | None = None,
    *,
    method: str = "float",
) -> Any:
    """Return the value of a strategy: ``policy`` fixes decisions, the rest are optimal."""
    return evaluate(tree, values, method=method, policy=policy).value
