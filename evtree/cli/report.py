"""Subcommands ``report`` (one self-contained HTML page) and ``render`` (the tree as SVG)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import (
    CommandError,
    add_method_options,
    add_set_option,
    add_tree_argument,
    check_output,
    depth,
    emit,
    load_tree,
    method_of,
    non_negative_count,
    write_output,
)

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` and ``render`` subcommands."""
    p = subparsers.add_parser(
        "report",
        help="write one self-contained HTML page: tree, strategies, symbolic values, sensitivity, claims",
    )
    add_tree_argument(p)
    p.add_argument("-o", "--output", required=True, metavar="HTML", help="the page to write (.html)")
    add_set_option(p)
    p.add_argument("--title", default=None, help="page title (default: the tree's name)")
    p.add_argument("--depth", type=depth, default=None, help="collapse the drawing below this depth")
    p.add_argument("--no-sensitivity", action="store_true", help="leave out sensitivity and risk")
    p.add_argument("--no-claims", action="store_true", help="leave out the claims' verdicts")
    p.add_argument("--progress", action="store_true", help="show progress bars on standard error")
    p.add_argument("--json", action="store_true", help="print what was written as JSON")
    p.set_defaults(func=run_report)

    p = subparsers.add_parser("render", help="draw the tree as SVG: values, optimal strategy, pruned options")
    add_tree_argument(p)
    p.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="SVG",
        help="the drawing to write (.svg; .png or .pdf when cairosvg is installed; '-' for standard output)",
    )
    add_set_option(p)
    add_method_options(p)
    p.add_argument("--depth", type=depth, default=None, help="collapse nodes below this depth")
    p.add_argument("--subtree", default=None, metavar="NODE", help="draw only the subtree at this node")
    p.add_argument("--no-values", action="store_true", help="draw the structure only")
    p.add_argument("--no-legend", action="store_true", help="leave out the key to the symbols")
    p.add_argument("--names", action="store_true", help="write each node's name above it")
    p.add_argument(
        "--probabilities",
        action="store_true",
        help="write at each end point the probability of reaching it (decisions on the way taken)",
    )
    p.add_argument(
        "--max-rows",
        type=non_negative_count,
        default=120,
        metavar="N",
        help="collapse a deep tree so that at most N rows are drawn (default 120; 0: no limit)",
    )
    p.add_argument(
        "--same-subtrees",
        action="store_true",
        help="draw a subtree that repeats an earlier sibling's once (the repeat is one row)",
    )
    p.add_argument(
        "--uses",
        choices=("expand", "collapse"),
        default="expand",
        help="collapse: draw each named subtree once and every later reference to it as one row",
    )
    p.add_argument("--json", action="store_true", help="print what was written as JSON")
    p.set_defaults(func=run_render)


#: Suffixes ``render -o`` writes: SVG always; PNG and PDF when cairosvg is installed.
_RASTER = (".png", ".pdf")


def _drawing_suffix(path: str) -> str:
    """Return the suffix of a ``render -o`` target; refuse one that cannot be written."""
    import importlib.util

    suffix = Path(path).suffix.lower()
    if suffix == ".svg":
        return suffix
    converter = importlib.util.find_spec("cairosvg") is not None
    if suffix in _RASTER and converter:
        return suffix
    supported = ".svg" + (", .png, .pdf" if converter else "")
    why = (
        f"evtree draws SVG; it writes {suffix} only through cairosvg (pip install cairosvg), "
        "which is not installed"
        if suffix in _RASTER
        else f"cannot write a drawing as {suffix or 'a file without a suffix'}"
    )
    raise CommandError(f"-o {path}: {why}; supported: {supported}")


def run_report(args: argparse.Namespace) -> int:
    from ..presentation.report import report_html

    tree, values = load_tree(args)  # refuses an output that is the input, before the work
    text = report_html(
        tree,
        values,
        title=args.title,
        source=Path(args.file).name,
        max_depth=args.depth,
        sensitivity=not args.no_sensitivity,
        claims=not args.no_claims,
        progress=args.progress,
    )
    data = text.encode("utf-8")
    write_output(args, args.output, data)
    n = len(data)
    emit(args, data={"output": args.output, "bytes": n}, text=f"wrote {args.output} ({n:,} bytes)")
    return 0


def run_render(args: argparse.Namespace) -> int:
    from ..core.evaluate import evaluate
    from ..presentation.draw import tree_svg

    check_output(args, args.output, "-o")  # the input first: never overwritten, whatever the suffix
    suffix = _drawing_suffix(args.output) if args.output != "-" else ".svg"
    tree, values = load_tree(args)
    game = bool(tree.players)  # a game is drawn with its players and, if cheap, an equilibrium
    result = None if args.no_values or game else evaluate(tree, values, method=method_of(args))
    options = {
        "max_depth": args.depth,
        "subtree": args.subtree,
        "values": not args.no_values,
        "legend": not args.no_legend,
        "names": args.names,
        "probabilities": args.probabilities,
        "max_rows": args.max_rows or None,
        "same_subtrees": args.same_subtrees,
        "uses": args.uses,
        **({"parameters": values} if game else {}),
    }
    svg = tree_svg(tree, result, **options) + "\n"
    if args.output == "-":
        sys.stdout.write(svg)
        return 0
    data: bytes = svg.encode("utf-8")
    if suffix in _RASTER:  # pragma: no cover - cairosvg is optional
        import cairosvg

        convert = cairosvg.svg2png if suffix == ".png" else cairosvg.svg2pdf
        data = convert(bytestring=data)
    write_output(args, args.output, data)
    n = len(data)
    emit(args, data={"output": args.output, "bytes": n}, text=f"wrote {args.output} ({n:,} bytes)")
    return 0
