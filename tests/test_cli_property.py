"""The command line never fails with an internal error on a malformed tree (issue 13, item 7).

hypothesis mutates small valid trees (wrong types, missing and extra keys, odd numbers and
strings, deep nesting, bad expressions, non-ASCII text, YAML 1.1 scalars), writes them as
YAML or JSON and runs a handful of commands in-process through ``evtree.cli.main.main``.
Whatever the tree, the exit status is never 3 (an internal error: a bug), and a refusal
(status 2) is one message line on standard error, without a traceback.

The examples are derandomized, so CI runs the same ones every time.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from evtree.cli.main import main

SECONDS_PER_COMMAND = 60  # a hang, not a slow machine


def gamble() -> dict[str, Any]:
    """The issue's t.yaml: a gamble on v (probability p) or w, against a sure 4."""
    return {
        "evtree": 1,
        "name": "t",
        "parameters": {
            "p": {"value": 0.5, "low": 0, "high": 1},
            "v": {"value": 10, "low": 0, "high": 20},
            "w": {"value": 0, "low": -10, "high": 10},
        },
        "root": {
            "decision": "choice",
            "branches": [
                {
                    "label": "gamble",
                    "chance": "coin",
                    "branches": [
                        {"label": "win", "probability": "p", "terminal": "v"},
                        {"label": "lose", "probability": "rest", "terminal": "w"},
                    ],
                },
                {"label": "sure", "payoff": -1, "terminal": 5},
            ],
        },
    }


def with_utility() -> dict[str, Any]:
    doc = gamble()
    doc["utility"] = {"type": "exponential", "risk_tolerance": "r"}
    doc["parameters"]["r"] = {"value": 50, "low": 10, "high": 100}
    doc["metadata"] = {"units": "USD"}
    return doc


def with_claims_and_distributions() -> dict[str, Any]:
    doc = gamble()
    doc["parameters"]["v"]["distribution"] = {"type": "normal", "mean": 10, "sd": 2}
    doc["distributions"] = [{"type": "dirichlet", "node": "coin", "alpha": [1, 1]}]
    doc["claims"] = [
        "EV(gamble) >= EV(sure)",
        {"name": "safe", "kind": "bound", "node": "sure", "sense": ">=", "bound": 0},
        {"kind": "dominance", "a": {"choice": "gamble"}, "b": {"choice": "sure"}},
    ]
    return doc


def with_subtrees() -> dict[str, Any]:
    doc = gamble()
    doc["subtrees"] = {"coin": doc["root"]["branches"][0].copy()}
    del doc["subtrees"]["coin"]["label"]
    doc["root"]["branches"][0] = {"label": "gamble", "use": "coin"}
    return doc


BASES = [gamble, with_utility, with_claims_and_distributions, with_subtrees]

RAW = "@@raw:"  # a placeholder replaced by the raw YAML text after dumping (YAML 1.1 scalars)

ODD_NUMBERS = [0, -1, 1, 2, -0.0, 0.1, 1e-320, 1e308, -1e308, 10**30, -(10**30), 2**63, 10**400]
ODD_FLOATS = [float("nan"), float("inf"), float("-inf")]
ODD_STRINGS = [
    "",
    " ",
    "rest",
    "x",
    "y",
    "p",
    "pp",
    "1/0",
    "0/0",
    "1/3",
    "-1/3",
    "1e400",
    "1e-400",
    "nan",
    "inf",
    "-inf",
    "oo",
    "zoo",
    "I",
    "E",
    "pi",
    "True",
    "None",
    "0x10",
    "1_000",
    "012",
    "1:30",
    "sqrt(-1)",
    "log(0)",
    "log(-1)",
    "(-8)**(1/3)",
    "(-1)**p",
    "p**p**p",
    "exp(1000)",
    "exp(exp(10))",
    "2**1000",
    "2**1001",
    "10**308*10",
    "max()",
    "min(p)",
    "abs(p, v)",
    "sqrt",
    "p +",
    "((((p))))",
    "(" * 60 + "p" + ")" * 60,
    "p" * 1001,
    "__import__('os')",
    "lambda: 0",
    "p.real",
    "p[0]",
    "p if v else w",
    "EV(gamble)",
    "ｐ",
    "ｅｘｐ(1)",
    "１",
    "р",  # Cyrillic
    "π",
    "p\u200b",
    "\u202ep",
    "\x00",
    "💥",
    "a/b",
    "a,b",
    "a=b",
    "-",
]
RAW_SCALARS = [
    "012",
    "1:30",
    "no",
    "yes",
    "on",
    "~",
    "0o17",
    "1_000",
    ".nan",
    ".inf",
    "0x1F",
    "!!binary aGk=",
]
KEYS = [
    "probabilty",
    "probability",
    "payoff",
    "terminal",
    "decision",
    "chance",
    "branches",
    "label",
    "name",
    "use",
    "event",
    "utility",
    "player",
    "information_set",
    "value",
    "low",
    "high",
    "distribution",
    "bogus",
    "ｌａｂｅｌ",
    "",
]


