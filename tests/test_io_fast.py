"""Large files read fast (issue 11): the same trees, values and errors as the node-by-node reader.

Every document here is read twice, through the fast path (``orjson`` and a
:class:`~evtree.core.table.NodeTable`, forced by a threshold of ``-1``) and
through the node reader (a threshold nothing reaches), and the two outcomes
must agree: the same tree, value, exact value and policy, or the same error.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import trees

import evtree
from evtree import read_tree, write_tree
from evtree.core.errors import FileFormatError
from evtree.formats import _parse, native

orjson = pytest.importorskip("orjson")


@contextlib.contextmanager
def reading(fast: bool, *, marked: bool = True) -> Iterator[None]:
    """Read through the fast path (any size) or never through it.

    ``marked=False`` reads JSON of any size as large JSON is read: without
    places, and through ``orjson`` on the fast path.
    """
    old = native.FAST_READ_BYTES, _parse.MARKED_JSON_BYTES
    native.FAST_READ_BYTES = -1 if fast else 1 << 62
    if not marked:
        _parse.MARKED_JSON_BYTES = -1
    try:
        yield
    finally:
        native.FAST_READ_BYTES, _parse.MARKED_JSON_BYTES = old


def outcome(text: str, fmt: str, *, fast: bool, marked: bool = True) -> tuple[Any, ...]:
    """What reading and evaluating ``text`` gives: values, or the first error's type and message."""
    with reading(fast, marked=marked):
        try:
            tree = read_tree(text, format=fmt)
        except Exception as err:  # noqa: BLE001 - compared between the two readers
            return ("read error", type(err), str(err))
    took_table = tree.table is not None
    results: list[Any] = []
    for method in ("float", "exact"):
        try:
            result = evtree.evaluate(tree, method=method)
            results.append((result.value, dict(result.policy)))
        except Exception as err:  # noqa: BLE001
            results.append(("evaluate error", type(err), str(err)))
    return ("tree", tree, results, took_table)


def same_outcome(text: str, fmt: str) -> tuple[Any, ...]:
    """Read ``text`` both ways, assert the outcomes agree, and return the fast one.

    JSON is read both as a small document (with places) and as a large one
    (without; through ``orjson`` on the fast path).
    """
    for marked in (False, True) if fmt == "json" else (True,):
        fast = outcome(text, fmt, fast=True, marked=marked)
        slow = outcome(text, fmt, fast=False, marked=marked)
        assert fast[0] == slow[0], (fast, slow)
        if fast[0] == "read error":
            assert fast == slow
        else:
            assert not slow[3]  # the node reader made nodes
            assert fast[2] == slow[2]
            assert fast[1] == slow[1]
    return fast


# ----------------------------------------------------------------------------- generated trees
@settings(max_examples=40, deadline=None)
@given(trees(max_depth=4, with_parameters=True))
def test_generated_trees_read_the_same_both_ways(tree):
    for fmt in ("json", "yaml"):
        fast = same_outcome(write_tree(tree, format=fmt), fmt)
        assert fast[0] == "tree"
        assert fast[3] or tree.root.kind == "terminal", (
            "a plain tree is read as a table (a lone terminal is not)"
        )
        assert fast[1] == tree


texts = st.sampled_from(["a", "b", "x y", "", " ", "d:1", 'q"uote', "é", "\t"])
numbers = st.one_of(
    st.integers(-100, 100),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from([0.1, 0.2, 0.5, 1, 0, -0.0, 1e-300, 5e-324, 2**53 + 1, 2**63, 2**64, 2**70, -(2**64)]),
)
oddities = st.sampled_from(
    [None, True, False, math.nan, math.inf, -math.inf, [], {}, {"a": 1}, [1], 10**400, "1e999"]
)
quantities = st.one_of(
    numbers, st.sampled_from(["1/3", "p", "p/2", "rest", " rest ", "2*q", "bad(", "rest+1"])
)


def maybe_odd(strategy: Any, odd: float) -> Any:
    return st.one_of(strategy, oddities) if odd else strategy


