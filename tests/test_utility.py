"""Utilities and certainty equivalents: Howard's party problem, SAS's wildcatter, invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate, read_tree
from evtree.errors import ModelError
from evtree.utility import exponential, resolve_utility
from evtree.voi import evpi
from tests.conftest import DATA
from tests.strategies import trees

# Howard's party problem (REFERENCES.md, section 3): Sun 0.4, Rain 0.6.
# u(x) = (4/3)(1 - 2^(-x/50)) reproduces the book's u-values: u(100)=1, u(90)=.95,
# u(50)=.67, u(40)=.57, u(20)=.32, u(0)=0.
PARTY_CURVE = "4/3*(1 - 2**(-x/50))"
RHO = 50 / math.log(2)  # the same curve as an exponential with risk tolerance 72.13


def party(utility=None) -> DecisionTree:
    def weather(name: str, sun: int, rain: int) -> Chance:
        return Chance(
            name,
            [
                Branch("sun", Terminal(sun), probability="p_sun"),
                Branch("rain", Terminal(rain), probability="rest"),
            ],
        )

    root = Decision(
        "location",
        [
            Branch("outdoors", weather("weather_outdoors", 100, 0)),
            Branch("porch", weather("weather_porch", 90, 20)),
            Branch("indoors", weather("weather_indoors", 40, 50)),
        ],
    )
    return DecisionTree(
        root, parameters=[Parameter("p_sun", 0.4, low=0, high=1)], utility=utility, name="party"
    )


def u(x: float) -> float:
    return 4 / 3 * (1 - 2 ** (-x / 50))


def u_inverse(y: float) -> float:
    return -50 * math.log2(1 - 3 * y / 4)


def test_party_curve_reproduces_the_u_values():
    for x, printed in [(100, 1), (90, 0.95), (50, 0.67), (40, 0.57), (20, 0.32), (0, 0)]:
        assert u(x) == pytest.approx(printed, abs=0.005)


@pytest.mark.parametrize(
    "spec", [{"expression": PARTY_CURVE}, {"type": "exponential", "risk_tolerance": "50/log(2)"}]
)
def test_party_problem_certainty_equivalents(spec):
    # E[u]: outdoors .4 u(100) + .6 u(0); porch .4 u(90) + .6 u(20); indoors .4 u(40) + .6 u(50).
    eu = {"outdoors": 0.4 * u(100), "porch": 0.4 * u(90) + 0.6 * u(20), "indoors": 0.4 * u(40) + 0.6 * u(50)}
    assert eu["indoors"] == pytest.approx(0.627, abs=5e-4)  # with the 2-d.p. table: .228 + .402 = .630
    result = evaluate(party(spec))
    assert result.policy == {"location": "indoors"}
    assert result.value == pytest.approx(45.832, abs=5e-4)
    assert result.value == pytest.approx(u_inverse(eu["indoors"]), rel=1e-12)
    for option, value in result.option_values["location"].items():
        assert value == pytest.approx(u_inverse(eu[option]), rel=1e-12)
    if "expression" in spec:
        assert result.expected_utility == pytest.approx(eu["indoors"], rel=1e-12)


def test_party_problem_exact_certainty_equivalent_is_the_closed_form():
    result = evaluate(party({"expression": PARTY_CURVE}), method="exact")
    eu = sympy.Rational(2, 5) * (1 - 2 ** sympy.Rational(-4, 5)) + sympy.Rational(3, 5) * (
        1 - sympy.Rational(1, 2)
    )
    expected = -50 * sympy.log(1 - eu) / sympy.log(2)
    assert sympy.simplify(result.value - expected) == 0
    assert float(result.value) == pytest.approx(45.832, abs=5e-4)


def test_party_problem_risk_neutral_and_value_of_clairvoyance():
    # Risk neutral: outdoors 40, porch .4*90 + .6*20 = 48, indoors .4*40 + .6*50 = 46.
    neutral = evaluate(party(), method="exact")
    assert neutral.value == 48 and neutral.policy["location"] == "porch"
    weather = [("weather_outdoors", "weather_porch", "weather_indoors")]
    # Free clairvoyance: sun -> outdoors 100, rain -> indoors 50: .4*100 + .6*50 = 70; 70 - 48 = 22.
    assert evpi(party(), weather, method="exact").value == 22
    # Kim (exponential, delta property): E[u] = .4 u(100) + .6 u(50) = .8, CE 66.096; 66.096 - 45.832.
    kim = evpi(party({"type": "exponential", "risk_tolerance": RHO}), weather)
    assert kim.value == pytest.approx(
        u_inverse(0.4 * u(100) + 0.6 * u(50)) - u_inverse(0.4 * u(40) + 0.6 * u(50))
    )
    assert kim.value == pytest.approx(20.264, abs=5e-4)
    assert kim.buying_price == kim.value  # the delta property: price = CE difference


def test_same_curve_as_expression_gives_the_buying_price_numerically():
    # The curve as an expression does not announce itself as exponential; the indifference
    # price found by root finding must equal the CE difference (delta property), a second method.
    tree = party({"expression": "sqrt(x + 1)"})
    weather = [("weather_outdoors", "weather_porch", "weather_indoors")]
    result = evpi(tree, weather)
    assert result.buying_price is not None and result.buying_price > 0
    # Check the definition directly: paying the price leaves E[u] unchanged.
    b = result.buying_price
    paid = 0.4 * math.sqrt(100 - b + 1) + 0.6 * math.sqrt(50 - b + 1)
    assert paid == pytest.approx(result.without_info.expected_utility, rel=1e-10)


def test_sas_wildcatter_certainty_equivalent():
    # SAS/OR DTREE: with RT = 700,000 drilling has CE -13,580 and not drilling (0) is optimal.
    tree = read_tree(DATA / "oil_wildcatter.yaml")
    result = evaluate(tree, utility={"type": "exponential", "risk_tolerance": 700000})
    assert result.policy == {"drill": "not drill"}
    assert result.value == 0 and str(result.value) == "0.0"
    assert result.option_values["drill"]["drill"] == pytest.approx(-13580.11, abs=0.01)


def test_numeric_inverse_when_sympy_finds_several_roots():
    # u(x) = x + x^3/10^6 has three roots for u = y; evtree inverts numerically.
    tree = party({"expression": "x + x**3/1000000"})
    result = evaluate(tree)
    eu = max(0.4 * (x1 + x1**3 / 1e6) + 0.6 * (x2 + x2**3 / 1e6) for x1, x2 in [(100, 0), (90, 20), (40, 50)])
    roots = np.roots([1e-6, 0, 1, -eu])
    real = float(roots[np.abs(roots.imag) < 1e-9].real[0])
    assert result.value == pytest.approx(real, rel=1e-12)


def test_risk_tolerance_may_be_a_parameter():
    tree = party({"type": "exponential", "risk_tolerance": "R"})
    tree.parameters["R"] = Parameter("R", 100, low=1, high=1000)
    r = evaluate(tree, {"R": 50 / math.log(2)})
    assert r.value == pytest.approx(45.832, abs=5e-4)
    assert evaluate(tree).value > r.value  # more tolerant, higher CE


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"type": "exponential"}, "risk_tolerance"),
        ({"type": "exponential", "risk_tolerance": -5}, "positive"),
        ({"type": "cubic"}, "unknown utility type"),
        ({"expression": "2"}, "does not depend"),
        ({"expression": "x + nope"}, "unknown parameter"),
        ({"type": "linear", "colour": 1}, "unknown key"),
    ],
)
def test_bad_utilities_are_refused(spec, message):
    with pytest.raises(ModelError, match=message):
        resolve_utility(spec, {"p_sun": None})


def test_delta_property():
    assert exponential(10).has_delta_property
    assert resolve_utility({"expression": "2*x + 3"}).has_delta_property
    assert resolve_utility({"expression": PARTY_CURVE}).has_delta_property
    assert not resolve_utility({"expression": "log(x + 10)"}).has_delta_property


@given(trees(max_depth=3, objective="max"), st.integers(1, 5), st.integers(-5, 5))
def test_risk_neutral_certainty_equivalent_is_the_expected_value(tree, a, b):
    # Any increasing affine utility is risk neutral: the CE equals the EV exactly.
    ev = evaluate(tree, method="exact", utility=None).value
    ce = evaluate(tree, method="exact", utility={"expression": f"{a}*x + {b}"}).value
    assert sympy.nsimplify(ce - ev) == 0
    assert evaluate(tree, utility={"type": "linear"}).value == pytest.approx(float(ev), abs=1e-9)


@given(trees(max_depth=3, objective="max"))
def test_risk_averse_certainty_equivalent_is_at_most_the_expected_value(tree):
    ev = evaluate(tree, utility=None).value
    ce = evaluate(tree, utility={"type": "exponential", "risk_tolerance": 50}).value
    assert ce <= ev + 1e-9
