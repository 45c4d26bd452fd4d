"""Tree files: YAML and JSON with one schema, exact round trips, located errors, atomic saves."""

from __future__ import annotations

import json
import os
import textwrap

import pytest
from hypothesis import given
from strategies import trees

import evtree
from evtree import FileFormatError, ModelError, read_tree, write_tree
from evtree.io import tree_from_dict, tree_to_dict


@pytest.mark.parametrize("name", ["korea_talks", "texaco_pennzoil"])
def test_reference_files_equal_the_trees_built_in_code(name):
    from conftest import TREES

    assert read_tree(TREES / f"{name}.yaml") == getattr(evtree.library, name)()


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_round_trip_reference(korea, fmt, tmp_path):
    path = tmp_path / f"tree.{fmt}"
    write_tree(korea, path)
    again = read_tree(path)
    assert again == korea
    write_tree(again, path)
    assert read_tree(path) == korea
    text = path.read_text()
    assert (text.lstrip().startswith("{")) == (fmt == "json")


@given(trees(with_parameters=True))
def test_round_trip_generated(tree):
    for fmt in ("yaml", "json"):
        text = write_tree(tree, format=fmt)
        again = read_tree(text, format=fmt)
        assert again == tree
        assert write_tree(again, format=fmt) == text  # load -> save is a fixed point


def test_json_and_yaml_share_the_schema(korea):
    data = tree_to_dict(korea)
    assert tree_from_dict(json.loads(json.dumps(data))) == korea
    assert data["root"]["decision"] == "us_choice"
    assert data["parameters"]["p_flout"] == {
        "value": 0.5,
        "low": 0,
        "high": 1,
        "description": "Probability the North flouts direct gestures",
    }


def located(text: str) -> str:
    with pytest.raises(ModelError) as info:
        read_tree(textwrap.dedent(text).lstrip(), format="yaml")
    return str(info.value)


def test_bad_expression_points_at_line_and_column():
    message = located(
        """
        root:
          chance: c
          branches:
            - label: a
              probability: p.__class__
              terminal: 1
        """
    )
    assert message.startswith("<string>:5:20 (root.branches[0].probability): ")
    assert "attribute access is not allowed" in message


def test_structural_errors_are_located():
    assert located("root: 3\n").startswith("<string>:1:7 (root): a node must be a mapping")
    msg = located(
        """
        root:
          decision: d
          branches:
            - label: a
              terminal: 1
              chance: c
        """
    )
    assert msg.startswith("<string>:4:7 (root.branches[0]): a node needs exactly one of")
    msg = located(
        """
        root:
          decision: d
          branches:
            - terminal: 1
        """
    )
    assert "a branch needs a 'label'" in msg and "root.branches[0]" in msg
    msg = located("root: {decision: d, branches: [{label: a, terminal: 1, colour: red}]}\n")
    assert "unknown key 'colour'" in msg and "root.branches[0].colour" in msg
    msg = located("parameters:\n  p: {value: 2, low: 0, high: 1}\nroot: {terminal: p}\n")
    assert msg.startswith("<string>:2:6 (parameters.p):") and "above the high bound" in msg
    msg = located("objective: best\nroot: {terminal: 1}\n")
    assert msg.startswith("<string>:1:12 (objective):")


def test_yaml_syntax_errors_and_unsafe_yaml():
    assert located("root: [\n").startswith("<string>:2:1: invalid YAML")
    assert "aliases are not allowed" in located("a: &x {terminal: 1}\nroot: *x\n")
    assert "duplicate key 'root'" in located("root: {terminal: 1}\nroot: {terminal: 2}\n")
    assert "could not determine a constructor" in located("root: !!python/object:os.system {}\n")


def test_json_errors_are_located(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"root": {"decision": "d", "branches": [}}')
    with pytest.raises(FileFormatError, match=r"bad.json:1:\d+: invalid JSON"):
        read_tree(path)
    path.write_text(
        '{"root": {"chance": "c", "branches": [{"label": "a", "probability": "1//2", "terminal": 0}]}}'
    )
    located = r"bad\.json:1:\d+ \(root\.branches\[0\]\.probability\): .*operator '//'"
    with pytest.raises(ModelError, match=located):
        read_tree(path)
    with pytest.raises(FileFormatError, match="no such file"):
        read_tree(tmp_path / "missing.yaml")


def test_save_is_atomic(korea, tmp_path, monkeypatch):
    path = tmp_path / "tree.yaml"
    path.write_text("original\n")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_tree(korea, path)
    assert path.read_text() == "original\n"
    assert sorted(os.listdir(tmp_path)) == ["tree.yaml"]  # no temporary file left behind


def test_write_returns_text_without_target(texaco):
    text = write_tree(texaco)
    assert text.startswith("evtree: 1\n")
    assert read_tree(text) == texaco


def _chain(depth: int) -> evtree.DecisionTree:
    """A chain of chance nodes: 'stop' (1/2, outcome 0) or 'go' (payoff 1); value 1 - 2^-depth."""
    from evtree import Branch, Chance, Terminal

    node = Terminal(0, name="bottom")
    for k in range(depth, 0, -1):
        node = Chance(
            f"c{k}",
            [
                Branch("stop", Terminal(0), probability="1/2"),
                Branch("go", node, probability="rest", payoff=1),
            ],
        )
    return evtree.DecisionTree(node)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_deeper_than_the_libraries_write_round_trips_through_files(fmt, tmp_path):
    from evtree.formats.native import NESTED_DEPTH

    tree = _chain(NESTED_DEPTH + 20)  # written by evtree's own (flow-style) emitter
    path = tmp_path / f"deep.{fmt}"
    write_tree(tree, path)
    back = read_tree(path)
    assert back == tree
    assert evtree.evaluate(back, method="exact").value == 1 - evtree.core.expressions.exact_number(2) ** -(
        NESTED_DEPTH + 20
    )


def test_deeply_nested_metadata_is_kept_and_written():
    tree = _chain(2)
    nested: dict = {"leaf": 1}
    for _ in range(3000):
        nested = {"n": [nested]}
    data = tree_to_dict(tree)
    data["metadata"] = nested
    back = tree_from_dict(data)
    depth, node = 0, back.metadata
    while "n" in node:
        node, depth = node["n"][0], depth + 1
    assert depth == 3000 and node == {"leaf": 1}
    text = write_tree(back, format="json")
    assert text.count('"n": [') == 3000


def test_large_trees_are_written_as_flow_yaml_that_reads_back(monkeypatch):
    from evtree import Branch, Chance, Terminal
    from evtree.formats import native

    monkeypatch.setattr(native, "FLOW_NODES", 50)  # the real threshold is 50,000 nodes
    n = 60
    tree = evtree.DecisionTree(
        Chance(
            "c",
            [Branch(f"b{i}", Terminal(i), probability=f"1/{n}" if i < n - 1 else "rest") for i in range(n)],
        )
    )
    text = write_tree(tree, format="yaml")
    assert text.startswith("# more than 50 nodes: written in flow style\n{")
    back = read_tree(text)
    assert back == tree
    assert evtree.evaluate(back, method="exact").value == pytest.approx((n - 1) / 2)  # the mean of 0..n-1
