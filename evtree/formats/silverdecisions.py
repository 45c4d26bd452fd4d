"""SilverDecisions JSON files: read them as evtree trees, write trees SilverDecisions opens.

    read_silverdecisions        read one tree of a SilverDecisions file (path, open file or text)
    tree_from_silverdecisions   the same from the parsed JSON data
    list_trees                  the trees a file holds (a file may hold several)
    tree_to_silverdecisions     a tree as SilverDecisions JSON data, with a drawing layout
    write_silverdecisions       write that data to a file (atomically) or return the text
    compare                     recompute the values the file stores and report every difference
    is_silverdecisions          whether parsed JSON data is a SilverDecisions file

The format is described in ``docs/silverdecisions.md``.  In short: a file holds one or
more trees under ``data.trees`` (``trees`` before version 0.7); each node has a ``type``
(decision, chance, terminal), a ``name``, math.js ``code`` defining variables for its
subtree, and ``childEdges``, each with a ``name``, a ``payoff`` (one entry per
criterion) and, below chance nodes, a ``probability`` (an expression or ``#``, the
remainder, shared equally among the ``#`` edges of a node).

How a file becomes an evtree tree:

- edge names become branch labels (empty or repeated ones are numbered, and the
  original kept in ``metadata["silverdecisions"]["labels"]`` for the way back);
  node names become node names (empty ones none; a repeated one is numbered and kept
  in ``metadata["silverdecisions"]["names"]``);
- the payoff of an edge into a terminal is the terminal's payoff; other edge payoffs
  are branch payoffs;
- one ``#`` edge is :data:`~evtree.core.model.REST`; ``k`` of them each get
  ``(1 - (sum of the others)) / k``;
- variables defined in the global and per-node ``code`` become parameters: a constant
  is a :class:`~evtree.core.model.Parameter`; a ``random(a, b)`` draw is a parameter at
  the value the file stores, with a uniform distribution; a variable defined by other
  variables is a formula parameter; a node's variable that shadows one above it is
  renamed ``name_2``, ``name_3``, ... in its subtree; a function defined in code
  (``f(x) = x^2/2``) is expanded where it is called;
- every expression is translated from math.js (``^`` is ``**``, ``#`` starts a
  comment, ``e`` is Euler's number) and read through evtree's whitelist parser
  (:func:`~evtree.core.expressions.parse_expression`); nothing is evaluated, and text
  outside the whitelist is refused naming the node, the field and the text;
- the rule ``expected-value-maximization`` / ``-minimization`` is the objective
  ``max`` / ``min``; maxi-min, maxi-max, mini-min and mini-max are the tree's rule when
  evtree has decision rules (:mod:`evtree.core.rules`), else they keep the objective of
  their first word and are kept in ``metadata["silverdecisions"]["rule"]``;
- a file viewed with two criteria becomes a tree with two ``criteria`` (named from
  ``payoffNames``, senses from the rule) and payoffs per criterion; ``criterion=``
  reads one of them into a plain tree instead.

Files SilverDecisions itself refuses (malformed JSON, no ``SilverDecisions`` key, a bad
version, probabilities outside [0, 1] or not summing to 1, nodes without branches) are
refused with a message naming the place in the file, e.g.
``tree.json:806:32 (data.trees[0].childEdges[1].probability)``.

Writing puts what SilverDecisions cannot hold (parameter bounds and distributions,
claims, utility, metadata, a terminal's own payoff beside its branch payoff) under an
extra top-level ``"evtree"`` key (and ``"evtree"`` keys on edges), which SilverDecisions
ignores, so that reading the file back gives an equal tree.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import keyword
import math
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import IO, Any

import sympy

from ..core import model
from ..core.atomic import deliver_text
from ..core.components import Criterion, Payoffs
from ..core.errors import ExpressionError, FileFormatError, ModelError, ValidationError
from ..core.expressions import as_expr, expression_text, parse_expression, symbol
from ..core.presenters import presenter

__all__ = [
    "EXPORT_VERSION",
    "EV_RULES",
    "RULES",
    "Comparison",
    "TreeEntry",
    "compare",
    "is_silverdecisions",
    "list_trees",
    "read_silverdecisions",
    "tree_from_silverdecisions",
    "tree_to_silverdecisions",
    "write_silverdecisions",
]

#: The ``"SilverDecisions"`` version written by :func:`write_silverdecisions` (newest release).
EXPORT_VERSION = "1.2.1"

#: The expected-value rules, which evtree has, and the objective each one is.
EV_RULES = {"expected-value-maximization": "max", "expected-value-minimization": "min"}

#: Every SilverDecisions rule and the objective of its decisions (two-criteria rules: criterion 1).
RULES = {
    **EV_RULES,
    "maxi-min": "max",
    "maxi-max": "max",
    "mini-min": "min",
    "mini-max": "min",
    "max-max": "max",
    "max-min": "max",
    "min-max": "min",
    "min-min": "min",
}
_MULTI_CRITERIA_RULES = ("max-max", "max-min", "min-max", "min-min")


#: Chance-node value of the rules without probabilities: the worst or the best child.
_CHANCE_EXTREME = {"maxi-min": "min", "maxi-max": "max", "mini-min": "min", "mini-max": "max"}


def _evtree_rules() -> Mapping[str, Any]:
    """Return the decision rules this evtree evaluates (:mod:`evtree.core.rules`, issue 16).

    Empty when that module is absent: then only the expected-value rules are compared,
    as objectives, and the others are "rule not available in evtree".
    """
    try:
        module = importlib.import_module("evtree.core.rules")
    except ImportError:
        return {}
    from ..core.evaluate import evaluate

    if "rule" not in inspect.signature(evaluate).parameters:  # pragma: no cover - half-present
        return {}
    return dict(getattr(module, "RULES", {}))


def _objective(rule: str, criterion: int) -> str:
    """Return the objective a rule gives the criterion read (two-criteria rules: its own word)."""
    if rule in _MULTI_CRITERIA_RULES:
        return rule.split("-")[criterion]
    return RULES[rule]


_NODE_TYPES = ("decision", "chance", "terminal")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_KEY = "SilverDecisions"
_EXTENSION = "evtree"
_META = "silverdecisions"

# Layout (sd-tree-designer defaults): node size, column width, row heights.
_NODE_SIZE = 40
_GRID_WIDTH = 150
_ROW_SIBLING = 75
_ROW_COUSIN = 90  # d3.tree separates nodes with different parents by 1.2 rows
_TREE_GAP = 50


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


# ============================================================================ detection
def is_silverdecisions(data: Any) -> bool:
    """Return whether parsed JSON ``data`` is a SilverDecisions file (its top-level key).

    Examples
    --------
    >>> is_silverdecisions({"SilverDecisions": "1.2.1", "data": {"trees": []}})
    True
    >>> is_silverdecisions({"evtree": 1, "root": {}})
    False
    """
    return isinstance(data, Mapping) and _KEY in data


def _may_be_silverdecisions(text: str) -> bool:
    """Cheap test on the text before parsing: JSON that mentions the key."""
    return f'"{_KEY}"' in text and text.lstrip().startswith("{")


# ============================================================================ reading helpers
class _Place:
    """Field paths in the file, e.g. ``data.trees[0].childEdges[1].probability``."""

    def __init__(self, source: str) -> None:
        self.source = source

    def __call__(self, path: str) -> str:
        return f"{self.source} ({path})" if path else self.source


def _load_json(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise FileFormatError(f"invalid JSON: {err.msg}", where=f"{name}:{err.lineno}:{err.colno}") from None
    except RecursionError:
        raise FileFormatError("invalid JSON: nested too deeply", where=name) from None


def _read_source(source: Any) -> tuple[str, str]:
    from .native import _read_source as read_source

    return read_source(source)


@dataclasses.dataclass(frozen=True)
class TreeEntry:
    """One tree of a SilverDecisions file, as listed by :func:`list_trees`.

    Attributes
    ----------
    index : int
        Its position in the file (``tree=index`` reads it).
    name : str
        The root node's name (``tree=name`` reads it when no other root has it).
    kind : str
        The root's type: decision, chance or terminal.
    nodes : int
        How many nodes it has.
    """

    index: int
    name: str
    kind: str
    nodes: int


def _count_nodes(node: Any) -> int:
    count, stack = 0, [node]
    while stack:
        n = stack.pop()
        count += 1
        if isinstance(n, Mapping):
            for e in n.get("childEdges") or []:
                if isinstance(e, Mapping):
                    stack.append(e.get("childNode"))
    return count


def _trees_of(data: Mapping[str, Any], place: _Place) -> tuple[list[Any], Mapping[str, Any], str]:
    """Check the wrapper; return the roots, the container of code/scope and the trees' field path."""
    version = data.get(_KEY)
    if not isinstance(version, str) or not _VERSION.match(version):
        raise FileFormatError(
            f"SilverDecisions version {version!r} is not of the form X.Y.Z", where=place(_KEY)
        )
    if _version_tuple(version) < (0, 7, 0):
        container, prefix = data, ""
    else:
        container = data.get("data")
        if not isinstance(container, Mapping):
            raise FileFormatError("a SilverDecisions file needs a 'data' object", where=place("data"))
        prefix = "data."
    trees = container.get("trees")
    if not isinstance(trees, list) or not trees:
        raise FileFormatError("the file holds no trees", where=place(f"{prefix}trees"))
    return trees, container, f"{prefix}trees"


