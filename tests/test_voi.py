"""Value of perfect information and of control: published examples, hand-worked trees, invariants."""

from __future__ import annotations

import math
import random

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate, read_tree
from evtree.errors import ModelError, UnknownNameError
from evtree.expressions import as_expr, symbol
from evtree.library import texaco_pennzoil
from evtree.voi import controlled_tree, evpi, informed_tree, simplify_in_bounds, value_of_control
from tests.conftest import DATA
from tests.strategies import trees


# ----------------------------------------------------------------------------- the essays' tree
def test_korea_evpi_on_the_norths_response(korea):
    # Without information EV = 20.5.  Knowing the response before the talks decision: complies ->
    # talk and accept (100 - 2 = 98); flouts -> talk and say no (10 - 2 = 8); allies defect -> no
    # talks (0).  0.25*98 + 0.5*8 + 0.25*0 = 28.5, so EVPI = 8.
    r = evpi(korea, "north_response", method="exact")
    assert (r.value_without, r.value_with, r.value) == (sympy.Rational(41, 2), sympy.Rational(57, 2), 8)
    assert evpi(korea, "north_response").value == 8.0
    pol = {(row.observation, row.decision): row.choice for row in r.informed_policy.itertuples()}
    assert pol[("complies", "us_choice")] == "talks" and pol[("complies", "after_complies")] == "accept"
    assert pol[("flouts", "us_choice")] == "talks" and pol[("flouts", "after_flouts")] == "say no"
    assert pol[("allies defect", "us_choice")] == "no talks"
    assert ("allies defect", "after_defect") not in pol  # not reached


def test_korea_evpi_by_hand_at_another_point(korea):
    # p_defect = 0, p_flout = 0.5: talks is worth -2 + .5*100 + .5*10 = 53 and clairvoyance would
    # not change the talks decision (98 and 8 both beat 0): EVPI = 0.
    assert evpi(korea, "north_response", {"p_defect": 0}, method="exact").value == 0
    # c_talk = 20: without info max(0, -20 + .25*100 + .5*10 + .25*(-30)) = 2.5; with it
    # .25*80 + .5*max(0, -10) + .25*0 = 20: EVPI = 17.5.
    assert evpi(korea, "north_response", {"c_talk": 20}, method="exact").value == sympy.Rational(35, 2)


def test_korea_symbolic_evpi_matches_float_everywhere(korea):
    r = evpi(korea, "north_response", method="symbolic")
    assert r.at_defaults == 8
    names = sorted(korea.parameters)
    f = sympy.lambdify([symbol(n) for n in names], r.value)
    g = sympy.lambdify([symbol(n) for n in names], r.formula_in_bounds)
    rng = random.Random(4)
    for _ in range(40):
        point = {}
        for n, p in korea.parameters.items():
            lo, hi = (float(b) for b in p.bounds)
            point[n] = rng.uniform(lo, hi)
        point["p_defect"] = rng.uniform(0, 1 - point["p_flout"])
        args = [point[n] for n in names]
        expected = evpi(korea, "north_response", point).value
        assert f(*args) == pytest.approx(expected, abs=1e-9)
        assert g(*args) == pytest.approx(expected, abs=1e-9)
    pw = r.piecewise
    assert pw.has(sympy.Piecewise)
    at = {symbol(n): korea.parameters[n].exact for n in names}
    assert pw.xreplace(at) == 8


def test_korea_formula_in_bounds_drops_what_the_bounds_decide(korea):
    # Within the bounds v_soft <= 0 <= c_talk, l_defect >= 0: with clairvoyance the allies-defect
    # term max(0, -c - l, -c + v_soft) is 0; g_flout >= 0 >= v_demands, so after flouting the U.S.
    # says no (g - c); after complying -c <= 0 is dropped; without information accepting a deal
    # (v_deal - c) beats saying no (-c).
    p_f, p_d, c, v, g, v_soft, l_def = (
        symbol(n) for n in ("p_flout", "p_defect", "c_talk", "v_deal", "g_flout", "v_soft", "l_defect")
    )
    p_c = 1 - p_f - p_d
    expected = (
        p_f * sympy.Max(0, g - c)
        + p_c * sympy.Max(0, v - c)
        - sympy.Max(0, p_d * sympy.Max(-c - l_def, v_soft - c) + p_f * (g - c) + p_c * (v - c))
    )
    r = evpi(korea, "north_response", method="symbolic")
    assert sympy.simplify(r.formula_in_bounds - expected) == 0


