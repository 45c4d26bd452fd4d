"""A game tree compiled for the solvers: players, movers, information sets, payoffs per player."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

import numpy as np

from ..core import model
from ..core.compile import (
    DECISION,
    FlatTree,
    check_probabilities,
    compile_tree,
    parameter_point,
    raise_problems,
)
from ..core.components import component_view
from ..core.errors import EvaluationError
from ..core.rollback import Arithmetic, arithmetic, outcomes

__all__ = ["Game", "Profile"]


class Game:
    """A validated game tree and its compiled arrays.

    Attributes
    ----------
    tree : DecisionTree
    flat : FlatTree
        The compiled tree (shared with :func:`evtree.evaluate`).
    players : tuple of str
    mover : ndarray of int
        Node-aligned index of the player moving at each decision node (-1 elsewhere).
    key : list of str
        For each decision node (by flat index, in ``flat.decision_indices`` order):
        its information set's name, or the node's key where it has none.
    """

    def __init__(self, tree: model.DecisionTree) -> None:
        if tree.criteria:
            raise EvaluationError(
                "the tree declares criteria, not players: a game over several criteria is not supported "
                "(evaluate one criterion with evtree.evaluate(tree, criterion=NAME))"
            )
        if not tree.players:
            raise EvaluationError(
                "the tree declares no players: it is a one-player decision tree (use evtree.evaluate), "
                "or declare 'players' and give every decision node a 'player'"
            )
        flat = compile_tree(tree)
        raise_problems(flat)
        self.tree = tree
        self.flat = flat
        self.players = tree.component_names
        cached = flat.cache.get("game_mover")
        if cached is None or cached[0] != self.players:
            index = {p: i for i, p in enumerate(self.players)}
            mover = np.full(flat.size, -1, dtype=np.int64)
            dec = flat.decision_indices
            nodes = flat.nodes
            mover[dec] = [index[nodes[d]._player] for d in dec]
            mover.setflags(write=False)
            cached = (self.players, mover)
            flat.cache["game_mover"] = cached
        self.mover = cached[1]

    @cached_property
    def info_sets(self) -> dict[str, list[int]]:
        """Information set key -> flat indices of its nodes (singletons keyed by node key)."""
        out: dict[str, list[int]] = {}
        nodes = self.flat.nodes
        for d in self.flat.decision_indices:
            node = nodes[d]
            out.setdefault(node._information_set or node.key, []).append(int(d))
        return out

    @cached_property
    def perfect_information(self) -> bool:
        """Whether every information set is a single node."""
        cached = self.flat.cache.get("game_perfect_information")
        if cached is None:
            nodes = self.flat.nodes
            sets = [nodes[d]._information_set for d in self.flat.decision_indices]
            named = [s for s in sets if s is not None]
            cached = len(named) == len(set(named))
            self.flat.cache["game_perfect_information"] = cached
        return cached

    @cached_property
    def key_of(self) -> dict[int, str]:
        """Flat index of a decision node -> the key of its information set."""
        return {i: k for k, members in self.info_sets.items() for i in members}

    def views(self) -> list[FlatTree]:
        """One FlatTree per player whose payoffs are that player's."""
        return [component_view(self.flat, p) for p in self.players]

    def arrays(
        self, values: Mapping[str, Any] | None, method: str
    ) -> tuple[Arithmetic, dict[str, Any], tuple[int, ...], Any, list[Any]]:
        """Return the arithmetic, parameter point, broadcast shape, probabilities and payoffs per player."""
        point = parameter_point(self.tree, values, method=method)
        shape: tuple[int, ...] = ()
        if method == "float":
            shape = np.broadcast_shapes(*(np.shape(v) for v in point.values())) if point else ()
            if shape == ():
                point = {k: float(v) for k, v in point.items()}
            else:
                size = math.prod(shape)
                point = {k: np.broadcast_to(v, shape).reshape(size) for k, v in point.items()}
        arith = arithmetic(method, math.prod(shape) if shape else 1)
        probs = arith.probabilities(self.flat, point)
        if method == "symbolic":
            check_probabilities(self.tree, self.flat, method="symbolic", values=values)
        else:
            arith.check_probabilities(self.flat, probs)
        leaves = []
        for view in self.views():
            if method == "float" and view.branch_payoff.is_constant and not view.branch_payoff.const.any():
                leaves.append(arith.quantity(view, view.payoff, point))  # read only: no copy needed
            else:
                leaves.append(outcomes(view, arith, point))
        return arith, point, shape, probs, leaves


class Profile(Mapping):
    """A pure profile as a mapping information set (or node) -> {label: 0 or 1}, built on access."""

    def __init__(self, game: Game, choice: np.ndarray) -> None:
        self._game = game
        self._choice = choice

    def __getitem__(self, key: str) -> dict[str, int]:
        members = self._game.info_sets[key]
        flat = self._game.flat
        d = members[0]
        chosen = int(self._choice[d])
        return {
            c._label: int(flat.first_child[d] + j == chosen) for j, c in enumerate(flat.nodes[d].children)
        }

    def __iter__(self) -> Iterator[str]:
        return iter(self._game.info_sets)

    def __len__(self) -> int:
        return len(self._game.info_sets)

    def __repr__(self) -> str:
        return repr(dict(self))


def decision_levels(flat: FlatTree) -> list[bool]:
    """For each level, whether any of its parents is a decision node."""
    return [bool((lv.kinds == DECISION).any()) for lv in flat.levels]
