"""SilverDecisions files: import, the values they store, export and round trips (issue 17).

The example files in tests/data/silverdecisions/ were written by SilverDecisions itself
(origin in that folder's README); the values they store under ``computed`` are
SilverDecisions' own rollback and are the independent reference for ``compare``.
Other expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import json
import warnings
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
import sympy
from conftest import DATA
from hypothesis import given
from hypothesis import strategies as st
from strategies import trees

import evtree
from evtree import REST, Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate
from evtree.core.components import Criterion, Payoffs
from evtree.core.errors import ExpressionError, FileFormatError, ModelError
from evtree.formats import silverdecisions as sd

SD = DATA / "silverdecisions"
SAMPLE = SD / "v1.0.0_sample-tree.json"
SAMPLE_OLD = SD / "v0.5.1_sample-tree.json"
VARIABLES = SD / "v0.5.2_variables_pass.json"
FLIP = SD / "v0.9.0_fliptest_pass.json"
TREATMENTS = SD / "v0.9.0_treatments.json"
MCDM2 = SD / "v0.8.2_mcdm2.json"
MCDM3 = SD / "v1.1.0_mcdm3.json"
TRANSFORM = SD / "v1.2.0_payofftransform_pass.json"
FAIL = SD / "v0.6.0_probabilityinchancenode_fail.json"
RULES_FLIP = SD / "v0.6.0_differentrulesandflip_pass.json"
ROCKEFELLER = SD / "v0.8.2_rockefellerWithParamsNoRandom.json"

# Files evtree reads, with the keyword each needs, compared in every test below.
READABLE = [
    (SAMPLE, {}),
    (ROCKEFELLER, {}),
    (TREATMENTS, {}),
    (MCDM2, {}),
    (MCDM3, {}),
    (SAMPLE_OLD, {}),
    (VARIABLES, {}),
    (FLIP, {"tree": 0}),
    (FLIP, {"tree": 1}),
    (TREATMENTS, {"criterion": 0}),
    (TREATMENTS, {"criterion": 1}),
    (MCDM2, {"criterion": "Effect"}),
    (MCDM3, {"criterion": 0}),
    (TRANSFORM, {"tree": 0}),
    (TRANSFORM, {"tree": 1}),
]


def _minimal(trees_: list, code: str = "", scope: dict | None = None, **top) -> dict:
    """A SilverDecisions 1.2 document around the given root nodes."""
    return {
        "SilverDecisions": "1.2.1",
        "rule": "expected-value-maximization",
        **top,
        "data": {"code": code, "expressionScope": scope or {}, "trees": trees_},
    }


def _terminal() -> dict:
    return {"type": "terminal", "name": "", "childEdges": []}


def _edge(name: str, payoff, probability=None, child=None) -> dict:
    edge = {"name": name, "payoff": [payoff, 0], "childNode": child or _terminal()}
    if probability is not None:
        edge["probability"] = probability
    return edge


def _read(data: dict, **kw) -> DecisionTree:
    return evtree.read_tree(json.dumps(data), **kw)


# ------------------------------------------------------------------------------- import
def test_sample_tree_imports_as_the_tree_it_draws():
    tree = evtree.read_tree(SAMPLE)
    root = tree.root
    assert isinstance(root, Decision) and root.name == "game\ndilemma"
    assert [c.label for c in root.children] == ["play", "leave"]
    play = root.branch("play")
    assert isinstance(play, Chance) and play.branch_payoff == "-1"
    assert [c.label for c in play.children] == ["win", "lose"]
    assert play.branch("win").probability == "p" and play.branch("lose").probability == REST
    assert play.branch("win").payoff == "a" and play.branch("lose").payoff == 0
    # p = random(0, 1): the value the file stores, with the uniform distribution it is drawn from
    p = tree.parameter("p")
    assert p.value == 0.291638189333878 and p.bounds == (0, 1)
    assert p.distribution == {"type": "uniform", "low": 0, "high": 1}
    assert tree.parameter("a").value == 10 and tree.objective == "max"
    # by hand: play = -1 + 10 p = 1.91638189333878 > leave = 0
    result = evaluate(tree, method="exact")
    assert result.value == sympy.Rational("1.91638189333878")
    assert result.policy == {"game\ndilemma": "play"}


def test_old_and_new_layouts_of_the_same_tree_are_equal():
    # v0.5.1 keeps trees/code at the top level and scalar payoffs; v1.0.0 uses data{} and arrays
    old, new = evtree.read_tree(SAMPLE_OLD), evtree.read_tree(SAMPLE)
    old.name = new.name = ""
    assert old == new


def test_node_code_scopes_and_shadowing():
    # root code: up = 1, down = 0; the first chance node redefines up = 0, down = 1 for its subtree
    tree = evtree.read_tree(VARIABLES)
    values = {name: p.value for name, p in tree.parameters.items()}
    assert values == {"p": 0.8733215538658357, "up": 1, "down": 0, "up_2": 0, "down_2": 1}
    first, second = tree.root.children
    # "up # reversed": '#' starts a math.js comment
    assert [c.payoff for c in first.children] == ["up_2", "down_2"]
    assert [c.payoff for c in second.children] == ["up", "down"]
    # empty edge names are numbered; the originals are kept for the way back
    assert [c.label for c in tree.root.children] == ["(1)", "(2)"]
    assert tree.metadata["silverdecisions"]["labels"]["root/(1)"] == ""
    # by hand: first = p*0 + (1-p)*1 = 1 - p, second = p*1 = p; p > 1/2 so second wins
    result = evaluate(tree, method="exact")
    p = sympy.Rational("0.8733215538658357")
    assert result.value_of(first) == 1 - p and result.value == p


def test_several_trees_choose_by_index_or_name_and_list():
    entries = sd.list_trees(FLIP)
    assert [(e.index, e.kind, e.nodes) for e in entries] == [(0, "chance", 7), (1, "chance", 7)]
    with pytest.warns(UserWarning, match="holds 2 trees"):
        first = evtree.read_tree(FLIP)
    assert [c.label for c in first.root.children] == ["man", "woman"]
    second = evtree.read_tree(FLIP, tree=1)
    assert [c.label for c in second.root.children] == ["hat", "no hat"]
    # the two trees are the same joint distribution flipped: P(hat) = 3/4*3/10 + 1/4*1/10 = 1/4
    assert second.root.branch("hat").probability == "1/4"
    named = evtree.read_tree(TRANSFORM, tree=0)
    assert named.root.name == "game\ndilemma"
    with pytest.raises(FileFormatError, match="several trees have a root named"):
        evtree.read_tree(TRANSFORM, tree="game\ndilemma")
    with pytest.raises(FileFormatError, match=r"there is no tree 5: the file holds 2"):
        evtree.read_tree(FLIP, tree=5)


def test_repeated_node_names_are_numbered_and_kept():
    chance = {"type": "chance", "name": "X", "childEdges": [_edge("a", "1", "#")]}
    data = _minimal(
        [{"type": "decision", "name": "X", "childEdges": [_edge("go", 0, child=chance), _edge("stop", "0")]}]
    )
    tree = _read(data)
    assert tree.root.name == "X" and tree.root.branch("go").name == "X (2)"
    assert tree.metadata["silverdecisions"]["names"] == {"X (2)": "X"}
    back = json.loads(sd.write_silverdecisions(tree))
    assert back["data"]["trees"][0]["childEdges"][0]["childNode"]["name"] == "X"


@pytest.mark.parametrize("k", [2, 3])
def test_several_remainder_edges_share_the_rest_equally(k):
    # 0.2 given; the k '#' edges share 0.8: 0.4 each for k=2, 4/15 each for k=3
    edges = [_edge("given", "10", "0.2")] + [_edge(f"r{i}", str(20 + 10 * i), "#") for i in range(k)]
    tree = _read(_minimal([{"type": "chance", "name": "", "childEdges": edges}]))
    probs = [evtree.parse_expression(str(c.probability)) for c in tree.root.children[1:]]
    assert probs == [sympy.Rational(4, 5) / k] * k
    # by hand: k=2: 0.2*10 + 0.4*20 + 0.4*30 = 22; k=3: 2 + 4/15*(20+30+40) = 26
    assert evaluate(tree, method="exact").value == {2: 22, 3: 26}[k]


def test_remainder_shares_follow_the_other_probabilities():
    # '#' shares are expressions of the other edges: at q = 0.5 each of two gets 0.25
    edges = [_edge("q", "4", "q"), _edge("r1", "8", "#"), _edge("r2", "0", "#")]
    tree = _read(_minimal([{"type": "chance", "name": "", "childEdges": edges}], code="q = 0.3"))
    assert evaluate(tree, {"q": Fraction(1, 2)}, method="exact").value == 4 * Fraction(1, 2) + 8 * Fraction(
        1, 4
    )


def test_mathjs_power_constants_and_comments():
    edges = [_edge("a", "2^3 - x^2", "1/2"), _edge("b", "e * 0 + PI*0 + 1 # one", "#")]
    tree = _read(_minimal([{"type": "chance", "name": "", "childEdges": edges}], code="x = 2 # side"))
    a, b = tree.root.children
    assert a.payoff == "2**3 - x**2" and b.payoff == "E * 0 + pi*0 + 1"
    assert evaluate(tree, method="exact").value == Fraction(1, 2) * 4 + Fraction(1, 2) * 1


def test_a_variable_named_e_shadows_eulers_number():
    tree = _read(
        _minimal([{"type": "decision", "name": "", "childEdges": [_edge("a", "e")]}], code="e = 0.7")
    )
    assert evaluate(tree, method="exact").value == Fraction(7, 10)


def test_rules_set_the_objective_and_are_kept():
    data = _minimal([{"type": "decision", "name": "", "childEdges": [_edge("a", "1"), _edge("b", "2")]}])
    data["rule"] = "expected-value-minimization"
    assert _read(data).objective == "min" and "silverdecisions" not in _read(data).metadata
    data["rule"] = "mini-max"
    tree = _read(data)
    assert tree.objective == "min"
    if sd._evtree_rules():  # evtree has the decision rules (issue 16): the tree keeps it as its rule
        assert tree.rule == "mini-max"
    else:
        assert tree.metadata["silverdecisions"]["rule"] == "mini-max"
    assert json.loads(sd.write_silverdecisions(tree))["rule"] == "mini-max"
    data["rule"] = "no-such-rule"  # SilverDecisions ignores it: expected-value maximisation
    assert _read(data).objective == "max"


def test_two_criteria_files_become_trees_with_criteria():
    tree = evtree.read_tree(TREATMENTS)
    # rule min-max: minimise criterion 1 (Cost), maximise criterion 2 (Effect)
    assert [(c.name, c.sense) for c in tree.criteria] == [("Cost", "min"), ("Effect", "max")]
    assert dict(tree.root.branch("treatement A").payoff) == {"Cost": "2", "Effect": "2"}
    assert dict(tree.root.branch("wait").branch("improvement").payoff) == {"Effect": "2"}  # Cost 0: left out
    # by hand, Cost: A 2, B 5, C 2.75, wait = 0.75 * min(2, 4) = 1.5 -> wait
    assert evaluate(tree, criterion="Cost", method="exact").value == Fraction(3, 2)
    # Effect: A 2, B 4, C 2.5, wait = 0.25*2 + 0.75*max(1, 2.5) = 2.375 -> B
    assert evaluate(tree, criterion="Effect", method="exact").value == 4
    weighted = evtree.read_tree(MCDM2)
    assert weighted.metadata["silverdecisions"]["defaultCriterion1Weight"] == "2"


def test_two_criteria_files_read_one_criterion_at_a_time():
    cost = evtree.read_tree(TREATMENTS, criterion="Cost")
    effect = evtree.read_tree(TREATMENTS, criterion=1)
    assert not cost.criteria and (cost.objective, effect.objective) == ("min", "max")
    assert evaluate(cost, method="exact").value == Fraction(3, 2)
    assert evaluate(effect, method="exact").value == 4
    with pytest.raises(FileFormatError, match="no criterion is named 'QALY'"):
        evtree.read_tree(TREATMENTS, criterion="QALY")


def test_formula_variables_become_formula_parameters():
    # Rockefeller: pr = 0.5, sens = 0.9, spec = 0.7; node A defines pplus = pr*sens + (1-pr)*(1-spec)
    tree = evtree.read_tree(ROCKEFELLER)
    assert tree.parameter("pplus").value == "pr*sens+(1-pr)*(1-spec)"
    # by hand: pplus = 0.45 + 0.15 = 0.6; after '+': install = -250 + 2500*0.45/0.6 = 1625 > 1000;
    # after '-': install = -250 + 2500*0.05/0.4 = 62.5 < 500; test = -100 + 0.6*1625 + 0.4*500 = 1075
    # against install now = -250 + 1250 = 1000 and sell = 750
    result = evaluate(tree, method="exact")
    assert result.value == 1075 and result.policy == {"A": "testuj", "B": "instaluj", "C": "sprzedawaj"}


# ------------------------------------------------------------------------------- refusals
def test_refuses_bad_probabilities_like_silverdecisions():
    # the second chance node has one edge of probability x = 0.5877...: it does not sum to 1
    with pytest.raises(FileFormatError) as info:
        evtree.read_tree(FAIL)
    message = str(info.value)
    # line 216, column 9 of the file is where that edge's object starts
    assert f"{FAIL}:216:9 (trees[0].childEdges[1])" in message and "root/(2)" in message
    assert "probabilities sum to" in message


def test_refuses_functions_outside_the_whitelist_naming_node_and_text():
    with pytest.raises(ExpressionError) as info:
        evtree.read_tree(RULES_FLIP)
    message = str(info.value)
    # line 806 holds '"probability": "abs(sin(d))",'; the value starts in column 32
    assert ":806:32 (trees[0].childEdges[1].childNode.childEdges[0].probability)" in message
    assert (
        "node 'root/opcja 2/tak'" in message
        and "'abs(sin(d))'" in message
        and "'sin' is not allowed" in message
    )


def test_refuses_a_variable_used_before_it_is_defined():
    data = _minimal(
        [{"type": "decision", "name": "", "childEdges": [_edge("a", "x")]}], code="x = y + 1\ny = 2"
    )
    with pytest.raises(ModelError, match=r"\(data.code\) node '\(global code\)'.*unknown parameter 'y'"):
        _read(data)


def test_functions_defined_in_code_are_expanded_where_called():
    # tree 1 defines transformPayoff(p) = p^2/2 at its root (p is also a global variable, 0.4)
    tree = evtree.read_tree(TRANSFORM, tree=1)
    play = tree.root.branch("play")
    assert play.branch("win").payoff == "(81/2)" and play.branch("lose").payoff == "(1/2)"
    # by hand: play = 0.4 * 81/2 + 0.6 * 1/2 = 33/2 > leave = 0
    assert evaluate(tree, method="exact").value == Fraction(33, 2)


def test_function_arguments_and_bodies_go_through_the_whitelist():
    def tree_with(code, payoff):
        edges = [_edge("a", payoff)]
        return _minimal([{"type": "decision", "name": "", "code": code, "childEdges": edges}], code="q = 3")

    tree = _read(tree_with("f(x, y) = x*y + q", "f(2, q^2) - f(1, 1)"))
    assert evaluate(tree, method="exact").value == (2 * 9 + 3) - (1 + 3)
    with pytest.raises(ExpressionError, match=r"f\(\) takes 1 argument\(s\), got 2"):
        _read(tree_with("f(x) = x", "f(1, 2)"))
    with pytest.raises(ExpressionError, match=r"'f\(x\) = sin\(x\)'.*'sin' is not allowed"):
        _read(tree_with("f(x) = sin(x)", "f(1)"))
    with pytest.raises(ExpressionError, match=r"function 'f' is not allowed"):  # no recursion
        _read(tree_with("f(x) = f(x)", "1"))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"SilverDecisions": "1.2.1", "data": {"trees": [', r"<string>:1:\d+: invalid JSON"),
        ('{"SilverDecisions": "1.2", "data": {"trees": []}}', r"\(SilverDecisions\).*not of the form X.Y.Z"),
        ('{"SilverDecisions": "1.2.1", "data": {"trees": []}}', r"\(data.trees\): the file holds no trees"),
        ('{"SilverDecisions": "1.2.1"}', r"needs a 'data' object"),
    ],
)
def test_refuses_malformed_files(text, match):
    with pytest.raises(FileFormatError, match=match):
        evtree.read_tree(text)


def test_refuses_a_file_that_is_not_silverdecisions():
    native = evtree.write_tree(evtree.library.texaco_pennzoil(), format="json")
    with pytest.raises(FileFormatError, match="not a SilverDecisions file"):
        evtree.read_tree(native, format="silverdecisions")
    with pytest.raises(FileFormatError, match="not a SilverDecisions file"):
        sd.compare(native)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (
            lambda d: d["data"]["trees"][0].update(type="chanse"),
            r"trees\[0\].type\): unknown node type 'chanse'",
        ),
        (
            lambda d: d["data"]["trees"][0]["childEdges"][0].update(payoff=["x = 2", 0]),
            r"childEdges\[0\].payoff\[0\]\).*'=' is not allowed",
        ),
        (
            lambda d: d["data"]["trees"][0]["childEdges"][0].update(payoff=[""]),
            r"payoff\[0\]\): the payoff is empty",
        ),
        (
            lambda d: d["data"]["trees"][0]["childEdges"][0].update(payoff=["import_os()"]),
            r"function 'import_os' is not allowed",
        ),
        (lambda d: d["data"]["trees"][0]["childEdges"][0].update(payoff=["q"]), r"unknown parameter 'q'"),
        (lambda d: d["data"].update(code="p = random()"), r"stores no value for it in 'expressionScope'"),
        (lambda d: d["data"].update(code="p = pickRandom(1, 2)"), r"function 'pickRandom' is not allowed"),
        (lambda d: d["data"].update(code="p + 1"), r"is not an assignment"),
        (
            lambda d: d["data"]["trees"][0]["childEdges"][0].update(
                childNode={"type": "terminal", "childEdges": [_edge("x", 0)]}
            ),
            r"a terminal node cannot have child edges",
        ),
        (
            lambda d: d["data"]["trees"][0]["childEdges"][0].update(
                childNode={"type": "chance", "childEdges": []}
            ),
            r"childEdges\[0\]\) node 'root/a': SilverDecisions refuses this tree too: chance node has no",
        ),
    ],
)
def test_refuses_what_silverdecisions_refuses_with_the_place(change, match):
    data = _minimal([{"type": "decision", "name": "", "childEdges": [_edge("a", "1"), _edge("b", "2")]}])
    change(data)
    with pytest.raises(ModelError, match=match):
        _read(data)


def test_a_stored_variable_without_code_is_still_a_variable():
    # SilverDecisions opens files with the stored scope; it does not rerun the code
    data = _minimal([{"type": "decision", "name": "", "childEdges": [_edge("a", "2*k")]}], scope={"k": 4})
    tree = _read(data)
    assert tree.parameter("k").value == 4 and evaluate(tree, method="exact").value == 8


def test_deep_trees_are_refused_not_crashed():
    edge = '{"type": "chance", "childEdges": [{"name": "a", "probability": "1", "childNode": '
    text = (
        '{"SilverDecisions": "1.2.1", "data": {"trees": ['
        + edge * 3000
        + '{"type": "terminal", "childEdges": []}'
    )
    text += "}]}" * 3000 + "]}}"
    with pytest.raises(FileFormatError, match="nested too deeply"):
        evtree.read_tree(text)
    deep = Terminal(1)
    for _ in range(3000):
        deep = Decision(None, [Branch("x", deep)])
    with pytest.raises(ModelError, match="nested too deeply"):
        sd.write_silverdecisions(DecisionTree(deep))


def test_random_draw_keeps_the_stored_value():
    data = _minimal(
        [{"type": "decision", "name": "", "childEdges": [_edge("a", "p")]}],
        code="p = random(2, 4)",
        scope={"p": 3.25},
    )
    p = _read(data).parameter("p")
    assert (p.value, p.bounds, p.distribution) == (3.25, (2, 4), {"type": "uniform", "low": 2, "high": 4})


# ------------------------------------------------------------------------------- compare
@pytest.mark.parametrize(
    ("path", "kw"),
    [(p, kw) for p, kw in READABLE if kw != {"criterion": 1}],
    ids=lambda x: x.name if isinstance(x, Path) else str(x),
)
def test_compare_agrees_with_every_value_silverdecisions_stored(path, kw):
    result = sd.compare(path, **kw)
    assert result.ok, result.to_frame().to_string()
    assert result.n_values >= 20 and "expected-value-maximization" in result.rules_compared
    frame = result.to_frame()
    assert set(frame["status"]) <= {"rule not available in evtree"}
    assert set(frame["rule"]) == set(result.rules_unavailable)


def test_compare_of_a_criterion_the_file_did_not_compute_checks_the_edges_only():
    # treatments is viewed with two criteria: SilverDecisions stored the rules' values for Cost only
    result = sd.compare(TREATMENTS, criterion="Effect")
    assert result.ok and result.rules_compared == () and result.n_values > 0


@pytest.mark.skipif(not sd._evtree_rules(), reason="no decision rules (issue 16) on this branch")
def test_compare_rules_without_probabilities():
    # SilverDecisions' maxi-min, maxi-max, mini-min, mini-max values, recomputed by evtree's rules
    for path in (VARIABLES, SAMPLE_OLD, SAMPLE):  # before 0.6 maxi-max gave every best child P = 1
        result = sd.compare(path)
        assert result.ok, result.to_frame().to_string()
        assert {"maxi-min", "maxi-max"} <= set(result.rules_compared)


def test_compare_lists_a_tree_evtree_cannot_read_and_compares_the_others(tmp_path):
    data = json.loads(FLIP.read_text())
    data["data"]["trees"][1]["childEdges"][0]["probability"] = "sin(1)"
    target = tmp_path / "two.json"
    target.write_text(json.dumps(data))
    result = sd.compare(target)
    assert not result.ok and result.trees == (0, 1) and "trees not read by evtree: 1" in result.summary()
    unread = result.to_frame().query("status == 'not read by evtree'")
    assert list(unread["tree"]) == [1] and "'sin' is not allowed" in unread["evtree"].iloc[0]
    assert sd.compare(target, tree=0).ok


def test_compare_names_rules_evtree_does_not_have():
    result = sd.compare(SAMPLE)
    available = set(sd._evtree_rules()) | set(sd.EV_RULES)
    assert set(result.rules_compared) == set(sd.RULES) & available - {
        "max-max",
        "max-min",
        "min-max",
        "min-min",
    }
    assert set(result.rules_unavailable) == set(sd.RULES) - set(result.rules_compared)
    # the weighted two-criteria rules are not in evtree
    assert {"max-max", "max-min", "min-max", "min-min"} <= set(result.rules_unavailable)
    assert "rule not available in evtree: " in result.summary()
    if not sd._evtree_rules():
        assert "maxi-min" in result.rules_unavailable


def test_compare_exact_matches_fractions_written_in_the_file():
    # fliptest's numbers are all written as fractions, so SilverDecisions' exact rationals match evtree's
    assert sd.compare(FLIP, exact=True).ok
    # the sample's p is a float draw: SilverDecisions rounds it to a fraction with denominator <= 1e7,
    # so where p enters, exact comparison may differ, but only by that rounding (well below 1e-12)
    exact = sd.compare(SAMPLE, exact=True)
    for d in exact.differences:
        if d.status == "differs" and not isinstance(d.evtree, bool):
            stored, mine = float(sd.stored_number(d.stored)), float(d.evtree)
            assert abs(stored - mine) <= 1e-12 * max(1.0, abs(mine)), d
    assert sd.compare(SAMPLE, exact=True, tolerance=0).n_values == sd.compare(SAMPLE).n_values


def _tampered(tmp_path, change) -> Path:
    data = json.loads(SAMPLE.read_text())
    change(data)
    target = tmp_path / "tampered.json"
    target.write_text(json.dumps(data))
    return target


def test_compare_reports_a_changed_value_where_it_is(tmp_path):
    def change(data):
        data["data"]["trees"][0]["computed"]["expected-value-maximization"]["childrenPayoff"] = ["2"]

    result = sd.compare(_tampered(tmp_path, change))
    assert not result.ok
    rows = result.to_frame()
    differs = rows[rows.status == "differs"]
    assert len(differs) == 1
    row = differs.iloc[0]
    assert row["where"] == "data.trees[0].computed.expected-value-maximization.childrenPayoff"
    assert row["field"] == "childrenPayoff" and row["node"] == "game\ndilemma" and row["stored"] == "2"
    assert float(sympy.Rational(row["evtree"])) == pytest.approx(1.91638189333878)


def test_compare_reports_a_wrong_optimal_edge_and_probability(tmp_path):
    def change(data):
        leave = data["data"]["trees"][0]["childEdges"][1]
        leave["computed"]["expected-value-maximization"] = {"probability": 1, "optimal": True}
        win = data["data"]["trees"][0]["childEdges"][0]["childNode"]["childEdges"][0]
        win["computed"]["probability"] = "1/2"

    rows = sd.compare(_tampered(tmp_path, change)).to_frame()
    fields = set(rows[rows.status == "differs"]["field"])
    assert fields == {"edge probability", "edge optimal", "probability"}


def test_compare_min_rule_picks_the_other_branch():
    # by hand, under expected-value minimisation the sample's choice is leave (0 < 1.916)
    result = sd.compare(SAMPLE)
    assert result.ok
    data = json.loads(SAMPLE.read_text())
    computed = data["data"]["trees"][0]["childEdges"][1]["childNode"]["computed"][
        "expected-value-minimization"
    ]
    assert computed["optimal"] is True and computed["probabilityToEnter"] in (1, "1")


# ------------------------------------------------------------------------------- export
def _korea_like() -> DecisionTree:
    inner = Chance(
        "nature",
        [
            Branch("up", Terminal("v**2"), probability="p"),
            Branch("down", Terminal(-3), probability=REST, payoff=1),
        ],
    )
    root = Decision("choose", [Branch("risky", inner, payoff="-c"), Branch("safe", Terminal(2))])
    return DecisionTree(
        root,
        parameters=[
            Parameter("p", 0.25, low=0, high=1, description="chance of up"),
            Parameter("v", 3),
            Parameter("c", "1/3"),
        ],
        name="A test",
        description="two options",
        claims=[{"claim": "risky is optimal"}],
        metadata={"source": "hand"},
    )


def test_export_writes_what_silverdecisions_reads():
    data = json.loads(sd.write_silverdecisions(_korea_like()))
    assert data["SilverDecisions"] == sd.EXPORT_VERSION and data["rule"] == "expected-value-maximization"
    assert data["title"] == "A test" and data["viewMode"] == "criterion1"
    assert data["data"]["code"] == "p = 0.25  # chance of up\nv = 3\nc = 1/3"
    assert data["data"]["expressionScope"] == {"p": 0.25, "v": 3.0, "c": 1 / 3}
    root = data["data"]["trees"][0]
    assert root["type"] == "decision" and root["name"] == "choose"
    risky, safe = root["childEdges"]
    assert risky["name"] == "risky" and risky["payoff"] == ["-c", 0] and "probability" not in risky
    up, down = risky["childNode"]["childEdges"]
    assert up["probability"] == "p" and up["payoff"] == ["v^2", 0]
    assert down["probability"] == "#" and down["payoff"] == ["(1) + (-3)", 0]
    # every node carries the evaluated scope, since SilverDecisions does not rerun code on load
    assert all(
        n["expressionScope"] == data["data"]["expressionScope"]
        for n in (root, risky["childNode"], up["childNode"], safe["childNode"])
    )


def test_export_layout_by_hand():
    data = json.loads(sd.write_silverdecisions(_korea_like()))
    root = data["data"]["trees"][0]
    risky, safe = root["childEdges"]
    up, down = risky["childNode"]["childEdges"]

    def at(node):
        return (node["location"]["x"], node["location"]["y"])

    # columns 150 px apart from x = 20; leaves 75 px apart under one parent, 90 px between parents;
    # the first leaf is 'up' (y = 20), then 'down' (95), then 'safe' under another parent (185)
    assert at(up["childNode"]) == (320, 20) and at(down["childNode"]) == (320, 95)
    assert at(safe["childNode"]) == (170, 185)
    assert at(risky["childNode"]) == (170, 57.5)  # centred on its children
    assert at(root) == (20, 121.25)  # centred on its first and last child: (57.5 + 185) / 2


def test_export_then_import_is_the_identity():
    tree = _korea_like()
    back = evtree.read_tree(sd.write_silverdecisions(tree))
    assert back == tree
    assert evaluate(back, method="exact").value == evaluate(tree, method="exact").value


def test_write_tree_format_silverdecisions_to_a_file(tmp_path):
    tree = _korea_like()
    target = tmp_path / "out.json"
    evtree.write_tree(tree, target, format="silverdecisions")
    assert json.loads(target.read_text())["SilverDecisions"] == sd.EXPORT_VERSION
    assert evtree.read_tree(target) == tree
    # evtree's own JSON stays the default for .json
    evtree.write_tree(tree, target)
    assert json.loads(target.read_text())["evtree"] == 1


def test_evtree_json_mentioning_the_key_stays_evtree_json():
    tree = evtree.library.texaco_pennzoil()
    tree.metadata["SilverDecisions"] = "not the top level"
    assert evtree.read_tree(evtree.write_tree(tree, format="json")) == tree


def test_export_writes_a_remainder_where_parameters_would_break_silverdecisions_exact_sum():
    # SilverDecisions turns p = 0.2916... and 1 - p into fractions separately; they need not sum to 1
    chance = Chance(
        "c", [Branch("a", Terminal(1), probability="p"), Branch("b", Terminal(0), probability="1 - p")]
    )
    tree = DecisionTree(chance, parameters=[Parameter("p", 0.291638189333878)])
    edges = json.loads(sd.write_silverdecisions(tree))["data"]["trees"][0]["childEdges"]
    assert [e["probability"] for e in edges] == ["p", "#"]
    assert edges[1]["evtree"] == {"probability": "1 - p"}
    back = evtree.read_tree(sd.write_silverdecisions(tree))
    assert back == tree and back.root.branch("b").probability == "1 - p"
    # constant fractions are exact in SilverDecisions too: written as they are
    constant = DecisionTree(
        Chance(
            "c", [Branch("a", Terminal(1), probability="1/3"), Branch("b", Terminal(0), probability="2/3")]
        )
    )
    edges = json.loads(sd.write_silverdecisions(constant))["data"]["trees"][0]["childEdges"]
    assert [e["probability"] for e in edges] == ["1/3", "2/3"]


def test_export_refuses_a_mathjs_operator_word_as_a_parameter_name():
    tree = DecisionTree(Decision("d", [Branch("a", Terminal("mod"))]), parameters=[Parameter("mod", 1)])
    with pytest.raises(ModelError, match="operator word in math.js"):
        sd.write_silverdecisions(tree)


@pytest.mark.parametrize(("path", "kw"), READABLE, ids=lambda x: x.name if isinstance(x, Path) else str(x))
def test_example_files_round_trip(path, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = evtree.read_tree(path, **kw)
    text = sd.write_silverdecisions(tree)
    assert evtree.read_tree(text) == tree
    # and the file evtree wrote, once SilverDecisions recomputes it, has the same values: the written
    # tree evaluates like the original
    for criterion in [c.name for c in tree.criteria] or [None]:
        again = evaluate(evtree.read_tree(text), method="exact", criterion=criterion)
        assert again.value == evaluate(tree, method="exact", criterion=criterion).value


def test_file_edited_in_silverdecisions_drops_stale_splits():
    # SilverDecisions does not keep evtree's notes when it saves; a changed payoff must win
    data = json.loads(sd.write_silverdecisions(_korea_like()))
    down = data["data"]["trees"][0]["childEdges"][0]["childNode"]["childEdges"][1]
    down["payoff"] = ["5", 0]
    tree = _read(data)
    node = tree.node("nature").branch("down")
    assert node.payoff == "5" and node.branch_payoff is None


@given(trees(with_parameters=True))
def test_round_trip_property(tree):
    assert evtree.read_tree(sd.write_silverdecisions(tree)) == tree


@st.composite
def _two_criteria_trees(draw):
    """Generated trees whose payoffs become (cost, effect) pairs."""
    tree = draw(trees(max_depth=3, with_parameters=True))
    for node in tree.nodes():
        if isinstance(node, Terminal):
            node.payoff = Payoffs({"cost": node.payoff, "effect": draw(st.integers(-9, 9))})
        if node.branch_payoff is not None:
            node.branch_payoff = Payoffs({"cost": node.branch_payoff})
    return DecisionTree(
        tree.root,
        parameters=list(tree.parameters.values()),
        criteria=[Criterion("cost", unit="$", sense="min"), Criterion("effect", sense="max")],
    )


@given(_two_criteria_trees())
def test_round_trip_property_two_criteria(tree):
    text = sd.write_silverdecisions(tree)
    assert json.loads(text)["viewMode"] == "twoCriteria"
    assert evtree.read_tree(text) == tree


def test_positions_of_fields_in_the_text():
    text = '{\n  "a": [1, {"b": 2}]\n}'
    # by counting: on line 2, '[' is column 8, '{' column 12, the 2 column 18
    assert sd._position(text, "a[1].b") == (2, 18)
    assert sd._position(text, "a[1].c") == (2, 12)  # missing: its deepest existing part
    assert sd._position(text, "a[0]") == (2, 9)


def _places(data, path=()):
    """Every (container, key) in a JSON document."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield data, k
            yield from _places(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield data, i
            yield from _places(v, (*path, i))


_HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        ["", "#", "# x", "p =", "1e400", "__import__('os')", "x.__class__", "2^1000000", "(" * 50,
         "random()", "f(x) = x", "a ? b : c", "Infinity", "NaN", "decision", "chance", "e", "rest"]
    ),
    st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.sampled_from(["type", "childEdges", "name"]), st.integers(0, 2), max_size=2),
)  # fmt: skip


