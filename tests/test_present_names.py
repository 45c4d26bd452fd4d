"""Sensitivity and PSA name strategies the one way (issue 18, item 2): ``decision=label`` pairs.

The tree is small enough to name every strategy by hand: the decision ``d`` chooses ``go``
(then ``e`` chooses ``hi``, worth ``x``, or ``lo``, worth 1) or ``stay``, worth ``2 w``.
Its three strategies are therefore named ``d=go, e=hi``, ``d=go, e=lo`` and ``d=stay``
(``e`` is not reached when ``d`` stays, so it is not in that name).  With ``w = 1`` staying
(2) beats going (``max(x, 1)``) exactly while ``x < 2``: one threshold, at ``x = 2``.
"""

from __future__ import annotations

import json

import pytest

from evtree import Branch, Decision, DecisionTree, Parameter, Terminal
from evtree.cli.main import main
from evtree.core.errors import ModelError, UnknownNameError
from evtree.distributions import normal

HI, LO, STAY = "d=go, e=hi", "d=go, e=lo", "d=stay"
#: evtree 0.1's names (labels joined by commas), which the records keep for compatibility
OLD = {"go, hi": HI, "go, lo": LO, "stay": STAY}

YAML = """\
evtree: 1
name: names
objective: max
parameters:
  x: {value: 3, low: 0, high: 4, distribution: {type: normal, mean: 3, sd: 1}}
  w: {value: 1, low: 0, high: 4}
root:
  decision: d
  branches:
    - label: go
      decision: e
      branches:
        - {label: hi, terminal: x}
        - {label: lo, terminal: "1"}
    - {label: stay, terminal: 2*w}
"""


def _tree() -> DecisionTree:
    return DecisionTree(
        Decision(
            "d",
            [
                Branch("go", Decision("e", [Branch("hi", Terminal("x")), Branch("lo", Terminal(1))])),
                Branch("stay", Terminal("2*w")),
            ],
        ),
        parameters=[
            Parameter("x", 3, low=0, high=4, distribution=normal(3, 1)),
            Parameter("w", 1, low=0, high=4),
        ],
    )


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "names.yaml"
    p.write_text(YAML)
    return str(p)


def _json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


# ------------------------------------------------------------------------------ sensitivity
def test_threshold_records_and_text_name_strategies_by_pairs():
    from evtree.sensitivity import thresholds

    result = thresholds(_tree(), "x")
    (t,) = result.thresholds
    assert t.exact == 2
    assert (t.below_strategy, t.above_strategy) == (STAY, HI)
    assert (t.below_name, t.above_name) == ("stay", "go, hi")  # kept for compatibility
    assert t.to_dict()["below_strategy"] == STAY and t.to_dict()["above_strategy"] == HI
    assert result.strategy_at_low == STAY
    assert f"{STAY} below, {HI} above" in result.summary()
    assert result.to_frame()[["below_strategy", "above_strategy"]].values.tolist() == [[STAY, HI]]
    # no threshold for w in [1.6, 4]: staying (2 w >= 3.2 > 3) is optimal throughout
    calm = thresholds(_tree(), "w", range=(1.6, 4))
    assert len(calm) == 0 and calm.strategy_at_low == STAY
    assert f"{STAY} is optimal throughout" in calm.summary()


def test_threshold_cli_json(capsys, path):
    data = _json(capsys, "threshold", path, "--param", "x", "--json")
    (t,) = data["thresholds"]
    assert (t["below_strategy"], t["above_strategy"]) == (STAY, HI)
    assert data["strategy_at_low"] == STAY and data["optimal_at_low"] == "stay"


def test_one_way_frame_and_json_name_strategies_by_pairs(capsys, path):
    from evtree.sensitivity import one_way

    r = one_way(_tree(), "x", points=5)  # x = 0, 1, 2, 3, 4
    assert dict(r.strategy_names) == OLD
    frame = r.to_frame()
    assert set(frame.columns) == {"x", HI, LO, STAY, "value", "optimal"}
    assert frame[HI].tolist() == [0, 1, 2, 3, 4] and frame[LO].tolist() == [1] * 5
    assert frame[STAY].tolist() == [2] * 5
    opt = frame["optimal"].tolist()
    assert opt[:2] == [STAY, STAY] and opt[3:] == [HI, HI]  # x = 2 is the tie
    data = _json(capsys, "sensitivity", path, "--param", "x", "--points", "5", "--json")
    assert data["strategies"] == OLD
    points = data["points"]
    assert [p[HI] for p in points] == [0, 1, 2, 3, 4]
    assert points[0]["optimal"] == STAY and points[-1]["optimal"] == HI
    assert data["thresholds"][0]["below_strategy"] == STAY


def test_tornado_takes_either_name_and_prints_pairs(capsys, path):
    from evtree.sensitivity import tornado

    new = tornado(_tree(), strategy=LO)
    old = tornado(_tree(), strategy="go, lo")
    assert new.frame.equals(old.frame)
    frame = new.to_frame()
    assert set(frame["target"]) == {LO}
    # go-lo is worth 1 whatever x and w: no swing
    lo_rows = frame[frame["target"] == LO]
    assert lo_rows["at_low"].tolist() == [1.0, 1.0] and lo_rows["at_high"].tolist() == [1.0, 1.0]
    rows = _json(capsys, "tornado", path, "--strategy", LO, "--json")["rows"]
    assert {r["target"] for r in rows} == {LO}


