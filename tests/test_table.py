"""Trees built from a table of nodes (evtree.core.table): same trees, same values, nodes made lazily."""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import trees

import evtree
from evtree import Branch, Chance, Decision, DecisionTree, ModelError, Parameter, Terminal
from evtree.core import model
from evtree.core.table import FloatColumn, tree_from_table


def _rows(tree: DecisionTree, *, shuffle: random.Random | None = None) -> dict[str, list]:
    """The tree's nodes as table rows, pre-order (optionally shuffled, siblings kept in order)."""
    nodes = list(tree.nodes())
    order = list(range(len(nodes)))
    if shuffle is not None:
        # any order of rows, as long as siblings keep their relative order
        keyed = sorted(order, key=lambda i: shuffle.random())
        by_parent: dict[int, list[int]] = {}
        for i in order:
            parent = nodes[i].parent
            by_parent.setdefault(id(parent), []).append(i)
        queues = {k: iter(v) for k, v in by_parent.items()}
        placed = [next(queues[id(nodes[i].parent)]) for i in keyed]
        order = placed
    position = {id(nodes[i]): row for row, i in enumerate(order)}
    cols: dict[str, list] = {
        k: [] for k in ("parent", "kind", "label", "name", "probability", "payoff", "terminal")
    }
    for i in order:
        n = nodes[i]
        cols["parent"].append(-1 if n.parent is None else position[id(n.parent)])
        cols["kind"].append(n.kind)
        cols["label"].append(n.label)
        cols["name"].append(n.name)
        cols["probability"].append(n.probability)
        cols["payoff"].append(n.branch_payoff)
        cols["terminal"].append(n.payoff if isinstance(n, Terminal) else None)
    return cols


def _coin() -> dict[str, list]:
    return {
        "parent": [-1, 0, 0, 2, 2],
        "kind": ["decision", "terminal", "chance", "terminal", "terminal"],
        "label": [None, "sure", "gamble", "win", "lose"],
        "name": ["choice", None, "coin", None, None],
        "probability": [None, None, None, "p", "rest"],
        "terminal": [None, 40, None, 100, 0],
    }


# ----------------------------------------------------------------------------- values
def test_hand_worked_example_without_making_nodes():
    # max(40, p*100 + (1-p)*0) at p = 1/2 is 50 (gamble); at p = 3/10 it is 40 (sure).
    tree = tree_from_table(_coin(), parameters=[Parameter("p", "1/2", low=0, high=1)])
    assert evtree.evaluate(tree, method="exact").value == 50
    assert evtree.evaluate(tree, {"p": 0.3}).value == pytest.approx(40)
    assert str(evtree.evaluate(tree, method="symbolic").value) == "Max(40, 100*p)"
    assert tree.table is not None  # evaluating made no node object
    assert tree.size == 5 and "5 nodes" in repr(tree) and tree.table is not None


@settings(max_examples=40, deadline=None)
@given(trees(max_depth=4, with_parameters=True), st.integers(0, 2**32 - 1))
def test_table_tree_equals_node_tree(tree, seed):
    cols = _rows(tree, shuffle=random.Random(seed))
    built = tree_from_table(cols, parameters=list(tree.parameters.values()), objective=tree.objective)
    # values first, from the columns (a second compile path: the node tree compiles from nodes)
    for method in ("float", "exact"):
        got, want = evtree.evaluate(built, method=method).value, evtree.evaluate(tree, method=method).value
        assert got == pytest.approx(want) if method == "float" else got == want
    assert built.table is not None
    assert built == tree  # makes the nodes: same shape, order and fields
    assert built.table is None
    assert evtree.evaluate(built, method="exact").policy == evtree.evaluate(tree, method="exact").policy


