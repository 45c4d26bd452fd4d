"""Subcommands ``psa`` (probabilistic sensitivity analysis) and ``evppi``.

evtree psa FILE --draws N [--seed S] [--json | --csv] [--plot FILE] [--dask ADDRESS]
                [--acceptability NAME [--grid K | --grid-values A,B,...]]
evtree evppi FILE --params A,B [--params C] [--method regression|nested|both] [--json | --csv]
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import Any

from .common import (
    CommandError,
    add_format_options,
    add_params_option,
    add_set_option,
    add_tree_argument,
    emit,
    load_tree,
    save_figure,
    with_scenarios,
)

__all__ = ["register"]


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer seed, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer seed, got {text!r}")
    return value


def _common(p: argparse.ArgumentParser, *, draws: int) -> None:
    add_tree_argument(p)
    add_set_option(p)
    p.add_argument("--draws", type=_positive, default=draws, help=f"number of joint draws (default {draws})")
    p.add_argument(
        "--seed", type=_seed, default=None, help="random seed (default: fresh; the output gives it)"
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=None,
        help="run on a Dask cluster: a scheduler address (tcp://host:8786), or 'local' (in this process)",
    )
    p.add_argument(
        "--chunk-size", type=_positive, default=None, help="draws evaluated at once (memory bound)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_format_options(p)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``psa`` and ``evppi`` subcommands."""
    p = subparsers.add_parser(
        "psa",
        help="probabilistic sensitivity analysis: draw every distribution, value every strategy",
        description="Draw every input with a distribution N times and value every strategy at each draw: "
        "value distributions, probability each strategy is optimal, expected loss and EVPI.",
    )
    _common(p, draws=10_000)
    p.add_argument("--plot", metavar="FILE", default=None, help="write a figure (PNG, SVG or PDF)")
    p.add_argument(
        "--acceptability",
        metavar="NAME",
        default=None,
        help="also compute acceptability curves and EVPI against this parameter",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--grid",
        type=_positive,
        default=21,
        help="number of values between the parameter's bounds (default 21)",
    )
    group.add_argument("--grid-values", metavar="A,B,...", default=None, help="the parameter's values")
    add_params_option(p)
    p.set_defaults(func=with_scenarios(run_psa))

    p = subparsers.add_parser(
        "evppi",
        help="expected value of partial perfect information about parameters",
        description="EVPPI of each group of inputs (parameters with distributions, or Dirichlet names), "
        "by regression on PSA draws, by nested Monte Carlo, or both.",
    )
    _common(p, draws=10_000)
    p.add_argument(
        "--params",
        metavar="A,B",
        action="append",
        default=[],
        help="a group of inputs, comma separated (repeatable); default: each sampled input alone",
    )
    p.add_argument("--method", choices=("regression", "nested", "both"), default="regression")
    p.add_argument("--outer", type=_positive, default=1000, help="nested: outer draws (default 1000)")
    p.add_argument(
        "--inner", type=_positive, default=1000, help="nested: inner draws per outer (default 1000)"
    )
    p.set_defaults(func=run_evppi)


