"""Read and write trees as YAML or JSON (one schema, documented in ``docs/format.md``).

    read_tree     read a tree from a path, an open file or a string
    write_tree    write a tree to a path (atomically) or return the text
    tree_to_dict  the tree as plain data, in the file schema
    tree_from_dict  a tree from plain data, checking every field

Errors name the place in the file: ``file:line:column`` for YAML, and for both
formats the path of the field, e.g. ``root.branches[1].probability``.  YAML is
read with a safe loader and the YAML 1.2 core schema; aliases and duplicate keys are
refused, in JSON too (see :mod:`evtree.formats._parse`).
"""

from __future__ import annotations

import array
import itertools
import json
import math
import os
from collections.abc import Mapping
from itertools import repeat
from typing import IO, Any

import numpy as np
import yaml

from ..core import components, model
from ..core.atomic import deliver_text
from ..core.errors import ExpressionError, FileFormatError, ModelError
from ..core.expressions import expression_text
from ..core.files import read_text
from . import _parse

__all__ = ["FORMAT_VERSION", "read_tree", "tree_from_dict", "tree_to_dict", "write_tree"]

#: Version of the file schema written by :func:`write_tree`.
FORMAT_VERSION = 1

_TOP_KEYS = {
    "evtree",
    "name",
    "description",
    "objective",
    "rule",
    "parameters",
    "utility",
    "distributions",
    "claims",
    "metadata",
    "root",
    "criteria",
    "players",
    "subtrees",
}
_NODE_KEYS = {"decision", "chance", "terminal"}
_GAME_KEYS = {"player", "information_set"}  # decision nodes of a game (evtree.games)
_BRANCH_KEYS = (
    {"label", "probability", "payoff", "name", "branches", "event", "use", "utility"}
    | _NODE_KEYS
    | _GAME_KEYS
)
_PARAM_KEYS = {"value", "low", "high", "description", "distribution"}


# ----------------------------------------------------------------------------- reading
# The text-parsing stage (YAML 1.2 core schema, JSON duplicate keys, places, deep files)
# lives in evtree.formats._parse; its names stay importable from here.
_Marked, _MarkedList, _Loader, _Where = _parse._Marked, _parse._MarkedList, _parse._Loader, _parse._Where


def read_tree(
    source: str | os.PathLike[str] | IO[str],
    *,
    format: str | None = None,
    max_bytes: int | None = None,
) -> model.DecisionTree:
    """Read a tree from a YAML or JSON file, an open file, or text.

    Parameters
    ----------
    source : path, file object or str
        A path to a ``.yaml``, ``.yml`` or ``.json`` file, an open text file,
        or the document itself as a string (when it contains a line break or
        starts with ``{``).
    format : {"yaml", "json"}, optional
        Overrides the format inferred from the file name or content.
    max_bytes : int, optional
        Largest file read (:data:`evtree.core.files.MAX_FILE_BYTES` by default;
        ``--max-file-size`` on the command line).

    Returns
    -------
    DecisionTree

    Raises
    ------
    FileFormatError
        If the document is malformed; the message names the place in the file.
    ModelError
        If a field is invalid, with the same location.
    """
    name, text = _read_source(source, max_bytes=max_bytes)
    fmt = format or _guess_format(name, text)
    if fmt not in ("yaml", "json"):
        raise ValueError(f"unknown format {fmt!r}; use 'yaml' or 'json'")
    where = _Where(name)

    def parse_and_build() -> model.DecisionTree:
        # Parse and build with the collector paused: a large file makes millions of objects.
        with model.building():
            if len(text) > FAST_READ_BYTES:
                data, table = _load_large(name, text, fmt)
            else:
                data, table = _parse.load_document(name, text, fmt), None
            _parse.check_top_level(data, where)
            return _tree_from_dict(data, where, table)

    return _parse.parse_deep(name, text, fmt, parse_and_build)


def _read_source(source: Any, *, max_bytes: int | None = None) -> tuple[str, str]:
    if hasattr(source, "read"):
        return getattr(source, "name", "<stream>"), source.read()
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and "\n" not in source and not source.lstrip().startswith("{")
    ):
        # regular files only (no FIFO or device), within the size cap, located errors
        return str(source), read_text(source, limit=max_bytes)
    return "<string>", source


def _guess_format(name: str, text: str) -> str:
    lower = name.lower()
    if lower.endswith(".json"):
        return "json"
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    return "json" if text.lstrip().startswith("{") else "yaml"


def tree_from_dict(data: Any, *, where: Any = None) -> model.DecisionTree:
    """Build a tree from plain data in the file schema, checking every field."""
    return _tree_from_dict(data, where or _Where("<data>"), None)


