"""Probabilistic sensitivity analysis: every uncertain input drawn at once, at scale.

    psa             draw every distribution N times, value every strategy at every draw -> PSAResult
    acceptability   probability each strategy is optimal, and EVPI, against one parameter -> Acceptability
    evppi           expected value of partial perfect information, by regression metamodel
                    or by nested Monte Carlo -> EVPPIResult
    CompiledTree    a tree compiled once into a vectorised function of all its inputs
    PSAResult, Acceptability, EVPPIResult   frozen result records with ``to_frame()``

The inputs are the tree's distributions (see :mod:`evtree.distributions`): a
parameter's own ``distribution``, and Dirichlets over the branches of chance
nodes listed in ``tree.distributions`` (these override the branch probabilities
written on the node, numbers included).  Parameters without a distribution keep
their default values.

A *strategy* is a complete policy: a choice at every decision node it can reach,
fixed before the uncertainty is resolved.  By default every strategy of the tree
is analysed (at most :data:`MAX_STRATEGIES`); pass ``strategies=`` to choose.

Draws come in canonical blocks of :data:`BLOCK` draws.  Each block and each
input has its own random stream, keyed by the block's index and the input's name
(:mod:`evtree._random`), so the same ``seed`` gives the same numbers whatever the
evaluation chunk size, and whether the blocks run here or on a Dask cluster.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np

from . import _random, model
from .compile import DECISION, PROBABILITY_TOLERANCE, compile_tree, raise_problems
from .distributions import Source, tree_sources
from .errors import EvaluationError, ModelError, ProbabilityError, UnknownNameError

__all__ = [
    "BLOCK",
    "MAX_STRATEGIES",
    "Acceptability",
    "CompiledTree",
    "EVPPIResult",
    "PSAResult",
    "acceptability",
    "evppi",
    "psa",
]

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
    from .evaluate import count_strategies
    from .evaluate import strategies as all_strategies

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
    else:
        policies = [dict(p) for p in strategies]
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
        names.append(given if given is not None else ", ".join(fixed.values()) or "(no decision)")
        masks.append(mask)
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            seen[name] += 1
            names[i] = f"{name} #{seen[name]}"
        else:
            seen[name] = 1
    return out_policies, names, masks


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

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> c = CompiledTree(texaco_pennzoil())
    >>> c.names
    ['accept 2', 'counteroffer 5, accept 3', 'counteroffer 5, refuse 3']
    >>> c.values({}, 1).ravel().round(4).tolist()
    [2.0, 4.12, 4.6348]
    """

    def __init__(
        self, tree: model.DecisionTree, strategies: Any = None, *, max_strategies: int = MAX_STRATEGIES
    ) -> None:
        import sympy

        from .expressions import symbol
        from .utility import resolve_utility

        flat = compile_tree(tree)
        raise_problems(flat)
        util = resolve_utility(tree.utility, tree.parameters)
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
        self.defaults = {name: float(p.exact) for name, p in tree.parameters.items()}
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


# ----------------------------------------------------------------------------- sampling
def _draw(
    sources: Sequence[Source], seq: np.random.SeedSequence, keys: tuple[int, ...], n: int, skip: Any = ()
) -> dict[str, np.ndarray]:
    """Draw ``n`` values of every source from the streams keyed ``keys + (name key,)``."""
    return {
        s.name: s.distribution.sample(_random.stream(seq, *keys, _random.key_of(s.name)), n)
        for s in sources
        if s.name not in skip
    }


def _blocks(n_draws: int) -> list[tuple[int, int, int]]:
    """Return the canonical blocks: (index, first draw, number of draws)."""
    return [(b, b * BLOCK, min(BLOCK, n_draws - b * BLOCK)) for b in range(math.ceil(n_draws / BLOCK))]


# ----------------------------------------------------------------------------- jobs and backends
@dataclasses.dataclass(frozen=True)
class _Job:
    """Everything a worker needs, as plain data (the tree as its file dictionary)."""

    kind: str
    token: str
    tree_data: Any
    strategies: tuple[tuple[str, dict[str, str]], ...]
    seq: np.random.SeedSequence
    n_draws: int
    chunk: int
    keep_draws: bool = True
    fixed: tuple[tuple[str, float], ...] = ()
    grid_parameter: str | None = None
    grid: tuple[float, ...] = ()
    group: tuple[str, ...] = ()
    outer: int = 0
    inner: int = 0


_MODELS: dict[str, CompiledTree] = {}


def _model_for(job: _Job) -> CompiledTree:
    compiled = _MODELS.get(job.token)
    if compiled is None:
        from .io import tree_from_dict

        tree = tree_from_dict(job.tree_data)
        compiled = CompiledTree(tree, {name: dict(p) for name, p in job.strategies})
        if len(_MODELS) > 8:
            _MODELS.clear()
        _MODELS[job.token] = compiled
    return compiled


def _remote(job: _Job, task: Any) -> Any:
    return _execute(job, _model_for(job), task)


def _execute(job: _Job, compiled: CompiledTree, task: Any) -> Any:
    if job.kind == "psa":
        return _psa_task(job, compiled, task)
    if job.kind == "accept":
        return _acceptability_task(job, compiled, task)
    return _nested_task(job, compiled, task)


