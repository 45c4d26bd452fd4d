"""Subgame-perfect equilibria of perfect-information games, by backward induction.

    subgame_perfect      every pure subgame-perfect equilibrium, in float, exact or symbolic arithmetic
    equilibrium_regions  the exact parameter regions where each equilibrium path holds

Backward induction is the one rollback with a player at each decision node: from
the deepest level up, a chance node takes every player's probability-weighted
value, and a decision node takes the values of the child that is best *for the
player who moves there*.  In float arithmetic this runs on the compiled flat
arrays level by level (all parameter points at once); where a player is
indifferent, every choice that is best for them starts an equilibrium, and the
equilibria are listed by combining the equilibria of the subgames (exactly in
exact arithmetic, within :data:`evtree.core.rollback.TIE_TOLERANCE` in float).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from ..core import model
from ..core.compile import CHANCE, DECISION, TERMINAL, FlatTree
from ..core.errors import EvaluationError
from ..core.expressions import exact_number, symbol
from ..core.rollback import TIE_TOLERANCE
from ._game import Game, Profile
from .records import Equilibrium, GameSolution, to_sympy

__all__ = ["MAX_EQUILIBRIA", "EquilibriumRegions", "equilibrium_regions", "subgame_perfect"]

#: Listings of equilibria stop at this many (the record then says it is not complete).
MAX_EQUILIBRIA = 1000


def subgame_perfect(
    tree: model.DecisionTree,
    values: Mapping[str, Any] | None = None,
    *,
    method: str = "float",
    max_equilibria: int = MAX_EQUILIBRIA,
) -> GameSolution:
    """Return every pure subgame-perfect equilibrium of a perfect-information game.

    Parameters
    ----------
    tree : DecisionTree
        A game: the tree declares ``players`` and every decision node has a
        ``player``; no information set has more than one node.
    values : mapping, optional
        Parameter values overriding the defaults; in float arithmetic arrays
        broadcast (then the record holds payoff and choice arrays, ties broken
        by branch order, and a ``tied`` mask).
    method : {"float", "exact", "symbolic"}
        The arithmetic.  Symbolic: the equilibria at the default values (in
        exact arithmetic), each with every player's payoff as an expression in
        the parameters and the exact conditions under which it stays subgame perfect.
    max_equilibria : int
        Stop listing after this many (``complete`` is then ``False``).

    Returns
    -------
    GameSolution
        ``equilibria`` of kind ``"subgame perfect"``; with ties, one per
        combination of best choices.

    Examples
    --------
    >>> from evtree.games import examples
    >>> sol = subgame_perfect(examples.entry_deterrence(), method="exact")
    >>> [(e.profile["entrant"], e.payoffs) for e in sol]
    [({'Out': 0, 'In': 1}, {'Entrant': 1, 'Incumbent': 1})]
    """
    game = Game(tree)
    if not game.perfect_information:
        shared = next(k for k, v in game.info_sets.items() if len(v) > 1)
        raise EvaluationError(
            f"information set {shared!r} has several nodes: backward induction needs perfect "
            "information; use evtree.games.nash (or signalling) for this game"
        )
    if method == "symbolic":
        return _symbolic(game, values, max_equilibria)
    if method not in ("float", "exact"):
        raise ValueError(f"method must be 'float', 'exact' or 'symbolic', got {method!r}")
    arith, point, shape, probs, leaves = game.arrays(values, method)
    label = f"backward induction ({method})"
    if method == "float":
        m = int(np.prod(shape)) if shape else 1
        # The deepest level (all terminals) is read from the outcomes directly; the rest is copied.
        deepest = game.flat.levels[-1].children if game.flat.levels else slice(1, 1)
        stacked = np.empty((len(leaves), game.flat.size, m))
        for p, leaf in enumerate(leaves):
            stacked[p, : deepest.start] = leaf[: deepest.start]
        values_, lazy_choice, lazy_tied = _backward_float(game, stacked, probs, leaves)
        if shape != () or lazy_tied.any():
            for p, leaf in enumerate(leaves):
                stacked[p, deepest] = leaf[deepest]
        if shape != ():
            return _broadcast_solution(game, values_, lazy_choice.array, lazy_tied.array, shape, label)
        if not lazy_tied.any():
            eq = _equilibrium(
                game, _Column(lazy_choice), [float(values_[p, 0, 0]) for p in range(len(game.players))], label
            )
            return _solution(game, [eq], label, True, False)
        choice, tied = lazy_choice.array, lazy_tied.array
        below = _tie_below(game.flat, tied[:, 0])
        found, complete = _enumerate(
            game,
            [values_[p, :, 0] for p in range(len(game.players))],
            probs[:, 0],
            lambda a, b: abs(a - b) <= TIE_TOLERANCE * max(1.0, abs(a), abs(b)),
            max,
            below,
            max_equilibria,
        )
        base = choice[:, 0]
    else:
        found, complete = _enumerate(
            game, list(leaves), probs, lambda a, b: a == b, max, None, max_equilibria
        )
        base = np.full(game.flat.size, -1, dtype=np.int64)
    eqs = []
    for vals, overrides in found:
        ch = base.copy()
        for i, c in overrides.items():
            ch[i] = c
        eqs.append(_equilibrium(game, ch, [v if method == "float" else to_sympy(v) for v in vals], label))
    return _solution(game, eqs, label, complete, len(eqs) > 1)


def _solution(game: Game, eqs: list[Equilibrium], label: str, complete: bool, tied: bool) -> GameSolution:
    first = eqs[0]
    choices = _Choices(game, first.profile._choice) if isinstance(first.profile, Profile) else {}
    note = ""
    if tied:
        note = "a player is indifferent somewhere: every combination of best choices is an equilibrium"
    if not complete:
        note = (note + "; " if note else "") + "the listing stopped at its limit"
    return GameSolution(
        tuple(eqs), game.players, label, complete, (), dict(first.payoffs), choices, tied, note
    )


class _Choices(Mapping):
    """Decision node key -> chosen label (one pure profile), built on access."""

    def __init__(self, game: Game, choice: np.ndarray) -> None:
        self._game, self._choice = game, choice
        self._keys = None

    def _index(self) -> dict[str, int]:
        if self._keys is None:
            flat = self._game.flat
            self._keys = {flat.nodes[d].key: int(d) for d in flat.decision_indices}
        return self._keys

    def __getitem__(self, key: str) -> Any:
        d = self._index()[key]
        c = self._choice[d]
        if np.ndim(c) == 0:
            return self._game.flat.nodes[int(c)].label
        labels = np.array([n.label for n in self._game.flat.nodes[d].children], dtype=object)
        return labels[c - self._game.flat.first_child[d]]

    def __iter__(self) -> Any:
        return iter(self._index())

    def __len__(self) -> int:
        return len(self._game.flat.decision_indices)


def _equilibrium(game: Game, choice: np.ndarray, vals: Sequence[Any], method: str) -> Equilibrium:
    return Equilibrium(
        kind="subgame perfect",
        profile=Profile(game, choice),
        payoffs=dict(zip(game.players, vals)),
        method=method,
    )


# ----------------------------------------------------------------------------- float, vectorised
def _backward_float(
    game: Game, V: np.ndarray, probs: np.ndarray, leaves: list[np.ndarray] | None = None
) -> tuple[np.ndarray, Any, Any]:
    """Backward induction on the level arrays.

    ``V`` has shape ``(players, nodes, points)`` and holds the outcomes; it is
    filled in place with every node's values.  Returns ``(V, choice, tied)``:
    the chosen child's flat index at each decision node (first best on ties)
    and whether the mover is indifferent there, per point (both node-aligned
    arrays of shape ``(nodes, points)``, built when first used).  With ``leaves``
    (the outcomes per player), the deepest level is read from them and ``V``
    need not hold it.
    """
    flat = game.flat
    n_players, n, m = V.shape
    if probs.shape[1] != m:
        probs = np.broadcast_to(probs, (n, m))
    mover = game.mover
    records: list[tuple[Any, Any, np.ndarray]] = []  # (parents, chosen child index, tied)
    uniform_mover = _uniform_movers(game)
    # Values are probability mixtures of the outcomes, so |value| <= the largest |outcome|: a
    # difference below TIE_TOLERANCE * max(1, that) flags every possible tie (refined where flagged).
    sources = leaves if leaves is not None else [V[p] for p in range(n_players)]
    bound = [TIE_TOLERANCE * max(1.0, abs(float(np.max(x))), abs(float(np.min(x)))) for x in sources]
    last = len(flat.levels) - 1
    for depth in range(last, -1, -1):
        level = flat.levels[depth]
        kids = level.children
        parents = level.parents
        k = level.uniform
        if depth == last and leaves is not None:
            q = uniform_mover[depth]
            if level.all_kind == CHANCE and 0 < k <= 8:
                pk = probs[kids]
                for p, leaf in enumerate(leaves):
                    x = leaf[kids]
                    out = pk[0::k] * x[0::k]
                    for j in range(1, k):
                        out += pk[j::k] * x[j::k]
                    V[p, parents] = out
                continue
            if not (q >= 0 and k == 2):
                for p, leaf in enumerate(leaves):
                    V[p, kids] = leaf[kids]
        if level.all_kind == CHANCE:
            V[:, parents] = _weighted_all(probs[kids], V[:, kids], level)
            continue
        q = uniform_mover[depth]
        if q >= 0 and k == 2:
            # the common case, fused: one comparison of the mover's values, one selection for everyone
            if depth == last and leaves is not None:
                xs = [leaf[kids] for leaf in leaves]
                d = xs[q][1::2] - xs[q][0::2]
                better = d > 0
                for p, x in enumerate(xs):
                    V[p, parents] = np.where(better, x[1::2], x[0::2])
                new = V[:, parents]
            else:
                x = V[:, kids]
                d = x[q, 1::2] - x[q, 0::2]
                better = d > 0
                new = np.where(better, x[:, 1::2], x[:, 0::2])
                V[:, parents] = new
            np.abs(d, out=d)
            if d.size == 0 or d.min() > bound[q]:  # one reduction screens the whole level
                tie = _NO_TIES
            else:
                tie = d <= bound[q]
                tie[tie] = d[tie] <= TIE_TOLERANCE * np.maximum(1.0, np.abs(new[q][tie]))
            records.append((parents, _Pairs(kids.start, better), tie))
            continue
        pidx = np.arange(parents.start, parents.stop) if isinstance(parents, slice) else parents
        movers = mover[pidx]
        is_dec = level.kinds == DECISION
        q = int(movers[is_dec][0])
        if level.all_kind == DECISION and (movers == q).all():
            mv = V[q, kids]
        else:
            kid_mover = np.repeat(np.where(movers >= 0, movers, 0), level.counts)
            mv = V[kid_mover, np.arange(kids.start, kids.stop)]
        arg, tie = _decide(mv, level)
        chosen = (kids.start + level.starts)[:, None] + arg
        if level.all_kind == DECISION:
            records.append((pidx, chosen, tie))
            for p in range(n_players):
                V[p, parents] = _gather(V[p], chosen, arg, kids, level)
        else:
            records.append((pidx[is_dec], chosen[is_dec], tie[is_dec]))
            weighted = _weighted_all(probs[kids], V[:, kids], level)
            for p in range(n_players):
                best = _gather(V[p], chosen, arg, kids, level)
                V[p, pidx] = np.where(is_dec[:, None], best, weighted[p])
    tied = _Lazy(lambda: _fill(n, m, records, 2), any(bool(r[2].any()) for r in records))
    return V, _Lazy(lambda: _fill(n, m, records, 1)), tied


def _uniform_movers(game: Game) -> list[int]:
    """Per level: the one player moving at every parent when all parents are decisions, else -1."""
    key = "game_uniform_movers"
    cached = game.flat.cache.get(key)
    if cached is None or cached[0] is not game.mover:
        out = []
        for level in game.flat.levels:
            q = -1
            if level.all_kind == DECISION:
                movers = game.mover[level.parents]
                if (movers == movers[0]).all():
                    q = int(movers[0])
            out.append(q)
        cached = (game.mover, out)
        game.flat.cache[key] = cached
    return cached[1]


class _NoTies:
    """A level without ties (stands in for an all-False mask)."""

    def any(self) -> bool:
        return False


_NO_TIES = _NoTies()


class _Pairs:
    """Chosen children of a level of two-option decisions: ``start + 2 * row + better``."""

    def __init__(self, start: int, better: np.ndarray) -> None:
        self.start, self.better = start, better

    def array(self) -> np.ndarray:
        return (self.start + 2 * np.arange(len(self.better)))[:, None] + self.better


def _fill(n: int, m: int, records: list[Any], field: int) -> np.ndarray:
    out = np.full((n, m), -1 if field == 1 else False, dtype=np.int64 if field == 1 else bool)
    for rec in records:
        value = rec[field]
        if value is _NO_TIES:
            continue
        out[rec[0]] = value.array() if isinstance(value, _Pairs) else value
    return out


class _Column:
    """The first column of a lazily built (nodes, points) array, as a node-aligned array."""

    def __init__(self, lazy: _Lazy) -> None:
        self._lazy = lazy

    def __getitem__(self, key: Any) -> Any:
        return self._lazy.array[:, 0][key]

    def copy(self) -> np.ndarray:
        return self._lazy.array[:, 0].copy()

    def tobytes(self) -> bytes:
        return self._lazy.array[:, 0].tobytes()


class _Lazy:
    """A node-aligned array built on first use (most solves only need the root's values)."""

    def __init__(self, build: Any, any_true: bool | None = None) -> None:
        self._build, self._array, self._any = build, None, any_true

    @property
    def array(self) -> np.ndarray:
        if self._array is None:
            self._array = self._build()
        return self._array

    def __getitem__(self, key: Any) -> Any:
        return self.array[key]

    def any(self) -> bool:
        if self._any is None:
            self._any = bool(self.array.any())
        return self._any


def _weighted_all(p: np.ndarray, x: np.ndarray, level: Any) -> np.ndarray:
    """Probability-weighted sums of every player's values at once (``x`` is players x children x points)."""
    k = level.uniform
    if 0 < k <= 8:
        out = p[0::k] * x[:, 0::k]
        for j in range(1, k):
            out += p[j::k] * x[:, j::k]
        return out
    return np.add.reduceat(p * x, level.starts, axis=1)


def _decide(mv: np.ndarray, level: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return the offset of each parent's best child (first on ties) and whether it is tied."""
    k = level.uniform
    if 0 < k <= 8:
        best = mv[0::k].copy()
        arg = np.zeros(best.shape, dtype=np.int64)
        for j in range(1, k):
            cand = mv[j::k]
            better = cand > best
            np.copyto(best, cand, where=better)
            arg[better] = j
        tol = TIE_TOLERANCE * np.maximum(1.0, np.abs(best))
        count = np.zeros(best.shape, dtype=np.int8)
        for j in range(k):
            count += np.abs(mv[j::k] - best) <= tol
        return arg, count > 1
    starts, counts = level.starts, level.counts
    best = np.maximum.reduceat(mv, starts, axis=0)
    rep = np.repeat(best, counts, axis=0)
    near = np.abs(mv - rep) <= TIE_TOLERANCE * np.maximum(1.0, np.abs(rep))
    tie = np.add.reduceat(near.astype(np.int64), starts, axis=0) > 1
    pos = (np.arange(len(mv)) - np.repeat(starts, counts))[:, None]
    cand = np.where(mv >= rep, pos, np.iinfo(np.int64).max)
    return np.minimum.reduceat(cand, starts, axis=0), tie


def _gather(v: np.ndarray, chosen: np.ndarray, arg: np.ndarray, kids: slice, level: Any) -> np.ndarray:
    if level.uniform == 2 and level.all_kind == DECISION:
        x = v[kids]
        return np.where(arg == 1, x[1::2], x[0::2])
    cols = np.arange(v.shape[1])[None, :]
    return v[chosen, cols]


def _tie_below(flat: FlatTree, tied: np.ndarray) -> np.ndarray:
    """Node-aligned: some decision node in the node's subtree (itself included) is tied."""
    below = tied.copy()
    for level in reversed(flat.levels):
        kids = level.children
        anyk = np.logical_or.reduceat(below[kids], level.starts) if len(level.starts) else []
        below[level.parents] |= anyk
    return below


def _broadcast_solution(
    game: Game, V: np.ndarray, choice: np.ndarray, tied: np.ndarray, shape: tuple[int, ...], label: str
) -> GameSolution:
    payoffs = {p: V[i, 0].reshape(shape) for i, p in enumerate(game.players)}
    choices = _Choices(game, choice)
    any_tied = tied.any(axis=0).reshape(shape)
    note = "broadcast: payoffs and choices per point, ties broken by branch order (see tied)"
    return GameSolution(
        (), game.players, label, False, shape, payoffs, _ShapedChoices(choices, shape), any_tied, note
    )


class _ShapedChoices(Mapping):
    def __init__(self, inner: _Choices, shape: tuple[int, ...]) -> None:
        self._inner, self._shape = inner, shape

    def __getitem__(self, key: str) -> Any:
        return self._inner[key].reshape(self._shape)

    def __iter__(self) -> Any:
        return iter(self._inner)

    def __len__(self) -> int:
        return len(self._inner)


# ----------------------------------------------------------------------------- enumeration
def _enumerate(
    game: Game,
    values: list[Any],
    probs: Any,
    is_tied: Any,
    best_of: Any,
    below: np.ndarray | None,
    limit: int,
) -> tuple[list[tuple[tuple[Any, ...], dict[int, int]]], bool]:
    """List every pure SPE of the subgames that contain ties (all subgames when ``below`` is None).

    Each entry is ``(payoff per player, {decision index: chosen child index})``.
    """
    flat = game.flat
    kind, first, count, mover = flat.kind, flat.first_child, flat.n_children, game.mover
    n_players = len(values)
    complete = [True]
    memo: dict[int, list[Any]] = {}

    def rec(i: int) -> list[Any]:
        if kind[i] == TERMINAL or (below is not None and not below[i]):
            return [(tuple(values[p][i] for p in range(n_players)), {})]
        if i in memo:
            return memo[i]
        kids = range(int(first[i]), int(first[i] + count[i]))
        subs = [rec(c) for c in kids]
        out: list[Any] = []
        for combo in itertools.product(*subs):
            merged: dict[int, int] = {}
            for _, ov in combo:
                merged.update(ov)
            if kind[i] == CHANCE:
                vals = tuple(
                    _total([probs[c] * combo[j][0][p] for j, c in enumerate(kids)]) for p in range(n_players)
                )
                out.append((vals, merged))
            else:
                q = mover[i]
                mine = [combo[j][0][q] for j in range(len(kids))]
                best = best_of(mine)
                for j, c in enumerate(kids):
                    if is_tied(mine[j], best):
                        out.append((combo[j][0], {**merged, i: c}))
            if len(out) >= limit:
                complete[0] = False
                break
        memo[i] = out
        return out

    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20 * len(flat.levels) + 1000))
    try:
        found = rec(0)
    finally:
        sys.setrecursionlimit(old)
    return found[:limit], complete[0]


