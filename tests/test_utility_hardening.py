"""Utilities checked where they are used: no hang, no collision, no silent wrong answer (issue 13)."""

from __future__ import annotations

import math
import subprocess
import sys
import time

import pytest

from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate
from evtree.core.errors import EvaluationError, ModelError
from evtree.core.utility import resolve_utility


def lottery(utility, parameters=()):
    """Take a 50/50 lottery on 0 and 10, or a sure 3."""
    return DecisionTree(
        Decision(
            "choice",
            [
                Branch(
                    "gamble",
                    Chance(
                        "coin",
                        [
                            Branch("heads", Terminal(10), probability="1/2"),
                            Branch("tails", Terminal(0), probability="1/2"),
                        ],
                    ),
                ),
                Branch("sure", Terminal(3)),
            ],
        ),
        parameters=list(parameters),
        utility=utility,
    )


def test_a_parameter_named_y_is_the_risk_tolerance_not_the_utility_variable():
    tree = lottery({"type": "exponential", "risk_tolerance": "y"}, [Parameter("y", 10, low=1, high=100)])
    r = evaluate(tree)
    # CE of the gamble under u = 1 - exp(-x/10): -10 ln((1 + e^-1)/2), worked by hand.
    expected = -10 * math.log((1 + math.exp(-1)) / 2)
    assert r.value_of("choice/gamble") == pytest.approx(expected, rel=1e-12)
    assert r.value == pytest.approx(expected, rel=1e-12)  # 3.7989 > 3: gamble
    assert r.policy["choice"] == "gamble"


def test_a_parameter_named_x_is_refused():
    with pytest.raises(ModelError, match="outcome variable"):
        evaluate(lottery({"expression": "log(x + 1)"}, [Parameter("x", 1)]))


def test_decreasing_utilities_are_refused():
    with pytest.raises(ModelError, match="not increasing"):
        resolve_utility({"expression": "-x"})
    with pytest.raises(EvaluationError, match="decreases"):
        evaluate(lottery({"expression": "(x - 5)**2"}))


def test_risk_tolerance_must_be_positive_where_it_is_evaluated():
    with pytest.raises(ModelError, match="positive"):
        resolve_utility({"type": "exponential", "risk_tolerance": -5})
    tree = lottery({"type": "exponential", "risk_tolerance": "r"}, [Parameter("r", -5, low=-10, high=10)])
    with pytest.raises(EvaluationError, match="must be positive"):
        evaluate(tree)
    with pytest.raises(EvaluationError, match="must be positive"):
        evaluate(tree, method="exact")
    with pytest.raises(EvaluationError, match="must be positive"):
        evaluate(tree, {"r": [1.0, -1.0]})


def test_a_utility_undefined_at_an_outcome_is_a_located_refusal():
    tree = lottery({"expression": "sqrt(x - 5)"})
    # sqrt(x - 5) is undefined at 3 and 0; the first terminal in breadth-first order is named
    with pytest.raises(
        EvaluationError, match="undefined or infinite at the outcome x = 3 of the terminal 'choice/sure'"
    ):
        evaluate(tree)
    with pytest.raises(EvaluationError, match="not a finite real number"):
        evaluate(tree, method="exact")


def test_inverting_a_steep_utility_does_not_hang():
    # sympy.solve on exp(37*x) = y ran for minutes; the structural inverter answers at once.
    start = time.perf_counter()
    u = resolve_utility({"expression": "exp(37*x)"})
    assert time.perf_counter() - start < 2
    assert u.inverse_method == "closed form"


def test_utilities_without_a_closed_form_inverse_say_they_are_inverted_numerically():
    u = resolve_utility({"expression": "x + exp(x)"})
    assert u.inverse_method == "numeric (Brent)"
    r = evaluate(lottery({"expression": "x + exp(x)"}))
    # E[u] of the gamble = (u(10) + u(0))/2 = (10 + e^10 + 1)/2; the CE c solves c + e^c = that.
    c = r.value_of("choice/gamble")
    assert c + math.exp(c) == pytest.approx((10 + math.exp(10) + 1) / 2, rel=1e-12)


def test_validate_of_a_file_with_a_steep_utility_returns_promptly(tmp_path):
    path = tmp_path / "steep.yaml"
    path.write_text(
        "evtree: 1\nutility: {expression: 'exp(37*x)'}\nroot:\n  decision: d\n  branches:\n"
        "    - {label: a, terminal: 1}\n    - {label: b, terminal: 2}\n"
    )
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "evtree.cli.main", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert time.perf_counter() - start < 30
