"""Core speed (issue 2): building, loading and rolling back a 1,679,616-terminal tree.

The synthetic tree has 16 levels alternating 2-option decisions and 3-outcome
chance nodes (0.2/0.5/0.3) with seeded random terminal payoffs.  Baselines are
measured in the same run: a hand-written numpy rollback over level arrays, a
plain recursive rollback over anytree nodes, and a naive anytree build.
"""

from __future__ import annotations

import gc
import os
import tempfile
import time

import anytree
import numpy as np
from _common import Row, best_time

import evtree
from evtree import Branch, Chance, Decision, DecisionTree, Terminal

LEVELS = 16
PROBS = (0.2, 0.5, 0.3)
N_TERMINALS = 6 ** (LEVELS // 2)


def payoffs() -> np.ndarray:
    return np.random.default_rng(20261122).uniform(0, 100, N_TERMINALS)


def build_api(values: np.ndarray) -> DecisionTree:
    it = iter(values.tolist())
    counter = iter(range(10**9))

    def node(level: int):
        if level == LEVELS:
            return Terminal(next(it))
        k = next(counter)
        if level % 2 == 0:
            return Decision(f"d{k}", [Branch(f"o{i}", node(level + 1)) for i in range(2)])
        return Chance(f"c{k}", [Branch(f"s{i}", node(level + 1), probability=p) for i, p in enumerate(PROBS)])

    return DecisionTree(node(0), name="synthetic")


def build_table(values: np.ndarray) -> DecisionTree:
    """The same tree through :func:`evtree.tree_from_table`: one row per node, as numpy columns.

    Rows are in breadth-first order; node ``i`` is named ``d{i}`` or ``c{i}``
    (the node-by-node build numbers nodes in pre-order instead: the names
    differ, the tree does not).
    """
    sizes = [1]
    for level in range(LEVELS):
        sizes.append(sizes[-1] * (2 if level % 2 == 0 else 3))
    internal = sum(sizes[:-1])
    widths = [2 if level % 2 == 0 else 3 for level in range(LEVELS)]
    parent = np.concatenate([[-1], np.repeat(np.arange(internal), np.repeat(widths, sizes[:-1]))])
    kinds = np.array(["decision", "chance"] * (LEVELS // 2) + ["terminal"])
    kind = np.repeat(kinds.astype(object), sizes)  # shared strings: 8 bytes a row
    options = {2: np.array(["o0", "o1"], dtype=object), 3: np.array(["s0", "s1", "s2"], dtype=object)}
    label = np.concatenate(
        [np.array([None], dtype=object)] + [np.tile(options[w], s) for w, s in zip(widths, sizes)]
    )
    probability = np.concatenate(
        [[np.nan]] + [np.tile([np.nan] * 2 if w == 2 else PROBS, s) for w, s in zip(widths, sizes)]
    )
    name = [f"{'d' if kind_ == 'decision' else 'c'}{i}" for i, kind_ in enumerate(kind[:internal].tolist())]
    name += [None] * sizes[-1]
    terminal = np.concatenate([np.full(internal, np.nan), values])
    columns = {
        "parent": parent,
        "kind": kind,
        "label": label,
        "name": name,
        "probability": probability,
        "terminal": terminal,
    }
    return evtree.tree_from_table(columns, name="synthetic")


def build_naive_anytree(values: np.ndarray) -> anytree.Node:
    it = iter(values.tolist())

    def node(level: int, parent=None):
        if level == LEVELS:
            return anytree.Node("t", parent=parent, kind="terminal", payoff=next(it))
        kind = "decision" if level % 2 == 0 else "chance"
        n = anytree.Node(kind[0], parent=parent, kind=kind)
        for i in range(2 if kind == "decision" else 3):
            child = node(level + 1, n)
            if kind == "chance":
                child.probability = PROBS[i]
        return n

    return node(0)


def rollback_numpy(values: np.ndarray) -> float:
    """Hand-written rollback over level arrays: terminals are in breadth-first order."""
    v = values
    probs = np.array(PROBS)
    for level in range(LEVELS - 1, -1, -1):
        if level % 2 == 1:
            v = v.reshape(-1, 3) @ probs
        else:
            v = v.reshape(-1, 2).max(axis=1)
    return float(v[0])


def rollback_recursive(node) -> float:
    if isinstance(node, Terminal):
        return node.payoff
    if isinstance(node, Decision):
        return max(rollback_recursive(c) for c in node.children)
    return sum(c.probability * rollback_recursive(c) for c in node.children)


def run() -> list[Row]:
    rows: list[Row] = []
    values = payoffs()
    hand_value = rollback_numpy(values)

    t_naive_build = _once(lambda: build_naive_anytree(values))
    t_api_plain = _once(lambda: build_api(values))
    with evtree.building():
        t_api, tree = _timed(lambda: build_api(values))
    rows.append(
        Row(
            "build via API (gc on)",
            t_api_plain,
            "naive anytree build",
            t_naive_build,
            "< 15 s",
            t_api_plain < 15,
        )
    )
    rows.append(
        Row(
            "build via API in evtree.building()",
            t_api,
            "naive anytree build",
            t_naive_build,
            "< 15 s",
            t_api < 15,
        )
    )

    t_compile, _ = _timed(lambda: evtree.compile.compile_tree(tree))
    rows.append(Row("compile to flat arrays (once, cached)", t_compile, "-", None, "(reported)", None))
    t_first, first = _timed(lambda: evtree.evaluate(tree))
    assert abs(first.value - hand_value) < 1e-9 * abs(hand_value), (first.value, hand_value)
    t_hand, _ = best_time(lambda: rollback_numpy(values), repeat=5)
    t_eval, result = best_time(lambda: evtree.evaluate(tree), repeat=5)
    rows.append(
        Row(
            "first float evaluate (checks probabilities)",
            t_first,
            "hand numpy rollback",
            t_hand,
            "(reported)",
            None,
        )
    )
    rows.append(
        Row(
            "float rollback (evaluate)",
            t_eval,
            "hand numpy rollback",
            t_hand,
            "within 3x of hand numpy",
            t_eval <= 3 * t_hand,
        )
    )
    t_policy, _ = best_time(lambda: evtree.evaluate(tree).policy, repeat=1)
    rows.append(
        Row(
            "evaluate + optimal choice at 559,872 decisions",
            t_policy,
            "hand numpy rollback",
            t_hand,
            "(reported)",
            None,
        )
    )

    sys_limit = __import__("sys").getrecursionlimit()
    t_rec = _once(lambda: rollback_recursive(tree.root))
    rows.append(
        Row(
            "plain recursive rollback over anytree nodes",
            t_rec,
            "evtree float rollback",
            t_eval,
            ">= 20x slower than evtree",
            t_rec >= 20 * t_eval,
        )
    )
    assert sys_limit

    rows.extend(_one_shot_rows(hand_value, t_hand))
    rows.extend(load_once_rows())

    korea = evtree.read_tree(os.path.join(os.path.dirname(__file__), "..", "trees", "korea_talks.yaml"))
    t_sym, table = _timed(lambda: evtree.evaluate(korea, method="symbolic").strategies)
    assert len(table) == 9
    t_float_table = _once(lambda: evtree.evaluate(korea).strategies)
    rows.append(
        Row(
            "essays' tree: symbolic values of all 9 strategies",
            t_sym,
            "same in float",
            t_float_table,
            "< 1 s",
            t_sym < 1,
        )
    )
    return rows


def _timed(fn):
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _once(fn) -> float:
    t, out = _timed(fn)
    del out
    gc.collect()
    return t


#: pyAgrum's figures for the same problem as an influence diagram, as published in issue 11
#: (build and solve 2.3 s, 195 MB); used when pyAgrum is not installed (it is not a dependency).
PYAGRUM_PUBLISHED_SECONDS = 2.3

_ONE_SHOT = """
import json, sys, time
sys.path.insert(0, {here!r})
import bench_core, evtree
values = bench_core.payoffs()
start = time.perf_counter()
with evtree.building():
    tree = bench_core.{builder}(values)
value = evtree.evaluate(tree).value
seconds = time.perf_counter() - start
# VmHWM is this process's own peak; ru_maxrss would carry over the parent's peak across exec.
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({{"seconds": seconds, "value": value, "peak_mb": peak / 1024}}))
"""

_PYAGRUM = """
import json, sys, time
sys.path.insert(0, {here!r})
import bench_core
values = bench_core.payoffs()
start = time.perf_counter()
value = bench_core.solve_with_pyagrum(values)
seconds = time.perf_counter() - start
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({{"seconds": seconds, "value": value, "peak_mb": peak / 1024}}))
"""


def solve_with_pyagrum(values: np.ndarray) -> float:
    """The same problem as an influence diagram, solved by pyAgrum (LIMID, no-forgetting).

    Sixteen variables alternate 2-option decisions and 3-outcome chance nodes,
    each known before the next move; one utility node over all sixteen holds
    the terminal payoffs (pyAgrum fills a table with its first variable
    varying fastest, so the payoff array's axes are reversed).
    """
    import pyagrum as gum

    diagram = gum.InfluenceDiagram()
    names = [f"x{i}" for i in range(LEVELS)]
    for i, name in enumerate(names):
        variable = gum.LabelizedVariable(name, name, 2 if i % 2 == 0 else 3)
        (diagram.addDecisionNode if i % 2 == 0 else diagram.addChanceNode)(variable)
        if i:
            diagram.addArc(names[i - 1], name)
    for name in names[1::2]:
        cpt = diagram.cpt(name)
        cpt.fillWith(list(PROBS) * (cpt.domainSize() // 3))
    diagram.addUtilityNode(gum.LabelizedVariable("u", "u", 1))
    for name in names:
        diagram.addArc(name, "u")
    table = diagram.utility("u")
    axes = [int(n[1:]) for n in table.names if n != "u"]
    payoff = values.reshape([2 if i % 2 == 0 else 3 for i in range(LEVELS)])
    table.fillWith(np.transpose(payoff, list(reversed(axes))).ravel().tolist())
    inference = gum.ShaferShenoyLIMIDInference(diagram)
    inference.addNoForgettingAssumption(names[0::2])
    inference.makeInference()
    return float(inference.MEU()["mean"])


def _fresh(script: str) -> dict:
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _one_shot_rows(hand_value: float, t_hand: float) -> list[Row]:
    """Issue 11, item 4: build and evaluate once, each in a fresh process (time, peak memory)."""
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    if importlib.util.find_spec("pyagrum") is not None:
        agrum = _fresh(_PYAGRUM.format(here=here))
        assert abs(agrum["value"] - hand_value) < 1e-9 * abs(hand_value)
        base_label, base = f"pyAgrum in this run ({agrum['peak_mb']:.0f} MB)", agrum["seconds"]
    else:
        base_label, base = "pyAgrum, published (195 MB)", PYAGRUM_PUBLISHED_SECONDS
    rows = []
    for builder, what in (("build_table", "tree_from_table"), ("build_api", "node by node")):
        data = _fresh(_ONE_SHOT.format(here=here, builder=builder))
        assert abs(data["value"] - hand_value) < 1e-9 * abs(hand_value)
        seconds, peak = data["seconds"], data["peak_mb"]
        rows.append(
            Row(
                f"build ({what}) + evaluate once, peak {peak:.0f} MB",
                seconds,
                base_label,
                base,
                "< 5 s and < 600 MB",
                seconds < 5 and peak < 600,
            )
        )
        rows.append(
            Row(
                "  the same, against the numpy floor",
                seconds,
                "hand numpy rollback",
                t_hand,
                "(reported)",
                None,
            )
        )
    return rows


_LOAD_ONCE = """
import json, sys, time
import evtree
path = {path!r}
start = time.perf_counter()
tree = evtree.read_tree(path, max_bytes=2**31)
value = evtree.evaluate(tree).value
seconds = time.perf_counter() - start
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
table = tree.table is not None
print(json.dumps({{"seconds": seconds, "value": value, "peak_mb": peak / 1024, "table": table}}))
"""


def load_once_rows() -> list[Row]:
    """Issue 11, item 4 (the file half): read the tree from JSON and evaluate it once, in a fresh process.

    The file is written from the table build; the time runs from ``read_tree`` to the
    value (the interpreter and ``import evtree`` excluded, as in the API row).
    """
    import json
    import subprocess
    import sys

    values = payoffs()
    hand_value = rollback_numpy(values)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.json")
        evtree.write_tree(build_table(values), path)
        size_mb = os.path.getsize(path) / 1e6
        gc.collect()
        out = subprocess.run(
            [sys.executable, "-c", _LOAD_ONCE.format(path=path)], capture_output=True, text=True, check=True
        )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert abs(data["value"] - hand_value) < 1e-9 * abs(hand_value), (data["value"], hand_value)
    assert data["table"], "the file was read node by node"
    seconds, peak = data["seconds"], data["peak_mb"]
    return [
        Row(
            f"read {size_mb:.0f} MB JSON + evaluate once (peak {peak:.0f} MB)",
            seconds,
            "pyAgrum, published (195 MB)",
            PYAGRUM_PUBLISHED_SECONDS,
            "< 5 s",
            seconds < 5,
        )
    ]