# ----------------------------------------------------------------------------- published examples
def test_goferbroke_evpi():
    # Hillier & Lieberman: EV without information 100; with perfect information
    # .25*700 + .75*90 = 242.5; EVPI 142.5.
    tree = read_tree(DATA / "goferbroke.yaml")
    r = evpi(tree, "oil", method="exact")
    assert (r.value_without, r.value_with, r.value) == (100, sympy.Rational(485, 2), sympy.Rational(285, 2))
    assert evpi(tree, "oil").value == 142.5


def test_sas_wildcatter_vpi_and_control():
    # SAS/OR DTREE: EV 140,000; VPI(deposit) 155,000 (295,000 with it); VPI(cost) 10,000.
    tree = read_tree(DATA / "oil_wildcatter.yaml")
    deposit = [("deposit_low", "deposit_fair", "deposit_high")]
    r = evpi(tree, deposit, method="exact")
    assert (r.value_without, r.value_with, r.value) == (140000, 295000, 155000)
    assert evpi(tree, "cost", method="exact").value == 10000
    # Control (computed): choose low cost -> 450,000 - 150,000 = 300,000; choose soaking ->
    # 1,200,000 - 310,000 = 890,000.
    assert value_of_control(tree, "cost", method="exact").value == 160000
    assert value_of_control(tree, deposit, method="exact").value == 750000


def test_texaco_values_of_information():
    # Clemen's problems 12.12-12.13 (REFERENCES.md, section 4).
    tree = texaco_pennzoil()
    court = ("court_after_refusal", "court_after_counter")
    assert evpi(tree, "texaco", method="exact").value == 0
    # 0.2*max(2, .85+5.15+.33*10.3) + .5*5 + .3*max(2, .85 + .99) = 4.9798; minus 4.6348.
    assert evpi(tree, [court], method="exact").value == sympy.Rational(345, 1000)
    assert evpi(tree, ["texaco", court], method="exact").value == sympy.Rational(597, 1000)
    # Control of Texaco: it accepts 5.  5 - 4.6348.
    assert value_of_control(tree, "texaco", method="exact").value == sympy.Rational(3652, 10000)


def test_texaco_risk_averse_value_of_information():
    # R = 1 ($B): without information accept 2 (CE 2); with it take 5 / 2 / 3 as Texaco accepts,
    # refuses, counters: E[u] = .17 u(5) + .5 u(2) + .33 u(3), u = 1 - exp(-x).  Slides: 0.463.
    tree = texaco_pennzoil()
    r = evpi(tree, "texaco", utility={"type": "exponential", "risk_tolerance": 1})
    eu = 0.17 * (1 - math.exp(-5)) + 0.5 * (1 - math.exp(-2)) + 0.33 * (1 - math.exp(-3))
    assert r.value_without == pytest.approx(2.0)
    assert r.value == pytest.approx(-math.log(1 - eu) - 2, rel=1e-12)
    assert r.value == pytest.approx(0.463, abs=1e-3)
    assert r.buying_price == r.value
    # The same utility as a bare expression: the price is found by root finding.
    numeric = evpi(tree, "texaco", utility={"expression": "-exp(-x)"})
    assert numeric.value == pytest.approx(r.value, rel=1e-12)
    exact = evpi(tree, "texaco", method="exact", utility={"type": "exponential", "risk_tolerance": 1})
    assert float(exact.value) == pytest.approx(r.value, rel=1e-12)


def test_value_of_control_under_a_non_exponential_utility():
    # With control Texaco accepts 5 for sure, so the buying price is 5 - CE(without): a sure
    # prospect shifts one for one.  Root finding must find it.
    tree = texaco_pennzoil()
    r = value_of_control(tree, "texaco", utility={"expression": "sqrt(x + 1)"})
    assert r.value_with == pytest.approx(5.0)
    assert r.buying_price == pytest.approx(5 - r.value_without, abs=1e-9)


