"""Formula parameters: a parameter's value may be an expression of other parameters.

The tree: treat everyone (cost 1 each), or test first and treat only on a
positive result.  Untreated disease costs 10.  With sensitivity 9/10,
specificity 4/5 and prevalence 1/10, worked by hand:

    P(positive)            = 9/10 * 1/10 + (1 - 4/5) * (1 - 1/10) = 9/100 + 18/100 = 27/100
    P(disease | positive)  = (9/100) / (27/100) = 1/3
    P(disease | negative)  = (1/10 * 1/10) / (73/100) = 1/73

    EV(test)  = 27/100 * (-1) + 73/100 * (1/73 * -10) = -27/100 - 10/100 = -37/100
    EV(treat) = -1
    EV(none)  = 1/10 * -10 = -1
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy

import evtree
from evtree import REST, Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate
from evtree.core.errors import ModelError, UnknownNameError
from evtree.core.expressions import symbol
from evtree.formats.native import read_tree, write_tree

BASE = [
    Parameter("sens", "9/10", low=0, high=1),
    Parameter("spec", "4/5", low=0, high=1),
    Parameter("prev", "1/10", low=0, high=1),
]
FORMULAS = [
    Parameter("p_pos", "sens*prev + (1-spec)*(1-prev)"),
    Parameter("p_dis_pos", "sens*prev/p_pos"),
    Parameter("p_dis_neg", "(1-sens)*prev/(1-p_pos)"),
]


def _tree(params, p_pos="p_pos", p_dis_neg="p_dis_neg"):
    return DecisionTree(
        Decision(
            "plan",
            [
                Branch("treat", Terminal(-1)),
                Branch(
                    "none",
                    Chance(
                        "disease",
                        [
                            Branch("yes", Terminal(-10), probability="prev"),
                            Branch("no", Terminal(0), probability=REST),
                        ],
                    ),
                ),
                Branch(
                    "test",
                    Chance(
                        "result",
                        [
                            Branch("pos", Terminal(-1), probability=p_pos),
                            Branch(
                                "neg",
                                Chance(
                                    "disease_neg",
                                    [
                                        Branch("yes", Terminal(-10), probability=p_dis_neg),
                                        Branch("no", Terminal(0), probability=REST),
                                    ],
                                ),
                                probability=REST,
                            ),
                        ],
                    ),
                ),
            ],
        ),
        parameters=params,
    )


def test_formula_tree_exact_float_symbolic_agree_with_hand_values():
    tree = _tree(BASE + FORMULAS)
    r = evaluate(tree, method="exact")
    assert r.value == sympy.Rational(-37, 100)
    assert r.policy == {"plan": "test"}
    assert r.parameters["p_pos"] == sympy.Rational(27, 100)
    assert r.parameters["p_dis_pos"] == sympy.Rational(1, 3)
    assert r.parameters["p_dis_neg"] == sympy.Rational(1, 73)
    assert evaluate(tree).value == pytest.approx(-0.37)
    # The same tree with the posteriors pasted in as numbers gives the same value.
    pasted = _tree(BASE, p_pos="27/100", p_dis_neg="1/73")
    assert evaluate(pasted, method="exact").value == r.value
    # Symbolic: formulas are substituted, so the result names base parameters only.
    s = evaluate(tree, method="symbolic")
    assert {x.name for x in s.value.free_symbols} <= {"sens", "spec", "prev"}
    ev_test = s.value_of("result")
    hand = -(symbol("sens") * symbol("prev") + (1 - symbol("spec")) * (1 - symbol("prev"))) - 10 * (
        1 - symbol("sens")
    ) * symbol("prev")
    assert sympy.simplify(ev_test - hand) == 0


def test_formulas_follow_base_parameters_in_broadcast():
    tree = _tree(BASE + FORMULAS)
    prev = np.linspace(0.01, 0.5, 7)
    r = evaluate(tree, {"prev": prev})
    for i, x in enumerate(prev):
        exact = evaluate(tree, {"prev": sympy.Rational(str(x))}, method="exact").value
        assert r.value[i] == pytest.approx(float(exact))
    np.testing.assert_allclose(r.parameters["p_pos"], 0.9 * prev + 0.2 * (1 - prev))


def test_giving_a_formula_parameter_a_value_overrides_it_and_dependents_follow():
    tree = _tree(BASE + FORMULAS)
    r = evaluate(tree, {"p_pos": sympy.Rational(1, 2)}, method="exact")
    # p_dis_neg = (1/10 * 1/10) / (1/2) = 1/50; EV(test) = 1/2*(-1) + 1/2*(1/50*-10) = -1/2 - 1/10
    assert r.parameters["p_dis_neg"] == sympy.Rational(1, 50)
    assert r.value_of("result") == sympy.Rational(-3, 5)
    f = evaluate(tree, {"p_pos": 0.5})
    assert f.value_of("result") == pytest.approx(-0.6)
    # Passing a formula parameter's own formula back keeps the formula (no override).
    same = evaluate(tree, {"p_pos": tree.parameters["p_pos"].exact}, method="exact")
    assert same.value == sympy.Rational(-37, 100)


def test_cycles_are_refused_with_the_chain():
    with pytest.raises(ModelError, match=r"cycle: a -> b -> c -> a"):
        _tree(BASE + [Parameter("a", "b + 1"), Parameter("b", "c*2"), Parameter("c", "a - prev")])
    with pytest.raises(ModelError, match=r"cycle: a -> a"):
        _tree(BASE + [Parameter("a", "a/2")])


def test_unknown_names_in_formulas_are_refused():
    with pytest.raises(UnknownNameError, match=r"unknown parameter 'sensitivity'") as info:
        _tree([Parameter("prev", 0.1), Parameter("p_pos", "sensitivity*prev")])
    assert info.value.field == "parameters.p_pos"


FILE = """\
parameters:
  sens: {value: 0.9, low: 0, high: 1}
  spec: {value: 0.8, low: 0, high: 1}
  prev: {value: 0.1, low: 0, high: 1}
  p_pos: {value: "sens*prev + (1-spec)*(1-prev)"}
  p_dis_neg: "(1-sens)*prev/(1-p_pos)"
