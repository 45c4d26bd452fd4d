"""Claims speed (issue 12): the essays' claims against the engine before z3, a degree-4 Bayes claim,
and a dominance claim on a tree with 10^4 strategies.

The baseline is the claims engine of commit 68f5d30 (before issue 12), loaded from git history
and run in the same process on the same tree.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

from _common import Row, best_time

import evtree
from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal
from evtree.claims import Claim, check, check_claims

ROOT = Path(__file__).resolve().parent.parent
KOREA = ROOT / "trees" / "korea_talks.yaml"


def _old_engine():
    try:
        source = subprocess.run(
            ["git", "show", "68f5d30:evtree/claims.py"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    name = "evtree._claims_before_issue_12"
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "evtree"
    sys.modules[name] = module
    exec(compile(source, "evtree/claims.py@68f5d30", "exec"), module.__dict__)  # our own source, from git
    return module


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def two_test_tree():
    """Drill or sell after two conditionally independent tests (four signals; posteriors)."""
    from evtree.bayes import Test, signal_tree
    from evtree.library import TWO_TESTS, drill_or_sell

    tree = drill_or_sell()
    return tree, signal_tree(tree, Test("oil", TWO_TESTS))


def many_strategies(decisions: int = 4, options: int = 10) -> DecisionTree:
    """Return a chance node over decisions of ``options`` options each: options^decisions strategies."""
    params = [Parameter(f"x{i}", 0, low=-10, high=10) for i in range(decisions)]
    branches = []
    for i in range(decisions):
        opts = [Branch(f"o{k}", Terminal(f"{k} * x{i} / 10 - {k}")) for k in range(options)]
        branches.append(Branch(f"s{i}", Decision(f"d{i}", opts), probability=f"1/{decisions}"))
    return DecisionTree(Chance("c", branches), parameters=params)


def balanced_tree(depth: int = 5) -> DecisionTree:
    """Binary tree of 2^(depth+1) - 1 nodes, decisions and chance nodes alternating; outcomes in [-10, 10]."""
    params = []

    def build(level: int):
        if level == depth:
            name = f"t{len(params)}"
            params.append(Parameter(name, 0, low=-10, high=10))
            return Terminal(name)
        left, right = build(level + 1), build(level + 1)
        if level % 2 == 0:
            return Decision(None, [Branch("l", left), Branch("r", right)])
        name = f"p{len(params)}"
        params.append(Parameter(name, 0.5, low=0, high=1))
        return Chance(None, [Branch("l", left, probability=name), Branch("r", right, probability="rest")])

    return DecisionTree(build(0), parameters=params)


def run() -> list[Row]:
    rows = []
    tree = evtree.read_tree(KOREA)
    old = _old_engine()
    # each engine on a fresh copy of the tree (no shared caches), best of 3, the old one first
    t_old = None
    if old is not None:
        t_old, before = best_time(lambda: old.check_claims(tree.copy()), repeat=3)
    t_new, report = best_time(lambda: check_claims(tree.copy()), repeat=3)
    if old is not None:
        assert [r.verdict for r in before] == [r.verdict for r in report]
    rows.append(
        Row(
            "korea_talks.yaml: all 9 claims (z3)",
            t_new,
            "engine before issue 12 (68f5d30)",
            t_old,
            "within 2x of the old engine",
            None if t_old is None else t_new <= 2 * t_old,
        )
    )

    # the one fast path kept (bounds over the tree, on large spaces) against z3 alone
    from evtree.claims.check import _check
    from evtree.claims.context import _Context

    balanced = balanced_tree(5)
    bound = Claim.inequality("EV() >= -100")
    t_fast, fast = _timed(lambda: check(balanced, bound))
    t_z3, alone = _timed(
        lambda: _check(_Context(balanced), bound, search=False, seed=0, region=None, fast=False, timeout=5.0)
    )
    rows.append(
        Row(
            "63-node tree: EV() >= -100 (bounds over the tree)",
            t_fast,
            f"z3 alone, 5 s time-out ({alone.verdict})",
            t_z3,
            "fast path faster, same or better verdict",
            t_fast < t_z3 and fast.verdict == "proven",
        )
    )

    small, informed = two_test_tree()
    without = evtree.evaluate(small, method="symbolic").value
    with_tests = evtree.evaluate(informed, method="symbolic").value
    claim = Claim.inequality(with_tests, ">=", without, vary=["p", "s1", "s2", "v_oil"])
    t_bayes, r = _timed(lambda: check(informed, claim))
    assert r.verdict == "proven"
    rows.append(Row("two-test Bayes tree: VOI >= 0 (degree 4)", t_bayes, "", None, "under 5 s", t_bayes < 5))

    big = many_strategies()
    n = 10**4  # options ** decisions, never listed
    every = {f"d{i}": "o0" for i in range(4)}
    claim = Claim.dominance({}, every)
    # z3 alone on the nested maxima (the fast path "the tree's shape" would decide it at once)
    t_dom, r = _timed(lambda: _check(_Context(big), claim, search=False, seed=0, region=None, fast=False))
    assert r.verdict == "proven" and r.method == "z3"
    t_shape, r = _timed(lambda: check(big, claim))
    assert r.verdict == "proven"
    rows.append(
        Row(
            f"dominance on a tree with {n} strategies (z3 alone)",
            t_dom,
            "check(), fast path: the tree's shape",
            t_shape,
            "under 30 s",
            t_dom < 30,
        )
    )
    return rows
