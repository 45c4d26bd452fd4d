"""Subcommands ``evaluate``, ``validate`` and ``show``."""

from __future__ import annotations

import argparse

from ..core.evaluate import MAX_STRATEGIES, evaluate
from ..presentation.render import render_text
from .common import (
    add_format_options,
    add_method_options,
    add_set_option,
    add_tree_argument,
    add_utility_options,
    emit,
    load_tree,
    method_of,
    utility_of,
)

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="roll back a tree: value, optimal policy, strategies")
    add_tree_argument(p)
    add_set_option(p)
    add_method_options(p)
    add_utility_options(p)
    add_format_options(p)
    p.set_defaults(func=run_evaluate)

    p = subparsers.add_parser("validate", help="check a tree file and report every problem")
    add_tree_argument(p)
    add_set_option(p)
    p.set_defaults(func=run_validate)

    p = subparsers.add_parser("show", help="draw the tree as text with values and the optimal branches")
    add_tree_argument(p)
    add_set_option(p)
    add_method_options(p)
    add_utility_options(p)
    p.add_argument("--depth", type=int, default=None, help="collapse nodes below this depth")
    p.set_defaults(func=run_show)


def run_evaluate(args: argparse.Namespace) -> int:
    tree, values = load_tree(args)
    result = evaluate(tree, values, method=method_of(args), utility=utility_of(args))
    n = result.n_strategies
    table = result.strategies if n <= MAX_STRATEGIES else None
    data = {
        "tree": tree.name,
        "method": result.method,
        "value": result.value,
        "policy": result.policy,
        "ties": {k: list(v) for k, v in result.ties.items()},
        "n_strategies": n,
        "parameters": {k: result.parameters[k] for k in tree.parameters},
    }
    if table is not None:
        keys = [c for c in table.columns if c not in ("value", "optimal")]
        data["strategies"] = [
            {
                "policy": {k: row[k] for k in keys if row[k]},
                "value": row["value"],
                "optimal": bool(row["optimal"]),
            }
            for _, row in table.iterrows()
        ]
    lines = [
        result.summary(),
        f"  strategies: {n}" + ("" if table is not None else f" (more than {MAX_STRATEGIES}; not listed)"),
    ]
    emit(args, data=data, table=table, text="\n".join(lines))
    return 0


def run_validate(args: argparse.Namespace) -> int:
    tree, values = load_tree(args)
    if values:
        tree = tree.with_parameters(**values)
    tree.validate()
    n = sum(1 for _ in tree.nodes())
    print(f"{args.file}: valid ({n} nodes, {len(tree.parameters)} parameters, objective {tree.objective})")
    return 0


def run_show(args: argparse.Namespace) -> int:
    tree, values = load_tree(args)
    if tree.component_names:  # criteria or players: no single value to show (evtree solve for games)
        print(render_text(tree, None, max_depth=args.depth))
        return 0
    result = evaluate(tree, values, method=method_of(args), utility=utility_of(args))
    print(render_text(tree, result, max_depth=args.depth))
    return 0