def _tree_from_dict(data: Any, where: Any, root_table: Any) -> model.DecisionTree:
    """:func:`tree_from_dict`, with the root already read as a table (``root_table``) or not (``None``)."""
    if not isinstance(data, Mapping):
        raise FileFormatError("the document must be a mapping with a 'root'", where=where(""))
    unknown = set(data) - _TOP_KEYS
    if unknown:
        key = sorted(map(str, unknown))[0]
        raise FileFormatError(
            f"unknown key {key!r} (allowed: {', '.join(sorted(_TOP_KEYS))})", where=where(key, data, key)
        )
    version = data.get("evtree", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise FileFormatError(
            f"unsupported format version {version!r}", where=where("evtree", data, "evtree")
        )
    if "root" not in data:
        raise FileFormatError("missing 'root'", where=where(""))
    parameters = _read_parameters(data.get("parameters") or {}, where, data)
    subtrees_spec = data.get("subtrees") or {}
    if not isinstance(subtrees_spec, Mapping):
        raise FileFormatError("'subtrees' must map names to nodes", where=where("subtrees", data, "subtrees"))
    with model.building():
        subtrees = {
            str(k): _read_node(v, f"subtrees.{k}", where, subtrees_spec, k, branch=False)
            for k, v in subtrees_spec.items()
        }
        if root_table is not None:  # read by _plain_table: every field checked, all valid
            root = root_table
        else:
            root = _read_node(data["root"], "root", where, data, "root", branch=False)
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            raise FileFormatError(f"'{key}' must be text", where=where(key, data, key))
    for key in ("claims", "distributions"):
        if not isinstance(data.get(key) or [], list):
            raise FileFormatError(f"'{key}' must be a list", where=where(key, data, key))
    claims = data.get("claims") or []
    criteria, players = _read_components(data, where, {p.name for p in parameters})
    try:
        tree = model.DecisionTree(
            root,
            parameters=parameters,
            objective=_plain(_objective_of(data, where)),
            name=data.get("name", ""),
            description=data.get("description", ""),
            claims=_plain(claims),
            utility=_plain(data.get("utility")),
            distributions=_plain(data.get("distributions") or []),
            metadata=_plain(data.get("metadata") or {}),
            criteria=criteria,
            players=players,
            subtrees=subtrees,
        )
    except ModelError as err:
        field = err.field or "objective"
        raise err.in_file(where(field.split(".")[0], data, field.split(".")[0])) from None
    if tree.utility is not None:
        from ..core.utility import resolve_utility

        try:
            resolve_utility(tree.utility, tree.parameters)
        except ModelError as err:
            raise err.in_file(where("utility", data, "utility")) from None
    return tree


# ----------------------------------------------------------------------------- large files
#: Documents longer than this (characters) are read through the fast path: JSON parsed by
#: ``orjson`` (:func:`evtree.formats._parse.fast_json`), and a plain tree read straight into
#: a :class:`~evtree.core.table.NodeTable` (:func:`_plain_table`), without node objects.
FAST_READ_BYTES = _parse.MARKED_JSON_BYTES

#: Top-level keys of a document the fast path reads (criteria, players and subtrees: the node reader).
_FAST_TOP_KEYS = _TOP_KEYS - {"criteria", "players", "subtrees"}
#: Keys of a node the fast path reads; any other key (event, use, utility, player,
#: information_set, or an unknown one) sends the whole tree to the node reader.
_FAST_BRANCH_KEYS = frozenset({"label", "probability", "payoff", "name", "branches", *_NODE_KEYS})
_FAST_ROOT_KEYS = frozenset({"decision", "chance", "branches"})
_MAPPINGS = frozenset({dict, _Marked})
_LISTS = frozenset({list, _MarkedList})
_NONE = type(None)
_TEXT_OR_NONE = frozenset({str, _NONE})
_FLOAT_OR_NONE = frozenset({float, _NONE})
_QUANTITY_TYPES = frozenset({float, int, str, _NONE})
_KIND_KEY = ("chance", "decision")  # by whether the node is a decision


def _load_large(name: str, text: str, fmt: str) -> tuple[Any, Any]:
    """Parse a large document; return ``(data, root table)``; raise what ``load_document`` raises.

    The table is ``None`` when the tree is not plain (:func:`_plain_table`): the node
    reader then reads ``data["root"]``.  JSON is parsed by ``orjson`` when it is
    certain to give what the exact parser gives (:func:`_fast_json_table`), else by
    the exact parser.
    """
    if fmt != "json":
        data = _parse.load_document(name, text, fmt)
        if not isinstance(data, Mapping):
            return data, None
        found = _plain_table(data, from_orjson=False)
        return data, None if found is None else found[0]
    if len(text) > _parse.MARKED_JSON_BYTES:  # smaller documents are read with places, for the errors
        _parse._check_digits(name, text)  # first, as load_document does
        fast = _fast_json_table(text)
        if fast is not None:
            return fast
    # orjson is missing, refused the text or may have misread it: the exact parser's
    # document (or its error), then the table from it if the tree is plain.
    data = _parse.load_document(name, text, fmt)
    if not isinstance(data, Mapping):
        return data, None
    found = _plain_table(data, from_orjson=False)
    return data, None if found is None else found[0]


def _fast_json_table(text: str) -> tuple[Any, Any] | None:
    """Read a JSON document with ``orjson`` and its plain tree as a table, or ``None``.

    ``None`` whenever the result could differ from the exact parser's: ``orjson``
    refused the text, the tree is not plain, a float may be a big integer, or a
    key may be duplicated (:func:`evtree.formats._parse.verify_fast_json`).
    The nodes' mappings are freed as they are read.
    """
    data = _parse.fast_json(text)
    if data is None:
        return None
    found = _plain_table(data, from_orjson=True, consume=True)
    if found is None:
        return None
    table, node_keys = found
    strings: list[str] = []
    other = _parse.count_plain([v for k, v in data.items() if k != "root"], strings)
    if other is None:
        return None
    keys = len(data) + other + node_keys

    def texts() -> Any:
        # Every text of the parsed document that may hold a colon: node keys and top-level
        # keys are names without one.  Labels, names and quantities as read (a name "" read
        # as None, a probability " rest" as "rest": no colon either way).
        return itertools.chain(
            strings,
            filter(None, table.label),
            filter(None, table.name),
            *(
                (v for v in column if type(v) is str)
                for column in (table.probability, table.branch_payoff, table.payoff)
                if type(column) is list
            ),
        )

    if not _parse.verify_fast_json(text, keys, texts):
        return None
    return data, table


def _plain_table(data: Any, *, from_orjson: bool, consume: bool = False) -> tuple[Any, int] | None:
    """Read the root of a plain tree into a :class:`~evtree.core.table.NodeTable`, without node objects.

    Returns the table and the number of keys of the node mappings, or ``None``
    when the tree is not plain; then nothing was changed and the node reader
    (:func:`_read_node`) reads the root, giving the result or the error it gives
    today.  Plain: no ``criteria``, ``players`` or ``subtrees`` at the top; every
    node a mapping of :data:`_FAST_ROOT_KEYS` (the root) or :data:`_FAST_BRANCH_KEYS`
    with exactly one kind; labels text; names text, non-blank, or missing;
    decision and chance nodes with a non-empty list of branches and no ``name``
    key; terminals without branches and with a payoff; every quantity a finite
    float, an integer within the float range, or a valid expression (a
    ``probability`` may be ``rest``).  Each of these is what :func:`_read_head`,
    :func:`_read_branch_fields` and :func:`_read_internal` check, so a table is made
    exactly when the node reader would succeed, and it holds the values they store.

    The tree is read level by level, each level in chunks of :data:`_CHUNK` nodes
    (so that the checks find them in the processor's cache), with operations that
    run in C over a whole chunk: each node's values as one tuple (by the keys of the
    chunk's first node, when every node has just those), one check per distinct set
    of keys (a chunk has one or a few), then columns by ``zip``.
    ``from_orjson``: refuse floats of 2**63 or more in magnitude, which may be
    integers ``orjson`` read as floats.  ``consume``: free the nodes' mappings as
    they are read (a document parsed for the table only); ``data["root"]`` is then
    ``None`` afterwards, and a caller given ``None`` must parse again.
    """
    from ..core.table import NodeTable

    if not _FAST_TOP_KEYS.issuperset(data):
        return None
    root = data.get("root")
    if type(root) not in _MAPPINGS:
        return None
    columns = _Columns()
    level = [root]
    if consume:
        data["root"] = None  # type: ignore[index]
        del root
    top = True
    depth = 0
    while level:
        depth += 1
        if depth > _FAST_MAX_LEVELS:  # a deep, narrow tree: the node reader is as fast
            return None
        below: list[Any] = []  # the next level's nodes
        for start in range(0, len(level), _CHUNK):
            chunk = level[start : start + _CHUNK]
            if consume:  # the chunk holds the nodes' last references: freed below, while in the cache
                level[start : start + _CHUNK] = repeat(None, len(chunk))
            if not columns.read(chunk, top, below, consume):
                return None
            del chunk
        top = False
        level = below
    quantities = []
    for field, rest in (("probability", True), ("payoff", False), ("terminal", False)):
        column = columns.quantities(field, rest=rest, from_orjson=from_orjson)
        if column is None:
            return None
        quantities.append(column)
    table = NodeTable(
        np.frombuffer(bytes(columns.kinds), dtype=np.int8),
        np.array(columns.counts, dtype=np.int64),
        columns.labels,
        columns.names,
        *quantities,
    )
    table.know_names_unique(len(columns.name_set) == columns.named)
    return table, columns.keys


#: Nodes checked together by :func:`_plain_table` (a few hundred kilobytes of mappings).
_CHUNK = 2048
#: Deepest tree :func:`_plain_table` reads (each level costs some Python; a deep tree has
#: few nodes a level, and is read by the node reader).
_FAST_MAX_LEVELS = 1000
_KIND_CODES = {"terminal": 0, "chance": 1, "decision": 2}  # evtree.core.table's codes
_QUANTITY_FIELDS = ("probability", "payoff", "terminal")


def _node_shape(keys: tuple[Any, ...], top: bool) -> tuple[int, dict[Any, int]] | None:
    """Check the keys of a node as :func:`_read_head` does; return its kind code and key positions.

    ``None`` when a node with these keys is not plain (see :func:`_plain_table`).
    """
    if not (_FAST_ROOT_KEYS if top else _FAST_BRANCH_KEYS).issuperset(keys):
        return None
    kinds = [k for k in keys if k in _NODE_KEYS]
    if len(kinds) != 1 or (not top and "label" not in keys):
        return None
    kind = kinds[0]
    if kind == "terminal" and "branches" in keys:
        return None
    if kind != "terminal" and ("name" in keys or "branches" not in keys):
        return None
    return _KIND_CODES[kind], {k: i for i, k in enumerate(keys)}


class _Transposed:
    """The values of a chunk's nodes given column by column (every node with the same keys)."""

    __slots__ = ("columns",)

    def __init__(self, columns: list[list[Any]]) -> None:
        self.columns = columns


class _Columns:
    """The columns :func:`_plain_table` gathers, level after level, chunk after chunk."""

    def __init__(self) -> None:
        self.kinds = bytearray()
        self.counts: list[int] = []
        self.labels: list[Any] = []
        self.names: list[Any] = []
        self.raw: dict[str, list[Any]] = {f: [] for f in _QUANTITY_FIELDS}
        self.arrays: dict[str, list[np.ndarray] | None] = {f: [] for f in _QUANTITY_FIELDS}
        self.types: dict[str, set[type]] = {f: set() for f in _QUANTITY_FIELDS}
        self.missing = dict.fromkeys(_QUANTITY_FIELDS, 0)
        self.keys = 0
        self.shapes: dict[tuple[Any, ...], Any] = {}
        self.label_memo: dict[str, str] = {}
        self.name_set: set[str] = set()
        self.named = 0

    def read(self, chunk: list[Any], top: bool, below: list[Any], consume: bool) -> bool:
        """Check one chunk of a level and append its columns and its nodes' children to ``below``.

        ``False`` if a node is not plain.  ``consume``: empty the lists of branches
        (the children are then held by ``below`` only).
        """
        if not _MAPPINGS.issuperset(map(type, chunk)):
            return False
        n = len(chunk)
        keys = sum(map(len, chunk))
        self.keys += keys
        first = tuple(chunk[0])
        rows = None
        if len(first) > 1 and keys == n * len(first):
            # Every node has the first one's keys (or KeyError), so at least as many; n times
            # as many in all: each has just these.  Read a column at a time (the fastest
            # loop CPython has for this: a comprehension of subscripts).
            try:
                rows = _Transposed([[d[k] for d in chunk] for k in first])
            except KeyError:
                rows = None
        if rows is not None:
            distinct: set[tuple[Any, ...]] = {first}
            values = rows
        else:
            signatures = list(map(tuple, chunk))
            values = list(map(tuple, map(dict.values, chunk)))
            distinct = set(signatures)
        groups = []
        for signature in distinct:
            shape = self.shapes.get((signature, top), _END)
            if shape is _END:
                shape = self.shapes[(signature, top)] = _node_shape(signature, top)
            if shape is None:
                return False
            if len(distinct) == 1:
                groups.append((shape, None, values))
            else:
                where = [i for i, sig in enumerate(signatures) if sig == signature]
                groups.append((shape, where, list(map(values.__getitem__, where))))
        fields: dict[str, list[Any]] = {}
        if len(groups) == 1:
            shape, _, rows = groups[0]
            out = self._group(shape, rows, top)
            if out is None:
                return False
            fields = out
            if shape[0] == 0:  # terminals
                fields["branches"] = ()
            self.kinds += bytes((shape[0],)) * n
        else:
            fields = {k: [None] * n for k in ("label", "name", *_QUANTITY_FIELDS, "branches")}
            fields["count"] = [0] * n
            kinds = bytearray(n)
            for shape, where, rows in groups:
                out = self._group(shape, rows, top)
                if out is None:
                    return False
                del out["absent"]
                for key, column in out.items():
                    list(map(fields[key].__setitem__, where, column))
                list(map(kinds.__setitem__, where, repeat(shape[0])))
            fields["branches"] = list(filter(None, fields["branches"]))  # lists of branches are never empty
            self.kinds += kinds
        if not top:
            labels = fields["label"]
            memo = self.label_memo
            if len(memo) < _LABELS_SHARED:  # labels repeat: one object each, not one per node
                labels = map(memo.setdefault, labels, labels)
            self.labels += labels
        else:
            self.labels.append(None)
        names = fields["name"]
        self.names += names
        given = list(filter(None, names))  # hashed now, while the chunk's strings are in the cache
        self.named += len(given)
        self.name_set.update(given)
        self.counts += fields["count"]
        lists = fields["branches"]
        below += itertools.chain.from_iterable(lists)
        if consume:
            list(map(list.clear, lists))
        absent = fields.get("absent", ())
        for field in _QUANTITY_FIELDS:
            column = fields[field]
            types = _NONES if field in absent else set(map(type, column))
            self.types[field] |= types
            arrays = self.arrays[field]
            if arrays is not None and _FLOAT_OR_NONE.issuperset(types):
                # Floats and None so far: kept as floats only (NaN where missing; a NaN
                # given is told apart by counting the None).
                if types == _FLOATS:
                    arrays.append(np.frombuffer(array.array("d", column), dtype=float))
                elif types == _NONES:
                    arrays.append(np.full(len(column), np.nan))
                    self.missing[field] += len(column)
                else:
                    arrays.append(np.array(column, dtype=float))
                    self.missing[field] += column.count(None)
                continue
            if arrays is not None:  # the first value that is not a float: the values as given
                before = np.concatenate(arrays) if arrays else np.empty(0)
                if int(np.isnan(before).sum()) != self.missing[field]:
                    return False  # a NaN was given
                self.raw[field] = _as_given(before)
                self.arrays[field] = None
            self.raw[field] += column
        return True

    @staticmethod
    def _group(shape: tuple[int, dict[Any, int]], rows: list[Any], top: bool) -> dict[str, Any] | None:
        """Columns of the nodes of a chunk that share one set of keys, checked; ``None`` if not plain."""
        code, where = shape
        if type(rows) is _Transposed:
            columns = rows.columns
            n = len(columns[0])
        else:
            n = len(rows)
            columns = list(zip(*rows))
        nothing = (None,) * n

        def column(key: str) -> Any:
            return columns[where[key]] if key in where else nothing

        out: dict[str, Any] = {}
        if not top:
            labels = columns[where["label"]]
            if not _TEXTS.issuperset(map(type, labels)):
                return None
            out["label"] = labels
        out["probability"] = column("probability")
        out["payoff"] = column("payoff")
        if code == 0:
            payoffs = columns[where["terminal"]]
            if None in payoffs:
                return None
            out["terminal"] = payoffs
            names = column("name")
            out["count"] = (0,) * n
            out["branches"] = nothing
        else:
            out["terminal"] = nothing
            names = columns[where[_KIND_KEY[code == 2]]]
            lists = columns[where["branches"]]
            if not _LISTS.issuperset(map(type, lists)):
                return None
            counts = list(map(len, lists))
            if 0 in counts:
                return None
            out["count"] = counts
            out["branches"] = lists
        if names is not nothing:
            if not _TEXT_OR_NONE.issuperset(map(type, names)) or any(map(str.isspace, filter(None, names))):
                return None
            if "" in names:  # no name, as _name reads it
                names = [None if v == "" else v for v in names]
        out["name"] = names
        out["absent"] = [f for f in _QUANTITY_FIELDS if out[f] is nothing]
        return out

    def quantities(self, field: str, *, rest: bool, from_orjson: bool) -> Any:
        """Return a whole quantity column (see :func:`_plain_quantities`), or ``None`` if not plain."""
        arrays = self.arrays[field]
        if arrays is not None:
            return _float_column(np.concatenate(arrays), self.missing[field], from_orjson=from_orjson)
        return _plain_quantities(
            self.raw[field], self.types[field], field, rest=rest, from_orjson=from_orjson
        )


_TEXTS = frozenset({str})
_FLOATS = frozenset({float})
_NONES = frozenset({_NONE})
#: Distinct labels shared (one object per label text) before :func:`_plain_table` stops sharing.
_LABELS_SHARED = 100_000


def _float_column(values: np.ndarray, missing: int, *, from_orjson: bool) -> Any:
    """Return floats (NaN where ``None`` was) as a FloatColumn; ``None`` if a value is not plain.

    ``missing`` is the number of ``None``: more NaN means a NaN was given.
    """
    from ..core.table import FloatColumn

    absent = np.isnan(values)
    if int(absent.sum()) != missing:
        return None
    given = values[~absent]
    if not np.isfinite(given).all():
        return None
    if from_orjson and (np.abs(given) >= _parse.FAST_JSON_FLOAT_LIMIT).any():
        return None
    if not len(given):
        return FloatColumn(np.broadcast_to(np.nan, (len(values),)))
    return FloatColumn(values)


def _as_given(values: np.ndarray) -> list[Any]:
    """Floats with NaN for missing, as a list of floats and ``None``."""
    return [None if x != x else x for x in values.tolist()]


def _plain_quantities(
    values: list[Any], types: set[type], field: str, *, rest: bool, from_orjson: bool
) -> Any:
    """Return a column of quantities as :func:`_quantity` stores them, or ``None`` if one is not plain.

    For a column that is not all floats: the list of the values as the node
    reader stores them (integers stay integers, however large), each text
    checked as an expression once (``" rest "`` stored as ``"rest"``).  A float given as NaN
    is not plain: it would read back as missing.
    """
    if not _QUANTITY_TYPES.issuperset(types):
        return None
    floats = [v for v in values if type(v) is float]
    if not all(map(math.isfinite, floats)):
        return None
    if from_orjson and any(abs(v) >= _parse.FAST_JSON_FLOAT_LIMIT for v in floats):
        return None
    if int in types and max(v.bit_length() for v in values if type(v) is int) > 1024:
        return None
    if str in types:
        stored = {}
        for text in {v for v in values if type(v) is str}:
            try:
                stored[text] = model._check_quantity(text, field, None, allow_rest=rest)
            except Exception:  # noqa: BLE001 - the node reader reports it, with its place
                return None
        changed = {k: v for k, v in stored.items() if v is not k}
        if changed:
            return [changed.get(v, v) if type(v) is str else v for v in values]
    return values


_CRITERION_KEYS = {"unit", "sense", "description"}


def _read_components(data: Any, where: _Where, parameter_names: set[str]) -> tuple[Any, Any]:
    """Read the top-level ``criteria`` and ``players`` (see :mod:`evtree.core.components`)."""
    if "criteria" in data and "players" in data:
        raise FileFormatError(
            "a tree declares either 'criteria' or 'players', not both "
            "(a game over several criteria is not supported in evtree 0.x)",
            where=where("players", data, "players"),
        )
    out: dict[str, list[Any]] = {"criteria": [], "players": []}
    for key, cls in (("criteria", components.Criterion), ("players", components.Player)):
        if key not in data:
            continue
        raw = data[key]
        if key == "players" and isinstance(raw, list):
            entries: list[tuple[Any, Any, Any, Any]] = [(name, {}, raw, i) for i, name in enumerate(raw)]
        elif isinstance(raw, Mapping):
            entries = [(name, spec, raw, name) for name, spec in raw.items()]
        else:
            shape = "a list of names or a mapping" if key == "players" else "a mapping"
            raise FileFormatError(f"'{key}' must be {shape}", where=where(key, data, key))
        allowed = _CRITERION_KEYS if key == "criteria" else {"description"}
        for name, spec, container, at in entries:
            path = f"{key}.{name}" if isinstance(at, str) else f"{key}[{at}]"
            if spec is None:
                spec = {}
            if not isinstance(spec, Mapping):
                raise FileFormatError(
                    f"'{path}' must be a mapping of {', '.join(sorted(allowed))}",
                    where=where(path, container, at),
                )
            bad = sorted(map(str, set(spec) - allowed))
            if bad:
                raise FileFormatError(
                    f"unknown key {bad[0]!r} (allowed: {', '.join(sorted(allowed))})",
                    where=where(f"{path}.{bad[0]}", spec, bad[0]),
                )
            if isinstance(name, str) and name in parameter_names:
                raise FileFormatError(
                    f"{name!r} is both a parameter and a {'criterion' if key == 'criteria' else 'player'}",
                    where=where(path, container, at),
                )
            if any(not isinstance(v, str) for k, v in spec.items()):
                k = next(k for k, v in spec.items() if not isinstance(v, str))
                raise FileFormatError(f"'{k}' must be text", where=where(f"{path}.{k}", spec, k))
            try:
                out[key].append(cls(name, **spec))
            except ModelError as err:
                raise err.in_file(where(path, container, at)) from None
            except TypeError as err:  # pragma: no cover - keys are checked above
                raise FileFormatError(str(err), where=where(path, container, at)) from None
    return out["criteria"], out["players"]


def _plain(value: Any) -> Any:
    """Strip location bookkeeping from nested data (plain dicts and lists; iterative, any depth)."""
    if not isinstance(value, (Mapping, list)):
        return value
    top: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(value, top, 0)]
    while stack:
        item, into, at = stack.pop()
        if isinstance(item, Mapping):
            out: Any = {}
            for k, v in item.items():
                if isinstance(v, (Mapping, list)):
                    out[k] = None
                    stack.append((v, out, k))
                else:
                    out[k] = v
        elif isinstance(item, list):
            out = list(item)
            for i, v in enumerate(item):
                if isinstance(v, (Mapping, list)):
                    stack.append((v, out, i))
        else:  # pragma: no cover - only containers are pushed
            out = item
        into[at] = out
    return top[0]


