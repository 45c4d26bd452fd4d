"""Reusable subtrees (``subtrees:`` / ``use:``; :class:`evtree.Use`) and repeatable names.

Texaco-Pennzoil (Clemen, Making Hard Decisions, ch. 4) with the court written
once and used twice, both copies named "Final court decision" as in the book.
Its published values, by hand: the court is worth 0.2*10.3 + 0.5*5 + 0.3*0 = 4.56;
after Texaco's counteroffer of 3, refusing (4.56) beats accepting 3; the
counteroffer of 5 is worth 0.17*5 + 0.5*4.56 + 0.33*4.56 = 0.85 + 3.7848 = 4.6348,
which beats accepting 2.
"""

from __future__ import annotations

import pytest
import sympy

from evtree import Branch, Chance, Decision, DecisionTree, Terminal, evaluate
from evtree.core.errors import FileFormatError, ModelError, UnknownNameError
from evtree.core.model import Use
from evtree.formats.native import read_tree, write_tree
from evtree.library import texaco_pennzoil

TEXACO = """\
name: Texaco-Pennzoil, the court written once
subtrees:
  court:
    chance: Final court decision
    branches:
      - {label: award 10.3, probability: 0.2, terminal: 10.3}
      - {label: award 5, probability: 0.5, terminal: 5}
      - {label: award 0, probability: 0.3, terminal: 0}
root:
  decision: Liedtke
  branches:
    - {label: accept 2, terminal: 2}
    - label: counteroffer 5
      chance: Texaco
      branches:
        - {label: accepts 5, probability: 0.17, terminal: 5}
        - {label: refuses, probability: 0.5, use: court}
        - label: counteroffers 3
          probability: 0.33
          decision: Liedtke on 3
          branches:
            - {label: accept 3, terminal: 3}
            - {label: refuse 3, use: court}
"""


def test_texaco_with_the_court_twice_gives_the_published_values():
    tree = read_tree(TEXACO)
    r = evaluate(tree, method="exact")
    assert r.value == sympy.Rational(46348, 10000)
    assert r.policy == {"Liedtke": "counteroffer 5", "Liedtke on 3": "refuse 3"}
    assert r.value_of("Liedtke/counteroffer 5/refuses") == sympy.Rational(456, 100)
    assert r.value == evaluate(texaco_pennzoil(), method="exact").value
    copies = [n for n in tree.nodes() if n.name == "Final court decision"]
    assert len(copies) == 2 and all(n.use == "court" for n in copies)


def test_round_trip_keeps_the_references():
    tree = read_tree(TEXACO)
    text = write_tree(tree)
    assert text.count("use: court") == 2 and text.count("award 10.3") == 1
    again = read_tree(text)
    assert again == tree
    assert write_tree(again) == text
    assert write_tree(tree.copy()) == text


def test_subtrees_in_the_api():
    court = Chance(
        "court",
        [
            Branch("win", Terminal(10), probability="1/2"),
            Branch("lose", Terminal(0), probability="rest"),
        ],
    )
    tree = DecisionTree(
        Decision(
            "d",
            [
                Branch("sue", Use("court"), payoff=-1),
                Branch(
                    "wait",
                    Decision(
                        "later",
                        [
                            Branch("sue", Use("court"), payoff=-2),
                            Branch("settle", Terminal(3)),
                        ],
                    ),
                ),
            ],
        ),
        subtrees={"court": court},
    )
    # sue now: 5 - 1 = 4; later: max(5 - 2, 3) = 3
    r = evaluate(tree, method="exact")
    assert r.value == 4 and r.option_values["later"] == {"sue": 3, "settle": 3}
    assert court.parent is None  # the definition itself is not in the tree
    assert "use: court" in write_tree(tree)


