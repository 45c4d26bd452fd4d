"""Hostile shapes: trees 10^5 deep and nodes 10^5-10^6 wide (issue 13, item 3).

Every value asserted here is worked out by hand in the comments (closed forms
for chains, products for strategy counts), or checked against a second method
(the recursive reference enumeration on small trees).
"""

from __future__ import annotations

import itertools
import json
import math

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate
from evtree.core import compile as compile_mod
from evtree.core.errors import UnknownNameError
from evtree.formats import native
from evtree.risk import risk_profile

DEEP = 100_000


def chance_chain(depth: int) -> DecisionTree:
    """c1 -> c2 -> ... -> c_depth: at each, 'stop' (p=1/2, outcome 0 here) or 'go' (payoff 1, rest).

    The value at c_k is V_k = 1/2 * 0 + 1/2 * (1 + V_{k+1}), V_{depth+1} = 0, so
    V_1 = sum_{j=1..depth} 2^-j = 1 - 2^-depth.
    """
    node: object = Terminal(0, name="bottom")
    for k in range(depth, 0, -1):
        node = Chance(
            f"c{k}",
            [
                Branch("stop", Terminal(0, name=f"t{k}"), probability="q"),
                Branch("go", node, probability="rest", payoff=1),
            ],
        )
    return DecisionTree(node, parameters=[Parameter("q", "1/2", low=0, high=1)])


def decision_chain(depth: int) -> DecisionTree:
    """d1 -> ... -> d_depth: 'take' ends with outcome k, 'go' goes on; the bottom pays depth + 1.

    The best is to go on everywhere: value depth + 1.  Strategies: the count at
    d_k is 1 (take) + count(d_{k+1}), with 1 at the bottom, so depth + 1.
    """
    node: object = Terminal(depth + 1, name="bottom")
    for k in range(depth, 0, -1):
        node = Decision(f"d{k}", [Branch("take", Terminal(k, name=f"t{k}")), Branch("go", node)])
    return DecisionTree(node)


@pytest.fixture(scope="module")
def deep() -> DecisionTree:
    return chance_chain(DEEP)


# ----------------------------------------------------------------------------- deep
def test_deep_chain_nodes_and_value(deep: DecisionTree) -> None:
    nodes = list(deep.nodes())
    assert len(nodes) == 2 * DEEP + 1
    # pre-order: c1, t1 (stop), c2, t2, ..., bottom
    assert [n.name for n in nodes[:5]] == ["c1", "t1", "c2", "t2", "c3"]
    assert nodes[-1].name == "bottom"
    assert deep.root.height == DEEP
    assert len(deep.root.descendants) == 2 * DEEP
    assert evaluate(deep).value == pytest.approx(1.0, abs=1e-12)  # 1 - 2^-100000


def test_deep_copy_equality_and_repr(deep: DecisionTree) -> None:
    twin = deep.copy()
    assert twin == deep
    assert twin.root is not deep.root
    assert repr(twin) == "DecisionTree(200001 nodes, 1 parameters, objective='max')"
    bottom = twin.node("bottom")
    bottom.payoff = 5  # one field changed at the very bottom
    assert twin != deep
    assert deep.node("bottom").payoff == 0  # the original is untouched


def test_deep_str_shows_the_top_levels_and_says_so(deep: DecisionTree) -> None:
    lines = str(deep).splitlines()
    # levels 0..200 hold c1..c201 and the stop terminals t1..t200: 401 rows, then the note
    assert "100000 levels deep" in lines[-1] and "--depth" in lines[-1]
    assert len(lines) == 402
    assert lines[0].startswith("(C) c1") and "c201" in lines[-2]
    # below c201: t201..t_DEEP, c202..c_DEEP and the bottom terminal
    assert f"[+{2 * (DEEP - 200)} nodes below]" in lines[-2]


def test_deep_round_trip_through_data(deep: DecisionTree) -> None:
    data = native.tree_to_dict(deep)
    node, levels = data["root"], 0
    while "branches" in node:  # the 'go' branch is the second
        node, levels = node["branches"][1], levels + 1
    assert levels == DEEP
    assert node == {"label": "go", "probability": "rest", "payoff": 1, "terminal": 0, "name": "bottom"}
    assert native.tree_from_dict(data) == deep