# ----------------------------------------------------------------------------- Bayes inside the rearrangement
def market_tree() -> DecisionTree:
    # Demand depends on the market: high with probability .8 if the market is up, .2 if down.
    # Going pays +20 / -20 with the market and 100 / -60 with demand; staying pays 0.
    def demand(name: str, p_high: str) -> Chance:
        return Chance(
            name,
            [
                Branch("high", Terminal(100), probability=p_high),
                Branch("low", Terminal(-60), probability="rest"),
            ],
        )

    market = Chance(
        "market",
        [
            Branch("up", demand("demand_up", "0.8"), probability="1/2", payoff=20),
            Branch("down", demand("demand_down", "0.2"), probability="rest", payoff=-20),
        ],
    )
    return DecisionTree(Decision("act", [Branch("go", market), Branch("stay", Terminal(0))]))


def test_clairvoyance_revises_the_chance_nodes_above_by_bayes_rule():
    # P(high) = .5*.8 + .5*.2 = .5.  Given high, P(up) = .4/.5 = .8, so going is worth
    # 100 + .8*20 - .2*20 = 112; given low, P(up) = .1/.5 = .2, going is -60 + 4 - 16 = -72 -> stay.
    # With clairvoyance .5*112 + .5*0 = 56; without, going is worth 20 + 0 = 20.  EVPI = 36.
    tree = market_tree()
    assert evaluate(tree, method="exact").value == 20
    r = evpi(tree, [("demand_up", "demand_down")], method="exact")
    assert r.value == 36
    informed = r.tree
    assert [c.probability for c in informed.node("market | high").children] == [
        sympy.Rational(4, 5),
        sympy.Rational(1, 5),
    ]
    assert informed.root.children[0].probability == sympy.Rational(1, 2)


def test_informed_tree_round_trips_through_yaml(tmp_path):
    from evtree import write_tree

    tree = market_tree()
    informed = informed_tree(tree, [("demand_up", "demand_down")])
    path = tmp_path / "informed.yaml"
    write_tree(informed, path)
    again = read_tree(path)
    assert evaluate(again, method="exact").value == 56


def test_informed_tree_keeps_expressions(korea):
    informed = informed_tree(korea, "north_response")
    probs = {c.label: as_expr(c.probability) for c in informed.root.children}
    assert probs["flouts"] == symbol("p_flout")
    assert sympy.simplify(probs["complies"] - (1 - symbol("p_flout") - symbol("p_defect"))) == 0


def test_controlled_tree_turns_chance_into_decision(korea):
    ctl = controlled_tree(korea, "north_response")
    node = ctl.node("north_response")
    assert node.kind == "decision" and all(c.probability is None for c in node.children)
    # Choosing "complies": 100 - 2 = 98.
    assert value_of_control(korea, "north_response", method="exact").value == 98 - sympy.Rational(41, 2)


def test_nested_events_keep_the_payoffs_of_both_branches():
    # Regression (found by the invariants): learning c3 and the c2 below it must keep the
    # payoff -1 on the branch of c2 that happens.  The tree minimises; every option costs 0 except
    # o2, which costs -1 for sure (c3 -> s2 with probability 1, then c2 -> s1): EVPI 0.
    c2 = Chance(
        "c2",
        [Branch("s0", Terminal(0), probability="0"), Branch("s1", Terminal(0), probability="1", payoff=-1)],
    )
    c3 = Chance("c3", [Branch("s0", Terminal(5), probability="0"), Branch("s2", c2, probability="1")])
    tree = DecisionTree(Decision("d", [Branch("o0", Terminal(0)), Branch("o2", c3)]), objective="min")
    assert evaluate(tree, method="exact").value == -1
    r = evpi(tree, ["c3", "c2"], method="exact")
    assert (r.value_with, r.value) == (-1, 0)


# ----------------------------------------------------------------------------- errors
def test_errors_name_the_node(korea):
    with pytest.raises(ModelError, match="us_choice.*chance node"):
        evpi(korea, "us_choice")
    with pytest.raises(UnknownNameError, match="nope"):
        evpi(korea, "nope")
    with pytest.raises(ModelError, match="same branch labels"):
        evpi(texaco_pennzoil(), [("texaco", "court_after_refusal")])
    with pytest.raises(ModelError, match="named twice"):
        evpi(korea, ["north_response", "north_response"])