def test_nested_subtrees_and_cycles():
    inner = Chance(
        "inner", [Branch("a", Terminal(2), probability="1/2"), Branch("b", Terminal(4), probability="rest")]
    )
    outer = Decision("outer", [Branch("go", Use("inner")), Branch("stop", Terminal(1))])
    tree = DecisionTree(
        Chance(
            "top",
            [Branch("x", Use("outer"), probability="1/2"), Branch("y", Use("inner"), probability="rest")],
        ),
        subtrees={"inner": inner, "outer": outer},
    )
    assert evaluate(tree, method="exact").value == 3  # both sides are worth 3
    loop = Decision("loop", [Branch("again", Use("loop")), Branch("stop", Terminal(0))])
    with pytest.raises(ModelError, match=r"cycle: loop -> loop"):
        DecisionTree(Decision("d", [Branch("a", Use("loop"))]), subtrees={"loop": loop})
    with pytest.raises(UnknownNameError, match="unknown subtree 'nope'"):
        DecisionTree(Decision("d", [Branch("a", Use("nope"))]), subtrees={"inner": inner})


def test_yaml_anchors_are_refused_pointing_at_use():
    text = "root:\n  decision: d\n  branches:\n    - &c {label: a, terminal: 1}\n    - *c\n"
    with pytest.raises(FileFormatError, match=r"<string>:5:\d+.*'use: court'"):
        read_tree(text)


def test_reusing_a_node_object_says_how_to_reuse():
    t = Terminal(1)
    Decision("a", [Branch("x", t)])
    with pytest.raises(ModelError, match=r"Use\(NAME\)"):
        Decision("b", [Branch("y", t)])


# ----------------------------------------------------------------------------- names
def test_names_may_repeat_and_ambiguous_references_list_the_candidates():
    tree = read_tree(TEXACO)
    tree.validate()  # the two "Final court decision" nodes are fine
    with pytest.raises(
        UnknownNameError,
        match=r"ambiguous: 2 nodes have it \('Liedtke/counteroffer 5/refuses', "
        r"'Liedtke/counteroffer 5/counteroffers 3/refuse 3'\)",
    ):
        tree.node("Final court decision")
    r = evaluate(tree)
    with pytest.raises(UnknownNameError, match="ambiguous"):
        r.value_of("Final court decision")
    assert r.value_of("Liedtke/counteroffer 5/counteroffers 3/refuse 3") == pytest.approx(4.56)


def test_repeated_decision_names_key_policies_by_path():
    tree = DecisionTree(
        Chance(
            "c",
            [
                Branch(
                    "a",
                    Decision("choose", [Branch("x", Terminal(1)), Branch("y", Terminal(2))]),
                    probability="1/2",
                ),
                Branch(
                    "b",
                    Decision("choose", [Branch("x", Terminal(5)), Branch("y", Terminal(3))]),
                    probability="rest",
                ),
            ],
        )
    )
    r = evaluate(tree, method="exact")
    assert r.policy == {"c/a": "y", "c/b": "x"}  # by hand: 2 > 1 under a, 5 > 3 under b
    assert r.value == sympy.Rational(7, 2)
    assert evaluate(tree, policy={"c/b": "y"}, method="exact").value == sympy.Rational(5, 2)
    with pytest.raises(UnknownNameError, match="ambiguous"):
        evaluate(tree, policy={"choose": "x"})


def test_names_are_optional():
    tree = read_tree(
        "root:\n  decision: ''\n  branches:\n    - {label: a, terminal: 1}\n    - {label: b, terminal: 2}\n"
    )
    assert tree.root.name is None
    assert evaluate(tree).policy == {"root": "b"}


def test_show_marks_the_copies():
    from evtree.presentation.render import render_text

    text = render_text(read_tree(TEXACO))
    assert text.count("Final court decision [use: court]") == 2


