"""What every sensitivity analysis shares: base points, ranges, moving probabilities, policies' names."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from ..core import model
from ..core.compile import CHANCE, DECISION, FlatTree, compile_tree, raise_problems
from ..core.errors import EvaluationError, ModelError
from ..core.evaluate import _labels_name, count_strategies, evaluate, strategies
from ..core.evaluate import strategy_name as named
from ..core.expressions import as_expr, exact_number, symbol
from . import _piecewise as pw

#: Per-strategy columns, targets and rows are listed for trees with at most this many
#: strategies; bigger trees list the strategies that are optimal somewhere instead.
MAX_STRATEGY_LINES = 256
PROBABILITY_MODES = ("auto", "rest", "proportional")


#: evtree 0.1's name of a strategy, its labels joined by commas: the value of the records'
#: existing ``*_name`` attributes, frame columns and ``target``s, kept for compatibility.
#: Every printed text and every ``*_strategy`` field uses :func:`named`, the one name evtree
#: gives a strategy (:func:`evtree.core.evaluate.strategy_name`, ``decision=label`` pairs).
strategy_name = _labels_name


def renamer(tree: model.DecisionTree) -> Any:
    """Return a function from a compatibility name (labels) to the ``decision=label`` name.

    For records that keep only the labels-joined names (the two-way regions); a name
    that names no single strategy of ``tree`` (``"infeasible"``) is returned as it is.
    """
    from ..core.errors import EvtreeError
    from ..core.evaluate import parse_strategy

    cache: dict[str, str] = {}

    def rename(name: str) -> str:
        if name not in cache:
            try:
                cache[name] = named(parse_strategy(tree, name, complete=True))
            except EvtreeError:
                cache[name] = name
        return cache[name]

    return rename


def names_of(policies: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """Map each policy's compatibility name (labels) to its ``decision=label`` name."""
    return {strategy_name(p): named(p) for p in policies}


@dataclasses.dataclass(frozen=True)
class StrategyFunction:
    """A complete strategy and its value as an exact expression in the parameters.

    ``name`` is its labels joined by commas (kept for compatibility); :attr:`strategy`
    its name, ``decision=label, ...``.
    """

    name: str
    policy: Mapping[str, str]
    expr: sympy.Expr

    @property
    def strategy(self) -> str:
        """The strategy's name, ``decision=label, ...`` (:func:`evtree.core.evaluate.strategy_name`)."""
        return named(self.policy)


def few_strategies(tree: model.DecisionTree) -> bool:
    return count_strategies(tree) <= MAX_STRATEGY_LINES


def listed_strategies(tree: model.DecisionTree) -> Iterator[dict[str, str]]:
    return strategies(tree)


def compiled(tree: model.DecisionTree) -> FlatTree:
    """Return the compiled tree whose payoffs the exact analyses work on.

    In a tree with criteria that is the objective's score (net benefit, a weighted sum,
    one criterion), as :func:`evtree.evaluate` rolls back; a game, or criteria with no
    objective, is refused rather than analysed on an empty payoff.
    """
    flat = compile_tree(tree)
    if getattr(tree, "players", None):
        raise EvaluationError(
            "sensitivity analysis works on one decision maker's value; for a game use "
            "evtree.games.equilibrium_regions"
        )
    if getattr(tree, "criteria", None):
        if tree.criteria_objective is None:
            raise EvaluationError(
                "the tree has criteria but no objective among them: give one (e.g. "
                "evtree.cea.net_benefit_tree(tree, wtp)), or analyse one criterion"
            )
        from ..core.objectives import objective_view

        return objective_view(tree, flat, tree.criteria_objective)
    return flat


def base_view(
    tree: model.DecisionTree, varied: Sequence[str] | None, values: Mapping[str, Any] | None
) -> Any:
    """Return the tree in which the formula parameters varied or given a value are base parameters.

    Varying a formula parameter (or giving it a value) overrides its formula; the other
    formulas still follow the base parameters (:func:`evtree.core.compile.formula_view`).
    """
    from ..core.compile import formula_view

    names = [*(varied or ()), *(values or {})]
    return formula_view(tree, names) if names else tree