def test_numpy_and_dataframe_columns_with_nan_for_missing():
    frame = pd.DataFrame(
        {
            "parent": [np.nan, 0, 0, 2, 2],
            "kind": ["decision", "terminal", "chance", "terminal", "terminal"],
            "label": [None, "sure", "gamble", "win", "lose"],
            "probability": [np.nan, np.nan, np.nan, 0.25, 0.75],
            "terminal": [np.nan, 30.0, np.nan, 100.0, 0.0],
        }
    )
    tree = tree_from_table(frame)
    assert isinstance(tree.table.probability, FloatColumn)
    assert evtree.evaluate(tree).value == pytest.approx(30.0)  # 0.25*100 = 25 < 30
    assert evtree.evaluate(tree).policy == {"root": "sure"}
    assert tree.root.branch("gamble").branch("win").probability == 0.25
    assert tree.root.branch("sure").probability is None


def test_rows_in_any_order_siblings_in_row_order():
    # the same coin tree, rows reversed; the root's branches are rows 4 (sure) then 2 (gamble)
    cols = {
        "parent": [2, 2, 4, 4, -1],
        "kind": ["terminal", "terminal", "chance", "terminal", "decision"],
        "label": ["win", "lose", "gamble", "sure", None],
        "probability": [0.5, 0.5, None, None, None],
        "terminal": [100, 0, None, 40, None],
    }
    tree = tree_from_table(cols)
    assert [c.label for c in tree.root.children] == ["gamble", "sure"]
    assert evtree.evaluate(tree).value == 50


def test_nodes_made_once_then_an_ordinary_tree():
    tree = tree_from_table(_coin(), parameters=[Parameter("p", "1/2")])
    first = evtree.evaluate(tree, method="exact")
    root = tree.root
    assert tree.table is None and root is tree.root  # made once
    assert first.value == 50
    tree.node("coin").branch("win").payoff = 60  # an edit: recompiled from the nodes
    assert evtree.evaluate(tree, method="exact").value == 40
    copy = tree_from_table(_coin(), parameters=[Parameter("p", "1/2")]).copy()
    assert copy.table is not None  # a copy shares the (never edited) columns


def test_problems_are_reported_with_paths():
    cols = _coin()
    cols["probability"] = [None, None, None, "p", None]  # the 'lose' branch has none
    tree = tree_from_table(cols, parameters=[Parameter("p", "1/2")])
    problems = tree.problems()
    assert [(p.node, p.field) for p in problems] == [("choice/gamble/lose", "probability")]


def test_extra_fields_events_and_utilities():
    cols = _coin()
    cols["event"] = [None, None, "toss", None, None]
    cols["utility"] = [None, 0.5, None, 1.0, 0.0]
    tree = tree_from_table(cols, parameters=[Parameter("p", "1/4")])
    assert tree.has_terminal_utilities
    assert [n.key for n in tree.events["toss"]] == ["coin"]
    # expected utility: sure 0.5 against 1/4 * 1 = 0.25
    assert evtree.evaluate(tree, method="exact").policy == {"choice": "sure"}


# ----------------------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("change", "message", "field"),
    [
        (
            {"kind": ["decision", "terminal", "chanse", "terminal", "terminal"]},
            "row 2: unknown kind 'chanse'; did you mean 'chance'?",
            "kind",
        ),
        ({"parent": [-1, 0, -1, 2, 2]}, "exactly one root", "parent"),
        ({"parent": [-1, 0, 0, 7, 2]}, "row 3: parent 7 is not a row", "parent"),
        ({"parent": [-1, 0, 0, 1, 2]}, "row 3: its parent, row 1, is a terminal", "parent"),
        (
            {"parent": [-1, 0, 3, 2, 2], "kind": ["decision", "terminal", "chance", "chance", "terminal"]},
            "row 2 is not below the root: the parents form a loop",
            "parent",
        ),
        ({"parent": [-1, 0, 0, "two", 2]}, "row 3: the parent must be a row number", "parent"),
        ({"probability": [None, None, None, "p +", "rest"]}, "row 3:", "probability"),
        ({"terminal": [None, 40, None, math.inf, 0]}, "row 3:", "terminal"),
        ({"terminal": [5, 40, None, 100, 0]}, "row 0: only a terminal has a terminal payoff", "terminal"),
        ({"label": [None, "sure", ["g"], "win", "lose"]}, "row 2: a label must be text", "label"),
        ({"name": ["choice", None, "  ", None, None]}, "row 2: a node name must be non-empty text", "name"),
        (
            {"probabilty": [None] * 5},
            "unknown column 'probabilty'; did you mean 'probability'?",
            "probabilty",
        ),
        ({"label": ["x"]}, "column 'label' has 1 rows, 'parent' has 5", "label"),
    ],
)
def test_bad_tables_are_refused_naming_row_and_column(change, message, field):
    cols = {**_coin(), **change}
    with pytest.raises(ModelError) as info:
        tree_from_table(cols, parameters=[Parameter("p", "1/2")])
    assert message in str(info.value)
    assert info.value.field == field