# ---------------------------------------------------------------- shared blocks (issue 14, item 4)
def test_texaco_court_is_rolled_back_once():
    from evtree.core.compile import compile_tree, shared_rollback

    tree = read_tree(TEXACO)
    shared = shared_rollback(tree, method="exact")
    assert shared.value == sympy.Rational(46348, 10000)  # the book's 4.6348 (module docstring)
    assert shared.local_values == {"court": sympy.Rational(456, 100)}  # 0.2*10.3 + 0.5*5 + 0.3*0
    assert shared.rollbacks == 2  # the tree above the copies, and the court once
    (block,) = shared.plan.blocks
    assert block.name == "court" and len(block.copies) == 2 and block.flat.size == 4
    # 14 nodes expanded: the main part keeps each copy's top as a leaf (14 - 2*3 = 8)
    assert compile_tree(tree).size == 14 and shared.plan.main.size == 8
    assert shared.plan.size == 11  # 8 + the court's 3 nodes below its top, compiled once
    unshared = shared_rollback(tree, method="exact", share=False)
    assert unshared.value == shared.value and unshared.rollbacks == 1


def _many_copies(n: int) -> DecisionTree:
    """d: branch k pays -k and leads to a copy of 'gamble' (win 10 w.p. p, else 0) for k = 1..n.

    The gamble's local value is 10 p; branch k is worth 10 p - k, so the best is k = 1:
    10 p - 1.  Under a chance root over the same copies (1/n each) the value is
    10 p - (n + 1) / 2.
    """
    from evtree import Parameter

    gamble = Chance(
        "gamble",
        [Branch("win", Terminal(10), probability="p"), Branch("lose", Terminal(0), probability="rest")],
    )
    root = Decision("d", [Branch(f"k{k}", Use("gamble"), payoff=-k) for k in range(1, n + 1)])
    return DecisionTree(root, parameters=[Parameter("p", "3/10", low=0, high=1)], subtrees={"gamble": gamble})


def test_many_copies_values_match_the_expanded_tree_and_hand():
    from evtree.core import compile as compile_mod
    from evtree.core import rollback as rollback_mod

    tree = _many_copies(50)
    calls: list[int] = []
    original = rollback_mod.rollback

    def counting(flat, *args, **kwargs):
        calls.append(flat.size)
        return original(flat, *args, **kwargs)

    rollback_mod.rollback = counting
    try:
        shared = compile_mod.shared_rollback(tree, method="exact")
        assert calls == [3, 51]  # the gamble once (3 nodes), then the root over 50 leaves
        calls.clear()
        unshared = compile_mod.shared_rollback(tree, method="exact", share=False)
        assert calls == [151]  # the expanded tree: 1 + 50 * 3 nodes
    finally:
        rollback_mod.rollback = original
    assert shared.value == unshared.value == sympy.Rational(2)  # 10 * 3/10 - 1
    assert shared.local_values == {"gamble": 3}
    assert evaluate(tree, method="exact").value == 2
    for p in (0, 0.25, 1):  # float, other points: 10 p - 1
        assert compile_mod.shared_rollback(tree, {"p": p}).value == pytest.approx(10 * p - 1)
    from evtree.core.expressions import symbol

    symbolic = compile_mod.shared_rollback(tree, method="symbolic").value
    assert sympy.expand(symbolic - (10 * symbol("p") - 1)) == 0


def test_shared_under_a_chance_node_and_other_rules():
    from evtree.core.compile import shared_rollback

    base = _many_copies(4)
    probs = ["1/4"] * 3 + ["rest"]
    branches = [Branch(f"k{k}", Use("gamble"), probability=q, payoff=-k) for k, q in zip(range(1, 5), probs)]
    tree = DecisionTree(
        Chance("c", branches), parameters=list(base.parameters.values()), subtrees=base.subtrees
    )
    assert shared_rollback(tree, method="exact").value == 3 - sympy.Rational(5, 2)  # 10p - (n+1)/2
    # maxi-min: the gamble's worst is 0, so the chance root is worth min_k (0 - k) = -4
    assert shared_rollback(tree, method="exact", rule="maxi-min").value == -4
    assert shared_rollback(tree, method="exact", rule="maxi-min", share=False).value == -4


