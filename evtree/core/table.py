"""Trees held as columns: built in one call, their node objects made only when asked for.

    NodeTable        a tree's nodes as columns, in breadth-first order
    tree_from_table  a DecisionTree from a table of nodes (a mapping of columns or a DataFrame)

A tree of millions of nodes built node by node is millions of Python objects
(each node, each branch, each label), and an analysis that only needs the
rolled-back value pays for all of them.  A tree built from a table (or read
from a large file, :mod:`evtree.formats.native`) keeps its nodes as columns: it
is compiled straight from them (:func:`evtree.core.compile.compile_tree`) and
evaluated without a single node object.  The nodes are made, once, the first
time anything asks for them (``tree.root``, ``tree.node(...)``, a drawing, an
edit); from then on the tree is an ordinary tree of nodes.

The table has one row per node; the columns are the file format's keys
(``docs/format.md``):

========== ===================================================================
parent     row number of the parent node; a negative number (or missing) at
           the root, which is the one row without a parent
kind       ``"decision"``, ``"chance"`` or ``"terminal"``
label      label of the branch into the node (not at the root)
name       the node's name (optional)
probability probability of the branch into a child of a chance node
payoff     payoff of the branch into the node (optional)
terminal   a terminal's own payoff
========== ===================================================================

Optional columns ``event`` (chance nodes), ``player`` and ``information_set``
(decision nodes of a game) and ``utility`` (terminals) carry the fields of the
same names.  Siblings keep the order of their rows.  Missing values may be
``None`` or NaN (as pandas writes them); quantities may be numbers or
expressions (text), checked like every other quantity.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from functools import cached_property
from itertools import repeat
from operator import is_not
from typing import TYPE_CHECKING, Any

import numpy as np

from . import model
from .errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["CHANCE", "DECISION", "TERMINAL", "FloatColumn", "NodeTable", "tree_from_table"]

#: Codes of the node kinds in compiled arrays (:mod:`evtree.core.compile` uses the same).
TERMINAL, CHANCE, DECISION = 0, 1, 2

KIND_NAMES = {"terminal": TERMINAL, "chance": CHANCE, "decision": DECISION}
_CLASSES = (model.Terminal, model.Chance, model.Decision)

#: Columns a table may have, beside ``parent`` and ``kind``.
COLUMNS = (
    "label",
    "name",
    "probability",
    "payoff",
    "terminal",
    "event",
    "player",
    "information_set",
    "utility",
)
#: Columns kept as float arrays when given as numeric arrays.
_NUMERIC = ("probability", "payoff", "terminal", "utility")
#: Fields kept per node only where given (rare in large trees).
EXTRA_FIELDS = ("event", "player", "information_set", "utility")


class FloatColumn(Sequence):
    """A column of plain numbers held as a float array: NaN where missing, read as ``None``.

    Tables keep numeric probabilities and payoffs this way (8 bytes a node,
    not a Python object); :mod:`evtree.core.compile` reads the array directly,
    and everything else sees the column as a list of floats and ``None``.
    """

    __slots__ = ("values",)

    def __init__(self, values: np.ndarray) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return FloatColumn(self.values[i])
        x = float(self.values[i])
        return None if x != x else x

    def __iter__(self) -> Any:
        return iter([None if x != x else x for x in self.values.tolist()])

    def given(self) -> np.ndarray:
        """Mask of the entries present."""
        return ~np.isnan(self.values)


@dataclasses.dataclass(frozen=True, eq=False)
class NodeTable:
    """A tree's nodes as columns, breadth first: the children of each node are contiguous, in order.

    Node ``0`` is the root; the children of node ``i`` are the nodes
    ``first_child[i]`` to ``first_child[i] + n_children[i] - 1``, and the
    children of consecutive nodes follow each other, which is the layout of
    :class:`evtree.core.compile.FlatTree`.  Quantities are kept as given
    (numbers, text, or ``None`` where absent).

    Attributes
    ----------
    kind : ndarray of int8
        :data:`TERMINAL`, :data:`CHANCE` or :data:`DECISION` per node.
    n_children : ndarray of int64
        Number of branches of each node.
    label, name : list
        The label of the branch into each node (``None`` at the root), and its name or ``None``.
    probability, branch_payoff, payoff : list
        The branch probability, the branch payoff and (terminals) the terminal payoff, as given.
    extras : mapping
        ``event``, ``player``, ``information_set`` and ``utility``: node position -> value,
        only where given.
    """

    kind: np.ndarray
    n_children: np.ndarray
    label: list[Any]
    name: list[Any]
    probability: list[Any]
    branch_payoff: list[Any]
    payoff: list[Any]
    extras: Mapping[str, Mapping[int, Any]] = dataclasses.field(default_factory=dict)

    @property
    def size(self) -> int:
        """Number of nodes."""
        return len(self.kind)

    @cached_property
    def first_child(self) -> np.ndarray:
        """Position of each node's first child (meaningful where it has children)."""
        out = np.empty(self.size, dtype=np.int64)
        out[0] = 1
        np.cumsum(self.n_children[:-1], out=out[1:])
        out[1:] += 1
        return out

    @cached_property
    def parent(self) -> np.ndarray:
        """Position of each node's parent (``-1`` at the root)."""
        out = np.empty(self.size, dtype=np.int64)
        out[0] = -1
        out[1:] = np.repeat(np.arange(self.size), self.n_children)
        return out

    @cached_property
    def level_bounds(self) -> list[tuple[int, int]]:
        """``(start, stop)`` of every depth, from the root's ``(0, 1)`` down."""
        bounds = [(0, 1)]
        counts = self.n_children
        start, stop = 0, 1
        while True:
            below = int(counts[start:stop].sum())
            if not below:
                return bounds
            start, stop = stop, stop + below
            bounds.append((start, stop))

    @cached_property
    def plain(self) -> bool:
        """Whether the table compiles without node objects: no extra fields, no repeated names."""
        if any(self.extras.values()):
            return False
        return names_unique(self.name)

    def know_names_unique(self, unique: bool) -> None:
        """Record whether the names are unique, found while the table was read (see :attr:`plain`)."""
        self.__dict__["plain"] = unique and not any(self.extras.values())

    def path(self, i: int) -> str:
        """Return the path of node ``i``, as :attr:`evtree.core.model.Node.path` writes it."""
        parent = self.parent
        parts = []
        while i > 0:
            label = self.label[i]
            parts.append(model.escape_label(label) if label is not None else "?")
            i = int(parent[i])
        parts.append(model.escape_label(self.name[0] or "root"))
        return model.Node.separator.join(reversed(parts))

    def materialise(self) -> list[model.Node]:
        """Make the node objects, once: return them in breadth-first order (the root first).

        The values were checked when the table was made, so nodes are made
        without the constructors' checks and without marking any tree changed.
        """
        new = object.__new__
        classes = _CLASSES
        nodes = [new(classes[k]) for k in self.kind.tolist()]
        for node, name, label, probability, branch_payoff in zip(
            nodes, self.name, self.label, self.probability, self.branch_payoff
        ):
            node._name = name
            node._label = label
            node._probability = probability
            node._branch_payoff = branch_payoff
        payoff = self.payoff
        for i in np.flatnonzero(self.kind == TERMINAL).tolist():
            nodes[i]._payoff = payoff[i]
        nodes[0]._label = None
        nodes[0]._NodeMixin__parent = None
        starts = self.first_child.tolist()
        for i in np.flatnonzero(self.n_children).tolist():
            node = nodes[i]
            start = starts[i]
            kids = nodes[start : start + int(self.n_children[i])]
            node._NodeMixin__children = kids
            for kid in kids:
                kid._NodeMixin__parent = node
        for i in np.flatnonzero((self.n_children == 0) & (self.kind != TERMINAL)).tolist():
            nodes[i]._NodeMixin__children = []
        for field, values in self.extras.items():
            for i, value in values.items():
                setattr(nodes[i], f"_{field}", value)
        return nodes