def _total(items: list[Any]) -> Any:
    out = items[0]
    for x in items[1:]:
        out = out + x
    return out


# ----------------------------------------------------------------------------- symbolic
def _profile_values(game: Game, leaves: list[Any], probs: Any, choice: np.ndarray) -> list[np.ndarray]:
    """Every node's value for every player when everyone follows ``choice`` (object arithmetic)."""
    flat = game.flat
    out = [np.array(leaf, dtype=object, copy=True) for leaf in leaves]
    for level in reversed(flat.levels):
        pidx = (
            np.arange(level.parents.start, level.parents.stop)
            if isinstance(level.parents, slice)
            else level.parents
        )
        for k, i in enumerate(pidx):
            a = int(flat.first_child[i])
            c = int(level.counts[k])
            for vals in out:
                if flat.kind[i] == DECISION:
                    vals[i] = vals[int(choice[i])]
                else:
                    vals[i] = sympy.Add(*[probs[j] * vals[j] for j in range(a, a + c)])
    return out


def _conditions(game: Game, node_values: list[np.ndarray], choice: np.ndarray) -> list[sympy.Expr]:
    """Expressions that must be >= 0 for ``choice`` to be subgame perfect (one per rival option)."""
    flat = game.flat
    out = []
    for d in flat.decision_indices:
        q = game.mover[d]
        chosen = int(choice[d])
        a = int(flat.first_child[d])
        for c in range(a, a + int(flat.n_children[d])):
            if c != chosen:
                diff = sympy.together(sympy.expand(node_values[q][chosen] - node_values[q][c]))
                if diff.free_symbols or diff < 0:
                    out.append(diff)
    return out


