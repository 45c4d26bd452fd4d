"""The model: building trees in code, and validation that names the node."""

from __future__ import annotations

import anytree
import pytest

import evtree
from evtree import (
    REST,
    Branch,
    Chance,
    Decision,
    DecisionTree,
    ExpressionError,
    ModelError,
    Parameter,
    Terminal,
    UnknownNameError,
    ValidationError,
)


def test_tree_reads_like_paper(korea):
    built = evtree.library.korea_talks()
    assert built == korea
    assert [n.key for n in built.decision_nodes] == [
        "us_choice",
        "after_complies",
        "after_flouts",
        "after_defect",
    ]
    assert [n.key for n in built.chance_nodes] == ["north_response"]
    assert len(built.terminals) == 7
    assert built.node("north_response").branch("flouts").probability == "p_flout"
    assert built.node("us_choice/talks/flouts") is built.node("after_flouts")
    assert isinstance(built.root, anytree.NodeMixin)


def test_nodes_are_anytree_nodes():
    leaf = Terminal(3)
    d = Decision("d", [Branch("x", leaf)])
    assert leaf.parent is d and d.children == (leaf,)
    extra = Terminal(4)
    extra.label = "y"
    extra.parent = d  # anytree's own API works, with our checks
    assert [c.label for c in d.children] == ["x", "y"]
    assert leaf.path == "d/x"
    with pytest.raises(ModelError, match="only hang under a decision or chance node"):
        Terminal(1).parent = leaf


def test_structure_is_checked_on_construction():
    leaf = Terminal(1)
    Decision("a", [Branch("x", leaf)])
    with pytest.raises(ModelError, match="already belongs to a tree"):
        Decision("b", [Branch("x", leaf)])
    t = Terminal(2)
    with pytest.raises(ModelError, match="same node object"):
        Decision("c", [Branch("x", t), Branch("y", t)])
    with pytest.raises(ModelError, match="not a node"):
        Decision("c", [Branch("x", 3)])
    root = Decision("r", [Branch("k", Chance("ch", [Branch("z", Terminal(0), probability=1)]))])
    with pytest.raises(ModelError, match="below itself"):
        root.children[0].add("loop", root, probability=0)


def test_fields_are_checked_with_node_and_field():
    with pytest.raises(ExpressionError, match=r"field 'payoff': expression 'v\.x'"):
        Terminal("v.x")
    with pytest.raises(ModelError, match="field 'probability'"):
        Decision("d", [Branch("x", Terminal(1), probability=True)])
    with pytest.raises(ModelError, match="not a finite number"):
        Terminal(float("inf"))
    node = Terminal(1)
    with pytest.raises(ExpressionError, match="field 'payoff'"):
        node.payoff = "import os"


def test_parameters():
    p = Parameter("p", "1/3", low=0, high=1, description="a third")
    assert p.exact == evtree.parse_expression("1/3")
    with pytest.raises(ModelError, match="not an identifier"):
        Parameter("1p", 0)
    with pytest.raises(ModelError, match="reserved"):
        Parameter("rest", 0)
    with pytest.raises(ModelError, match="reserved"):
        Parameter("max", 0)
    with pytest.raises(ModelError, match="below the low bound"):
        Parameter("p", -1, low=0, high=1)
    with pytest.raises(ModelError, match="above high bound"):
        Parameter("p", 0, low=1, high=0)
    with pytest.raises(ModelError, match="defined twice"):
        DecisionTree(Terminal(0), parameters=[Parameter("p", 0), Parameter("p", 1)])
    with pytest.raises(ModelError, match="objective"):
        DecisionTree(Terminal(0), objective="best")


def broken_tree():
    return DecisionTree(
        Decision(
            "top",
            [
                Branch("empty", Decision("hollow", [])),
                Branch(
                    "risky",
                    Chance(
                        "event",
                        [
                            Branch("up", Terminal(), probability=0.5),
                            Branch("down", Terminal("gain + q"), probability=None),
                            Branch("side", Terminal(1), probability=REST),
                            Branch("side", Terminal(1), probability=REST),
                        ],
                    ),
                ),
                Branch("dup", Terminal(0, name="event")),
                Branch("priced", Terminal(1), probability=0.2),
            ],
        ),
        parameters=[Parameter("gain", 1)],
    )


