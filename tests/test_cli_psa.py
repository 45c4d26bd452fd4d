"""The ``evtree psa`` and ``evtree evppi`` commands, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import evtree
from evtree.cli.main import main
from evtree.psa import evppi, psa

DATA = Path(__file__).resolve().parent / "data"
TEXACO = str(DATA / "psa_texaco.yaml")
KOREA = str(DATA / "psa_korea.yaml")
ADOPT = str(DATA / "psa_evppi.yaml")


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_psa_json_matches_the_library(capsys):
    data = _json(capsys, ["psa", TEXACO, "--draws", "3000", "--seed", "4", "--json", "--no-progress"])
    r = psa(evtree.read_tree(TEXACO), draws=3000, seed=4, progress=False)
    assert data["draws"] == 3000 and data["seed"] == 4 and data["backend"] == "local"
    assert data["best"] == r.best == "counteroffer 5, refuse 3"
    assert data["evpi"] == r.evpi
    assert data["sampled"] == {
        "p_high": ["p_high"],
        "q_mid": ["q_mid"],
        "texaco": ["texaco[accepts 5]", "texaco[refuses]", "texaco[counteroffers 3]"],
    }
    rows = {row["strategy"]: row for row in data["strategies"]}
    for i, name in enumerate(r.strategies):
        assert rows[name]["mean"] == r.mean[i]
        assert rows[name]["probability_optimal"] == r.probability_optimal[i]
        assert rows[name]["policy"] == r.policies[i]


def test_psa_table_and_plot(capsys, tmp_path):
    plot = tmp_path / "psa.png"
    assert main(["psa", KOREA, "--draws", "2000", "--seed", "1", "--plot", str(plot), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "2,000 draws, seed 1" in out and "EVPI" in out and "probability_optimal" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_psa_acceptability(capsys, tmp_path):
    plot = tmp_path / "acc.svg"
    argv = [
        "psa",
        KOREA,
        "--draws",
        "1000",
        "--seed",
        "2",
        "--acceptability",
        "v_deal",
        "--grid-values",
        "0,100",
    ]
    data = _json(capsys, [*argv, "--json", "--no-progress", "--plot", str(plot)])
    acc = data["acceptability"]
    assert acc["parameter"] == "v_deal" and acc["grid"] == [0.0, 100.0]
    assert len(acc["best"]) == 2
    # the curves are probabilities: at each grid value they sum to one over the strategies
    totals = np.sum([v for v in acc["probability_optimal"].values()], axis=0)
    np.testing.assert_allclose(totals, 1.0)
    assert plot.read_text().lstrip().startswith("<?xml")
    # in text, strategies never optimal on the grid are left out of the curve table
    assert main([*argv, "--no-progress"]) == 0
    assert "acceptability against v_deal" in capsys.readouterr().out


def test_psa_set_csv_and_seed_reported(capsys):
    assert main(["psa", ADOPT, "--draws", "500", "--set", "y=1/2", "--csv", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("strategy,mean,sd")
    data = _json(capsys, ["psa", ADOPT, "--draws", "500", "--json", "--no-progress"])
    again = _json(
        capsys, ["psa", ADOPT, "--draws", "500", "--seed", str(data["seed"]), "--json", "--no-progress"]
    )
    assert data["strategies"] == again["strategies"]


def test_psa_on_dask_local_cluster(capsys):
    pytest.importorskip("distributed")
    argv = ["psa", TEXACO, "--draws", "1500", "--seed", "8", "--json", "--no-progress"]
    local = _json(capsys, argv)
    remote = _json(capsys, [*argv, "--dask", "local"])
    assert remote["backend"] == "dask"
    assert remote["strategies"] == local["strategies"] and remote["evpi"] == local["evpi"]


def test_evppi_command(capsys):
    data = _json(
        capsys,
        ["evppi", ADOPT, "--params", "x", "--params", "x,y", "--draws", "20000", "--seed", "3", "--json"]
        + ["--no-progress"],
    )
    r = psa(evtree.read_tree(ADOPT), draws=20000, seed=3, progress=False)
    assert data["evpi"] == r.evpi
    got = {tuple(e["parameters"]): e["value"] for e in data["evppi"]}
    assert got[("x",)] == evppi(r, "x").value
    assert got[("x", "y")] == pytest.approx(r.evpi, abs=1e-9)  # everything learnt: EVPPI = EVPI


def test_evppi_both_methods_table(capsys):
    argv = ["evppi", KOREA, "--params", "v_soft", "--method", "both", "--draws", "2000", "--seed", "1"]
    assert main([*argv, "--outer", "30", "--inner", "40", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "regression" in out and "nested" in out and "EVPI" in out


def test_evppi_defaults_to_each_sampled_input(capsys):
    data = _json(capsys, ["evppi", ADOPT, "--draws", "2000", "--seed", "1", "--json", "--no-progress"])
    assert [e["parameters"] for e in data["evppi"]] == [["x"], ["y"]]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["psa", "trees/texaco_pennzoil.yaml", "--draws", "10"], "no distributions to draw from"),
        (["evppi", ADOPT, "--params", "z", "--draws", "10"], "'z' is not a sampled input"),
        (["psa", ADOPT, "--draws", "10", "--acceptability", "x", "--grid", "3"], "low and high bounds"),
        (["psa", ADOPT, "--draws", "10", "--set", "nope=1"], "unknown parameter 'nope'"),
    ],
)
def test_errors_are_one_line(capsys, argv, message):
    root = Path(__file__).resolve().parent.parent
    argv = [str(root / a) if a.startswith("trees/") else a for a in argv]
    assert main([*argv, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_bad_draws_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["psa", ADOPT, "--draws", "0"])
    assert info.value.code == 2
    assert "positive integer" in capsys.readouterr().err


CLOSE_CALL = """evtree: 1
name: close call
parameters:
  x:
    value: 1.01
    distribution: {{type: normal, mean: {mean}, sd: 1}}