def _tidy(expr: Any) -> Any:
    expr = sympy.expand(expr)
    if sympy.count_ops(expr) <= 60:
        expr = sympy.simplify(expr)
    return expr


def _symbolic(game: Game, values: Mapping[str, Any] | None, limit: int) -> GameSolution:
    numeric = {k: v for k, v in (values or {}).items() if not isinstance(v, sympy.Basic) or v.is_number}
    base = subgame_perfect(game.tree, numeric, method="exact", max_equilibria=limit)
    _, _, _, probs, leaves = game.arrays(values, "symbolic")
    eqs = []
    for e in base:
        choice = e.profile._choice
        node_values = _profile_values(game, leaves, probs, choice)
        conds = _conditions(game, node_values, choice)
        eqs.append(
            dataclasses.replace(
                e,
                payoffs={p: _tidy(node_values[i][0]) for i, p in enumerate(game.players)},
                conditions=sympy.And(*[sympy.Ge(c, 0) for c in conds]) if conds else sympy.true,
                method="backward induction (symbolic; equilibria found at the default values)",
            )
        )
    return GameSolution(
        tuple(eqs),
        game.players,
        "backward induction (symbolic; equilibria found at the default values)",
        base.complete,
        (),
        dict(eqs[0].payoffs),
        base.choices,
        base.tied,
        "each equilibrium holds where its conditions hold; equilibrium_regions() maps them",
    )