@st.composite
def documents(draw: Any, *, odd: bool) -> dict[str, Any]:
    """A tree document; with ``odd``, anything a file may hold where a plain tree has a value."""
    counter = iter(range(10**6))

    def node(depth: int, under: str | None) -> Any:
        spec: dict[str, Any] = {}
        if under is not None:
            spec["label"] = draw(
                maybe_odd(st.sampled_from(["o0", "o1", "s0", "x"]), odd and draw(st.booleans()))
            )
            if under == "chance" or (odd and draw(st.integers(0, 5)) == 0):
                spec["probability"] = draw(maybe_odd(quantities, odd and draw(st.booleans())))
            if draw(st.integers(0, 3)) == 0:
                spec["payoff"] = draw(maybe_odd(quantities, odd and draw(st.booleans())))
        kind = "terminal" if depth == 0 else draw(st.sampled_from(["decision", "chance", "terminal"]))
        if under is None and kind == "terminal":
            kind = "decision"
        if kind == "terminal":
            spec["terminal"] = draw(maybe_odd(quantities, odd and draw(st.booleans())))
            if draw(st.booleans()):
                spec["name"] = draw(maybe_odd(texts, odd and draw(st.booleans())))
        else:
            name = (
                draw(st.one_of(st.none(), st.just(f"n{next(counter)}"), texts))
                if odd
                else f"n{next(counter)}"
            )
            spec[kind] = name
            width = draw(st.integers(1 if odd else 2, 3))
            spec["branches"] = [node(depth - 1, kind) for _ in range(width)]
        if odd and draw(st.integers(0, 6)) == 0:
            extra = draw(
                st.sampled_from(
                    [
                        "foo",
                        "event",
                        "use",
                        "utility",
                        "player",
                        "information_set",
                        "name",
                        "branches",
                        "terminal",
                        "decision",
                        "chance",
                        "label",
                    ]
                )
            )
            spec[extra] = draw(st.one_of(texts, quantities, st.just([]), st.none()))
        if odd and draw(st.integers(0, 8)) == 0:
            spec.pop(draw(st.sampled_from(sorted(spec))))
        return spec

    doc: dict[str, Any] = {"evtree": 1, "objective": draw(st.sampled_from(["max", "min"]))}
    if draw(st.booleans()):
        doc["parameters"] = {"p": "1/4", "q": 3}
    if odd and draw(st.booleans()):
        doc["metadata"] = {"note": draw(texts), "n": draw(numbers)}
    if odd and draw(st.integers(0, 5)) == 0:
        doc["subtrees"] = {}
    doc["root"] = node(draw(st.integers(1, 3)), None)
    return doc


@settings(max_examples=100, deadline=None)
@given(documents(odd=True), st.sampled_from(["json", "yaml"]))
def test_any_document_reads_the_same_both_ways(doc, fmt):
    if fmt == "json":
        text = json.dumps(doc)
    else:
        try:
            text = yaml.safe_dump(doc, allow_unicode=True)
        except OverflowError:
            assume(False)
    same_outcome(text, fmt)


@settings(max_examples=40, deadline=None)
@given(documents(odd=False), st.sampled_from(["json", "yaml"]))
def test_plain_documents_are_read_as_tables(doc, fmt):
    text = json.dumps(doc) if fmt == "json" else yaml.safe_dump(doc)
    fast = same_outcome(text, fmt)
    if fast[0] == "tree":  # a plain document with a bad expression is refused both ways
        assert fast[3]


def test_integers_stay_integers_and_floats_stay_floats():
    doc = {
        "evtree": 1,
        "root": {
            "chance": "c",
            "branches": [
                {"label": "a", "probability": 0.5, "terminal": 1},
                {"label": "b", "probability": "rest", "terminal": 0.1},
            ],
        },
    }
    fast = same_outcome(json.dumps(doc), "json")
    tree = fast[1]
    a, b = tree.root.children
    assert type(a.payoff) is int and type(b.payoff) is float
    assert b.probability == "rest"
    assert evtree.evaluate(tree, method="exact").value == Fraction(1, 2) * 1 + Fraction(1, 2) * Fraction(
        1, 10
    )


# ----------------------------------------------------------------------------- mutations
PLAIN = {
    "evtree": 1,
    "name": "plain",
    "metadata": {"source": "a test"},
    "root": {
        "decision": "d",
        "branches": [
            {"label": "safe", "terminal": 40},
            {
                "label": "risky",
                "chance": "c",
                "branches": [
                    {"label": "win", "probability": 0.25, "terminal": 100.5},
                    {"label": "lose", "probability": 0.75, "terminal": -3},
                ],
            },
        ],
    },
}


