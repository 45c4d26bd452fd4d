"""The sensitivity commands end to end: tables, JSON, CSV and plots."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import TREES

from evtree.cli.main import main

KOREA = str(TREES / "korea_talks.yaml")


def run(capsys, *args):
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_threshold_json(capsys):
    status, out, _ = run(capsys, "threshold", KOREA, "--param", "p_defect", "--json")
    assert status == 0
    (t,) = json.loads(out)["thresholds"]
    assert t["exact"] == "53/130" and t["value"] == pytest.approx(53 / 130)
    assert t["below"]["us_choice"] == "talks" and t["above"] == {"us_choice": "no talks"}
    assert t["verified"] is True


def test_threshold_with_set(capsys):
    # p_flout = 0: 98 - 130 pd = 0 at 49/65
    _, out, _ = run(capsys, "threshold", KOREA, "--param", "p_defect", "--set", "p_flout=0", "--json")
    assert json.loads(out)["thresholds"][0]["exact"] == "49/65"


def test_sensitivity_csv_and_plot(capsys, tmp_path):
    plot = tmp_path / "sweep.svg"
    status, out, _ = run(
        capsys, "sensitivity", KOREA, "--param", "p_defect", "--points", "3", "--csv", "--plot", str(plot)
    )
    assert status == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][0] == "p_defect" and rows[0][-2:] == ["value", "optimal"]
    assert rows[1][-2:] == [
        "53.0",
        "us_choice=talks, after_complies=accept, after_flouts=say no, after_defect=accept",
    ]
    assert plot.read_text().lstrip().startswith("<?xml")


def test_sensitivity_range_and_points(capsys):
    _, out, _ = run(
        capsys, "sensitivity", KOREA, "--param", "v_deal", "--range", "0", "40", "--points", "5", "--json"
    )
    data = json.loads(out)
    assert [p["v_deal"] for p in data["points"]] == [0, 10, 20, 30, 40]
    assert data["thresholds"][0]["exact"] == "18"


def test_tornado_and_twoway(capsys, tmp_path):
    plot = tmp_path / "tornado.png"
    status, out, _ = run(capsys, "tornado", KOREA, "--plot", str(plot), "--json")
    assert status == 0 and plot.read_bytes()[:4] == b"\x89PNG"
    rows = json.loads(out)["rows"]
    assert rows[0]["parameter"] == "p_flout" and rows[0]["swing"] == 65.5
    status, out, _ = run(
        capsys, "twoway", KOREA, "--params", "p_flout", "p_defect", "--points", "11", "--json"
    )
    data = json.loads(out)
    assert data["boundaries"][0]["boundary"] == "Eq(p_defect, 49/65 - 9*p_flout/13)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["threshold", KOREA, "--param", "nobody"], "unknown parameter 'nobody'"),
        (["sensitivity", KOREA, "--param", "p_defect", "--points", "1"], "--points must be at least 2"),
        (
            ["sensitivity", KOREA, "--param", "p_defect", "--plot", "x.gif"],
            "should end in .png, .svg or .pdf",
        ),
        (["threshold", KOREA, "--param", "p_defect", "--range", "1", "0"], "range of 'p_defect' is empty"),
    ],
)
def test_errors_are_one_line(capsys, args, message):
    status, _, err = run(capsys, *args)
    assert status == 2 and message in err and err.count("\n") == 1


def test_threshold_json_reports_verification_and_reach(capsys, tmp_path):
    import evtree
    from evtree import REST, Branch, Chance, Decision, DecisionTree, Parameter, Terminal

    # d2 is reached with probability q = 0: its flip at y = 0 is reported with reach 0
    later = Decision("d2", [Branch("A", Terminal("y")), Branch("B", Terminal(0))])
    go = Chance("c", [Branch("x", later, probability="q"), Branch("z", Terminal(1), probability=REST)])
    tree = DecisionTree(
        Decision("d1", [Branch("go", go), Branch("stay", Terminal(0))]),
        parameters=[Parameter("y", 1, low=-5, high=5), Parameter("q", 0, low=0, high=1)],
    )
    path = tmp_path / "zero.yaml"
    evtree.write_tree(tree, path)
    status, out, _ = run(capsys, "threshold", str(path), "--param", "y", "--json")
    assert status == 0
    data = json.loads(out)
    (t,) = data["thresholds"]
    assert data["verified"] is True and t["verified"] is True
    assert t["exact"] == "0" and t["decisions"] == ["d2"] and t["reach"] == 0
    status, out, _ = run(capsys, "threshold", str(path), "--param", "y")
    assert "reached with probability 0" in out


def test_twoway_json_boundaries_are_verified(capsys):
    status, out, _ = run(
        capsys, "twoway", KOREA, "--params", "p_flout", "p_defect", "--points", "21", "--json"
    )
    assert status == 0
    data = json.loads(out)
    (b,) = data["boundaries"]
    assert b["boundary"] == "Eq(p_defect, 49/65 - 9*p_flout/13)" and b["verified"] is True
    assert data["note"] == ""
