"""Text rendering of a tree, annotated with probabilities, payoffs and values.

The rows come from :class:`anytree.RenderTree`; each node shows its branch
label, probability and payoff, its rolled-back value, and a ``*`` on the
branches of the optimal policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anytree

from ..core import model
from ..core.expressions import expression_text

__all__ = ["render_text"]


def _fmt(value: Any, digits: int = 6) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _payoff_text(value: Any) -> Any:
    """Return a payoff as shown: expression text, or ``{name: text, ...}`` per criterion or player."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {expression_text(v)}" for k, v in value.items()) + "}"
    return expression_text(value)


def render_text(tree: model.DecisionTree, result: Any = None, *, max_depth: int | None = None) -> str:
    """Render the tree as text, one node per line.

    Parameters
    ----------
    tree : DecisionTree
    result : Evaluation, optional
        When given, node values are shown and the optimal branches marked ``*``.
    max_depth : int, optional
        Collapse nodes deeper than this (their subtrees are summarised).

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> from evtree import evaluate
    >>> tree = texaco_pennzoil()
    >>> print(render_text(tree, evaluate(tree)).splitlines()[0])
    [D] liedtke  = 4.6348
    """
    symbols = {"decision": "[D]", "chance": "(C)", "terminal": "<T>"}
    lines = []
    optimal = result._optimal if result is not None else None
    flat = result._flat if result is not None else None
    for pre, _fill, node in anytree.RenderTree(tree.root, style=anytree.ContStyle()):
        if max_depth is not None and node.depth > max_depth:
            continue
        parts = []
        if node.parent is not None:
            mark = ""
            if optimal is not None and isinstance(node.parent, model.Decision):
                is_opt = optimal[flat.position(node)]
                mark = "* " if bool(is_opt if getattr(is_opt, "ndim", 0) == 0 else is_opt.all()) else "  "
            parts.append(f"{mark}{node.label}")
            if node.probability is not None:
                parts.append(f"p={expression_text(node.probability)}")
            if node.branch_payoff is not None:
                parts.append(f"payoff={_payoff_text(node.branch_payoff)}")
            parts.append("->")
        parts.append(symbols[node.kind])
        if node.name is not None:
            parts.append(node.name)
        if getattr(node, "player", None) is not None:  # a game: who moves, and what they cannot tell apart
            shared = f", information set {node.information_set}" if node.information_set else ""
            parts.append(f"({node.player}{shared})")
        if isinstance(node, model.Terminal):
            parts.append(f"payoff={_payoff_text(node.payoff)}")
        if result is not None:
            parts.append(f" = {_fmt(result.value_of(node))}")
        if max_depth is not None and node.depth == max_depth and node.children:
            parts.append(f"[+{len(node.descendants)} nodes below]")
        lines.append(pre + " ".join(parts))
    return "\n".join(lines)