def leaves(doc: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) pair of ``doc``, in a fixed order."""
    out: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        for key, value in items:
            out.append((node, key))
            if isinstance(value, (dict, list)):
                stack.append(value)
    return out


@st.composite
def odd_values(draw: Any) -> Any:
    kind = draw(
        st.sampled_from(["number", "float", "string", "raw", "list", "mapping", "none", "bool", "text"])
    )
    if kind == "number":
        return draw(st.sampled_from(ODD_NUMBERS))
    if kind == "float":
        return draw(st.sampled_from(ODD_FLOATS))
    if kind == "string":
        return draw(st.sampled_from(ODD_STRINGS))
    if kind == "raw":
        return RAW + draw(st.sampled_from(RAW_SCALARS))
    if kind == "list":
        return draw(st.lists(st.sampled_from([*ODD_STRINGS[:12], 1, None]), max_size=3))
    if kind == "mapping":
        return {draw(st.sampled_from(KEYS)): draw(st.sampled_from([1, "p", None, [], {}]))}
    if kind == "none":
        return None
    if kind == "bool":
        return draw(st.booleans())
    return draw(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12))


def nested(depth: int) -> dict[str, Any]:
    """A chain of ``depth`` decisions (a deep-nesting mutation)."""
    node: dict[str, Any] = {"terminal": 1}
    for i in range(depth):
        node = {"decision": f"n{i}", "branches": [{"label": "on", **node}, {"label": "off", "terminal": 0}]}
    return node


@st.composite
def malformed_trees(draw: Any) -> tuple[str, str]:
    """Return (text, suffix) of a mutated tree file."""
    doc = draw(st.sampled_from(BASES))()
    for _ in range(draw(st.integers(1, 3))):
        places = leaves(doc)
        scalars = [(c, k) for c, k in places if not isinstance(c[k], (dict, list))]
        if not places:
            break
        # mostly a number, a name or an expression: those get past reading, into the analyses
        container, key = draw(st.sampled_from(scalars if scalars and draw(st.integers(0, 3)) else places))
        op = draw(st.sampled_from(["replace", "replace", "replace", "delete", "extra", "nest", "rename"]))
        if op == "replace":
            container[key] = draw(odd_values())
        elif op == "delete":
            del container[key]
        elif op == "extra" and isinstance(container, dict):
            container[draw(st.sampled_from(KEYS))] = draw(odd_values())
        elif op == "extra":
            container.append(copy.deepcopy(container[key]))  # a repeated branch or list item
        elif op == "nest":
            # deeper than the YAML (about 170) and JSON (about 450) readers once went
            depth = draw(st.sampled_from([1, 50, 200, 400]))
            chain = nested(depth)
            if isinstance(container[key], dict) and "label" in container[key]:
                chain["label"] = container[key]["label"]
            container[key] = chain
        elif op == "rename" and isinstance(container, dict):
            container[draw(st.sampled_from(KEYS))] = container.pop(key)
    suffix = draw(st.sampled_from(["yaml", "json"]))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))  # the writers recurse: the nested chains are deep
    try:
        return _dumped(doc, suffix, ensure_ascii=draw(st.booleans())), suffix
    finally:
        sys.setrecursionlimit(limit)


def _dumped(doc: Any, suffix: str, *, ensure_ascii: bool) -> str:
    if suffix == "json":
        text = json.dumps(doc, ensure_ascii=ensure_ascii, default=str)
        text = text.replace(f'"{RAW}', '"')  # raw scalars are plain strings in JSON
    else:
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=10**6)
        for raw in RAW_SCALARS:  # the raw YAML 1.1 scalar, unquoted
            text = text.replace(f"'{RAW}{raw}'", raw).replace(f"{RAW}{raw}", raw)
    return text


COMMANDS = [
    ["validate"],
    ["evaluate", "--json"],
    ["evaluate", "--exact"],
    ["render", "-o", "-"],
    ["risk", "--json"],
    ["sensitivity", "--param", "p", "--points", "3"],
    ["check", "--no-search"],
]


class _Hang(BaseException):
    """Raised by the alarm: a BaseException, so the CLI's own handlers do not turn it into exit 3."""