@given(st.data())
def test_hostile_edits_are_refused_cleanly(data):
    # any value anywhere in a real file: either an equal-or-valid tree, or a located evtree error
    document = json.loads(VARIABLES.read_text())
    places = list(_places(document))
    container, key = data.draw(st.sampled_from(places))
    container[key] = data.draw(_HOSTILE)
    try:
        tree = _read(document)
    except evtree.EvtreeError as err:
        assert str(err).splitlines()[0]
    else:
        assert isinstance(tree, DecisionTree)
        evtree.read_tree(sd.write_silverdecisions(tree))  # what was read can be written back
        result = sd.compare(json.dumps(document))  # and compared, whatever the stored values
        assert result.n_values >= 0 and isinstance(result.to_frame(), pd.DataFrame)


def test_stored_numbers():
    assert sd.stored_number("1 3704647/4042689") == 1 + Fraction(3704647, 4042689)
    assert sd.stored_number("-1 1/2") == Fraction(-3, 2)
    assert sd.stored_number("-2/5") == Fraction(-2, 5) and sd.stored_number(0.5) == Fraction(1, 2)
    assert sd.stored_number("Infinity") == float("inf") and sd.stored_number(None) is None


def test_a_tree_with_claims_keeps_them():
    tree = _korea_like()
    back = evtree.read_tree(sd.write_silverdecisions(tree))
    assert back.claims == tree.claims and back.metadata == {"source": "hand"}
