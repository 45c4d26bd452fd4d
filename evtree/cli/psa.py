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

from .cea import add_wtp_option, psa_at_wtp
from .common import (
    CommandError,
    add_format_options,
    add_params_option,
    add_set_option,
    add_tree_argument,
    count,
    emit,
    load_tree,
    number,
    save_figure,
    with_scenarios,
)

__all__ = ["register"]


def _positive(text: str) -> int:
    try:
        value = count(text)
    except argparse.ArgumentTypeError:
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


def _seconds(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
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
        "--dask-timeout",
        metavar="SECONDS",
        type=_seconds,
        default=DASK_TIMEOUT,
        help=f"how long to wait for the --dask scheduler to answer (default {DASK_TIMEOUT:g})",
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
    add_wtp_option(p, many=True)
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
    add_wtp_option(p, many=False)
    p.add_argument("--outer", type=_positive, default=1000, help="nested: outer draws (default 1000)")
    p.add_argument(
        "--inner", type=_positive, default=1000, help="nested: inner draws per outer (default 1000)"
    )
    p.add_argument(
        "--max-time",
        metavar="SECONDS",
        type=_seconds,
        default=None,
        help="nested: refuse a run whose time, estimated from a short pilot, is longer (default 3600)",
    )
    p.set_defaults(func=run_evppi)


#: Seconds to wait for a Dask scheduler to answer by default (``--dask-timeout``).
DASK_TIMEOUT = 10.0


def _answers(address: str, timeout: float) -> str | None:
    """Return why a ``tcp://`` scheduler does not answer within ``timeout`` seconds, or ``None``.

    A Dask scheduler sends its handshake as soon as a connection is accepted; a
    listener that accepts and stays silent would make ``Client`` wait forever.
    """
    import socket
    import time
    from urllib.parse import urlsplit

    if not address.startswith("tcp://"):
        return None  # tls://, inproc://, ...: left to distributed's own timeout
    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port or 8786
    except ValueError as err:
        return f"not an address ({err})"
    if not host:
        return "no host in the address"
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            if not sock.recv(1):
                return "the connection was closed without a handshake"
    except TimeoutError:
        return f"no answer within {timeout:g} s (is it a Dask scheduler?)"
    except OSError as err:
        return err.strerror or str(err)
    return None


@contextlib.contextmanager
def _dask(address: str | None, timeout: float = DASK_TIMEOUT) -> Iterator[Any]:
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
    why = _answers(address, timeout)
    if why is not None:
        raise CommandError(
            f"--dask {address}: cannot reach the scheduler: {why}; "
            f"check the address, or wait longer with --dask-timeout SECONDS"
        )
    import dask

    try:
        with dask.config.set({"distributed.comm.timeouts.connect": f"{timeout}s"}):
            client = Client(address, timeout=timeout)
    except (OSError, TimeoutError) as err:
        raise CommandError(
            f"--dask {address}: cannot reach the scheduler: {err}; wait longer with --dask-timeout SECONDS"
        ) from None
    try:
        yield client
    finally:
        client.close()


def _check_grid(n_values: int, n_strategies: int) -> None:
    """Refuse an acceptability grid whose arrays (values x strategies) would not fit in memory."""
    from ..core.resources import check_memory

    check_memory(
        8.0 * n_values * (3 * n_strategies + 4),
        f"--grid {n_values:,} (acceptability, {n_strategies} strateg{'y' if n_strategies == 1 else 'ies'})",
        lower="--grid",
    )


def _floats(text: str, flag: str) -> list[float]:
    from ..core.expressions import exact_number

    try:
        return [float(exact_number(x.strip())) for x in text.split(",") if x.strip()]
    except (TypeError, ValueError) as err:
        raise CommandError(f"{flag}: {err}") from None


def _run_psa(args: argparse.Namespace, tree: Any, values: Any, client: Any, progress: Any) -> Any:
    """Run the PSA the flags ask for (``psa`` and ``evppi`` share it)."""
    from ..psa import psa

    return psa(
        tree,
        draws=args.draws,
        seed=args.seed,
        values=values,
        chunk_size=args.chunk_size,
        client=client,
        progress=progress,
    )


def run_psa(args: argparse.Namespace) -> int:
    from ..core.evaluate import strategy_name
    from ..presentation.display import text_table
    from ..psa import acceptability

    tree, values = load_tree(args)
    progress = False if args.no_progress else None
    if args.acceptability and not args.grid_values:
        _check_grid(args.grid, 1)  # before the PSA: the grid alone
    ce = None
    with _dask(args.dask, args.dask_timeout) as client:
        if args.wtp is not None:
            result, ce_data, ce_text = psa_at_wtp(args, tree, values, progress)
            ce = (ce_data, ce_text)
        else:
            result = _run_psa(args, tree, values, client, progress)
        acc = None
        if args.acceptability:
            grid: Any = _floats(args.grid_values, "--grid-values") if args.grid_values else args.grid
            _check_grid(grid if isinstance(grid, int) else len(grid), len(result.strategies))
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
        "best_name": strategy_name(result.policies[result.best_index]),
        "evpi": result.evpi,
        "evpi_se": result.evpi_se,
        "strategies": [
            {
                "strategy": name,
                "name": strategy_name(policy),
                "policy": policy,
                **{k: row[k] for k in table.columns},
            }
            for (name, row), policy in zip(table.iterrows(), result.policies)
        ],
    }
    text = _psa_text(result, tree, values)
    if ce is not None:
        data["cost_effectiveness"] = ce[0]
        text += "\n  " + ce[1]
    if acc is not None:
        frame = acc.to_frame(by_name=True)  # strategies named decision=label
        never = [s for i, s in enumerate(acc.strategy_names) if not acc.probability_optimal[:, i].any()]
        frame = frame.drop(columns=never)
        data["acceptability"] = {
            "parameter": acc.parameter,
            "grid": acc.grid,
            "probability_optimal": {s: acc.probability_optimal[:, i] for i, s in enumerate(acc.strategies)},
            "best": list(acc.best),
            "names": dict(zip(acc.strategies, acc.strategy_names)),
            "best_names": list(acc.best_strategies),
            "evpi": acc.evpi,
        }
        text += (
            f"\n\nacceptability against {acc.parameter} "
            "(probability optimal; strategies never optimal left out):\n"
        )
        text += text_table(frame, kinds={s: "probability" for s in frame.columns})
        text += "\n\nstrategies:"
    if args.plot:
        _save_plot(result, acc, args.plot, args)
        text += f"\n  plot written to {args.plot}"
    if not getattr(args, "csv", False):  # the text table names strategies by decision=label
        table = table.copy()
        table.index = [strategy_name(p) for p in result.policies]
        table.index.name = "strategy"
    emit(args, data=data, table=table, text=text, kinds=_PSA_KINDS)
    return 0


