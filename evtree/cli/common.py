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
    "add_format_options",
    "add_utility_options",
    "add_method_options",
    "add_set_option",
    "add_tree_argument",
    "emit",
    "jsonable",
    "load_tree",
    "method_of",
    "parse_assignments",
    "save_figure",
    "utility_of",
]


class CommandError(EvtreeError):
    """A command-line usage problem (bad flag value and the like)."""


def add_tree_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="tree file (.yaml, .yml or .json)")


def add_set_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        dest="assignments",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="override a parameter's default value (repeatable); VALUE may be 1/3 or 0.25",
    )


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


def load_tree(args: argparse.Namespace) -> tuple[DecisionTree, dict[str, Any]]:
    """Read the tree named on the command line and the ``--set`` values."""
    tree = read_tree(args.file)
    values = parse_assignments(getattr(args, "assignments", []) or [], tree)
    return tree, values


def save_figure(fig: Any, path: str, *, dpi: int = 120) -> None:
    """Write a matplotlib figure to ``path`` (PNG, SVG or PDF by suffix) atomically, then close it."""
    import os
    import tempfile
    from pathlib import Path

    import matplotlib.pyplot as plt

    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        plt.close(fig)
        raise CommandError(f"--plot: {path} should end in .png, .svg or .pdf")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or Path("."))
    try:
        with os.fdopen(fd, "wb") as handle:
            fig.savefig(handle, format=fmt, dpi=dpi)
        os.replace(tmp, target)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise CommandError(f"--plot: cannot write {path}: {err.strerror or err}") from None
    finally:
        plt.close(fig)


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
    args: argparse.Namespace, *, data: Mapping[str, Any], table: Any = None, text: str | None = None
) -> None:
    """Print a result: JSON with ``--json``, CSV of ``table`` with ``--csv``, else text."""
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
            import pandas as pd

            with pd.option_context("display.max_rows", 200, "display.max_columns", 50, "display.width", 200):
                out.write(table.to_string() + "\n")
