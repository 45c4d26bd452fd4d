"""Text rendering of a tree and of an evaluation, with numbers written by :mod:`.display`.

    render_text       the tree, one node per line (``str(tree)``, ``evtree show``)
    evaluation_text   an evaluation's value, policy and strategies (``evtree evaluate``)

The rows of :func:`render_text` are drawn as :class:`anytree.RenderTree` draws them
(``ContStyle``), with an explicit stack so any depth works; each node
shows its branch label, probability and payoff, its rolled-back value, and a
``*`` on the branches of the optimal policy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ..core import model
from ..core.expressions import expression_text
from .display import expression_display, format_number, labelled_expression, probability_symbols, tree_unit

__all__ = ["evaluation_text", "render_text", "strategies_text"]


def _fmt(value: Any, symbols: Any = None) -> str:
    if symbols is not None:
        value = expression_display(value, symbols)
    return format_number(value, ascii=True)


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
    collect = probability_symbols(tree) if result is not None and result.method == "symbolic" else None
    lines = []
    optimal = result._optimal if result is not None else None
    flat = result._flat if result is not None else None
    note = None
    if max_depth is None and tree.root.height > TEXT_DEPTH_LIMIT:
        max_depth = TEXT_DEPTH_LIMIT
        note = (
            f"[the tree is {tree.root.height} levels deep; levels below {TEXT_DEPTH_LIMIT} are not shown "
            "(choose another depth with --depth)]"
        )
    for pre, depth, node in _rows(tree.root, max_depth):
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
        if getattr(node, "use", None) is not None:  # a copy of a named subtree
            parts.append(f"[use: {node.use}]")
        if getattr(node, "player", None) is not None:  # a game: who moves, and what they cannot tell apart
            shared = f", information set {node.information_set}" if node.information_set else ""
            parts.append(f"({node.player}{shared})")
        if isinstance(node, model.Terminal):
            parts.append(f"payoff={_payoff_text(node.payoff)}")
        if result is not None:
            parts.append(f" = {_fmt(result.value_of(node), collect)}")
            local = result.local_value_of(node)
            if bool(np.any(local != result.value_of(node))):  # payoffs above: also the value here alone
                parts.append(f"(here {_fmt(local, collect)})")
        if max_depth is not None and depth == max_depth and node.children:
            parts.append(f"[+{sum(1 for _ in model.iter_preorder(node)) - 1} nodes below]")
        lines.append(pre + " ".join(parts))
    if note:
        lines.append(note)
    return "\n".join(lines)


TEXT_DEPTH_LIMIT = model.TEXT_DEPTH


def _rows(root: model.Node, max_depth: int | None) -> Iterator[tuple[str, int, model.Node]]:
    """``(prefix, depth, node)`` in pre-order, drawn as anytree's ``ContStyle``, without recursion."""
    stack: list[tuple[model.Node, int, str, str]] = [(root, 0, "", "")]
    while stack:
        node, depth, pre, fill = stack.pop()
        yield pre, depth, node
        if max_depth is not None and depth >= max_depth:
            continue
        children = list(node.children)
        for i in range(len(children) - 1, -1, -1):
            last = i == len(children) - 1
            stack.append(
                (
                    children[i],
                    depth + 1,
                    fill + ("└── " if last else "├── "),
                    fill + ("    " if last else "│   "),
                )
            )


def evaluation_text(result: Any, *, width: int | None = None) -> str:
    """Return an evaluation as text: value (with the tree's unit), policy and ties.

    Numbers are written as :func:`~evtree.presentation.display.number_text` does
    (an exact value as its fraction and decimal); a symbolic value is collected
    by the tree's branch probabilities and wrapped to ``width`` (the terminal's
    by default), followed by its value at the defaults.

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> from evtree import evaluate
    >>> print(evaluation_text(evaluate(texaco_pennzoil(), method="exact")).splitlines()[1])
      expected value: 11587/2500 = 4.6348 billion USD
    """
    tree = result.tree
    unit = tree_unit(tree)
    label = "certainty equivalent" if result.utility is not None else "expected value"
    lines = [f"{tree.name or 'tree'} ({result.method} arithmetic)"]
    if result.method == "symbolic":
        shown = format_number(expression_display(result.value, probability_symbols(tree)), ascii=True)
        lines.append(labelled_expression(f"  {label}: ", shown, width))
        if result._base is not None:
            at = format_number(result._base.value, exact="both", ascii=True, unit=unit)
            lines.append(f"  at the default parameters: {at}")
    else:
        lines.append(f"  {label}: {format_number(result.value, exact='both', ascii=True, unit=unit)}")
    fixed = result.policy_fixed or {}
    for k, v in result.policy.items():
        tie = f"  (tied: {', '.join(result.ties[k])})" if k in result.ties else ""
        lines.append(f"  {k}: {v}{tie}" + ("  (fixed)" if k in fixed else ""))
    return "\n".join(lines)


def strategies_text(result: Any, *, width: int | None = None) -> str:
    """Return every strategy of a symbolic evaluation as a list: its name, then its value, collected.

    ``*`` marks the optimal strategies (at the defaults).
    """
    from ..core.evaluate import strategies, strategy_name

    width = width or _width()
    symbols = probability_symbols(result.tree)
    table = result.strategies
    lines = []
    for i, (policy, (_, row)) in enumerate(zip(strategies(result.tree), table.iterrows()), start=1):
        mark = "*" if bool(row.get("optimal", False)) else " "
        lines.append(f"{mark}{i:>3}  {strategy_name(policy)}")
        shown = format_number(expression_display(row["value"], symbols), ascii=True)
        lines.append(labelled_expression("       = ", shown, width))
    return "\n".join(lines)


def _width() -> int:
    import shutil

    return shutil.get_terminal_size((100, 24)).columns