def test_a_bad_quantity_names_the_nodes_path():
    cols = {**_coin(), "probability": [None, None, None, "sqrt(", "rest"]}
    with pytest.raises(ModelError) as info:
        tree_from_table(cols)
    assert info.value.node == "choice/gamble/win"


def test_table_without_required_columns():
    with pytest.raises(ModelError, match="needs the column kind"):
        tree_from_table({"parent": [-1]})
    with pytest.raises(ModelError, match="mapping of columns or a DataFrame"):
        tree_from_table([[-1, "terminal"]])


# ----------------------------------------------------------------------------- scale
def test_a_wide_table_tree_evaluates_from_columns_alone():
    # 1 decision over 20,000 chance nodes of two outcomes each: value max_i (a_i + b_i) / 2
    rng = np.random.default_rng(5)
    m = 20_000
    a, b = rng.uniform(0, 10, m), rng.uniform(0, 10, m)
    parent = np.concatenate([[-1], np.zeros(m, dtype=int), np.repeat(np.arange(1, m + 1), 2)])
    kind = np.array(["decision"] + ["chance"] * m + ["terminal"] * (2 * m), dtype=object)
    label = np.array([None] + [f"x{i}" for i in range(m)] + ["h", "t"] * m, dtype=object)
    probability = np.concatenate([np.full(m + 1, np.nan), np.full(2 * m, 0.5)])
    terminal = np.concatenate([np.full(m + 1, np.nan), np.column_stack([a, b]).ravel()])
    tree = tree_from_table(
        {"parent": parent, "kind": kind, "label": label, "probability": probability, "terminal": terminal}
    )
    result = evtree.evaluate(tree)
    assert result.value == pytest.approx(float(np.max((a + b) / 2)))
    assert tree.table is not None


def test_model_module_has_no_cycle():
    # DecisionTree recognises a NodeTable without importing evtree.core.table at import time
    assert "NodeTable" not in vars(model)
    tree = DecisionTree(
        Decision(
            "d",
            [
                Branch("a", Terminal(1)),
                Branch(
                    "b",
                    Chance(
                        "c",
                        [
                            Branch("x", Terminal(2), probability=0.5),
                            Branch("y", Terminal(0), probability=0.5),
                        ],
                    ),
                ),
            ],
        )
    )
    assert evtree.evaluate(tree).value == 1


def test_numbers_keep_their_type_ints_exact_and_numpy_scalars_plain():
    # an int stays an int (exact arithmetic reads 1/3 of 10**20 + 1 exactly), a numpy scalar
    # in a list becomes a Python number, and an int beyond the float range is refused
    big = 10**20 + 1
    cols = {
        "parent": [-1, 0, 0],
        "kind": ["chance", "terminal", "terminal"],
        "label": [None, "a", "b"],
        "probability": [None, np.float64(0.25), "rest"],
        "terminal": [None, big, np.int64(3)],
    }
    tree = tree_from_table(cols)
    assert evtree.evaluate(tree, method="exact").value == sympy.Rational(big + 9, 4)  # 1/4 big + 3/4 * 3
    assert type(tree.root.children[0].probability) is float and type(tree.root.children[1].payoff) is int
    with pytest.raises(ModelError, match="row 1:.*too large"):
        tree_from_table({**cols, "terminal": [None, 10**400, 3]})