def fixed_point(tree: model.DecisionTree, values: Mapping[str, Any] | None, free: Sequence[str]) -> dict:
    """Exact values of every base parameter except the free ones, keyed by symbol.

    Formula parameters are left out: the evaluation computes them from the base ones.
    """
    values = dict(values or {})
    for name in values:
        tree.parameter(name)
    base = getattr(tree, "base_parameters", tree.parameters)
    return {
        symbol(name): exact_number(values.get(name, p.exact)) for name, p in base.items() if name not in free
    }


def by_name(fixed: Mapping[sympy.Symbol, Any]) -> dict[str, Any]:
    return {k.name: v for k, v in fixed.items()}


def check_utility(tree: model.DecisionTree) -> None:
    if getattr(tree, "has_terminal_utilities", False):
        raise EvaluationError(
            "sensitivity analysis works on expected values; this tree gives utilities per terminal "
            "(analyse a copy without them, or use evaluate() per point)"
        )
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


def adjusted(tree: model.DecisionTree, name: str, mode: str) -> tuple[model.DecisionTree, str]:
    """Return the tree in which moving ``name`` keeps every chance node summing to 1.

    A node whose probabilities already sum to 1 identically in the parameter
    (such as ``p``, ``(1 - p) q``, ``(1 - p)(1 - q)``) needs nothing, whatever
    its branches' values at the base case.
    """
    if mode not in PROBABILITY_MODES:
        raise ValueError(f"probability_mode must be one of {PROBABILITY_MODES}, got {mode!r}")
    raise_problems(compile_tree(tree))  # a tree evaluate refuses is refused here too, by the same problems
    nodes = _probability_nodes(tree, name)
    if not nodes:
        return tree, ""
    s = symbol(name)
    absorbing: list[str] = []
    rescaling: list[str] = []
    copy: model.DecisionTree | None = None
    base = {symbol(k): p.exact for k, p in tree.parameters.items() if k != name}
    for node in nodes:
        children = list(node.children)
        has_rest = any(c.probability == model.REST for c in children)
        use_rest = mode == "rest" or (mode == "auto" and has_rest)
        if use_rest and has_rest:
            absorbing.append(node.key)
            continue
        if use_rest:
            raise ModelError(
                "probability_mode 'rest' needs a 'rest' branch; none at this node", node=node.path
            )
        total = sympy.expand(sympy.Add(*[as_expr(c.probability) for c in children]).xreplace(base))
        if total == 1:  # sums to 1 whatever the parameter: nothing to rescale
            continue
        moving = [c for c in children if s in as_expr(c.probability).free_symbols]
        others = [c for c in children if c not in moving]
        if not others:
            continue
        others_total = sympy.Add(*[as_expr(c.probability) for c in others])
        if others_total.xreplace(base) == 0:
            raise ModelError(
                "the other branches have probability 0 at the base case; they cannot rescale",
                node=node.path,
            )
        if copy is None:
            copy = tree.copy()
        target = copy.node(node.key) if node.name else copy.node(node.path)
        moved_total = sympy.Add(*[as_expr(c.probability) for c in moving])
        for c in target.children:
            if s not in as_expr(c.probability).free_symbols:
                c.probability = as_expr(c.probability) * (1 - moved_total) / others_total
        rescaling.append(node.key)
    notes = []
    if absorbing:
        notes.append(f"at {_listing(absorbing)}, the 'rest' branch absorbs changes in {name}")
    if rescaling:
        notes.append(f"at {_listing(rescaling)}, the other branches rescale in proportion to {name}")
    return (copy if copy is not None else tree), "; ".join(notes)


def _listing(keys: list[str], shown: int = 3) -> str:
    if len(keys) <= shown:
        return ", ".join(keys)
    return f"{len(keys)} chance nodes ({', '.join(keys[:shown])}, ...)"