@contextlib.contextmanager
def _dask(address: str | None) -> Iterator[Any]:
    if address is None:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - a dependency
        raise CommandError("--dask needs dask.distributed: pip install 'dask[distributed]'") from None
    if address == "local":
        with LocalCluster(processes=False, dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(address, timeout=10)
    except OSError as err:
        raise CommandError(f"--dask: cannot reach the scheduler at {address}: {err}") from None
    try:
        yield client
    finally:
        client.close()


def _floats(text: str, flag: str) -> list[float]:
    from ..core.expressions import exact_number

    try:
        return [float(exact_number(x.strip())) for x in text.split(",") if x.strip()]
    except (TypeError, ValueError) as err:
        raise CommandError(f"{flag}: {err}") from None


def run_psa(args: argparse.Namespace) -> int:
    from ..psa import acceptability, psa

    tree, values = load_tree(args)
    progress = False if args.no_progress else None
    with _dask(args.dask) as client:
        result = psa(
            tree,
            draws=args.draws,
            seed=args.seed,
            values=values,
            chunk_size=args.chunk_size,
            client=client,
            progress=progress,
        )
        acc = None
        if args.acceptability:
            grid: Any = _floats(args.grid_values, "--grid-values") if args.grid_values else args.grid
            acc = acceptability(
                tree,
                args.acceptability,
                grid,
                draws=args.draws,
                seed=result.seed,
                values=values,
                chunk_size=args.chunk_size,
                client=client,
                progress=progress,
            )
    table = result.to_frame()
    data: dict[str, Any] = {
        "tree": tree.name,
        "method": result.method,
        "draws": result.n_draws,
        "seed": result.seed.entropy,
        "backend": result.backend,
        "sampled": {k: list(v) for k, v in result.columns.items()},
        "fixed": dict(result.fixed),
        "best": result.best,
        "evpi": result.evpi,
        "evpi_se": result.evpi_se,
        "strategies": [
            {"strategy": name, "policy": policy, **{k: row[k] for k in table.columns}}
            for (name, row), policy in zip(table.iterrows(), result.policies)
        ],
    }
    text = result.summary()
    if acc is not None:
        frame = acc.to_frame()
        never = [s for i, s in enumerate(acc.strategies) if not acc.probability_optimal[:, i].any()]
        frame = frame.drop(columns=never)
        data["acceptability"] = {
            "parameter": acc.parameter,
            "grid": acc.grid,
            "probability_optimal": {s: acc.probability_optimal[:, i] for i, s in enumerate(acc.strategies)},
            "best": list(acc.best),
            "evpi": acc.evpi,
        }
        text += (
            f"\n\nacceptability against {acc.parameter} "
            "(probability optimal; strategies never optimal left out):\n"
        )
        text += frame.to_string()
        text += "\n\nstrategies:"
    if args.plot:
        _save_plot(result, acc, args.plot)
        text += f"\n  plot written to {args.plot}"
    emit(args, data=data, table=table, text=text)
    return 0


def _save_plot(result: Any, acc: Any, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from ..presentation.plots.psa import psa_figure

    save_figure(psa_figure(result, acc), path)


def run_evppi(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..distributions import tree_sources
    from ..psa import evppi, psa

    tree, values = load_tree(args)
    progress = False if args.no_progress else None
    groups = [g for g in args.params if g.strip()]
    if not groups:
        groups = [s.name for s in tree_sources(tree) if s.name not in values]
    methods = ("regression", "nested") if args.method == "both" else (args.method,)
    rows = []
    with _dask(args.dask) as client:
        result = psa(
            tree,
            draws=args.draws,
            seed=args.seed,
            values=values,
            chunk_size=args.chunk_size,
            client=client,
            progress=progress,
        )
        for group in groups:
            for method in methods:
                r = evppi(
                    result,
                    group,
                    method=method,
                    outer=args.outer,
                    inner=args.inner,
                    chunk_size=args.chunk_size,
                    client=client,
                    progress=progress,
                )
                rows.append(r)
    table = pd.concat([r.to_frame().reset_index() for r in rows], ignore_index=True)
    table["evpi"] = result.evpi
    table = table.set_index(["parameters", "method"])
    data = {
        "tree": tree.name,
        "draws": result.n_draws,
        "seed": result.seed.entropy,
        "evpi": result.evpi,
        "evpi_se": result.evpi_se,
        "evppi": [
            {
                "parameters": list(r.parameters),
                "method": r.method,
                "value": r.value,
                "se": r.se,
                "n": r.n,
                "inner": r.inner,
            }
            for r in rows
        ],
    }
    text = (
        f"EVPPI for {tree.name or args.file}: {result.n_draws:,} PSA draws, seed {result.seed.entropy}\n"
        f"  EVPI: {result.evpi:.6g} (Monte Carlo se {result.evpi_se:.2g})"
    )
    emit(args, data=data, table=table, text=text)
    return 0
