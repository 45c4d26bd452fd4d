"""Strategies and the compiled tree: a tree turned once into a vectorised function of its inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core import model
from ..core.compile import (
    DECISION,
    PROBABILITY_TOLERANCE,
    compile_tree,
    formula_view,
    parameter_point,
    raise_problems,
)
from ..core.errors import EvaluationError, ProbabilityError, UnknownNameError
from ..distributions import Source, tree_sources

#: Draws per canonical block: the unit of random streams and of Dask tasks.
BLOCK = 2**16
#: PSA analyses at most this many strategies unless they are given explicitly.
MAX_STRATEGIES = 1024
#: Working memory of one evaluation chunk, in bytes (sets the default chunk size).
CHUNK_MEMORY = 64 * 2**20

_PSA, _OUTER, _INNER = 0, 1, 2  # stream tags


# ----------------------------------------------------------------------------- strategies
def _resolve_strategies(
    tree: model.DecisionTree, flat: Any, strategies: Any, limit: int
) -> tuple[list[dict[str, str]], list[str], list[np.ndarray]]:
    """Return the policies, their names, and for each the mask of nodes it can reach."""
    from ..core.evaluate import _labels_name, count_strategies
    from ..core.evaluate import strategies as all_strategies

    if strategies is None:
        n = count_strategies(tree)
        if n > limit:
            raise EvaluationError(
                f"the tree has {n} strategies, more than {limit}; pass strategies=[policy, ...] "
                "(each a mapping from decision to branch label) to analyse chosen ones"
            )
        policies = list(all_strategies(tree))
        given_names: list[str | None] = [None] * len(policies)
    elif isinstance(strategies, Mapping):
        given_names = [str(k) for k in strategies]
        policies = [dict(v) for v in strategies.values()]
    else:  # a strategy may be given by its name, "decision=label, ..." (issue 18)
        from ..core.evaluate import parse_strategy

        policies = [parse_strategy(tree, p) if isinstance(p, str) else dict(p) for p in strategies]
        given_names = [None] * len(policies)
    if not policies:
        raise EvaluationError("no strategies to analyse")
    out_policies, names, masks = [], [], []
    preorder = _preorder(flat)
    for policy, given in zip(policies, given_names):
        chosen = np.full(flat.size, -1, dtype=np.int64)
        for key, label in policy.items():
            node = tree.node(key) if isinstance(key, str) else key
            if not isinstance(node, model.Decision):
                raise UnknownNameError(f"a strategy fixes a {node.kind} node, not a decision", node=node.path)
            chosen[flat.position(node)] = flat.position(node.branch(str(label)))
        mask = np.zeros(flat.size, dtype=bool)
        mask[0] = True
        for level in flat.levels:
            kids = np.arange(level.children.start, level.children.stop)
            par = flat.parent[kids]
            mask[kids] = mask[par] & ((flat.kind[par] != DECISION) | (chosen[par] == kids))
        missing = [i for i in flat.decision_indices if mask[i] and chosen[i] < 0]
        if missing:
            raise EvaluationError(
                f"strategy {policy!r} does not choose at decision {flat.nodes[missing[0]].key!r}, "
                "which it can reach; a strategy fixes every decision it reaches"
            )
        reached = [int(i) for i in flat.decision_indices if mask[i]]
        fixed = {flat.nodes[i].key: flat.nodes[chosen[i]].label for i in sorted(reached, key=preorder)}
        out_policies.append(fixed)
        names.append(given if given is not None else _labels_name(fixed))
        masks.append(mask)
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            seen[name] += 1
            names[i] = f"{name} #{seen[name]}"
        else:
            seen[name] = 1
    return out_policies, names, masks


def _payoff_view(tree: model.DecisionTree, flat: Any, view: Any) -> Any:
    """Return the FlatTree whose payoffs are valued: a criterion's, or an objective's score."""
    from ..core.components import component_view
    from ..core.objectives import Objective, objective_view

    if isinstance(view, str):
        return component_view(flat, view)
    if isinstance(view, Objective):
        return objective_view(tree, flat, view)
    if view is not None:
        return view
    if tree.criteria and tree.criteria_objective is not None:
        return objective_view(tree, flat, tree.criteria_objective)
    if tree.component_names:
        raise EvaluationError(
            "the tree declares criteria or players but no objective over them: give it one "
            "(objective: {net_benefit: ...}) or use evtree.psa.cost_effect_psa for two criteria"
        )
    return flat


def _preorder(flat: Any) -> Any:
    order = {id(n): i for i, n in enumerate(flat.nodes[0].descendants)}
    order[id(flat.nodes[0])] = -1
    return lambda i: order[id(flat.nodes[i])]


# ----------------------------------------------------------------------------- compiled tree
class CompiledTree:
    """A tree compiled once into a vectorised function of its sampled inputs.

    The value of a strategy at one draw is the sum, over the terminals the
    strategy can reach, of the probability of reaching the terminal times its
    outcome.  Reach probabilities are accumulated top down over the levels of
    the :class:`~evtree.compile.FlatTree`; every expression of the tree is
    lambdified once.  All operations are element-wise over draws, so a draw's
    numbers do not depend on which other draws share its chunk.

    Parameters
    ----------
    tree : DecisionTree
    strategies : sequence or mapping of policies, optional
        The strategies to value (default: all, at most :data:`MAX_STRATEGIES`).
        A mapping gives them names.
    max_strategies : int, default MAX_STRATEGIES
    flat : str, Objective or FlatTree, optional
        In a tree with criteria, the payoffs to value: one criterion (its name),
        an objective's score (:class:`evtree.core.objectives.Objective`), or a
        view of the tree's compiled form made by
        :func:`~evtree.core.components.component_view` or
        :func:`~evtree.core.objectives.objective_view`.  By default, the tree's
        own objective over its criteria.

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> c = CompiledTree(texaco_pennzoil())
    >>> c.names
    ['accept 2', 'counteroffer 5, accept 3', 'counteroffer 5, refuse 3']
    >>> c.strategy_names[1]
    'liedtke=counteroffer 5, liedtke_on_3=accept 3'
    >>> c.values({}, 1).ravel().round(4).tolist()
    [2.0, 4.12, 4.6348]
    """

    def __init__(
        self,
        tree: model.DecisionTree,
        strategies: Any = None,
        *,
        max_strategies: int = MAX_STRATEGIES,
        flat: Any = None,
    ) -> None:
        import sympy

        from ..core.expressions import symbol
        from ..core.utility import resolve_utility

        view = flat
        # A formula parameter given its own distribution is drawn, overriding its formula;
        # the other formulas are part of the compiled expressions, so they follow every draw.
        drawn_formulas = [k for k, p in tree.formula_parameters.items() if p.distribution is not None]
        flat = compile_tree(formula_view(tree, drawn_formulas))
        raise_problems(flat)
        flat = _payoff_view(tree, flat, view)
        util = resolve_utility(tree.utility, tree.parameters)
        if tree.has_terminal_utilities:
            raise EvaluationError(
                "probabilistic sensitivity analysis works with expected values, but the tree's terminals "
                "carry utilities (u-values); analyse a copy without them"
            )
        if util is not None and not util.is_linear:
            raise EvaluationError(
                "probabilistic sensitivity analysis works with expected values, but the tree has a "
                "non-linear utility; analyse a copy without it (tree.utility = None)"
            )
        self.tree = tree
        self.flat = flat
        self.objective = tree.objective
        self.sources: list[Source] = tree_sources(tree)
        self.policies, self.names, masks = _resolve_strategies(tree, flat, strategies, max_strategies)
        from ..core.evaluate import strategy_name

        #: Each strategy's name, ``decision=label, ...`` (``names`` keeps the labels or given names).
        self.strategy_names = [strategy_name(p) for p in self.policies]
        self.defaults = {name: float(v) for name, v in parameter_point(tree, None, method="exact").items()}
        n = flat.size

        # One table of every expression of the tree.
        table: dict[Any, int] = {}

        def global_index(q: Any) -> np.ndarray:
            g = np.full(n, -1, dtype=np.int64)
            rows = np.flatnonzero(q.expr_index >= 0)
            for i in rows:
                g[i] = table.setdefault(q.exprs[q.expr_index[i]], len(table))
            return g

        prob_g = global_index(flat.probability)
        bp_g = global_index(flat.branch_payoff)
        pay_g = global_index(flat.payoff)
        self._symbols = sorted({s.name for e in table for s in e.free_symbols})
        self._exprs = list(table)
        self._fn = (
            sympy.lambdify([symbol(s) for s in self._symbols], self._exprs, "numpy", cse=True)
            if self._exprs
            else None
        )

        # Chance nodes whose probabilities vary from draw to draw.
        self._override: dict[int, tuple[int, tuple[int, ...]]] = {}
        for k, src in enumerate(self.sources):
            for node, order in zip(src.nodes, src.orders):
                self._override[flat.position(node)] = (k, order)
        under = flat.under_chance
        cprob = np.where(under, flat.probability.const, 1.0)
        raw = flat.probability.raw
        self._var_nodes: list[tuple[int, list[tuple[int, str, Any]]]] = []
        for p in flat.chance_indices:
            p = int(p)
            a, k = int(flat.first_child[p]), int(flat.n_children[p])
            kids = range(a, a + k)
            if p in self._override:
                self._var_nodes.append((p, []))
            elif any(prob_g[c] >= 0 for c in kids):
                spec = []
                for c in kids:
                    if prob_g[c] >= 0:
                        spec.append((c, "expr", int(prob_g[c])))
                    elif isinstance(raw[c], str) and raw[c] == model.REST:
                        spec.append((c, "rest", None))
                    else:
                        spec.append((c, "const", float(cprob[c])))
                self._var_nodes.append((p, spec))
            else:
                rest = [c for c in kids if isinstance(raw[c], str) and raw[c] == model.REST]
                if rest:
                    cprob[rest[0]] = 1.0 - sum(cprob[c] for c in kids if c != rest[0])
                self._check_constant(p, cprob[a : a + k])
                continue
            cprob[a : a + k] = 1.0
        self._var_children = np.zeros(n, dtype=bool)
        for p, _ in self._var_nodes:
            a = int(flat.first_child[p])
            self._var_children[a : a + int(flat.n_children[p])] = True

        # Levels for the top-down reach pass.
        self._levels = []
        for level in flat.levels:
            kids = level.children
            par = flat.parent[kids]
            cp = cprob[kids]
            var_rows = np.flatnonzero(self._var_children[kids]) + kids.start
            self._levels.append((kids, par, None if (cp == 1.0).all() else cp[:, None].copy(), var_rows))

        # Terminal outcomes: a constant part and expression contributions.
        terms = flat.terminal_indices
        self._terminals = terms
        const_acc = np.zeros(n)
        bp_const = np.where(np.isnan(flat.branch_payoff.const), 0.0, flat.branch_payoff.const)
        for level in flat.levels:
            kids = level.children
            const_acc[kids] = const_acc[flat.parent[kids]] + bp_const[kids]
        pay_const = np.where(np.isnan(flat.payoff.const), 0.0, flat.payoff.const)
        self._out_const = (const_acc + pay_const)[terms]
        contrib: dict[int, dict[int, int]] = {}  # expression -> {terminal row: multiplicity}
        if (bp_g >= 0).any() or (pay_g >= 0).any():
            inherited: dict[int, tuple[int, ...]] = {0: ()}
            for level in flat.levels:
                for c in range(level.children.start, level.children.stop):
                    own = (int(bp_g[c]),) if bp_g[c] >= 0 else ()
                    inherited[c] = inherited[int(flat.parent[c])] + own
            for row, t in enumerate(terms):
                items = inherited.get(int(t), ()) + ((int(pay_g[t]),) if pay_g[t] >= 0 else ())
                for j in items:
                    d = contrib.setdefault(j, {})
                    d[row] = d.get(row, 0) + 1
        self._contrib = [
            (j, np.array(list(d), dtype=np.int64), np.array(list(d.values()), dtype=float))
            for j, d in sorted(contrib.items())
        ]
        position = {int(t): row for row, t in enumerate(terms)}
        self._strategy_rows = [
            np.array([position[int(t)] for t in terms if mask[t]], dtype=np.int64) for mask in masks
        ]
        self._prob_g = prob_g

    # -- helpers ----------------------------------------------------------------------------
    @property
    def n_strategies(self) -> int:
        return len(self.names)

    @property
    def n_nodes(self) -> int:
        return self.flat.size

    def default_chunk(self) -> int:
        """Draws per evaluation chunk that keep its working memory near :data:`CHUNK_MEMORY`."""
        per_draw = 8 * (self.flat.size + 2 * len(self._terminals) + len(self._exprs) + self.n_strategies + 8)
        return int(min(BLOCK, max(16, CHUNK_MEMORY // per_draw)))

    def _check_constant(self, p: int, probs: np.ndarray) -> None:
        tol = PROBABILITY_TOLERANCE
        nodes = self.flat.nodes
        a = int(self.flat.first_child[p])
        for j, v in enumerate(probs):
            if v < -tol or v > 1 + tol:
                raise ProbabilityError(
                    f"probability {v:.12g} is outside [0, 1]", node=nodes[a + j].path, field="probability"
                )
        if abs(probs.sum() - 1) > tol:
            raise ProbabilityError(f"probabilities sum to {probs.sum():.12g}, not 1", node=nodes[p].path)

    def _where(self, point: Mapping[str, Any], i: int) -> str:
        shown = [f"{s}={float(np.asarray(point[s])[i]):.6g}" for s in self._symbols if np.ndim(point[s]) > 0]
        return f" ({', '.join(shown)})" if shown else ""

    # -- evaluation -------------------------------------------------------------------------
    def point(
        self, inputs: Mapping[str, np.ndarray], fixed: Mapping[str, float] | None = None
    ) -> dict[str, Any]:
        """Return every parameter's value: sampled, else fixed, else its default."""
        point: dict[str, Any] = dict(self.defaults)
        if fixed:
            point.update(fixed)
        for src in self.sources:
            if src.parameter is not None and src.name in inputs and (not fixed or src.name not in fixed):
                point[src.name] = inputs[src.name]
        return point

    def values(
        self,
        inputs: Mapping[str, np.ndarray],
        m: int,
        *,
        fixed: Mapping[str, float] | None = None,
        offset: int = 0,
    ) -> np.ndarray:
        """Return the value of every strategy at ``m`` draws, shape ``(n_strategies, m)``.

        Parameters
        ----------
        inputs : mapping
            Sampled inputs by source name: arrays ``(m,)`` for parameters,
            ``(m, K)`` for Dirichlets.  Missing ones take their defaults.
        m : int
            Number of draws.
        fixed : mapping of str to float, optional
            Parameters held at these values (their draws are ignored).
        offset : int
            Index of the first draw, for error messages.
        """
        flat = self.flat
        point = self.point(inputs, fixed)
        E: list[np.ndarray] = []
        if self._fn is not None:
            with np.errstate(all="ignore"):
                raw = self._fn(*(point[s] for s in self._symbols))
            for j, v in enumerate(raw):
                arr = np.broadcast_to(np.asarray(v, dtype=float), (m,))
                if not np.isfinite(arr).all():
                    i = int(np.flatnonzero(~np.isfinite(arr))[0])
                    raise EvaluationError(
                        f"expression {self._exprs[j]} evaluates to {arr[i]} at draw {offset + i}"
                        f"{self._where(point, i)}, not a finite real number"
                    )
                E.append(arr)
        pvar = self._variable_probabilities(inputs, point, E, m, offset)
        reach = np.empty((flat.size, m))
        reach[0] = 1.0
        for kids, par, cp, var_rows in self._levels:
            block = reach[kids]
            np.take(reach, par, axis=0, out=block)
            if cp is not None:
                block *= cp
            for r in var_rows:
                reach[r] *= pvar[int(r)]
        W = reach[self._terminals]
        del reach
        if self._contrib:
            outcome = np.repeat(self._out_const[:, None], m, axis=1)
            for j, rows, mult in self._contrib:
                outcome[rows] += mult[:, None] * E[j] if (mult != 1).any() else E[j]
            W *= outcome
        else:
            W *= self._out_const[:, None]
        out = np.empty((self.n_strategies, m))
        for s, rows in enumerate(self._strategy_rows):
            if len(rows) == 0:
                out[s] = 0.0
                continue
            acc = out[s]
            acc[:] = W[rows[0]]
            for r in rows[1:]:
                acc += W[r]
        return out

    def _variable_probabilities(
        self,
        inputs: Mapping[str, np.ndarray],
        point: Mapping[str, Any],
        E: list[np.ndarray],
        m: int,
        offset: int,
    ) -> dict[int, np.ndarray]:
        flat = self.flat
        tol = PROBABILITY_TOLERANCE
        pvar: dict[int, np.ndarray] = {}
        for p, spec in self._var_nodes:
            a, k = int(flat.first_child[p]), int(flat.n_children[p])
            if p in self._override:
                src_index, order = self._override[p]
                src = self.sources[src_index]
                if src.name not in inputs:
                    raise EvaluationError(
                        f"no draws for the Dirichlet {src.name!r} over {flat.nodes[p].path!r}"
                    )
                draws = inputs[src.name]
                for j in range(k):
                    pvar[a + j] = draws[:, order[j]]
                continue
            rest = None
            total = np.zeros(m)
            for c, how, v in spec:
                if how == "rest":
                    rest = c
                    continue
                arr = E[v] if how == "expr" else np.full(m, v)
                pvar[c] = arr
                total += arr
            if rest is not None:
                pvar[rest] = 1.0 - total
            for c, _how, _v in spec:
                bad = (pvar[c] < -tol) | (pvar[c] > 1 + tol)
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    raise ProbabilityError(
                        f"probability {pvar[c][i]:.6g} is outside [0, 1] at draw {offset + i}"
                        f"{self._where(point, i)}",
                        node=flat.nodes[c].path,
                        field="probability",
                    )
            if rest is None:
                off = np.abs(total - 1.0) > tol
                if off.any():
                    i = int(np.flatnonzero(off)[0])
                    raise ProbabilityError(
                        f"probabilities sum to {total[i]:.12g}, not 1, at draw {offset + i}"
                        f"{self._where(point, i)}",
                        node=flat.nodes[p].path,
                    )
        return pvar