def test_deep_write_json_and_yaml(deep: DecisionTree) -> None:
    text = native.write_tree(deep, format="json")
    assert text.startswith('{"evtree": 1')
    assert text.count('"branches": [') == DEEP
    # every node, the document, 'parameters' and q's entry
    assert text.count("{") == text.count("}") == (2 * DEEP + 1) + 3
    yaml_text = native.write_tree(deep, format="yaml")
    assert yaml_text.startswith("# 100000 levels deep: written in flow style\n{")
    assert yaml_text.count("[") == DEEP


def test_moderately_deep_written_text_reads_back() -> None:
    # deeper than native.NESTED_DEPTH (so evtree's own emitter writes it) and shallow
    # enough for the json and yaml libraries to read it back
    tree = chance_chain(native.NESTED_DEPTH + 20)
    for fmt, load in (("json", json.loads), ("yaml", yaml.safe_load)):
        text = native.write_tree(tree, format=fmt)
        assert native.tree_from_dict(load(text)) == tree
    shallow = chance_chain(5)
    assert not native.write_tree(shallow, format="yaml").startswith("#")  # block style as before


def test_deep_parameters(deep: DecisionTree) -> None:
    # with q = 1/3 ('stop'), V_1 = sum_j (2/3)^j for j = 1..DEEP = 2 (1 - (2/3)^DEEP) = 2
    changed = deep.with_parameters(q="1/3")
    assert evaluate(changed).value == pytest.approx(2.0, rel=1e-12)
    assert evaluate(deep, {"q": 1 / 3}).value == pytest.approx(2.0, rel=1e-12)


def test_deep_risk_profile(deep: DecisionTree) -> None:
    profile = risk_profile(deep)
    # outcome k (stopping at c_{k+1}) has probability 2^-(k+1); float underflow drops the far tail
    assert profile.outcomes[:3] == (0, 1, 2)
    assert profile.probabilities[:3] == pytest.approx((0.5, 0.25, 0.125))
    assert sum(profile.probabilities) == pytest.approx(1.0, abs=1e-12)


def test_deep_decision_chain_strategies() -> None:
    tree = decision_chain(DEEP)
    assert compile_mod.strategy_count(tree) == DEEP + 1
    policy = {f"d{k}": "go" for k in range(1, DEEP + 1)}
    assert compile_mod.reached_decisions(tree, policy) == list(policy)
    assert evaluate(tree).value == DEEP + 1


def test_strategies_of_a_chain_deeper_than_the_recursion_limit() -> None:
    depth = 1500
    tree = decision_chain(depth)
    found = list(compile_mod.iter_strategies(tree))
    assert len(found) == depth + 1
    # first: take at d1; then go at d1 and take at d2; ...; last: go everywhere
    assert found[0] == {"d1": "take"}
    assert found[1] == {"d1": "go", "d2": "take"}
    assert found[-1] == {f"d{k}": "go" for k in range(1, depth + 1)}


# ----------------------------------------------------------------------------- wide
def test_wide_chance_node_from_data_and_back() -> None:
    n = 200_000
    data = {
        "evtree": 1,
        "root": {
            "chance": "c",
            "branches": [
                {"label": f"b{i}", "probability": f"1/{n}" if i < n - 1 else "rest", "terminal": i}
                for i in range(n)
            ],
        },
    }
    tree = native.tree_from_dict(data)
    assert len(tree.root.children) == n
    assert evaluate(tree).value == pytest.approx((n - 1) / 2)  # mean of 0..n-1
    assert native.tree_to_dict(tree) == {**data, "objective": "max"}
    assert tree.copy() == tree