def _read_parameters(raw: Any, where: _Where, parent: Any) -> list[model.Parameter]:
    if not isinstance(raw, Mapping):
        raise FileFormatError(
            "'parameters' must map names to values", where=where("parameters", parent, "parameters")
        )
    out = []
    for pname, spec in raw.items():
        path = f"parameters.{pname}"
        if isinstance(spec, Mapping):
            unknown = set(spec) - _PARAM_KEYS
            if unknown:
                key = sorted(map(str, unknown))[0]
                raise FileFormatError(
                    f"unknown key {key!r} (allowed: {', '.join(sorted(_PARAM_KEYS))})",
                    where=where(f"{path}.{key}", spec, key),
                )
            if "value" not in spec:
                raise FileFormatError("a parameter needs a 'value'", where=where(path, raw, pname))
            fields = dict(spec)
        else:
            fields = {"value": spec}
        if "description" in fields and not isinstance(fields["description"], str):
            raise FileFormatError(
                "'description' must be text", where=where(f"{path}.description", spec, "description")
            )
        try:
            out.append(
                model.Parameter(
                    str(pname),
                    fields["value"],
                    fields.get("low"),
                    fields.get("high"),
                    fields.get("description", ""),
                    _plain(fields.get("distribution")),
                )
            )
        except (ModelError, ExpressionError) as err:
            raise err.in_file(where(path, raw, pname)) from None
        except (TypeError, ValueError) as err:
            raise FileFormatError(str(err), where=where(path, raw, pname)) from None
    return out


