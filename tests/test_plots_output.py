"""Plots that use what evtree knows (issue 18): exact two-way polygons, tornado per strategy,
one colour per strategy, empty analyses that say why.

The essays' two-way boundary is worked out by hand in README.md: with the other parameters at
their defaults, talks beat no talks exactly while p_defect < 49/65 - 9 p_flout / 13, and the
probabilities are feasible while p_flout + p_defect <= 1.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

import evtree  # noqa: E402
from evtree import Branch, Decision, DecisionTree, Parameter, Terminal  # noqa: E402
from evtree.presentation.plots.risk import plot_risk_profiles  # noqa: E402
from evtree.presentation.plots.sensitivity import (  # noqa: E402
    plot_one_way,
    plot_tornado,
    plot_two_way,
    region_polygons,
)
from evtree.presentation.plots.style import COLORS, strategy_palette  # noqa: E402
from evtree.sensitivity import one_way, tornado, two_way  # noqa: E402

TALKS = "talks, accept, say no, accept"


def _area(poly):
    return abs(sum(p[0] * q[1] - q[0] * p[1] for p, q in zip(poly, poly[1:] + poly[:1]))) / 2


def _same_vertices(poly, expected):
    assert len(poly) == len(expected)
    for v in expected:
        assert min(abs(v[0] - p[0]) + abs(v[1] - p[1]) for p in poly) < 1e-9


@pytest.fixture(scope="module")
def korea_two_way(korea):
    return two_way(korea, ("p_flout", "p_defect"), points=61)


@pytest.fixture(scope="module")
def korea():
    return evtree.library.korea_talks()


def test_two_way_regions_are_the_exact_polygons(korea, korea_two_way):
    r = korea_two_way
    polygons = region_polygons(korea, r)
    names = {r.strategies[i]: p for i, p in polygons.items()}
    assert set(names) == {TALKS, "no talks"}
    # boundary at p_flout = 0: p_defect = 49/65; it meets p_flout + p_defect = 1 where
    # 1 - f = 49/65 - 9 f / 13, i.e. f = 4/5, p_defect = 1/5
    corner = (0.8, 0.2)
    _same_vertices(names["no talks"], [corner, (0.0, 1.0), (0.0, 49 / 65)])
    _same_vertices(names[TALKS], [(0.0, 0.0), (1.0, 0.0), corner, (0.0, 49 / 65)])
    # together they fill the feasible triangle, of area 1/2
    assert _area(names["no talks"]) + _area(names[TALKS]) == pytest.approx(0.5)
    # a second method: the share of grid points agrees with the areas within the grid's resolution
    shares = r.regions()["share of grid"]
    assert shares[TALKS] == pytest.approx(_area(names[TALKS]), abs=3 / 61)


def test_two_way_plot_draws_polygons_given_the_tree(korea, korea_two_way):
    ax = plot_two_way(korea_two_way, tree=korea)
    assert len(ax.patches) == 2 and not ax.collections  # polygons, no raster
    assert "exact boundaries" in [t.get_text() for t in ax.texts]
    raster = plot_two_way(korea_two_way)
    assert raster.collections and "grid of 61 × 61" in [t.get_text() for t in raster.texts]
    plt.close("all")


def test_curved_boundaries_fall_back_to_the_grid():
    # value of "go" is a*b: its boundary with "stay" (1/4) is the hyperbola a*b = 1/4
    tree = DecisionTree(
        Decision("d", [Branch("go", Terminal("a*b")), Branch("stay", Terminal("1/4"))]),
        parameters=[Parameter("a", 0.5, low=0, high=1), Parameter("b", 0.5, low=0, high=1)],
    )
    r = two_way(tree, ("a", "b"), points=11)
    assert region_polygons(tree, r) is None
    plt.close(plot_two_way(r, tree=tree).figure)


def test_tornado_per_strategy_in_one_figure(korea):
    result = tornado(korea, strategy="all")
    ax = plot_tornado(result)
    panels = [a for a in ax.figure.axes if a.axison]
    assert len(panels) == 1 + 9  # the root value, then each of the 9 strategies
    titles = [a.get_title(loc="left") for a in panels]
    assert titles[0] == "Tornado: value (base 20.5)"
    # talks, accept, say no, accept is the optimum at the defaults: base 20.5 (hand: -2 + 25 + 5 - 7.5)
    assert f"Tornado: {TALKS} (base 20.5)" in titles
    # the bars drawn are the record's own swings
    panel = panels[titles.index(f"Tornado: {TALKS} (base 20.5)")]
    frame = result.frame[result.frame["target"] == TALKS]
    widths = sorted(abs(p.get_width()) for p in panel.patches)
    expected = sorted(
        [*abs(frame["at_low"].astype(float) - 20.5), *abs(frame["at_high"].astype(float) - 20.5)]
    )
    assert widths == pytest.approx(expected)
    plt.close("all")


def test_an_empty_tornado_says_why_in_one_line():
    tree = DecisionTree(Decision("d", [Branch("a", Terminal(1)), Branch("b", Terminal(2))]))
    ax = plot_tornado(tornado(tree))
    assert [t.get_text() for t in ax.texts][0].startswith("nothing to show")
    plt.close("all")


def test_one_colour_per_strategy_across_plots(korea, korea_two_way):
    palette = {k: v.lower() for k, v in strategy_palette(korea).items()}
    # tree order: the 3rd strategy is talks, accept, say no, accept; the 9th is no talks
    assert (
        palette[TALKS]
        == palette["us_choice=talks, after_complies=accept, after_flouts=say no, after_defect=accept"]
    )
    assert palette[TALKS] == COLORS[2].lower() and palette["no talks"] == COLORS[8].lower()
    assert len(set(palette.values())) == 9
    one = plot_one_way(one_way(korea, "p_defect"), palette=palette, strategies=["no talks", TALKS])
    colours = {
        line.get_label(): to_hex(line.get_color())
        for line in one.lines
        if not line.get_label().startswith("_")
    }
    # the legend names each strategy the one way evtree names strategies (decision=label pairs)
    assert colours == {
        "us_choice=no talks": palette["no talks"],
        "us_choice=talks, after_complies=accept, after_flouts=say no, after_defect=accept": palette[TALKS],
    }
    two = plot_two_way(korea_two_way, tree=korea, palette=palette)
    assert {to_hex(p.get_facecolor()) for p in two.patches} == {palette["no talks"], palette[TALKS]}
    from evtree.risk import risk_profile

    risk = plot_risk_profiles([risk_profile(korea, method="exact", name="optimal")], palette=palette)
    assert to_hex(risk.lines[0].get_color()) == palette[TALKS]
    plt.close("all")


def test_polygons_for_other_values_than_the_grids_are_refused(korea):
    # the grid is computed with c_talk = 20 (talks lose more often); polygons built for the default
    # c_talk = 2 would not hold the grid's points, so the grid is drawn instead
    r = two_way(korea, ("p_flout", "p_defect"), points=41, values={"c_talk": 20})
    assert region_polygons(korea, r) is None
    polygons = region_polygons(korea, r, {"c_talk": 20})
    assert polygons is not None and len(polygons) == 2


def test_psa_plots_take_strategy_names():
    from evtree.distributions import dirichlet
    from evtree.presentation.plots.psa import plot_differences
    from evtree.psa import psa

    tree = evtree.library.texaco_pennzoil()
    tree.distributions.append(dirichlet([17, 50, 33], node="texaco"))
    r = psa(tree, draws=200, seed=1, progress=False)
    ax = plot_differences(
        r, reference="liedtke=counteroffer 5, liedtke_on_3=refuse 3", strategies=["liedtke=accept 2"]
    )
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["accept 2"]
    with pytest.raises(evtree.UnknownNameError) as info:
        plot_differences(r, strategies=["liedtke=acept 2"])
    assert info.value.suggestions[0] == "liedtke=accept 2"
    plt.close("all")