def test_chance_node_of_1000_decisions_counts_and_lists_strategies() -> None:
    # branch i is a decision with 3 options for i < 3, 2 options for 3 <= i < 7, else 1:
    # strategies = 3^3 * 2^4 = 432 (one choice under every branch)
    n = 1000

    def options(i: int) -> int:
        return 3 if i < 3 else 2 if i < 7 else 1

    branches = [
        Branch(
            f"b{i}",
            Decision(f"d{i}", [Branch(f"o{j}", Terminal(j)) for j in range(options(i))]),
            probability=f"1/{n}" if i < n - 1 else "rest",
        )
        for i in range(n)
    ]
    tree = DecisionTree(Chance("c", branches))
    assert compile_mod.strategy_count(tree) == 3**3 * 2**4 == 432
    found = list(compile_mod.iter_strategies(tree))
    assert len(found) == 432
    assert len({tuple(s.items()) for s in found}) == 432
    assert all(len(s) == n for s in found)
    assert found[0] == {f"d{i}": "o0" for i in range(n)}
    assert found[1]["d6"] == "o1" and found[1]["d5"] == "o0"  # the last choice changes fastest
    # value: the largest option everywhere, E = (3*2 + 4*1 + 993*0) / 1000
    assert evaluate(tree, method="exact").value == pytest.approx(10 / 1000)


def test_strategy_count_of_a_huge_product_is_exact() -> None:
    # 2,000 branches, each a two-way decision: 2^2000 strategies, counted without listing
    tree = DecisionTree(
        Chance(
            "c",
            [
                Branch(
                    f"b{i}",
                    Decision(f"d{i}", [Branch("x", Terminal(0)), Branch("y", Terminal(1))]),
                    probability="1/2000" if i < 1999 else "rest",
                )
                for i in range(2000)
            ],
        )
    )
    assert compile_mod.strategy_count(tree) == 2**2000


# ----------------------------------------------------------------------------- second method
def _reference_strategies(node: object) -> list[dict[str, str]]:
    """The recursive enumeration (a second method, for small trees)."""
    if isinstance(node, Terminal):
        return [{}]
    if isinstance(node, Decision):
        return [{node.key: c.label, **rest} for c in node.children for rest in _reference_strategies(c)]
    parts = [_reference_strategies(c) for c in node.children]
    out = []
    for combo in itertools.product(*parts):
        merged: dict[str, str] = {}
        for part in combo:
            merged.update(part)
        out.append(merged)
    return out


@st.composite
def small_trees(draw: st.DrawFn) -> DecisionTree:
    counter = itertools.count()

    def build(depth: int) -> object:
        kind = draw(st.sampled_from(["terminal", "decision", "chance"] if depth < 4 else ["terminal"]))
        if kind == "terminal":
            return Terminal(draw(st.integers(0, 9)))
        k = draw(st.integers(1, 3))
        kids = [build(depth + 1) for _ in range(k)]
        if kind == "decision":
            return Decision(f"n{next(counter)}", [Branch(f"o{j}", c) for j, c in enumerate(kids)])
        probs = [f"1/{k}"] * (k - 1) + ["rest"]
        return Chance(
            f"n{next(counter)}",
            [Branch(f"e{j}", c, probability=p) for j, (c, p) in enumerate(zip(kids, probs))],
        )

    return DecisionTree(build(0))


@settings(max_examples=60, deadline=None)
@given(small_trees())
def test_strategies_match_the_recursive_enumeration(tree: DecisionTree) -> None:
    expected = _reference_strategies(tree.root)
    found = list(compile_mod.iter_strategies(tree))
    assert found == expected  # same strategies, same order, same key order
    assert [list(s) for s in found] == [list(s) for s in expected]
    assert compile_mod.strategy_count(tree) == len(expected) == math.prod([1]) * len(expected)
    for s in found:
        assert compile_mod.reached_decisions(tree, s) == list(s)


# ----------------------------------------------------------------------------- paths
def _slash_tree() -> DecisionTree:
    # c --a/b--> (unnamed decision: x pays 1, y pays 3) ; --other--> 2
    inner = Decision(None, [Branch("x", Terminal(1)), Branch("y", Terminal(3))])
    return DecisionTree(
        Chance(
            "c", [Branch("a/b", inner, probability="1/2"), Branch("other", Terminal(2), probability="rest")]
        )
    )