def test_nested_event_nodes_are_refused():
    inner = Chance(
        "b", [Branch("x", Terminal(1), probability=0.5), Branch("y", Terminal(0), probability=0.5)]
    )
    outer = Chance("a", [Branch("x", inner, probability=0.5), Branch("y", Terminal(0), probability=0.5)])
    tree = DecisionTree(Decision("d", [Branch("go", outer), Branch("stay", Terminal(0))]))
    with pytest.raises(ModelError, match="one path"):
        evpi(tree, [("a", "b")])


def test_an_event_a_decision_influences_is_refused():
    def coin(name: str, p: str) -> Chance:
        return Chance(
            name, [Branch("h", Terminal(10), probability=p), Branch("t", Terminal(0), probability="rest")]
        )

    tree = DecisionTree(
        Decision("d", [Branch("fair", coin("c1", "1/2")), Branch("loaded", coin("c2", "9/10"))])
    )
    with pytest.raises(ModelError, match="changes the probabilities"):
        evpi(tree, [("c1", "c2")])


def test_simplify_in_bounds_is_exact_on_the_box():
    tree = DecisionTree(
        Terminal(0), parameters=[Parameter("a", 1, low=0, high=2), Parameter("b", 1, low=-1, high=1)]
    )
    a, b = symbol("a"), symbol("b")
    assert simplify_in_bounds(sympy.Max(a + 1, b), tree) == a + 1  # a + 1 >= 1 >= b
    assert simplify_in_bounds(sympy.Max(a, b), tree) == sympy.Max(a, b)  # undecided (a=0, b=1)
    assert simplify_in_bounds(sympy.Min(a * b, 5), tree) == a * b  # multilinear: corners -2..2
    assert simplify_in_bounds(sympy.Max(a**2, -1), tree) == sympy.Max(a**2, -1)  # not multilinear: kept


# ----------------------------------------------------------------------------- invariants
def _chance_nodes(tree):
    return [n for n in tree.nodes() if n.kind == "chance"]


def _has_decision_above(node) -> bool:
    p = node.parent
    while p is not None:
        if p.kind == "decision":
            return True
        p = p.parent
    return False


@given(trees(max_depth=3), st.data())
def test_evpi_is_non_negative_and_float_equals_exact(tree, data):
    chance = _chance_nodes(tree)
    if not chance:
        return
    node = data.draw(st.sampled_from(chance))
    exact = evpi(tree, node.key, method="exact")
    flt = evpi(tree, node.key, method="float")
    assert exact.value >= 0
    assert flt.value == pytest.approx(float(exact.value), abs=1e-12 * max(1.0, abs(float(exact.value_with))))
    if not _has_decision_above(node):
        assert exact.value == 0


@given(trees(max_depth=3), st.data())
def test_more_information_is_worth_more(tree, data):
    chance = _chance_nodes(tree)
    if len(chance) < 2:
        return
    some = data.draw(st.lists(st.sampled_from(chance), min_size=1, max_size=len(chance), unique_by=id))
    one = evpi(tree, some[0].key, method="exact").value
    many = evpi(tree, [n.key for n in some], method="exact").value
    assert many >= one >= 0


@given(trees(max_depth=3), st.data())
def test_value_of_control_is_at_least_evpi(tree, data):
    chance = _chance_nodes(tree)
    if not chance:
        return
    node = data.draw(st.sampled_from(chance))
    # Choosing the outcome is worth at least knowing it: E_x[best given x] <= max_x best given x.
    assert (
        value_of_control(tree, node.key, method="exact").value >= evpi(tree, node.key, method="exact").value
    )


@given(trees(max_depth=3, with_parameters=True, objective="max"), st.data())
def test_symbolic_evpi_at_defaults_equals_exact(tree, data):
    chance = _chance_nodes(tree)
    if not chance or not tree.parameters:
        return
    node = data.draw(st.sampled_from(chance))
    sym = evpi(tree, node.key, method="symbolic")
    at = {p.symbol: p.exact for p in tree.parameters.values()}
    assert sympy.nsimplify(sym.value.xreplace(at) - evpi(tree, node.key, method="exact").value) == 0
