"""The symbolic rollback in polynomial arithmetic (issue 11, item 3) agrees with exact rollbacks.

The oracle is the exact-rational rollback at random rational points: the
symbolic value, with the point substituted, must equal it exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from evtree import evaluate, symbol
from evtree.library import balanced


def _random_point(tree, rng):
    point = {}
    for name in tree.parameters:
        if name.startswith("p"):
            point[name] = sympy.Rational(int(rng.integers(0, 11)), 10)
        else:
            point[name] = sympy.Rational(int(rng.integers(-40, 41)), int(rng.integers(1, 5)))
    return point


@pytest.mark.parametrize("depth", [3, 6])
@pytest.mark.parametrize("objective", ["max", "min"])
def test_symbolic_values_equal_exact_rollbacks(depth, objective):
    tree = balanced(depth)
    tree.objective = objective
    result = evaluate(tree, method="symbolic")
    rng = np.random.default_rng(depth)
    nodes = [tree.root, *tree.decision_nodes[1:4], *tree.chance_nodes[:3]]
    for _ in range(8):
        point = _random_point(tree, rng)
        exact = evaluate(tree, point, method="exact")
        subs = {symbol(k): v for k, v in point.items()}
        for node in nodes:
            assert result.value_of(node).xreplace(subs) == exact.value_of(node)


def test_a_fixed_policy_gives_a_polynomial():
    tree = balanced(4)
    policy = {d.key: "a" for d in tree.decision_nodes}
    value = evaluate(tree, method="symbolic", policy=policy).value
    assert not value.has(sympy.Max)
    point = {"v0": 1, "v1": 2, "v2": -3, "v3": 5, "p0": sympy.Rational(1, 4), "p1": sympy.Rational(2, 3)}
    exact = evaluate(tree, point, method="exact", policy=policy).value
    assert value.xreplace({symbol(k): sympy.sympify(v) for k, v in point.items()}) == exact


def test_options_differing_by_a_constant_need_no_max():
    from evtree import Branch, Decision, DecisionTree, Parameter, Terminal

    tree = DecisionTree(
        Decision(
            "d",
            [Branch("a", Terminal("x + 1")), Branch("b", Terminal("x + 3")), Branch("c", Terminal("2*x"))],
        ),
        parameters=[Parameter("x", 0)],
    )
    x = symbol("x")
    assert evaluate(tree, method="symbolic").value == sympy.Max(x + 3, 2 * x)
