"""The text-parsing stage of reading a tree: YAML or JSON text -> plain data that remembers places.

    load_document   parse YAML (1.2 core schema) or JSON text; located errors
    parse_deep      run a parse-and-build function with room for deeply nested documents
    check_top_level the shapes of the top-level fields the build does not check (metadata, ...)

YAML is read with a safe loader that

- resolves plain scalars by the YAML 1.2 core schema: ``yes``/``no``/``on``/``off``,
  ``1:30``, ``1_000`` and dates stay text, ``0o17`` and ``0x1F`` are integers, only
  ``true``/``false`` are booleans and ``null``/``~``/empty are null;
- refuses plain integers with a leading zero (``012``: octal 10 in YAML 1.1, 12 in
  1.2), which a reader cannot guess, asking for quotes;
- refuses aliases and duplicate keys; remembers the line and column of every value.

JSON is read with duplicate keys refused (with the key and the line of the object).
Documents nested deeper than Python's stack allows are parsed in a thread with a
larger stack, up to :data:`MAX_YAML_DEPTH` and :data:`MAX_JSON_DEPTH` levels; deeper
ones are refused naming the line and the limit.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Callable, Mapping
from itertools import repeat
from typing import Any, TypeVar

import yaml

from ..core.errors import FileFormatError

__all__ = ["MAX_JSON_DEPTH", "MAX_YAML_DEPTH", "check_top_level", "load_document", "parse_deep"]

#: Deepest YAML nesting read (collections inside collections; a tree level is two).
MAX_YAML_DEPTH = 6_000
#: Deepest JSON nesting read (a tree level is two: the node's object and its branches' array).
MAX_JSON_DEPTH = 250_000

_T = TypeVar("_T")


# ----------------------------------------------------------------------------- YAML
class _Marked(dict):
    """A mapping read from YAML that remembers where each value stood."""

    marks: dict[Any, Any]


class _MarkedList(list):
    marks: list[Any]


class DepthError(Exception):
    """Raised inside the composer when the document is nested deeper than the limit."""

    def __init__(self, line: int | None, limit: int) -> None:
        super().__init__(line, limit)
        self.line = line
        self.limit = limit


class _Loader(yaml.SafeLoader):
    """Safe loader: YAML 1.2 core schema, no aliases, no duplicate keys, a nesting limit."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                None,
                None,
                "aliases are not allowed in tree files; to use a subtree in several places define it "
                "once under 'subtrees:' (subtrees: {court: {chance: ..., branches: [...]}}) and put "
                "'use: court' on each branch",
                event.start_mark,
            )
        self.depth += 1
        if self.depth > MAX_YAML_DEPTH:
            raise DepthError(self.peek_event().start_mark.line + 1, MAX_YAML_DEPTH)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), with floats that
# need a dot or an exponent after digits-and-dot (so ``1e3`` stays text and is read exactly).
_Loader.yaml_implicit_resolvers = {}
_RESOLVERS = (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:evtree,2026:leading-zero", r"^[-+]?0[0-9]+$", list("-+0")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+0123456789."),
    ),
)
for _tag, _pattern, _first in _RESOLVERS:
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


