"""SilverDecisions files (issue 17): reading and writing, beside evtree's own JSON.

A synthetic tree of 6 levels alternating 2-option decisions and 3-outcome chance nodes
(345 nodes, a parameter in every terminal payoff), written and read as SilverDecisions
JSON and as evtree JSON in the same run.  Reading SilverDecisions translates every
expression from math.js and validates the probabilities (SilverDecisions refuses invalid
trees), which evtree's own reader leaves to ``validate``; writing puts the evaluated scope
on every node, as SilverDecisions needs.  Also: ``read_tree`` on evtree JSON through the
format dispatch against ``evtree.formats.native.read_tree`` directly (a 1 MB file): the
dispatch adds one substring test on the text and makes the same calls.
"""

from __future__ import annotations

import os
import tempfile

from _common import Row, best_time

import evtree
from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal
from evtree.formats import native, silverdecisions


def build(levels: int) -> DecisionTree:
    counter = iter(range(10**9))

    def node(level: int):
        k = next(counter)
        if level == levels:
            return Terminal(f"{k % 7} * v + 1")
        if level % 2 == 0:
            return Decision(f"d{k}", [Branch(f"o{i}", node(level + 1), payoff=-i) for i in range(2)])
        probs = ("1/5", "1/2", "rest")
        return Chance(f"c{k}", [Branch(f"s{i}", node(level + 1), probability=p) for i, p in enumerate(probs)])

    return DecisionTree(node(0), parameters=[Parameter("v", 2.5, low=0, high=10)])


def run() -> list[Row]:
    rows: list[Row] = []
    tree = build(6)
    n = sum(1 for _ in tree.nodes())
    t_sd_write, text_sd = best_time(lambda: silverdecisions.write_silverdecisions(tree))
    t_native_write, text_native = best_time(lambda: native.write_tree(tree, format="json"))
    rows.append(
        Row(
            f"write SilverDecisions JSON ({n} nodes)",
            t_sd_write,
            "write evtree JSON",
            t_native_write,
            "(reported)",
            None,
        )
    )
    t_sd_read, back = best_time(lambda: evtree.read_tree(text_sd))
    assert back == tree
    t_native_read, _ = best_time(lambda: native.read_tree(text_native))
    rows.append(
        Row(
            f"read SilverDecisions JSON ({n} nodes)",
            t_sd_read,
            "read evtree JSON",
            t_native_read,
            "(reported)",
            None,
        )
    )
    big = build(10)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.json")
        native.write_tree(big, path)
        size = os.path.getsize(path) / 1e6
        t_dispatch, _ = best_time(lambda: evtree.read_tree(path))
        t_direct, _ = best_time(lambda: native.read_tree(path))
    rows.append(
        Row(
            f"read_tree on evtree JSON ({size:.0f} MB), with the dispatch",
            t_dispatch,
            "native.read_tree",
            t_direct,
            "(reported; same calls)",
            None,
        )
    )
    return rows