def names_unique(names: list[Any]) -> bool:
    """Whether no name (``None`` aside) occurs twice."""
    missing = names.count(None)
    return len(set(names)) - (1 if missing else 0) == len(names) - missing


# ----------------------------------------------------------------------------- building
def tree_from_table(table: Mapping[str, Any] | pd.DataFrame, **options: Any) -> model.DecisionTree:
    """Build a tree from a table of nodes, one row per node (see the module docstring).

    The tree's node objects are made only when something asks for them;
    :func:`evtree.evaluate` and the analyses that work on the compiled arrays
    never do, so a tree of millions of nodes is built and evaluated in
    seconds.  Every value is checked now, as the node constructors check it.

    Parameters
    ----------
    table : mapping of column name to sequence, or pandas.DataFrame
        Columns ``parent`` and ``kind``, and any of :data:`COLUMNS`.
    **options
        Passed to :class:`~evtree.core.model.DecisionTree` (``parameters``,
        ``objective``, ``name``, ...).

    Returns
    -------
    DecisionTree

    Raises
    ------
    ModelError
        If a column is unknown, a value is invalid, or the rows do not form one
        tree; the message names the row, the column and the node's path.

    Examples
    --------
    >>> tree = tree_from_table({
    ...     "parent": [-1, 0, 0, 2, 2],
    ...     "kind": ["decision", "terminal", "chance", "terminal", "terminal"],
    ...     "label": [None, "sure", "gamble", "win", "lose"],
    ...     "name": ["choice", None, "coin", None, None],
    ...     "probability": [None, None, None, "p", "rest"],
    ...     "terminal": [None, 40, None, 100, 0],
    ... }, parameters=[model.Parameter("p", "1/2")])
    >>> import evtree
    >>> evtree.evaluate(tree, method="exact").value
    50
    """
    return model.DecisionTree(node_table(table), **options)