#: How many levels at each end a field path shows of a deep node.
_PATH_SHOWN = 6


class _Path:
    """A field path such as ``root.branches[1].probability``, built only when an error needs it."""

    __slots__ = ("parent", "part")

    def __init__(self, parent: _Path | None, part: str | int) -> None:
        self.parent = parent
        self.part = part

    def __str__(self) -> str:
        parts = []
        node: _Path | None = self
        while node is not None:
            part = node.part
            parts.append(f".branches[{part}]" if isinstance(part, int) else part)
            node = node.parent
        parts.reverse()
        if len(parts) > 2 * _PATH_SHOWN + 1:  # a deep node: the top and the last levels, and how many between
            hidden = len(parts) - 2 * _PATH_SHOWN
            parts[_PATH_SHOWN:-_PATH_SHOWN] = [f"...({hidden} levels)..."]
        return "".join(parts)

    def field(self, name: str) -> str:
        return f"{self}.{name}"


_ROOT_KEYS = _NODE_KEYS | {"branches", "name", "event", "utility"} | _GAME_KEYS


def _read_node(spec: Any, path: Any, where: _Where, container: Any, key: Any, *, branch: bool) -> model.Node:
    """Build the node ``spec`` describes and every node below it, checking each field.

    Iterative: nodes are read top down with an explicit stack, then built bottom
    up (reversed pre-order), so any depth reads without recursion.
    """
    if isinstance(path, str):
        path = _Path(None, path)
    top: list[Any] = [None]
    todo: list[tuple[Any, _Path, Any, Any, bool, list[Any], int]] = [
        (spec, path, container, key, branch, top, 0)
    ]
    pending = []  # decision and chance nodes waiting for their children, in pre-order
    pop, push = todo.pop, todo.append
    while todo:
        item = pop()
        spec, path, container, key, branch, slot, index = item
        head = _read_head(spec, path, where, container, key, branch)
        if head is None:  # a decision or a chance node: its children first
            children_spec = spec["branches"]
            kids: list[Any] = [None] * len(children_spec)
            pending.append((item, kids))
            for i in range(len(children_spec) - 1, -1, -1):
                push((children_spec[i], _Path(path, i), children_spec, i, True, kids, i))
        else:
            if branch:
                _read_branch_fields(head, spec, path, where, container, key)
            slot[index] = head
    for (spec, path, container, key, branch, slot, index), kids in reversed(pending):
        node = _read_internal(spec, path, where, kids)
        if branch:
            _read_branch_fields(node, spec, path, where, container, key)
        slot[index] = node
    return top[0]


