"""Objectives over criteria: one criterion, a weighted sum, net monetary benefit; criteria values.

The sumatriptan tree is Evans et al. 1997 (tests/data/REFERENCES.md section 5); expected
costs and QALYs are worked out below by hand from the tree's data, with exact fractions.
"""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest
import sympy

import evtree
from evtree import REST, Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate
from evtree.core.components import Criterion
from evtree.core.errors import EvaluationError, FileFormatError, ModelError, UnknownNameError
from evtree.core.objectives import Objective

DATA = Path(__file__).parent / "data"


def _arm(c_d, p_relief, p_norecur):
    """Expected cost and QALY of one arm, by hand (see the tree in tests/data/sumatriptan.yaml)."""
    p_er, p_hosp, c_er, c_hosp = F("0.08"), F("0.002"), F("63.16"), F(1093)
    cost = c_d + p_relief * (1 - p_norecur) * c_d + (1 - p_relief) * p_er * (c_er + p_hosp * c_hosp)
    day = p_relief * (p_norecur * 1 + (1 - p_norecur) * F("0.9")) + (1 - p_relief) * (
        (1 - p_er) * F("-0.3") + p_er * ((1 - p_hosp) * F("0.1") + p_hosp * F("-0.3"))
    )
    return cost, day / 365


SUMA = _arm(F("16.10"), F("0.558"), F("0.594"))
CAFF = _arm(F("1.32"), F("0.379"), F("0.703"))


@pytest.fixture
def suma():
    return evtree.read_tree(DATA / "sumatriptan.yaml")


def test_hand_values_match_the_published_rounding():
    # Briggs Box 2.3 / rdecision: E[cost] 22.06 and 4.73 (tol 0.02), E[utility] 0.41 and 0.20
    assert float(SUMA[0]) == pytest.approx(22.06, abs=0.005)
    assert float(CAFF[0]) == pytest.approx(4.73, abs=0.02)
    assert float(SUMA[1] * 365) == pytest.approx(0.41, abs=0.01)
    assert float(CAFF[1] * 365) == pytest.approx(0.20, abs=0.005)


@pytest.mark.parametrize("method", ["float", "exact", "symbolic"])
def test_net_benefit_objective_and_criteria_values(suma, method):
    r = evaluate(suma, method=method)
    assert r.policy == {"drug": "sumatriptan"}  # at wtp = 30000 > ICER ~ 29363
    values = r.criteria_values
    if method == "symbolic":
        at = {evtree.symbol(k): p.exact for k, p in suma.parameters.items()}
        values = {k: sympy.nsimplify(v.xreplace(at)) for k, v in values.items()}
    if method == "float":
        assert values["cost"] == pytest.approx(float(SUMA[0]), rel=1e-12)
        assert values["qaly"] == pytest.approx(float(SUMA[1]), rel=1e-12)
        assert r.value == pytest.approx(float(30000 * SUMA[1] - SUMA[0]), rel=1e-12)
    else:
        assert values == {"cost": SUMA[0], "qaly": SUMA[1]}
    if method == "exact":
        assert r.value == 30000 * SUMA[1] - SUMA[0]


def test_the_policy_switches_at_the_icer(suma):
    icer = (SUMA[0] - CAFF[0]) / (SUMA[1] - CAFF[1])
    assert float(icer) == pytest.approx(29363.02, abs=0.01)  # research notes, QALY = days/365
    below = evaluate(suma, {"wtp": icer - F(1, 1000)}, method="exact")
    above = evaluate(suma, {"wtp": icer + F(1, 1000)}, method="exact")
    assert below.policy["drug"] == "caffeine-ergotamine"
    assert above.policy["drug"] == "sumatriptan"
    assert below.criteria_values == {"cost": CAFF[0], "qaly": CAFF[1]}
    # broadcast over willingness to pay
    b = evaluate(suma, {"wtp": np.array([20000.0, 40000.0])})
    assert list(b.policy["drug"]) == ["caffeine-ergotamine", "sumatriptan"]
    assert b.criteria_values["cost"] == pytest.approx([float(CAFF[0]), float(SUMA[0])])


def test_weighted_sum_and_single_criterion_objectives(suma):
    nmb = evaluate(suma, method="exact")
    weighted = evaluate(suma, method="exact", objective={"weights": {"qaly": "wtp", "cost": -1}})
    assert weighted.value == nmb.value
    cheapest = evaluate(suma, method="exact", objective="cost")  # cost has sense min
    assert cheapest.policy["drug"] == "caffeine-ergotamine" and cheapest.value == CAFF[0]
    assert evaluate(suma, method="exact", criterion="cost").value == CAFF[0]
    best = evaluate(suma, method="exact", objective=Objective.criterion("qaly"))
    assert best.policy["drug"] == "sumatriptan" and best.value == SUMA[1]
    # a weighted sum minimised: 1000 * qaly - cost minimised is the caffeine arm
    low = evaluate(
        suma, method="exact", objective=Objective.weighted({"qaly": 1000, "cost": -1}, sense="min")
    )
    assert low.value == min(1000 * SUMA[1] - SUMA[0], 1000 * CAFF[1] - CAFF[0])


def test_tables_show_every_criterion(suma):
    r = evaluate(suma, method="exact")
    frame = r.to_frame()
    assert frame.loc["drug", "cost"] == SUMA[0] and frame.loc["drug", "qaly"] == SUMA[1]
    assert frame.loc["drug/caffeine-ergotamine", "cost"] == CAFF[0]
    st = r.strategies
    assert list(st.columns) == ["drug", "value", "cost", "qaly", "optimal"]
    assert list(st["cost"]) == [SUMA[0], CAFF[0]]
    assert list(st["qaly"]) == [SUMA[1], CAFF[1]]
    assert r.criterion_value("qaly", "drug/caffeine-ergotamine") == CAFF[1]
    with pytest.raises(UnknownNameError, match="unknown criterion 'qalys'"):
        r.criterion_value("qalys")