root:
  decision: d
  branches:
    - {{label: safe, terminal: 1}}
    - {{label: risky, terminal: x}}
"""


@pytest.mark.parametrize(
    ("mean", "verdict"), [(0.995, "within Monte Carlo error"), (0.5, "beyond Monte Carlo error")]
)
def test_psa_headline_says_when_its_best_is_not_the_rollbacks(capsys, tmp_path, mean, verdict):
    # at the default x = 1.01 the rollback takes the risk; over the draws x averages `mean` < 1
    path = tmp_path / "close.yaml"
    path.write_text(CLOSE_CALL.format(mean=mean))
    argv = ["psa", str(path), "--draws", "4000", "--seed", "1", "--no-progress"]
    data = _json(capsys, [*argv, "--json"])
    rows = {row["strategy"]: row for row in data["strategies"]}
    assert data["best"] == "safe"
    # the difference risky - safe is x - 1: its Monte Carlo se is the sd of x over sqrt(draws)
    gap = rows["safe"]["mean"] - rows["risky"]["mean"]
    se = rows["risky"]["sd"] / 4000**0.5
    assert (gap <= 2 * se) == (verdict.startswith("within"))
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "best by expected value: d=safe" in out
    assert "note: the rollback at the base values chooses d=risky" in out and verdict in out


def test_psa_headline_is_quiet_when_they_agree(capsys):
    assert main(["psa", TEXACO, "--draws", "2000", "--seed", "4", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "best by expected value: liedtke=counteroffer 5, liedtke_on_3=refuse 3" in out
    assert "note: the rollback" not in out


def test_evppi_table_has_no_repeated_evpi_and_no_inner_zero(capsys):
    argv = ["evppi", KOREA, "--params", "v_soft", "--method", "both", "--draws", "2000", "--seed", "1"]
    assert main([*argv, "--outer", "30", "--inner", "40", "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[2].split()
    assert header == ["evppi", "se", "draws", "outer", "inner"]
    regression = next(line for line in lines if "regression" in line).split()
    nested = next(line for line in lines if "nested" in line).split()
    assert regression[-1] == "2,000" and nested[-2:] == ["30", "40"]
