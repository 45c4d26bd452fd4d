"""Helpers shared by the subcommands: reading trees, ``--set``, output formats."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from ..core.errors import EvtreeError, ModelError
from ..core.expressions import exact_number
from ..core.model import DecisionTree
from ..formats import read_tree

__all__ = [
    "FIGURE_FORMATS",
    "add_format_options",
    "add_limit_options",
    "add_utility_options",
    "non_negative_count",
    "add_method_options",
    "add_params_option",
    "add_set_option",
    "add_tree_argument",
    "check_output",
    "count",
    "depth",
    "emit",
    "figure_format",
    "jsonable",
    "number",
    "load_tree",
    "method_of",
    "node_count",
    "parse_assignments",
    "read_input_tree",
    "save_figure",
    "strategy_of",
    "utility_of",
    "with_scenarios",
    "write_output",
]


class CommandError(EvtreeError):
    """A command-line usage problem (bad flag value and the like)."""


def add_tree_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``FILE`` and the limits every command that reads a tree takes (:func:`add_limit_options`)."""
    parser.add_argument("file", metavar="FILE", help="tree file (.yaml, .yml or .json)")
    add_limit_options(parser)


def non_negative_count(text: str) -> int:
    """Parse a whole number that may not be negative, as :func:`count` does."""
    n = count(text)
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 0, got {text!r}")
    return n


