"""The SVG drawing: geometry-independent facts, checked on the parsed SVG.

Expected optimal branches and values are worked out by hand in the comments
(Clemen's published Texaco-Pennzoil answer, and the essays' tree at its defaults).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import trees

import evtree
from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal
from evtree.display import format_number, quantity_text
from evtree.draw import text_width, tree_svg, write_svg
from evtree.errors import EvaluationError, UnknownNameError

NS = {"s": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def classes(el: ET.Element) -> set[str]:
    return set(el.get("class", "").split())


def shapes(root: ET.Element, cls: str) -> list[ET.Element]:
    return [el for el in root.iter() if cls in classes(el)]


def branch_groups(root: ET.Element, cls: str = "evt-branch") -> dict[str, ET.Element]:
    return {g.get("data-path"): g for g in root.iter("{http://www.w3.org/2000/svg}g") if cls in classes(g)}


def node_text(root: ET.Element, path: str, cls: str) -> list[str]:
    groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if "evt-node" in classes(g)]
    group = next(g for g in groups if g.get("data-path") == path)
    return [t.text for t in group.iter("{http://www.w3.org/2000/svg}text") if cls in classes(t)]


def texts(root: ET.Element, cls: str) -> list[str]:
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if cls in classes(t)]


# -- the essays' tree at its defaults ---------------------------------------------------------
# talks: -2 + 0.25*max(100, 0) + 0.5*max(-50, 10) + 0.25*max(-30, -40) = -2 + 25 + 5 - 7.5 = 20.5 > 0
KOREA_OPTIMAL = {
    "us_choice/talks",
    "us_choice/talks/complies",
    "us_choice/talks/flouts",
    "us_choice/talks/allies defect",
    "us_choice/talks/complies/accept",
    "us_choice/talks/flouts/say no",
    "us_choice/talks/allies defect/accept",
}
KOREA_PRUNED = {
    "us_choice/no talks",
    "us_choice/talks/complies/say no",
    "us_choice/talks/flouts/accept",
    "us_choice/talks/allies defect/say no",
}


def test_korea_shapes_labels_path_and_values(korea):
    svg = parse(tree_svg(korea))
    assert len(shapes(svg, "evt-decision")) == 4
    assert len(shapes(svg, "evt-chance")) == 1
    assert len(shapes(svg, "evt-terminal")) == 7
    assert {el.tag for el in shapes(svg, "evt-decision")} == {"{http://www.w3.org/2000/svg}rect"}
    assert {el.tag for el in shapes(svg, "evt-chance")} == {"{http://www.w3.org/2000/svg}circle"}
    assert {el.tag for el in shapes(svg, "evt-terminal")} == {"{http://www.w3.org/2000/svg}polygon"}
    # every triangle has three corners
    assert all(len(el.get("points").split()) == 3 for el in shapes(svg, "evt-terminal"))
    assert sorted(texts(svg, "evt-label")) == sorted(
        ["talks", "no talks", "complies", "flouts", "allies defect"] + ["accept", "say no"] * 3
    )
    assert set(branch_groups(svg, "evt-optimal")) == KOREA_OPTIMAL
    assert set(branch_groups(svg, "evt-pruned")) == KOREA_PRUNED
    # each pruned branch carries its double-bar mark; no optimal branch does
    for g in branch_groups(svg, "evt-pruned").values():
        assert len(shapes(g, "evt-pruned-mark")) == 1
    for g in branch_groups(svg, "evt-optimal").values():
        assert not shapes(g, "evt-pruned-mark")
    # rolled-back values: 20.5 at the root and the chance node; -2 + 100 = 98 after compliance
    assert node_text(svg, "us_choice", "evt-value") == ["20.5"]
    assert node_text(svg, "us_choice/talks", "evt-value") == ["20.5"]
    assert node_text(svg, "us_choice/talks/complies", "evt-value") == ["98"]
    assert node_text(svg, "us_choice/talks/allies defect", "evt-value") == ["\u221232"]
    # outcomes at the end points, with their formulas: v_deal - c_talk = 98
    assert node_text(svg, "us_choice/talks/complies/accept", "evt-outcome") == ["98"]
    assert node_text(svg, "us_choice/talks/complies/accept", "evt-formula") == ["(v_deal \u2212 c_talk)"]
    assert node_text(svg, "us_choice/no talks", "evt-formula") == []
    # probabilities and payoffs on the branches, with their values
    assert sorted(texts(svg, "evt-prob")) == ["p_defect = 0.25", "p_flout = 0.5", "rest = 0.25"]
    assert texts(svg, "evt-payoff") == ["\u2212c_talk = \u22122"]


def test_texaco_matches_clemen(texaco):
    # Clemen: court is worth 0.2*10.3 + 0.5*5 + 0.3*0 = 4.56 > 3, so refuse the $3B;
    # the counteroffer is worth 0.17*5 + 0.5*4.56 + 0.33*4.56 = 4.6348 > 2.
    result = evtree.evaluate(texaco, method="exact")
    svg = parse(tree_svg(texaco, result))
    assert len(shapes(svg, "evt-decision")) == 2
    assert len(shapes(svg, "evt-chance")) == 3
    assert len(shapes(svg, "evt-terminal")) == 9
    assert node_text(svg, "liedtke", "evt-value") == ["4.6348"]
    assert node_text(svg, "liedtke/counteroffer 5/counteroffers 3", "evt-value") == ["4.56"]
    assert set(branch_groups(svg, "evt-pruned")) == {
        "liedtke/accept 2",
        "liedtke/counteroffer 5/counteroffers 3/accept 3",
    }
    optimal = set(branch_groups(svg, "evt-optimal"))
    assert "liedtke/counteroffer 5/counteroffers 3/refuse 3/award 10.3" in optimal
    assert "liedtke/counteroffer 5/refuses/award 0" in optimal
    assert len(optimal) == 13 - 2  # every branch but the two pruned ones
    assert "exact arithmetic" in texts(svg, "evt-caption")[0]
    assert "billion USD" in texts(svg, "evt-caption")[0]


def test_min_objective_prunes_the_larger_option():
    tree = DecisionTree(
        Decision("pick", [Branch("cheap", Terminal(3)), Branch("dear", Terminal(7))]), objective="min"
    )
    svg = parse(tree_svg(tree))
    assert set(branch_groups(svg, "evt-pruned")) == {"pick/dear"}
    assert set(branch_groups(svg, "evt-optimal")) == {"pick/cheap"}
    assert node_text(svg, "pick", "evt-value") == ["3"]


def test_ties_are_both_optimal_and_neither_pruned():
    tree = DecisionTree(Decision("d", [Branch("a", Terminal(1)), Branch("b", Terminal(1))]))
    svg = parse(tree_svg(tree))
    assert set(branch_groups(svg, "evt-optimal")) == {"d/a", "d/b"}
    assert not branch_groups(svg, "evt-pruned")


def test_symbolic_values_are_cut_and_full_in_the_tooltip(korea):
    result = evtree.evaluate(korea, method="symbolic")
    svg = parse(tree_svg(korea, result, max_chars=30))
    (root_value,) = node_text(svg, "us_choice", "evt-value")
    assert root_value.startswith("max(0, ") and root_value.endswith("…") and len(root_value) == 30
    group = next(g for g in svg.iter("{http://www.w3.org/2000/svg}g") if g.get("data-path") == "us_choice")
    title = group.find("s:title", NS).text
    full = title.split("value ", 1)[1].replace("\u2212", "-")
    assert "l_defect" in full and "v_deal" in full  # the whole expression, not cut
    # the policy drawn is the one at the defaults
    assert set(branch_groups(svg, "evt-optimal")) == KOREA_OPTIMAL
    assert node_text(svg, "us_choice/talks/complies/accept", "evt-outcome") == ["v_deal \u2212 c_talk"]


def test_values_at_other_parameters_and_caption(korea):
    # p_flout = 0.1, c_talk = 30: talks = -30 + 0.65*100 + 0.1*10 + 0.25*(-30) = 28.5
    result = evtree.evaluate(korea, {"p_flout": 0.1, "c_talk": 30})
    svg = parse(tree_svg(korea, result))
    assert node_text(svg, "us_choice", "evt-value") == ["28.5"]
    caption = texts(svg, "evt-caption")[0]
    assert "p_flout = 0.1" in caption and "c_talk = 30" in caption
    assert "rest = 0.65" in texts(svg, "evt-prob")


def test_collapse_below_depth(texaco):
    svg = parse(tree_svg(texaco, max_depth=1))
    drawn = shapes(svg, "evt-decision") + shapes(svg, "evt-chance") + shapes(svg, "evt-terminal")
    assert len(drawn) == 3  # the root and its two children
    # 14 nodes in all: 3 drawn, 11 hidden below the texaco chance node
    assert texts(svg, "evt-collapsed") == ["▸ 11 more nodes"]
    assert node_text(svg, "liedtke/counteroffer 5", "evt-value") == ["4.6348"]


def test_auto_collapse_keeps_within_max_nodes(texaco):
    # depths hold 1, 2, 3, 5, 3 nodes: cumulative 1, 3, 6, 11, 14
    svg = parse(tree_svg(texaco, max_nodes=10))
    drawn = shapes(svg, "evt-decision") + shapes(svg, "evt-chance") + shapes(svg, "evt-terminal")
    assert len(drawn) == 6
    assert "collapsed below depth 2" in texts(svg, "evt-caption")[0]


def test_subtree_by_name_and_by_node(texaco):
    node = texaco.node("liedtke_on_3")
    for which in ("liedtke_on_3", node, "liedtke/counteroffer 5/counteroffers 3"):
        svg = parse(tree_svg(texaco, subtree=which))
        assert len(shapes(svg, "evt-decision")) == 1
        assert len(shapes(svg, "evt-chance")) == 1
        assert len(shapes(svg, "evt-terminal")) == 4
        assert "subtree at liedtke/counteroffer 5/counteroffers 3" in svg.find("s:title", NS).text
    with pytest.raises(UnknownNameError):
        tree_svg(texaco, subtree="nowhere")
    with pytest.raises(UnknownNameError):
        tree_svg(texaco, subtree=evtree.library.texaco_pennzoil().root)


def test_structure_only(korea):
    svg = parse(tree_svg(korea, values=False))
    assert not texts(svg, "evt-value")
    assert not branch_groups(svg, "evt-optimal") and not branch_groups(svg, "evt-pruned")
    assert sorted(texts(svg, "evt-prob")) == ["p_defect", "p_flout", "rest"]
    # without values an end point shows its outcome formula
    assert node_text(svg, "us_choice/talks/complies/accept", "evt-outcome") == ["v_deal \u2212 c_talk"]


def test_a_tree_that_cannot_be_evaluated_is_drawn_with_a_note():
    tree = DecisionTree(
        Chance("c", [Branch("a", Terminal(1), probability=0.5), Branch("b", Terminal(2), probability=0.6)])
    )
    svg = parse(tree_svg(tree))
    assert len(shapes(svg, "evt-chance")) == 1
    assert "not evaluated" in texts(svg, "evt-caption")[0]
    assert "sum to 1.1" in texts(svg, "evt-caption")[0]


def test_bad_results_are_refused(korea, texaco):
    with pytest.raises(EvaluationError, match="shape"):
        tree_svg(korea, evtree.evaluate(korea, {"p_flout": np.array([0.1, 0.2])}))
    with pytest.raises(EvaluationError, match="another tree"):
        tree_svg(korea, evtree.evaluate(texaco))
    with pytest.raises(ValueError):
        tree_svg(korea, max_depth=-1)


def test_text_is_escaped():
    tree = DecisionTree(
        Decision("d<&>", [Branch('say "<no>" & go', Terminal(1)), Branch("b", Terminal(0))]),
        name="A & B <tree>",
    )
    svg = parse(tree_svg(tree))  # would not parse if anything were left unescaped
    assert 'say "<no>" & go' in texts(svg, "evt-label")
    assert texts(svg, "evt-title") == ["A & B <tree>"]


def test_write_svg_is_atomic_and_parses(tmp_path, texaco):
    target = tmp_path / "tree.svg"
    write_svg(texaco, target)
    assert parse(target.read_text()).tag == "{http://www.w3.org/2000/svg}svg"
    assert [p.name for p in tmp_path.iterdir()] == ["tree.svg"]  # no temporary file left


def test_layout_rows_do_not_overlap(texaco):
    # every end point gets its own row; parents sit between their first and last child
    svg = parse(tree_svg(texaco))
    ys = sorted(float(el.get("points").split()[0].split(",")[1]) for el in shapes(svg, "evt-terminal"))
    assert all(b - a >= 40 for a, b in zip(ys, ys[1:]))
    width = float(svg.get("width"))
    xs = [float(p.split(",")[0]) for el in shapes(svg, "evt-terminal") for p in el.get("points").split()]
    assert max(xs) < width


@settings(max_examples=25, deadline=None)
@given(trees(max_depth=4))
def test_one_shape_per_node_and_one_mark_per_option(tree):
    svg = parse(tree_svg(tree))
    assert len(shapes(svg, "evt-decision")) == len(tree.decision_nodes)
    assert len(shapes(svg, "evt-chance")) == len(tree.chance_nodes)
    assert len(shapes(svg, "evt-terminal")) == len(tree.terminals)
    n = sum(1 for _ in tree.nodes())
    assert len(branch_groups(svg)) == n - 1
    result = evtree.evaluate(tree)
    pruned = set(branch_groups(svg, "evt-pruned"))
    optimal = set(branch_groups(svg, "evt-optimal"))
    assert not pruned & optimal
    for d in tree.decision_nodes:
        kids = {c.path for c in d.children}
        # an option is pruned exactly when it is not among the best
        best = {c.path for c in d.children if np.isclose(result.value_of(c), result.value_of(d))}
        assert kids - pruned == best
    # the optimal strategy is a connected path from the root: each highlighted branch hangs from
    # the root or from a highlighted branch
    for path in optimal:
        parent = path.rsplit("/", 1)[0]
        assert parent == tree.root.path or parent in optimal


@settings(max_examples=15, deadline=None)
@given(trees(max_depth=4), st.integers(0, 3))
def test_collapsed_drawing_counts(tree, depth):
    svg = parse(tree_svg(tree, max_depth=depth))
    drawn = shapes(svg, "evt-decision") + shapes(svg, "evt-chance") + shapes(svg, "evt-terminal")
    assert len(drawn) == sum(1 for n in tree.nodes() if n.depth <= depth)
    hidden = sum(int(t.split()[1]) for t in texts(svg, "evt-collapsed"))
    assert len(drawn) + hidden == sum(1 for _ in tree.nodes())


# -- number formats and text widths -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (4.634800000000001, "4.6348"),
        (-2.0, "\u22122"),
        (1 / 3, "0.333333"),
        (123456.7, "123,457"),  # issue 18: thousands separated everywhere
        (2_500_000.4, "2,500,000"),
        (1.5e-7, "1.500e\u221207"),
        (sympy.Rational(11587, 2500), "4.6348"),
        (sympy.Rational(2, 3), "2/3"),
        (sympy.Rational(1, 8), "0.125"),
        (sympy.Rational(1, 3**20), "≈ 2.868e\u221210"),
        (sympy.Integer(-7), "\u22127"),
        (np.float64(0.25), "0.25"),
        (np.array([98.0]), "98"),
    ],
)
def test_format_number(value, text):
    assert format_number(value) == text


def test_quantity_text():
    assert quantity_text("1 -  p") == "1 \u2212 p"
    assert quantity_text(0.1) == "0.1"
    assert quantity_text(sympy.Symbol("a") - 1) in ("a \u2212 1", "\u22121 + a")
    assert quantity_text(None) == ""


def test_text_width_matches_the_font():
    # a second measure: matplotlib lays the same text out in DejaVu Sans
    # (with kerning, which the table leaves out: within 3%)
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    font = FontProperties(family="DejaVu Sans", size=100)
    for text in ("counteroffer 5", "p_flout = 0.5", "Texaco-Pennzoil", "WWW iii"):
        width, _h, _d = TextToPath().get_text_width_height_descent(text, font, ismath=False)
        assert text_width(text, 100) == pytest.approx(width, rel=0.03)


def test_parameters_in_payoffs_show_their_values():
    tree = DecisionTree(
        Decision("d", [Branch("go", Terminal("v"), payoff="-c"), Branch("stay", Terminal(0))]),
        parameters=[Parameter("v", 5), Parameter("c", 1)],
    )
    svg = parse(tree_svg(tree))
    assert node_text(svg, "d/go", "evt-outcome") == ["4"]
    assert node_text(svg, "d/go", "evt-formula") == ["(v \u2212 c)"]
    assert texts(svg, "evt-payoff") == ["\u2212c = \u22121"]


def test_certainty_equivalents_under_a_utility(texaco):
    import math

    texaco.utility = {"type": "exponential", "risk_tolerance": 2}
    svg = parse(tree_svg(texaco))
    assert texts(svg, "evt-caption")[0].startswith("certainty equivalents")
    # court: CE = -R ln E[exp(-x/R)] with R = 2, below the sure 3, so a risk-averse Liedtke accepts $3B
    ce = -2 * math.log(0.2 * math.exp(-10.3 / 2) + 0.5 * math.exp(-5 / 2) + 0.3)
    assert node_text(svg, "liedtke/counteroffer 5/counteroffers 3/refuse 3", "evt-value") == [
        format_number(ce)
    ]
    assert "liedtke/counteroffer 5/counteroffers 3/refuse 3" in branch_groups(svg, "evt-pruned")
    assert node_text(svg, "liedtke/counteroffer 5/counteroffers 3", "evt-value") == ["3"]


# -- issue 18: names, end-point probabilities, the objective, deep trees -------------------------
def test_names_and_end_point_probabilities(texaco):
    svg = parse(tree_svg(texaco, names=True, probabilities=True))
    assert node_text(svg, "liedtke", "evt-name") == ["liedtke"]
    assert node_text(svg, "liedtke/counteroffer 5", "evt-name") == ["texaco"]
    # Clemen's tree: refuses (0.5) then an award of 10.3 (0.2): 0.1;
    # counters (0.33), refuse, award 5 (0.5): 0.165
    assert node_text(svg, "liedtke/counteroffer 5/refuses/award 10.3", "evt-reach") == ["p = 0.1"]
    path = "liedtke/counteroffer 5/counteroffers 3/refuse 3/award 5"
    assert node_text(svg, path, "evt-reach") == ["p = 0.165"]
    assert node_text(svg, "liedtke/accept 2", "evt-reach") == ["p = 1"]
    plain = parse(tree_svg(texaco))
    assert texts(plain, "evt-name") == [] and texts(plain, "evt-reach") == []


def test_legend_names_the_objective():
    tree = DecisionTree(Decision("d", [Branch("a", Terminal(1)), Branch("b", Terminal(2))]), objective="min")
    svg = parse(tree_svg(tree))
    assert "optimal strategy (lowest value)" in texts(svg, "evt-legend-text")
    assert "objective: minimise" in texts(svg, "evt-caption")[0]
    tree.objective = "max"
    assert "optimal strategy (highest value)" in texts(parse(tree_svg(tree)), "evt-legend-text")


def _binary(depth: int):
    if depth == 0:
        return Terminal(1)
    kind = Chance if depth % 2 else Decision
    if kind is Chance:
        return Chance(
            None,
            [
                Branch("a", _binary(depth - 1), probability=0.5),
                Branch("b", _binary(depth - 1), probability=evtree.REST),
            ],
        )
    return Decision(None, [Branch("x", _binary(depth - 1), payoff=1), Branch("y", _binary(depth - 1))])


def test_a_deep_tree_stays_a_few_screens_tall():
    # 8 levels of two branches: 256 end points, 11,264 px of rows drawn in full; with at most 120
    # rows the drawing is cut at depth 6 (64 nodes there, each a row) and says so
    tree = DecisionTree(_binary(8))
    svg = parse(tree_svg(tree))
    assert float(svg.get("height")) < 64 * 44 + 200
    assert "collapsed below depth 6 to keep within 120 rows" in texts(svg, "evt-caption")[0]
    assert len(texts(svg, "evt-collapsed")) == 64
    full = parse(tree_svg(tree, max_rows=None))
    assert len(shapes(full, "evt-terminal")) == 256


def test_repeated_subtrees_are_drawn_once():
    # 8 levels: at each chance node the branch 'b' repeats 'a' (same shape, probabilities and
    # values), so it is one collapsed row; a decision's options differ (x pays 1 on the way)
    tree = DecisionTree(_binary(8))
    svg = parse(tree_svg(tree, same_subtrees=True, max_rows=None))
    collapsed = texts(svg, "evt-collapsed")
    assert all(t.startswith("▸ as after ‘a’") for t in collapsed)
    drawn = shapes(svg, "evt-decision") + shapes(svg, "evt-chance") + shapes(svg, "evt-terminal")
    hidden = sum(int(t.split("(")[1].split()[0]) for t in collapsed)
    assert len(drawn) + hidden == sum(1 for _ in tree.nodes())
    assert len(drawn) < sum(1 for _ in tree.nodes()) / 4
    plain = parse(tree_svg(tree, max_rows=None))
    assert texts(plain, "evt-collapsed") == []


def test_a_tree_with_criteria_is_drawn_with_each_criterions_outcome():
    """Each end point shows every criterion: its own payoff plus the branch payoffs above it."""
    tree = DecisionTree(
        Decision(
            "d",
            [
                Branch("treat", Terminal({"cost": 40, "qaly": "q"}), payoff={"cost": 10, "qaly": 0}),
                Branch("wait", Terminal({"cost": 0, "qaly": 1})),
            ],
        ),
        parameters=[Parameter("q", 2)],
        criteria=[evtree.Criterion("cost", sense="min"), evtree.Criterion("qaly")],
    )
    root = ET.fromstring(tree_svg(tree))
    ends = [t.text for t in root.iter() if t.get("class") in ("evt-outcome", "evt-formula")]
    # treat: cost 10 + 40 = 50 and qaly q; wait: cost 0, qaly 1
    assert ends == ["cost: 50, qaly: q", "cost: 0, qaly: 1"]