def test_a_strategy_mismatch_suggests_nearest_names_one_per_line():
    from evtree.sensitivity import tornado

    with pytest.raises(ModelError) as info:
        tornado(_tree(), strategy="go, lw")
    lines = str(info.value).splitlines()
    assert lines[0].startswith("no strategy matches 'go, lw'; nearest:")
    assert lines[1] == f"  {LO}"
    assert {line.strip() for line in lines[1:]} <= {HI, LO, STAY}
    with pytest.raises(UnknownNameError) as info:
        tornado(_tree(), strategy="d=go, e=lw")
    assert str(info.value).splitlines()[1] == "  e=lo"


def test_spider_and_local_sensitivity_carry_the_name():
    from evtree.sensitivity import local_sensitivity, spider, strategy_functions

    assert spider(_tree(), strategy=HI).strategy == HI
    assert spider(_tree()).strategy == "value"
    d = local_sensitivity(_tree())
    assert d.loc[("go, hi", "x"), "name"] == HI and d.loc[("go, hi", "x"), "derivative"] == 1
    assert d.loc[("stay", "w"), "name"] == STAY and d.loc[("stay", "w"), "derivative"] == 2
    assert [f.strategy for f in strategy_functions(_tree())] == [HI, LO, STAY]


def test_two_way_cli_names_strategies_by_pairs(capsys, path):
    data = _json(capsys, "twoway", path, "--params", "x", "w", "--points", "9", "--json")
    assert set(data["strategies"].values()) <= {HI, LO, STAY}
    assert all(data["strategies"][k] == OLD[k] for k in data["strategies"])
    # stay | go-hi meet where 2 w = x
    pairs = {frozenset((b["a_strategy"], b["b_strategy"])) for b in data["boundaries"]}
    assert frozenset((STAY, HI)) in pairs
    assert main(["twoway", path, "--params", "x", "w", "--points", "9"]) == 0
    out = capsys.readouterr().out
    assert f"{HI} | {STAY}" in out or f"{STAY} | {HI}" in out


def test_threshold_notes_are_joined_once():
    from evtree.presentation.display import note_lines

    notes = note_lines("at a, the 'rest' branch absorbs p; x clipped", "at b, the 'rest' branch absorbs p")
    assert notes == [
        "  note: at a and b, the 'rest' branch absorbs p",
        "  note: x clipped",
    ]
    assert note_lines("", None) == []


# ------------------------------------------------------------------------------ PSA
def test_psa_records_and_json_name_strategies_by_pairs(capsys, path):
    from evtree.psa import CompiledTree, acceptability

    assert CompiledTree(_tree()).strategy_names == [HI, LO, STAY]
    data = _json(capsys, "psa", path, "--draws", "2000", "--seed", "3", "--json", "--no-progress")
    by_name = {row["name"]: row for row in data["strategies"]}
    assert set(by_name) == {HI, LO, STAY}
    assert {row["strategy"]: row["name"] for row in data["strategies"]} == OLD
    # E[x] = 3 (se 1/sqrt(2000) ~ 0.02) beats staying (2) and going low (1)
    assert data["best_name"] == HI and data["best"] == "go, hi"
    assert by_name[LO]["mean"] == 1 and by_name[STAY]["mean"] == 2
    # against w: staying (2 w) loses to E[x] = 3 at w = 0.5 and wins at w = 2
    acc = acceptability(_tree(), "w", [0.5, 2], draws=2000, seed=3, progress=False)
    assert acc.strategy_names == (HI, LO, STAY)
    assert acc.best_strategies == (HI, STAY)
    assert list(acc.to_frame(by_name=True).columns) == [HI, LO, STAY, "best", "evpi"]
    assert acc.to_frame(by_name=True)["best"].tolist() == [HI, STAY]


def test_psa_acceptability_cli(capsys, path):
    argv = ["psa", path, "--draws", "500", "--seed", "1", "--no-progress", "--acceptability", "w"]
    data = _json(capsys, *argv, "--grid-values", "0.5,2", "--json")
    acc = data["acceptability"]
    assert acc["names"] == OLD and acc["best_names"] == [HI, STAY]
    assert main([*argv, "--grid-values", "0.5,2"]) == 0
    out = capsys.readouterr().out
    assert HI in out and STAY in out


def test_plots_take_the_name():
    import matplotlib

    matplotlib.use("Agg")
    from evtree.presentation.plots.sensitivity import plot_one_way, plot_tornado
    from evtree.sensitivity import one_way, tornado

    ax = plot_one_way(one_way(_tree(), "x", points=5), strategies=[LO, "stay"])
    # asked for by either name, each line is labelled with the decision=label name
    assert [ln.get_label() for ln in ax.get_lines()][:2] == ["d=go, e=lo", "d=stay"]
    assert [list(map(float, ln.get_ydata())) for ln in ax.get_lines()][:2] == [[1.0] * 5, [2.0] * 5]
    ax = plot_tornado(tornado(_tree(), strategy="all"), target=HI)
    # go-hi is worth x: from 0 to 4 as x moves over its bounds, whatever w
    widths = sorted(abs(p.get_width()) for p in ax.patches)
    assert max(widths) == pytest.approx(3.0)  # from the base x = 3 down to 0
    import matplotlib.pyplot as plt

    plt.close("all")
