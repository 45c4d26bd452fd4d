"""``evaluate`` rolls each repeated named subtree back once (issue 14, item 4).

The reference everywhere is a second tree built from the same description with
every reference written out by hand (no ``subtrees``, no ``use``), whose
evaluation rolls every copy back on its own: both evaluations must agree in
every field of the record, at every node, inside every copy.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evtree.core.evaluate  # noqa: F401  (the module, for the spy below)
from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate
from evtree.core.errors import EvaluationError, ProbabilityError
from evtree.core.expressions import symbol
from evtree.core.model import Use
from evtree.presentation.render import evaluation_text, render_text

# A tree is described by nested tuples, built twice: with references, and expanded.
#   ("T", payoff)                                           a terminal
#   ("C", name, [(label, probability, payoff, child), ...])  a chance node
#   ("D", name, [(label, payoff, child), ...])               a decision node
#   ("U", subtree name)                                      a reference


def build(spec: Any, defs: dict[str, Any], expand: bool) -> Any:
    kind = spec[0]
    if kind == "T":
        return Terminal(spec[1])
    if kind == "U":
        return build(defs[spec[1]], defs, expand) if expand else Use(spec[1])
    if kind == "C":
        return Chance(
            spec[1],
            [Branch(lab, build(c, defs, expand), probability=p, payoff=pay) for lab, p, pay, c in spec[2]],
        )
    return Decision(spec[1], [Branch(lab, build(c, defs, expand), payoff=pay) for lab, pay, c in spec[2]])


def both(root: Any, defs: dict[str, Any], **kwargs: Any) -> tuple[DecisionTree, DecisionTree]:
    """Return the tree with references (``subtrees``) and the same tree expanded by hand."""
    shared = DecisionTree(
        build(root, defs, False), subtrees={k: build(v, defs, False) for k, v in defs.items()}, **kwargs
    )
    expanded = DecisionTree(build(root, defs, True), **kwargs)
    assert not any(n.use for n in expanded.nodes())
    return shared, expanded


def assert_same(shared_tree: DecisionTree, expanded_tree: DecisionTree, rs: Any, re: Any) -> None:
    """Every field of two evaluations of the same tree, one shared and one expanded, is the same."""
    assert rs.value == re.value
    nodes_s, nodes_e = list(shared_tree.nodes()), list(expanded_tree.nodes())
    assert [n.path for n in nodes_s] == [n.path for n in nodes_e]
    for ns, ne in zip(nodes_s, nodes_e):
        assert rs.value_of(ns) == re.value_of(ne), ns.path
        assert rs.local_value_of(ns) == re.local_value_of(ne), ns.path
        assert rs.reach_probability(ns) == re.reach_probability(ne), ns.path
        assert rs.utility_of(ns) == re.utility_of(ne), ns.path
    for name in ("_probs", "_outcomes", "_rolled"):  # the node arrays themselves (same order)
        assert list(getattr(rs, name)) == list(getattr(re, name)), name
    assert list(rs.policy.items()) == list(re.policy.items())
    assert rs.ties == re.ties
    assert rs.option_values == re.option_values
    assert rs.risk_profile.equals(re.risk_profile)
    assert rs.to_frame().equals(re.to_frame())
    if rs.n_strategies <= 40:
        assert rs.strategies.equals(re.strategies)
    marks = [f" [use: {name}]" for name in shared_tree.subtrees]
    shown = render_text(shared_tree, rs)
    for m in marks:
        shown = shown.replace(m, "")
    assert shown == render_text(expanded_tree, re)
    assert evaluation_text(rs) == evaluation_text(re)


# ----------------------------------------------------------------------------- generated trees
payoffs = st.one_of(
    st.none(),
    st.integers(-6, 6),
    st.builds(lambda n, d: f"{n}/{d}", st.integers(-9, 9), st.integers(1, 4)),
)


@st.composite
def probabilities(draw: Any, n: int) -> list[Any]:
    """``n`` probabilities as exact strings summing to 1 (zeros allowed), the last sometimes 'rest'."""
    weights = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n).filter(lambda w: sum(w) > 0))
    total = sum(weights)
    out: list[Any] = [f"{w}/{total}" for w in weights]
    if draw(st.booleans()):
        out[-1] = "rest"
    elif n == 2 and draw(st.booleans()):
        out = ["p", "rest"]  # a parameter (its default is 1/3)
    return out


@st.composite
def subtree(draw: Any, depth: int, top: bool = False) -> Any:
    """A random subtree of at most ``depth`` levels; with ``top``, an internal node."""
    if depth == 0 or (not top and draw(st.integers(0, 2)) == 0):
        return ("T", draw(st.integers(-5, 12)))
    n = draw(st.integers(2, 3))
    children = [draw(subtree(depth - 1)) for _ in range(n)]
    branch_payoffs = [draw(payoffs) for _ in range(n)]
    labels = [f"b{i}" for i in range(n)]
    if draw(st.booleans()):
        probs = draw(probabilities(n))
        return ("C", draw(st.sampled_from([None, "c"])), list(zip(labels, probs, branch_payoffs, children)))
    return ("D", draw(st.sampled_from(["d", "e"])), list(zip(labels, branch_payoffs, children)))


def with_reference(spec: Any, name: str, i: int) -> Any:
    """Return the internal node ``spec`` with its branch ``i`` leading to a reference to ``name``."""
    branches = [list(b) for b in spec[2]]
    branches[i % len(branches)][-1] = ("U", name)
    return (spec[0], spec[1], [tuple(b) for b in branches])


@st.composite
def shared_trees(draw: Any) -> tuple[Any, dict[str, Any]]:
    """A root over several references (two at least to one name) with different payoffs above them.

    ``outer`` refers to ``inner`` (nested references); the root refers to either.
    """
    inner = draw(subtree(2, top=True))
    outer = with_reference(draw(subtree(2, top=True)), "inner", draw(st.integers(0, 2)))
    names = draw(st.lists(st.sampled_from(["inner", "outer"]), min_size=2, max_size=5))
    names.append(names[0])  # one name used twice at least
    children: list[Any] = [("U", name) for name in names]
    if draw(st.booleans()):
        children.append(draw(subtree(1)))
    labels = [f"r{i}" for i in range(len(children))]
    branch_payoffs = [draw(payoffs) for _ in children]
    if draw(st.booleans()):
        probs = draw(probabilities(len(children)).filter(lambda p: "p" not in p))
        root = ("C", "root", list(zip(labels, probs, branch_payoffs, children)))
    else:
        root = ("D", "root", list(zip(labels, branch_payoffs, children)))
    return root, {"inner": inner, "outer": outer}


def _tree_pair(spec: tuple[Any, dict[str, Any]]) -> tuple[DecisionTree, DecisionTree]:
    root, defs = spec
    return both(root, defs, parameters=[Parameter("p", "1/3", low=0, high=1)])


RULES = [
    None,
    "expected-value-minimization",
    "maxi-min",
    "maxi-max",
    "mini-min",
    "mini-max",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shared_trees(), st.sampled_from(RULES))
def test_exact_evaluate_with_sharing_equals_the_expanded_tree(spec: Any, rule: str | None) -> None:
    shared_tree, expanded_tree = _tree_pair(spec)
    rs = evaluate(shared_tree, method="exact", rule=rule)
    re = evaluate(expanded_tree, method="exact", rule=rule)
    assert rs._shared is not None and rs._shared.plan.blocks  # sharing happened
    assert re._shared is None
    assert_same(shared_tree, expanded_tree, rs, re)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shared_trees(), st.data())
def test_a_fixed_decision_inside_a_copy_expands_that_copy_only(spec: Any, data: Any) -> None:
    shared_tree, expanded_tree = _tree_pair(spec)
    decisions = [n for n in shared_tree.decision_nodes if n is not shared_tree.root]
    if not decisions:
        decisions = list(shared_tree.decision_nodes)
    if not decisions:
        return
    node = data.draw(st.sampled_from(decisions))
    policy = {node.path: data.draw(st.sampled_from([c.label for c in node.children]))}
    rs = evaluate(shared_tree, method="exact", policy=policy)
    re = evaluate(expanded_tree, method="exact", policy=policy)
    assert_same(shared_tree, expanded_tree, rs, re)
    if rs._shared is not None:  # no copy that was shared holds the fixed decision
        main_at, blocks_at = rs._shared.plan.positions
        inside = {int(i) for where in blocks_at for i in where.reshape(-1)}
        assert rs._flat.position(node) not in inside


# ----------------------------------------------------------------------------- by hand
def _gambles(n: int) -> tuple[DecisionTree, DecisionTree]:
    """d: branch k pays -k and leads to 'gamble' (a decision: take the chance, 10 w.p. 3/10, or 2).

    The gamble is worth max(3, 2) = 3, so branch k is worth 3 - k: the best is k = 1, worth 2.
    """
    gamble = (
        "D",
        "take",
        [
            (
                "chance",
                None,
                ("C", "g", [("win", "3/10", None, ("T", 10)), ("lose", "rest", None, ("T", 0))]),
            ),
            ("safe", None, ("T", 2)),
        ],
    )
    root = ("D", "d", [(f"k{k}", -k, ("U", "gamble")) for k in range(1, n + 1)])
    return both(root, {"gamble": gamble})


def test_many_copies_are_rolled_back_once_and_match_hand_values(monkeypatch: Any) -> None:
    shared_tree, expanded_tree = _gambles(50)
    sizes: list[int] = []
    evaluate_mod = sys.modules["evtree.core.evaluate"]
    original = evaluate_mod.rollback

    def counting(flat: Any, *args: Any, **kwargs: Any) -> Any:
        sizes.append(flat.size)
        return original(flat, *args, **kwargs)

    monkeypatch.setattr(evaluate_mod, "rollback", counting)
    rs = evaluate(shared_tree, method="exact")
    assert sizes == [5, 51]  # the gamble once (5 nodes), then the root over its 50 copies' tops
    sizes.clear()
    re = evaluate(expanded_tree, method="exact")
    assert sizes == [1 + 50 * 5]  # the expanded tree: every copy on its own
    assert rs.value == 2  # 3 - 1
    assert rs.value_of("d/k7") == -4 and rs.local_value_of("d/k7") == 3  # 3 - 7; the gamble alone
    assert rs.value_of("d/k7/chance/win") == 3 and rs.value_of("d/k7/chance") == -4  # 10 - 7; 3 - 7
    assert rs.policy["d"] == "k1" and rs.policy["d/k7"] == "chance"  # 3 > 2 in every copy
    assert rs.reach_probability("d/k1/chance/win") == sympy.Rational(3, 10)
    assert rs.reach_probability("d/k2/chance/win") == 0
    assert list(rs.risk_profile.itertuples(index=False)) == [
        ("d/k1/chance/win", 9, sympy.Rational(3, 10)),  # 10 - 1
        ("d/k1/chance/lose", -1, sympy.Rational(7, 10)),
    ]
    assert_same(shared_tree, expanded_tree, rs, re)


def test_texaco_evaluate_shares_the_court():
    from evtree.formats.native import read_tree
    from evtree.library import texaco_pennzoil
    from tests.test_subtrees import TEXACO

    tree = read_tree(TEXACO)
    r = evaluate(tree, method="exact")
    assert r._shared is not None and [b.name for b in r._shared.plan.blocks] == ["court"]
    assert r.value == sympy.Rational(46348, 10000)  # the book's 4.6348 (tests/test_subtrees.py)
    book = evaluate(texaco_pennzoil(), method="exact")  # the library's tree: the court written twice
    assert r.value == book.value
    assert r.value_of("Liedtke/counteroffer 5/counteroffers 3/refuse 3") == sympy.Rational(456, 100)
    assert r.policy == {"Liedtke": "counteroffer 5", "Liedtke on 3": "refuse 3"}


def test_a_terminal_subtree_is_not_shared_and_not_counted_twice():
    root = ("D", "d", [("a", -1, ("U", "t")), ("b", -2, ("U", "t"))])
    shared_tree, expanded_tree = both(root, {"t": ("T", 5)})
    rs = evaluate(shared_tree, method="exact")
    assert rs.value == 4  # 5 - 1, not 5 + 5 - 1
    assert rs._shared is None
    assert_same(shared_tree, expanded_tree, rs, evaluate(expanded_tree, method="exact"))


# ----------------------------------------------------------------------------- symbolic
def test_symbolic_sharing_gives_the_same_expressions():
    """A gamble whose options differ by a constant (no Max atom): shared in symbolic arithmetic.

    By hand: the gamble is worth 10 p (the sure option 10 p - 1 is always 1 worse); branch k
    is worth 10 p - k under d, so d is worth 10 p - 1.
    """
    gamble = (
        "D",
        "take",
        [
            ("chance", None, ("C", "g", [("win", "p", None, ("T", 10)), ("lose", "rest", None, ("T", 0))])),
            ("worse", -1, ("C", "h", [("win", "p", None, ("T", 10)), ("lose", "rest", None, ("T", 0))])),
        ],
    )
    root = ("C", "top", [(f"k{k}", "1/3" if k < 3 else "rest", -k, ("U", "gamble")) for k in range(1, 4)])
    kwargs = {"parameters": [Parameter("p", "3/10", low=0, high=1)]}
    shared_tree, expanded_tree = both(root, {"gamble": gamble}, **kwargs)
    rs = evaluate(shared_tree, method="symbolic")
    re = evaluate(expanded_tree, method="symbolic")
    assert rs._shared is not None and re._shared is None
    p = symbol("p")
    assert sympy.expand(rs.value - (10 * p - 2)) == 0  # (10p - 1 + 10p - 2 + 10p - 3) / 3
    assert rs.value_of("top/k3/worse/win") == 10 - 3 - 1
    assert rs._base is not None and rs._base._shared is not None  # the defaults: exact, shared too
    assert_same(shared_tree, expanded_tree, rs, re)


def test_symbolic_sharing_is_refused_where_a_decision_needs_max():
    """Options differing by a function of p: the expanded tree writes Max(p*10 - k, 3 - k) per copy."""
    gamble = (
        "D",
        "take",
        [
            ("chance", None, ("C", "g", [("win", "p", None, ("T", 10)), ("lose", "rest", None, ("T", 0))])),
            ("safe", None, ("T", 3)),
        ],
    )
    root = ("D", "d", [(f"k{k}", -k, ("U", "gamble")) for k in range(1, 4)])
    kwargs = {"parameters": [Parameter("p", "3/10", low=0, high=1)]}
    shared_tree, expanded_tree = both(root, {"gamble": gamble}, **kwargs)
    rs = evaluate(shared_tree, method="symbolic")
    re = evaluate(expanded_tree, method="symbolic")
    assert rs._shared is None  # not shared: the expressions would differ in form
    assert rs._base._shared is not None  # the exact evaluation at the defaults still shares
    p = symbol("p")
    assert [rs.value.subs(p, x) for x in (0, sympy.Rational(1, 2))] == [2, 4]  # max(10p, 3) - 1
    assert_same(shared_tree, expanded_tree, rs, re)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shared_trees())
def test_symbolic_evaluate_shared_or_not_equals_the_expanded_tree(spec: Any) -> None:
    """Shared where every part rolls back as polynomials without Max atoms in the subtrees, else not."""
    shared_tree, expanded_tree = _tree_pair(spec)
    rs = evaluate(shared_tree, method="symbolic")
    re = evaluate(expanded_tree, method="symbolic")
    if rs._shared is not None:
        blocks = rs._shared.rolled[1:]
        assert not any(isinstance(v, sympy.Basic) and v.has(sympy.Max, sympy.Min) for b in blocks for v in b)
    assert_same(shared_tree, expanded_tree, rs, re)


# ----------------------------------------------------------------------------- not shared
def test_a_utility_function_is_not_shared_and_still_correct():
    shared_tree, expanded_tree = _gambles(3)
    for t in (shared_tree, expanded_tree):
        t.utility = {"expression": "log(x + 5)"}
    rs = evaluate(shared_tree, method="exact")
    re = evaluate(expanded_tree, method="exact")
    assert rs._shared is None
    # by hand: under log(x + 5), after k = 1 the chance is worth 3/10 log(14) + 7/10 log(4) = 1.762
    # in utility, less than the sure 2 - 1 = 1 (log 6 = 1.792): risk aversion takes the safe option,
    # where the risk-neutral rollback takes the chance (3 > 2); k = 1 still best, worth 1
    take = sympy.Rational(3, 10) * sympy.log(14) + sympy.Rational(7, 10) * sympy.log(4)
    assert float(take) < float(sympy.log(6))
    assert (
        rs.policy["d/k1"] == "safe"
        and evaluate(shared_tree, method="exact", utility=None).policy["d/k1"] == "chance"
    )
    assert sympy.simplify(rs.value - 1) == 0
    assert_same(shared_tree, expanded_tree, rs, re)


def test_float_evaluation_is_unchanged():
    """Float rollback is vectorised per level: not shared (shifting would change the roundings)."""
    shared_tree, expanded_tree = _gambles(4)
    rs, re = evaluate(shared_tree), evaluate(expanded_tree)
    assert rs._shared is None
    assert rs.value == re.value == pytest.approx(2)


def test_irrational_probabilities_are_not_shared():
    """An irrational sympy number may be written two ways: exact sharing needs rationals."""
    gamble = ("C", "g", [("win", "sqrt(2)/2", None, ("T", 10)), ("lose", "rest", None, ("T", 0))])
    root = ("D", "d", [("a", -1, ("U", "gamble")), ("b", -2, ("U", "gamble"))])
    shared_tree, expanded_tree = both(root, {"gamble": gamble})
    rs, re = evaluate(shared_tree, method="exact"), evaluate(expanded_tree, method="exact")
    assert rs._shared is None
    assert sympy.simplify(rs.value - (5 * sympy.sqrt(2) - 1)) == 0
    assert_same(shared_tree, expanded_tree, rs, re)


# ----------------------------------------------------------------------------- errors
def test_errors_inside_a_shared_subtree_name_a_real_node():
    bad = ("C", "g", [("win", "1/2", None, ("T", 10)), ("lose", "1/3", None, ("T", 0))])
    root = ("D", "d", [("a", -1, ("U", "gamble")), ("b", -2, ("U", "gamble"))])
    shared_tree, _ = both(root, {"gamble": bad})
    with pytest.raises(ProbabilityError, match=r"probabilities sum to 5/6, not 1") as err:
        evaluate(shared_tree, method="exact")
    assert "node 'd/a'" in str(err.value)  # the first copy's chance node
    shared_tree.node("d/a")  # a real node of the tree

    log = ("C", "g", [("win", "1/2", "log(q)", ("T", 10)), ("lose", "rest", None, ("T", 0))])
    shared_tree, expanded_tree = both(root, {"gamble": log}, parameters=[Parameter("q", "1", low=0, high=2)])
    with pytest.raises(EvaluationError) as shared_err:
        evaluate(shared_tree, {"q": 0}, method="exact")
    with pytest.raises(EvaluationError) as expanded_err:
        evaluate(expanded_tree, {"q": 0}, method="exact")
    assert str(shared_err.value) == str(expanded_err.value)
    assert "node 'd/a/win' field 'payoff'" in str(shared_err.value)


def test_an_outcome_beyond_the_float_range_is_refused_as_in_the_expanded_tree():
    from evtree.core.budget import BudgetError

    huge = str(Fraction(10) ** 308)
    gamble = ("C", "g", [("win", "1/2", None, ("T", huge)), ("lose", "rest", None, ("T", 0))])
    root = ("D", "d", [("a", 0, ("U", "gamble")), ("b", huge, ("U", "gamble"))])
    shared_tree, expanded_tree = both(root, {"gamble": gamble})
    with pytest.raises(BudgetError) as shared_err:
        evaluate(shared_tree, method="exact")
    with pytest.raises(BudgetError) as expanded_err:
        evaluate(expanded_tree, method="exact")
    assert str(shared_err.value) == str(expanded_err.value)
    assert "node 'd/b/win'" in str(shared_err.value)  # 2e308: beyond the float range
    shared_tree.node("d/b/win")


# ----------------------------------------------------------------------------- formulas, edits, CLI
def test_formulas_and_their_overrides_follow_into_shared_copies():
    """p = s/2 with s = 3/5 (p = 3/10): the gamble is worth 3, branch k is 3 - k (see _gambles)."""
    gamble = ("C", "g", [("win", "p", None, ("T", 10)), ("lose", "rest", None, ("T", 0))])
    root = ("D", "d", [(f"k{k}", -k, ("U", "gamble")) for k in range(1, 4)])
    params = [Parameter("s", "3/5", low=0, high=2), Parameter("p", "s/2")]
    shared_tree, expanded_tree = both(root, {"gamble": gamble}, parameters=params)
    for values, hand in (({}, 2), ({"s": 1}, 4), ({"p": "1/10"}, 0)):  # 10 p - 1 at p = 3/10, 1/2, 1/10
        rs = evaluate(shared_tree, values, method="exact")
        re = evaluate(expanded_tree, values, method="exact")
        assert rs._shared is not None and rs.value == hand
        assert_same(shared_tree, expanded_tree, rs, re)


def test_an_edited_copy_is_evaluated_on_its_own():
    shared_tree, expanded_tree = _gambles(3)
    for t in (shared_tree, expanded_tree):
        t.node("d/k3/chance/win").payoff = 100  # only this copy: 0.3 * 100 - 3 = 27 beats the rest
    rs = evaluate(shared_tree, method="exact")
    re = evaluate(expanded_tree, method="exact")
    assert [len(b.copies) for b in rs._shared.plan.blocks] == [2]  # k1 and k2 still share
    assert rs.value == 27 and rs.policy["d"] == "k3"
    assert_same(shared_tree, expanded_tree, rs, re)


def test_the_command_line_prints_the_same_for_both_trees(tmp_path):
    import contextlib
    import io

    from evtree.cli.main import main
    from evtree.formats.native import write_tree

    shared_tree, expanded_tree = _gambles(3)
    outputs = []
    for name, t in (("shared.yaml", shared_tree), ("expanded.yaml", expanded_tree)):
        (tmp_path / name).write_text(write_tree(t))
        for command in (["evaluate", "--exact"], ["show", "--exact"]):
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                assert main([*command, str(tmp_path / name)]) in (0, None)
            outputs.append(buffer.getvalue().replace(" [use: gamble]", "").replace(name, "TREE"))
    assert outputs[:2] == outputs[2:]
    assert "k1" in outputs[0]


def test_a_fixed_choice_in_one_copy_leaves_the_others_shared():
    shared_tree, expanded_tree = _gambles(3)
    policy = {"d/k1": "safe"}  # in the copy under k1 the safe 2: k1 is worth 2 - 1 = 1, k2 3 - 2 = 1
    rs = evaluate(shared_tree, method="exact", policy=policy)
    re = evaluate(expanded_tree, method="exact", policy=policy)
    (block,) = rs._shared.plan.blocks
    assert [rs._shared.plan.main.nodes[i].path for i in block.copies] == ["d/k2", "d/k3"]
    assert rs.value == 1 and rs.ties == {"d": ("k1", "k2")} and rs.policy["d/k1"] == "safe"
    assert rs.value_of("d/k1") == 1 and rs.value_of("d/k3") == 0  # 3 - 3
    assert_same(shared_tree, expanded_tree, rs, re)
