"""Utilities per terminal (Howard's u-values) as an alternative to a utility function.

A deal pays 100 or 0 with probability 1/2 each, or take 40 for sure.  The
decision maker's u-values: u(100) = 1, u(0) = 0, u(40) = 3/5.  By hand: the deal's
expected utility is 1/2 < 3/5, so take the 40.  Certainty equivalent of the
deal by piecewise-linear interpolation through (0, 0), (40, 3/5), (100, 1): the
utility 1/2 lies between 0 and 3/5, so 40 * (1/2) / (3/5) = 100/3.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate
from evtree.core.errors import ModelError
from evtree.formats.native import read_tree, write_tree


def deal(u_sure="3/5", sure=40):
    return DecisionTree(
        Decision(
            "d",
            [
                Branch(
                    "deal",
                    Chance(
                        "c",
                        [
                            Branch("win", Terminal(100, utility=1), probability="1/2"),
                            Branch("lose", Terminal(0, utility=0), probability="rest"),
                        ],
                    ),
                ),
                Branch("sure", Terminal(sure, utility=u_sure)),
            ],
        )
    )


@pytest.mark.parametrize("method", ["float", "exact", "symbolic"])
def test_decisions_maximise_expected_utility_and_values_are_certainty_equivalents(method):
    r = evaluate(deal(), method=method)
    assert r.policy == {"d": "sure"}
    assert (
        r.expected_utility == pytest.approx(0.6)
        if method == "float"
        else r.expected_utility == sympy.Rational(3, 5)
    )
    assert float(r.value) == pytest.approx(40)
    assert float(r.value_of("c")) == pytest.approx(100 / 3)
    if method == "exact":
        assert r.value_of("c") == sympy.Rational(100, 3)
    # risk neutral ignores the u-values: 50 > 40
    assert evaluate(deal(), method=method, utility=None).policy == {"d": "deal"}


def test_u_values_agree_with_the_utility_function_they_come_from():
    """Second method: u-values computed from u(x) = 1 - exp(-x/50) give the function's results."""
    R = 50

    def u(x):
        return 1 - math.exp(-x / R)

    def tree(with_u):
        def t(x):
            return Terminal(x, utility=u(x) if with_u else None)

        return DecisionTree(
            Decision(
                "d",
                [
                    Branch(
                        "a",
                        Chance(
                            "c",
                            [
                                Branch("h", t(120), probability="0.3"),
                                Branch("m", t(30), probability="0.5"),
                                Branch("l", t(-20), probability="rest"),
                            ],
                        ),
                    ),
                    Branch("b", t(25)),
                ],
            ),
            utility={"type": "exponential", "risk_tolerance": R},
        )

    by_function, by_values = evaluate(tree(False)), evaluate(tree(True))
    assert by_values.policy == by_function.policy
    assert by_values.expected_utility == pytest.approx(by_function.expected_utility, rel=1e-12)
    assert by_values.value_of("c") == pytest.approx(by_function.value_of("c"), rel=1e-12)


def test_u_values_may_be_expressions_and_broadcast():
    t = deal(u_sure="k")
    t.parameters["k"] = Parameter("k", "3/5", low=0, high=1)
    r = evaluate(t, {"k": np.array([0.4, 0.6])})
    assert list(r.policy["d"]) == ["deal", "sure"]
    # k = 0.4: the deal (EU 1/2) is chosen; its CE interpolates through (0,0), (40,0.4), (100,1):
    # 1/2 lies between 0.4 and 1: 40 + 60 * (0.1 / 0.6) = 50
    assert r.value[0] == pytest.approx(50)


def test_without_an_inverse_only_expected_utilities_are_reported():
    t = deal(u_sure="0.2", sure=40)
    t.root.branch("sure").payoff = 200  # u(200) = 0.2 < u(100) = 1: not increasing
    r = evaluate(t, method="exact")
    assert r.policy == {"d": "deal"} and r.expected_utility == sympy.Rational(1, 2)
    assert r.value is None
    assert math.isnan(evaluate(t).value)


def test_every_terminal_or_none():
    t = deal()
    t.root.branch("sure").utility = None
    with pytest.raises(ModelError, match="terminals have no utility"):
        evaluate(t)


def test_file_round_trip():
    t = deal()
    text = write_tree(t)
    assert "utility: 3/5" in text
    again = read_tree(text)
    assert again == t
    assert evaluate(again, method="exact").value_of("c") == sympy.Rational(100, 3)
    with pytest.raises(ModelError, match="only a terminal"):
        read_tree("root:\n  decision: d\n  utility: 1\n  branches:\n    - {label: a, terminal: 1}\n")


def test_evpi_under_u_values():
    """Learning the deal's outcome: win -> deal (u 1), lose -> sure (u 3/5): EU 1/2 + 3/10 = 4/5.

    Without information the sure 40 (EU 3/5, CE 40); with it the certainty equivalent of
    EU 4/5 interpolates between (40, 3/5) and (100, 1): 40 + 60 * (1/5) / (2/5) = 70, so the
    value of clairvoyance is 70 - 40 = 30.
    """
    from evtree import voi

    r = voi.evpi(deal(), "c", method="exact")
    assert r.with_info.expected_utility == sympy.Rational(4, 5)
    assert r.value == 30


def test_psa_refuses_u_values_rather_than_ignoring_them():
    from evtree import distributions as dist
    from evtree.core.errors import EvaluationError
    from evtree.psa import psa

    t = deal(u_sure="k")
    t.parameters["k"] = Parameter("k", "3/5", distribution=dist.beta(mean=0.6, sd=0.1))
    with pytest.raises(EvaluationError, match="u-values"):
        psa(t, draws=10, seed=1)


def test_unknown_names_in_u_values_are_refused():
    from evtree.core.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match=r"node 'd/sure' field 'utility': unknown parameter 'q'"):
        evaluate(deal(u_sure="q"))