def node_table(table: Mapping[str, Any] | pd.DataFrame) -> NodeTable:
    """Check a table of nodes and return it as a :class:`NodeTable` in breadth-first order."""
    columns = _columns(table)
    if "parent" not in columns or "kind" not in columns:
        missing = [c for c in ("parent", "kind") if c not in columns]
        raise ModelError(
            f"the table needs the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            field=missing[0],
        )
    n = len(columns["parent"])
    for key, values in columns.items():
        if len(values) != n:
            raise ModelError(f"column {key!r} has {len(values)} rows, 'parent' has {n}", field=key)
    if n == 0:
        raise ModelError("the table has no rows", field="parent")
    kind = _kinds(columns["kind"])
    parent = _parents(columns["parent"], kind)
    order, n_children = _breadth_first(parent, kind)
    rows = None if _identity(order) else order.tolist()

    nothing = FloatColumn(np.broadcast_to(np.nan, (n,)))  # every column not given: no memory

    def column(key: str) -> Any:
        """Return the column in breadth-first order: a new list or array, which the checks may change."""
        values = columns.get(key)
        if values is None:
            return nothing
        if isinstance(values, np.ndarray):
            values = values if rows is None else values[order]
            if key == "label" and values.dtype.kind in "USO":  # few distinct labels: one object each
                import pandas as pd

                codes, uniques = pd.factorize(values, use_na_sentinel=True)
                shared = np.append(np.asarray(uniques, dtype=object), None)
                return shared[codes].tolist()
            if key in _NUMERIC and values.dtype.kind in "fiu":
                return values.astype(float)  # a copy, kept as an array (FloatColumn)
            return values.tolist() if values.dtype != object else list(values)
        return list(values) if rows is None else list(map(values.__getitem__, rows))

    kinds_bfs = kind if rows is None else kind[order]
    where = rows if rows is not None else range(n)
    labels = _texts(_listed(column("label")), "label", where, blank_is_missing=False)
    names = _texts(_listed(column("name")), "name", where, blank_is_missing=True)
    shell = NodeTable(kinds_bfs, n_children, labels, names, nothing, nothing, nothing)
    probability = _quantities(column("probability"), "probability", shell, where, rest=True)
    branch_payoff = _quantities(column("payoff"), "payoff", shell, where)
    payoff = _quantities(column("terminal"), "terminal", shell, where)
    stray = np.flatnonzero((kinds_bfs != TERMINAL) & _given(payoff))
    if len(stray):
        raise _row_error(shell, where, int(stray[0]), "terminal", "only a terminal has a terminal payoff")
    extras: dict[str, dict[int, Any]] = {}
    for key in EXTRA_FIELDS:
        if key not in columns:
            continue
        values = column(key)
        if isinstance(values, (np.ndarray, FloatColumn)):
            values = list(values) if isinstance(values, FloatColumn) else values.tolist()
        given = {i: v for i, v in enumerate(values) if not _missing(v)}
        if given:
            extras[key] = _extra(key, given, kinds_bfs, shell, where)
    if extras.get("utility"):
        model._TERMINAL_UTILITIES[0] = True
    if extras.get("event"):
        model._EVENTS_USED[0] = True
    return NodeTable(kinds_bfs, n_children, labels, names, probability, branch_payoff, payoff, extras)