def _legacy_feasible(
    tree: model.DecisionTree, name: str, fixed: Mapping[sympy.Symbol, Any], low: Any, high: Any
) -> tuple[sympy.Expr, sympy.Expr]:
    """Feasible interval by sympy's solvers, for probabilities that are not polynomials."""
    from ..core.rollback import arithmetic

    x = symbol(name)
    flat = compiled(tree)
    point = {k.name: v for k, v in fixed.items()}
    point[name] = x
    probs = arithmetic("symbolic").probabilities(flat, point)
    interval = sympy.Interval(low, high)
    for e in {probs[i] for i in np.flatnonzero(flat.under_chance)}:
        e = sympy.simplify(e)
        if x not in e.free_symbols:
            continue
        for cond in (e >= 0, e <= 1):
            try:
                ok = sympy.solveset(cond, x, domain=sympy.S.Reals)
            except (NotImplementedError, ValueError, TypeError):
                continue
            interval = interval.intersect(ok)
    if interval.is_empty or not isinstance(interval, sympy.Interval):
        if isinstance(interval, sympy.Union):
            interval = interval.args[0]
        else:
            raise EvaluationError(f"no value of {name} in [{low}, {high}] keeps every probability in [0, 1]")
    return interval.start, interval.end


def feasible_range(
    tree: model.DecisionTree, name: str, fixed: Mapping[sympy.Symbol, Any], low: Any, high: Any
) -> tuple[Any, Any, pw.Point | None, pw.Point | None]:
    """Return the largest sub-interval of [low, high] where every probability lies in [0, 1].

    Returns the ends as sympy numbers, and as exact points when the
    probabilities are polynomials in the parameter (else None).  Where the
    feasible set has several pieces, the one holding the base value is kept
    (else the first).
    """
    flat = compiled(tree)
    try:
        probs = pw.probability_polynomials(flat, name, by_name(fixed))
    except pw.NotPolynomial:
        lo, hi = _legacy_feasible(tree, name, fixed, low, high)
        return lo, hi, None, None
    lo_pt, hi_pt = pw.rational(_fmpq(low)), pw.rational(_fmpq(high))
    pieces = pw.feasible_interval(probs, flat.under_chance, lo_pt, hi_pt, None)
    if not pieces:
        raise EvaluationError(f"no value of {name} in [{low}, {high}] keeps every probability in [0, 1]")
    base = pw.rational(_fmpq(tree.parameter(name).exact))
    chosen = next((pc for pc in pieces if pc[0] <= base <= pc[1]), pieces[0])
    if chosen[0] == chosen[1]:
        raise EvaluationError(
            f"only {name} = {chosen[0].to_sympy()} in [{low}, {high}] keeps every probability in [0, 1]"
        )
    return chosen[0].to_sympy(), chosen[1].to_sympy(), chosen[0], chosen[1]


def _fmpq(v: Any) -> Any:
    import flint

    r = sympy.Rational(exact_number(v))
    return flint.fmpq(int(r.p), int(r.q))


def range_of(
    tree: model.DecisionTree, name: str, range_: Any, fixed: Mapping[sympy.Symbol, Any]
) -> tuple[Any, Any, str, pw.Point | None, pw.Point | None]:
    """Return the range of ``name`` to analyse, clipped to valid probabilities, and the clipping note."""
    p = tree.parameter(name)
    if range_ is not None:
        low, high = (exact_number(v) for v in range_)
    else:
        low, high = p.bounds
        if low is None or high is None:
            raise ModelError(f"parameter {name!r} has no bounds; give a range", field=f"parameters.{name}")
    if low >= high:
        raise ModelError(f"the range of {name!r} is empty: [{low}, {high}]", field=f"parameters.{name}")
    if not (sympy.sympify(low).is_Rational and sympy.sympify(high).is_Rational):
        lo, hi = _legacy_feasible(tree, name, fixed, low, high)
        lo_pt = hi_pt = None
    else:
        lo, hi, lo_pt, hi_pt = feasible_range(tree, name, fixed, low, high)
    note = ""
    if (lo, hi) != (low, high):
        note = (
            f"{name} clipped from [{low}, {high}] to [{lo}, {hi}] so that every probability stays in [0, 1]"
        )
    return lo, hi, note, lo_pt, hi_pt


# ------------------------------------------------------------------------------ policies
def preorder_decisions(flat: FlatTree) -> list[int]:
    """Flat indices of the decision nodes in pre-order."""
    order: list[int] = []
    stack = [0]
    kind, first, count = flat.kind, flat.first_child, flat.n_children
    while stack:
        i = stack.pop()
        if kind[i] == DECISION:
            order.append(i)
        a = int(first[i])
        stack.extend(range(a + int(count[i]) - 1, a - 1, -1))
    return order


