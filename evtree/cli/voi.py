"""Subcommands ``voi`` (value of information and of control) and ``risk`` (risk profiles).

evtree voi FILE --node NAME [NAME ...] [--likelihood STATE:SIGNAL=EXPR ... [--cost EXPR]] [--control]
               [--exact | --symbolic] [--set NAME=VALUE]
               [--risk-tolerance R | --utility EXPR | --risk-neutral] [--json]
evtree risk FILE [--strategy DECISION=LABEL[,DECISION=LABEL...]] ... [--percentiles 5,50,95]
                [--exact] [--set NAME=VALUE] [--risk-tolerance R | --utility EXPR | --risk-neutral]
                [--plot FILE] [--json | --csv]
"""

from __future__ import annotations

import argparse
from typing import Any

import sympy

from .common import (
    CommandError,
    add_format_options,
    add_method_options,
    add_set_option,
    add_tree_argument,
    add_utility_options,
    emit,
    load_tree,
    method_of,
    number,
    save_figure,
    strategy_of,
    utility_of,
)

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``voi`` and ``risk`` subcommands."""
    p = subparsers.add_parser(
        "voi",
        help="value of perfect or sample information, or of control, on chance nodes",
        description="Value of learning the outcome of chance nodes before the first decision they could "
        "inform (EVPI, clairvoyance), of a test described by its likelihoods (EVSI), or of choosing the "
        "outcome (value of control). Nodes joined by commas are one event appearing at several places.",
    )
    add_tree_argument(p)
    p.add_argument(
        "--node",
        dest="nodes",
        metavar="NAME",
        nargs="+",
        action="extend",
        required=True,
        help="chance node(s) to learn about (repeatable; A,B = one event at two places)",
    )
    p.add_argument(
        "--likelihood",
        dest="likelihoods",
        metavar="STATE:SIGNAL=EXPR",
        action="append",
        default=[],
        help="a test's P(SIGNAL | STATE): a number, an expression or 'rest' (repeatable); gives the EVSI",
    )
    p.add_argument("--cost", metavar="EXPR", default=None, help="the test's cost (with --likelihood)")
    p.add_argument("--test-name", default="test", help="name of the test (default 'test')")
    p.add_argument("--control", action="store_true", help="value of control: choose the outcome instead")
    add_set_option(p)
    add_method_options(p)
    add_utility_options(p)
    add_format_options(p, csv=False)
    p.set_defaults(func=run_voi)

    p = subparsers.add_parser(
        "risk",
        help="risk profiles of strategies: distribution, mean, variance, percentiles, dominance",
        description="The distribution of final outcomes under strategies (default: the optimal one), "
        "with mean, variance and percentiles, and stochastic dominance between every pair.",
    )
    add_tree_argument(p)
    p.add_argument(
        "--strategy",
        dest="strategies",
        metavar="DECISION=LABEL[,...]",
        action="append",
        default=[],
        help="a strategy: choices to fix, others optimal; 'optimal' for the optimal strategy (repeatable)",
    )
    p.add_argument(
        "--percentiles", default="5,25,50,75,95", metavar="Q,Q,...", help="percentiles to report (0-100)"
    )
    add_set_option(p)
    p.add_argument("--exact", action="store_true", help="exact rational arithmetic")
    add_utility_options(p)
    p.add_argument(
        "--plot", metavar="FILE", default=None, help="write the cumulative risk profile (PNG, SVG, PDF)"
    )
    add_format_options(p)
    p.set_defaults(func=run_risk)


def _events(items: list[str]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        parts = [x.strip() for x in item.split(",") if x.strip()]
        if not parts:
            raise CommandError(f"--node: no node name in {item!r}")
        out.append(tuple(parts) if len(parts) > 1 else parts[0])
    return out


def _likelihoods(items: list[str]) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for item in items:
        head, eq, expr = item.partition("=")
        state, colon, signal = head.partition(":")
        if not eq or not colon or not state.strip() or not signal.strip() or not expr.strip():
            raise CommandError(f"--likelihood expects STATE:SIGNAL=EXPR, got {item!r}")
        row = table.setdefault(state.strip(), {})
        if signal.strip() in row:
            raise CommandError(f"--likelihood {state.strip()}:{signal.strip()} is given twice")
        row[signal.strip()] = expr.strip()
    return table


def _number(v: Any) -> Any:
    if v is None:
        return None
    if getattr(v, "free_symbols", None):  # symbolic: printed, never evaluated to a float
        return str(v)
    try:
        return float(v)
    except (TypeError, ValueError):
        return str(v)


def run_voi(args: argparse.Namespace) -> int:
    from ..bayes import Test, evsi
    from ..voi import evpi, value_of_control

    tree, values = load_tree(args)
    method = method_of(args)
    utility = utility_of(args)
    nodes = _events(args.nodes)
    if args.likelihoods and args.control:
        raise CommandError("--likelihood (a test) and --control cannot be combined")
    if args.cost is not None and not args.likelihoods:
        raise CommandError("--cost is the cost of a test: give its likelihoods with --likelihood")
    if args.likelihoods:
        if len(nodes) != 1:
            raise CommandError("a test is about one event: give one --node (A,B for one event at two places)")
        test = Test(nodes[0], _likelihoods(args.likelihoods), cost=args.cost or 0, name=args.test_name)
        result = evsi(tree, test, values, method=method, utility=utility)
    elif args.control:
        result = value_of_control(tree, nodes, values, method=method, utility=utility)
    else:
        result = evpi(tree, nodes, values, method=method, utility=utility)
    at = result.at_defaults
    data: dict[str, Any] = {
        "tree": tree.name,
        "measure": result.measure,
        "nodes": list(result.nodes),
        "method": result.method,
        "value": _number(at),
        "exact": str(at) if result.exact else None,
        result.measure if result.measure != "control" else "value_of_control": {
            "value": _number(at),
            "exact": str(at) if result.exact else None,
        },
        "value_without": _number(result.without_info.value),
        "value_with": _number(result.with_info.value),
        "buying_price": _number(result.buying_price if method != "symbolic" else None),
        "utility": None if result.utility is None else str(result.utility.expr),
        "informed_policy": result.informed_policy,
        "parameters": {k: result.without_info.parameters[k] for k in tree.parameters}
        if method != "symbolic"
        else {},
    }
    if method == "symbolic":
        data["formula"] = str(result.value)
        data["formula_in_bounds"] = str(result.formula_in_bounds)
        data["value_without"] = _number(
            result.without_info._base.value if result.without_info._base else None
        )
        data["value_with"] = _number(result.with_info._base.value if result.with_info._base else None)
    if result.cost is not None:
        data["cost"] = (
            _number(result.cost)
            if not isinstance(result.cost, sympy.Basic) or result.cost.is_number
            else str(result.cost)
        )
        net = result.net_value
        data["net_value"] = (
            _number(net) if net is None or not isinstance(net, sympy.Basic) or net.is_number else str(net)
        )
    text = _voi_text(result, tree)
    policy = result.informed_policy
    if len(policy):
        text += "\n\nchoices with the information:"
    emit(args, data=data, table=policy if len(policy) else None, text=text)
    return 0


def _voi_text(result: Any, tree: Any) -> str:
    """Return the result's quantities, each in the one number format (full precision in --json)."""
    from ..presentation.display import expression_display, labelled_expression, probability_symbols, tree_unit

    unit = tree_unit(tree)
    label = {"evpi": "EVPI", "evsi": "EVSI", "control": "value of control"}[result.measure]
    lines = [f"{label} on {', '.join(result.nodes)} ({result.method} arithmetic)"]
    frame = result.to_frame()
    values = [v for v in frame["value"] if isinstance(v, (int, float)) or getattr(v, "is_number", False)]
    scale = max((abs(float(v)) for v in values), default=None)
    symbols = probability_symbols(tree)
    for quantity, v in frame["value"].items():
        if isinstance(v, sympy.Basic) and not v.is_number:
            shown = number(expression_display(v, symbols))
            lines.append(labelled_expression(f"  {quantity}: ", shown))
        else:
            lines.append(f"  {quantity}: {number(v, scale=scale, unit=unit)}")
    if result.method == "symbolic":
        lines.append(f"  at the defaults: {number(result.at_defaults, unit=unit)}")
        shown = number(expression_display(result.formula_in_bounds, symbols))
        lines.append(labelled_expression("  formula within the parameter bounds: ", shown))
    return "\n".join(lines)