# ----------------------------------------------------------------------------- regions
@dataclasses.dataclass(frozen=True)
class EquilibriumRegions:
    """Where each subgame-perfect equilibrium path holds, over one or two parameters.

    Attributes
    ----------
    parameters : tuple of str
        The parameters varied (the others stay at their values).
    rows : tuple of dict
        One per equilibrium path: ``path`` (the choices on the path of play,
        as text), ``region`` (a sympy set of the parameter for one parameter;
        a sympy condition for two), ``payoffs`` (player -> expression) and
        ``profiles`` (how many subgame-perfect profiles give this path).
    domain : sympy.Set or tuple
        The range searched (the parameters' bounds).
    complete : bool
        Whether the regions provably cover the domain (one parameter), or
        were found from a grid of points (two parameters; a region smaller
        than the grid spacing may be missed).
    method : str
    """

    parameters: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    domain: Any
    complete: bool
    method: str

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "path": r["path"],
                    "region": str(r["region"]),
                    **{f"payoff {k}": v for k, v in r["payoffs"].items()},
                }
                for r in self.rows
            ]
        )

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return (
            f"<p><b>Equilibrium regions over {', '.join(self.parameters)}</b></p>" + self.to_frame().to_html()
        )


def _path_text(game: Game, choice: np.ndarray, probs: Any) -> str:
    """Return the choices on the path of play (nodes reached with positive probability), in order."""
    flat = game.flat
    parts = []
    stack = [0]
    while stack:
        i = stack.pop(0)
        if flat.kind[i] == DECISION:
            c = int(choice[i])
            parts.append(f"{game.players[game.mover[i]]}@{flat.nodes[i].key}={flat.nodes[c].label}")
            stack.append(c)
        elif flat.kind[i] == CHANCE:
            a = int(flat.first_child[i])
            stack.extend(j for j in range(a, a + int(flat.n_children[i])) if probs[j] != 0)
    return ", ".join(parts)