def _columns(table: Any) -> dict[str, Any]:
    """Return the table's columns (lists or numpy arrays), checking their names."""
    if hasattr(table, "to_dict") and hasattr(table, "columns"):  # a pandas DataFrame
        columns = {str(c): table[c].to_numpy() for c in table.columns}
    elif isinstance(table, Mapping):
        columns = {str(k): v for k, v in table.items()}
    else:
        raise ModelError(
            f"a table of nodes is a mapping of columns or a DataFrame, not {type(table).__name__}"
        )
    known = {"parent", "kind", *COLUMNS}
    for key in columns:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (columns: {', '.join(sorted(known))})"
            raise ModelError(f"unknown column {key!r}{hint}", field=key)
    out: dict[str, Any] = {}
    for key, values in columns.items():
        if isinstance(values, np.ndarray):
            if values.ndim != 1:
                raise ModelError(f"column {key!r} must be one-dimensional", field=key)
            out[key] = values
        elif isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__len__"):
            raise ModelError(f"column {key!r} must be a sequence of values", field=key)
        else:
            out[key] = values if isinstance(values, list) else list(values)
    return out


def _kinds(values: Any) -> np.ndarray:
    codes = KIND_NAMES
    if isinstance(values, np.ndarray) and values.dtype.kind in "US":
        out = np.full(len(values), -1, dtype=np.int8)
        for text, code in codes.items():
            out[values == text] = code
        if (out >= 0).all():
            return out
        values = values.tolist()
    try:
        return np.array(list(map(codes.__getitem__, values)), dtype=np.int8)
    except (KeyError, TypeError):
        pass
    for row, v in enumerate(values):
        if not isinstance(v, str) or v not in codes:
            close = difflib.get_close_matches(str(v), list(codes), n=1) if isinstance(v, str) else []
            hint = f"; did you mean {close[0]!r}?" if close else " (decision, chance or terminal)"
            raise ModelError(f"row {row}: unknown kind {v!r}{hint}", field="kind")
    raise AssertionError("unreachable")  # pragma: no cover


def _parents(values: Any, kind: np.ndarray) -> np.ndarray:
    n = len(values)
    parent = None
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        parent = values.astype(np.int64)
    else:
        try:
            array = np.array(values, dtype=float)  # None and NaN: no parent
        except (TypeError, ValueError, OverflowError):
            array = None
        if array is not None and array.shape == (n,):
            missing = np.isnan(array)
            whole = np.isfinite(array) & (array == np.round(array))
            if (missing | whole).all() and bool not in set(map(type, values)):
                parent = np.where(missing, -1, array).astype(np.int64)
    if parent is None:
        for row, v in enumerate(values):
            if not (_missing(v) or (isinstance(v, (int, np.integer)) and not isinstance(v, bool))):
                if not (isinstance(v, float) and v.is_integer()):
                    raise ModelError(f"row {row}: the parent must be a row number, got {v!r}", field="parent")
        raise ModelError("the parents must be row numbers", field="parent")  # pragma: no cover
    roots = np.flatnonzero(parent < 0)
    if len(roots) != 1:
        found = "none" if not len(roots) else "rows " + ", ".join(map(str, roots[:5].tolist()))
        raise ModelError(
            f"the table needs exactly one root (a row without a parent); found {found}", field="parent"
        )
    bad = np.flatnonzero(parent >= n)
    if len(bad):
        row = int(bad[0])
        raise ModelError(
            f"row {row}: parent {int(parent[row])} is not a row (the table has {n})", field="parent"
        )
    below = np.flatnonzero(parent >= 0)
    terminal_parent = below[kind[parent[below]] == TERMINAL]
    if len(terminal_parent):
        row = int(terminal_parent[0])
        raise ModelError(
            f"row {row}: its parent, row {int(parent[row])}, is a terminal, which has no branches",
            field="parent",
        )
    return parent