def _read_head(spec: Any, path: _Path, where: _Where, container: Any, key: Any, branch: bool) -> Any:
    """Check one node's keys; return a terminal or reference built, or ``None`` for a node with branches."""
    if not isinstance(spec, Mapping):
        raise FileFormatError("a node must be a mapping", where=where(str(path), container, key))
    allowed = _BRANCH_KEYS if branch else _ROOT_KEYS
    if not allowed.issuperset(spec):
        bad = sorted(map(str, set(spec) - allowed))[0]
        raise FileFormatError(
            f"unknown key {bad!r} (allowed: {', '.join(sorted(allowed))})",
            where=where(path.field(bad), spec, bad),
        )
    if branch and "use" in spec:
        return _read_use(spec, path, where, container, key)
    is_terminal = "terminal" in spec
    if "utility" in spec and not is_terminal:
        raise FileFormatError(
            "only a terminal has its own utility (u-value)",
            where=where(path.field("utility"), spec, "utility"),
        )
    if "event" in spec and "chance" not in spec:
        raise FileFormatError(
            "only a chance node can be a copy of an event", where=where(path.field("event"), spec, "event")
        )
    if is_terminal + ("decision" in spec) + ("chance" in spec) != 1:
        kinds = [k for k in ("decision", "chance", "terminal") if k in spec]
        what = "none" if not kinds else " and ".join(kinds)
        raise FileFormatError(
            f"a node needs exactly one of 'decision', 'chance' or 'terminal' (found {what})",
            where=where(str(path), container, key),
        )
    if is_terminal:
        if "player" in spec or "information_set" in spec:
            game_key = sorted(_GAME_KEYS.intersection(spec))[0]
            raise FileFormatError(
                f"'{game_key}' belongs on a decision node", where=where(path.field(game_key), spec, game_key)
            )
        if "branches" in spec:
            raise FileFormatError(
                "a terminal cannot have branches", where=where(path.field("branches"), spec, "branches")
            )
        payoff = spec["terminal"]
        if payoff is None:
            raise ModelError("terminal has no payoff", field="terminal").in_file(
                where(path.field("terminal"), spec, "terminal")
            )
        name = spec.get("name")
        node = model.Terminal(
            _quantity(payoff, path, "terminal", where, spec),
            name=None if name is None else _name(name, path, where, spec),
        )
        if spec.get("utility") is not None:
            node.utility = _quantity(spec["utility"], path, "utility", where, spec)
        return node
    kind = "decision" if "decision" in spec else "chance"
    if "name" in spec:
        raise FileFormatError(
            f"give the name as the value of '{kind}'", where=where(path.field("name"), spec, "name")
        )
    if not isinstance(spec.get("branches"), list):
        raise FileFormatError(
            f"a {kind} node needs a list of 'branches'",
            where=where(
                path.field("branches") if "branches" in spec else str(path),
                spec,
                "branches" if "branches" in spec else None,
            ),
        )
    return None


