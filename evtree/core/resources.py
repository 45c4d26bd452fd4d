"""Resources bounded up front: memory estimated before an allocation, sizes given as text.

Functions
---------
memory_limit        the current cap on one analysis' memory, in bytes
set_memory_limit    change the cap (the command line's ``--max-memory``)
limited_memory      a context manager that sets the cap for a block
check_memory        refuse an allocation whose estimate is over the cap
time_limit          the current cap on the estimated running time of one long analysis, in seconds
set_time_limit      change it (the command line's ``--max-time``)
check_time          refuse a computation whose estimated time is over that cap
grid_bytes          estimate of a vectorised rollback over N points of a tree
check_grid          refuse such a rollback over the cap (sensitivity sweeps and grids)
parse_size          ``"512M"``, ``"2 GiB"``, ``"10**9"`` -> bytes
size_text           bytes -> ``"1.5 GiB"``

The default cap is half the physical memory (2 GiB where it cannot be read), at
most 16 GiB: :data:`DEFAULT_MEMORY_FRACTION` of what ``os.sysconf`` reports.
Estimates count the arrays evtree allocates (8 bytes a float), not Python's own
overhead, so they are a floor: an analysis refused here could not have run.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Iterator
from typing import Any

from .errors import EvaluationError

__all__ = [
    "DEFAULT_MEMORY_FRACTION",
    "ResourceLimitError",
    "check_grid",
    "check_memory",
    "grid_bytes",
    "limited_memory",
    "memory_limit",
    "parse_size",
    "check_time",
    "set_memory_limit",
    "set_time_limit",
    "size_text",
    "time_limit",
    "time_text",
]

#: Fraction of the physical memory one analysis may use by default.
DEFAULT_MEMORY_FRACTION = 0.5
_FALLBACK = 2 * 2**30
_CEILING = 16 * 2**30
_limit: int | None = None
#: Default cap on the estimated running time of a long analysis (nested EVPPI), in seconds.
DEFAULT_TIME_LIMIT = 3600.0
_time_limit: float | None = None


class ResourceLimitError(EvaluationError):
    """An analysis would need more memory (or time) than its limit allows; nothing was allocated."""


def _physical_memory() -> int | None:
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    if pages <= 0 or size <= 0:
        return None
    return int(pages) * int(size)


def default_memory_limit() -> int:
    """Return the default cap: half the physical memory, at most 16 GiB (2 GiB if unknown)."""
    total = _physical_memory()
    if total is None:
        return _FALLBACK
    return int(min(_CEILING, total * DEFAULT_MEMORY_FRACTION))


def memory_limit() -> int:
    """Return the current cap on the memory of one analysis, in bytes."""
    return default_memory_limit() if _limit is None else _limit


def set_memory_limit(limit: int | str | None) -> None:
    """Set the cap (bytes, or text such as ``"8G"``); ``None`` restores the default."""
    global _limit
    _limit = None if limit is None else parse_size(limit) if isinstance(limit, str) else int(limit)
    if _limit is not None and _limit < 1:
        raise ValueError(f"the memory limit must be positive, got {limit!r}")


@contextlib.contextmanager
def limited_memory(limit: int | str | None) -> Iterator[None]:
    """Set the memory cap inside a ``with`` block, then restore the previous one."""
    global _limit
    previous = _limit
    set_memory_limit(limit)
    try:
        yield
    finally:
        _limit = previous


_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_size(text: str | int) -> int:
    """Return a size in bytes from ``"512M"``, ``"2GiB"``, ``"1.5 G"``, ``"10**9"`` or ``"1000"``.

    Units are binary (K = 1024 bytes); ``B`` and ``iB`` suffixes are optional.

    Raises
    ------
    ValueError
        If the text is not a positive size.

    Examples
    --------
    >>> parse_size("2G"), parse_size("512 MiB"), parse_size("10**3")
    (2147483648, 536870912, 1000)
    """
    if isinstance(text, int) and not isinstance(text, bool):
        value: float = text
    else:
        raw = str(text).strip().replace("_", "")
        power = re.fullmatch(r"(\d+)\s*\*\*\s*(\d{1,2})", raw)
        match = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?)(?:i?b)?", raw, flags=re.IGNORECASE)
        if power:
            value = int(power.group(1)) ** int(power.group(2))
        elif match:
            value = float(match.group(1)) * _UNITS[match.group(2).lower()]
        else:
            raise ValueError(f"expected a size such as 512M, 2G or 1000000 (bytes), got {text!r}")
    if not math.isfinite(value) or value < 1:
        raise ValueError(f"expected a positive size, got {text!r}")
    return int(value)


def size_text(n: float) -> str:
    """Return a number of bytes for a person: ``"512 bytes"``, ``"3.2 MB"``, ``"1.5 GB"``, ``"2.0 TB"``."""
    n = float(n)
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} bytes"


def check_memory(n_bytes: float, what: str, *, lower: str | None = None) -> None:
    """Refuse an allocation whose estimated size is over :func:`memory_limit`.

    Parameters
    ----------
    n_bytes : float
        The estimate, in bytes.
    what : str
        What would be allocated, as the user asked for it (``"--draws 1000000000"``,
        ``"points=10**9"``); it starts the message.
    lower : str, optional
        What to lower instead (e.g. ``"--draws or --chunk-size"``).

    Raises
    ------
    ResourceLimitError
        If the estimate is over the cap; the message gives the estimate, the cap
        and how to raise it.
    """
    cap = memory_limit()
    if n_bytes <= cap:
        return
    advice = f"lower {lower}, or " if lower else ""
    raise ResourceLimitError(
        f"{what} needs about {size_text(n_bytes)} of memory (estimated before allocating), over the "
        f"limit of {size_text(cap)}; {advice}raise the limit with --max-memory "
        "(evtree.core.resources.set_memory_limit in Python)"
    )


def grid_bytes(tree: Any, n_points: float, *, arrays_per_node: int = 3) -> float:
    """Estimate the memory of a float rollback vectorised over ``n_points`` points of ``tree``.

    Every node holds ``arrays_per_node`` arrays of one float per point (its value,
    its probability, the choice made), and every parameter one array.
    """
    n_nodes = tree.n_nodes if isinstance(getattr(tree, "n_nodes", None), int) else _count_nodes(tree)
    n_parameters = len(getattr(tree, "parameters", ()) or ())
    return 8.0 * float(n_points) * (arrays_per_node * n_nodes + n_parameters + 8)


def _count_nodes(tree: Any) -> int:
    nodes = getattr(tree, "nodes", None)
    if nodes is None:
        return 1
    return sum(1 for _ in nodes())


def time_limit() -> float:
    """Return the cap on the estimated running time of one long analysis, in seconds."""
    return DEFAULT_TIME_LIMIT if _time_limit is None else _time_limit


def set_time_limit(seconds: float | None) -> None:
    """Set the cap on estimated running time (seconds); ``None`` restores :data:`DEFAULT_TIME_LIMIT`."""
    global _time_limit
    if seconds is not None and not (float(seconds) > 0):
        raise ValueError(f"the time limit must be positive, got {seconds!r}")
    _time_limit = None if seconds is None else float(seconds)


def time_text(seconds: float) -> str:
    """Return a duration for a person: ``"40 s"``, ``"12 min"``, ``"3.5 hours"``, ``"12 days"``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.0f} days"