def _evaluate_chunks(
    compiled: CompiledTree, inputs: Mapping[str, np.ndarray], n: int, chunk: int, offset: int, fixed: Any
) -> np.ndarray:
    out = np.empty((compiled.n_strategies, n))
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        part = {k: v[a:b] for k, v in inputs.items()}
        out[:, a:b] = compiled.values(part, b - a, fixed=fixed, offset=offset + a)
    return out


def _psa_task(job: _Job, compiled: CompiledTree, task: tuple[int, int, int]) -> Any:
    b, start, n = task
    fixed = dict(job.fixed)
    inputs = _draw(compiled.sources, job.seq, (_PSA, b), n, skip=fixed)
    values = _evaluate_chunks(compiled, inputs, n, job.chunk, start, fixed)
    return values, (inputs if job.keep_draws else None)


def _make_job(
    compiled: CompiledTree, kind: str, seq: Any, n_draws: int, chunk: int, remote: bool, **kw: Any
) -> _Job:
    strategies = tuple((name, dict(p)) for name, p in zip(compiled.names, compiled.policies))
    data, token = None, f"local-{id(compiled)}"
    if remote:
        from .io import tree_to_dict

        data = tree_to_dict(compiled.tree)
        text = json.dumps([data, strategies], sort_keys=True, default=str)
        token = hashlib.sha256(text.encode()).hexdigest()
    return _Job(kind, token, data, strategies, seq, n_draws, chunk, **kw)


def _client_for(backend: str, client: Any) -> Any:
    if client is not None:
        return client
    if backend == "local":
        return None
    if backend != "dask":
        raise ValueError(f"backend must be 'local' or 'dask', got {backend!r}")
    try:
        from distributed import get_client
    except ImportError:  # pragma: no cover - dask[distributed] is a dependency
        raise ImportError("backend='dask' needs dask.distributed: pip install 'dask[distributed]'") from None
    try:
        return get_client()
    except ValueError:
        return "threads"


def _run(
    compiled: CompiledTree,
    job: _Job,
    tasks: Sequence[Any],
    sizes: Sequence[int],
    *,
    client: Any,
    progress: bool | None,
    unit: str,
) -> Iterator[tuple[int, Any]]:
    """Run the tasks here or on Dask; yield (task position, result) as they finish."""
    from tqdm.auto import tqdm

    bar = tqdm(
        total=int(sum(sizes)),
        unit=unit,
        unit_scale=True,
        disable=(None if progress is None else not progress),
    )
    try:
        if client is None:
            for i, task in enumerate(tasks):
                yield i, _execute(job, compiled, task)
                bar.update(sizes[i])
        elif client == "threads":
            import dask

            delayed = [dask.delayed(_remote)(job, task) for task in tasks]
            for i, result in enumerate(dask.compute(*delayed, scheduler="threads")):
                yield i, result
                bar.update(sizes[i])
        else:
            from distributed import as_completed

            futures = {client.submit(_remote, job, task, pure=False): i for i, task in enumerate(tasks)}
            for future in as_completed(futures):
                i = futures[future]
                yield i, future.result()
                bar.update(sizes[i])
                del future
    finally:
        bar.close()


# ----------------------------------------------------------------------------- PSA
def _check_fixed(tree: model.DecisionTree, values: Mapping[str, Any] | None) -> dict[str, float]:
    from .expressions import exact_number

    fixed = {}
    for name, v in (values or {}).items():
        tree.parameter(name)
        try:
            fixed[name] = float(exact_number(v)) if not isinstance(v, (int, float)) else float(v)
        except (TypeError, ValueError):
            raise ModelError(f"cannot use {v!r} as a value", field=f"parameters.{name}") from None
    return fixed


def _compiled(tree: model.DecisionTree | CompiledTree, strategies: Any) -> CompiledTree:
    if isinstance(tree, CompiledTree):
        if strategies is not None:
            raise ValueError("strategies are fixed when the tree is compiled")
        return tree
    return CompiledTree(tree, strategies)