def reachable_policy(flat: FlatTree, choose: Any) -> dict[str, str]:
    """Return the reachable decisions and their labels, in pre-order.

    ``choose(i)`` is the option taken at decision ``i``.

    ``choose`` returns the offset of the chosen child.
    """
    out: dict[str, str] = {}
    stack = [0]
    kind, first, count, nodes = flat.kind, flat.first_child, flat.n_children, flat.nodes
    while stack:
        i = stack.pop()
        if kind[i] == DECISION:
            c = int(first[i]) + int(choose(i))
            out[nodes[i].key] = nodes[c].label
            stack.append(c)
        else:
            a = int(first[i])
            stack.extend(range(a + int(count[i]) - 1, a - 1, -1))
    return out


def reachable(tree: model.DecisionTree, policy: Mapping[str, str]) -> dict[str, str]:
    """Return the decisions reachable under ``policy`` (a choice at every decision), in pre-order."""
    flat = compiled(tree)
    offsets = {}
    for d in flat.decision_indices:
        node = flat.nodes[d]
        labels = [c.label for c in node.children]
        offsets[int(d)] = labels.index(policy[node.key])
    return reachable_policy(flat, offsets.__getitem__)


def policy_codes(flat: FlatTree, result: Any) -> tuple[np.ndarray, list[dict[str, str]]]:
    """For a broadcast float evaluation: a code per point and the reachable optimal policy of each code."""
    choice = np.asarray(result._choice)
    if choice.ndim == 1:
        choice = choice[:, None]
    n_points = choice.shape[1]
    reach = np.zeros((flat.size, n_points), dtype=bool)
    reach[0] = True
    kind = flat.kind
    for level in flat.levels:
        kids = level.children
        idx = np.arange(kids.start, kids.stop)
        par = flat.parent[idx]
        dec = kind[par] == DECISION
        ok = np.where(dec[:, None], choice[par] == idx[:, None], True)
        reach[idx] = reach[par] & ok
    dec = preorder_decisions(flat)
    if not dec:
        return np.zeros(n_points, dtype=np.int64), [{}]
    offsets = choice[dec] - flat.first_child[dec][:, None]
    matrix = np.where(reach[dec], offsets, -1).T
    uniq, inverse = np.unique(matrix, axis=0, return_inverse=True)
    policies = []
    for row in uniq:
        pol = {}
        for d, c in zip(dec, row):
            if c >= 0:
                pol[flat.nodes[d].key] = flat.nodes[int(flat.first_child[d]) + int(c)].label
        policies.append(pol)
    return np.asarray(inverse).reshape(-1), policies


def float_point(fixed: Mapping[sympy.Symbol, Any]) -> dict[str, float]:
    return {k.name: float(v) for k, v in fixed.items()}


def evaluate_float(tree: model.DecisionTree, point: Mapping[str, Any], policy: Any = None) -> Any:
    return evaluate(tree, dict(point), utility=None, policy=policy)