def test_validation_reports_every_problem_by_path():
    tree = broken_tree()
    problems = [str(p) for p in tree.problems()]
    expected = [
        "node 'top/empty': decision node has no branches",
        "node 'top/risky/up' field 'payoff': terminal has no payoff",
        "node 'top/risky/down' field 'probability': chance branch has no probability",
        "node 'top/priced' field 'probability': a decision branch cannot have a probability",
        "node 'top/risky': more than one branch takes the 'rest' probability",
        "node 'top/risky' field 'label': two branches are labelled 'side'",
        "node 'top/risky/down' field 'payoff': unknown parameter 'q' in 'gain + q'",
    ]
    assert sorted(problems) == sorted(expected)
    with pytest.raises(ValidationError, match=r"\(and 6 more problems\)") as info:
        tree.validate()
    assert len(info.value.problems) == 7
    with pytest.raises(ValidationError):
        evtree.evaluate(tree)


def test_validate_checks_probabilities_exactly():
    tree = DecisionTree(
        Chance(
            "c",
            [
                Branch("a", Terminal(1), probability=0.1),
                Branch("b", Terminal(1), probability=0.2),
                Branch("c", Terminal(1), probability=0.7),
            ],
        )
    )
    tree.validate()  # 0.1 + 0.2 + 0.7 is exactly 1 in decimal, as the user wrote it
    tree.validate(exact=False)
    bad = DecisionTree(
        Chance("c", [Branch("a", Terminal(1), probability="1/3"), Branch("b", Terminal(1), probability=0.66)])
    )
    with pytest.raises(evtree.ProbabilityError, match="node 'c': probabilities sum to 149/150"):
        bad.validate()


def test_lookup_errors():
    tree = evtree.library.texaco_pennzoil()
    with pytest.raises(UnknownNameError, match="no node is named 'nobody'"):
        tree.node("nobody")
    with pytest.raises(UnknownNameError, match="no branch labelled 'maybe'"):
        tree.node("liedtke").branch("maybe")
    with pytest.raises(UnknownNameError, match="unknown parameter 'p'"):
        tree.parameter("p")
    with pytest.raises(UnknownNameError):
        evtree.evaluate(tree, policy={"liedtke": "maybe"})


def test_edits_invalidate_the_compiled_form():
    tree = evtree.library.texaco_pennzoil()
    assert evtree.evaluate(tree).value == pytest.approx(4.6348)
    tree.node("liedtke").branch("accept 2").payoff = 5
    result = evtree.evaluate(tree)
    assert result.value == 5 and result.policy["liedtke"] == "accept 2"


def test_copy_and_with_parameters(korea):
    copy = korea.copy()
    assert copy == korea and copy.root is not korea.root
    changed = korea.with_parameters(p_defect="1/2")
    assert changed.parameters["p_defect"].exact == evtree.parse_expression("1/2")
    assert korea.parameters["p_defect"].value == 0.25
    assert changed != korea


def test_ancestors_are_nodes(korea):
    node = korea.node("after_defect")
    assert node.ancestors == (korea.root, korea.node("north_response"))
    assert node.depth == 2 and node.path == "us_choice/talks/allies defect"


def test_copy_keeps_every_field_and_equality_sees_each():
    from evtree.core.model import Use

    court = Chance(
        "court",
        [Branch("win", Terminal(10), probability="1/2"), Branch("lose", Terminal(0), probability="rest")],
    )
    game = Decision(
        "move",
        [
            Branch("a", Terminal(1, name="end", utility="1/2")),
            Branch("b", Chance("nature", [Branch("x", Terminal(2), probability=1)], event="weather")),
            Branch("c", Use("court"), payoff=-1),
        ],
        player="Ann",
        information_set="h1",
    )
    tree = DecisionTree(game, subtrees={"court": court})
    twin = tree.copy()
    assert twin == tree
    a, b, c = twin.root.children
    assert (twin.root.player, twin.root.information_set) == ("Ann", "h1")
    assert a.utility == "1/2" and a.name == "end" and b.event == "weather"
    assert c.use == "court" == c.reference and c.branch_payoff == -1
    assert twin.subtrees["court"] is not tree.subtrees["court"] and twin.subtrees["court"].name == "court"
    for change in (
        lambda t: setattr(t.root, "player", "Bob"),
        lambda t: setattr(t.root.children[1], "event", "rain"),
        lambda t: setattr(t.root.children[0], "utility", "1/3"),
        lambda t: setattr(t.subtrees["court"].children[0], "payoff", 11),
    ):
        other = tree.copy()
        change(other)
        assert other != tree