def count(text: str) -> int:
    """Parse a whole number as a flag value: ``1000``, ``1_000``, ``10**6`` or ``1e6``."""
    import re

    raw = text.strip().replace("_", "")
    power = re.fullmatch(r"([-+]?\d+)\s*\*\*\s*(\d{1,3})", raw)
    try:
        if power:
            return int(power.group(1)) ** int(power.group(2))
        if re.fullmatch(r"[-+]?\d+(\.\d*)?[eE]\+?\d{1,3}", raw):
            value = float(raw)
            if value.is_integer():
                return int(value)
        return int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def depth(text: str) -> int:
    """Parse ``--depth``: a whole number, 0 or more."""
    value = count(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a depth of 0 or more, got {text!r}")
    return value


def _size(text: str) -> int:
    from ..core.resources import parse_size

    try:
        return parse_size(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--max-file-size`` and ``--max-memory`` (sizes such as 512M, 2G or a number of bytes)."""
    from ..core.files import MAX_FILE_BYTES
    from ..core.resources import size_text

    parser.add_argument(
        "--max-file-size",
        metavar="SIZE",
        type=_size,
        default=None,
        help=f"largest input file read (default {size_text(MAX_FILE_BYTES)}; e.g. 1G)",
    )
    parser.add_argument(
        "--max-memory",
        metavar="SIZE",
        type=_size,
        default=None,
        help="memory an analysis may allocate, estimated before it starts "
        "(default half the physical memory, at most 16 GB; e.g. 8G)",
    )


def check_output(args: argparse.Namespace, path: str | None, flag: str) -> None:
    """Refuse, before any work, an output that would overwrite an input or cannot be written.

    The same checks as :func:`evtree.core.atomic.atomic_write` (which makes them again
    when it writes): not an input file, not a folder, in a folder that exists and is
    writable.
    """
    import os
    from pathlib import Path

    if path is None or path == "-":
        return
    target = Path(os.path.realpath(path))
    for source in _inputs(args):
        try:
            same = os.path.samefile(source, target)
        except OSError:
            same = False
        if same:
            raise CommandError(
                f"{flag} {path}: refusing to overwrite the input file {source}; choose another output"
            )
    if target.is_dir():
        raise CommandError(f"{flag} {path}: is a folder, not a file")
    if not target.parent.is_dir():
        raise CommandError(f"{flag} {path}: the folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise CommandError(f"{flag} {path}: the folder {target.parent} is not writable")


def _inputs(args: argparse.Namespace) -> list[str]:
    return [p for p in (getattr(args, "file", None), getattr(args, "params", None)) if isinstance(p, str)]


def write_output(args: argparse.Namespace, path: str, data: str | bytes, flag: str = "-o") -> None:
    """Write ``data`` to ``path`` atomically, never over the command's input files."""
    from ..core.atomic import atomic_write
    from ..core.errors import OutputError

    try:
        atomic_write(path, data, protect=_inputs(args))
    except OutputError as err:
        raise CommandError(f"{flag} {err}") from None


def add_set_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        dest="assignments",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="override a parameter's default value (repeatable); VALUE may be 1/3 or 0.25",
    )


def add_params_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--params FILE.csv``: run the command once per row (scenario), one row of results each."""
    parser.add_argument(
        "--params",
        metavar="FILE.csv",
        default=None,
        help="scenario table: one row per scenario, a column per parameter (and an optional "
        "'scenario' column of labels); the command runs once per row and prints one row of results each",
    )


def with_scenarios(run: Any) -> Any:
    """Wrap a subcommand so that ``--params FILE.csv`` runs it once per scenario.

    Each row's values are added to ``--set``; the command's JSON output of each
    run is flattened into one row of a table (scalars, and mappings such as the
    policy as ``key.subkey`` columns), printed as text, CSV (``--csv``) or JSON
    (``--json``).
    """
    import functools

    @functools.wraps(run)
    def wrapped(args: argparse.Namespace) -> int:
        if not getattr(args, "params", None):
            return run(args)
        return _run_scenarios(args, run)

    return wrapped


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, list):  # lists of numbers, or of records with an exact or a value: joined
            items = [
                (x.get("exact") or x.get("value")) if isinstance(x, Mapping) else x
                for x in v
                if not isinstance(x, (list, Mapping)) or "exact" in x or "value" in x
            ]
            if items and len(items) == len(v) and len(v) <= 20:
                out[key] = "; ".join(str(x) for x in items)
        else:
            out[key] = v
    return out


def _run_scenarios(args: argparse.Namespace, run: Any) -> int:
    import contextlib
    import copy
    import io

    import pandas as pd

    from ..scenarios import LABEL, _rows, read_scenarios

    if getattr(args, "plot", None):
        raise CommandError("--plot draws one analysis; it cannot be combined with --params")
    table = read_scenarios(args.params)
    tree = read_input_tree(args)
    rows = []
    given = [c for c in table.columns if c != LABEL]
    for label, values in _rows(tree, table):
        one = copy.copy(args)
        one.params = None
        one.json, one.csv = True, False
        extra = [f"{k}={v}" for k, v in values.items()]
        one.assignments = [*(getattr(args, "assignments", None) or []), *extra]
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            status = run(one)
        if status:
            return int(status)
        row = {LABEL: label, **{k: str(values[k]) if k in values else "" for k in given}}
        row.update({k: v for k, v in _flatten(json.loads(buffer.getvalue())).items() if k not in row})
        rows.append(row)
    frame = pd.DataFrame(rows).set_index(LABEL)
    emit(args, data={"scenarios": frame.reset_index().to_dict(orient="records")}, table=frame)
    return 0


def add_method_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--exact", action="store_true", help="exact rational arithmetic")
    group.add_argument("--symbolic", action="store_true", help="symbolic arithmetic (sympy)")


def method_of(args: argparse.Namespace) -> str:
    if getattr(args, "symbolic", False):
        return "symbolic"
    if getattr(args, "exact", False):
        return "exact"
    return "float"


def add_utility_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--risk-tolerance``, ``--utility`` and ``--risk-neutral`` (the tree's utility by default)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--risk-tolerance",
        metavar="R",
        default=None,
        help="exponential utility u(x) = 1 - exp(-x/R); R a number or an expression in the parameters",
    )
    group.add_argument(
        "--utility",
        metavar="EXPR",
        default=None,
        help="utility as an increasing expression in x, e.g. 'log(x + 100)'",
    )
    group.add_argument(
        "--risk-neutral", action="store_true", help="ignore the tree's utility: expected values"
    )


def utility_of(args: argparse.Namespace) -> Any:
    """Return the utility the flags ask for: a spec, ``None`` (risk neutral) or ``"tree"``."""
    if getattr(args, "risk_neutral", False):
        return None
    if getattr(args, "risk_tolerance", None) is not None:
        return {"type": "exponential", "risk_tolerance": args.risk_tolerance}
    if getattr(args, "utility", None) is not None:
        return {"expression": args.utility}
    return "tree"


def add_format_options(parser: argparse.ArgumentParser, *, csv: bool = True) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print JSON")
    if csv:
        group.add_argument("--csv", action="store_true", help="print CSV")


def parse_assignments(items: Sequence[str], tree: DecisionTree) -> dict[str, Any]:
    """Parse ``NAME=VALUE`` strings into exact parameter values."""
    values: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise CommandError(f"--set expects NAME=VALUE, got {item!r}")
        name, _, text = item.partition("=")
        name = name.strip()
        tree.parameter(name)
        try:
            values[name] = exact_number(text.strip())
        except (ValueError, TypeError) as err:
            raise CommandError(f"--set {name}: {err}") from None
        except ModelError as err:
            raise CommandError(f"--set {name}: {err.message}") from None
    return values


def read_input_tree(args: argparse.Namespace, **options: Any) -> DecisionTree:
    """Read ``FILE`` within ``--max-file-size``; refuse a bad ``-o``/``--plot`` target before the work."""
    for flag, attr in (("-o", "output"), ("--plot", "plot"), ("OUT", "out")):
        path = getattr(args, attr, None)
        if isinstance(path, str):
            check_output(args, path, flag)
            if attr == "plot":
                figure_format(path)
    return read_tree(args.file, max_bytes=getattr(args, "max_file_size", None), **options)


def node_count(tree: DecisionTree) -> int:
    """Return the number of nodes of the tree, counted without recursion (any depth)."""
    count, stack = 0, [tree.root]
    while stack:
        node = stack.pop()
        count += 1
        stack.extend(getattr(node, "children", ()) or ())
    return count


def load_tree(args: argparse.Namespace) -> tuple[DecisionTree, dict[str, Any]]:
    """Read the tree named on the command line and the ``--set`` values."""
    tree = read_input_tree(args)
    values = parse_assignments(getattr(args, "assignments", []) or [], tree)
    return tree, values


#: Figure formats ``--plot`` writes, by suffix.
FIGURE_FORMATS = ("png", "svg", "pdf")


def figure_format(path: str) -> str:
    """Return the figure format of ``path`` from its suffix; refuse one ``--plot`` cannot write."""
    from pathlib import Path

    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        shown = f"'.{fmt}'" if fmt else "no suffix"
        raise CommandError(
            f"--plot {path}: cannot write a figure with {shown}; the file should end in .png, .svg or .pdf"
        )
    return fmt


def save_figure(fig: Any, path: str, *, dpi: int = 120, args: argparse.Namespace | None = None) -> None:
    """Write a matplotlib figure to ``path`` (PNG, SVG or PDF by suffix) atomically, then close it.

    With ``args``, the command's input files are protected from being overwritten.
    """
    import io

    import matplotlib.pyplot as plt

    try:
        fmt = figure_format(path)
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=dpi)
    finally:
        plt.close(fig)
    write_output(args if args is not None else argparse.Namespace(), path, buffer.getvalue(), "--plot")


def jsonable(value: Any) -> Any:
    """Convert numbers, arrays, sympy objects and frames into JSON-ready data."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else str(v)
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, sympy.Basic):
        if value.is_Integer:
            return int(value)
        return str(value)
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "to_dict") and hasattr(value, "columns"):
        return [jsonable(r) for r in value.to_dict(orient="records")]
    if value is None or isinstance(value, str):
        return value
    return str(value)


