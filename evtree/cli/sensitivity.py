"""Subcommands ``sensitivity``, ``threshold``, ``tornado`` and ``twoway``."""

from __future__ import annotations

import argparse

from ..core.errors import EvtreeError
from ..presentation.display import note_lines
from .common import (
    CommandError,
    add_format_options,
    add_params_option,
    add_set_option,
    add_tree_argument,
    count,
    emit,
    load_tree,
    save_figure,
    with_scenarios,
)

__all__ = ["register"]


def _plot_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plot", metavar="FILE", help="also draw the result to FILE (.png, .svg or .pdf)")


def _mode_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--probability-mode",
        choices=("auto", "rest", "proportional"),
        default="auto",
        help="how siblings of a varied branch probability keep the sum at 1 "
        "(auto: the 'rest' branch absorbs if there is one, else the others rescale in proportion)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sensitivity", help="one-way sweep: every strategy's value as one parameter varies"
    )
    add_tree_argument(p)
    p.add_argument("--param", required=True, metavar="NAME", help="the parameter to vary")
    p.add_argument(
        "--range", nargs=2, metavar=("LOW", "HIGH"), help="range (default: the parameter's bounds)"
    )
    p.add_argument("--points", type=count, default=21, metavar="N", help="number of points (default 21)")
    add_set_option(p)
    _mode_option(p)
    add_format_options(p)
    _plot_option(p)
    add_params_option(p)
    p.set_defaults(func=with_scenarios(run_sensitivity))

    p = subparsers.add_parser("threshold", help="exact points where the optimal strategy changes")
    add_tree_argument(p)
    p.add_argument("--param", required=True, metavar="NAME", help="the parameter to vary")
    p.add_argument(
        "--range", nargs=2, metavar=("LOW", "HIGH"), help="range (default: the parameter's bounds)"
    )
    add_set_option(p)
    _mode_option(p)
    add_format_options(p)
    p.set_defaults(func=run_threshold)

    p = subparsers.add_parser("tornado", help="each parameter at its low and high bound, sorted by swing")
    add_tree_argument(p)
    p.add_argument(
        "--strategy",
        metavar="NAME",
        action="append",
        help="draw for this strategy (repeatable; 'all' for the root and every strategy)",
    )
    add_set_option(p)
    add_format_options(p)
    _plot_option(p)
    p.set_defaults(func=run_tornado)

    p = subparsers.add_parser("twoway", help="where each strategy is optimal over two parameters")
    add_tree_argument(p)
    p.add_argument("--params", nargs=2, required=True, metavar=("A", "B"), help="the two parameters")
    p.add_argument("--points", type=count, default=51, metavar="N", help="grid points per axis (default 51)")
    add_set_option(p)
    add_format_options(p)
    _plot_option(p)
    p.set_defaults(func=run_twoway)


def _range(args: argparse.Namespace) -> tuple[str, str] | None:
    """Return the ``--range`` ends, each checked to be a constant (read by the whitelist parser)."""
    if not args.range:
        return None
    from ..core.expressions import exact_number

    for text in args.range:
        try:
            exact_number(text)
        except EvtreeError as err:
            raise CommandError(f"--range {text!r}: {str(err).splitlines()[0]}") from None
    return tuple(args.range)


def _points(n: int) -> int:
    if n < 2:
        raise CommandError(f"--points must be at least 2, got {n}")
    return n