def equilibrium_regions(
    tree: model.DecisionTree,
    parameters: str | Sequence[str],
    values: Mapping[str, Any] | None = None,
    *,
    grid: int = 7,
    max_rounds: int = 60,
) -> EquilibriumRegions:
    """Return the exact parameter regions where each subgame-perfect equilibrium path holds.

    Parameters
    ----------
    tree : DecisionTree
        A perfect-information game.
    parameters : str or two str
        The parameter(s) to vary over their bounds (unbounded: the real line).
    values : mapping, optional
        Values of the other parameters (defaults otherwise).
    grid : int
        For two parameters: points per side of the grid of starting points.
    max_rounds : int
        At most this many exact solves.

    Notes
    -----
    For one parameter the method is exact and complete: solve at a point, take
    every equilibrium there and its conditions (polynomial or rational
    inequalities in the parameter, solved by sympy), remove the set where they
    hold, and solve again at a point of what remains, until nothing remains.
    For two parameters each equilibrium's region is exact (its conditions),
    but equilibria are discovered from a grid of points.
    """
    names = (parameters,) if isinstance(parameters, str) else tuple(parameters)
    if len(names) not in (1, 2):
        raise ValueError("regions are computed over one or two parameters")
    game = Game(tree)
    fixed = {k: v for k, v in (values or {}).items() if k not in names}
    for name in names:
        tree.parameter(name)
    syms = [symbol(n) for n in names]
    others = {
        symbol(k): exact_number(fixed.get(k, p.exact)) for k, p in tree.parameters.items() if k not in names
    }
    _, _, _, probs_sym, leaves_sym = game.arrays({}, "symbolic")
    probs_sym = np.array([_sym(x).xreplace(others) for x in probs_sym], dtype=object)
    leaves_sym = [np.array([_sym(x).xreplace(others) for x in leaf], dtype=object) for leaf in leaves_sym]
    found: dict[str, dict[str, Any]] = {}
    seen: set[bytes] = set()

    def add(choice: np.ndarray) -> list[Any]:
        node_values = _profile_values(game, leaves_sym, probs_sym, choice)
        conds = _conditions(game, node_values, choice)
        key = choice.tobytes()
        if key not in seen:
            seen.add(key)
            at_point_probs = probs_sym
            row = found.setdefault(
                _path_text(game, choice, at_point_probs),
                {
                    "conds": [],
                    "choices": [],
                    "payoffs": {p: _tidy(node_values[i][0]) for i, p in enumerate(game.players)},
                },
            )
            row["conds"].append(conds)
            row["choices"].append(_labels(game, choice))
        return conds

    def solve_at(point: dict[str, Any]) -> list[np.ndarray]:
        sol = subgame_perfect(tree, {**fixed, **point}, method="exact")
        return [e.profile._choice for e in sol]

    if len(names) == 1:
        x = syms[0]
        lo, hi = tree.parameters[names[0]].bounds
        domain = sympy.Interval(lo if lo is not None else -sympy.oo, hi if hi is not None else sympy.oo)
        remaining: sympy.Set = domain
        start = (
            tree.parameters[names[0]].exact
            if names[0] not in (values or {})
            else exact_number(values[names[0]])
        )
        point = start if start in domain else _pick(domain)
        complete = False
        for _ in range(max_rounds):
            for choice in solve_at({names[0]: point}):
                conds = add(choice)
                region = domain
                for c in conds:
                    region = region & sympy.solve_univariate_inequality(
                        sympy.Ge(c, 0), x, relational=False, domain=domain
                    )
                remaining = remaining - region
            if remaining.is_empty or remaining == sympy.S.EmptySet:
                complete = True
                break
            point = _pick(remaining)
        rows = []
        for path, row in found.items():
            region = sympy.S.EmptySet
            per_profile = []
            for conds, labels in zip(row["conds"], row["choices"]):
                r = domain
                for c in conds:
                    r = r & sympy.solve_univariate_inequality(
                        sympy.Ge(c, 0), x, relational=False, domain=domain
                    )
                region = region | r
                per_profile.append((labels, r))
            rows.append(
                {
                    "path": path,
                    "region": region,
                    "payoffs": row["payoffs"],
                    "profiles": len(row["conds"]),
                    "profile_regions": tuple(per_profile),
                }
            )
        return EquilibriumRegions(names, tuple(rows), domain, complete, "exact: sympy inequality solving")
    bounds = []
    for n in names:
        lo, hi = tree.parameters[n].bounds
        if lo is None or hi is None:
            raise EvaluationError(f"parameter {n!r} needs low and high bounds for a two-parameter region map")
        bounds.append((lo, hi))
    for i in range(grid):
        for j in range(grid):
            pt = {
                names[0]: bounds[0][0] + (bounds[0][1] - bounds[0][0]) * sympy.Rational(i, grid - 1),
                names[1]: bounds[1][0] + (bounds[1][1] - bounds[1][0]) * sympy.Rational(j, grid - 1),
            }
            covered = any(
                all(bool(c.xreplace({syms[0]: pt[names[0]], syms[1]: pt[names[1]]}) >= 0) for c in conds)
                for row in found.values()
                for conds in row["conds"]
            )
            if not covered:
                for choice in solve_at(pt):
                    add(choice)
    rows = [
        {
            "path": path,
            "region": sympy.Or(*[sympy.And(*[sympy.Ge(c, 0) for c in conds]) for conds in row["conds"]]),
            "payoffs": row["payoffs"],
            "profiles": len(row["conds"]),
        }
        for path, row in found.items()
    ]
    return EquilibriumRegions(
        names, tuple(rows), tuple(bounds), False, f"exact regions; equilibria found from a {grid}x{grid} grid"
    )


def _labels(game: Game, choice: Any) -> dict[str, str]:
    """Information set or node key -> chosen label, for a pure profile."""
    flat = game.flat
    return {game.key_of[int(d)]: flat.nodes[int(choice[d])].label for d in flat.decision_indices}


def _pick(s: sympy.Set) -> Any:
    """Return a rational point of a nonempty set (interior where there is one)."""
    if isinstance(s, sympy.Union):
        s = s.args[0]
    if isinstance(s, sympy.FiniteSet):
        return next(iter(s))
    if isinstance(s, sympy.Interval):
        a, b = s.start, s.end
        if a.is_infinite and b.is_infinite:
            return sympy.Integer(0)
        if a.is_infinite:
            return sympy.floor(b) - 1
        if b.is_infinite:
            return sympy.ceiling(a) + 1
        if a == b:
            return a
        return sympy.nsimplify((a + b) / 2) if not (a + b).is_rational else (a + b) / 2
    raise EvaluationError(f"cannot pick a point of {s}")  # pragma: no cover


def _sym(x: Any) -> sympy.Expr:
    return x if isinstance(x, sympy.Basic) else exact_number(x)
