"""Subcommands ``convert`` and ``validate --compare`` (SilverDecisions files).

``convert`` goes between evtree YAML/JSON and SilverDecisions JSON; ``validate
--compare`` checks a SilverDecisions file's stored values against evtree's.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import warnings
from pathlib import Path

from ..formats import FORMATS, write_tree
from ..formats.silverdecisions import compare, list_trees
from .common import CommandError, add_limit_options, node_count, read_input_tree, write_output

__all__ = ["register", "run_compare", "run_convert"]

_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".efg": "efg"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "convert",
        help="convert a tree between evtree YAML/JSON and SilverDecisions JSON",
        description=(
            "Read IN (evtree YAML/JSON or a SilverDecisions file, recognised by its "
            "'SilverDecisions' key) and write it to OUT. The format of OUT comes from --to, "
            "else from its suffix: .yaml/.yml evtree YAML, .json evtree JSON."
        ),
    )
    p.add_argument("file", metavar="IN", help="tree file to read")
    p.add_argument("out", metavar="OUT", nargs="?", help="file to write")
    p.add_argument(
        "--to",
        dest="to",
        metavar="FORMAT",
        default=None,
        help="format of OUT: yaml, json (evtree's), silverdecisions, or efg (Gambit, with the games)",
    )
    p.add_argument("--tree", default=None, help="SilverDecisions file with several trees: index or root name")
    p.add_argument(
        "--criterion", default=None, help="SilverDecisions two-criteria file: payoff index (0, 1) or name"
    )
    p.add_argument("--list", action="store_true", help="list the trees of a SilverDecisions file and stop")
    add_limit_options(p)
    p.set_defaults(func=run_convert)


def _quiet_read(args: argparse.Namespace):  # noqa: ANN202 - a DecisionTree
    """Read IN; print a warning (several trees) on one line instead of Python's format."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        options = {k: v for k, v in (("tree", args.tree), ("criterion", args.criterion)) if v is not None}
        tree = read_input_tree(args, **options)
    for w in caught:
        print(f"evtree {args.command}: warning: {w.message}", file=sys.stderr)
    return tree


def run_convert(args: argparse.Namespace) -> int:
    if args.list:
        for entry in list_trees(args.file):
            name = entry.name.replace("\n", " ") or "(unnamed)"
            print(f"{entry.index}\t{entry.kind}\t{entry.nodes} nodes\t{name}")
        return 0
    if args.out is None:
        raise CommandError("convert needs OUT (or --list)")
    fmt = args.to or _SUFFIXES.get(Path(args.out).suffix.lower())
    if fmt is None:
        raise CommandError(f"cannot tell the format of {args.out} from its suffix; give --to FORMAT")
    fmt = fmt.lower()
    known = list(FORMATS)
    if importlib.util.find_spec("evtree.formats.efg") is not None:  # Gambit's format, with the games
        known.append("efg")
    if fmt == "gambit":
        fmt = "efg"
    if fmt not in known:
        if fmt == "efg":
            raise CommandError("Gambit .efg is not available in this evtree yet")
        raise CommandError(f"unknown format {fmt!r} (known: {', '.join(known)})")
    tree = _quiet_read(args)  # refuses an OUT that is IN, or cannot be written, before converting
    text = write_tree(tree, None, format=fmt)
    write_output(args, args.out, text if text is not None else "", "OUT")
    n = node_count(tree)
    print(f"{args.file} -> {args.out} ({fmt}, {n} nodes, {len(tree.parameters)} parameters)")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    """``evtree validate --compare FILE.json``: exit 0 when every stored value agrees, else 1."""
    if getattr(args, "assignments", None):
        raise CommandError("--compare recomputes the file's own values; --set does not apply")
    result = compare(args.file)
    print(result.summary())
    frame = result.to_frame()
    if len(frame):
        import pandas as pd

        with pd.option_context("display.max_rows", 500, "display.max_colwidth", 80, "display.width", 250):
            print(frame.to_string(index=False))
    return 0 if result.ok else 1
