"""Subcommands ``evaluate``, ``validate`` and ``show``."""

from __future__ import annotations

import argparse
from typing import Any

from ..core.evaluate import MAX_STRATEGIES, evaluate
from ..presentation.display import tree_unit
from ..presentation.render import evaluation_text, render_text, strategies_text
from .common import (
    add_format_options,
    add_method_options,
    add_params_option,
    add_set_option,
    add_tree_argument,
    add_utility_options,
    depth,
    emit,
    load_tree,
    method_of,
    node_count,
    parse_assignments,
    strategy_of,
    utility_of,
    with_scenarios,
)
from .convert import run_compare

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="roll back a tree: value, optimal policy, strategies")
    add_tree_argument(p)
    add_set_option(p)
    add_method_options(p)
    add_utility_options(p)
    _strategy_option(p)
    add_format_options(p)
    add_params_option(p)
    p.set_defaults(func=with_scenarios(run_evaluate))

    p = subparsers.add_parser(
        "validate",
        help="check a tree file and report every problem",
        description="Check a tree file: its structure, parameters, expressions, distributions, claims, "
        "utility and metadata. Every problem is reported in one run, one line each with file:line:column "
        "and the field (and the nearest allowed key or name for a misspelt one); exit status 2 if any.",
    )
    add_tree_argument(p)
    add_set_option(p)
    p.add_argument(
        "--compare",
        action="store_true",
        help="SilverDecisions file: recompute the values it stores and list every difference",
    )
    p.set_defaults(func=run_validate)

    p = subparsers.add_parser("show", help="draw the tree as text with values and the optimal branches")
    add_tree_argument(p)
    add_set_option(p)
    add_method_options(p)
    add_utility_options(p)
    p.add_argument("--depth", type=depth, default=None, help="collapse nodes below this depth")
    _strategy_option(p)
    p.set_defaults(func=run_show)


def _strategy_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--strategy",
        metavar="DECISION=LABEL[,...]",
        default=None,
        help="fix these choices (a strategy's name, as the tables print it); the others stay optimal",
    )


def run_evaluate(args: argparse.Namespace) -> int:
    tree, values = load_tree(args)
    policy = strategy_of(tree, args.strategy)
    result = evaluate(tree, values, method=method_of(args), utility=utility_of(args), policy=policy)
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
        decisions = table.attrs.get("decisions") or {
            c: c for c in table.columns if c not in ("value", "optimal")
        }
        # Column by column (iterrows makes a Series per row: seconds for a thousand strategies).
        # One conversion (a column read from the frame would deep-copy its attrs each time).
        matrix, where = table.to_numpy(dtype=object), {c: j for j, c in enumerate(table.columns)}
        choices = [(key, matrix[:, where[col]].tolist()) for col, key in decisions.items()]
        values, optimal = matrix[:, where["value"]].tolist(), matrix[:, where["optimal"]].tolist()
        data["strategies"] = [
            {
                "policy": {key: column[i] for key, column in choices if column[i]},
                "value": values[i],
                "optimal": bool(optimal[i]),
            }
            for i in range(len(values))
        ]
    lines = [
        evaluation_text(result),
        f"  strategies: {n}" + ("" if table is not None else f" (more than {MAX_STRATEGIES}; not listed)"),
    ]
    if table is not None and result.method == "symbolic" and not getattr(args, "csv", False):
        lines.append(strategies_text(result))  # formulas read better as a list than in a table
        table = None if not getattr(args, "json", False) else table
    emit(args, data=data, table=table, text="\n".join(lines), unit=tree_unit(tree))
    return 0


def run_validate(args: argparse.Namespace) -> int:
    """Check the file and print every problem, one line each (exit 2), or one line saying it is valid."""
    import sys

    from ..validation import validate_file

    if getattr(args, "compare", False):
        return run_compare(args)
    tree, problems = validate_file(args.file, max_bytes=getattr(args, "max_file_size", None))
    values: dict[str, Any] = {}
    if tree is not None and not problems:
        values = parse_assignments(getattr(args, "assignments", []) or [], tree)
        if values:
            tree, problems = validate_file(
                args.file, values=values, max_bytes=getattr(args, "max_file_size", None)
            )
    if problems:
        for problem in problems:
            print(f"evtree validate: error: {str(problem).splitlines()[0]}", file=sys.stderr)
        if len(problems) > 1:
            print(f"{args.file}: {len(problems)} problems", file=sys.stderr)
        return 2
    n = node_count(tree)
    print(f"{args.file}: valid ({n} nodes, {len(tree.parameters)} parameters, objective {tree.objective})")
    return 0


def run_show(args: argparse.Namespace) -> int:
    tree, values = load_tree(args)
    if tree.players or (tree.criteria and tree.criteria_objective is None):
        # a game, or criteria with nothing to decide among them: no single value to show
        # (evtree solve for games, evtree cea or --criterion for criteria)
        print(render_text(tree, None, max_depth=args.depth))
        return 0
    policy = strategy_of(tree, args.strategy)
    result = evaluate(tree, values, method=method_of(args), utility=utility_of(args), policy=policy)
    print(render_text(tree, result, max_depth=args.depth))
    return 0