def run_sensitivity(args: argparse.Namespace) -> int:
    from ..sensitivity import one_way

    tree, values = load_tree(args)
    result = one_way(
        tree,
        args.param,
        range=_range(args),
        points=_points(args.points),
        values=values,
        probability_mode=args.probability_mode,
    )
    text = [
        f"One-way sensitivity of {tree.name or args.file} to {args.param} "
        f"over [{result.range[0]}, {result.range[1]}]"
    ]
    text += note_lines(result.note)
    text.append(result.thresholds.summary())
    data = {
        "parameter": args.param,
        "range": [str(result.range[0]), str(result.range[1])],
        "note": result.note,
        "thresholds": [t.to_dict() for t in result.thresholds],
        "points": result.to_frame(),
        "strategies": dict(result.strategy_names),
    }
    if args.plot:
        save_figure(result.plot().figure, args.plot, args=args)
        text.append(f"  plot written to {args.plot}")
    frame = result.to_frame()  # strategies named decision=label (docs/output.md)
    table = frame if getattr(args, "csv", False) else frame[[args.param, "value", "optimal"]]
    emit(args, data=data, table=table.set_index(args.param), text="\n".join(text))
    return 0


def run_threshold(args: argparse.Namespace) -> int:
    from ..sensitivity import thresholds

    tree, values = load_tree(args)
    result = thresholds(
        tree, args.param, range=_range(args), values=values, probability_mode=args.probability_mode
    )
    data = {
        "parameter": args.param,
        "range": [str(result.range[0]), str(result.range[1])],
        "note": result.note,
        "optimal_at_low": result.optimal_at_low,
        "strategy_at_low": result.strategy_at_low,
        "verified": result.verified,
        "thresholds": [t.to_dict() for t in result.thresholds],
    }
    text = "\n".join([result.summary(), *note_lines(result.note)])
    emit(args, data=data, table=result.to_frame() if getattr(args, "csv", False) else None, text=text)
    return 0


def run_tornado(args: argparse.Namespace) -> int:
    from ..sensitivity import tornado

    tree, values = load_tree(args)
    wanted = args.strategy
    strategy = None if not wanted else ("all" if "all" in wanted else wanted)
    result = tornado(tree, strategy=strategy, values=values)
    text = "\n".join([f"Tornado for {tree.name or args.file}", *note_lines(result.note)])
    if args.plot:
        save_figure(result.plot().figure, args.plot, args=args)
        text += f"\n  plot written to {args.plot}"
    frame = result.to_frame()  # target strategies named decision=label
    emit(args, data={"note": result.note, "rows": frame}, table=frame, text=text)
    return 0


def run_twoway(args: argparse.Namespace) -> int:
    from ..sensitivity import two_way

    if args.params[0] == args.params[1]:
        raise CommandError(f"--params needs two different parameters, got {args.params[0]} twice")
    tree, values = load_tree(args)
    result = two_way(tree, args.params, points=_points(args.points), values=values)
    from ..sensitivity._common import renamer

    named = renamer(tree)  # strategies by decision=label (docs/output.md)
    lines = [f"Two-way: {args.params[0]} x {args.params[1]} on a {args.points} x {args.points} grid"]
    for b in result.boundaries:
        check = "" if b["verified"] else "  [NOT VERIFIED against the grid]"
        lines.append(f"  boundary {named(b['a'])} | {named(b['b'])}: {b['boundary']}{check}")
    lines += note_lines(result.note)
    data = {
        "parameters": list(args.params),
        "note": result.note,
        "regions": result.regions().reset_index(),
        "boundaries": [
            {
                "a": b["a"],
                "b": b["b"],
                "a_strategy": named(b["a"]),
                "b_strategy": named(b["b"]),
                "boundary": str(b["boundary"]),
                "verified": b["verified"],
            }
            for b in result.boundaries
        ],
        "strategies": {s: named(s) for s in result.strategies},
        "method": result.method,
        "cells": result.cells,
        "grid": result.to_frame(),
    }
    if args.plot:  # with the tree, regions are drawn as exact polygons (raster only where none exists)
        save_figure(result.plot(tree=tree, values=values).figure, args.plot, args=args)
        lines.append(f"  plot written to {args.plot}")
    if getattr(args, "csv", False):
        table = result.to_frame()
        table["optimal"] = table["optimal"].map(named)
    else:
        table = result.regions().rename(index=named)
    emit(args, data=data, table=table, text="\n".join(lines))
    return 0