def test_the_plain_document_is_read_as_a_table():
    fast = same_outcome(json.dumps(PLAIN), "json")
    assert fast[3]
    assert fast[2][0][0] == max(40, 0.25 * 100.5 + 0.75 * -3)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"label": "win"', '"labl": "win"'),  # unknown key
        ('"label": "win"', '"label": 7'),  # a number as label: read as text by the node reader
        ('"label": "win"', '"label": true'),
        ('"label": "win", ', ""),  # missing label
        ('"probability": 0.25', '"probability": "p +"'),
        ('"probability": 0.25', '"probability": NaN'),
        ('"probability": 0.25', '"probability": Infinity'),
        ('"probability": 0.25', '"probability": 1e400'),
        ('"probability": 0.25', '"probability": [0.25]'),
        ('"terminal": 40', '"terminal": null'),
        ('"terminal": 40', '"terminal": 123456789012345678901234567890'),
        ('"terminal": 40', '"terminal": -9223372036854775809'),
        ('"terminal": 40', '"terminal": 18446744073709551615'),
        ('"terminal": 40', '"terminal": ' + "9" * 400),
        ('"terminal": 40', '"terminal": {"cost": 1}'),
        ('"terminal": 40', '"terminal": 40, "terminal": 41'),  # duplicate key
        ('"label": "safe"', '"label": "safe", "label": "safe"'),
        ('"decision": "d"', '"decision": "d", "name": "d"'),
        ('"decision": "d"', '"decision": " "'),
        ('"decision": "d"', '"decision": 3'),
        ('"decision": "d"', '"decision": ""'),
        ('"chance": "c"', '"chance": "c", "event": "e"'),
        ('"chance": "c"', '"decision": "c"'),
        ('"chance": "c"', '"chance": "c", "terminal": 1'),
        ('"terminal": 40', '"terminal": 40, "branches": []'),
        ('"terminal": 40', '"terminal": 40, "name": ""'),
        ('"terminal": 40', '"terminal": 40, "name": "  "'),
        ('"terminal": 40', '"terminal": 40, "utility": 1'),
        ('"terminal": 40', '"use": "x"'),
        ('"source": "a test"', '"source": "a: test"'),  # a colon in a string: counted, still exact
        ('"source": "a test"', '"source": "a\\u003a test"'),  # an escaped colon
        ('"source": "a test"', '"source": "a test", "source": "again: x"'),
        ('"source": "a test"', '"source": "\\":", "x\\":": "\\":"'),
        ('"name": "plain"', '"name": "plain", "name": "plain"'),
        ('"evtree": 1', '"evtree": 1, "root": {"terminal": 1}'),
        ('"evtree": 1', '"evtree": 2'),
        ('"evtree": 1', '"evtree": 1, "players": ["a", "b"]'),
        ('"evtree": 1', '"evtree": 1, "parameters": {"p": {"value": 1, "valu": 2}}'),
        ('"metadata": {"source": "a test"}', '"metadata": {"n": 123456789012345678901234567890}'),
        ('"metadata": {"source": "a test"}', '"metadata": [1, 2]'),
        ('"branches": [{"label": "win"', '"branches": [] , "x": [{"label": "win"'),
        ('"risky", "chance": "c", "branches": [', '"risky", "chance": "c", "branches": [], "b": ['),
        ("}", "} "),
        ('"label": "win"', '"label": "\\ud800"'),  # a lone surrogate: the standard parser reads it
        ('"label": "win"', '"label": "w\\u0000in"'),
        ('"label": "win"', '"label": "w\u00e9in"'),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_a_changed_document_reads_the_same_both_ways(old, new, fmt):
    text = json.dumps(PLAIN)
    assert old in text
    text = text.replace(old, new, 1)
    if fmt == "yaml" and ("NaN" in new or "Infinity" in new or "\\u" in new):
        pytest.skip("not YAML")
    same_outcome(text, fmt)


def test_big_integers_are_read_exactly():
    text = json.dumps(PLAIN).replace('"terminal": 40', '"terminal": 123456789012345678901234567890', 1)
    text = text.replace('"source": "a test"', '"n": 18446744073709551616')
    with reading(True, marked=False):
        tree = read_tree(text, format="json")
    assert tree.metadata["n"] == 2**64 and type(tree.metadata["n"]) is int
    assert tree.root.children[0].payoff == 123456789012345678901234567890


