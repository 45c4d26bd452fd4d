"""Check a tree file and report every problem in one run (``evtree validate FILE``).

    validate_file   every problem of a tree file, each located: ``file:line:column (field): message``

Reading a tree (:func:`evtree.formats.read_tree`) stops at the first problem; this
module walks the parsed document and collects them all: unknown keys (with the
nearest allowed key), the shapes of the top-level fields (``metadata``,
``objective``, ``utility``, ``parameters``), every expression, every distribution
(on a parameter and under ``distributions``), every claim (including claims about
equilibria, ``every``/``exists``), then builds the tree and adds the problems of
:meth:`~evtree.core.model.DecisionTree.validate` (structure, names, probabilities)
and of the distributions against the tree.

A document that cannot be parsed (bad YAML or JSON, a duplicate key, an alias, a
value YAML 1.1 and 1.2 read differently) is one problem: nothing after it can be
trusted.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import Any

from .core.errors import EvtreeError, ExpressionError, FileFormatError, ModelError, ValidationError

__all__ = ["validate_file"]


def _near(word: Any, choices: Any) -> str:
    close = difflib.get_close_matches(str(word), sorted(map(str, choices)), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _line_of(error: ModelError) -> tuple[str, str] | None:
    """``(file, line)`` of a located error, or ``None``."""
    where = (error.where or "").split(" ")[0]
    parts = where.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit():
        return parts[0], parts[1]
    if len(parts) >= 2 and parts[-1].isdigit():
        return ":".join(parts[:-1]), parts[-1]
    return None


class _Collector:
    """Problems found so far, each a located :class:`ModelError`."""

    def __init__(self, where: Any) -> None:
        self.where = where
        self.problems: list[ModelError] = []
        self._seen: set[str] = set()

    def add(self, error: ModelError) -> None:
        text = str(error)
        where = getattr(error, "where", None)
        if where and any(p.where == where for p in self.problems):
            return  # the same field at the same place: one problem, found by two checks
        if text not in self._seen:
            self._seen.add(text)
            self.problems.append(error)

    def same_line(self, error: ModelError) -> bool:
        """Whether a problem was already reported on the line ``error`` names."""
        line = _line_of(error)
        return line is not None and any(_line_of(p) == line for p in self.problems)

    def at(self, message: str, path: str, container: Any, key: Any) -> None:
        self.add(FileFormatError(message, where=self.where(path, container, key)))

    def located(self, error: ModelError, path: str, container: Any, key: Any) -> None:
        self.add(error.in_file(self.where(path, container, key)))

    def unknown_keys(self, spec: Mapping[Any, Any], allowed: set[str], path: str) -> None:
        for key in spec:
            if key not in allowed:
                field = f"{path}.{key}" if path else str(key)
                self.at(
                    f"unknown key {str(key)!r}{_near(key, allowed)} (allowed: {', '.join(sorted(allowed))})",
                    field,
                    spec,
                    key,
                )


def validate_file(
    path: str | os.PathLike[str],
    *,
    values: Mapping[str, Any] | None = None,
    max_bytes: int | None = None,
) -> tuple[Any, list[ModelError]]:
    """Return the tree read from ``path`` (``None`` if it cannot be built) and every problem found.

    Parameters
    ----------
    path : path-like
        A tree file (evtree YAML or JSON).
    values : mapping, optional
        Parameter values (``--set``) to check the tree at.
    max_bytes : int, optional
        Largest file read (see :func:`evtree.core.files.read_text`).

    Returns
    -------
    (DecisionTree or None, list of ModelError)
        Each problem's ``str()`` is one line naming the place in the file
        (``file:line:column``) and the field, or the node by its path.
    """
    from .formats import _parse, native

    name, text = native._read_source(os.fspath(path), max_bytes=max_bytes)
    if _foreign(name, text):  # SilverDecisions or Gambit: read by its reader, then the tree's checks
        from .formats import read_tree

        found = _Collector(native._Where(name))
        try:
            tree = read_tree(path, max_bytes=max_bytes)
        except ModelError as err:
            return None, [err]
        _check_tree(tree, values, found, None)
        return tree, found.problems
    fmt = native._guess_format(name, text)
    where = native._Where(name)
    try:
        data = _parse.parse_deep(name, text, fmt, lambda: _parse.load_document(name, text, fmt, marked=True))
    except ModelError as err:
        return None, [err]
    found = _Collector(where)
    if not isinstance(data, Mapping):
        found.add(FileFormatError("the document must be a mapping with a 'root'", where=where("")))
        return None, found.problems
    _check_document(data, found)
    tree = None
    walked = bool(found.problems)
    try:
        tree = _parse.parse_deep(name, text, fmt, lambda: native.tree_from_dict(data, where=where))
    except ModelError as err:
        if not (walked and found.same_line(err)):  # the walk already reported it, better placed
            found.add(err)
    except EvtreeError as err:
        found.add(ModelError(str(err).splitlines()[0], where=name))
    except (TypeError, ValueError) as err:  # a shape the walk reports; otherwise say what broke
        if not walked:
            found.add(FileFormatError(f"cannot build the tree: {err}", where=name))
    if tree is not None:
        _check_tree(tree, values, found, data)
    return tree, found.problems


def _foreign(name: str, text: str) -> bool:
    """Whether a file is a SilverDecisions or Gambit file rather than evtree's own format."""
    from .formats import silverdecisions

    if name.lower().endswith(".efg") or text.startswith("EFG 2"):
        return True
    if not silverdecisions._may_be_silverdecisions(text):
        return False
    try:
        return bool(silverdecisions.is_silverdecisions(silverdecisions._load_json(name, text)))
    except ModelError:
        return False


