"""Scenario tables: one row of parameter values per scenario, one row of results each.

The test-or-treat tree of test_formulas (sensitivity 9/10, specificity 4/5):
by hand EV(treat) = -1, EV(none) = -10 prev and EV(test) = -0.2 - 1.7 prev, so

    prev = 1/100: none -1/10 (test -0.217)      -> none,  -1/10
    prev = 1/10:  test -37/100 (none -1)        -> test,  -37/100
    prev = 1/2:   treat -1 (test -1.05, none -5) -> treat, -1

With specificity 1 instead, EV(test) = -(9/10) prev - prev = -1.9 prev: it beats
"none" for every prev > 0 and "treat" while prev < 10/19.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sympy
from test_formulas import BASE, FORMULAS, _tree

from evtree import distributions as dist
from evtree.cli.main import main
from evtree.core.errors import UnknownNameError
from evtree.formats.native import write_tree
from evtree.scenarios import read_scenarios, scenarios

TABLE = pd.DataFrame({"scenario": ["rare", "base", "common"], "prev": ["1/100", "1/10", "1/2"]})


def test_evaluate_per_scenario_from_a_dataframe():
    r = scenarios(_tree(BASE + FORMULAS), TABLE, method="exact")
    f = r.frame
    assert list(f.index) == ["rare", "base", "common"]
    assert list(f["value"]) == [sympy.Rational(-1, 10), sympy.Rational(-37, 100), -1]
    assert list(f["policy: plan"]) == ["none", "test", "treat"]
    assert "exact" in r.method


def test_blank_cells_keep_defaults_and_bad_columns_are_refused():
    table = pd.DataFrame({"prev": ["", "1/2"], "spec": ["1", ""]})
    f = scenarios(_tree(BASE + FORMULAS), table, method="exact").frame
    # row 1: prev 1/10, spec 1: EV(test) = -1.9/10 = -19/100; row 2: prev 1/2, spec 4/5: treat, -1
    assert list(f["value"]) == [sympy.Rational(-19, 100), -1]
    with pytest.raises(UnknownNameError, match="column 'prevalence' is not a parameter"):
        scenarios(_tree(BASE + FORMULAS), pd.DataFrame({"prevalence": ["1"]}))


def test_one_way_per_scenario():
    table = pd.DataFrame({"spec": ["4/5", "1"]})
    f = scenarios(_tree(BASE + FORMULAS), table, "one_way", parameter="prev").frame
    assert f["thresholds"].iloc[0] == "2/83; 8/17"
    assert f["thresholds"].iloc[1].endswith("10/19")


def _csv(tmp_path):
    path = tmp_path / "scenarios.csv"
    path.write_text("scenario,prev\nrare,1/100\nbase,0.1\ncommon,1/2\n")
    tree = tmp_path / "tree.yaml"
    write_tree(_tree(BASE + FORMULAS), tree)
    return str(tree), str(path)


def test_cli_evaluate_params(tmp_path, capsys):
    tree, table = _csv(tmp_path)
    assert main(["evaluate", tree, "--params", table, "--exact", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["scenarios"]
    assert [r["scenario"] for r in rows] == ["rare", "base", "common"]
    assert [r["value"] for r in rows] == ["-1/10", "-37/100", -1]
    assert [r["policy.plan"] for r in rows] == ["none", "test", "treat"]
    assert main(["evaluate", tree, "--params", table, "--csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("scenario,prev")


def test_cli_sensitivity_and_psa_params(tmp_path, capsys):
    tree, table = _csv(tmp_path)
    assert main(["sensitivity", tree, "--param", "spec", "--params", table, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["scenarios"]) == 3
    # PSA: prev has a distribution; each scenario holds it, so every draw equals the hand value
    t = _tree(BASE + FORMULAS)
    t.parameters["prev"] = t.parameters["prev"].replace(distribution=dist.beta(2, 18))
    write_tree(t, tree)
    assert main(["psa", tree, "--params", table, "--draws", "50", "--seed", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["scenarios"]
    assert [r["best"] for r in rows] == ["none", "test", "treat"]
    r = scenarios(t, read_scenarios(table), "psa", draws=50, seed=1)
    assert r.frame["mean: test"].tolist() == pytest.approx([-0.2 - 1.7 * 0.01, -0.37, -0.2 - 1.7 * 0.5])
    assert r.frame["P(best): test"].tolist() == [0.0, 1.0, 0.0]