_PSA_KINDS = {"probability_optimal": "probability", "best": "value"}


def _rollback_index(result: Any, tree: Any, values: Any) -> int | None:
    """Index of the strategy the rollback at the defaults (and --set values) chooses, if analysed."""
    from ..core.errors import EvtreeError
    from ..core.evaluate import evaluate, parse_strategy

    try:
        chosen = parse_strategy(tree, evaluate(tree, values, utility=None).policy, complete=True)
    except EvtreeError:
        return None
    for i, policy in enumerate(result.policies):
        if dict(policy) == chosen:
            return i
    return None


def _psa_text(result: Any, tree: Any, values: Any) -> str:
    """Return the PSA headline; say so when its best strategy is not the rollback's optimum."""
    import math

    from ..core.evaluate import strategy_name

    best = result.best_index
    lines = [
        f"PSA of {tree.name or 'tree'}: {result.n_draws:,} draws, seed {result.seed.entropy}",
        f"  method: {result.method}",
        f"  sampled: {', '.join(result.columns) or '-'}",
    ]
    if result.fixed:
        lines.append(f"  held fixed: {', '.join(f'{k}={number(v)}' for k, v in result.fixed.items())}")
    lines.append(
        f"  best by expected value: {strategy_name(result.policies[best])} "
        f"(mean {number(result.mean[best])}); optimal at {result.probability_optimal[best]:.1%} of draws"
    )
    rolled = _rollback_index(result, tree, values)
    if rolled is not None and rolled != best and result.n_draws > 1:
        diff = result.values[best] - result.values[rolled]
        se = float(diff.std(ddof=1) / math.sqrt(result.n_draws))
        gap = abs(float(diff.mean()))
        verdict = (
            "within Monte Carlo error: these draws do not tell the two apart"
            if gap <= 2 * se
            else "beyond Monte Carlo error: uncertainty changes the choice"
        )
        lines.append(
            f"  note: the rollback at the base values chooses {strategy_name(result.policies[rolled])}; "
            f"the means differ by {number(gap)} (se {number(se, 'se')}), {verdict}"
        )
    lines.append(f"  EVPI: {number(result.evpi)} (Monte Carlo se {number(result.evpi_se, 'se')})")
    return "\n".join(lines)


def _save_plot(result: Any, acc: Any, path: str, args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from ..presentation.plots.psa import psa_figure

    save_figure(psa_figure(result, acc), path, args=args)


def run_evppi(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..distributions import tree_sources
    from ..psa import evppi

    tree, values = load_tree(args)
    progress = False if args.no_progress else None
    groups = [g for g in args.params if g.strip()]
    if not groups:
        groups = [s.name for s in tree_sources(tree) if s.name not in values]
    methods = ("regression", "nested") if args.method == "both" else (args.method,)
    rows = []
    with _dask(args.dask, args.dask_timeout) as client:
        if args.wtp is not None:
            result = psa_at_wtp(args, tree, values, progress)[0]
        else:
            result = _run_psa(args, tree, values, client, progress)
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
        f"  EVPI: {number(result.evpi)} (Monte Carlo se {number(result.evpi_se, 'se')}), "
        "the most any EVPPI can be"
    )
    if not getattr(args, "csv", False):
        table = _evppi_text_table(rows)
    emit(args, data=data, table=table, text=text, kinds={"inner": "count", "draws": "count"})
    return 0


def _evppi_text_table(rows: list[Any]) -> Any:
    """Return the table a person reads: no repeated EVPI column, inner draws only where nested."""
    import pandas as pd

    nested = any(r.method == "nested" for r in rows)
    records = []
    for r in rows:
        rec = {"parameters": ", ".join(r.parameters), "method": r.method, "evppi": r.value, "se": r.se}
        rec["draws" if r.method == "regression" else "outer"] = r.n
        records.append(rec)
        if nested:
            rec["inner"] = r.inner if r.method == "nested" else None
    frame = pd.DataFrame(records).set_index(["parameters", "method"])
    cols = [c for c in ("evppi", "se", "draws", "outer", "inner") if c in frame.columns]
    return frame[cols]