def _breadth_first(parent: np.ndarray, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the rows in breadth-first order (siblings in row order) and each node's number of children."""
    n = len(parent)
    root = int(np.flatnonzero(parent < 0)[0])
    if root == 0 and (np.diff(parent[1:]) >= 0).all() and (parent[1:] < np.arange(1, n)).all():
        # Rows grouped by parent, parents first: already breadth first.
        return np.arange(n), np.bincount(parent[1:], minlength=n).astype(np.int64)
    non_root = np.flatnonzero(parent >= 0)
    by_parent = non_root[np.argsort(parent[non_root], kind="stable")]  # children grouped, in row order
    counts = np.bincount(parent[non_root], minlength=n)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    order = [np.array([root])]
    level = order[0]
    total = 1
    while total <= n:
        c = counts[level]
        size = int(c.sum())
        if not size:
            break
        offsets = np.repeat(starts[level] - np.concatenate(([0], np.cumsum(c)[:-1])), c)
        level = by_parent[offsets + np.arange(size)]
        order.append(level)
        total += size
    flat_order = np.concatenate(order)
    if total != n:  # rows in a loop never reached from the root
        seen = np.zeros(n, dtype=bool)
        seen[flat_order[: min(total, n)]] = True
        row = int(np.flatnonzero(~seen)[0])
        raise ModelError(f"row {row} is not below the root: the parents form a loop", field="parent")
    return flat_order, counts[flat_order].astype(np.int64)


def _listed(values: Any) -> list[Any]:
    """Return a column of text as a list (a missing column is all ``None``)."""
    if isinstance(values, FloatColumn):
        return [None] * len(values) if values.values.strides == (0,) else list(values)
    if isinstance(values, np.ndarray):
        return values.tolist()
    return values


def _identity(order: np.ndarray) -> bool:
    return bool((order == np.arange(len(order))).all())


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _given(values: Any) -> np.ndarray:
    if isinstance(values, FloatColumn):
        return values.given()
    return np.fromiter(map(is_not, values, repeat(None)), dtype=bool, count=len(values))


_TEXT_TYPES = {str, type(None)}
_PLAIN_NUMBERS = {float, int, type(None)}


def _texts(values: list[Any], field: str, rows: Any, *, blank_is_missing: bool) -> list[Any]:
    """Labels or names: text, ``None`` where missing; numbers become text (labels only)."""
    if set(map(type, values)) <= _TEXT_TYPES and not any(map(str.isspace, filter(None, values))):
        if blank_is_missing and "" in values:
            return [None if v == "" else v for v in values]
        return values
    out = []
    for i, v in enumerate(values):
        if _missing(v) or (blank_is_missing and v == ""):
            out.append(None)
        elif type(v) is str and (v.strip() or not blank_is_missing):
            out.append(v)
        elif (
            field == "label"
            and not isinstance(v, bool)
            and isinstance(v, (int, float, np.integer, np.floating))
        ):
            out.append(str(v))
        else:
            what = "a label must be text" if field == "label" else "a node name must be non-empty text"
            raise ModelError(f"row {rows[i]}: {what}, got {v!r}", field=field)
    return out


def _quantities(
    values: list[Any], field: str, shell: NodeTable, rows: Any, *, rest: bool = False
) -> list[Any]:
    """Probabilities or payoffs as given, checked like the constructors check them; ``None`` where missing."""
    if values is shell.probability:  # the column was not given
        return values
    if isinstance(values, FloatColumn):
        values = values.values
    if isinstance(values, np.ndarray):  # numbers: checked as an array, kept as one
        bad = np.flatnonzero(np.isinf(values))
        if len(bad):
            i = int(bad[0])
            raise _row_error(shell, rows, i, field, f"{float(values[i])!r} is not a finite number")
        return FloatColumn(values)
    array = None
    if set(map(type, values)) <= _PLAIN_NUMBERS:  # Python numbers and None: checked as an array
        try:
            array = np.array(values, dtype=float)  # None becomes NaN
        except OverflowError:  # an int beyond the float range: refused below, by the constructors' check
            array = None
    if array is not None and not np.isinf(array).any():
        for i in np.flatnonzero(np.isnan(array)).tolist():
            values[i] = None  # the column is this table's own copy
        return values
    check = model._check_quantity
    out = []
    for i, v in enumerate(values):
        if _missing(v):
            out.append(None)
            continue
        if isinstance(v, np.generic):
            v = v.item()
        try:
            out.append(check(v, "payoff" if field == "terminal" else field, None, allow_rest=rest))
        except ModelError as err:
            raise _row_error(shell, rows, i, field, err.message) from None
    return out


def _extra(
    key: str, given: dict[int, Any], kinds: np.ndarray, shell: NodeTable, rows: list[int]
) -> dict[int, Any]:
    owner = {"event": CHANCE, "player": DECISION, "information_set": DECISION, "utility": TERMINAL}[key]
    for i, v in given.items():
        if kinds[i] != owner:
            what = {CHANCE: "a chance node", DECISION: "a decision node", TERMINAL: "a terminal"}[owner]
            raise _row_error(shell, rows, i, key, f"'{key}' belongs on {what}")
        if key == "utility":
            try:
                given[i] = model._check_quantity(v, "utility", None)
            except ModelError as err:
                raise _row_error(shell, rows, i, key, err.message) from None
        elif type(v) is not str or not v.strip():
            raise _row_error(shell, rows, i, key, f"'{key}' must be a name, got {v!r}")
    return given


def _row_error(shell: NodeTable, rows: list[int], i: int, field: str, message: str) -> ModelError:
    try:
        where = shell.path(i)
    except Exception:  # noqa: BLE001 - the path is a courtesy; the row number is what matters
        where = None
    return ModelError(f"row {rows[i]}: {message}", node=where, field=field)
