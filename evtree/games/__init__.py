"""Games: trees whose decision nodes belong to players, and their equilibria.

A game is a :class:`~evtree.DecisionTree` that declares ``players``; every
decision node names its ``player``, terminal and branch payoffs are mappings
player -> expression (:mod:`evtree.core.components`), and decision nodes a
player cannot tell apart share an ``information_set``.  A chance node is
nature's move, e.g. a player's hidden type.

    subgame_perfect        every pure SPE of a perfect-information game (float, exact, symbolic)
    equilibrium_regions    exact parameter regions where each equilibrium path holds
    nash                   Nash equilibria via pygambit (the ``games`` extra), exact where it enumerates
    signalling             perfect Bayesian equilibria of sender-receiver games (pure, semi-separating)
    solve                  the right solver for the game (what ``evtree solve`` runs)
    check_equilibrium_claim  decide a claim about equilibria (for ``evtree check``)
    examples               textbook games with published equilibria
"""

from __future__ import annotations

from . import examples
from .claims import EquilibriumClaimResult, check_equilibrium_claim
from .nash import nash, to_gambit
from .records import Equilibrium, GameSolution
from .signalling import as_signalling, signalling
from .solve import solve
from .spe import EquilibriumRegions, equilibrium_regions, subgame_perfect

__all__ = [
    "EquilibriumClaimResult",
    "Equilibrium",
    "EquilibriumRegions",
    "GameSolution",
    "as_signalling",
    "check_equilibrium_claim",
    "equilibrium_regions",
    "examples",
    "nash",
    "signalling",
    "solve",
    "subgame_perfect",
    "to_gambit",
]
