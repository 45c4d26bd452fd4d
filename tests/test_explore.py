"""The ipywidgets explorer, driven from code (no browser needed).

Values are worked out by hand on the essays' tree: at the defaults, talks are worth
-2 + 0.25*v_deal + 0.5*10 + 0.25*(-30) = 0.25*v_deal - 4.5, so talks stop paying
below v_deal = 18.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import evtree
from evtree import Branch, Chance, DecisionTree, Parameter, Terminal
from evtree.explore import Explorer, clip_move, explore, parameter_range, probability_parameters

pytest.importorskip("ipywidgets")


def optimal_paths(svg: str) -> set[str]:
    root = ET.fromstring(svg)
    return {
        g.get("data-path")
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if "evt-optimal" in g.get("class", "").split()
    }


def test_one_slider_per_parameter_within_bounds(korea):
    ex = explore(korea)
    assert isinstance(ex, Explorer)
    assert list(ex.sliders) == list(korea.parameters)
    for name, s in ex.sliders.items():
        low, high = korea.parameters[name].bounds
        assert (s.min, s.max) == (float(low), float(high))
        assert s.value == float(korea.parameters[name].exact)
    import ipywidgets

    assert isinstance(ex.widget, ipywidgets.VBox)


def test_ranges_without_bounds():
    tree = DecisionTree(
        Chance(
            "c",
            [Branch("a", Terminal("v"), probability="p"), Branch("b", Terminal(0), probability="rest")],
        ),
        parameters=[Parameter("p", 0.3), Parameter("v", -4)],
    )
    assert probability_parameters(tree) == {"p"}
    assert parameter_range(tree, "p") == (0.0, 1.0)  # 0.3 -/+ 1, kept to [0, 1]
    assert parameter_range(tree, "v") == (-8.0, 0.0)  # -4 -/+ 4


def test_moving_a_slider_updates_value_policy_and_drawing(korea):
    ex = explore(korea)
    assert ex.result.value == pytest.approx(20.5)
    assert "us_choice/talks" in optimal_paths(ex.picture.value)
    ex.sliders["v_deal"].value = 10.0  # talks: 0.25*10 - 4.5 = -2 < 0
    assert ex.result.policy["us_choice"] == "no talks"
    assert ex.result.value == 0
    assert ex.result.value_of("us_choice/talks") == pytest.approx(-2.0)
    assert optimal_paths(ex.picture.value) == {"us_choice/no talks"}
    assert "<b>no talks</b>" in ex.summary.value
    assert "v_deal = 10" in ex.picture.value  # the caption says where
    assert ex.plot.value.startswith('<img class="evtree-plot"')
    ex.reset()
    assert ex.values["v_deal"] == 100.0 and ex.result.value == pytest.approx(20.5)


def test_probabilities_stay_consistent(korea):
    ex = explore(korea)
    ex.sliders["p_flout"].value = 0.9  # with p_defect = 0.25 the rest would be -0.15
    assert ex.values["p_flout"] == 0.75
    assert "held at 0.75" in ex.message.value
    ex.sliders["p_defect"].value = 0.5  # now at most 1 - 0.75
    assert ex.values["p_defect"] == 0.25
    ex.sliders["p_flout"].value = 0.1  # a move that is fine is taken as is
    assert ex.values["p_flout"] == 0.1 and ex.message.value == ""
    assert ex.result.value_of("us_choice/talks") == pytest.approx(-2 + 0.65 * 100 + 0.1 * 10 - 0.25 * 30)


def test_clip_with_explicit_complements():
    # probabilities 2p and 1 - 2p: p may not pass 1/2
    tree = DecisionTree(
        Chance(
            "c",
            [Branch("a", Terminal(1), probability="2*p"), Branch("b", Terminal(0), probability="1 - 2*p")],
        ),
        parameters=[Parameter("p", 0.2, low=0, high=1)],
    )
    assert clip_move(tree, {"p": 0.2}, "p", 0.8) == 0.5
    assert clip_move(tree, {"p": 0.2}, "p", 0.4) == 0.4
    ex = explore(tree)
    ex.sliders["p"].value = 1.0
    assert ex.values["p"] == 0.5 and ex.result.value == 1.0


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 0.5), st.floats(0, 1))
def test_clip_lands_on_the_boundary(start, target):
    tree = evtree.library.korea_talks()
    point = {"p_flout": start, "p_defect": 0.5}
    got = clip_move(tree, point, "p_flout", target)
    if target <= 0.5:
        assert got == target
    else:  # p_flout + p_defect = 1 is the boundary
        assert got == pytest.approx(0.5, abs=1e-9) and got + 0.5 <= 1 + 1e-12


def test_one_way_values_match_hand_formulas(korea):
    ex = explore(korea, parameter="p_defect")
    grid, lines = ex.one_way_values()
    # with p_flout = 0.5 the range of p_defect is clipped to [0, 0.5]
    assert grid[0] == 0 and grid[-1] == 0.5
    best = lines["talks, accept, say no, accept"]
    # -2 + (0.5 - x)*100 + 0.5*10 + x*(-30) = 53 - 130x
    np.testing.assert_allclose(best, 53 - 130 * grid)
    np.testing.assert_allclose(lines["no talks"], 0)
    assert len(lines) == 9  # every complete strategy
    ex.chooser.value = "c_talk"
    grid, lines = ex.one_way_values()
    assert (grid[0], grid[-1]) == (0.0, 20.0)
    np.testing.assert_allclose(lines["talks, accept, say no, accept"], 22.5 - grid)
    # talks are worth 22.5 - c_talk >= 2.5 over [0, 20]: no threshold in c_talk
    assert len(ex.one_way_result().thresholds) == 0
    # in p_defect, 53 - 130x = 0 at x = 53/130, exactly
    ex.chooser.value = "p_defect"
    assert [t.exact for t in ex.one_way_result().thresholds] == [sympy.Rational(53, 130)]
    assert 'class="evtree-plot"' in ex.plot.value


def test_one_way_with_many_strategies_shows_the_first_decision(korea, monkeypatch):
    monkeypatch.setattr("evtree.explore.MAX_LINES", 1)
    ex = explore(korea, parameter="p_defect")
    grid, lines = ex.one_way_values()
    assert set(lines) == {"talks", "no talks"}
    # after talks the later choices stay accept / say no / accept, so talks = 53 - 130x
    np.testing.assert_allclose(lines["talks"], 53 - 130 * grid)
    assert grid[-1] == 0.5
