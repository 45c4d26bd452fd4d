"""SilverDecisions files on the command line: convert, validate --compare, every command reads them."""

from __future__ import annotations

import json

import pytest
from conftest import DATA, TREES

import evtree
from evtree.cli.main import main

SD = DATA / "silverdecisions"
SAMPLE = str(SD / "v1.0.0_sample-tree.json")
FLIP = str(SD / "v0.9.0_fliptest_pass.json")
FAIL = str(SD / "v0.6.0_probabilityinchancenode_fail.json")
TEXACO = str(TREES / "texaco_pennzoil.yaml")


def run(capsys, *args):
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def test_evaluate_reads_a_silverdecisions_file(capsys):
    status, out, _ = run(capsys, "evaluate", SAMPLE, "--exact", "--json")
    assert status == 0
    # by hand: play = -1 + 10 * 0.291638189333878
    assert json.loads(out)["value"] == "95819094666939/50000000000000"


def test_show_and_validate_read_a_silverdecisions_file(capsys):
    status, out, _ = run(capsys, "validate", SAMPLE)
    assert status == 0 and "valid (5 nodes, 2 parameters, objective max)" in out
    status, out, _ = run(capsys, "show", SAMPLE)
    assert status == 0 and "play" in out and "leave" in out


def test_validate_compare_agrees(capsys):
    status, out, _ = run(capsys, "validate", "--compare", SAMPLE)
    assert status == 0
    # the six one-criterion rules are compared (evtree has them all); the weighted two-criteria
    # rules are named as not available
    assert "0 differences" in out and "maxi-min, maxi-max, mini-min, mini-max) compared" in out
    assert "rule not available in evtree: min-max, max-min, min-min, max-max" in out


def test_validate_compare_reports_a_difference(capsys, tmp_path):
    data = json.loads(open(SAMPLE).read())
    data["data"]["trees"][0]["computed"]["expected-value-maximization"]["payoff"] = ["7"]
    target = tmp_path / "changed.json"
    target.write_text(json.dumps(data))
    status, out, _ = run(capsys, "validate", "--compare", target)
    assert status == 1
    assert "1 difference" in out and "data.trees[0].computed.expected-value-maximization.payoff" in out


def test_refused_file_is_one_line_and_exit_2(capsys):
    status, out, err = run(capsys, "evaluate", FAIL)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "(trees[0].childEdges[1])" in err and "probabilities sum to" in err


def test_convert_both_ways(capsys, tmp_path):
    yaml_out = tmp_path / "sample.yaml"
    status, out, _ = run(capsys, "convert", SAMPLE, yaml_out)
    assert status == 0 and "(yaml, 5 nodes, 2 parameters)" in out
    assert evtree.read_tree(yaml_out) == evtree.read_tree(SAMPLE)
    sd_out = tmp_path / "texaco.json"
    status, _, _ = run(capsys, "convert", TEXACO, sd_out, "--to", "silverdecisions")
    assert status == 0 and json.loads(sd_out.read_text())["SilverDecisions"]
    assert evtree.read_tree(sd_out) == evtree.read_tree(TEXACO)
    # .json without --to is evtree's JSON
    native = tmp_path / "native.json"
    run(capsys, "convert", sd_out, native)
    assert json.loads(native.read_text())["evtree"] == 1


def test_convert_lists_and_chooses_trees(capsys, tmp_path):
    status, out, _ = run(capsys, "convert", FLIP, "--list")
    assert status == 0 and out.splitlines() == [
        "0\tchance\t7 nodes\t(unnamed)",
        "1\tchance\t7 nodes\t(unnamed)",
    ]
    target = tmp_path / "second.yaml"
    status, _, err = run(capsys, "convert", FLIP, target, "--tree", "1")
    assert status == 0 and err == ""
    assert [c.label for c in evtree.read_tree(target).root.children] == ["hat", "no hat"]
    status, _, err = run(capsys, "convert", FLIP, target)
    assert status == 0 and "warning: " in err and "holds 2 trees" in err


def test_convert_to_gambit(capsys, tmp_path):
    status, out, _ = run(capsys, "convert", SAMPLE, str(tmp_path / "out.efg"))
    assert status == 0 and "(efg," in out
    assert (tmp_path / "out.efg").read_text().startswith("EFG 2 R ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["out.txt"], "cannot tell the format of"),
        (["out.json", "--to", "xml"], "unknown format 'xml'"),
        ([], "convert needs OUT"),
    ],
)
def test_convert_usage_errors(capsys, tmp_path, args, message):
    status, _, err = run(
        capsys, "convert", SAMPLE, *[str(tmp_path / a) if a.startswith("out") else a for a in args]
    )
    assert status == 2 and message in err
