"""Entry point of the ``evtree`` console script.

Each module in :data:`COMMAND_MODULES` defines ``register(subparsers)``, which
adds its subcommands and sets ``func`` on them.  Errors evtree raises on purpose
are printed as one line (followed by the nearest names, one per line, when a name
was not recognised) and exit with status 2; nothing prints a traceback
unless ``EVTREE_DEBUG=1`` is set.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Iterator, Sequence

from ..core.errors import EvtreeError

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

#: Modules that contribute subcommands, in the order they are listed by ``--help``.
COMMAND_MODULES = (
    "evtree.cli.core",
    "evtree.cli.sensitivity",
    "evtree.cli.voi",
    "evtree.cli.claims",
    "evtree.cli.psa",
    "evtree.cli.report",
    "evtree.cli.cea",
    "evtree.cli.games",
    "evtree.cli.convert",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand registered."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="evtree",
        description="Decision trees and expected-value analysis: exact, symbolic and fast.",
    )
    parser.add_argument("--version", action="version", version=f"evtree {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


@contextlib.contextmanager
def _limits(args: argparse.Namespace) -> Iterator[None]:
    """Apply ``--max-memory`` and ``--max-time`` for the command, then restore the previous limits."""
    from ..core import resources

    memory, seconds = getattr(args, "max_memory", None), getattr(args, "max_time", None)
    old_time = resources._time_limit
    with resources.limited_memory(memory) if memory is not None else contextlib.nullcontext():
        try:
            if seconds is not None:
                resources.set_time_limit(seconds)
            yield
        finally:
            resources._time_limit = old_time


def _named_flag(args: argparse.Namespace, err: EvtreeError) -> EvtreeError:
    """Return the problem prefixed by the flag it came from, for a utility given on the command line.

    ``--utility`` and ``--risk-tolerance`` build the same utility a file's ``utility``
    field does, so their problems are found where utilities are checked and name
    that field; the user wrote a flag, and the message names the flag instead.
    """
    from .common import CommandError

    text = str(err).splitlines()[0]
    field = getattr(err, "field", None) or ""
    for flag, attr in (("--utility", "utility"), ("--risk-tolerance", "risk_tolerance")):
        given = getattr(args, attr, None)
        if given is None or flag in text:
            continue
        if (
            field.startswith("utility")
            or "utility" in text
            or getattr(err, "expression", None) == str(given)
            or "risk tolerance" in text
        ):
            return CommandError(f"{flag} {given!r}: {getattr(err, 'message', None) or text}")
    return err


def _placed_in_file(args: argparse.Namespace, err: EvtreeError) -> EvtreeError:
    """Return the same problem with its ``file:line`` when a command met it without the place.

    Analyses see the built tree, not the file, so a claim, a distribution or a node
    they refuse is named by its field or node only.  On that (error) path the file is
    validated once and the located report of the same problem is given instead: the
    same message, else the same field, else the same node, else the file's only
    problem.  Anything else is left as it is.
    """
    first = (getattr(err, "problems", None) or [err])[0]  # a ValidationError prints its first problem
    field = getattr(first, "field", None)
    node = getattr(first, "node", None)
    path = getattr(args, "file", None)
    if not (field or node) or not isinstance(path, str) or getattr(first, "where", None):
        return err
    from ..validation import validate_file

    try:
        _, problems = validate_file(path)
    except (EvtreeError, OSError, RecursionError, MemoryError):
        return err
    problems = [p for p in problems if p.where]
    message = getattr(first, "message", None)

    def placed_field(problem: EvtreeError) -> str:
        where = getattr(problem, "where", "") or ""
        return getattr(problem, "field", None) or (
            where[where.find("(") + 1 : -1] if where.endswith(")") else ""
        )

    tests = [
        lambda p: message is not None and getattr(p, "message", None) == message,
        lambda p: (
            bool(field)
            and (placed_field(p) == field or placed_field(p).startswith((f"{field}.", f"{field}[")))
        ),
        lambda p: bool(node) and getattr(p, "node", None) == node,
    ]
    for test in tests:
        for problem in problems:
            if test(problem):
                return problem
    return problems[0] if len(problems) == 1 else err


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with _limits(args):
            status = args.func(args)
    except EvtreeError as err:
        if os.environ.get("EVTREE_DEBUG"):
            raise
        err = _named_flag(args, _placed_in_file(args, err))
        print(f"evtree {args.command}: error: {str(err).splitlines()[0]}", file=sys.stderr)
        for name in getattr(err, "suggestions", ()):  # nearest names, one per line
            print(f"  {name}", file=sys.stderr)
        return 2
    except MemoryError:  # a resource, not a bug: the sizes evtree could not estimate up front
        print(
            f"evtree {args.command}: error: ran out of memory; this input is too large for this "
            "machine's memory (sizes evtree estimates are checked first: see --max-memory)",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print(f"evtree {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # a bug: say so in one line, keep the traceback behind a flag
        if os.environ.get("EVTREE_DEBUG"):
            raise
        print(
            f"evtree {args.command}: internal error: {type(err).__name__}: {err} "
            "(set EVTREE_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 3
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
