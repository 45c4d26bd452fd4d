"""Hypothesis strategies that generate random, valid decision trees.

``trees()`` draws trees of decision, chance and terminal nodes with exact
rational probabilities (summing to 1 by construction), integer payoffs, optional
branch payoffs, and optionally payoffs that are parameters.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import count

from hypothesis import strategies as st

from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal

__all__ = ["trees"]


@st.composite
def _node(draw, depth: int, names, params: list, *, with_parameters: bool):
    kinds = ["terminal"] if depth <= 0 else ["terminal", "decision", "chance"]
    kind = (
        draw(st.sampled_from(kinds))
        if depth > 0 and draw(st.booleans())
        else ("terminal" if depth <= 0 else draw(st.sampled_from(["decision", "chance"])))
    )
    if kind == "terminal":
        if with_parameters and draw(st.integers(0, 3)) == 0:
            name = f"v{len(params)}"
            params.append(Parameter(name, draw(st.integers(-50, 50)), low=-100, high=100))
            return Terminal(name)
        return Terminal(draw(st.integers(-100, 100)))
    n = draw(st.integers(2, 3))
    children = [draw(_node(depth - 1, names, params, with_parameters=with_parameters)) for _ in range(n)]
    payoffs = [draw(st.one_of(st.none(), st.integers(-20, 20))) for _ in range(n)]
    if kind == "decision":
        return Decision(
            f"d{next(names)}",
            [Branch(f"o{i}", c, payoff=p) for i, (c, p) in enumerate(zip(children, payoffs))],
        )
    weights = [draw(st.integers(0, 5)) for _ in range(n)]
    if sum(weights) == 0:
        weights[0] = 1
    total = sum(weights)
    probs = [Fraction(w, total) for w in weights]
    return Chance(
        f"c{next(names)}",
        [
            Branch(f"s{i}", c, probability=str(p), payoff=pay)
            for i, (c, p, pay) in enumerate(zip(children, probs, payoffs))
        ],
    )


@st.composite
def trees(draw, max_depth: int = 4, *, with_parameters: bool = False, objective: str | None = None):
    """Draw a random valid :class:`DecisionTree`."""
    names = count()
    params: list[Parameter] = []
    root = draw(_node(max_depth, names, params, with_parameters=with_parameters))
    obj = objective or draw(st.sampled_from(["max", "min"]))
    return DecisionTree(root, parameters=params, objective=obj)
