"""Named payoff components (criteria, players): model, file format, compile, evaluate hook."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from strategies import trees

import evtree
from evtree import (
    REST,
    Branch,
    Chance,
    Criterion,
    Decision,
    DecisionTree,
    Parameter,
    Payoffs,
    Player,
    Terminal,
    evaluate,
)
from evtree.core.compile import compile_tree
from evtree.core.errors import EvaluationError, FileFormatError, ModelError, UnknownNameError, ValidationError


def _cea() -> DecisionTree:
    """Two options; worked by hand below."""
    return DecisionTree(
        Decision(
            "d",
            [
                Branch("a", Terminal({"cost": 1200, "qaly": "q - 1/10"})),
                Branch(
                    "b",
                    Chance(
                        "c",
                        [
                            Branch("x", Terminal({"cost": 100}), probability="p"),
                            Branch("y", Terminal({"qaly": 2}), probability=REST, payoff={"cost": 5}),
                        ],
                    ),
                ),
            ],
        ),
        parameters=[Parameter("q", 1), Parameter("p", "1/2")],
        criteria=[Criterion("cost", unit="$", sense="min"), Criterion("qaly", unit="QALY", sense="max")],
    )


def test_evaluate_one_criterion_by_hand() -> None:
    tree = _cea()
    # cost: a = 1200; b = 1/2 * 100 + 1/2 * (5 + 0) = 52.5; minimised -> b
    cost = evaluate(tree, criterion="cost", method="exact")
    assert cost.value == sympy.Rational(105, 2)
    assert cost.policy == {"d": "b"}
    # qaly: a = 9/10; b = 1/2 * 0 + 1/2 * 2 = 1; maximised -> b
    qaly = evaluate(tree, criterion="qaly", method="exact")
    assert qaly.value == 1
    # at q = 2 option a gives 19/10 > 1
    assert evaluate(tree, {"q": 2}, criterion="qaly").policy == {"d": "a"}
    sym = evaluate(tree, criterion="qaly", method="symbolic").value
    q, p = evtree.symbol("q"), evtree.symbol("p")
    assert sympy.simplify(sym - sympy.Max(q - sympy.Rational(1, 10), 2 - 2 * p)) == 0


def test_evaluate_broadcasts_per_component() -> None:
    tree = _cea()
    qs = np.array([0.5, 1.0, 1.5, 2.0])
    got = evaluate(tree, {"q": qs}, criterion="qaly").value
    np.testing.assert_allclose(got, np.maximum(qs - 0.1, 1.0))


def test_evaluate_needs_a_criterion() -> None:
    with pytest.raises(EvaluationError, match="criterion=NAME"):
        evaluate(_cea())
    with pytest.raises(UnknownNameError, match="did you mean 'cost'"):
        evaluate(_cea(), criterion="costs")
    plain = DecisionTree(Decision("d", [Branch("a", Terminal(1))]))
    with pytest.raises(EvaluationError, match="declares no criteria"):
        evaluate(plain, criterion="cost")


def test_player_components_evaluate() -> None:
    game = DecisionTree(
        Decision(
            "d",
            [Branch("a", Terminal({"US": 3, "North": "v"})), Branch("b", Terminal({"US": 1}))],
            player="US",
        ),
        players=[Player("US"), "North"],
        parameters=[Parameter("v", 2)],
    )
    assert game.component_names == ("US", "North")
    assert evaluate(game, criterion="North").value == 2.0  # max(v, 0) at v = 2
    assert evaluate(game, criterion="US").policy == {"d": "a"}


def test_flat_tree_has_one_quantity_per_component() -> None:
    flat = compile_tree(_cea())
    assert set(flat.component_payoffs) == {"cost", "qaly"}
    cost = flat.component_payoffs["cost"]
    by_key = dict(zip(flat.keys, cost.raw))
    assert by_key["d/a"] == 1200 and by_key["d/b/x"] == 100 and by_key["d/b/y"] is None
    assert dict(zip(flat.keys, flat.component_branch_payoffs["cost"].raw))["d/b/y"] == 5
    assert flat.all_symbols == {"q", "p"}


def test_file_round_trip_keeps_mappings(tmp_path) -> None:
    tree = _cea()
    for suffix in ("yaml", "json"):
        path = tmp_path / f"t.{suffix}"
        evtree.write_tree(tree, path)
        back = evtree.read_tree(path)
        assert back == tree
        assert back.criteria == tree.criteria
        assert type(back.node("d/a").payoff) is Payoffs
        assert list(back.node("d/a").payoff) == ["cost", "qaly"]
        assert evtree.write_tree(back) == evtree.write_tree(tree)


def test_file_syntax() -> None:
    text = """
players: [US, North]
parameters: {v: 2}
root:
  decision: talk
  player: US
  branches:
  - label: talks
    payoff: {US: -1}
    terminal: {US: 3, North: v}
  - label: walk
    terminal: 0