class PolicyPolynomials:
    """Values of fixed policies as exact polynomials in a few free parameters.

    Only the nodes a policy reaches are visited, in sympy's sparse polynomial
    ring over the rationals; the result is converted to a sympy expression once.
    Raises :class:`NotImplementedError` from :meth:`value` when a probability or
    payoff is not a polynomial in the free parameters.
    """

    def __init__(self, tree: model.DecisionTree, fixed: Mapping[str, Any], free: Sequence[str]) -> None:
        from sympy.polys.domains import QQ
        from sympy.polys.rings import ring

        from ..core.rollback import arithmetic

        self.flat = flat = compiled(tree)
        self.ring, *_gens = ring([symbol(n) for n in free], QQ)
        point: dict[str, Any] = {k: sympy.sympify(v) for k, v in fixed.items()}
        point.update({n: symbol(n) for n in free})
        self._cache: dict[Any, Any] = {}
        self.probs = arithmetic("symbolic").probabilities(flat, point)
        subs = {symbol(k): v for k, v in point.items()}
        self._payoff = self._node_table(flat.payoff, subs)
        self._along = self._node_table(flat.branch_payoff, subs)

    def _node_table(self, q: Any, subs: Mapping[Any, Any]) -> list[Any]:
        exprs = [e.xreplace(subs) for e in q.exprs]
        out: list[Any] = []
        for i, r in enumerate(q.raw):
            j = q.expr_index[i]
            if j >= 0:
                out.append(exprs[j])
            elif r is None:
                out.append(sympy.Integer(0))
            else:
                out.append(exact_number(as_expr(r) if isinstance(r, str) else r))
        return out

    def _poly(self, e: Any) -> Any:
        p = self._cache.get(e)
        if p is None:
            try:
                p = self.ring.from_expr(sympy.sympify(e))
            except (ValueError, TypeError, sympy.CoercionFailed, sympy.PolynomialError) as err:
                raise NotImplementedError(f"{e} is not a polynomial") from err
            self._cache[e] = p
        return p

    def value(self, policy: Mapping[str, str]) -> sympy.Expr:
        """Return the value of the (reachable) ``policy`` as a sympy expression in the free parameters."""
        return self.value_poly(policy).as_expr()

    def value_poly(self, policy: Mapping[str, str]) -> Any:
        """Return the value of the (reachable) ``policy`` as an element of the polynomial ring."""
        flat = self.flat
        kind, first, count, nodes = flat.kind, flat.first_child, flat.n_children, flat.nodes
        ring = self.ring

        def val(i: int, acc: Any) -> Any:
            acc = acc + self._poly(self._along[i])
            k = kind[i]
            if k == DECISION:
                a = int(first[i])
                labels = [nodes[c].label for c in range(a, a + int(count[i]))]
                return val(a + labels.index(policy[nodes[i].key]), acc)
            if k == CHANCE:
                a = int(first[i])
                total = ring.zero
                for c in range(a, a + int(count[i])):
                    total += self._poly(self.probs[c]) * val(c, acc)
                return total
            return acc + self._poly(self._payoff[i])

        return val(0, ring.zero)


def grid_policies(
    tree: model.DecisionTree,
    points: Mapping[str, Any],
    *,
    chunk: int = 1024,
    on_chunk: Callable[[Any, int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[dict[str, str]]]:
    """Float rollback at many points, in chunks that stay in cache.

    Returns the root value at each point, a code per point, and the reachable
    optimal policy of each code.  ``on_chunk(result, start, size)`` is called
    with each chunk's evaluation (points ``start`` to ``start + size - 1``).
    """
    flat = compiled(tree)
    arrays = {k: np.asarray(v, dtype=float) for k, v in points.items()}
    n = max((a.size for a in arrays.values() if a.ndim), default=1)
    arrays = {k: np.broadcast_to(a, (n,)) if a.ndim else a for k, a in arrays.items()}
    values = np.empty(n)
    codes = np.empty(n, dtype=np.int64)
    policies: list[dict[str, str]] = []
    seen: dict[tuple, int] = {}
    for start in range(0, n, chunk):
        part = {k: (a[start : start + chunk] if a.ndim else a) for k, a in arrays.items()}
        r = evaluate_float(tree, part)
        size = min(chunk, n - start)
        values[start : start + size] = np.broadcast_to(np.asarray(r.value, dtype=float), (size,))
        local, pols = policy_codes(flat, r)
        remap = []
        for pol in pols:
            key = tuple(pol.items())
            if key not in seen:
                seen[key] = len(policies)
                policies.append(pol)
            remap.append(seen[key])
        codes[start : start + size] = np.asarray(remap, dtype=np.int64)[local]
        if on_chunk is not None:
            on_chunk(r, start, size)
    return values, codes, policies


def evaluate_ring_element(poly: Any, columns: Sequence[np.ndarray]) -> np.ndarray:
    """Evaluate a sparse ring polynomial at many float points (one array per generator)."""
    out = np.zeros(len(columns[0]) if len(columns) else 1)
    for monom, coeff in poly.terms():
        term = np.full(out.shape, float(coeff))
        for col, e in zip(columns, monom):
            if e:
                term *= col**e
        out += term
    return out