def _alarm(signum: int, frame: Any) -> None:
    raise _Hang


def run(argv: list[str]) -> tuple[int, str]:
    """Run the CLI in-process; return (status, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SECONDS_PER_COMMAND)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as exc:  # argparse
                status = exc.code if isinstance(exc.code, int) else 2
    except _Hang:
        pytest.fail(f"evtree {' '.join(argv)} ran for more than {SECONDS_PER_COMMAND} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return status, err.getvalue()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("property")


def _example(doc: dict[str, Any], suffix: str = "yaml") -> tuple[str, str]:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        return _dumped(doc, suffix, ensure_ascii=False), suffix
    finally:
        sys.setrecursionlimit(limit)


def _formula_value() -> dict[str, Any]:
    doc = gamble()
    doc["parameters"]["v"]["value"] = "p"  # a formula parameter: render once failed on it
    return doc


def _deep_root() -> dict[str, Any]:
    doc = gamble()
    doc["root"] = nested(400)
    return doc


@example(tree=_example(_formula_value()))
@example(tree=_example(_deep_root(), "json"))
@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure, at once
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(tree=malformed_trees())
def test_the_cli_never_fails_with_an_internal_error(folder, tree):
    text, suffix = tree
    path = folder / f"t.{suffix}"
    path.write_text(text, encoding="utf-8")
    for command in COMMANDS:
        argv = [command[0], str(path), *command[1:]]
        status, err = run(argv)
        shown = text if len(text) < 1500 else text[:1500] + "..."
        assert status != 3, f"evtree {' '.join(argv)}: {err.strip()}\n--- {path.name}:\n{shown}"
        assert status in (0, 2), f"evtree {' '.join(argv)}: exit {status}: {err.strip()}"
        if status == 2:
            assert "Traceback" not in err, err
            messages = [
                line for line in err.splitlines() if line.strip() and not line.startswith((" ", "usage:"))
            ]
            if command[0] == "validate" and len(messages) > 1:
                # validate reports every problem, one line each with its place, then the count
                assert messages[-1].endswith("problems"), messages
                assert all(path.name in m for m in messages[:-1]), messages
            else:
                assert len(messages) == 1, f"evtree {' '.join(argv)}: {messages}\n--- {path.name}:\n{shown}"


def test_the_bases_are_valid(folder):
    """The control: every unmutated tree passes every command."""
    for base in BASES:
        path = folder / "base.yaml"
        path.write_text(yaml.safe_dump(base(), sort_keys=False))
        for command in COMMANDS:
            status, err = run([command[0], str(path), *command[1:]])
            if base is with_utility and command[0] == "sensitivity":  # expected values only
                assert status == 2 and "utility" in err, err
                continue
            assert status == 0, (base.__name__, command, err)