def _strategy(text: str, tree: Any) -> dict[str, str] | None:
    """Return a ``--strategy`` value's policy: ``decision=label`` pairs or 0.1's labels; ``optimal``: None."""
    return strategy_of(tree, text)


def run_risk(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..core.evaluate import strategy_name
    from ..risk import dominance, risk_profile

    tree, values = load_tree(args)
    method = "exact" if args.exact else "float"
    utility = utility_of(args)
    try:
        qs = [float(q) for q in args.percentiles.split(",") if q.strip()]
    except ValueError:
        raise CommandError(
            f"--percentiles expects numbers separated by commas, got {args.percentiles!r}"
        ) from None
    if any(not 0 <= q <= 100 for q in qs):
        raise CommandError("--percentiles must lie in [0, 100]")
    specs = args.strategies or ["optimal"]
    profiles = []
    for spec in specs:
        policy = _strategy(spec, tree)
        name = strategy_name(policy, tree) if policy else None
        profiles.append(risk_profile(tree, policy, values, method=method, utility=utility, name=name))
    pairs = [(a, b) for i, a in enumerate(profiles) for b in profiles[i + 1 :]]
    checks = [dominance(a, b) for a, b in pairs]
    frames = []
    for p in profiles:
        f = p.to_frame()
        f.insert(0, "strategy", p.name)
        frames.append(f)
    table = pd.concat(frames, ignore_index=True)
    data = {
        "tree": tree.name,
        "method": method,
        "strategies": [
            {
                "name": p.name,
                "policy": p.policy,
                "statistics": p.statistics(qs),
                "profile": p.to_frame(),
            }
            for p in profiles
        ],
        "dominance": [
            {
                "a": d.a,
                "b": d.b,
                "first_order": d.first_order,
                "second_order": d.second_order,
                "reverse_first_order": d.reverse_first_order,
                "reverse_second_order": d.reverse_second_order,
                "identical": d.identical,
                "verdict": d.verdict,
            }
            for d in checks
        ],
    }
    lines = [f"{tree.name or 'tree'}: risk profiles ({method} arithmetic)"]
    for p in profiles:
        stats = p.statistics(qs)
        lines.append(f"  {p.name}: " + ", ".join(f"{k} {number(v)}" for k, v in stats.items()))
        choices = strategy_name(p.policy) if p.policy else "(none)"
        if choices != p.name:
            lines.append(f"    choices: {choices}")
    lines.extend(f"  {d.verdict}" for d in checks)
    if args.plot:
        from ..presentation.plots.risk import plot_risk_profiles

        ax = plot_risk_profiles(profiles, title=f"{tree.name or 'tree'}: cumulative risk profile")
        save_figure(ax.figure, args.plot, args=args)
        lines.append(f"  plot written to {args.plot}")
    emit(args, data=data, table=table, text="\n".join(lines))
    return 0