def _construct_leading_zero(loader: _Loader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    raise yaml.MarkedYAMLError(
        None,
        None,
        f"the plain value {text} has a leading zero: YAML 1.1 reads it as an octal number, YAML 1.2 "
        f"as {int(text)}; quote it ('{text}') for text, or write {int(text)}",
        node.start_mark,
    )


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Any:
    data = _Marked()
    data.marks = {}
    yield data
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.MarkedYAMLError(None, None, "a key must be text", key_node.start_mark)
        if key in data:
            raise yaml.MarkedYAMLError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        data[key] = loader.construct_object(value_node, deep=True)
        data.marks[key] = value_node.start_mark


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> Any:
    data = _MarkedList()
    data.marks = []
    yield data
    for child in node.value:
        data.append(loader.construct_object(child, deep=True))
        data.marks.append(child.start_mark)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:evtree,2026:leading-zero", _construct_leading_zero)


class _Where:
    """Builds 'file:line:col (field.path)' for error messages."""

    def __init__(self, source: str) -> None:
        self.source = source

    def __call__(self, path: str, container: Any = None, key: Any = None) -> str:
        mark = None
        marks = getattr(container, "marks", None)
        if marks is not None:
            try:
                mark = marks[key]
            except (KeyError, IndexError, TypeError):
                mark = None
        place = self.source
        if mark is not None:
            place = f"{place}:{mark.line + 1}:{mark.column + 1}"
        return f"{place} ({path})" if path else place


def _load_yaml(name: str, text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except DepthError as err:
        raise _too_deep(name, err.line, err.limit, "YAML") from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        at = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise FileFormatError(f"invalid YAML: {err.problem or err.context}", where=at) from None
    except yaml.YAMLError as err:
        raise FileFormatError(f"invalid YAML: {err}", where=name) from None


# ----------------------------------------------------------------------------- JSON
class _JSONObject(dict):
    """A JSON object (plain dict subclass so that duplicate keys can be reported)."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _duplicate_place(text: str, key: str) -> int | None:
    """Line of the second occurrence of ``"key":`` inside one object (a scan of the text)."""
    pattern = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:|[{}]')
    stack: list[set[str]] = []
    for match in pattern.finditer(text):
        token = match.group(0)
        if token == "{":
            stack.append(set())
        elif token == "}":
            if stack:
                stack.pop()
        elif stack:
            try:
                name = json.loads(f'"{match.group(1)}"')
            except ValueError:
                continue
            if name in stack[-1] and name == key:
                return text.count("\n", 0, match.start()) + 1
            stack[-1].add(name)
    return None


#: JSON documents up to this size are read with places (line and column of every value);
#: larger ones with the C scanner, about five times faster, and errors name the field path.
MARKED_JSON_BYTES = 2 * 2**20


class _Mark:
    """A place in a text, as PyYAML's marks give it: 0-based line and column."""

    __slots__ = ("column", "line")

    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column


def _marked_json(name: str, text: str) -> Any:
    """Parse JSON into :class:`_Marked` mappings and :class:`_MarkedList` lists that know their places."""
    import bisect
    from json import decoder, scanner

    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def mark(pos: int) -> _Mark:
        line = bisect.bisect_right(starts, pos) - 1
        return _Mark(line, pos - starts[line])

    def parse_object(
        s_and_end: Any, strict: bool, scan_once: Any, hook: Any, pairs_hook: Any, memo: Any = None
    ):  # noqa: ANN202
        positions: list[int] = []

        def recording(s: str, idx: int) -> Any:
            positions.append(idx)
            return scan_once(s, idx)

        pairs, end = decoder.JSONObject(s_and_end, strict, recording, None, list, memo)
        data = _Marked()
        data.marks = {}
        for (key, value), pos in zip(pairs, positions):
            if key in data:
                at = mark(pos)
                raise FileFormatError(
                    f"invalid JSON: duplicate key {key!r}", where=f"{name}:{at.line + 1}:{at.column + 1}"
                )
            data[key] = value
            data.marks[key] = mark(pos)
        return data, end

    def parse_array(s_and_end: Any, scan_once: Any):  # noqa: ANN202
        positions: list[int] = []

        def recording(s: str, idx: int) -> Any:
            positions.append(idx)
            return scan_once(s, idx)

        values, end = decoder.JSONArray(s_and_end, recording)
        out = _MarkedList(values)
        out.marks = [mark(p) for p in positions]
        return out, end

    dec = json.JSONDecoder()
    dec.parse_object = parse_object  # type: ignore[assignment]
    dec.parse_array = parse_array  # type: ignore[assignment]
    dec.scan_once = scanner.py_make_scanner(dec)
    return dec.decode(text)


def _load_json(name: str, text: str, marked: bool | None = None) -> Any:
    try:
        if marked or (marked is None and len(text) <= MARKED_JSON_BYTES):
            return _marked_json(name, text)
        return json.loads(text, object_pairs_hook=_pairs)
    except _DuplicateKey as err:
        line = _duplicate_place(text, err.key)
        where = f"{name}:{line}" if line else name
        raise FileFormatError(f"invalid JSON: duplicate key {err.key!r}", where=where) from None
    except json.JSONDecodeError as err:
        raise FileFormatError(f"invalid JSON: {err.msg}", where=f"{name}:{err.lineno}:{err.colno}") from None


def fast_json(text: str) -> Any:
    """Parse a JSON document with ``orjson``; ``None`` when it cannot stand for :func:`json.loads`.

    ``None`` when ``orjson`` is not installed, refuses the text (``NaN``, a number
    beyond the double range, a lone surrogate, nesting deeper than it reads, any
    syntax error), or the document is not an object: the caller then parses with
    :func:`_load_json`, which gives today's result or error.  What ``orjson``
    returns otherwise equals what :func:`json.loads` returns, except in two ways
    the caller must rule out before using it (:func:`verify_fast_json`): it keeps
    the last of duplicate keys (:func:`_load_json` refuses them), and it reads an
    integer beyond 64 bits as a float.
    """
    try:
        import orjson
    except ImportError:  # pragma: no cover - a dependency; the standard parser is exact anyway
        return None
    try:
        data = orjson.loads(text)
    except Exception:  # noqa: BLE001 - any refusal: the exact parser decides
        return None
    return data if type(data) is dict else None


#: Magnitude from which a float read by ``orjson`` may be an integer beyond 64 bits
#: (it reads those as floats; every integer below keeps its type).
FAST_JSON_FLOAT_LIMIT = 2.0**63


def verify_fast_json(text: str, keys: int, strings: Callable[[], Any]) -> bool:
    r"""Whether a document read by :func:`fast_json` has no duplicate key.

    ``keys`` is the number of keys of all the parsed objects, and ``strings()``
    yields every text (key or value) of the parsed document.

    Why this is exact.  Outside strings a JSON text has one ``:`` per key of every
    object it writes, duplicates included; inside strings, the ``:`` characters
    written literally.  So ``text.count(":") = K + S`` where ``K`` is the number
    of keys written and ``S >= 0`` the literal colons in strings.  The parsed
    document has ``keys = K - d`` where ``d >= 0`` is the number of duplicate keys
    dropped.  Then ``text.count(":") == keys`` means ``S + d = 0``: no duplicate.
    When strings hold colons (a description "Source: ..."), the colons of the
    parsed strings are counted too: without a ``\u003a`` escape in the text (one
    escape-free check), each literal colon of a kept string is one colon of a
    parsed string, so their count is ``S - D`` where ``D >= 0`` are the colons in
    strings dropped with duplicates (and their values); ``text.count(":") ==
    keys + S - D`` then means ``d + D = 0``.  Any other outcome is treated as a
    possible duplicate: the exact parser reads the text again and reports it.
    """
    colons = text.count(":")
    if colons == keys:
        return True
    if "\\u003" in text or "\\U003" in text:  # an escaped colon (\u003a) would count in S - D only
        return False
    return colons == keys + sum(map(str.count, strings(), repeat(":")))


def count_plain(value: Any, strings: list[str]) -> int | None:
    """Count the keys of every object in ``value`` (read by :func:`fast_json`), collecting its texts.

    ``None`` if it holds a float of :data:`FAST_JSON_FLOAT_LIMIT` or more in
    magnitude (possibly an integer beyond 64 bits that ``orjson`` turned into a float).
    """
    keys = 0
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            keys += len(item)
            strings.extend(item)
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is str:
            strings.append(item)
        elif kind is float and abs(item) >= FAST_JSON_FLOAT_LIMIT:
            return None
    return keys


def json_depth(text: str) -> tuple[int, int]:
    """Return the deepest nesting of a JSON text and the line where it is first reached."""
    depth = best = 0
    best_at = 0
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    for match in re.finditer(r"[\[\]{}]", stripped):
        if match.group(0) in "[{":
            depth += 1
            if depth > best:
                best, best_at = depth, match.start()
        else:
            depth -= 1
    return best, stripped.count("\n", 0, best_at) + 1


# ----------------------------------------------------------------------------- both
def _too_deep(name: str, line: int | None, limit: int, fmt: str) -> FileFormatError:
    where = f"{name}:{line}" if line else name
    advice = "; a deeper tree can be written as JSON" if fmt == "YAML" else ""
    return FileFormatError(
        f"nested more than {limit:,} levels deep here, the most evtree reads in {fmt} "
        f"(a tree level is two: a node and its list of branches){advice}",
        where=where,
    )


MAX_DIGITS = 4300
"""Longest run of digits a number in a file may have (Python's own limit on reading integers)."""


#: Spacing of the characters :func:`_check_digits` looks at first: a run of more than
#: :data:`MAX_DIGITS` digits covers at least ``(MAX_DIGITS + 1) // _DIGIT_STRIDE`` of them.
_DIGIT_STRIDE = 512
_DIGIT_RUN = re.compile(rf"(?<!\d)\d{{{MAX_DIGITS + 1},}}")


def _check_digits(name: str, text: str) -> None:
    """Refuse a number written with more than :data:`MAX_DIGITS` digits, with its place.

    Such a number is far beyond the float range every payoff and probability must
    stay within (docs/format.md, Limits), and Python refuses to read it as an integer.

    Linear time: the text's every :data:`_DIGIT_STRIDE`-th character is looked at
    first.  A run of more than :data:`MAX_DIGITS` digits covers ``k`` consecutive
    sampled characters, all digits (``k`` below); so only the stretches between
    the sampled non-digits around ``k`` or more consecutive sampled digits can
    hold one, and only those are searched, from the start of each run of digits
    (the look-behind), which reads every digit once.  The first run found is the
    leftmost one: the stretches are searched in text order and a run never
    crosses a sampled non-digit, so never two stretches.
    """
    stride = _DIGIT_STRIDE
    k = (MAX_DIGITS + 1) // stride
    found = None
    for sampled in re.finditer(rf"\d{{{k},}}", text[::stride]):
        # Sampled characters start - 1 and end are not digits (or lie outside the text).
        lo = max(0, (sampled.start() - 1) * stride + 1)
        hi = min(len(text), sampled.end() * stride)
        found = _DIGIT_RUN.search(text, lo, hi)
        if found is not None:
            break
    if found is None:
        return
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    raise FileFormatError(
        f"a number written with {found.end() - found.start():,} digits (at most {MAX_DIGITS:,}; "
        "values must stay within the float range)",
        where=f"{name}:{line}:{column}",
    )


def load_document(name: str, text: str, fmt: str, *, marked: bool | None = None) -> Any:
    """Parse ``text`` (``fmt`` "yaml" or "json") into plain data; located :class:`FileFormatError`.

    ``marked`` asks for JSON with places whatever its size (``None``: up to
    :data:`MARKED_JSON_BYTES`); YAML always has them.
    """
    _check_digits(name, text)
    if fmt == "json":
        return _load_json(name, text, marked)
    if fmt == "yaml":
        return _load_yaml(name, text)
    raise ValueError(f"unknown format {fmt!r}; use 'yaml' or 'json'")


def parse_deep(name: str, text: str, fmt: str, work: Callable[[], _T]) -> _T:
    """Run ``work`` (which parses ``text`` and builds from it) with room for deep nesting.

    A first run uses the caller's stack; when it runs out (a ``RecursionError``, or a
    build that reports "nested too deeply"), the document's depth is measured (JSON)
    or capped during parsing (YAML), and ``work`` runs again in a thread with a stack
    and recursion limit sized for it.
    """
    try:
        return work()
    except RecursionError:
        pass
    except FileFormatError as err:
        if "nested too deeply" not in str(err):
            raise
    depth = MAX_YAML_DEPTH
    if fmt == "json":
        depth, line = json_depth(text)
        if depth > MAX_JSON_DEPTH:
            raise _too_deep(name, line, MAX_JSON_DEPTH, "JSON")
    return _in_big_stack(work, depth)


def _in_big_stack(work: Callable[[], _T], depth: int) -> _T:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as err:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = err

    frames = 40 * depth + 20_000
    stack = min(2**31 - 2**20, max(64 * 2**20, 4096 * depth + 32 * 2**20))
    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size()
    try:
        threading.stack_size(stack)
        sys.setrecursionlimit(max(old_limit, frames))
        thread = threading.Thread(target=run, name="evtree-deep-parse", daemon=True)
        thread.start()
    finally:
        threading.stack_size(old_stack)
    try:
        while thread.is_alive():
            thread.join(0.2)
    finally:
        sys.setrecursionlimit(old_limit)
    if "error" in outcome:
        err = outcome["error"]
        if isinstance(err, RecursionError):
            raise FileFormatError("the tree is nested too deeply to read") from None
        raise err
    return outcome["value"]


# ----------------------------------------------------------------------------- shapes
_TEXT_KEYS = ("name", "description")


def check_top_level(data: Any, where: _Where) -> None:
    """Refuse top-level fields of the wrong shape that the build would misread.

    ``metadata`` must be a mapping (a list of two-letter strings would otherwise
    become ``{a: b, ...}``), ``objective`` text or a mapping, ``utility`` a mapping,
    ``parameters`` a mapping with ASCII identifier names.
    """
    if not isinstance(data, Mapping):
        return
    problems = top_level_problems(data, where)
    if problems:
        raise problems[0]


def top_level_problems(data: Mapping[str, Any], where: _Where) -> list[FileFormatError]:
    """Return every problem :func:`check_top_level` finds, in file order."""
    out: list[FileFormatError] = []

    def bad(key: str, message: str, container: Any = data, at: Any = None) -> None:
        out.append(FileFormatError(message, where=where(key, container, key if at is None else at)))

    if "metadata" in data and data["metadata"] is not None and not isinstance(data["metadata"], Mapping):
        bad("metadata", f"'metadata' must be a mapping (key: value), got {_shape(data['metadata'])}")
    if "objective" in data and not isinstance(data["objective"], (str, Mapping)):
        bad(
            "objective",
            "'objective' must be text (max or min) or a mapping over criteria, "
            f"got {_shape(data['objective'])}",
        )
    objective = data.get("objective")
    if isinstance(objective, Mapping):
        names = objective.get("net_benefit")
        if isinstance(names, Mapping):
            for key in ("effect", "cost"):
                if key in names and not isinstance(names[key], str):
                    bad(
                        f"objective.net_benefit.{key}",
                        f"'{key}' must name a criterion, got {_shape(names[key])}",
                        names,
                        key,
                    )
        weights = objective.get("weights")
        if isinstance(weights, Mapping):
            for key in weights:
                if not isinstance(key, str):
                    bad(
                        "objective.weights",
                        f"a weight is keyed by a criterion's name, got {key!r}",
                        weights,
                        key,
                    )
    utility = data.get("utility")
    if utility is not None and not isinstance(utility, Mapping):
        hint = ""
        if isinstance(utility, str):
            hint = f" (for u(x) = {utility}(...) write utility: {{expression: '{utility}(x)'}})"
        bad(
            "utility",
            "'utility' must be a mapping such as {type: exponential, risk_tolerance: 50} or "
            f"{{expression: 'log(x + 100)'}}, got {_shape(utility)}{hint}",
        )
    for key, what in (
        ("claims", "a claim (text or a mapping)"),
        ("distributions", "a distribution (a mapping)"),
    ):
        listed = data.get(key)
        if listed is None:
            continue
        if not isinstance(listed, list):
            bad(key, f"'{key}' must be a list, each item {what}; got {_shape(listed)}")
            continue
        for i, item in enumerate(listed):
            if not isinstance(item, Mapping) and not (key == "claims" and isinstance(item, str)):
                bad(f"{key}[{i}]", f"each item of '{key}' is {what}, got {_shape(item)}", listed, i)
    parameters = data.get("parameters")
    if isinstance(parameters, Mapping):
        for name in parameters:
            if isinstance(name, str) and not name.isascii():
                bad(
                    f"parameters.{name}",
                    f"parameter name {name!r} is not ASCII (names are ASCII identifiers: letters a-z, "
                    "A-Z, digits and _)",
                    parameters,
                    name,
                )
    return out


def _shape(value: Any) -> str:
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, list):
        return f"a list {list(value)!r}" if len(repr(value)) < 40 else "a list"
    if isinstance(value, Mapping):
        return f"a mapping {dict(value)!r}" if len(repr(dict(value))) < 40 else "a mapping"
    return f"{type(value).__name__} {value!r}" if len(repr(value)) < 40 else type(value).__name__