def psa(
    tree: model.DecisionTree | CompiledTree,
    *,
    draws: int = 10_000,
    seed: Any = None,
    values: Mapping[str, Any] | None = None,
    strategies: Any = None,
    chunk_size: int | None = None,
    keep_draws: bool = True,
    backend: str = "local",
    client: Any = None,
    progress: bool | None = None,
) -> PSAResult:
    """Probabilistic sensitivity analysis: value every strategy at ``draws`` joint draws of the inputs.

    Parameters
    ----------
    tree : DecisionTree or CompiledTree
        The tree, with distributions on some parameters and/or Dirichlets over
        chance nodes (``tree.distributions``).
    draws : int, default 10_000
        Number of joint draws.
    seed : {None, int, numpy.random.SeedSequence, numpy.random.Generator}
        The one seed (see :func:`evtree._random.seed_sequence`); the result
        records it, so a run with ``seed=None`` can be repeated.
    values : mapping of str to number, optional
        Parameters held at these values instead of their defaults or draws.
    strategies : sequence or mapping of policies, optional
        The strategies to compare (default: every strategy of the tree).
    chunk_size : int, optional
        Draws evaluated at once (memory bound); the numbers do not depend on it.
    keep_draws : bool, default True
        Keep the input draws (needed by :func:`evppi` with the regression method).
    backend : {"local", "dask"}, default "local"
        ``"dask"`` sends blocks of draws to the current Dask client (or to dask's
        threaded scheduler when there is none); the numbers are the same.
    client : dask.distributed.Client, optional
        A client to send the blocks to (implies the Dask backend).
    progress : bool or None
        Show a tqdm progress bar; ``None`` shows it only on a terminal.

    Returns
    -------
    PSAResult

    Raises
    ------
    EvaluationError
        If the tree has no distributions, too many strategies, a non-linear
        utility, or an expression without a finite value at some draw.
    ProbabilityError
        If sampled probabilities leave [0, 1] or stop summing to 1 at some draw
        (the message gives the draw and the parameter values).
    ModelError
        If a distribution is malformed.

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> from evtree.distributions import dirichlet
    >>> tree = texaco_pennzoil()
    >>> tree.distributions.append(dirichlet([17, 50, 33], node="texaco"))
    >>> r = psa(tree, draws=20_000, seed=1, progress=False)
    >>> r.best
    'counteroffer 5, refuse 3'
    >>> r.evpi  # court (4.56) always beats $3B, whatever Texaco's response: nothing to learn
    0.0
    """
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 1:
        raise ValueError(f"draws must be a positive integer, got {draws!r}")
    compiled = _compiled(tree, strategies)
    if not compiled.sources:
        raise EvaluationError(
            "the tree has no distributions to draw from: give parameters a 'distribution' "
            "or list Dirichlets over chance nodes under 'distributions' (see docs/psa.md)"
        )
    fixed = _check_fixed(compiled.tree, values)
    seq = _random.seed_sequence(seed)
    chunk = int(chunk_size or compiled.default_chunk())
    if chunk < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size!r}")
    dask_client = _client_for(backend, client)
    job = _make_job(
        compiled,
        "psa",
        seq,
        int(draws),
        chunk,
        dask_client is not None,
        keep_draws=keep_draws,
        fixed=tuple(fixed.items()),
    )
    tasks = _blocks(int(draws))
    out = np.empty((compiled.n_strategies, int(draws)))
    sampled = [s for s in compiled.sources if s.name not in fixed]
    inputs = (
        {s.name: np.empty((int(draws),) + ((s.distribution.dim,) if s.nodes else ())) for s in sampled}
        if keep_draws
        else None
    )
    for i, (vals, block_inputs) in _run(
        compiled, job, tasks, [t[2] for t in tasks], client=dask_client, progress=progress, unit="draw"
    ):
        _, start, n = tasks[i]
        out[:, start : start + n] = vals
        if inputs is not None:
            for k, v in block_inputs.items():
                inputs[k][start : start + n] = v
    return PSAResult(
        tree=compiled.tree,
        method="Monte Carlo over a compiled array rollback",
        n_draws=int(draws),
        seed=seq,
        strategies=tuple(compiled.names),
        policies=tuple(compiled.policies),
        values=out,
        inputs=inputs,
        columns={s.name: s.columns for s in sampled},
        objective=compiled.objective,
        fixed=fixed,
        backend="local" if dask_client is None else "dask",
        _compiled=compiled,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class PSAResult:
    """Result of :func:`psa`: the value of every strategy at every draw, and what follows from it.

    Attributes
    ----------
    tree : DecisionTree
    method : str
        How the numbers were produced.
    n_draws : int
    seed : numpy.random.SeedSequence
        The seed used; ``seed.entropy`` repeats the run.
    strategies : tuple of str
        Strategy names (the chosen labels, in pre-order, unless named by the caller).
    policies : tuple of dict
        Each strategy as decision name -> branch label.
    values : ndarray, shape (n_strategies, n_draws)
        The value of each strategy at each draw.
    inputs : dict of str to ndarray, or None
        The draws of each sampled input: ``(n_draws,)`` for a parameter,
        ``(n_draws, K)`` for a Dirichlet (``None`` with ``keep_draws=False``).
    columns : dict of str to tuple of str
        Column names of each input's draws.
    objective : {"max", "min"}
    fixed : dict
        Parameters held at given values.
    backend : {"local", "dask"}
    """

    tree: model.DecisionTree
    method: str
    n_draws: int
    seed: np.random.SeedSequence
    strategies: tuple[str, ...]
    policies: tuple[dict[str, str], ...]
    values: np.ndarray
    inputs: Mapping[str, np.ndarray] | None
    columns: Mapping[str, tuple[str, ...]]
    objective: str
    fixed: Mapping[str, float]
    backend: str
    _compiled: CompiledTree | None = dataclasses.field(default=None, repr=False)

    # -- per draw ---------------------------------------------------------------------------
    @property
    def _sign(self) -> float:
        return 1.0 if self.objective == "max" else -1.0

    @cached_property
    def optimal(self) -> np.ndarray:
        """Index of the optimal strategy at each draw (the first, on exact ties)."""
        v = self.values
        idx = v.argmax(axis=0) if self.objective == "max" else v.argmin(axis=0)
        return idx.astype(np.int16 if len(self.strategies) < 2**15 else np.int64)

    @cached_property
    def best_values(self) -> np.ndarray:
        """The value of the optimal strategy at each draw (with perfect information)."""
        return self.values.max(axis=0) if self.objective == "max" else self.values.min(axis=0)

    def differences(self, reference: str | None = None) -> Any:
        """Each strategy's value minus the reference strategy's (default :attr:`best`), per draw.

        Returns
        -------
        pandas.DataFrame
            One column per other strategy, one row per draw.
        """
        import pandas as pd

        ref = self._index(reference if reference is not None else self.best)
        cols = {name: self.values[i] - self.values[ref] for i, name in enumerate(self.strategies) if i != ref}
        return pd.DataFrame(cols)

    def _index(self, name: str) -> int:
        try:
            return self.strategies.index(name)
        except ValueError:
            raise UnknownNameError(
                f"no strategy {name!r} (strategies: {', '.join(map(repr, self.strategies))})"
            ) from None

    def draws_frame(self) -> Any:
        """Return the input draws as a DataFrame, one column per parameter or Dirichlet component."""
        import pandas as pd

        if self.inputs is None:
            raise EvaluationError("the draws were not kept; run psa(..., keep_draws=True)")
        data = {}
        for name, arr in self.inputs.items():
            if arr.ndim == 1:
                data[name] = arr
            else:
                for j, col in enumerate(self.columns[name]):
                    data[col] = arr[:, j]
        return pd.DataFrame(data)

    # -- summaries --------------------------------------------------------------------------
    @cached_property
    def mean(self) -> np.ndarray:
        """Expected value of each strategy over the draws."""
        return self.values.mean(axis=1)

    @cached_property
    def sd(self) -> np.ndarray:
        """Standard deviation of each strategy's value over the draws."""
        return self.values.std(axis=1, ddof=1) if self.n_draws > 1 else np.zeros(len(self.strategies))

    def percentiles(self, q: Sequence[float] = (2.5, 50, 97.5)) -> np.ndarray:
        """Percentiles of each strategy's value, shape ``(n_strategies, len(q))``."""
        return np.percentile(self.values, list(q), axis=1).T

    @cached_property
    def best_index(self) -> int:
        """Index of the strategy with the best expected value."""
        return int(np.argmax(self.mean) if self.objective == "max" else np.argmin(self.mean))

    @property
    def best(self) -> str:
        """The strategy with the best expected value (the decision under current information)."""
        return self.strategies[self.best_index]

    @cached_property
    def probability_optimal(self) -> np.ndarray:
        """Fraction of draws at which each strategy is optimal."""
        return np.bincount(self.optimal, minlength=len(self.strategies)) / self.n_draws

    @cached_property
    def expected_loss(self) -> np.ndarray:
        """Expected opportunity loss of each strategy: E[best value at the draw − its value]."""
        return self._sign * (self.best_values.mean() - self.mean)

    @property
    def evpi(self) -> float:
        """Expected value of perfect information: the expected loss of the best strategy."""
        return float(self.expected_loss[self.best_index])

    @cached_property
    def evpi_se(self) -> float:
        """Monte Carlo standard error of :attr:`evpi`."""
        if self.n_draws < 2:
            return float("nan")
        loss = self._sign * (self.best_values - self.values[self.best_index])
        return float(loss.std(ddof=1) / math.sqrt(self.n_draws))

    def to_frame(self, percentiles: Sequence[float] = (2.5, 50, 97.5)) -> Any:
        """One row per strategy: mean, sd, percentiles, probability optimal, expected loss, best.

        Examples
        --------
        >>> from evtree.library import texaco_pennzoil
        >>> from evtree.distributions import dirichlet
        >>> tree = texaco_pennzoil()
        >>> tree.distributions.append(dirichlet([17, 50, 33], node="texaco"))
        >>> psa(tree, draws=1000, seed=2, progress=False).to_frame().columns.tolist()
        ['mean', 'sd', 'p2.5', 'p50', 'p97.5', 'probability_optimal', 'expected_loss', 'best']
        """
        import pandas as pd

        frame = pd.DataFrame(
            {"mean": self.mean, "sd": self.sd}, index=pd.Index(self.strategies, name="strategy")
        )
        pct = self.percentiles(percentiles)
        for j, q in enumerate(percentiles):
            frame[f"p{q:g}"] = pct[:, j]
        frame["probability_optimal"] = self.probability_optimal
        frame["expected_loss"] = self.expected_loss
        frame["best"] = [i == self.best_index for i in range(len(self.strategies))]
        return frame

    def summary(self) -> str:
        """Return a few lines: draws, seed, best strategy and EVPI."""
        lines = [
            f"PSA of {self.tree.name or 'tree'}: {self.n_draws:,} draws, seed {self.seed.entropy}",
            f"  method: {self.method}",
            f"  sampled: {', '.join(self.columns) or '-'}",
            f"  best by expected value: {self.best} ({self.mean[self.best_index]:.6g}); "
            f"optimal at {self.probability_optimal[self.best_index]:.1%} of draws",
            f"  EVPI: {self.evpi:.6g} (Monte Carlo se {self.evpi_se:.2g})",
        ]
        if self.fixed:
            lines.insert(2, f"  held fixed: {', '.join(f'{k}={v:g}' for k, v in self.fixed.items())}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<PSAResult {self.n_draws} draws, {len(self.strategies)} strategies, "
            f"best={self.best!r}, EVPI={self.evpi:.6g}>"
        )

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        head = "<br>".join(self.summary().splitlines())
        return f"<p>{head}</p>{self.to_frame().to_html(float_format=lambda x: f'{x:.6g}')}"


# ----------------------------------------------------------------------------- acceptability
@dataclasses.dataclass(frozen=True, eq=False)
class Acceptability:
    """Acceptability curves: against one parameter, how often each strategy is optimal, and EVPI.

    Attributes
    ----------
    parameter : str
    grid : ndarray
        The parameter's values.
    strategies : tuple of str
    probability_optimal : ndarray, shape (len(grid), n_strategies)
    mean : ndarray, shape (len(grid), n_strategies)
        Expected value of each strategy at each grid value.
    evpi : ndarray, shape (len(grid),)
    best : tuple of str
        The strategy with the best expected value at each grid value (the frontier).
    n_draws : int
    seed : numpy.random.SeedSequence
    method : str
    """

    parameter: str
    grid: np.ndarray
    strategies: tuple[str, ...]
    probability_optimal: np.ndarray
    mean: np.ndarray
    evpi: np.ndarray
    best: tuple[str, ...]
    n_draws: int
    seed: np.random.SeedSequence
    method: str

    def to_frame(self) -> Any:
        """One row per grid value: probability each strategy is optimal, the best strategy, EVPI."""
        import pandas as pd

        frame = pd.DataFrame(
            self.probability_optimal,
            columns=list(self.strategies),
            index=pd.Index(self.grid, name=self.parameter),
        )
        frame["best"] = list(self.best)
        frame["evpi"] = self.evpi
        return frame

    def __repr__(self) -> str:
        return f"<Acceptability against {self.parameter!r}: {len(self.grid)} values, {self.n_draws} draws>"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return (
            f"<p>Acceptability against <b>{self.parameter}</b> ({self.method})</p>"
            + self.to_frame().to_html()
        )


def _acceptability_task(job: _Job, compiled: CompiledTree, task: tuple[int, int, int]) -> Any:
    b, start, n = task
    fixed = dict(job.fixed)
    inputs = _draw(compiled.sources, job.seq, (_PSA, b), n, skip={*fixed, job.grid_parameter})
    S, G = compiled.n_strategies, len(job.grid)
    counts = np.zeros((G, S), dtype=np.int64)
    sums = np.zeros((G, S))
    best_sums = np.zeros(G)
    for g, x in enumerate(job.grid):
        vals = _evaluate_chunks(compiled, inputs, n, job.chunk, start, {**fixed, job.grid_parameter: x})
        opt = vals.argmax(axis=0) if compiled.objective == "max" else vals.argmin(axis=0)
        counts[g] = np.bincount(opt, minlength=S)
        sums[g] = vals.sum(axis=1)
        best_sums[g] = (vals.max(axis=0) if compiled.objective == "max" else vals.min(axis=0)).sum()
    return counts, sums, best_sums


def acceptability(
    tree: model.DecisionTree | CompiledTree,
    parameter: str,
    grid: Sequence[float] | int = 21,
    *,
    draws: int = 10_000,
    seed: Any = None,
    values: Mapping[str, Any] | None = None,
    strategies: Any = None,
    chunk_size: int | None = None,
    backend: str = "local",
    client: Any = None,
    progress: bool | None = None,
) -> Acceptability:
    """Return acceptability curves and EVPI against one parameter (a payoff weight, a willingness to pay).

    At each grid value the parameter is held there (its own distribution, if
    any, is not drawn) and the same draws of every other input are valued.

    Parameters
    ----------
    tree : DecisionTree or CompiledTree
    parameter : str
        The parameter to vary.
    grid : sequence of float, or int, default 21
        Its values; an integer asks for that many evenly spaced values between
        the parameter's ``low`` and ``high`` bounds.
    draws, seed, values, strategies, chunk_size, backend, client, progress
        As for :func:`psa`.

    Returns
    -------
    Acceptability

    Examples
    --------
    >>> from evtree import Branch, Decision, DecisionTree, Parameter, Terminal
    >>> from evtree.distributions import normal
    >>> tree = DecisionTree(
    ...     Decision("d", [Branch("treat", Terminal("wtp * effect - 1")), Branch("wait", Terminal(0))]),
    ...     parameters=[
    ...         Parameter("wtp", 1, low=0, high=4),
    ...         Parameter("effect", 0.5, distribution=normal(0.5, 0.2)),
    ...     ],
    ... )
    >>> acc = acceptability(tree, "wtp", [1, 3, 4], draws=4000, seed=0, progress=False)
    >>> acc.best
    ('wait', 'treat', 'treat')
    """
    compiled = _compiled(tree, strategies)
    p = compiled.tree.parameter(parameter)
    if isinstance(grid, (int, np.integer)) and not isinstance(grid, bool):
        low, high = p.bounds
        if low is None or high is None:
            raise ModelError(
                "an acceptability grid by count needs the parameter's low and high bounds; give the values",
                field=f"parameters.{parameter}",
            )
        grid_values = np.linspace(float(low), float(high), int(grid))
    else:
        grid_values = np.asarray([float(x) for x in grid])
    if grid_values.size == 0:
        raise ValueError("the grid is empty")
    fixed = _check_fixed(compiled.tree, values)
    fixed.pop(parameter, None)
    others = [s for s in compiled.sources if s.name not in fixed and s.name != parameter]
    if not others:
        raise EvaluationError(f"nothing is sampled besides {parameter!r}: give other inputs distributions")
    seq = _random.seed_sequence(seed)
    chunk = int(chunk_size or compiled.default_chunk())
    dask_client = _client_for(backend, client)
    job = _make_job(
        compiled,
        "accept",
        seq,
        int(draws),
        chunk,
        dask_client is not None,
        fixed=tuple(fixed.items()),
        grid_parameter=parameter,
        grid=tuple(grid_values.tolist()),
    )
    tasks = _blocks(int(draws))
    parts: list[Any] = [None] * len(tasks)
    for i, result in _run(
        compiled,
        job,
        tasks,
        [t[2] * len(grid_values) for t in tasks],
        client=dask_client,
        progress=progress,
        unit="eval",
    ):
        parts[i] = result
    counts = sum(part[0] for part in parts)
    sums = np.zeros_like(parts[0][1])
    best_sums = np.zeros_like(parts[0][2])
    for part in parts:  # in block order: the same sums on every backend
        sums += part[1]
        best_sums += part[2]
    mean = sums / draws
    best_mean = best_sums / draws
    if compiled.objective == "max":
        best_idx, evpi = mean.argmax(axis=1), best_mean - mean.max(axis=1)
    else:
        best_idx, evpi = mean.argmin(axis=1), mean.min(axis=1) - best_mean
    return Acceptability(
        parameter=parameter,
        grid=grid_values,
        strategies=tuple(compiled.names),
        probability_optimal=counts / draws,
        mean=mean,
        evpi=evpi,
        best=tuple(compiled.names[i] for i in best_idx),
        n_draws=int(draws),
        seed=seq,
        method="Monte Carlo over a compiled array rollback, common draws at every grid value",
    )


# ----------------------------------------------------------------------------- EVPPI
@dataclasses.dataclass(frozen=True, eq=False)
class EVPPIResult:
    """Expected value of partial perfect information about a group of inputs.

    Attributes
    ----------
    parameters : tuple of str
        The inputs learnt (parameters, or Dirichlet names).
    value : float
        The EVPPI estimate.
    se : float
        Its Monte Carlo standard error (for the regression method, given the
        fitted metamodel; the metamodel's own error is not included).
    method : {"regression", "nested"}
    n : int
        Draws used (regression), or outer samples (nested).
    inner : int
        Inner samples per outer sample (nested; 0 for regression).
    evpi : float
        EVPI from the same draws (regression) or the outer draws (nested), for scale.
    details : dict
        Method details: the basis and R² per strategy (regression).
    """

    parameters: tuple[str, ...]
    value: float
    se: float
    method: str
    n: int
    inner: int
    evpi: float
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def to_frame(self) -> Any:
        """One row: parameters, EVPPI, se, method, draws, EVPI."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "parameters": ", ".join(self.parameters),
                    "evppi": self.value,
                    "se": self.se,
                    "method": self.method,
                    "n": self.n,
                    "inner": self.inner,
                    "evpi": self.evpi,
                }
            ]
        ).set_index("parameters")

    def __repr__(self) -> str:
        return (
            f"<EVPPIResult {', '.join(self.parameters)}: {self.value:.6g} (se {self.se:.2g}, {self.method})>"
        )

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.to_frame().to_html()


def _group(sources: Sequence[Source], parameters: Any) -> tuple[str, ...]:
    if isinstance(parameters, str):
        parameters = [p.strip() for p in parameters.split(",") if p.strip()]
    names = tuple(parameters)
    if not names:
        raise ValueError("give at least one parameter")
    known = {s.name for s in sources}
    for name in names:
        if name not in known:
            raise UnknownNameError(
                f"{name!r} is not a sampled input (sampled: {', '.join(sorted(known)) or 'none'}); "
                "EVPPI is about inputs that have a distribution"
            )
    return names


def evppi(
    source: PSAResult | model.DecisionTree | CompiledTree,
    parameters: str | Sequence[str],
    *,
    method: str = "regression",
    draws: int = 10_000,
    seed: Any = None,
    outer: int = 1000,
    inner: int = 1000,
    knots: int | None = None,
    chunk_size: int | None = None,
    backend: str = "local",
    client: Any = None,
    progress: bool | None = None,
) -> EVPPIResult:
    """Return the expected value of partial perfect information (EVPPI) about a group of inputs.

    EVPPI(φ) = E_φ[ max_s E(V_s | φ) ] − max_s E(V_s): what learning φ before
    deciding is worth.

    Parameters
    ----------
    source : PSAResult, DecisionTree or CompiledTree
        PSA draws to reuse (regression), or the tree (a PSA with ``draws`` and
        ``seed`` is run first for regression).  The nested method uses the
        tree, strategies, fixed values and seed of a PSAResult.
    parameters : str or sequence of str
        The group φ: parameter names or Dirichlet names; ``"a,b"`` is a group of two.
    method : {"regression", "nested"}, default "regression"
        ``"regression"``: a non-parametric regression metamodel of each
        strategy's value (relative to the best) on φ (cubic regression splines
        on quantile knots, tensor products for up to three columns, additive
        with pairwise interactions beyond), as in Strong, Oakley & Brennan
        (2014), dampack and BCEA.  ``"nested"``: ``outer`` draws of φ, each
        with ``inner`` draws of the other inputs (slow, for checking; biased
        upward by O(1/inner)).
    draws, seed
        For a PSA run here (regression) or the nested draws.
    outer, inner : int
        Nested Monte Carlo sample sizes.
    knots : int, optional
        Basis functions per column of the regression (default by group size).
    chunk_size, backend, client, progress
        As for :func:`psa` (the nested method uses them).

    Returns
    -------
    EVPPIResult

    References
    ----------
    Strong M, Oakley JE, Brennan A (2014). Estimating multiparameter partial
    expected value of perfect information from a probabilistic sensitivity
    analysis sample: a nonparametric regression approach. Med Decis Making 34:311-326.
    """
    if method == "regression":
        if isinstance(source, PSAResult):
            result = source
        else:
            result = psa(source, draws=draws, seed=seed, progress=progress, chunk_size=chunk_size)
        return _evppi_regression(result, _group(_sources_of(result), parameters), knots)
    if method == "nested":
        if isinstance(source, PSAResult):
            compiled = source._compiled or CompiledTree(
                source.tree, dict(zip(source.strategies, source.policies))
            )
            fixed = dict(source.fixed)
            seq = source.seed if seed is None else _random.seed_sequence(seed)
        else:
            compiled = _compiled(source, None)
            fixed = {}
            seq = _random.seed_sequence(seed)
        group = _group(compiled.sources, parameters)
        return _evppi_nested(compiled, group, fixed, seq, outer, inner, chunk_size, backend, client, progress)
    raise ValueError(f"method must be 'regression' or 'nested', got {method!r}")


def _sources_of(result: PSAResult) -> list[Source]:
    if result._compiled is not None:
        return [s for s in result._compiled.sources if s.name not in result.fixed]
    return tree_sources(result.tree)


def _group_columns(result: PSAResult, group: tuple[str, ...]) -> list[np.ndarray]:
    if result.inputs is None:
        raise EvaluationError("EVPPI by regression needs the PSA draws; run psa(..., keep_draws=True)")
    cols = []
    for name in group:
        if name not in result.inputs:
            raise EvaluationError(f"{name!r} was held fixed in this PSA; it has no draws")
        arr = result.inputs[name]
        if arr.ndim == 1:
            cols.append(arr)
        else:  # a Dirichlet: its components sum to one, so the last adds nothing
            cols.extend(arr[:, j] for j in range(arr.shape[1] - 1))
    return cols


class _Basis:
    """Regression basis on a few columns: B-splines on quantile knots, or indicators."""

    def __init__(self, cols: list[np.ndarray], knots: int | None) -> None:
        d = len(cols)
        if knots is None:
            knots = {1: 12, 2: 7, 3: 5}.get(d, 6)
        self.tensor = d <= 3
        self.parts = []
        for x in cols:
            uniq = np.unique(x[: min(len(x), 200_000)])
            if len(uniq) <= max(knots, 2) and np.isin(x, uniq).all():
                self.parts.append(("levels", uniq))
                continue
            n_interior = max(0, knots - 4)
            qs = np.quantile(x, np.linspace(0, 1, n_interior + 2))
            inner = np.unique(qs[1:-1])
            lo, hi = float(x.min()), float(x.max())
            inner = inner[(inner > lo) & (inner < hi)]
            t = np.concatenate([[lo] * 4, inner, [hi] * 4])
            self.parts.append(("spline", t))
        if not self.tensor:
            self.scale = [(float(x.mean()), float(x.std() or 1.0)) for x in cols]
        self.description = (
            ("tensor product of " if self.tensor and d > 1 else "")
            + " and ".join(
                f"{len(t)} indicators" if kind == "levels" else f"{len(t) - 4} cubic B-splines"
                for kind, t in self.parts
            )
            + ("" if self.tensor else " (additive, with pairwise linear interactions)")
        )

    def _one(self, part: tuple[str, np.ndarray], x: np.ndarray) -> np.ndarray:
        kind, t = part
        if kind == "levels":
            return (x[:, None] == t[None, :]).astype(float)
        from scipy.interpolate import BSpline

        xc = np.clip(x, t[0], t[-1])
        return BSpline.design_matrix(xc, t, 3).toarray()

    def __call__(self, cols: list[np.ndarray]) -> np.ndarray:
        mats = [self._one(p, x) for p, x in zip(self.parts, cols)]
        if self.tensor:
            out = mats[0]
            for mat in mats[1:]:
                out = (out[:, :, None] * mat[:, None, :]).reshape(len(out), -1)
            return out
        z = [(x - m) / s for x, (m, s) in zip(cols, self.scale)]
        inter = [z[i] * z[j] for i in range(len(z)) for j in range(i + 1, len(z))]
        return np.column_stack([np.ones(len(cols[0]))] + [m[:, 1:] for m in mats] + inter)


def _evppi_regression(result: PSAResult, group: tuple[str, ...], knots: int | None) -> EVPPIResult:
    cols = _group_columns(result, group)
    basis = _Basis(cols, knots)
    sign = 1.0 if result.objective == "max" else -1.0
    ref = result.best_index
    V = result.values
    N = result.n_draws
    step = 65536
    xtx = xty = xsum = None
    tss = np.zeros(len(result.strategies))
    ymean = sign * (V - V[ref]).mean(axis=1)
    for a in range(0, N, step):
        b = min(N, a + step)
        X = basis([c[a:b] for c in cols])
        Y = sign * (V[:, a:b] - V[ref, a:b]).T
        if xtx is None:
            xtx, xty, xsum = X.T @ X, X.T @ Y, X.sum(axis=0)
        else:
            xtx += X.T @ X
            xty += X.T @ Y
            xsum += X.sum(axis=0)
        tss += ((Y - ymean) ** 2).sum(axis=0)
    coef = np.linalg.lstsq(xtx, xty, rcond=None)[0]
    fit_mean = (xsum / N) @ coef
    fit_mean[ref] = 0.0
    best = int(np.argmax(fit_mean))
    rss = np.zeros(len(result.strategies))
    gain = np.empty(N)
    for a in range(0, N, step):
        b = min(N, a + step)
        X = basis([c[a:b] for c in cols])
        F = X @ coef
        Y = sign * (V[:, a:b] - V[ref, a:b]).T
        rss += ((Y - F) ** 2).sum(axis=0)
        F[:, ref] = 0.0
        gain[a:b] = F.max(axis=1) - F[:, best]
    value = float(gain.mean())
    se = float(gain.std(ddof=1) / math.sqrt(N)) if N > 1 else float("nan")
    r2 = {
        name: (float(1 - rss[i] / tss[i]) if tss[i] > 0 else float("nan"))
        for i, name in enumerate(result.strategies)
        if i != ref
    }
    return EVPPIResult(
        parameters=group,
        value=float(value),
        se=se,
        method="regression",
        n=N,
        inner=0,
        evpi=result.evpi,
        details={"basis": basis.description, "r_squared": r2, "reference": result.strategies[ref]},
    )


def _nested_task(job: _Job, compiled: CompiledTree, task: tuple[int, int]) -> np.ndarray:
    first, count = task
    fixed = dict(job.fixed)
    group = set(job.group)
    outer_sources = [s for s in compiled.sources if s.name in group and s.name not in fixed]
    inner_sources = [s for s in compiled.sources if s.name not in group and s.name not in fixed]
    K = job.inner
    # Outer draws come in canonical blocks; take this task's slice of each block.
    phi: dict[str, list[np.ndarray]] = {s.name: [] for s in outer_sources}
    i = first
    while i < first + count:
        b, j = divmod(i, BLOCK)
        n_block = min(BLOCK, job.outer - b * BLOCK)
        take = min(n_block - j, first + count - i)
        drawn = _draw(outer_sources, job.seq, (_OUTER, b), n_block)
        for name, arr in drawn.items():
            phi[name].append(arr[j : j + take])
        i += take
    phi_arr = {k: np.concatenate(v) for k, v in phi.items()}
    means = np.empty((compiled.n_strategies, count))
    per_chunk = max(1, job.chunk // K)
    for a in range(0, count, per_chunk):
        b = min(count, a + per_chunk)
        inputs: dict[str, np.ndarray] = {k: np.repeat(v[a:b], K, axis=0) for k, v in phi_arr.items()}
        inner_draws = [_draw(inner_sources, job.seq, (_INNER, first + o), K) for o in range(a, b)]
        for s in inner_sources:
            inputs[s.name] = np.concatenate([d[s.name] for d in inner_draws])
        vals = compiled.values(inputs, (b - a) * K, fixed=fixed, offset=0)
        means[:, a:b] = vals.reshape(compiled.n_strategies, b - a, K).mean(axis=2)
    return means


def _evppi_nested(
    compiled: CompiledTree,
    group: tuple[str, ...],
    fixed: dict[str, float],
    seq: np.random.SeedSequence,
    outer: int,
    inner: int,
    chunk_size: int | None,
    backend: str,
    client: Any,
    progress: bool | None,
) -> EVPPIResult:
    if outer < 2 or inner < 1:
        raise ValueError("nested EVPPI needs outer >= 2 and inner >= 1")
    chunk = int(chunk_size or compiled.default_chunk())
    dask_client = _client_for(backend, client)
    job = _make_job(
        compiled,
        "nested",
        seq,
        outer * inner,
        max(chunk, inner),
        dask_client is not None,
        fixed=tuple(fixed.items()),
        group=group,
        outer=outer,
        inner=inner,
    )
    per_task = max(1, min(outer, BLOCK // max(1, inner) or 1, 256))
    tasks = [(a, min(per_task, outer - a)) for a in range(0, outer, per_task)]
    means = np.empty((compiled.n_strategies, outer))
    for i, part in _run(
        compiled,
        job,
        tasks,
        [t[1] * inner for t in tasks],
        client=dask_client,
        progress=progress,
        unit="draw",
    ):
        a, count = tasks[i]
        means[:, a : a + count] = part
    sign = 1.0 if compiled.objective == "max" else -1.0
    g = sign * means
    overall = g.mean(axis=1)
    best = int(np.argmax(overall))
    gain = g.max(axis=0) - g[best]
    return EVPPIResult(
        parameters=group,
        value=float(gain.mean()),
        se=float(gain.std(ddof=1) / math.sqrt(outer)),
        method="nested",
        n=outer,
        inner=inner,
        evpi=float("nan"),
        details={"reference": compiled.names[best], "bias": "upward, O(1/inner)"},
    )