root:
  decision: plan
  branches:
    - label: treat
      terminal: -1
    - label: test
      chance: result
      branches:
        - {label: pos, probability: p_pos, terminal: -1}
        - label: neg
          probability: rest
          chance: disease_neg
          branches:
            - {label: "yes", probability: p_dis_neg, terminal: -10}
            - {label: "no", probability: rest, terminal: 0}
"""


def test_formulas_in_files_and_round_trip(tmp_path):
    tree = read_tree(FILE)
    assert tree.parameters["p_pos"].is_formula and tree.parameters["p_dis_neg"].is_formula
    assert evaluate(tree, method="exact").value == sympy.Rational(-37, 100)
    again = read_tree(write_tree(tree))
    assert again == tree
    assert again.parameters["p_pos"].value == "sens*prev + (1-spec)*(1-prev)"


def test_file_cycle_names_the_place():
    line = 'p_dis_neg: "(1-sens)*prev/(1-p_pos)"'
    text = FILE.replace(line, line + '\n  q: "q + 1"')
    with pytest.raises(ModelError, match=r"<string>:\d+:\d+.*cycle: q -> q"):
        read_tree(text)


def test_thresholds_and_tornado_vary_base_parameters():
    from evtree import sensitivity

    tree = _tree(BASE + FORMULAS)
    # EV(test) = -(0.9 prev + 0.2 (1 - prev)) - prev = -0.2 - 1.7 prev; EV(treat) = -1;
    # EV(none) = -10 prev.  test beats none when -0.2 - 1.7 prev > -10 prev: prev > 2/83;
    # test beats treat while prev < 8/17.
    t = sensitivity.thresholds(tree, "prev")
    assert [x.exact for x in t.thresholds] == [sympy.Rational(2, 83), sympy.Rational(8, 17)]
    tornado = sensitivity.tornado(tree).to_frame()
    assert set(tornado["parameter"]) == {"sens", "spec", "prev"}


def test_base_and_formula_parameter_views():
    tree = _tree(BASE + FORMULAS)
    assert list(tree.base_parameters) == ["sens", "spec", "prev"]
    assert list(tree.formula_parameters) == ["p_pos", "p_dis_pos", "p_dis_neg"]
    assert tree.default_values()["p_dis_pos"] == sympy.Rational(1, 3)
    resolved = evtree.core.model.resolve_formulas(tree.parameters)
    assert resolved["p_dis_pos"].free_symbols == {symbol("sens"), symbol("prev"), symbol("spec")}


def test_psa_recomputes_formulas_per_draw():
    from evtree import distributions as dist
    from evtree.psa import psa

    tree = _tree(BASE + FORMULAS)
    tree.parameters["prev"] = tree.parameters["prev"].replace(distribution=dist.beta(2, 18))
    result = psa(tree, draws=200, seed=3)
    prev = np.asarray(result.inputs["prev"])
    test = result.values[list(result.strategies).index("test")]
    # EV(test) by hand as a function of prevalence (see test_thresholds...).
    np.testing.assert_allclose(test, -0.2 - 1.7 * prev, rtol=1e-9, atol=1e-12)
    with pytest.raises(ModelError, match="formula parameter"):
        psa(tree, draws=10, seed=1, values={"p_pos": 0.3})


def test_cli_set_overrides_a_formula(tmp_path, capsys):
    from evtree.cli.main import main

    path = tmp_path / "t.yaml"
    path.write_text(FILE)
    assert main(["evaluate", str(path), "--exact", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["value"] == "-37/100"
    assert main(["evaluate", str(path), "--exact", "--json", "--set", "p_pos=1/2"]) == 0
    # p_dis_neg follows the overridden p_pos: 1/50; EV(test) = -1/2 - 1/10 = -3/5
    assert json.loads(capsys.readouterr().out)["value"] == "-3/5"


def test_varying_a_formula_parameter_itself_through_its_view():
    from evtree import sensitivity
    from evtree.core.compile import formula_view

    tree = _tree(BASE + FORMULAS)
    tree.parameters["p_pos"] = tree.parameters["p_pos"].replace(low=0, high=1)
    view = formula_view(tree, ["p_pos"])
    assert view.root is tree.root and not view.parameters["p_pos"].is_formula
    assert view.parameters["p_pos"].bounds == (0, 1)
    # p_pos given, p_dis_neg = (1/10 * 1/10) / (1 - p_pos) follows it:
    # EV(test) = -p_pos - 10 (1 - p_pos) (1/100) / (1 - p_pos) = -p_pos - 1/10, against -1: p_pos = 9/10
    t = sensitivity.thresholds(view, "p_pos")
    assert [x.exact for x in t.thresholds] == [sympy.Rational(9, 10)]
    assert t.range == (0, sympy.Rational(99, 100))  # p_dis_neg <= 1 needs p_pos <= 99/100
