"""Subcommand ``check``: prove or refute the claims stated in a tree file."""

from __future__ import annotations

import argparse

from .common import add_format_options, add_tree_argument, emit, load_tree

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``check`` subcommand."""
    p = subparsers.add_parser(
        "check",
        help="prove or refute every claim stated in a tree file, over the whole parameter space",
        description=(
            "Check every claim in the file's 'claims' list (docs/claims.md). Each is proven "
            "(with the method and a certificate), refuted (with a counterexample re-checked in "
            "exact arithmetic) or undecided (with the worst case found numerically)."
        ),
    )
    add_tree_argument(p)
    add_format_options(p, csv=False)
    p.add_argument("--strict", action="store_true", help="exit with status 1 when a claim is refuted")
    p.add_argument(
        "--certificates", action="store_true", help="print each claim's certificate in the text output"
    )
    p.add_argument("--no-search", action="store_true", help="skip the global numerical search")
    p.add_argument("--seed", type=int, default=0, help="seed of the numerical search (default 0)")
    p.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    """Check the claims; return 1 under ``--strict`` when one is refuted."""
    from ..claims import check_claims

    tree, _ = load_tree(args)
    report = check_claims(tree, search=not args.no_search, seed=args.seed)
    data = {"tree": tree.name, "file": args.file, "claims": [r.to_dict() for r in report]}
    if not len(report):
        text = f"{args.file}: no claims stated (add a 'claims' list; see docs/claims.md)"
        emit(args, data=data, text=text)
        return 0
    lines = []
    for r in report:
        lines.append(r.summary())
        if args.certificates:
            lines += ["    " + c for c in r.certificate]
    counts = {v: sum(r.verdict == v for r in report) for v in ("proven", "refuted", "undecided")}
    lines.append(", ".join(f"{n} {v}" for v, n in counts.items()))
    emit(args, data=data, text="\n".join(lines))
    return 1 if args.strict and report.refuted else 0