def check_time(seconds: float, what: str, *, lower: str | None = None) -> None:
    """Refuse a computation whose estimated running time is over :func:`time_limit`.

    Raises
    ------
    ResourceLimitError
        With the estimate, the cap and how to raise it.
    """
    cap = time_limit()
    if seconds <= cap:
        return
    advice = f"lower {lower}, or " if lower else ""
    raise ResourceLimitError(
        f"{what} would take about {time_text(seconds)} (estimated from a pilot run), over the limit "
        f"of {time_text(cap)}; {advice}raise the limit with --max-time SECONDS "
        "(evtree.core.resources.set_time_limit in Python)"
    )


def check_grid(tree: Any, points: Any, what: str, *, axes: int = 1) -> None:
    """Refuse a vectorised rollback of ``tree`` on a grid too big for :func:`memory_limit`.

    Parameters
    ----------
    tree : DecisionTree
    points : int or sequence of int
        Points per axis (an int is the same on each of ``axes`` axes).  Anything
        that is not a positive count passes (the caller checks it).
    what : str
        The analysis, e.g. ``"a two-way grid"``; the message adds the points.
    axes : int, default 1

    Raises
    ------
    ResourceLimitError
        If :func:`grid_bytes` of the grid is over :func:`memory_limit`.
    """
    counts = tuple(points) if isinstance(points, (tuple, list)) else (points,) * axes
    if not counts or not all(isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in counts):
        return
    shown = " x ".join(f"{c:,}" for c in counts)
    check_memory(
        grid_bytes(tree, math.prod(counts)), f"{what} of {shown} points", lower="the number of points"
    )