def test_objective_round_trip_and_errors(suma, tmp_path):
    path = tmp_path / "s.yaml"
    evtree.write_tree(suma, path)
    back = evtree.read_tree(path)
    assert back == suma and back.criteria_objective == suma.criteria_objective
    text = path.read_text()
    bad = text.replace("effect: qaly", "effect: qualy")
    path.write_text(bad)
    with pytest.raises(ModelError, match=r"s\.yaml:\d+:\d+ \(objective\).*unknown criterion 'qualy'"):
        evtree.read_tree(path)
    path.write_text(text.replace("wtp: wtp", "wtp: wtp_x"))
    with pytest.raises(ModelError, match="wtp_x"):
        evtree.read_tree(path)
    with pytest.raises(ModelError, match="needs the tree to declare criteria"):
        DecisionTree(Terminal(0), objective={"criterion": "cost"})
    with pytest.raises(EvaluationError, match="not both"):
        evaluate(suma, criterion="cost", objective="qaly")
    with pytest.raises(FileFormatError, match="applies to one payoff"):
        evtree.read_tree(text + "rule: maxi-min\n")


def _lifestyle():
    """rdecision's lifestyle tree: diet (cost 50, success 12/68) vs exercise (750, 18/58); stent 5000."""

    def arm(cost, p):
        return Chance(
            f"after_{cost}",
            [
                Branch("success", Terminal({"qaly": 1}), probability=p),
                Branch("failure", Terminal({"qaly": "u_stent"}), probability=REST, payoff={"cost": 5000}),
            ],
        )

    return DecisionTree(
        Decision(
            "programme",
            [
                Branch("diet", arm(50, F(12, 68)), payoff={"cost": 50}),
                Branch("exercise", arm(750, F(18, 58)), payoff={"cost": 750}),
            ],
        ),
        parameters=[Parameter("u_stent", F(95, 100), low=0, high=1)],
        criteria=[Criterion("cost", unit="GBP", sense="min"), Criterion("qaly", unit="QALY")],
    )


def test_rdecision_lifestyle_net_costs():
    tree = _lifestyle()
    r = evaluate(tree, criterion="cost", method="exact")
    # README: diet 4,168 GBP, exercise 4,198 GBP, difference 31
    # by hand: 50 + (56/68)*5000 = 4167.647..., 750 + (40/58)*5000 = 4198.275...
    assert r.option_values["programme"] == {"diet": 50 + F(56, 68) * 5000, "exercise": 750 + F(40, 58) * 5000}
    assert round(float(r.option_values["programme"]["diet"])) == 4168
    assert round(float(r.option_values["programme"]["exercise"])) == 4198
    assert round(float(r.option_values["programme"]["exercise"] - r.option_values["programme"]["diet"])) == 31
    qaly = evaluate(tree, criterion="qaly", method="exact").option_values["programme"]
    # by hand: 12/68 + 56/68 * 0.95 = 0.958823...; 18/58 + 40/58 * 0.95 = 0.965517...
    assert qaly == {
        "diet": F(12, 68) + F(56, 68) * F(95, 100),
        "exercise": F(18, 58) + F(40, 58) * F(95, 100),
    }


def test_rules_apply_to_one_criterion(suma):
    # worst case of the cost, minimised: sumatriptan's worst cost 16.10 + 63.16 + 1093 vs caffeine's
    worst = evaluate(suma, criterion="cost", rule="mini-max", method="exact")
    assert worst.policy["drug"] == "caffeine-ergotamine"
    assert worst.value == F("1.32") + F("63.16") + 1093
    best_case = evaluate(suma, criterion="qaly", rule="maxi-max", method="exact")
    assert best_case.value == F(1, 365)  # relief and no recurrence, either drug


def test_silverdecisions_two_criteria_rule_mcdm3():
    """mcdm3.json (SilverDecisions #200): rule max-min over [Effect, Cost], weight 1.

    Combined payoff w * effect - cost: A 0, B 2 - 3.5, C 4.8 - 5.2, D 7 - 8.5, E 10 - 10:
    A and E tie at 0 (SilverDecisions selects both); at weight 2, E (10) wins.
    """
    rows = {"A": (0, 0), "B": (2, F(7, 2)), "C": (F(24, 5), F(26, 5)), "D": (7, F(17, 2)), "E": (10, 10)}
    tree = DecisionTree(
        Decision("d", [Branch(n, Terminal({"Effect": e, "Cost": c})) for n, (e, c) in rows.items()]),
        criteria=[Criterion("Effect"), Criterion("Cost", sense="min")],
    )
    r = evaluate(tree, objective=Objective.two_criteria("max-min", "Effect", "Cost", 1), method="exact")
    assert r.value == 0 and r.ties == {"d": ("A", "E")}
    r2 = evaluate(tree, objective=Objective.two_criteria("max-min", "Effect", "Cost", 2), method="exact")
    assert r2.policy == {"d": "E"} and r2.value == 10
    inf = evaluate(tree, objective=Objective.two_criteria("max-min", "Effect", "Cost", "Infinity"))
    assert inf.policy == {"d": "E"}
    with pytest.raises(ModelError, match="unknown two-criteria rule"):
        Objective.two_criteria("max-mean", "Effect", "Cost")