# ----------------------------------------------------------------------------- the document
def _check_document(data: Mapping[str, Any], found: _Collector) -> None:
    from .formats import _parse, native

    for problem in _parse.top_level_problems(data, found.where):
        found.add(problem)
    found.unknown_keys(data, native._TOP_KEYS, "")
    if "root" not in data:
        found.add(FileFormatError("missing 'root'", where=found.where("")))
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            found.at(f"'{key}' must be text", key, data, key)
    names = _check_parameters(data, found)
    _check_distributions(data, found)
    _check_claims(data, found)
    _check_utility(data, names, found)
    subtrees = data.get("subtrees")
    if subtrees is not None and not isinstance(subtrees, Mapping):
        found.at("'subtrees' must map names to nodes", "subtrees", data, "subtrees")
        subtrees = None
    roots: list[tuple[Any, str, Any, Any, bool]] = []
    if "root" in data:
        roots.append((data["root"], "root", data, "root", False))
    for key, spec in (subtrees or {}).items():
        roots.append((spec, f"subtrees.{key}", subtrees, key, False))
    _check_nodes(roots, names, found)


def _check_parameters(data: Mapping[str, Any], found: _Collector) -> set[str] | None:
    """Check each parameter's keys, value, bounds and distribution; return the names (None if unreadable)."""
    from .core import model
    from .distributions import parse
    from .formats import native

    raw = data.get("parameters")
    if raw is None:
        return set()
    if not isinstance(raw, Mapping):
        found.at("'parameters' must map names to values", "parameters", data, "parameters")
        return None
    names = {str(k) for k in raw}
    for pname, spec in raw.items():
        path = f"parameters.{pname}"
        fields = spec if isinstance(spec, Mapping) else {"value": spec}
        if isinstance(spec, Mapping):
            found.unknown_keys(spec, native._PARAM_KEYS, path)
            if "value" not in spec:
                found.at("a parameter needs a 'value'", path, raw, pname)
        try:
            model.Parameter(
                str(pname),
                fields.get("value", 0),
                fields.get("low"),
                fields.get("high"),
                fields.get("description", "") if isinstance(fields.get("description", ""), str) else "",
                None,
            )
        except ModelError as err:
            found.located(err, path, raw, pname)
        except (TypeError, ValueError) as err:
            found.at(str(err), path, raw, pname)
        if isinstance(spec, Mapping) and "description" in spec and not isinstance(spec["description"], str):
            found.at("'description' must be text", f"{path}.description", spec, "description")
        dist = fields.get("distribution") if isinstance(spec, Mapping) else None
        if dist is not None:
            try:
                parse(native._plain(dist), field=f"{path}.distribution")
            except ModelError as err:
                found.at(err.message, f"{path}.distribution", spec, "distribution")
    return names


def _check_distributions(data: Mapping[str, Any], found: _Collector) -> None:
    from .distributions import _JOINT_KEYS, parse
    from .formats import native

    raw = data.get("distributions")
    if not isinstance(raw, list):  # its shape, and each item's, is checked with the top-level fields
        return
    for i, spec in enumerate(raw):
        path = f"distributions[{i}]"
        if not isinstance(spec, Mapping):
            continue
        try:
            parse(native._plain(spec), field=path)
        except ModelError as err:
            found.at(err.message, path, raw, i)
        if spec.get("type") == "correlation" or "type" not in spec:
            continue
        if not (_JOINT_KEYS & set(spec)):
            found.at("a joint distribution names its 'node' (or 'nodes', or 'name')", path, raw, i)