def test_label_with_slash_gets_an_escaped_key_that_every_lookup_accepts() -> None:
    tree = _slash_tree()
    inner = tree.root.children[0]
    assert inner.key == "c/a\\/b"
    assert tree.node(inner.key) is inner
    result = evaluate(tree, method="exact")
    assert result.value == pytest.approx(5 / 2)  # 1/2 * 3 + 1/2 * 2
    assert result.policy == {"c/a\\/b": "y"}
    assert result.value_of(inner.key) == 3
    assert list(compile_mod.iter_strategies(tree)) == [{"c/a\\/b": "x"}, {"c/a\\/b": "y"}]
    fixed = evaluate(tree, method="exact", policy={inner.key: "x"})
    assert fixed.value == pytest.approx(3 / 2)  # 1/2 * 1 + 1/2 * 2
    assert tree.node("c/a/b") is inner  # the unescaped path, unambiguous here, is accepted too


def test_ambiguous_unescaped_path_is_refused_with_the_candidates() -> None:
    # r --a/b--> X --c--> 1   and   r --a--> Y --b/c--> 2: "r/a/b/c" could be either
    x_leaf, y_leaf = Terminal(1), Terminal(2)
    tree = DecisionTree(
        Decision(
            "r",
            [
                Branch("a/b", Decision("X", [Branch("c", x_leaf)])),
                Branch("a", Decision("Y", [Branch("b/c", y_leaf)])),
            ],
        )
    )
    assert tree.node("r/a\\/b/c") is x_leaf and tree.node("r/a/b\\/c") is y_leaf
    with pytest.raises(UnknownNameError, match="ambiguous") as err:
        tree.node("r/a/b/c")
    assert "r/a\\\\/b/c" in str(err.value) and "r/a/b\\\\/c" in str(err.value)
    with pytest.raises(UnknownNameError, match="no node"):
        tree.node("r/zz/b")


def test_labels_with_slashes_and_backslashes_round_trip() -> None:
    tree = _slash_tree()
    tree.root.children[1].label = "c:\\tmp"
    assert tree.root.children[1].path == "c/c:\\\\tmp"
    assert tree.node(tree.root.children[1].path) is tree.root.children[1]
    back = native.tree_from_dict(native.tree_to_dict(tree))
    assert back == tree and [c.label for c in back.root.children] == ["a/b", "c:\\tmp"]


def test_add_in_a_loop_builds_a_wide_node() -> None:
    # add() appends in place (no copy of the children per call): 10^5 calls stay linear
    n = 100_000
    chance = Chance("c", [])
    for i in range(n):
        chance.add(f"b{i}", Terminal(i), probability=f"1/{n}" if i < n - 1 else "rest")
    tree = DecisionTree(chance)
    assert [c.label for c in tree.root.children[:2]] == ["b0", "b1"]
    assert len(tree.root.leaves) == n
    assert evaluate(tree).value == pytest.approx((n - 1) / 2)  # the mean of 0..n-1


def test_leaves_and_descendants_of_a_deep_chain(deep: DecisionTree) -> None:
    leaves = deep.root.leaves
    assert len(leaves) == DEEP + 1  # one 'stop' terminal per level and the bottom
    assert leaves[0].name == "t1" and leaves[-1].name == "bottom"


def test_an_error_deep_in_the_data_is_located_in_one_short_line() -> None:
    from evtree.core.errors import ExpressionError

    node: dict = {"label": "go", "probability": "rest", "terminal": "1 +"}  # the bad field, 5,000 levels down
    for _ in range(4999):
        node = {
            "label": "go",
            "probability": "rest",
            "chance": None,
            "branches": [{"label": "s", "probability": "1/2", "terminal": 0}, node],
        }
    root = {k: v for k, v in node.items() if k not in ("label", "probability")}
    with pytest.raises(ExpressionError) as err:
        native.tree_from_dict({"root": root})
    text = str(err.value)
    assert "\n" not in text and len(text) < 300
    assert "root.branches[1]" in text and "...(4988 levels)..." in text and text.count(".branches[1]") == 11
    assert ".terminal)" in text and "'1 +'" in text