def test_an_edited_copy_is_compiled_on_its_own():
    from evtree.core.compile import shared_rollback

    tree = _many_copies(3)
    third = tree.root.children[2]
    third.children[0].payoff = 100  # this copy is no longer the subtree
    shared = shared_rollback(tree, method="exact")
    (block,) = shared.plan.blocks
    assert len(block.copies) == 2  # k1 and k2 only
    # k3 is now worth 0.3 * 100 - 3 = 27, the best
    assert shared.value == shared_rollback(tree, method="exact", share=False).value == 27


def test_a_utility_function_is_not_shared():
    from evtree.core.compile import shared_rollback, sharing_allowed

    tree = _many_copies(3)
    tree.utility = {"expression": "log(x + 5)"}
    assert not sharing_allowed(tree)
    result = shared_rollback(tree)
    assert result.rollbacks == 1 and result.plan.blocks == ()
    assert result.value == pytest.approx(evaluate(tree).value)


def test_references_are_exposed_for_drawing():
    tree = read_tree(TEXACO)
    refs = tree.references
    assert list(refs) == ["court"] and len(refs["court"]) == 2
    assert all(n.reference == "court" == n.use for n in refs["court"])
    assert tree.root.reference is None
    assert set(tree.subtrees) == {"court"}


def test_shared_blocks_follow_formulas_and_later_edits():
    from evtree import Parameter
    from evtree.core.compile import shared_rollback

    tree = _many_copies(3)
    # p is now a formula of a base parameter: p = s / 2, with s = 3/5 (so p = 3/10 as before)
    tree.parameters = {"s": Parameter("s", "3/5", low=0, high=2), "p": Parameter("p", "s/2")}
    first = shared_rollback(tree, method="exact")
    assert first.value == 2 and first.rollbacks == 2  # 10 * 3/10 - 1
    assert shared_rollback(tree, {"s": 1}, method="exact").value == 4  # p = 1/2: 10/2 - 1
    for copy in tree.references["gamble"]:
        copy.children[0].payoff = 20  # every copy edited alike: still shared, and recompiled
    again = shared_rollback(tree, method="exact")
    assert again.value == 5 and again.local_values == {"gamble": 6}  # 20 * 3/10 = 6; 6 - 1
    assert again.value == shared_rollback(tree, method="exact", share=False).value


def test_values_inside_shared_copies_match_the_expanded_evaluation():
    from evtree.core.compile import shared_rollback

    tree = read_tree(TEXACO)
    shared = shared_rollback(tree, method="exact")
    expanded = evaluate(tree, method="exact")  # a second method: every node of the expanded tree
    for node in tree.nodes():
        assert shared.value_of(node) == expanded.value_of(node), node.path
    # by hand: the second court copy's 'award 10.3' leaf is 10.3 (no payoffs above it)
    assert shared.value_of("Liedtke/counteroffer 5/counteroffers 3/refuse 3/award 10.3") == sympy.Rational(
        103, 10
    )
    many = _many_copies(4)
    result = shared_rollback(many, method="exact")
    # inside the copy under k3: the 'win' leaf is -3 + 10 = 7, the gamble's top -3 + 3 = 0
    assert result.value_of("d/k3/win") == 7 and result.value_of("d/k3") == 0


def test_a_terminal_subtree_is_not_a_block():
    """A copy that is a single terminal is not shared: its payoff would be counted twice."""
    from evtree.core.compile import shared_plan, shared_rollback

    tree = DecisionTree(
        Decision("d", [Branch("a", Use("t"), payoff=-1), Branch("b", Use("t"), payoff=-2)]),
        subtrees={"t": Terminal(5)},
    )
    assert shared_plan(tree).blocks == ()
    assert shared_rollback(tree, method="exact").value == 4  # by hand: 5 - 1 beats 5 - 2