def _check_claims(data: Mapping[str, Any], found: _Collector) -> None:
    from .claims.spec import Claim, is_equilibrium_claim
    from .formats import native

    raw = data.get("claims")
    if not isinstance(raw, list):  # its shape, and each item's, is checked with the top-level fields
        return
    for i, spec in enumerate(raw):
        if not isinstance(spec, (str, Mapping)):
            continue
        path = f"claims[{i}]"
        plain = native._plain(spec)
        try:
            if is_equilibrium_claim(plain):
                _equilibrium_claim(plain)
            else:
                Claim.from_spec(plain)
        except ModelError as err:
            bad = _offending_key(err, spec)
            if bad is not None:
                found.at(err.message, f"{path}.{bad}", spec, bad)
            else:
                found.at(err.message, path, raw, i)
        except (TypeError, ValueError) as err:
            found.at(str(err), path, raw, i)


def _equilibrium_claim(spec: Mapping[str, Any]) -> None:
    """Check a claim about equilibria as :mod:`evtree.games.claims` reads it, with nearest names."""
    from .games.claims import _WORDS, KINDS, _parse

    allowed = {"every", "exists", "chooses", "text", "name"}
    unknown = sorted(map(str, set(spec) - allowed))
    if unknown:
        raise ModelError(
            f"unknown key {unknown[0]!r}{_near(unknown[0], allowed)} (a claim about equilibria has "
            "'every' or 'exists', and optionally 'chooses', 'name', 'text')"
        )
    what = spec.get("every", spec.get("exists"))
    if what not in KINDS and what not in _WORDS:
        raise ModelError(
            f"unknown equilibrium kind {what!r}{_near(what, KINDS + _WORDS)} "
            f"(one of: {', '.join(KINDS + _WORDS)})"
        )
    _parse(spec)


def _offending_key(err: ModelError, spec: Any) -> str | None:
    """Return the key of a claim spec an error is about (``unknown key 'asuming'``), if it is one."""
    if not isinstance(spec, Mapping):
        return None
    message = err.message
    for key in spec:
        if isinstance(key, str) and (f"key {key!r}" in message or f"kind {spec.get(key)!r}" in message):
            return key
    return None


def _check_utility(data: Mapping[str, Any], names: set[str] | None, found: _Collector) -> None:
    from .core.utility import resolve_utility

    utility = data.get("utility")
    if utility is None or not isinstance(utility, Mapping):
        return  # the shape is a top-level problem
    try:
        resolve_utility(dict(utility), None if names is None else {n: None for n in names})
    except ModelError as err:
        key = (err.field or "utility").split(".")[-1]
        if key in utility:
            found.at(err.message, f"utility.{key}", utility, key)
        else:
            found.at(err.message, "utility", data, "utility")


# ----------------------------------------------------------------------------- nodes
def _check_nodes(
    roots: list[tuple[Any, str, Any, Any, bool]], names: set[str] | None, found: _Collector
) -> None:
    """Walk the nodes without recursion: keys, kinds, branches, labels and every expression."""
    from .core.expressions import parse_expression
    from .formats import native

    allowed_names = None if names is None else set(names)
    stack = list(reversed(roots))
    while stack:
        spec, path, container, key, branch = stack.pop()
        if not isinstance(spec, Mapping):
            found.at("a node must be a mapping", path, container, key)
            continue
        allowed = native._BRANCH_KEYS if branch else native._ROOT_KEYS
        found.unknown_keys(spec, allowed, path)
        if branch and "use" in spec:
            kinds = []
        else:
            kinds = [k for k in ("decision", "chance", "terminal") if k in spec]
            if len(kinds) != 1:
                what = "none" if not kinds else " and ".join(kinds)
                found.at(
                    f"a node needs exactly one of 'decision', 'chance' or 'terminal' (found {what})",
                    path,
                    container,
                    key,
                )
        if branch and spec.get("label") is None:
            found.at("a branch needs a 'label'", path, container, key)
        for field in ("terminal", "payoff", "probability", "utility"):
            if field not in spec or spec[field] is None:
                continue
            _check_quantity(
                spec[field], f"{path}.{field}", spec, field, allowed_names, found, parse_expression
            )
        children = spec.get("branches")
        if kinds and kinds[0] in ("decision", "chance") and not isinstance(children, list):
            found.at(
                f"a {kinds[0]} node needs a list of 'branches'",
                f"{path}.branches" if "branches" in spec else path,
                spec if "branches" in spec else container,
                "branches" if "branches" in spec else key,
            )
        if isinstance(children, list):  # walked even when the node's kind is misspelt
            for i in range(len(children) - 1, -1, -1):
                stack.append((children[i], f"{path}.branches[{i}]", children, i, True))