def test_a_duplicate_key_is_refused_with_the_line():
    text = json.dumps(PLAIN, indent=1).replace('"terminal": 40', '"terminal": 40, "terminal": 41', 1)
    with (
        reading(True, marked=False),
        pytest.raises(FileFormatError, match="duplicate key 'terminal'") as info,
    ):
        read_tree(text, format="json")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"terminal": 41' in t)
    assert f"<string>:{line}" in str(info.value)


# ----------------------------------------------------------------------------- orjson as json.loads
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**80), 2**80),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


def typed(value: Any) -> Any:
    """The value with the type of every number and text in it (1 and 1.0 and True differ)."""
    if isinstance(value, dict):
        return ("dict", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, float):
        return ("float", value.hex())
    return (type(value).__name__, value)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(max_size=4), json_values, max_size=5), st.booleans())
def test_what_orjson_gives_and_is_kept_is_what_json_loads_gives(doc, indent):
    text = json.dumps(doc, indent=1 if indent else None, ensure_ascii=False)
    fast = _parse.fast_json(text)
    assert fast is not None  # orjson reads every document json.dumps writes
    strings: list[str] = []
    keys = _parse.count_plain(fast, strings)
    if keys is None:  # a float that may be a big integer: not used
        return
    assert typed(fast) == typed(json.loads(text))
    if "\\u003" not in text:  # no duplicate key here: verified, unless an escape might be a colon
        assert _parse.verify_fast_json(text, keys, lambda: strings)


@st.composite
def json_with_duplicates(draw: Any) -> tuple[str, bool]:
    """JSON text written by hand, objects as lists of pairs: possibly duplicate keys, odd strings."""
    duplicated = [False]
    pieces = st.sampled_from(["a", "b", ":", "\\u003a", "\\u003A", '\\":', "x: y", " ", "\\\\"])

    def string() -> str:
        return '"' + "".join(draw(st.lists(pieces, max_size=3))) + '"'

    def value(depth: int) -> str:
        choice = draw(st.integers(0, 3 if depth else 1))
        if choice == 0:
            return string()
        if choice == 1:
            return str(draw(st.integers(-5, 5)))
        if choice == 2:
            return "[" + ", ".join(value(depth - 1) for _ in range(draw(st.integers(0, 2)))) + "]"
        return obj(depth - 1)

    def obj(depth: int) -> str:
        keys = [string() for _ in range(draw(st.integers(0, 3)))]
        decoded = [json.loads(k) for k in keys]
        if len(set(decoded)) != len(decoded):
            duplicated[0] = True
        space = draw(st.sampled_from(["", " ", "\n"]))
        return "{" + ", ".join(f"{k}{space}:{space}{value(depth)}" for k in keys) + "}"

    text = obj(3)
    return text, duplicated[0]


@settings(max_examples=300, deadline=None)
@given(json_with_duplicates())
def test_the_colon_count_never_lets_a_duplicate_key_through(case):
    text, duplicated = case
    fast = _parse.fast_json(text)
    assume(fast is not None)
    strings: list[str] = []
    keys = _parse.count_plain(fast, strings)
    assert keys is not None
    verified = _parse.verify_fast_json(text, keys, lambda: strings)
    if duplicated:
        assert not verified
        with pytest.raises(FileFormatError, match="duplicate key"):
            _parse._load_json("t", text, marked=False)
    if verified:
        assert typed(fast) == typed(json.loads(text))
    if not duplicated and ":" not in "".join(strings) and "\\u003" not in text:
        assert verified


# ----------------------------------------------------------------------------- digits
def old_check_digits(text: str) -> str | None:
    """The check as it was (quadratic in each run of digits): the message, or None."""
    found = re.search(rf"\d{{{_parse.MAX_DIGITS + 1},}}", text)
    if found is None:
        return None
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    return (
        f"t:{line}:{column}: a number written with {found.end() - found.start():,} digits (at most "
        f"{_parse.MAX_DIGITS:,}; values must stay within the float range)"
    )


def new_check_digits(text: str) -> str | None:
    try:
        _parse._check_digits("t", text)
    except FileFormatError as err:
        return str(err)
    return None