def list_trees(source: str | os.PathLike[str] | IO[str] | Mapping[str, Any]) -> list[TreeEntry]:
    """List the trees of a SilverDecisions file.

    Parameters
    ----------
    source : path, open file, text or parsed data

    Returns
    -------
    list of TreeEntry
    """
    name, data = _data_of(source)
    roots, _, path = _trees_of(data, _Place(name))
    out = []
    for i, root in enumerate(roots):
        if not isinstance(root, Mapping):
            raise FileFormatError("a tree must be an object", where=_Place(name)(f"{path}[{i}]"))
        out.append(TreeEntry(i, str(root.get("name") or ""), str(root.get("type")), _count_nodes(root)))
    return out


def _data_of(source: Any) -> tuple[str, Any]:
    if isinstance(source, Mapping):
        name = "<data>"
        data = source
    else:
        name, text = _read_source(source)
        data = _load_json(name, text)
    if not is_silverdecisions(data):
        raise FileFormatError(f"not a SilverDecisions file (no top-level '{_KEY}' key)", where=name)
    return name, data


def _choose_tree(roots: list[Any], tree: int | str | None, place: _Place, path: str) -> int:
    def describe() -> str:
        return ", ".join(
            f"{i}: {(r.get('name') if isinstance(r, Mapping) else '') or '(unnamed)'!r}"
            for i, r in enumerate(roots)
        )

    if tree is None:
        if len(roots) > 1:
            warnings.warn(
                f"{place.source}: the file holds {len(roots)} trees ({describe()}); reading tree 0. "
                "Choose one with tree=INDEX or tree=NAME (evtree convert --tree)",
                stacklevel=4,
            )
        return 0
    if isinstance(tree, bool):
        raise TypeError("tree must be an index or a root name")
    if isinstance(tree, int):
        if not -len(roots) <= tree < len(roots):
            raise FileFormatError(
                f"there is no tree {tree}: the file holds {len(roots)} ({describe()})", where=place(path)
            )
        return tree % len(roots)
    if isinstance(tree, str):
        if tree.strip().lstrip("-").isdigit():
            return _choose_tree(roots, int(tree), place, path)
        hits = [i for i, r in enumerate(roots) if isinstance(r, Mapping) and r.get("name") == tree]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise FileFormatError(f"no tree has a root named {tree!r} ({describe()})", where=place(path))
        raise FileFormatError(
            f"several trees have a root named {tree!r} (indexes {hits}); choose by index", where=place(path)
        )
    raise TypeError(f"tree must be an index or a root name, not {type(tree).__name__}")


# ============================================================================ math.js text
_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
      | (?P<pow>\*\*|\^)
      | (?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
_MATHJS_CONSTANTS = {"e": "E", "E": "E", "pi": "pi", "PI": "pi"}
#: math.js words that are operators there, so an evtree parameter may not be called so on export.
_MATHJS_WORDS = {"mod", "to", "in", "and", "or", "xor", "not", "true", "false", "null", "undefined"}


def _strip_comment(text: str) -> str:
    return text.split("#", 1)[0]


@dataclasses.dataclass(frozen=True)
class _Function:
    """A function defined in SilverDecisions code (``f(x) = x^2/2``), expanded where it is called."""

    name: str
    arguments: tuple[sympy.Symbol, ...]
    body: sympy.Expr


def _allowed(names: Mapping[str, Any]) -> set[str]:
    """Return the evtree parameter names a scope makes visible."""
    return {v for v in names.values() if isinstance(v, str)}


def _translate_in(text: str, names: Mapping[str, Any]) -> str:
    """Translate math.js text into evtree's expression syntax, token by token.

    ``^`` becomes ``**``; a variable in scope becomes its evtree parameter name; ``e``
    and ``PI`` become ``E`` and ``pi`` unless a variable of that name is in scope; a call
    of a function defined in the file's code is replaced by the function's body with the
    arguments put in (each argument read through the whitelist parser first).
    Everything else is left for the whitelist parser to accept or refuse.
    """
    out = []
    tokens = list(_TOKEN.finditer(text))
    i = 0
    while i < len(tokens):
        match = tokens[i]
        kind, value = match.lastgroup, match.group()
        if kind == "pow":
            out.append("**")
        elif kind == "name":
            j = next((j for j in range(i + 1, len(tokens)) if tokens[j].lastgroup != "space"), None)
            is_call = j is not None and tokens[j].group() == "("
            if is_call and isinstance(names.get(value), _Function):
                expanded, i = _expand_call(text, tokens, j, names[value], names)
                out.append(expanded)
                continue
            if not is_call and isinstance(names.get(value), str):
                out.append(names[value])
            elif not is_call and value in _MATHJS_CONSTANTS:
                out.append(_MATHJS_CONSTANTS[value])
            else:
                out.append(value)
        else:
            out.append(value)
        i += 1
    return "".join(out)


def _expand_call(
    text: str, tokens: list[re.Match[str]], open_at: int, function: _Function, names: Mapping[str, Any]
) -> tuple[str, int]:
    """Expand the call whose ``(`` is ``tokens[open_at]``; return the text and the next token index."""
    depth, start, arguments = 0, tokens[open_at].end(), []
    for k in range(open_at, len(tokens)):
        char = tokens[k].group()
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth == 0:
                arguments.append(text[start : tokens[k].start()])
                break
        elif char == "," and depth == 1:
            arguments.append(text[start : tokens[k].start()])
            start = tokens[k].end()
    else:
        raise ExpressionError(f"unclosed call of {function.name}()", expression=text)
    if arguments == [""] and not function.arguments:
        arguments = []
    if len(arguments) != len(function.arguments):
        raise ExpressionError(
            f"{function.name}() takes {len(function.arguments)} argument(s), got {len(arguments)}",
            expression=text,
        )
    values = [parse_expression(_translate_in(a, names), _allowed(names)) for a in arguments]
    result = function.body.xreplace(dict(zip(function.arguments, values)))
    return f"({expression_text(result)})", k + 1


def _translate_out(text: str) -> str:
    """Translate evtree expression text into math.js: ``**`` becomes ``^``."""
    return "".join("^" if m.lastgroup == "pow" else m.group() for m in _TOKEN.finditer(text))


# ============================================================================ reading a tree
_RANDOM = re.compile(r"^\s*(random|Uniform|Normal)\s*\((.*)\)\s*$", re.DOTALL)
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_$][A-Za-z0-9_$]*)\s*=(?!=)(.*)$", re.DOTALL)
_FUNCTION_DEFINITION = re.compile(r"^\s*([A-Za-z_$][A-Za-z0-9_$]*)\s*\(([^)]*)\)\s*=(?!=)(.*)$", re.DOTALL)


def _formula_parameter(name: str, text: str, *, node: str, where: str) -> model.Parameter:
    """Return the parameter for a variable defined by an expression of other variables.

    A formula parameter (issue 14): its value is the expression text, in evtree's syntax.
    ``node`` and ``where`` locate the definition for a refusal.
    """
    try:
        return model.Parameter(name, text)
    except ModelError as err:
        raise err.located(node=node, field="code", where=where) from None


def _is_zero(value: Any) -> bool:
    """Whether a payoff as read is the JSON number 0 (SilverDecisions' default: no payoff)."""
    return type(value) is int and value == 0


