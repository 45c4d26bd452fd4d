"""Decimal input, exact results: the reading rule, re-normalisation, and textbook trees.

The trees of :mod:`posterior_trees` are valued by an oracle that uses Bayes' rule
on fractions without building a tree; the same trees written with float
decimals (posteriors such as 0.17647058823529413) must give exactly those values
in exact and symbolic arithmetic.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from posterior_trees import PROBLEMS, build, oracle

import evtree
from evtree import Branch, Chance, DecisionTree, Terminal, evaluate
from evtree.core.errors import ModelWarning, ProbabilityError, ValidationError
from evtree.core.expressions import decimal_fraction, exact_number, parse_expression
from evtree.library import korea_talks, texaco_pennzoil


# ----------------------------------------------------------------------------- the rule
def test_the_issue_examples():
    assert decimal_fraction("0.17647058823529413") == Fraction(3, 17)
    assert decimal_fraction(12 / 68) == Fraction(3, 17)
    assert exact_number(0.17647058823529413) == sympy.Rational(3, 17)
    assert parse_expression("0.17647058823529413 * 2") == sympy.Rational(6, 17)
    assert exact_number(0.1) == sympy.Rational(1, 10)
    assert exact_number("0.123456789") == sympy.Rational(123456789, 10**9)
    assert exact_number(1 / 3) == sympy.Rational(1, 3)
    assert exact_number(-2 / 3) == sympy.Rational(-2, 3)


@settings(max_examples=400, deadline=None)
@given(st.integers(1, 10**6), st.data())
def test_the_repr_of_a_simple_fraction_is_read_as_the_fraction(q, data):
    p = data.draw(st.integers(-4000 * q + 1, 4000 * q - 1))
    assert decimal_fraction(repr(p / q)) == Fraction(p, q)


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 9), st.data())
def test_short_decimals_are_read_as_written(k, data):
    limit = int((4e15 / 10 ** (2 * k)) * 10**k)  # |x| * 10**(2k) < 4e15, x = n / 10**k
    n = data.draw(st.integers(-min(limit, 10**15), min(limit, 10**15)))
    text = f"{Fraction(n, 10**k).numerator / Fraction(n, 10**k).denominator:.{k}f}" if k else str(n)
    assert decimal_fraction(text) == Fraction(text)


@settings(max_examples=400, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_the_fraction_always_rounds_to_the_same_float(x):
    f = decimal_fraction(repr(x))
    assert float(f) == x
    assert f.denominator <= max(10**6, Fraction(repr(x)).denominator)


# ----------------------------------------------------------------------------- textbook trees
TREES = [p.name for p in PROBLEMS]


@pytest.mark.parametrize("name", TREES)
def test_textbook_trees_with_decimal_posteriors_are_exact(name):
    problem = next(p for p in PROBLEMS if p.name == name)
    expected = oracle(problem)
    decimal = build(problem, decimals=True)
    fraction = build(problem, decimals=False)
    decimal.validate()
    for method in ("exact", "symbolic"):
        r = evaluate(decimal, method=method)
        assert r.value == sympy.Rational(expected["value"].numerator, expected["value"].denominator), method
        assert r.value == evaluate(fraction, method=method).value
        # node values include the payoffs above the node (the test's cost)
        w = expected["with_test"]
        assert r.value_of("signal") == sympy.Rational(w.numerator, w.denominator)
    assert evaluate(decimal).value == pytest.approx(float(expected["value"]), rel=1e-12)


def _decimals(tree):
    """The same tree with every constant fraction written as its float decimal."""
    copy = tree.copy()
    for node in copy.nodes():
        for attr in ("_probability", "_branch_payoff", "_payoff"):
            v = getattr(node, attr, None)
            if v is None or v == evtree.REST:
                continue
            e = exact_number(v) if not isinstance(v, str) else parse_expression(v)
            if e.is_number:
                setattr(node, attr, float(e))
    for k, p in list(copy.parameters.items()):
        if not p.is_formula:
            copy.parameters[k] = p.replace(value=float(p.exact))
    return copy


@pytest.mark.parametrize("make", [texaco_pennzoil, korea_talks])
def test_reference_trees_written_with_decimals(make):
    tree = make()
    decimal = _decimals(tree)
    for method in ("exact", "symbolic"):
        assert evaluate(decimal, method=method).value == evaluate(tree, method=method).value


def test_thresholds_on_a_decimal_tree_match_the_fraction_tree():
    from evtree import sensitivity

    problem = PROBLEMS[0]  # Goferbroke
    trees = []
    for decimals in (True, False):
        t = build(problem, decimals=decimals)
        t.parameters["v_sell"] = evtree.Parameter("v_sell", 90, low=0, high=300)
        for node in t.nodes():
            if node.label == "sell":
                for c in node.children:
                    c.payoff = "v_sell"
        trees.append(t)
    a, b = (sensitivity.thresholds(t, "v_sell") for t in trees)
    assert [x.exact for x in a.thresholds] == [x.exact for x in b.thresholds]
    assert a.thresholds  # the best policy changes somewhere in [0, 300]


# ----------------------------------------------------------------------------- re-normalising
def _thirds(p):
    return DecisionTree(
        Chance(
            "c",
            [
                Branch("a", Terminal(3), probability=p),
                Branch("b", Terminal(0), probability=p),
                Branch("d", Terminal(6), probability=p),
            ],
        )
    )


def test_near_one_sums_are_renormalised_in_every_arithmetic_and_said():
    tree = _thirds(0.3333333333)  # sums to 0.9999999999, within 1e-9 of 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree.validate()
        exact = evaluate(tree, method="exact").value
        symbolic = evaluate(tree, method="symbolic").value
    assert any(issubclass(w.category, ModelWarning) and "re-normalised" in str(w.message) for w in caught)
    assert exact == 3 and symbolic == 3  # each branch 1/3 after dividing by the sum
    assert evaluate(tree).value == pytest.approx(3 * 0.9999999999)


def test_sums_off_by_more_than_the_tolerance_are_refused_everywhere():
    tree = _thirds(0.333333)
    with pytest.raises((ProbabilityError, ValidationError)):
        tree.validate()
    for method in ("float", "exact", "symbolic"):
        with pytest.raises(ProbabilityError):
            evaluate(tree, method=method)


def test_cli_validate_accepts_what_evaluate_accepts(tmp_path, capsys):
    from evtree.cli.main import main

    path = tmp_path / "t.yaml"
    evtree.write_tree(_thirds(0.3333333333), path)
    assert main(["validate", str(path)]) == 0
    assert main(["evaluate", str(path), "--exact", "--json"]) == 0


# ----------------------------------------------------------------------------- float VOI
def test_evpi_in_float_mode_accepts_rounded_float_posteriors():
    problem = PROBLEMS[3]  # wildcatter: three states
    tree = build(problem, decimals=True, digits=12)  # rounded: no longer exact fractions
    states = tuple(n.name for n in tree.chance_nodes if n.name.startswith("state"))
    expected = oracle(problem)
    r = evtree.voi.evpi(tree, [states])
    assert r.value == pytest.approx(float(expected["perfect"] - expected["value"]), abs=1e-6)


def _reference(text: str) -> Fraction:
    """The rule written out slowly: the simplest fraction in the float's rounding interval, by
    a Stern-Brocot descent (run-length steps), kept when its denominator is at most 10**6."""
    import math

    x = float(text)
    written = Fraction(text)
    if x == 0 or written.denominator == 1:
        return written
    ax = abs(x)
    lo = (Fraction(ax) + Fraction(math.nextafter(ax, 0.0))) / 2
    hi = (Fraction(ax) + Fraction(math.nextafter(ax, math.inf))) / 2
    # Stern-Brocot: left = a/b, right = c/d; descend toward [lo, hi]
    a, b, c, d = 0, 1, 1, 0
    while True:
        m = Fraction(a + c, b + d)
        if lo <= m <= hi:
            break
        if m < lo:  # go right: largest k with (a + k c)/(b + k d) < lo ... move left bound
            k = max(1, math.floor((lo * b - a) / (c - lo * d))) if c - lo * d > 0 else 1
            a, b = a + k * c, b + k * d
        else:
            k = max(1, math.floor((c - hi * d) / (hi * b - a))) if hi * b - a > 0 else 1
            c, d = c + k * a, d + k * b
    if m.denominator <= 10**6 and float(m) == ax:
        return m if x > 0 else -m
    return written


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
        st.builds(lambda p, q: p / q, st.integers(-(10**6), 10**6), st.integers(1, 10**6)),
    )
)
def test_the_rule_matches_a_slow_reference(x):
    assert decimal_fraction(repr(x)) == _reference(repr(x))


@pytest.mark.parametrize("name", TREES)
def test_evpi_of_the_state_on_decimal_trees_is_exact(name):
    """EVPI of the state (every copy, declared event: state) against the oracle's clairvoyance."""
    problem = next(p for p in PROBLEMS if p.name == name)
    expected = oracle(problem)
    evpi = expected["perfect"] - expected["value"]
    r = evtree.voi.evpi(build(problem, decimals=True), "event:state", method="exact")
    assert r.value == sympy.Rational(evpi.numerator, evpi.denominator)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_generated_trees_written_with_decimals_keep_their_exact_values(data):
    from strategies import trees

    tree = data.draw(trees(max_depth=3))
    decimal = tree.copy()
    for node in decimal.nodes():
        if node.probability is not None and node.probability != evtree.REST:
            node.probability = float(Fraction(node.probability))
    for method in ("exact", "symbolic"):
        assert evaluate(decimal, method=method).value == evaluate(tree, method=method).value