def emit(
    args: argparse.Namespace,
    *,
    data: Mapping[str, Any],
    table: Any = None,
    text: str | None = None,
    kinds: Mapping[str, str] | None = None,
    unit: str | None = None,
    empty: str | None = None,
) -> None:
    """Print a result: JSON with ``--json``, CSV of ``table`` with ``--csv``, else text.

    JSON and CSV keep full precision.  The text table writes its numbers as
    :mod:`evtree.presentation.display` does (``kinds`` maps columns to kinds of
    quantity, ``unit`` is added to the headers of value columns); an empty table
    prints one line saying why (``empty``, or the table's ``attrs["why_empty"]``),
    never ``Empty DataFrame``.
    """
    out = sys.stdout
    if getattr(args, "json", False):
        json.dump(jsonable(data), out, indent=2)
        out.write("\n")
    elif getattr(args, "csv", False):
        if table is None:
            raise CommandError("this command has no table to write as CSV")
        table.to_csv(out)
    else:
        if text is not None:
            out.write(text.rstrip("\n") + "\n")
        if table is not None:
            from ..presentation.display import empty_note, text_table

            if len(table) == 0:
                why = empty or table.attrs.get("why_empty") or "no rows"
                out.write(empty_note(f"evtree {getattr(args, 'command', '')}".strip(), why) + "\n")
            else:
                out.write(text_table(table, kinds=kinds, unit=unit) + "\n")


# -- numbers and strategies in text --------------------------------------------------------------
def number(value: Any, kind: str = "value", **options: Any) -> str:
    """Return a number as the command line writes it (see :func:`evtree.presentation.display.number_text`)."""
    from ..presentation.display import number_text

    return number_text(value, kind, **options)


def strategy_of(tree: DecisionTree, text: str | None, *, complete: bool = False) -> dict[str, str] | None:
    """Return the policy a ``--strategy`` value names; ``None`` for ``optimal`` or nothing.

    Accepts ``decision=label, ...`` pairs and evtree 0.1's comma-joined labels
    (:func:`evtree.core.evaluate.parse_strategy`).
    """
    from ..core.evaluate import parse_strategy

    if text is None or text.strip() in ("", "optimal"):
        return None
    return parse_strategy(tree, text, complete=complete)
