"""A subtree used many times, rolled back once (issue 14, item 4).

A decision over ``COPIES`` branches, each paying its own cost and leading to a
copy of one named subtree (a chance node over decisions over chance nodes,
``SIZE`` nodes, probabilities given by a parameter).  Figure: the rollback with
the subtree as one shared block (:func:`evtree.core.compile.shared_rollback`);
baseline: the same rollback over the expanded tree (``share=False``).  Both with
the compiled forms cached, as in sensitivity and PSA loops.

The row "evaluate (exact)" times :func:`evtree.evaluate` (value and policy) on
the tree with references, which rolls the subtree back once, beside the same
call on the same tree written out by hand (every copy its own nodes, no
``use``), measured in the same run.

    PYTHONPATH=. python benchmarks/run.py subtrees
"""

from __future__ import annotations

from _common import Row, best_time

from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal, Use, evaluate
from evtree.core.compile import shared_plan, shared_rollback

COPIES = 200


def subtree(width: int = 6) -> Chance:
    """Chance(width) -> Decision(3) -> Chance(width) of terminals: 1 + w + 3w + 3w^2 nodes (6: 133)."""
    branches = []
    for i in range(width):
        options = []
        for j in range(3):
            leaves = [
                Branch(f"o{k}", Terminal(i + j * k), probability="q" if k == 0 else f"(1 - q)/{width - 1}")
                for k in range(width)
            ]
            options.append(Branch(f"a{j}", Chance(None, leaves)))
        branches.append(Branch(f"s{i}", Decision(None, options), probability=f"1/{width}"))
    return Chance("market", branches)


def tree(copies: int = COPIES, *, expanded: bool = False) -> DecisionTree:
    """The plan over ``copies`` sites; ``expanded``: each site's market written out, no reference."""
    root = Decision(
        "plan",
        [Branch(f"site {c}", subtree() if expanded else Use("market"), payoff=-c) for c in range(copies)],
    )
    subtrees = {} if expanded else {"market": subtree()}
    return DecisionTree(root, parameters=[Parameter("q", "1/5", low=0, high=1)], subtrees=subtrees)


def _evaluated(t: DecisionTree) -> tuple:
    result = evaluate(t, method="exact")
    return result.value, result.policy


def run() -> list[Row]:
    t = tree()
    plan = shared_plan(t)
    rows = []
    for method in ("exact", "float"):
        shared_rollback(t, method=method)
        shared_rollback(t, method=method, share=False)  # warm both caches
        fig, a = best_time(lambda m=method: shared_rollback(t, method=m))
        base, b = best_time(lambda m=method: shared_rollback(t, method=m, share=False))
        assert a.value == b.value or abs(float(a.value) - float(b.value)) < 1e-9
        rows.append(
            Row(
                f"{method} rollback, {COPIES} copies as one block ({plan.size} nodes compiled)",
                fig,
                f"expanded ({sum(1 for _ in t.nodes())} nodes)",
                base,
                # exact arithmetic pays per node, so sharing is the gain; float rollback is
                # vectorised per level, where sharing saves nothing: reported, no goal
                "the subtree rolled back once: at least 10x faster" if method == "exact" else "(reported)",
                fig * 10 <= base if method == "exact" else None,
            )
        )
    by_hand = tree(expanded=True)
    _evaluated(t), _evaluated(by_hand)  # warm both compiled forms
    fig, a = best_time(lambda: _evaluated(t))
    base, b = best_time(lambda: _evaluated(by_hand))
    assert a == b
    rows.append(
        Row(
            f"evaluate (exact), {COPIES} copies (value and policy)",
            fig,
            "the same tree written out (no use)",
            base,
            "each copy rolled back once: at least 10x faster",
            fig * 10 <= base,
        )
    )
    return rows