"""
    tree = evtree.read_tree(text)
    assert [p.name for p in tree.players] == ["US", "North"]
    assert tree.node("talk/talks").branch_payoff == Payoffs({"US": -1})
    # US: talks = -1 + 3 = 2 > 0
    assert evaluate(tree, criterion="US").value == 2.0
    mapping = evtree.read_tree(
        text.replace("players: [US, North]", "players: {US: {description: us}, North: {}}")
    )
    assert mapping.players == (Player("US", "us"), Player("North"))
    assert evtree.read_tree(evtree.write_tree(mapping)) == mapping


def test_criteria_and_players_together_refused() -> None:
    with pytest.raises(ModelError, match="not supported"):
        DecisionTree(Terminal(0), criteria=[Criterion("cost")], players=["US"])
    with pytest.raises(FileFormatError, match="not supported"):
        evtree.read_tree("criteria: {cost: {}}\nplayers: [US]\nroot: {terminal: 0}\n")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"players": ["US", "US"]}, "declared twice"),
        ({"players": ["not-an-id"]}, "not an ASCII identifier"),
        ({"players": ["Süd"]}, "not an ASCII identifier"),
        ({"players": ["v"], "parameters": [Parameter("v", 1)]}, "both a parameter and a player"),
        ({"criteria": [Criterion("cost"), Criterion("cost")]}, "declared twice"),
    ],
)
def test_component_declarations_checked(kwargs, message) -> None:
    with pytest.raises(ModelError, match=message):
        DecisionTree(Terminal(0), **kwargs)


def test_criterion_fields_checked() -> None:
    with pytest.raises(ModelError, match="sense must be"):
        Criterion("cost", sense="up")
    with pytest.raises(FileFormatError, match=r"criteria.cost.units.*unknown key .units."):
        evtree.read_tree("criteria: {cost: {units: $}}\nroot: {terminal: 0}\n")
    with pytest.raises(ModelError, match=r"<string>:1:\d+ \(players\[0\]\).*identifier"):
        evtree.read_tree("players: [1x]\nroot: {terminal: 0}\n")


def test_unknown_component_named_with_suggestion() -> None:
    tree = DecisionTree(
        Decision("d", [Branch("a", Terminal({"US": 1, "Nroth": 2}))], player="US"), players=["US", "North"]
    )
    (problem,) = tree.problems()
    assert problem.node == "d/a" and problem.field == "payoff.Nroth"
    assert "did you mean 'North'" in str(problem)


def test_scalar_payoff_in_component_tree_refused_unless_zero() -> None:
    tree = DecisionTree(
        Decision(
            "d",
            [Branch("a", Terminal(5)), Branch("b", Terminal(0), payoff="0"), Branch("c", Terminal({}))],
            player="US",
        ),
        players=["US"],
    )
    (problem,) = tree.problems()
    assert problem.node == "d/a" and "per player" in str(problem)


def test_mapping_payoff_needs_declared_components() -> None:
    tree = DecisionTree(Decision("d", [Branch("a", Terminal({"US": 1}), payoff={"US": 1})]))
    problems = tree.problems()
    assert len(problems) == 2 and all("declare criteria or players" in str(p) for p in problems)
    with pytest.raises(ValidationError):
        evaluate(tree)


def test_unknown_parameter_in_component() -> None:
    tree = DecisionTree(Decision("d", [Branch("a", Terminal({"US": "w + 1"}))], player="US"), players=["US"])
    (problem,) = tree.problems()
    assert problem.field == "payoff.US" and "'w'" in str(problem)


def test_probability_cannot_be_a_mapping() -> None:
    with pytest.raises(ModelError, match="per component"):
        Chance("c", [Branch("x", Terminal(0), probability={"US": 1})])


def test_equality_copy_repr() -> None:
    a, b = Payoffs({"US": 1, "North": "v"}), Payoffs({"North": "v", "US": 1})
    assert a == b and hash(a) == hash(b)
    assert repr(a) == "Payoffs({'US': 1, 'North': 'v'})"
    with pytest.raises(AttributeError):
        a.x = 1  # type: ignore[attr-defined]
    tree = _cea()
    copy = tree.copy()
    assert copy == tree and copy.criteria == tree.criteria
    copy.node("d/a").payoff = {"cost": 1200, "qaly": "q - 2/10"}
    assert copy != tree
    # equal values written differently are equal (0.5 == 1/2), as for plain payoffs
    twin = tree.copy()
    twin.node("d/a").payoff = {"cost": 1200.0, "qaly": "q - 0.1"}
    assert twin == tree
    assert "Payoffs(" in repr(tree.node("d/a"))


@given(trees(max_depth=3, with_parameters=True))
def test_single_criterion_equals_plain_tree(tree) -> None:
    """Wrapping every payoff into one criterion changes nothing (second method: the plain rollback)."""
    wrapped = tree.copy()
    for node in wrapped.nodes():
        if node.branch_payoff is not None:
            node.branch_payoff = {"x": node.branch_payoff}
        if isinstance(node, Terminal) and node.payoff is not None:
            node.payoff = {"x": node.payoff}
    wrapped = DecisionTree(
        wrapped.root,
        parameters=list(tree.parameters.values()),
        criteria=[Criterion("x", sense=tree.objective)],
    )
    try:
        expected = evaluate(tree, method="exact")
    except evtree.EvtreeError:
        return
    got = evaluate(wrapped, criterion="x", method="exact")
    assert got.value == expected.value
    assert got.policy == expected.policy
    assert Fraction(str(got.value)) == Fraction(str(expected.value))