def _read_internal(spec: Any, path: _Path, where: _Where, children: list[model.Node]) -> model.Node:
    """Build a decision or chance node over its children, already read."""
    kind = "decision" if "decision" in spec else "chance"
    name = spec[kind]
    if name is not None:
        name = _name(name, path, where, spec, key=kind)
    node = (model.Decision if kind == "decision" else model.Chance)(name, children)
    if "player" in spec or "information_set" in spec:
        for game_key in sorted(_GAME_KEYS.intersection(spec)):
            _read_game_field(node, spec, game_key, path, where)
    if "event" in spec:
        event = spec["event"]
        if type(event) is not str or not event.strip():
            raise FileFormatError(
                "an event name must be non-empty text",
                where=where(path.field("event"), spec, "event"),
            )
        node.event = event
    return node


def _read_branch_fields(
    node: model.Node, spec: Any, path: _Path, where: _Where, container: Any, key: Any
) -> None:
    """Read the label, probability and payoff of the branch leading into ``node``."""
    label = spec.get("label")
    if label is None:
        raise FileFormatError("a branch needs a 'label'", where=where(str(path), container, key))
    if type(label) is not str:
        if not isinstance(label, (str, int, float)) or isinstance(label, bool):
            raise FileFormatError("'label' must be text", where=where(path.field("label"), spec, "label"))
        label = str(label)
    node._label = label
    if "probability" in spec:
        node._probability = _quantity(spec["probability"], path, "probability", where, spec, rest=True)
    if "payoff" in spec:
        node._branch_payoff = _quantity(spec["payoff"], path, "payoff", where, spec)