def _check_quantity(
    value: Any, path: str, spec: Any, key: str, names: set[str] | None, found: _Collector, parse: Any
) -> None:
    from .core.errors import ExpressionError

    texts: list[tuple[Any, str]] = []
    if isinstance(value, Mapping):  # a payoff per criterion
        texts = [(v, f"{path}.{k}") for k, v in value.items()]
    else:
        texts = [(value, path)]
    for item, field in texts:
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            found.at(f"expected a number or an expression, got {item!r}", field, spec, key)
            continue
        if not isinstance(item, str) or item.strip() == "rest":
            continue
        if not item.isascii():  # Python's parser would fold 'ｐ' to 'p' (NFKC): refuse instead
            bad = next(c for c in item if not c.isascii())
            found.at(
                f"expression {item!r}: non-ASCII character {bad!r} at position {item.index(bad) + 1} "
                "(names and operators are ASCII)",
                field,
                spec,
                key,
            )
            continue
        try:
            parse(item, names) if names is not None else parse(item)
        except ExpressionError as err:
            hint = ""
            if names and err.reason.startswith("unknown parameter '"):
                hint = _near(err.reason.split("'")[1], names)
            found.at(err.message + hint, field, spec, key)
        except ModelError as err:
            found.at(err.message, field, spec, key)


# ----------------------------------------------------------------------------- the tree
def _check_tree(tree: Any, values: Mapping[str, Any] | None, found: _Collector, data: Any) -> None:
    from .distributions import tree_sources

    places = _NodePlaces(tree, data, found.where)
    try:
        checked = tree.with_parameters(**values) if values else tree
        checked.validate()
    except ValidationError as err:
        for problem in err.problems:
            _add_tree_problem(found, _placed(problem, places))
    except ModelError as err:
        _add_tree_problem(found, _placed(err, places))
    if tree.distributions or any(p.distribution is not None for p in tree.parameters.values()):
        try:
            tree_sources(tree)
        except ModelError as err:
            field = err.field or "distributions"
            top = field.split(".")[0].split("[")[0]
            located = err.in_file(found.where(field, data, top)) if top in data else err
            if not found.same_line(located) and not any(p.message == err.message for p in found.problems):
                found.add(located)


def _add_tree_problem(found: _Collector, problem: ModelError) -> None:
    """Add a problem the built tree reports, unless the expression check already gave it.

    Every expression was checked on its own first (with its column and a
    did-you-mean); the tree finds the same unknown names and bad expressions again,
    on the same line, and they are not reported twice.
    """
    again = isinstance(problem, ExpressionError) or "unknown parameter" in problem.message
    if again and found.same_line(problem):
        return
    found.add(problem)


class _NodePlaces:
    """Each node's place in the file, found by walking the tree and the document together.

    The walk records, per node, its spec's container, key and parent, with no text:
    a node's path and its field are as long as its depth, so writing them for every
    node of a deep tree would take time and memory growing with the square of the
    depth.  They are written only for the nodes a problem names.
    """

    def __init__(self, tree: Any, data: Any, where: Any) -> None:
        self.tree = tree
        self.where = where
        self.spec: dict[int, tuple[Any, Any, int | None, int]] = {}
        if not isinstance(data, Mapping) or "root" not in data:
            return
        stack: list[tuple[Any, Any, Any, Any, int | None, int]] = [
            (tree.root, data["root"], data, "root", None, -1)
        ]
        while stack:
            node, spec, container, key, parent, index = stack.pop()
            if id(node) in self.spec:
                continue
            self.spec[id(node)] = (container, key, parent, index)
            children = list(getattr(node, "children", ()) or ())
            branches = spec.get("branches") if isinstance(spec, Mapping) else None
            if isinstance(branches, list) and len(branches) == len(children) and "use" not in spec:
                for i, (child, child_spec) in enumerate(zip(children, branches)):
                    stack.append((child, child_spec, branches, i, id(node), i))

    def __call__(self, path: str) -> str | None:
        """Return the place of the node at ``path``, or ``None``."""
        try:
            node = self.tree.node(path)
        except (EvtreeError, TypeError):
            return None
        if id(node) not in self.spec:
            return None
        container, key, _, _ = self.spec[id(node)]
        parts = []
        at: int | None = id(node)
        while at is not None:
            _, _, up, index = self.spec[at]
            if up is not None:
                parts.append(f"branches[{index}]")
            at = up
        return self.where(".".join(["root", *reversed(parts)]), container, key)


def _placed(error: ModelError, places: _NodePlaces) -> ModelError:
    """Return ``error`` placed in the file at its node, when it names one and has no place yet."""
    if error.where or error.node is None:
        return error
    place = places(error.node)
    return error if place is None else error.located(where=place)
