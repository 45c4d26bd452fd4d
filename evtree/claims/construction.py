"""``by_construction``: a proven claim that would hold whatever the tree's probabilities.

A proven claim is *by construction* when it stays proven after every chance
node's probabilities are replaced by fresh variables, free on the whole
probability simplex (each branch in [0, 1], the branches summing to 1, one
chance node independent of another and of the parameters), while everything
else is kept: the payoffs and their parameters' bounds, the decisions (as
maxima), the claim's assumptions, ``fix`` and ``vary``.

Such a verdict is not a finding about the uncertainty the model describes: it
follows from the bounds and signs of the payoffs (``v_soft <= 0``,
``l_defect >= 0``), from the tree's shape (a decision is worth at least each of
its options) or from the assumptions.  A claim that needs the probabilities'
values, their bounds or how they depend on the parameters is not flagged.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..core import model
from ..core.errors import EvtreeError
from .context import _Context
from .spec import PROVEN, Claim

__all__ = ["free_probabilities"]


def free_probabilities(tree: model.DecisionTree) -> tuple[model.DecisionTree, tuple[str, ...]]:
    """Return a copy of ``tree`` whose chance probabilities are fresh parameters, and their names.

    In each chance node every branch but the last gets a new parameter in
    [0, 1] (default ``1/n``); the last takes the rest.
    """
    free = tree.copy()
    names: list[str] = []
    k = 0
    for node in free.chance_nodes:
        children = list(node.children)
        for child in children[:-1]:
            while f"evtree_free_q{k}" in free.parameters:
                k += 1
            name = f"evtree_free_q{k}"
            k += 1
            free.parameters[name] = model.Parameter(name, 1 / len(children), low=0, high=1)
            child.probability = name
            names.append(name)
        children[-1].probability = model.REST
    return free, tuple(names)


def _by_construction(ctx: _Context, claim: Claim, *, timeout: float) -> bool:
    """Whether a proven claim stays proven with the probabilities free (see the module notes)."""
    from .check import _check

    if not ctx.tree.chance_nodes:
        return True
    free, names = free_probabilities(ctx.tree)
    freed: Any = claim
    if claim.vary is not None:
        freed = dataclasses.replace(claim, vary=tuple(claim.vary) + names)
    freed = dataclasses.replace(freed, region=())
    try:
        r = _check(
            _Context(free),
            freed,
            search=False,
            seed=0,
            region=(),
            timeout=timeout,
            fast=False,
            construction=False,
        )
    except EvtreeError:
        return False
    return r.verdict == PROVEN