def _read_game_field(node: model.Node, spec: Any, key: str, path: _Path, where: _Where) -> None:
    """Read a decision node's ``player`` or ``information_set``."""
    if not isinstance(node, model.Decision):
        raise FileFormatError(
            f"'{key}' belongs on a decision node (a chance node is nature's move)",
            where=where(path.field(key), spec, key),
        )
    value = spec[key]
    if type(value) is not str or not value.strip():
        raise FileFormatError(f"'{key}' must be a name", where=where(path.field(key), spec, key))
    setattr(node, f"_{key}", value)


def _read_use(spec: Any, path: _Path, where: _Where, container: Any, key: Any) -> model.Node:
    """Read a branch ``{label: ..., use: NAME}``: a reference to a named subtree."""
    extra = sorted(set(spec) - {"label", "probability", "payoff", "use"})
    if extra:
        raise FileFormatError(
            f"a branch with 'use' takes only label, probability and payoff, not {extra[0]!r}",
            where=where(path.field(extra[0]), spec, extra[0]),
        )
    name = spec["use"]
    if type(name) is not str or not name.strip():
        raise FileFormatError("'use' must name a subtree", where=where(path.field("use"), spec, "use"))
    node = model.Use(name)
    label = spec.get("label")
    if label is None:
        raise FileFormatError("a branch needs a 'label'", where=where(str(path), container, key))
    node._label = str(label)
    if "probability" in spec:
        node._probability = _quantity(spec["probability"], path, "probability", where, spec, rest=True)
    if "payoff" in spec:
        node._branch_payoff = _quantity(spec["payoff"], path, "payoff", where, spec)
    return node


def _name(value: Any, path: _Path, where: _Where, spec: Any, key: str = "name") -> str | None:
    if value is None or value == "":
        return None  # names are optional
    if type(value) is not str or not value.strip():
        raise FileFormatError("a name must be non-empty text", where=where(path.field(key), spec, key))
    return value


def _quantity(value: Any, path: _Path, key: str, where: _Where, spec: Any, *, rest: bool = False) -> Any:
    try:
        return model._check_quantity(value, key, None, allow_rest=rest)
    except ModelError as err:
        raise err.in_file(where(path.field(key), spec, key)) from None


def _objective_of(data: Mapping[str, Any], where: Any) -> Any:
    """Return the tree's objective: ``objective``, or the decision rule ``rule`` (which must agree)."""
    objective = data.get("objective", "max")
    if "rule" not in data:
        return objective
    from ..core.rules import RULES, rule_named

    try:
        rule = rule_named(data["rule"])
    except ModelError as err:
        raise err.in_file(where("rule", data, "rule")) from None
    if "objective" in data:
        name = objective if isinstance(objective, str) else ""
        direction = model._OBJECTIVES.get(name) or (RULES[name].decision if name in RULES else None)
        if not name and not rule.uses_probabilities:
            raise FileFormatError(
                f"rule {rule.name!r} applies to one payoff, not to an objective over criteria",
                where=where("rule", data, "rule"),
            )
        if direction is None:
            return objective  # the tree reports the bad objective
        if direction != rule.decision:
            raise FileFormatError(
                f"rule {rule.name!r} {rule.decision}imises, but the objective is {objective!r}",
                where=where("rule", data, "rule"),
            )
    return rule.name


# ----------------------------------------------------------------------------- writing
def tree_to_dict(tree: model.DecisionTree) -> dict[str, Any]:
    """Return the tree as plain data in the file schema (any depth)."""
    with model.building():
        return _tree_data(tree)


def _tree_data(tree: model.DecisionTree) -> dict[str, Any]:
    data: dict[str, Any] = {"evtree": FORMAT_VERSION}
    if tree.name:
        data["name"] = tree.name
    if tree.description:
        data["description"] = tree.description
    data["objective"] = tree.objective
    if tree.criteria_objective is not None:
        data["objective"] = tree.criteria_objective.to_data()
    if tree.rule not in ("expected-value-maximization", "expected-value-minimization"):
        data["rule"] = tree.rule
    if tree.parameters:
        params: dict[str, Any] = {}
        for p in tree.parameters.values():
            entry: dict[str, Any] = {"value": expression_text(p.value)}
            if p.low is not None:
                entry["low"] = expression_text(p.low)
            if p.high is not None:
                entry["high"] = expression_text(p.high)
            if p.description:
                entry["description"] = p.description
            if p.distribution is not None:
                entry["distribution"] = p.distribution
            params[p.name] = entry
        data["parameters"] = params
    if tree.utility is not None:
        data["utility"] = tree.utility
    if tree.distributions:
        data["distributions"] = tree.distributions
    if tree.claims:
        data["claims"] = tree.claims
    if tree.metadata:
        data["metadata"] = tree.metadata
    if tree.criteria:
        data["criteria"] = {c.name: _criterion_to_dict(c) for c in tree.criteria}
    if tree.players:
        if any(p.description for p in tree.players):
            data["players"] = {
                p.name: ({"description": p.description} if p.description else {}) for p in tree.players
            }
        else:
            data["players"] = [p.name for p in tree.players]
    if getattr(tree, "subtrees", None):
        data["subtrees"] = {k: _node_to_dict(v, branch=False, top=True) for k, v in tree.subtrees.items()}
    data["root"] = _node_to_dict(tree.root, branch=False)
    return data


def _criterion_to_dict(c: components.Criterion) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if c.unit:
        out["unit"] = c.unit
    out["sense"] = c.sense
    if c.description:
        out["description"] = c.description
    return out


def _payoff_text(value: Any) -> Any:
    """Return a payoff as written: expression text, or a mapping component -> expression text."""
    if type(value) is components.Payoffs:
        return {k: expression_text(v) for k, v in value.items()}
    return expression_text(value)


def _node_to_dict(node: model.Node, *, branch: bool, top: bool = False) -> dict[str, Any]:
    """Return the subtree below ``node`` as plain data (iterative: any depth)."""
    out = _one_node_to_dict(node, branch=branch, top=top)
    stack = [(node, out)]
    while stack:
        parent, entry = stack.pop()
        if "branches" not in entry:
            continue
        kids = parent.children
        entries = [_one_node_to_dict(c, branch=True) for c in kids]
        entry["branches"] = entries
        stack.extend(zip(kids, entries))
    return out