runs = st.lists(
    st.tuples(
        st.sampled_from(["1", "0", "\u0663", "9"]),  # "\u0663": an Arabic-Indic digit, a digit to \d
        st.one_of(st.integers(1, 40), st.integers(4250, 4350), st.integers(500, 1100)),
        st.sampled_from([" ", "\n", ".", "a", ",\n  "]),
    ),
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 1100), runs)
def test_the_digit_check_refuses_what_it_refused_with_the_same_message(offset, pieces):
    text = "x" * offset + "".join(digit * n + sep for digit, n, sep in pieces)
    assert new_check_digits(text) == old_check_digits(text)


def test_the_digit_check_at_the_limit():
    assert new_check_digits("a" + "7" * 4300 + "b") is None
    message = new_check_digits("ab\n  " + "7" * 4301)
    assert message == (
        "t:2:3: a number written with 4,301 digits (at most 4,300; values must stay within the float range)"
    )
    for start in range(0, 1030, 7):  # every place against the sampled characters
        text = "-" * start + "5" * 4301 + "-" + "5" * 9000
        assert new_check_digits(text) == old_check_digits(text)


def test_the_digit_check_is_linear():
    import time

    text = ("1" * 4000 + " ") * 2000  # 8 MB of runs just below the limit: the old check took minutes
    start = time.perf_counter()
    assert new_check_digits(text) is None
    assert time.perf_counter() - start < 5


# ----------------------------------------------------------------------------- large files
def test_a_large_plain_file_is_read_as_a_table_through_orjson(tmp_path):
    from evtree import Branch, Chance, Decision, DecisionTree, Terminal

    def node(level: int, k: list[int]) -> Any:
        k[0] += 1
        if level == 12:
            return Terminal(k[0] % 97 + 0.5)
        if level % 2 == 0:
            return Decision(f"d{k[0]}", [Branch(f"o{i}", node(level + 1, k)) for i in range(2)])
        return Chance(
            f"c{k[0]}",
            [Branch(f"s{i}", node(level + 1, k), probability=p) for i, p in enumerate((0.2, 0.5, 0.3))],
        )

    tree = DecisionTree(node(0, [0]), name="wide")
    path = tmp_path / "big.json"
    write_tree(tree, path)
    assert path.stat().st_size > native.FAST_READ_BYTES
    text = path.read_text()
    assert native._fast_json_table(text) is not None  # orjson's reading was kept
    read = read_tree(path)
    assert read.table is not None
    assert evtree.evaluate(read).value == evtree.evaluate(tree).value
    assert dict(evtree.evaluate(read).policy) == dict(evtree.evaluate(tree).policy)
    assert read == tree


@pytest.mark.parametrize("chunk", [1, 2, 3, 2048])
@pytest.mark.parametrize(
    "values",
    [
        [0.5, 0.5, "rest", 1],
        [0.5, math.nan, 1, 2],
        [math.nan, 0.5, 1, 2],
        [0.5, 0.5, math.inf, 1],
        [1, 2, 0.5, 0.5],
        [0.25, None, 0.75, None],
        [2**70, 0.5, 0.5, 1.0],
    ],
)
def test_quantities_of_every_kind_in_any_chunking(monkeypatch, values, chunk):
    """Columns that change kind between chunks keep every value, and refuse a NaN given anywhere."""
    monkeypatch.setattr(native, "_CHUNK", chunk)
    branches = [{"label": f"b{i}", "terminal": v} for i, v in enumerate(values)]
    doc = {"evtree": 1, "root": {"decision": "d", "branches": branches}}
    for fmt, text in (("json", json.dumps(doc)), ("yaml", yaml.safe_dump(doc))):
        if None in values:
            assert same_outcome(text, fmt)[0] == "read error"  # a terminal without a payoff
            continue
        same_outcome(text, fmt)


def test_a_deep_tree_is_left_to_the_node_reader(monkeypatch):
    monkeypatch.setattr(native, "_FAST_MAX_LEVELS", 5)
    head = '"decision": "d%d", "branches": [{"label": "stop", "terminal": 0}, {"label": "go", '
    for depth, table in ((3, True), (8, False)):
        body = "".join(head % i for i in range(depth)) + '"terminal": 1' + "}]" * depth
        text = '{"evtree": 1, "root": {' + body + "}}\n"
        fast = same_outcome(text, "json")
        assert fast[3] is table
        assert fast[2][0][0] == 1
