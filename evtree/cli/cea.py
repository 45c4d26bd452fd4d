"""Subcommand ``cea``: cost-effectiveness analysis of a tree with cost and effect criteria."""

from __future__ import annotations

import argparse
from typing import Any

from .common import (
    CommandError,
    add_format_options,
    add_method_options,
    add_set_option,
    add_tree_argument,
    emit,
    load_tree,
    method_of,
    save_figure,
)

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``cea`` subcommand."""
    p = subparsers.add_parser(
        "cea",
        help="cost-effectiveness: dominance, extended dominance, ICERs and willingness-to-pay thresholds",
        description=(
            "Compare every strategy of a tree that declares criteria by expected cost and effect: "
            "strictly dominated and extended-dominated strategies (and by which), ICERs along the "
            "efficient frontier, and the willingness-to-pay values at which the strategy with the "
            "highest net monetary benefit changes (exact with --exact)."
        ),
    )
    add_tree_argument(p)
    p.add_argument("--cost", metavar="NAME", help="the cost criterion (default: the one minimised)")
    p.add_argument("--effect", metavar="NAME", help="the effect criterion (default: the one maximised)")
    p.add_argument(
        "--wtp",
        metavar="W",
        nargs="+",
        default=[],
        help="willingness-to-pay values: show each strategy's net monetary benefit and the best one",
    )
    add_method_options(p)
    add_set_option(p)
    add_format_options(p)
    p.add_argument("--plot", metavar="FILE", help="write the cost-effectiveness plane (.png, .svg, .pdf)")
    p.set_defaults(func=run_cea)


def parse_wtp(items: list[str], method: str) -> list[Any]:
    """Parse ``--wtp`` values (numbers such as 50000 or 1/3), exactly unless in float arithmetic."""
    from ..core.errors import ModelError
    from ..core.expressions import exact_number

    out = []
    for text in items:
        try:
            v = exact_number(text)
        except (ValueError, TypeError, ModelError) as err:
            raise CommandError(f"--wtp: {text!r} is not a number ({err})") from None
        if v < 0:
            raise CommandError(f"--wtp: {text} is negative")
        out.append(float(v) if method == "float" else v)
    return out


def run_cea(args: argparse.Namespace) -> int:
    """Run the analysis and print it."""
    from ..cea import cea

    tree, values = load_tree(args)
    method = method_of(args)
    wtp = parse_wtp(args.wtp, method)
    result = cea(tree, cost=args.cost, effect=args.effect, method=method, values=values or None, wtp=wtp)
    if args.plot:
        if method == "symbolic":
            raise CommandError("--plot needs numbers: drop --symbolic")
        ax = result.plot()
        save_figure(ax.figure, args.plot, args=args)
    data = {"tree": tree.name, "file": args.file, **result.to_dict()}
    emit(args, data=data, table=result.to_frame(), text=result.summary())
    return 0


# ------------------------------------------------------------------ --wtp for psa and evppi
def add_wtp_option(parser: argparse.ArgumentParser, *, many: bool) -> None:
    """Add ``--wtp`` to ``psa`` (one or more values) or ``evppi`` (one value)."""
    parser.add_argument(
        "--wtp",
        metavar="W",
        nargs="+" if many else None,
        default=None,
        help=(
            "willingness to pay: analyse net monetary benefit W*effect - cost of a tree with cost and "
            "effect criteria" + (" (several W: acceptability curves and EVPI at each)" if many else "")
        ),
    )


def psa_at_wtp(args: argparse.Namespace, tree: Any, values: Any, progress: Any) -> tuple[Any, Any, str]:
    """Run the PSA of cost and effect; return the PSA of net benefit at the first WTP, CEAC data, text."""
    from ..psa import cost_effect_psa

    if getattr(args, "dask", None):
        raise CommandError("--wtp runs locally: drop --dask")
    wtp = [float(w) for w in parse_wtp(args.wtp if isinstance(args.wtp, list) else [args.wtp], "float")]
    from ..core.resources import check_memory

    # at least: cost, effect and net benefit of one strategy, and one input column, a draw
    check_memory(8.0 * args.draws * 4, f"a cost-effectiveness PSA of {args.draws:,} draws", lower="--draws")
    both = cost_effect_psa(
        tree,
        draws=args.draws,
        seed=args.seed,
        values=values,
        chunk_size=args.chunk_size,
        progress=progress,
    )
    curves = both.acceptability(wtp)
    data = {
        "cost": both.cost_name,
        "effect": both.effect_name,
        "means": {
            s: {both.cost_name: float(both.mean_cost[i]), both.effect_name: float(both.mean_effect[i])}
            for i, s in enumerate(both.strategies)
        },
        "wtp": wtp,
        "acceptability": {s: curves.probability[i].tolist() for i, s in enumerate(both.strategies)},
        "frontier": list(curves.frontier_strategy),
        "frontier_probability": curves.frontier_probability.tolist(),
        "evpi": curves.evpi.tolist(),
    }
    text = f"net monetary benefit {wtp[0]:g} * {both.effect_name} - {both.cost_name}"
    if len(wtp) > 1:
        text += "\n\nacceptability by willingness to pay:\n" + curves.to_frame().to_string()
    return both.at_wtp(wtp[0]), data, text
