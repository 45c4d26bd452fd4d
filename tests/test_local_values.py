"""Values at a node with and without the payoffs accumulated above it.

Goferbroke (Hillier & Lieberman): the seismic survey costs 30 (on the branch
into the survey node).  After the survey, by hand: P(FSS) = 3/10 with P(oil | FSS)
= 1/2, so drilling is worth 1/2*700 + 1/2*(-100) = 300 there; P(USS) = 7/10 with
P(oil | USS) = 1/7, drilling 100 - 600/7 = 100/7 < 90, so sell for 90.  The survey
node is worth 3/10*300 + 7/10*90 = 90 + 63 = 153 at the node (the textbook's
figure) and 153 - 30 = 123 along the path.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from posterior_trees import PROBLEMS, build

from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate
from evtree.library import texaco_pennzoil
from evtree.presentation.render import render_text


def test_goferbroke_153_at_the_node_123_along_the_path():
    tree = build(PROBLEMS[0], decimals=False)
    r = evaluate(tree, method="exact")
    assert r.value_of("signal") == 123
    assert r.local_value_of("signal") == 153
    assert r.local_value_of("act_FSS") == 300 and r.value_of("act_FSS") == 270
    frame = r.to_frame()
    assert frame.loc["test/test", "local_value"] == 153
    assert frame.loc["test/test", "value"] == 123
    assert r.local_value_of("test/test/FSS/drill/oil") == 700  # a terminal: its own payoff
    text = render_text(tree, evaluate(tree))
    assert "signal  = 123 (here 153)" in text


def test_without_branch_payoffs_both_conventions_agree():
    tree = texaco_pennzoil()
    r = evaluate(tree, method="exact")
    for node in tree.nodes():
        assert r.local_value_of(node) == r.value_of(node)
    assert "(here" not in render_text(tree, evaluate(tree))


def _costed(cost="c"):
    return DecisionTree(
        Decision(
            "d",
            [
                Branch(
                    "buy",
                    Chance(
                        "deal",
                        [
                            Branch("good", Terminal(100), probability="1/2"),
                            Branch("bad", Terminal(0), probability="rest"),
                        ],
                    ),
                    payoff=f"-{cost}",
                ),
                Branch("skip", Terminal(0)),
            ],
        ),
        parameters=[Parameter("c", 20, low=0, high=100)],
    )


def test_broadcast_and_symbolic():
    tree = _costed()
    c = np.array([0.0, 20.0, 40.0])
    r = evaluate(tree, {"c": c})
    np.testing.assert_allclose(r.value_of("deal"), 50 - c)
    np.testing.assert_allclose(r.local_value_of("deal"), [50, 50, 50])
    s = evaluate(tree, method="symbolic")
    assert sympy.simplify(s.local_value_of("deal") - 50) == 0
    assert sympy.simplify(s.value_of("deal") - (50 - sympy.Symbol("c", real=True))) == 0


def test_under_a_utility_the_local_value_is_the_certainty_equivalent_less_the_payoffs_above():
    tree = _costed("20")
    tree.utility = {"type": "exponential", "risk_tolerance": 100}
    r = evaluate(tree)
    # CE of the deal after paying 20: outcomes 80 and -20 with 1/2 each, u = 1 - exp(-x/100)
    ce = -100 * math.log(0.5 * math.exp(-0.8) + 0.5 * math.exp(0.2))
    assert r.value_of("deal") == pytest.approx(ce)
    assert r.local_value_of("deal") == pytest.approx(ce + 20)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_local_value_is_the_value_less_the_branch_payoffs_on_the_path(data):
    from strategies import trees

    from evtree.core.expressions import exact_number

    tree = data.draw(trees(max_depth=3))
    r = evaluate(tree, method="exact")
    for node in tree.nodes():
        above, n = 0, node
        while n is not None:  # walk up by hand: every branch payoff from the root down to the node
            if n.branch_payoff is not None:
                above += exact_number(n.branch_payoff)
            n = n.parent
        assert r.local_value_of(node) == r.value_of(node) - above
