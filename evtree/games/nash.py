"""Nash equilibria in behaviour strategies, through pygambit (the ``games`` extra).

    nash        every (extreme) Nash equilibrium Gambit can enumerate, as behaviour profiles
    to_gambit   the game at a parameter point, as a ``pygambit.ExtensiveGame``

The game goes to Gambit as ``.efg`` text (:mod:`evtree.formats.efg`) at the
parameter values, exactly.  Two-player games: ``pygambit.nash.enummixed_solve``
with rational arithmetic, which lists every extreme equilibrium of the reduced
strategic form (every equilibrium is a convex combination of extreme ones
within a clique); each is converted to behaviour strategies and duplicates
removed.  Games of more players: ``pygambit.nash.enumpoly_solve`` on the tree
(all isolated equilibria, in floating point).  The record's ``method`` says
which solver ran.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from ..core import model
from ..core.errors import EvaluationError
from ..formats.efg import efg_text
from ._game import Game
from .records import Equilibrium, GameSolution

__all__ = ["nash", "to_gambit"]


def _pygambit() -> Any:
    try:
        import pygambit
    except ImportError:  # pragma: no cover - the extra is part of "all"
        raise EvaluationError(
            "Nash equilibria of games with information sets need pygambit: pip install 'evtree[games]'"
        ) from None
    return pygambit


def to_gambit(tree: model.DecisionTree, values: Mapping[str, Any] | None = None) -> Any:
    """Return the game at the parameter ``values`` as a ``pygambit.ExtensiveGame``."""
    gbt = _pygambit()
    return gbt.read_efg(io.StringIO(efg_text(tree, values)))


def _exact(value: Any) -> Any:
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if value is None:
        return None
    return sympy.nsimplify(str(value), rational=True) if not isinstance(value, float) else value


def _node_paths(game: Game) -> dict[tuple[str, ...], int]:
    """Map the tuple of branch labels from the root to each node's flat index."""
    flat = game.flat
    paths: list[tuple[str, ...]] = [()] * flat.size
    for level in flat.levels:
        kids = level.children
        for i in range(kids.start, kids.stop):
            paths[i] = paths[int(flat.parent[i])] + (flat.nodes[i]._label,)
    return {p: i for i, p in enumerate(paths)}


def behaviour_equilibria(
    game: Game, gambit_game: Any, profiles: list[Any], *, exact: bool, kind: str, method: str
) -> list[Equilibrium]:
    """Convert pygambit behaviour profiles to :class:`Equilibrium` records (duplicates removed)."""
    by_path = _node_paths(game)
    flat = game.flat
    out: list[Equilibrium] = []
    seen: set[Any] = set()
    names = list(game.players)
    conv = _exact if exact else (lambda v: None if v is None else float(v))
    for prof in profiles:
        profile: dict[str, dict[str, Any]] = {}
        for player in gambit_game.players:
            for history, mixed in prof[player]:
                key = game.key_of[by_path[tuple(history.actions)]]
                profile[key] = {label: conv(p) for label, p in dict(mixed).items()}
        sig = tuple(sorted((k, tuple(sorted(v.items()))) for k, v in profile.items()))
        if sig in seen:
            continue
        seen.add(sig)
        pays = dict(prof.payoffs)
        payoffs = {names[i]: conv(pays[p]) for i, p in enumerate(gambit_game.players)}
        beliefs: dict[str, dict[str, Any]] = {}
        node_belief = {tuple(h.actions): b for h, b in prof.beliefs}
        for key, members in game.info_sets.items():
            if len(members) > 1:
                beliefs[key] = {}
                for i in members:
                    beliefs[key][flat.nodes[i].key] = conv(node_belief.get(_path_of(flat, i)))
        out.append(
            Equilibrium(
                kind=kind,
                profile={k: profile[k] for k in game.info_sets if k in profile},
                payoffs=payoffs,
                beliefs=beliefs or None,
                method=method,
            )
        )
    return out


def _path_of(flat: Any, i: int) -> tuple[str, ...]:
    labels = []
    while i > 0:
        labels.append(flat.nodes[i]._label)
        i = int(flat.parent[i])
    return tuple(reversed(labels))


def nash(
    tree: model.DecisionTree, values: Mapping[str, Any] | None = None, *, method: str = "exact"
) -> GameSolution:
    """Return the Nash equilibria of a game in behaviour strategies, through Gambit.

    Parameters
    ----------
    tree : DecisionTree
        A game (``players`` declared); information sets allowed.
    values : mapping, optional
        Parameter values (Gambit solves the game at one point).
    method : {"exact", "float"}
        How the results are given: exact rationals or floats.  Two-player
        games are always solved exactly (``enummixed_solve``, rational).
        Symbolic arithmetic is not available through Gambit.

    Returns
    -------
    GameSolution
        Equilibria of kind ``"nash"`` with the behaviour profile, payoffs and
        the beliefs Gambit derives on the path of play (``None`` off it).

    Examples
    --------
    >>> from evtree.games import examples
    >>> sol = nash(examples.matching_pennies())
    >>> sol[0].profile["P2"], sol[0].payoffs
    ({'H': 1/2, 'T': 1/2}, {'P1': 0, 'P2': 0})
    """
    if method == "symbolic":
        raise EvaluationError(
            "Nash equilibria through Gambit are numeric (exact or float); symbolic ones are given "
            "for perfect-information games (subgame_perfect) and signalling games (signalling)"
        )
    if method not in ("exact", "float"):
        raise ValueError(f"method must be 'exact' or 'float', got {method!r}")
    if values and any(np.ndim(v) for v in values.values()):
        raise EvaluationError("Gambit solves one parameter point at a time; give single values")
    game = Game(tree)
    gbt = _pygambit()
    g = to_gambit(tree, values)
    if len(game.players) == 2:
        result = gbt.nash.enummixed_solve(g, rational=True)
        profiles = [eq.as_behavior() for eq in result.equilibria]
        label = (
            "gambit enummixed_solve (all extreme equilibria of the reduced strategic form, exact rationals)"
        )
        complete = True
        exact_solver = True
    else:
        result = gbt.nash.enumpoly_solve(g)
        profiles = list(result.equilibria)
        label = "gambit enumpoly_solve (isolated equilibria of the tree, floating point)"
        complete = True
        exact_solver = False
    eqs = behaviour_equilibria(
        game, g, profiles, exact=(method == "exact" and exact_solver), kind="nash", method=label
    )
    if not eqs:
        raise EvaluationError(f"Gambit found no equilibrium ({label})")
    note = (
        "with two players every Nash equilibrium is a convex combination of extreme ones listed here "
        "(within a clique)"
        if len(game.players) == 2
        else ""
    )
    return GameSolution(tuple(eqs), game.players, label, complete, (), dict(eqs[0].payoffs), {}, False, note)