def _one_node_to_dict(node: model.Node, *, branch: bool, top: bool = False) -> dict[str, Any]:
    """Return one node's fields as plain data; a node with branches gets ``branches: None`` to fill."""
    out: dict[str, Any] = {}
    if branch:
        out["label"] = node._label
        if node._probability is not None:
            out["probability"] = expression_text(node._probability)
        if node._branch_payoff is not None:
            out["payoff"] = _payoff_text(node._branch_payoff)
    if isinstance(node, model.Use):
        out["use"] = node.subtree
        return out
    if node._use is not None and not top and branch:  # a copy of a named subtree: write the reference
        out["use"] = node._use
        return out
    if isinstance(node, model.Terminal):
        out["terminal"] = _payoff_text(node._payoff)
        if node._name is not None:
            out["name"] = node._name
        if node._utility is not None:
            out["utility"] = expression_text(node._utility)
    else:
        out[node.kind] = node._name
        if isinstance(node, model.Decision):
            if node._player is not None:
                out["player"] = node._player
            if node._information_set is not None:
                out["information_set"] = node._information_set
        if getattr(node, "_event", None) is not None:
            out["event"] = node._event
        out["branches"] = None
    return out


def write_tree(
    tree: model.DecisionTree,
    target: str | os.PathLike[str] | IO[str] | None = None,
    *,
    format: str | None = None,
) -> str | None:
    """Write a tree as YAML or JSON.

    Parameters
    ----------
    tree : DecisionTree
    target : path or file object, optional
        Where to write.  A path is written atomically (a temporary file in the
        same folder, then renamed).  When omitted, the text is returned.
    format : {"yaml", "json"}, optional
        Inferred from the path's suffix; YAML otherwise.

    Returns
    -------
    str or None
        The document when no target was given.
    """
    name = str(target) if isinstance(target, (str, os.PathLike)) else getattr(target, "name", "")
    fmt = format or ("json" if str(name).lower().endswith(".json") else "yaml")
    if fmt not in ("json", "yaml"):
        raise ValueError(f"unknown format {fmt!r}; use 'yaml' or 'json'")
    with model.building():  # many small containers: pause the collector (see model.building)
        text = _tree_text(tree, fmt)
    return deliver_text(text, target)


def _tree_text(tree: model.DecisionTree, fmt: str) -> str:
    data = tree_to_dict(tree)
    deep = (
        max([model.tree_height(tree.root), *(model.tree_height(v) for v in tree.subtrees.values())])
        > NESTED_DEPTH
    )
    if fmt == "json":
        if deep:
            text = _flow_text(data, _json_scalar) + "\n"
        else:
            try:
                text = json.dumps(data, indent=1 if _small(tree) else None, ensure_ascii=False) + "\n"
            except RecursionError:  # deeply nested metadata or claims
                text = _flow_text(data, _json_scalar) + "\n"
    elif deep:
        text = (
            f"# {model.tree_height(tree.root)} levels deep: written in flow style\n"
            + _flow_text(data, _yaml_scalar)
            + "\n"
        )
    elif sum(1 for _ in itertools.islice(tree.nodes(), FLOW_NODES + 1)) > FLOW_NODES:
        # PyYAML's block emitter takes about a minute per million nodes; this, a second
        text = (
            f"# more than {FLOW_NODES} nodes: written in flow style\n" + _flow_text(data, _yaml_scalar) + "\n"
        )
    else:
        try:
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
        except RecursionError:  # deeply nested metadata or claims
            text = "# deeply nested: written in flow style\n" + _flow_text(data, _yaml_scalar) + "\n"
    return text


#: Trees deeper than this are written by evtree's own emitter, without recursion: JSON on
#: one line, YAML in flow style (``{chance: c, branches: [...]}``), as the json and yaml
#: libraries recurse once per nesting level and block-style YAML indents every level.
NESTED_DEPTH = 100

#: Trees with more nodes than this are written as YAML in flow style too (much faster).
FLOW_NODES = 50_000


def _flow_text(data: Any, scalar: Any) -> str:
    """Write nested mappings and lists in flow style with an explicit stack (any depth).

    ``scalar`` writes one value (a key, text, number, ``None``); JSON's and YAML's
    flow syntax agree on the rest.
    """
    out: list[str] = []
    emit = out.append
    keys: dict[str, str] = {}  # written keys, with their ": "
    stack: list[tuple[Any, str, bool]] = []  # (iterator over items, closing bracket, is a mapping)

    def open_container(value: Any) -> bool:
        if type(value) is dict or isinstance(value, Mapping):
            emit("{")
            stack.append((iter(value.items()), "}", True))
            return True
        if type(value) is list or isinstance(value, (list, tuple)):
            emit("[")
            stack.append((iter(value), "]", False))
            return True
        return False

    if not open_container(data):
        return scalar(data)
    first = True
    while stack:
        items, close, is_map = stack[-1]
        item = next(items, _END)
        if item is _END:
            emit(close)
            stack.pop()
            first = False
            continue
        if not first:
            emit(", ")
        if is_map:
            k, item = item
            token = keys.get(k)
            if token is None:
                token = keys[k] = scalar(str(k)) + ": "
            emit(token)
        first = open_container(item)
        if not first:
            emit(scalar(item))
    return "".join(out)


_END = object()
_encode_text = json.encoder.encode_basestring  # the C encoder json.dumps(ensure_ascii=False) uses


def _json_scalar(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _encode_text(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    return json.dumps(value, ensure_ascii=False)


_YAML_SCALARS: dict[tuple[type, Any], str] = {}


def _yaml_scalar(value: Any) -> str:
    """Write one value in YAML flow syntax: printable ASCII text double-quoted, else as PyYAML does."""
    kind = type(value)
    if kind is str and value.isascii() and value.isprintable():
        return _encode_text(value)
    if kind is int:
        return str(value)
    if value is None:
        return "null"
    key = (kind, value)
    text = _YAML_SCALARS.get(key)
    if text is None:
        dumped = yaml.safe_dump([value], default_flow_style=True, allow_unicode=True, width=10**9)
        text = dumped.strip()[1:-1]
        if len(_YAML_SCALARS) < 100_000:
            _YAML_SCALARS[key] = text
    return text


def _small(tree: model.DecisionTree) -> bool:
    return sum(1 for _ in itertools.islice(tree.nodes(), 10_000)) < 10_000
