"""Sensitivity: sweeps, exact thresholds, two-way regions, tornado, spider, derivatives.

Expected values are worked out by hand in the comments (the essays' tree is
linear in each parameter), or computed by a second method: the float rollback
evaluated point by point, or scipy's Lambert W for a transcendental crossing.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import given
from strategies import trees

import evtree
from evtree import REST, Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate, symbol
from evtree.sensitivity import local_sensitivity, one_way, spider, thresholds, tornado, two_way

BEST = "talks, accept, say no, accept"

# With the defaults, the optimal strategy's value is
#   V = -c + (1 - pf - pd) * v_deal + pf * g_flout + pd * v_soft
#     = -2 + (1 - pf - pd) * 100 + 10 pf - 30 pd,   and no talks is worth 0.


@pytest.mark.parametrize(
    ("name", "exact", "below", "above"),
    [
        ("p_defect", sympy.Rational(53, 130), BEST, "no talks"),  # 53 - 130 pd = 0 (pf = 1/2)
        ("p_flout", sympy.Rational(131, 180), BEST, "no talks"),  # 65.5 - 90 pf = 0 (pd = 1/4)
        ("v_deal", sympy.Integer(18), "no talks", BEST),  # -4.5 + v/4 = 0
        ("v_soft", sympy.Integer(-40), "talks, accept, say no, say no", BEST),  # accept v_soft vs -40
        ("l_defect", sympy.Integer(30), "talks, accept, say no, say no", BEST),  # say no -l vs -30
    ],
)
def test_korea_thresholds_are_exact_and_flip(korea, name, exact, below, above):
    result = thresholds(korea, name)
    assert len(result) == 1
    t = result.thresholds[0]
    assert t.exact == exact and t.method == "exact" and t.verified
    assert t.value == pytest.approx(float(exact), abs=1e-15)
    assert (t.below_name, t.above_name) == (below, above)
    # the policy really flips there: evaluate just below and just above
    eps = 1e-6
    assert evaluate(korea, {name: float(exact) - eps}).policy["us_choice"] == t.below["us_choice"]
    assert evaluate(korea, {name: float(exact) + eps}).policy["us_choice"] == t.above["us_choice"]


def test_no_threshold_where_the_policy_never_changes(korea):
    # c_talk only shifts every talks strategy down: at c = 20, V = 2.5 > 0
    result = thresholds(korea, "c_talk")
    assert len(result) == 0 and result.optimal_at_low == BEST
    assert "optimal throughout" in result.summary()


def test_one_way_values_by_hand_and_by_rollback(korea):
    result = one_way(korea, "p_defect", points=11)
    assert result.range == (0, sympy.Rational(1, 2))  # rest = 1/2 - pd must stay >= 0
    assert "clipped from [0, 1] to [0, 1/2]" in result.note
    pd_ = result.frame["p_defect"].to_numpy()
    np.testing.assert_allclose(result.frame[BEST], 53 - 130 * pd_, atol=1e-12)
    np.testing.assert_allclose(result.frame["no talks"], 0, atol=0)
    for x, value, optimal in zip(pd_, result.frame["value"], result.frame["optimal"]):
        r = evaluate(korea, {"p_defect": x})
        assert value == pytest.approx(r.value, abs=1e-12)
        assert (optimal == "no talks") == (r.policy["us_choice"] == "no talks")
    assert [t.exact for t in result.thresholds] == [sympy.Rational(53, 130)]


def test_one_way_with_other_values_and_range(korea):
    # with p_flout = 0: V = -2 + (1 - pd) * 100 - 30 pd = 98 - 130 pd: threshold 49/65
    result = one_way(korea, "p_defect", values={"p_flout": 0}, range=(0, 1), points=5)
    assert result.note.startswith("at north_response") or "clipped" not in result.note
    assert [t.exact for t in result.thresholds] == [sympy.Rational(49, 65)]


def proportional_tree():
    # a (param p), b 0.3, c 0.2, no rest: moving p rescales b and c in proportion 3:2
    return DecisionTree(
        Decision(
            "d",
            [
                Branch(
                    "gamble",
                    Chance(
                        "c",
                        [
                            Branch("a", Terminal(100), probability="p"),
                            Branch("b", Terminal(10), probability=0.3),
                            Branch("c", Terminal(-50), probability=0.2),
                        ],
                    ),
                ),
                Branch("safe", Terminal(40)),
            ],
        ),
        parameters=[Parameter("p", 0.5, low=0, high=1)],
    )


def test_proportional_rescaling():
    tree = proportional_tree()
    # gamble(p) = 100 p + (1 - p) * (0.6 * 10 + 0.4 * -50) = 100 p - 14 (1 - p) = 114 p - 14
    # = 40 at p = 54/114 = 9/19
    result = thresholds(tree, "p")
    assert [t.exact for t in result] == [sympy.Rational(9, 19)]
    assert "rescale in proportion" in result.note
    sweep = one_way(tree, "p", points=3)
    np.testing.assert_allclose(sweep.frame["gamble"], [-14, 43, 100], atol=1e-12)
    with pytest.raises(evtree.ModelError, match="needs a 'rest' branch"):
        thresholds(tree, "p", probability_mode="rest")


def test_rest_mode_and_clipping_on_a_rest_tree():
    tree = proportional_tree()
    chance = tree.node("c")
    chance.branch("c").probability = REST
    # now c = 1 - p - 0.3 = 0.7 - p: gamble = 100 p + 3 - 50 (0.7 - p) = 150 p - 32; = 40 at p = 12/25
    result = thresholds(tree, "p")
    assert [t.exact for t in result] == [sympy.Rational(12, 25)]
    assert result.range == (0, sympy.Rational(7, 10))


def test_irrational_threshold_is_exact():
    tree = DecisionTree(
        Decision("d", [Branch("a", Terminal("10 * x**2")), Branch("b", Terminal(5))]),
        parameters=[Parameter("x", 0.5, low=0, high=1)],
    )
    (t,) = thresholds(tree, "x").thresholds
    assert t.exact == sympy.sqrt(2) / 2 and t.method == "exact" and t.verified


def test_transcendental_threshold_uses_brentq():
    from scipy.special import lambertw

    tree = DecisionTree(
        Decision("d", [Branch("a", Terminal("exp(x)")), Branch("b", Terminal("x + 2"))]),
        parameters=[Parameter("x", 0, low=-3, high=3)],
    )
    result = thresholds(tree, "x")
    # e^x = x + 2  <=>  x = -2 - W_k(-e^-2), for the branches k = 0 and k = -1
    expected = sorted(float((-2 - lambertw(-math.exp(-2), k)).real) for k in (0, -1))
    assert [t.value for t in result] == pytest.approx(expected, abs=1e-12)
    assert all(t.method == "brentq" and t.exact is None and t.verified for t in result)
    assert [(t.below_name, t.above_name) for t in result] == [("a", "b"), ("b", "a")]


def test_two_way_regions_and_exact_boundary(korea):
    result = two_way(korea, ("p_flout", "p_defect"), points=21)
    (boundary,) = result.boundaries
    pf, pd = symbol("p_flout"), symbol("p_defect")
    # 98 - 90 pf - 130 pd = 0  <=>  pd = 49/65 - 9 pf / 13
    assert boundary["boundary"] == sympy.Eq(pd, sympy.Rational(49, 65) - sympy.Rational(9, 13) * pf)
    ga, gb = result.grid
    for i in range(0, 21, 4):
        for j in range(0, 21, 4):
            if ga[i] + gb[j] > 1 + 1e-12:
                assert result.optimal[i, j] == -1  # the rest branch would be negative
                continue
            r = evaluate(korea, {"p_flout": ga[i], "p_defect": gb[j]})
            name = result.strategies[result.optimal[i, j]]
            assert (name == "no talks") == (r.policy["us_choice"] == "no talks")
            assert result.values[i, j] == pytest.approx(r.value, abs=1e-12)
    frame = result.to_frame()
    assert set(frame["optimal"]) == {BEST, "no talks", "infeasible"}


def test_tornado_by_hand(korea):
    result = tornado(korea)
    rows = result.frame.set_index("parameter")
    # v_deal at 0: max(0, -2 + 5 - 7.5) = 0; at 200: -2 + 50 + 5 - 7.5 = 45.5
    assert rows.loc["v_deal", ["at_low", "at_high"]].tolist() == [0, 45.5]
    # p_flout over [0, 3/4] (clipped): 65.5 at 0; 65.5 - 90 * 3/4 = -2 < 0 so 0 at 3/4
    assert rows.loc["p_flout", ["high", "at_low", "at_high"]].tolist() == [0.75, 65.5, 0]
    assert list(result.frame["swing"]) == sorted(result.frame["swing"], reverse=True)
    per_strategy = tornado(korea, strategy="all")
    assert per_strategy.targets[0] == "value" and len(per_strategy.targets) == 10
    ns = per_strategy.frame[per_strategy.frame["target"] == "no talks"]
    assert (ns["swing"] == 0).all()
    with pytest.raises(evtree.ModelError, match="no strategy matches"):
        tornado(korea, strategy="nonsense")


def test_spider_by_hand(korea):
    result = spider(korea, changes=(-0.5, 0, 0.5))
    # v_deal 50 / 100 / 150: V = -4.5 + v/4 = 8, 20.5, 33
    assert result.frame.loc["v_deal"].tolist() == [8, 20.5, 33]
    # p_flout 0.75 leaves 0 for complies: V = -2 + 25*... = 65.5 - 67.5 < 0, so 0
    assert result.frame.loc["p_flout"].tolist() == [43, 20.5, 0]


def test_local_sensitivity_is_exact(korea):
    d = local_sensitivity(korea)
    assert d.loc[(BEST, "p_defect"), "derivative"] == -130  # -100 - 30
    assert d.loc[(BEST, "v_deal"), "derivative"] == sympy.Rational(1, 4)
    # elasticity of V in v_deal: (1/4) * 100 / 20.5
    assert d.loc[(BEST, "v_deal"), "elasticity"] == pytest.approx(25 / 20.5, rel=1e-15)
    assert math.isnan(d.loc[("no talks", "v_deal"), "elasticity"])


def test_plots_draw_the_records_numbers(korea):
    import matplotlib.pyplot as plt

    sweep = one_way(korea, "p_defect", points=11)
    ax = sweep.plot()
    # the legend names the strategy by its decision=label pairs
    named = "us_choice=talks, after_complies=accept, after_flouts=say no, after_defect=accept"
    line = next(ln for ln in ax.get_lines() if ln.get_label() == named)
    np.testing.assert_allclose(line.get_ydata(), sweep.frame[BEST])
    assert any(
        abs(ln.get_xdata()[0] - 53 / 130) < 1e-12 for ln in ax.get_lines() if ln.get_linestyle() == "--"
    )
    ax = tornado(korea).plot()
    assert len(ax.patches) == 2 * len(korea.parameters)
    spider(korea).plot()
    two_way(korea, ("p_flout", "p_defect"), points=11).plot()
    plt.close("all")


def test_utility_trees_are_refused(korea):
    tree = korea.copy()
    tree.utility = {"type": "exponential", "risk_tolerance": 50}
    with pytest.raises(evtree.EvaluationError, match="expected values"):
        thresholds(tree, "p_defect")


def test_unbounded_parameter_needs_a_range():
    tree = DecisionTree(
        Decision("d", [Branch("a", Terminal("x")), Branch("b", Terminal(1))]), parameters=[Parameter("x", 0)]
    )
    with pytest.raises(evtree.ModelError, match="has no bounds; give a range"):
        thresholds(tree, "x")
    assert [t.exact for t in thresholds(tree, "x", range=(-5, 5))] == [1]


@given(trees(max_depth=3, with_parameters=True))
def test_thresholds_flip_the_policy_on_generated_trees(tree):
    if not tree.parameters or evtree.count_strategies(tree) > 64:
        return
    name = next(iter(tree.parameters))
    for t in thresholds(tree, name):
        assert t.verified
        below = evaluate(tree, {name: t.value - 1e-6}).policy
        above = evaluate(tree, {name: t.value + 1e-6}).policy
        assert below != above
