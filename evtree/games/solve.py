"""Choose the solver a game needs: what ``evtree solve`` runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core import model
from ._game import Game
from .nash import nash
from .records import GameSolution
from .signalling import as_signalling, signalling
from .spe import subgame_perfect

__all__ = ["solve"]


def solve(
    tree: model.DecisionTree, values: Mapping[str, Any] | None = None, *, method: str = "float"
) -> GameSolution:
    """Return the equilibria of a game, by the method its structure calls for.

    A perfect-information game: every pure subgame-perfect equilibrium
    (:func:`~evtree.games.subgame_perfect`).  A signalling game (nature draws
    the sender's type, the receiver sees only the message): its perfect
    Bayesian equilibria (:func:`~evtree.games.signalling`).  Any other game with
    information sets: its Nash equilibria through pygambit (:func:`~evtree.games.nash`).
    """
    game = Game(tree)
    if game.perfect_information:
        return subgame_perfect(tree, values, method=method)
    if as_signalling(game) is not None:
        return signalling(tree, values, method=method)
    return nash(tree, values, method=method)