def _literal_value(text: str, value: sympy.Expr) -> Any:
    """Return the value to store for a constant: an int or float when the text is that literal."""
    stripped = text.strip()
    if re.fullmatch(r"-?\d+", stripped):
        return int(stripped)
    if re.fullmatch(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", stripped):
        number = float(stripped)
        if math.isfinite(number) and sympy.Rational(repr(number)) == value:
            return number
    return stripped


class _Reader:
    """Builds one evtree tree from one SilverDecisions root, keeping track of places."""

    def __init__(
        self,
        data: Mapping[str, Any],
        container: Mapping[str, Any],
        place: _Place,
        criterion: int | None,
        criteria: Sequence[str] = (),
    ) -> None:
        self.data = data
        self.container = container
        self.place = place
        self.criterion = criterion  # None: both criteria, named ``criteria``
        self.criteria = tuple(criteria)
        self.parameters: dict[str, model.Parameter] = {}
        self.names_seen: set[str] = set()
        self.renamed_nodes: dict[str, str] = {}
        self.original_labels: dict[str, str] = {}
        extension = data.get(_EXTENSION)
        self.extension: Mapping[str, Any] = extension if isinstance(extension, Mapping) else {}
        #: (SD node, SD edge into it or None, evtree node, field path), in pre-order
        self.visited: list[tuple[Mapping[str, Any], Mapping[str, Any] | None, model.Node, str]] = []
        self.where_of: dict[int, str] = {}

    # -- variables --------------------------------------------------------------------------
    def fresh_name(self, wanted: str) -> str:
        base = wanted
        if not base.isidentifier() or base.startswith("_") or base in model._RESERVED:
            base = re.sub(r"\W", "_", base).lstrip("_") or "v"
            if base[0].isdigit() or base in model._RESERVED:
                base = f"v_{base}"
        if keyword.iskeyword(base):
            base = f"{base}_"
        name, k = base, 2
        while name in self.parameters or name in self.criteria:
            name = f"{base}_{k}"
            k += 1
        return name

    def read_code(
        self, code: Any, scope: dict[str, str], stored: Any, *, node: str, path: str
    ) -> dict[str, str]:
        """Read ``x = expr`` statements; return the scope (variable -> parameter name) after them."""
        if code is None or code == "":
            return scope
        where = self.place(path)
        if not isinstance(code, str):
            raise FileFormatError("'code' must be text", where=where)
        stored = stored if isinstance(stored, Mapping) else {}
        scope = dict(scope)
        for line in code.splitlines():
            for statement in _strip_comment(line).split(";"):
                if not statement.strip():
                    continue
                definition = _FUNCTION_DEFINITION.match(statement)
                if definition:
                    scope[definition.group(1)] = self.function(definition, scope, node=node, where=where)
                    continue
                match = _ASSIGNMENT.match(statement)
                if not match:
                    raise ModelError(
                        f"{statement.strip()!r} is not an assignment 'name = expression'",
                        node=node,
                        field="code",
                        where=where,
                    )
                variable, rhs = match.group(1), match.group(2).strip()
                name = self.fresh_name(variable)
                self.parameters[name] = self.variable(
                    name, variable, rhs, scope, stored, node=node, where=where
                )
                scope[variable] = name
        return scope

    def function(
        self, definition: re.Match[str], scope: Mapping[str, Any], *, node: str, where: str
    ) -> _Function:
        """Read ``f(x, y) = body``: the body through the whitelist, the arguments as placeholders."""
        fname, inside, body = definition.group(1), definition.group(2), definition.group(3)
        arguments = [a.strip() for a in inside.split(",")] if inside.strip() else []
        text = definition.group().strip()
        if not all(a.isidentifier() for a in arguments) or len(set(arguments)) != len(arguments):
            raise ModelError(
                f"the arguments of {text!r} must be distinct names", node=node, field="code", where=where
            )
        placeholders = {}
        for a in arguments:
            name, k = f"{a}_of_{fname}".lstrip("_"), 2
            while name in self.parameters:
                name, k = f"{a}_of_{fname}_{k}".lstrip("_"), k + 1
            placeholders[a] = name
        local = {**scope, **placeholders}
        try:
            expr = parse_expression(_translate_in(_strip_comment(body), local), _allowed(local))
        except ExpressionError as err:
            raise ExpressionError(err.reason, expression=text, node=node, field="code", where=where) from None
        return _Function(fname, tuple(symbol(placeholders[a]) for a in arguments), expr)

    def variable(
        self,
        name: str,
        variable: str,
        rhs: str,
        scope: Mapping[str, str],
        stored: Mapping[str, Any],
        *,
        node: str,
        where: str,
    ) -> model.Parameter:
        draw = _RANDOM.match(rhs)
        if draw:
            return self.random_variable(name, variable, draw, stored, node=node, where=where)
        text = self.expression(rhs, scope, node=node, field="code", where=where)
        expr = parse_expression(text)
        if expr.free_symbols:
            return _formula_parameter(name, text, node=node, where=where)
        return model.Parameter(name, _literal_value(text, expr))

    def random_variable(
        self,
        name: str,
        variable: str,
        draw: re.Match[str],
        stored: Mapping[str, Any],
        *,
        node: str,
        where: str,
    ) -> model.Parameter:
        func, inside = draw.group(1), draw.group(2)
        args = [a for a in inside.split(",")] if inside.strip() else []
        values = []
        for a in args:
            try:
                value = parse_expression(_translate_in(a, {}))
            except ExpressionError as err:
                raise err.located(node=node, field="code", where=where) from None
            if value.free_symbols:
                raise ModelError(
                    f"the draw {draw.group().strip()!r} has arguments that are not constants",
                    node=node,
                    field="code",
                    where=where,
                )
            values.append(value)
        spec: dict[str, Any]
        if func == "random" and len(values) == 0:
            spec, low, high = {"type": "uniform", "low": 0, "high": 1}, 0, 1
        elif func in ("random", "Uniform") and len(values) == 2:
            low, high = (_plain_number(v) for v in values)
            spec = {"type": "uniform", "low": low, "high": high}
        elif func == "Normal" and len(values) == 2:
            spec = {"type": "normal", "mean": _plain_number(values[0]), "sd": _plain_number(values[1])}
            low = high = None
        else:
            raise ModelError(
                f"the draw {draw.group().strip()!r} is not supported "
                "(random(), random(a, b), Uniform(a, b), Normal(mean, sd))",
                node=node,
                field="code",
                where=where,
            )
        value = stored.get(variable)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ModelError(
                f"variable {variable!r} is a random draw {draw.group().strip()!r} and the file stores "
                "no value for it in 'expressionScope'",
                node=node,
                field="code",
                where=where,
            )
        return model.Parameter(name, value, low=low, high=high, distribution=spec)

    def expression(self, text: str, scope: Mapping[str, str], *, node: str, field: str, where: str) -> str:
        """Translate and check one math.js expression; return evtree expression text."""
        original = text
        text = _strip_comment(text)
        if "=" in text:
            raise ExpressionError(
                "'=' is not allowed in an expression",
                expression=original,
                node=node,
                field=field,
                where=where,
            )
        try:
            translated = _translate_in(text, scope)
            parse_expression(translated, _allowed(scope))
        except ExpressionError as err:
            # Report the file's own text; positions refer to the translated text, so leave them out.
            raise ExpressionError(
                err.reason, expression=original, node=node, field=field, where=where
            ) from None
        return translated.strip()

    def quantity(self, raw: Any, scope: Mapping[str, str], *, node: str, field: str, path: str) -> Any:
        """Read a payoff or probability as given in the file: a JSON number or math.js text."""
        where = self.place(path)
        if isinstance(raw, bool) or raw is None:
            raise FileFormatError(f"the {field} must be a number or an expression, got {raw!r}", where=where)
        if isinstance(raw, (int, float)):
            if not math.isfinite(raw):
                raise FileFormatError(f"the {field} {raw!r} is not finite", where=where)
            return raw
        if isinstance(raw, str):
            if not _strip_comment(raw).strip():
                raise FileFormatError(f"the {field} is empty", where=where)
            return self.expression(raw, scope, node=node, field=field, where=where)
        raise FileFormatError(
            f"the {field} must be a number or an expression, got {type(raw).__name__}", where=where
        )

    def payoff(self, edge: Mapping[str, Any], scope: Mapping[str, str], *, node: str, path: str) -> Any:
        """Read an edge's payoff: one criterion's, or a mapping criterion -> payoff (zeros left out)."""
        raw = edge.get("payoff", 0)
        if self.criterion is not None:
            return self.component(raw, self.criterion, scope, node=node, path=path)
        items = {}
        for k, name in enumerate(self.criteria):
            value = self.component(raw, k, scope, node=node, path=path)
            if not _is_zero(value):
                items[name] = value
        return Payoffs(items)

    def component(self, raw: Any, k: int, scope: Mapping[str, str], *, node: str, path: str) -> Any:
        at = f"{path}.payoff"
        if isinstance(raw, list):
            raw_value = raw[k] if k < len(raw) else 0
            at = f"{at}[{k}]"
        else:
            raw_value = raw if k == 0 else 0  # files before 0.8: one scalar payoff
        return self.quantity(raw_value, scope, node=node, field="payoff", path=at)

    # -- nodes ------------------------------------------------------------------------------
    def node_name(self, raw: Any, path: str) -> str | None:
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise FileFormatError("a node's 'name' must be text", where=self.place(f"{path}.name"))
        if not raw.strip():
            return None
        name, k = raw, 2
        while name in self.names_seen:
            name = f"{raw} ({k})"
            k += 1
        if name != raw:
            self.renamed_nodes[name] = raw
        self.names_seen.add(name)
        return name

    def labels(self, edges: list[Any], path: str) -> list[str]:
        out: list[str] = []
        for i, edge in enumerate(edges):
            raw = edge.get("name", "")
            if raw is None:
                raw = ""
            if not isinstance(raw, str):
                raise FileFormatError("an edge's 'name' must be text", where=self.place(f"{path}[{i}].name"))
            label = raw if raw.strip() else f"({i + 1})"
            k = 2
            while label in out:
                label = f"{raw} ({k})" if raw.strip() else f"({i + 1}.{k})"
                k += 1
            out.append(label)
        return out

    def build(
        self,
        spec: Any,
        edge: Mapping[str, Any] | None,
        path: str,
        node_path: str,
        scope: dict[str, str],
        depth: int = 0,
    ) -> tuple[model.Node, Any]:
        """Build the node ``spec``; return it and, for a terminal, its payoff (else ``None``)."""
        where = self.place(path)
        if depth > 2000:
            raise FileFormatError("the tree is nested too deeply", where=where)
        if not isinstance(spec, Mapping):
            raise FileFormatError("a node must be an object", where=where)
        kind = spec.get("type")
        if kind not in _NODE_TYPES:
            raise FileFormatError(
                f"unknown node type {kind!r} (SilverDecisions has decision, chance and terminal)",
                where=self.place(f"{path}.type"),
            )
        edges = spec.get("childEdges")
        if not isinstance(edges, list):
            raise FileFormatError("a node needs a list 'childEdges'", where=where)
        name = self.node_name(spec.get("name"), path)
        if edge is None:
            node_path = name or "root"
        scope = self.read_code(
            spec.get("code"), scope, spec.get("expressionScope"), node=node_path, path=f"{path}.code"
        )
        if kind == "terminal":
            if edges:
                raise FileFormatError(
                    "a terminal node cannot have child edges", where=self.place(f"{path}.childEdges")
                )
            node = model.Terminal(0, name=name)
            self.visited.append((spec, edge, node, path))
            return node, None
        for i, e in enumerate(edges):
            if not isinstance(e, Mapping):
                raise FileFormatError(
                    "an edge must be an object", where=self.place(f"{path}.childEdges[{i}]")
                )
        labels = self.labels(edges, f"{path}.childEdges")
        node = (model.Decision if kind == "decision" else model.Chance)(name)
        self.visited.append((spec, edge, node, path))
        children = []
        probabilities = self.probabilities(edges, labels, scope, kind, path, node_path)
        for i, (e, label) in enumerate(zip(edges, labels)):
            epath = f"{path}.childEdges[{i}]"
            child_path = f"{node_path}/{label}"
            if label != (e.get("name") or ""):
                self.original_labels[child_path] = e.get("name") or ""
            payoff = self.payoff(e, scope, node=child_path, path=epath)
            child, _ = self.build(e.get("childNode"), e, f"{epath}.childNode", child_path, scope, depth + 1)
            self.where_of[id(child)] = epath
            child._label = label
            if probabilities is not None:
                child._probability = model._check_quantity(
                    probabilities[i], "probability", child_path, allow_rest=True
                )
            if isinstance(child, model.Terminal):
                terminal, branch = self.split_terminal_payoff(e, payoff)
                if isinstance(terminal, Mapping) and not terminal:
                    terminal = 0  # no payoff on any criterion
                child._payoff = model._check_quantity(terminal, "payoff", child_path)
                child._branch_payoff = (
                    None if branch is None else model._check_quantity(branch, "payoff", child_path)
                )
            elif not _is_zero(payoff) and not (isinstance(payoff, Mapping) and not payoff):
                child._branch_payoff = model._check_quantity(payoff, "payoff", child_path)
            children.append(child)
        node._attach_branches(children)
        return node, None

    def split_terminal_payoff(self, edge: Mapping[str, Any], payoff: Any) -> tuple[Any, Any]:
        """Split the payoff of an edge into a terminal: the terminal's, unless evtree wrote a split."""
        note = edge.get(_EXTENSION)
        if isinstance(note, Mapping) and "branch" in note and "terminal" in note:
            if edge.get("payoff") == note.get("combined"):
                return note["terminal"], note["branch"]
        return payoff, None

    def probabilities(
        self,
        edges: list[Any],
        labels: list[str],
        scope: Mapping[str, str],
        kind: str,
        path: str,
        node_path: str,
    ) -> list[Any] | None:
        if kind != "chance":
            return None
        given: list[Any] = []
        rest = []
        for i, e in enumerate(edges):
            raw = e.get("probability")
            epath = f"{path}.childEdges[{i}].probability"
            if isinstance(raw, str) and raw.strip() == "#":
                given.append(None)
                rest.append(i)
                continue
            if raw is None:
                raise FileFormatError("a chance edge needs a 'probability'", where=self.place(epath))
            given.append(
                self.quantity(raw, scope, node=f"{node_path}/{labels[i]}", field="probability", path=epath)
            )
        if len(rest) == 1:
            given[rest[0]] = model.REST
            note = edges[rest[0]].get(_EXTENSION)
            if isinstance(note, Mapping) and "probability" in note:
                # evtree wrote '#' for an expression so that SilverDecisions' exact sum holds
                label = f"{node_path}/{labels[rest[0]]}"
                given[rest[0]] = self.quantity(
                    note["probability"],
                    scope,
                    node=label,
                    field="probability",
                    path=f"{path}.childEdges[{rest[0]}].{_EXTENSION}.probability",
                )
        elif rest:
            others = [g for g in given if g is not None]
            inner = " - ".join(["1", *(f"({expression_text(g)})" for g in others)])
            share = f"({inner})/{len(rest)}"
            for i in rest:
                given[i] = share
        return given


def read_silverdecisions(
    source: str | os.PathLike[str] | IO[str],
    *,
    tree: int | str | None = None,
    criterion: int | str | None = None,
) -> model.DecisionTree:
    """Read one tree of a SilverDecisions JSON file.

    Parameters
    ----------
    source : path, open file or str
        The file, or its text.
    tree : int or str, optional
        Which tree, by index or by root name, when the file holds several
        (:func:`list_trees` lists them); the first one by default, with a warning.
    criterion : int or str, optional
        Which payoff to read, by index (0 or 1) or by name (``payoffNames``); by
        default the one the file's view shows (criterion 1 unless the view is
        ``criterion2``); a file viewed with two criteria becomes a tree with both as
        ``criteria`` unless one is chosen.

    Returns
    -------
    DecisionTree

    Raises
    ------
    FileFormatError
        If the file is not a SilverDecisions file, is malformed, or is one that
        SilverDecisions itself refuses (bad probabilities, nodes without edges); the
        message names the place in the file.
    ModelError, ExpressionError
        If an expression is outside evtree's whitelist, or a variable cannot be a
        parameter; the message names the node, the field and the text.
    """
    name, text = _read_source(source)
    data = _load_json(name, text)
    return tree_from_silverdecisions(data, source=name, tree=tree, criterion=criterion, text=text)


def tree_from_silverdecisions(
    data: Any,
    *,
    source: str = "<data>",
    tree: int | str | None = None,
    criterion: int | str | None = None,
    text: str | None = None,
) -> model.DecisionTree:
    """Build an evtree tree from parsed SilverDecisions JSON (see :func:`read_silverdecisions`).

    ``text``, the document the data was parsed from, lets error messages give the line and
    column of the field (``file:line:col (field.path)``).
    """
    return _import(data, source=source, tree=tree, criterion=criterion, text=text).tree


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_SPACE = re.compile(r"\s*")


def _position(text: str, path: str) -> tuple[int, int] | None:
    """Return the (line, column) in the JSON ``text`` of the field at ``path``.

    When the field is missing, the position of its deepest part that exists; ``None``
    if the text cannot be walked.  Only called when an error is reported: it skips sibling
    values with the C JSON decoder.
    """
    decoder = json.JSONDecoder()
    parts = [int(b) if b else a for a, b in _PATH_PART.findall(path)]
    try:
        i = _SPACE.match(text, 0).end()
        found_at = i
        for part in parts:
            opening, closing = ("[", "]") if isinstance(part, int) else ("{", "}")
            if text[i] != opening:
                break
            i = _SPACE.match(text, i + 1).end()
            k, found = 0, False
            while text[i] != closing:
                if isinstance(part, str):
                    key, i = json.decoder.scanstring(text, i + 1)
                    i = _SPACE.match(text, i).end()
                    i = _SPACE.match(text, i + 1).end()  # past ':'
                    if key == part:
                        found = True
                        break
                elif k == part:
                    found = True
                    break
                _, i = decoder.raw_decode(text, i)
                i = _SPACE.match(text, i).end()
                if text[i] == ",":
                    i = _SPACE.match(text, i + 1).end()
                k += 1
            if not found:
                break
            found_at = i
    except (IndexError, ValueError):
        return None
    line = text.count("\n", 0, found_at) + 1
    return line, found_at - (text.rfind("\n", 0, found_at) + 1) + 1


def _with_line(err: ModelError, source: str, text: str | None) -> ModelError:
    """Return ``err`` with ``source (path)`` turned into ``source:line:col (path)``."""
    where = err.where or ""
    prefix = f"{source} ("
    if text is None or not where.startswith(prefix) or not where.endswith(")"):
        return err
    path = where[len(prefix) : -1]
    position = _position(text, path)
    if position is None:
        return err
    new = err.located()
    new.where = f"{source}:{position[0]}:{position[1]} ({path})"
    Exception.__init__(new, new._compose())
    return new


@dataclasses.dataclass
class _Imported:
    tree: model.DecisionTree
    reader: _Reader
    index: int
    criterion: int | None
    rule: str


def _criterion_index(
    data: Mapping[str, Any], container: Mapping[str, Any], criterion: Any, place: _Place
) -> int | None:
    """Return the payoff index to read, or ``None`` for both criteria (a two-criteria view)."""
    names = container.get("payoffNames")
    names = list(names[:2]) if isinstance(names, list) else []
    view = data.get("viewMode")
    if criterion is None:
        if view == "twoCriteria":
            return None
        return 1 if view == "criterion2" else 0
    if isinstance(criterion, bool):
        raise TypeError("criterion must be an index or a payoff name")
    if isinstance(criterion, str):
        if criterion.strip().isdigit():
            criterion = int(criterion)
        elif criterion in names:
            return names.index(criterion)
        else:
            raise FileFormatError(
                f"no criterion is named {criterion!r} (payoffNames: {names})", where=place("data.payoffNames")
            )
    if criterion not in (0, 1):
        raise FileFormatError(f"criterion must be 0 or 1, got {criterion!r}", where=place("data.payoffNames"))
    return int(criterion)


def _criterion_names(container: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Return evtree names for the two criteria (identifiers) and the file's names for them."""
    raw = container.get("payoffNames")
    raw = [str(n) for n in raw[:2]] if isinstance(raw, list) else []
    while len(raw) < 2:
        raw.append("")
    names: list[str] = []
    for i, n in enumerate(raw):
        name = re.sub(r"\W+", "_", n.strip()).strip("_")
        if not name or not name.isascii() or not name.isidentifier() or keyword.iskeyword(name):
            name = f"criterion{i + 1}"
        while name in names:
            name += "_"
        names.append(name)
    return names, raw


def _multi_criteria_senses(rule: str) -> tuple[str, str]:
    if rule in _MULTI_CRITERIA_RULES:
        first, second = rule.split("-")
        return first, second
    return (RULES[rule], "max")


def _import(
    data: Any, *, source: str, tree: int | str | None, criterion: int | str | None, text: str | None = None
) -> _Imported:
    try:
        return _import_located(data, source=source, tree=tree, criterion=criterion)
    except ModelError as err:
        raise _with_line(err, source, text) from None
    except RecursionError:
        raise FileFormatError("the tree is nested too deeply", where=source) from None


def _import_located(
    data: Any, *, source: str, tree: int | str | None, criterion: int | str | None
) -> _Imported:
    place = _Place(source)
    if not is_silverdecisions(data):
        raise FileFormatError(f"not a SilverDecisions file (no top-level '{_KEY}' key)", where=source)
    roots, container, trees_path = _trees_of(data, place)
    index = _choose_tree(roots, tree, place, trees_path)
    k = _criterion_index(data, container, criterion, place)
    criteria_names, file_names = _criterion_names(container) if k is None else ([], [])
    reader = _Reader(data, container, place, k, criteria_names)
    code_path = "code" if container is data else "data.code"
    scope = reader.read_code(
        container.get("code"), {}, container.get("expressionScope"), node="(global code)", path=code_path
    )
    # SilverDecisions opens a file with its stored scope and does not rerun the code, so a number
    # stored there without a definition in the code is still a variable of the file.
    stored = container.get("expressionScope")
    for variable, value in stored.items() if isinstance(stored, Mapping) else ():
        if variable in scope or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not math.isfinite(value):
            continue
        name = reader.fresh_name(str(variable))
        reader.parameters[name] = model.Parameter(name, value)
        scope[str(variable)] = name
    root_path = f"{trees_path}[{index}]"
    with model.building():
        root, _ = reader.build(roots[index], None, root_path, "root", scope)
    if isinstance(root, model.Terminal):
        note = roots[index].get(_EXTENSION)
        if isinstance(note, Mapping) and "terminal" in note:
            root._payoff = model._check_quantity(note["terminal"], "payoff", root.key)
    reader.where_of[id(root)] = root_path
    rule = data.get("rule")
    if not isinstance(rule, str) or rule not in RULES:
        rule = "expected-value-maximization"  # SilverDecisions ignores an unknown rule
    extension = reader.extension
    metadata = dict(extension.get("metadata") or {}) if isinstance(extension.get("metadata"), Mapping) else {}
    meta: dict[str, Any] = {}
    objective = _objective(rule, k or 0)
    if k is None:  # two criteria: each has its sense; the objective is only kept for evtree's trees
        objective = extension.get("objective") if extension.get("objective") in ("max", "min") else "max"
    elif rule in _evtree_rules() and rule not in _MULTI_CRITERIA_RULES:
        objective = rule  # evtree has this decision rule: the tree keeps it as its rule
    elif rule not in EV_RULES:
        meta["rule"] = rule
    if reader.renamed_nodes:
        meta["names"] = dict(reader.renamed_nodes)
    if reader.original_labels:
        meta["labels"] = dict(reader.original_labels)
    payoff_names = container.get("payoffNames")
    if isinstance(payoff_names, list) and payoff_names and payoff_names[:2] != criteria_names:
        meta["payoffNames"] = list(payoff_names)
    if k is not None and k != 0:
        meta["criterion"] = k
    criteria: list[Criterion] = []
    if k is None:
        weight = container.get("defaultCriterion1Weight", 1)
        if weight not in (1, "1"):
            meta["defaultCriterion1Weight"] = weight
        for key in ("weightLowerBound", "weightUpperBound"):
            if key in container and container[key] not in (0, "0", "Infinity"):
                meta[key] = container[key]
        senses = _multi_criteria_senses(rule)
        described = extension.get("criteria") if isinstance(extension.get("criteria"), Mapping) else {}
        for name, sense in zip(criteria_names, senses):
            extra = described.get(name) if isinstance(described.get(name), Mapping) else {}
            criteria.append(
                Criterion(
                    name,
                    unit=str(extra.get("unit", "")),
                    sense=sense,
                    description=str(extra.get("description", "")),
                )
            )
    texts = container.get("texts")
    if isinstance(texts, list) and texts:
        meta["texts"] = texts
    if meta:
        metadata[_META] = meta
    parameters = _with_extension_fields(reader.parameters, extension)
    title = data.get("title", "")
    description = data.get("description", "")
    try:
        result = model.DecisionTree(
            root,
            parameters=parameters,
            objective=objective,
            name=title if isinstance(title, str) else "",
            description=description if isinstance(description, str) else "",
            claims=list(extension.get("claims") or []),
            utility=extension.get("utility"),
            distributions=list(extension.get("distributions") or []),
            metadata=metadata,
            criteria=criteria or None,
        )
    except ModelError as err:
        raise err.located(where=source) from None
    _check(result, reader, place)
    return _Imported(result, reader, index, k, rule)


def _with_extension_fields(
    parameters: Mapping[str, model.Parameter], extension: Mapping[str, Any]
) -> list[model.Parameter]:
    """Restore bounds, descriptions and distributions that evtree wrote beside the code."""
    extra = extension.get("parameters")
    if not isinstance(extra, Mapping):
        return list(parameters.values())
    out = []
    for name, p in parameters.items():
        fields = extra.get(name)
        if isinstance(fields, Mapping):
            changes = {k: fields[k] for k in ("low", "high", "description", "distribution") if k in fields}
            if "value" in fields and as_expr(fields["value"]) == p.exact:
                changes["value"] = fields["value"]
            try:
                p = p.replace(**changes)
            except ModelError:
                pass  # edited in SilverDecisions so that the old fields no longer fit: keep the file's
        out.append(p)
    return out


def _check(tree: model.DecisionTree, reader: _Reader, place: _Place) -> None:
    """Refuse what SilverDecisions refuses: structure problems and bad probabilities."""
    try:
        tree.validate()
    except ModelError as err:
        first = err.problems[0] if isinstance(err, ValidationError) else err
        more = len(err.problems) - 1 if isinstance(err, ValidationError) else 0
        where = place.source
        if first.node is not None:
            try:
                node = tree.node(first.node)
                at = reader.where_of.get(id(node))
                if at is not None:
                    where = place(f"{at}.probability" if first.field == "probability" else at)
            except ModelError:
                pass
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise FileFormatError(
            f"SilverDecisions refuses this tree too: {first.message}{suffix}",
            node=first.node,
            field=first.field,
            where=where,
        ) from None


# ============================================================================ writing
def _number_or_text(value: Any) -> Any:
    """Return a quantity as SilverDecisions input: math.js text (numbers as their exact text)."""
    text = expression_text(value)
    if isinstance(text, bool):  # pragma: no cover - refused by the model
        raise ModelError(f"cannot write {value!r}")
    if isinstance(text, int):
        return str(text)
    if isinstance(text, float):
        return repr(text)
    return _translate_out(str(text))


def _component(value: Any, name: str | None) -> Any:
    """Return one criterion's part of a payoff (``None`` when there is none)."""
    if name is None or value is None:
        return value
    if isinstance(value, Payoffs):
        return value.get(name)
    return None if _is_zero(value) else value  # a plain 0 in a tree with criteria


def _note_value(value: Any) -> Any:
    if isinstance(value, Payoffs):
        return {k: expression_text(v) for k, v in value.items()}
    return expression_text(value)


def _edge_payoffs(child: model.Node, components: Sequence[str | None]) -> tuple[list[Any], dict | None]:
    """Return the payoffs to write on the edge into ``child`` (one per component) and a split note.

    SilverDecisions' terminals have no payoff of their own: the edge into a terminal
    carries it.  When evtree's tree has both a branch payoff and a terminal payoff there,
    the edge gets their sum, and a note ``{"branch", "terminal"}`` to split it back.
    """
    out: list[Any] = []
    split = isinstance(child, model.Terminal) and child.branch_payoff is not None
    for name in components:
        branch = _component(child.branch_payoff, name)
        terminal = _component(child.payoff, name) if isinstance(child, model.Terminal) else None
        if split:
            b = 0 if branch is None else _number_or_text(branch)
            t = 0 if terminal is None else _number_or_text(terminal)
            out.append(f"({b}) + ({t})")
        else:
            if isinstance(child, model.Terminal):
                plain_zero = terminal is None or (name is None and _is_zero(terminal))
                out.append(0 if plain_zero else _number_or_text(terminal))
            else:  # an explicit 0 is written as "0", so that it reads back as given
                out.append(0 if branch is None else _number_or_text(branch))
    note = None
    if split:
        note = {"branch": _note_value(child.branch_payoff), "terminal": _note_value(child.payoff)}
    return out, note


def _remainder_stand_in(node: model.Node) -> model.Node | None:
    """Return the branch of a chance node to write as ``#``, if any.

    SilverDecisions requires a chance node's probabilities to sum to exactly 1 after it
    has turned each one computed in floating point into a fraction, which expressions of
    parameters (``p`` and ``1 - p``) rarely do.  When no branch is ``REST`` and some
    probability depends on parameters, the last branch is written as ``#`` (the remainder)
    with its own expression kept in an ``"evtree"`` note, which evtree reads back.
    """
    children = node.children
    if not children or any(c.probability == model.REST for c in children):
        return None
    if any(
        isinstance(c.probability, (str, sympy.Basic)) and as_expr(c.probability).free_symbols
        for c in children
    ):
        return children[-1]
    return None


def _plain_number(value: Any) -> Any:
    """Return an exact sympy number as a JSON number (int when integral, else float)."""
    if isinstance(value, sympy.Integer):
        return int(value)
    if isinstance(value, sympy.Rational):
        return float(value)
    return float(value)


def _parameter_floats(tree: model.DecisionTree) -> dict[str, float]:
    """Return every parameter's default value as a float (for ``expressionScope``)."""
    exact: dict[str, Any] = {}

    def value_of(name: str, seen: tuple[str, ...]) -> Any:
        if name in exact:
            return exact[name]
        if name in seen:
            raise ModelError(f"parameters refer to each other in a cycle: {' -> '.join((*seen, name))}")
        p = tree.parameters[name]
        expr = as_expr(p.value)
        subs = {s: value_of(s.name, (*seen, name)) for s in expr.free_symbols if s.name in tree.parameters}
        exact[name] = expr.xreplace(subs) if subs else expr
        return exact[name]

    return {name: float(value_of(name, ())) for name in tree.parameters}


def _ordered_parameters(tree: model.DecisionTree) -> list[model.Parameter]:
    """Parameters in an order where each comes after those its formula uses."""
    done: dict[str, model.Parameter] = {}
    visiting: set[str] = set()

    def visit(p: model.Parameter) -> None:
        if p.name in done or p.name in visiting:  # a cycle is refused by _parameter_floats
            return
        visiting.add(p.name)
        for s in sorted(as_expr(p.value).free_symbols, key=lambda s: s.name):
            if s.name in tree.parameters:
                visit(tree.parameters[s.name])
        done[p.name] = p

    for p in tree.parameters.values():
        visit(p)
    return list(done.values())


def _layout(root: model.Node) -> dict[int, tuple[float, float]]:
    """Positions (x, y) of node centres: one row per leaf, parents centred on their children."""
    positions: dict[int, tuple[float, float]] = {}
    y = [float(_NODE_SIZE) / 2 - _ROW_SIBLING]
    last_parent: list[Any] = [None]

    # Iterative post-order walk: leaves take the next row, parents the midpoint.
    stack: list[tuple[model.Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, expanded = stack.pop()
        x = float(_NODE_SIZE) / 2 + depth * _GRID_WIDTH
        if not node.children:
            step = _ROW_SIBLING if last_parent[0] is None or node.parent is last_parent[0] else _ROW_COUSIN
            y[0] += step
            last_parent[0] = node.parent
            positions[id(node)] = (x, y[0])
        elif expanded:
            first, last = positions[id(node.children[0])], positions[id(node.children[-1])]
            positions[id(node)] = (x, (first[1] + last[1]) / 2)
        else:
            stack.append((node, depth, True))
            for child in reversed(node.children):
                stack.append((child, depth + 1, False))
    return positions


def tree_to_silverdecisions(tree: model.DecisionTree) -> dict[str, Any]:
    """Return the tree as SilverDecisions JSON data (a file SilverDecisions 1.x opens).

    Parameters become global ``code`` (``name = value``, with the description as a
    ``#`` comment) and their values the global and per-node ``expressionScope``;
    ``REST`` is ``#``; ``**`` is ``^``; nodes get a left-to-right layout.  What
    SilverDecisions cannot hold is kept under the extra key ``"evtree"``.

    Raises
    ------
    ModelError
        If a parameter's name is a math.js operator word (``mod``, ``to``, ...).
    """
    meta = tree.metadata.get(_META) if isinstance(tree.metadata.get(_META), Mapping) else {}
    names: Mapping[str, str] = meta.get("names") or {}
    labels: Mapping[str, str] = meta.get("labels") or {}
    criterion = 1 if meta.get("criterion") == 1 else 0
    if tree.players:
        raise ModelError("SilverDecisions has no players: a game tree cannot be written", field="players")
    if len(tree.criteria) > 2:
        raise ModelError(
            f"SilverDecisions holds at most two criteria; this tree has {len(tree.criteria)}",
            field="criteria",
        )
    components: list[str | None] = [c.name for c in tree.criteria] or [None]
    rule = meta.get("rule")
    if len(tree.criteria) == 2:
        senses = f"{tree.criteria[0].sense}-{tree.criteria[1].sense}"
        if rule != senses:
            rule = senses
    else:
        objective = tree.criteria[0].sense if tree.criteria else tree.objective
        tree_rule = getattr(tree, "rule", None)  # evtree's decision rule, when it has them
        if tree_rule in RULES and tree_rule not in EV_RULES and not tree.criteria:
            rule = tree_rule
        if rule not in RULES or _objective(rule, criterion) != objective:
            rule = "expected-value-maximization" if objective == "max" else "expected-value-minimization"
    for pname in tree.parameters:
        if pname in _MATHJS_WORDS:
            raise ModelError(
                f"parameter {pname!r} is an operator word in math.js; rename it for SilverDecisions",
                field=f"parameters.{pname}",
            )
    floats = _parameter_floats(tree)
    lines = []
    for p in _ordered_parameters(tree):
        line = f"{p.name} = {_number_or_text(p.value)}"
        if p.description:
            line += "  # " + " ".join(p.description.split())
        lines.append(line)
    scope = {name: floats[name] for name in (p.name for p in _ordered_parameters(tree))}
    positions = _layout(tree.root)

    def node_json(node: model.Node) -> dict[str, Any]:
        x, y = positions[id(node)]
        out: dict[str, Any] = {"computed": {}, "childEdges": []}
        name = "" if node.name is None else names.get(node.name, node.name)
        out.update(
            {
                "name": name,
                "code": "",
                "expressionScope": dict(scope),
                "folded": False,
                "location": {"x": x, "y": y},
                "type": node.kind,
            }
        )
        for child in node.children:
            out["childEdges"].append(edge_json(child))
        return out

    def edge_json(child: model.Node) -> dict[str, Any]:
        edge: dict[str, Any] = {"computed": {}, "name": labels.get(child.path, child.label or "")}
        remainder_note = None
        if child.parent is not None and isinstance(child.parent, model.Chance):
            p = child.probability
            edge["probability"] = "#" if p == model.REST else _number_or_text(p)
            if child is _remainder_stand_in(child.parent):
                edge["probability"] = "#"
                remainder_note = {"probability": _number_or_text(p)}
        payoffs, note = _edge_payoffs(child, components)
        if len(components) == 2:
            edge["payoff"] = payoffs
        else:
            edge["payoff"] = [payoffs[0], 0] if criterion == 0 else [0, payoffs[0]]
        if note is not None:
            note["combined"] = edge["payoff"]
        if remainder_note is not None:
            note = {**(note or {}), **remainder_note}
        if note is not None:
            edge[_EXTENSION] = note
        edge["childNode"] = node_json(child)
        return edge

    try:
        root = node_json(tree.root)
    except RecursionError:
        raise ModelError("the tree is nested too deeply to write as a SilverDecisions file") from None
    if isinstance(tree.root, model.Terminal) and tree.root.payoff is not None:
        root[_EXTENSION] = {"terminal": _note_value(tree.root.payoff)}
    extension: dict[str, Any] = {"version": 1}
    extra_parameters = {}
    for p in tree.parameters.values():
        fields: dict[str, Any] = {}
        if not isinstance(expression_text(p.value), (int, float)):
            fields["value"] = expression_text(p.value)
        for key in ("low", "high"):
            if getattr(p, key) is not None:
                fields[key] = expression_text(getattr(p, key))
        if p.description:
            fields["description"] = p.description
        if p.distribution is not None:
            fields["distribution"] = p.distribution
        if fields:
            extra_parameters[p.name] = fields
    if extra_parameters:
        extension["parameters"] = extra_parameters
    if tree.claims:
        extension["claims"] = tree.claims
    if tree.utility is not None:
        extension["utility"] = tree.utility
    if tree.distributions:
        extension["distributions"] = tree.distributions
    others = {k: v for k, v in tree.metadata.items() if k != _META}
    if others:
        extension["metadata"] = others
    payoff_names = meta.get("payoffNames") or [c.name for c in tree.criteria]
    described = {
        c.name: {k: v for k, v in (("unit", c.unit), ("description", c.description)) if v}
        for c in tree.criteria
        if c.unit or c.description
    }
    if described:
        extension["criteria"] = described
    if tree.criteria and tree.objective != "max":
        extension["objective"] = tree.objective
    view = "twoCriteria" if len(tree.criteria) == 2 else f"criterion{criterion + 1}"
    return {
        _KEY: EXPORT_VERSION,
        "lng": "en",
        "viewMode": view,
        "rule": rule,
        "title": tree.name,
        "description": tree.description,
        "data": {
            "code": "\n".join(lines),
            "expressionScope": scope,
            "trees": [root],
            "texts": list(meta.get("texts") or []),
            "payoffNames": list(payoff_names),
            "defaultCriterion1Weight": meta.get("defaultCriterion1Weight", 1),
            "weightLowerBound": meta.get("weightLowerBound", 0),
            "weightUpperBound": meta.get("weightUpperBound", "Infinity"),
        },
        "sensitivityAnalysis": {},
        _EXTENSION: extension,
    }


def write_silverdecisions(
    tree: model.DecisionTree, target: str | os.PathLike[str] | IO[str] | None = None
) -> str | None:
    """Write a tree as a SilverDecisions JSON file (atomically), or return the text.

    Parameters
    ----------
    tree : DecisionTree
    target : path or open file, optional
        Where to write; the text is returned when omitted.
    """
    data = tree_to_silverdecisions(tree)
    try:
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    except RecursionError:
        raise ModelError("the tree is nested too deeply to write as a SilverDecisions file") from None
    return deliver_text(text, target)


# ============================================================================ comparing
_MIXED = re.compile(r"^\s*(-?)(\d+) (\d+)/(\d+)\s*$")
_SIMPLE = re.compile(r"^\s*-?\d+(?:/\d+)?\s*$")


def stored_number(value: Any) -> Fraction | float | None:
    """Read a number SilverDecisions stored: a JSON number, ``"2/5"``, ``"1 3/4"``, ``"Infinity"``.

    Returns ``None`` when the value is not a number (missing or ``null``).

    Examples
    --------
    >>> stored_number("-1 1/2"), stored_number("2/5"), stored_number(0.5)
    (Fraction(-3, 2), Fraction(2, 5), Fraction(1, 2))
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(value) if math.isfinite(value) else value
    if isinstance(value, str):
        if value.strip() in ("Infinity", "-Infinity"):
            return float(value.strip().replace("Infinity", "inf"))
        mixed = _MIXED.match(value)
        if mixed:
            sign, whole, num, den = mixed.groups()
            magnitude = int(whole) + Fraction(int(num), int(den))
            return -magnitude if sign else magnitude
        if _SIMPLE.match(value):
            return Fraction(value.strip())
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            return None
    return None


@dataclasses.dataclass(frozen=True)
class Difference:
    """One stored value that evtree computes differently (or a rule evtree does not have)."""

    tree: int
    rule: str
    node: str
    where: str
    field: str
    stored: Any
    evtree: Any
    status: str


@dataclasses.dataclass(frozen=True)
class Comparison:
    """The values a SilverDecisions file stores, recomputed by evtree (see :func:`compare`).

    Attributes
    ----------
    source : str
        The file.
    method : str
        How evtree computed and compared: ``"exact"`` (rationals, equal means equal) or
        ``"exact, relative tolerance 1e-09"``.
    trees : tuple of int
        The trees compared.
    rules_compared : tuple of str
        The rules whose stored values were recomputed.
    rules_unavailable : tuple of str
        Rules the file stores values for that evtree does not have.
    n_values : int
        How many stored values were compared.
    differences : tuple of Difference
        Every value that differs, and one entry per rule not available in evtree.
    """

    source: str
    method: str
    trees: tuple[int, ...]
    rules_compared: tuple[str, ...]
    rules_unavailable: tuple[str, ...]
    n_values: int
    differences: tuple[Difference, ...]

    @property
    def ok(self) -> bool:
        """Whether every value compared agrees and every tree was read (rules evtree lacks do not count)."""
        return all(d.status == "rule not available in evtree" for d in self.differences)

    def to_frame(self) -> Any:
        """One row per difference and per rule evtree does not have."""
        import pandas as pd

        columns = [f.name for f in dataclasses.fields(Difference)]
        rows = [
            {**dataclasses.asdict(d), "stored": _show(d.stored), "evtree": _show(d.evtree)}
            for d in self.differences
        ]
        return pd.DataFrame(rows, columns=columns)

    def summary(self) -> str:
        """One line: what was compared and how many values differ."""
        n = sum(d.status in ("differs", "missing in file") for d in self.differences)
        text = (
            f"{self.source}: {self.n_values} stored values of {len(self.rules_compared)} rule(s) "
            f"({', '.join(self.rules_compared) or 'none'}) compared ({self.method}): "
            f"{n} difference{'s' if n != 1 else ''}"
        )
        if self.rules_unavailable:
            text += f"; rule not available in evtree: {', '.join(self.rules_unavailable)}"
        unread = [d.tree for d in self.differences if d.status == "not read by evtree"]
        if unread:
            text += f"; trees not read by evtree: {', '.join(map(str, unread))}"
        return text

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        func = presenter("html", self)
        if func is not None:
            return func(self)
        return f"<p>{self.summary()}</p>" + self.to_frame()._repr_html_()


def _show(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, sympy.Basic):
        return str(value)
    return value


def compare(
    source: str | os.PathLike[str] | IO[str],
    *,
    tree: int | str | None = None,
    criterion: int | str | None = None,
    tolerance: float = 1e-9,
    exact: bool = False,
) -> Comparison:
    """Recompute the values a SilverDecisions file stores for each rule and report differences.

    For every node and every rule the file holds (``computed[rule]``), evtree rolls
    the tree back with that rule and compares: the values below nodes
    (``childrenPayoff``), their values with the incoming edge (``payoff``), the
    path totals and probabilities of reaching terminals (``aggregatedPayoff``,
    ``probabilityToEnter``), which nodes and edges are optimal, and the probability
    each rule gives each edge; also every edge's evaluated ``payoff`` and
    ``probability``.  Rules evtree does not have are listed as "rule not available
    in evtree".

    Parameters
    ----------
    source : path, open file or str
        The SilverDecisions file.
    tree : int or str, optional
        Compare only this tree (index or root name); every tree by default.
    criterion : int or str, optional
        The payoff to compare (see :func:`read_silverdecisions`).
    tolerance : float, default 1e-9
        Relative tolerance.  SilverDecisions turns values computed in floating point
        (``random()`` draws, ``exp``, quotients of decimals) into fractions with
        denominators up to 10^7, so exact agreement is only expected for values
        written as fractions in the file.
    exact : bool, default False
        Compare as exact rationals instead.

    Returns
    -------
    Comparison
        ``.ok`` when nothing differs; ``.to_frame()`` lists every difference.
    """
    name, text = _read_source(source)
    data = _load_json(name, text)
    if not is_silverdecisions(data):
        raise FileFormatError(f"not a SilverDecisions file (no top-level '{_KEY}' key)", where=name)
    roots, _, trees_path = _trees_of(data, _Place(name))
    indexes = range(len(roots)) if tree is None else [_choose_tree(roots, tree, _Place(name), trees_path)]
    differences: list[Difference] = []
    compared: list[str] = []
    unavailable: list[str] = []
    n_values = 0
    version = _version_tuple(str(data.get(_KEY)))
    for index in indexes:
        try:
            imported = _import(data, source=name, tree=index, criterion=criterion, text=text)
        except ModelError as err:
            if tree is not None or len(roots) == 1:
                raise
            # Several trees: report the one evtree cannot read and compare the others.
            differences.append(
                Difference(index, "", "", f"{trees_path}[{index}]", "", None, str(err), "not read by evtree")
            )
            continue
        root_spec = roots[index]
        rules = [r for r in _computed(root_spec) if isinstance(r, str) and r in RULES]
        # SilverDecisions stores the rules' values for the criterion its view shows only
        shown = 1 if data.get("viewMode") == "criterion2" else 0
        if imported.criterion not in (None, shown):
            rules = []
        for rule in rules:
            if rule not in EV_RULES and not (rule in _CHANCE_EXTREME and rule in _evtree_rules()):
                if rule not in unavailable:
                    unavailable.append(rule)
                    differences.append(
                        Difference(index, rule, "", "", "", None, None, "rule not available in evtree")
                    )
                continue
            if rule not in compared:
                compared.append(rule)
            n_values += _compare_rule(imported, rule, version, tolerance, exact, differences)
        n_values += _compare_base(imported, version, tolerance, exact, differences)
    method = "exact" if exact else f"exact, relative tolerance {tolerance:g}"
    return Comparison(
        name, method, tuple(indexes), tuple(compared), tuple(unavailable), n_values, tuple(differences)
    )


def _close(stored: Any, mine: Any, tolerance: float, exact: bool) -> bool:
    """Whether a stored number and evtree's agree: exactly, or within ``tolerance`` relative."""
    if isinstance(stored, float):  # only the infinities are stored as floats
        try:
            return float(mine) == stored
        except (OverflowError, TypeError):
            return False
    a = sympy.Rational(stored.numerator, stored.denominator)
    if exact:
        return bool(a == mine)
    try:
        x, y = float(a), float(mine)
        if math.isfinite(x) and math.isfinite(y):
            return math.isclose(x, y, rel_tol=tolerance, abs_tol=tolerance * 1e-3)
    except (OverflowError, TypeError):
        pass
    # beyond floats: compare exactly, with the same relative tolerance
    scale = max(sympy.Integer(1), abs(a), abs(mine))
    return bool(abs(a - mine) <= sympy.Rational(repr(tolerance)) * scale)


def _computed(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return a node's or edge's stored ``computed`` values (empty when there are none)."""
    value = spec.get("computed")
    return value if isinstance(value, Mapping) else {}


#: A stored array without an entry for the criterion compared (SilverDecisions computes
#: single-criterion rules for the criterion its view shows only).
_NOT_STORED = object()


def _pick(value: Any, k: int, version: tuple[int, ...]) -> Any:
    if version >= (0, 8, 0) and isinstance(value, list):
        return value[k] if k < len(value) and value[k] is not None else _NOT_STORED
    return value


def _evaluated(quantity: Any, point: Mapping[sympy.Symbol, Any]) -> sympy.Expr:
    expr = as_expr(quantity)
    return expr.xreplace(point) if point else expr


def _branch_probabilities(node: model.Node, point: Mapping[sympy.Symbol, Any]) -> list[sympy.Expr]:
    given = [None if c.probability == model.REST else _evaluated(c.probability, point) for c in node.children]
    rest = 1 - sum(g for g in given if g is not None)
    return [rest if g is None else g for g in given]


def _incoming_payoff(
    node: model.Node, point: Mapping[sympy.Symbol, Any], component: str | None = None
) -> sympy.Expr:
    """Return the payoff of the SilverDecisions edge into ``node`` (with a terminal's own payoff).

    ``component`` names the criterion in a tree with criteria.
    """
    branch = _component(node.branch_payoff, component)
    total = sympy.Integer(0) if branch is None else _evaluated(branch, point)
    if isinstance(node, model.Terminal) and node.parent is not None:
        own = _component(node.payoff, component)
        if own is not None:
            total += _evaluated(own, point)
    return total


def _components_compared(imported: _Imported) -> list[tuple[int, str | None]]:
    """Return the (payoff index in the file, evtree criterion) pairs a comparison covers."""
    names = [c.name for c in imported.tree.criteria]
    if names:
        return list(enumerate(names))
    return [(imported.criterion or 0, None)]


def _compare_base(
    imported: _Imported, version: tuple[int, ...], tolerance: float, exact: bool, out: list[Difference]
) -> int:
    """Compare every edge's evaluated base payoff and probability."""
    from ..core.evaluate import evaluate

    tree = imported.tree
    first = tree.criteria[0].name if tree.criteria else None
    point = {symbol(k): v for k, v in evaluate(tree, method="exact", criterion=first).parameters.items()}
    count = 0
    for _spec, edge, node, path in imported.reader.visited:
        if edge is None:
            continue
        computed = _computed(edge)
        epath = path.rsplit(".childNode", 1)[0]
        checks = [
            (
                "payoff" if component is None else f"payoff[{k}]",
                _incoming_payoff(node, point, component),
                _pick(computed.get("payoff"), k, version),
            )
            for k, component in _components_compared(imported)
        ]
        if isinstance(node.parent, model.Chance):
            probs = _branch_probabilities(node.parent, point)
            checks.append(
                ("probability", probs[node.parent.children.index(node)], computed.get("probability"))
            )
        for field, mine, raw in checks:
            if "payoff" not in computed and "probability" not in computed:
                continue
            count += _record(
                out,
                imported.index,
                "",
                node.path,
                f"{epath}.computed.{field}",
                field.split("[")[0],
                raw,
                mine,
                tolerance,
                exact,
            )
    return count


def _record(
    out: list[Difference],
    index: int,
    rule: str,
    node: str,
    where: str,
    field: str,
    raw: Any,
    mine: Any,
    tolerance: float,
    exact: bool,
) -> int:
    """Compare one value; record it when it differs; return how many values were compared."""
    if raw is _NOT_STORED:
        return 0
    if isinstance(mine, bool):
        if bool(raw) != mine:
            out.append(Difference(index, rule, node, where, field, raw, mine, "differs"))
        return 1
    stored = stored_number(raw)
    if stored is None:
        out.append(Difference(index, rule, node, where, field, raw, mine, "missing in file"))
    elif not _close(stored, mine, tolerance, exact and not isinstance(raw, float)):
        # (a JSON float, such as a rule's 1/count = 0.333..., is a JS float: never exact)
        out.append(Difference(index, rule, node, where, field, raw, mine, "differs"))
    return 1


def _compare_rule(
    imported: _Imported,
    rule: str,
    version: tuple[int, ...],
    tolerance: float,
    exact: bool,
    out: list[Difference],
) -> int:
    """Roll the tree back under an expected-value rule and compare every stored value of it."""
    from ..core.evaluate import evaluate

    tree = imported.tree.copy()
    tree.objective = RULES[rule]
    k, component = _components_compared(imported)[0]
    if tree.criteria:
        # SilverDecisions computes single-criterion rules on the first criterion, in the rule's sense
        first = dataclasses.replace(tree.criteria[0], sense=RULES[rule])
        tree.criteria = (first, *tree.criteria[1:])
    options: dict[str, Any] = {"criterion": component} if component is not None else {}
    if _evtree_rules():
        options["rule"] = rule
    result = evaluate(tree, method="exact", utility=None, **options)
    point = {symbol(k): v for k, v in result.parameters.items()}
    originals = list(imported.tree.nodes())
    copies = list(tree.nodes())
    position = {id(a): b for a, b in zip(originals, copies)}
    value = {id(a): result.value_of(position[id(a)]) for a in originals}
    above: dict[int, Any] = {}
    incoming: dict[int, Any] = {}
    for a in originals:
        incoming[id(a)] = _incoming_payoff(a, point, component) if a.parent is not None else sympy.Integer(0)
        above[id(a)] = sympy.Integer(0) if a.parent is None else above[id(a.parent)] + incoming[id(a.parent)]
    # Top-down: optimal marks and the probability of entering each node under the rule.
    optimal: dict[int, bool] = {id(originals[0]): True}
    enter: dict[int, Any] = {id(originals[0]): sympy.Integer(1)}
    edge_probability: dict[int, Any] = {}
    for a in originals:
        if not a.children:
            continue
        extreme = _CHANCE_EXTREME.get(rule)
        if isinstance(a, model.Decision):
            probs = [sympy.Integer(1 if value[id(c)] == value[id(a)] else 0) for c in a.children]
            picked = [p == 1 for p in probs]
        elif extreme is None:
            probs = _branch_probabilities(a, point)
            picked = [True] * len(probs)
        else:
            # the worst (or best) children share the node equally: P = 1/count (before 0.6,
            # SilverDecisions gave each best child of maxi-max P = 1)
            values = [value[id(c)] for c in a.children]
            target = min(values) if extreme == "min" else max(values)
            picked = [v == target for v in values]
            share = (
                sympy.Integer(1)
                if version < (0, 6, 0) and rule == "maxi-max"
                else 1 / sympy.Integer(sum(picked))
            )
            probs = [share if hit else sympy.Integer(0) for hit in picked]
        for c, p, hit in zip(a.children, probs, picked):
            edge_probability[id(c)] = p
            on_path = optimal.get(id(a), False) and hit
            optimal[id(c)] = on_path
            enter[id(c)] = enter[id(a)] * p if on_path else sympy.Integer(0)
    count = 0
    for spec, edge, node, path in imported.reader.visited:
        stored = _computed(spec).get(rule)
        if not isinstance(stored, Mapping):
            out.append(
                Difference(
                    imported.index, rule, node.path, f"{path}.computed", rule, None, None, "missing in file"
                )
            )
            continue
        total = value[id(node)] - above[id(node)]  # the node's value with its incoming edge, below the edge
        children_payoff = total - incoming[id(node)]
        checks: list[tuple[str, Any, Any]] = [("payoff", total, _pick(stored.get("payoff"), k, version))]
        if node.children:
            checks.append(
                ("childrenPayoff", children_payoff, _pick(stored.get("childrenPayoff"), k, version))
            )
        else:
            aggregated = value[id(node)]
            checks.append(("aggregatedPayoff", aggregated, _pick(stored.get("aggregatedPayoff"), k, version)))
            if version >= (0, 6, 0) or not isinstance(node.parent, model.Chance):
                checks.append(("probabilityToEnter", enter[id(node)], stored.get("probabilityToEnter")))
        checks.append(("optimal", bool(optimal.get(id(node))), stored.get("optimal", False)))
        for field, mine, raw in checks:
            count += _record(
                out,
                imported.index,
                rule,
                node.path,
                f"{path}.computed.{rule}.{field}",
                field,
                raw,
                mine,
                tolerance,
                exact,
            )
        if edge is not None:
            estored = _computed(edge).get(rule)
            epath = path.rsplit(".childNode", 1)[0]
            if not isinstance(estored, Mapping):
                out.append(
                    Difference(
                        imported.index,
                        rule,
                        node.path,
                        f"{epath}.computed",
                        rule,
                        None,
                        None,
                        "missing in file",
                    )
                )
                continue
            count += _record(
                out,
                imported.index,
                rule,
                node.path,
                f"{epath}.computed.{rule}.probability",
                "edge probability",
                estored.get("probability"),
                edge_probability[id(node)],
                tolerance,
                exact,
            )
            if optimal.get(id(node.parent)):
                count += _record(
                    out,
                    imported.index,
                    rule,
                    node.path,
                    f"{epath}.computed.{rule}.optimal",
                    "edge optimal",
                    estored.get("optimal", False),
                    bool(optimal[id(node)]),
                    tolerance,
                    exact,
                )
    return count
