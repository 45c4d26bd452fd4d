"""Subcommand ``solve``: the equilibria of a game tree."""

from __future__ import annotations

import argparse

from ..games import solve
from .common import add_method_options, add_set_option, add_tree_argument, emit, load_tree, method_of

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "solve", help="equilibria of a game: subgame perfect, Nash, perfect Bayesian (trees with players)"
    )
    add_tree_argument(p)
    add_set_option(p)
    add_method_options(p)
    p.add_argument(
        "--json", action="store_true", help="print JSON: {equilibria: [{kind, profile, payoffs, ...}]}"
    )
    p.set_defaults(func=run_solve)


def run_solve(args: argparse.Namespace) -> int:
    tree, values = load_tree(args)
    solution = solve(tree, values, method=method_of(args))
    emit(args, data=solution.to_dict(), table=None, text=str(solution))
    return 0
