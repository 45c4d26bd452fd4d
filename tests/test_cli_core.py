"""The command line, end to end: evaluate, validate, show, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import TREES

from evtree.cli.main import main

KOREA = str(TREES / "korea_talks.yaml")
TEXACO = str(TREES / "texaco_pennzoil.yaml")


def run(capsys, *args):
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_evaluate_json(capsys):
    status, out, _ = run(capsys, "evaluate", TEXACO, "--json")
    assert status == 0
    data = json.loads(out)
    assert data["value"] == pytest.approx(4.6348)
    assert data["policy"] == {"liedtke": "counteroffer 5", "liedtke_on_3": "refuse 3"}
    assert data["n_strategies"] == 3 and len(data["strategies"]) == 3


def test_evaluate_exact_and_symbolic(capsys):
    _, out, _ = run(capsys, "evaluate", TEXACO, "--exact", "--json")
    assert json.loads(out)["value"] == "11587/2500"
    _, out, _ = run(capsys, "evaluate", KOREA, "--symbolic", "--json")
    data = json.loads(out)
    assert data["method"] == "symbolic"
    assert "p_defect" in data["value"] and "Max" in data["value"]


def test_evaluate_with_set(capsys):
    # with p_defect = 1/2 and p_flout = 1/2: talks = -2 + 0 + 5 - 15 = -12 < 0, so no talks
    _, out, _ = run(capsys, "evaluate", KOREA, "--set", "p_defect=1/2", "--exact", "--json")
    data = json.loads(out)
    assert data["value"] == 0 and data["policy"]["us_choice"] == "no talks"
    assert data["parameters"]["p_defect"] == "1/2"


def test_evaluate_table_and_csv(capsys):
    status, out, _ = run(capsys, "evaluate", KOREA)
    assert status == 0 and "expected value: 20.5" in out and "us_choice: talks" in out
    _, out, _ = run(capsys, "evaluate", KOREA, "--csv")
    assert out.splitlines()[0] == "strategy,us_choice,after_complies,after_flouts,after_defect,value,optimal"


def test_validate_and_show(capsys):
    status, out, _ = run(capsys, "validate", KOREA)
    assert status == 0 and "valid (12 nodes, 8 parameters" in out
    status, out, _ = run(capsys, "show", TEXACO)
    assert status == 0
    assert "* counteroffer 5" in out and "  accept 2" in out and "= 4.6348" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "nowhere.yaml"], "nowhere.yaml: no such file"),
        (["evaluate", KOREA, "--set", "p_nobody=1"], "unknown parameter 'p_nobody'"),
        (["evaluate", KOREA, "--set", "p_defect"], "--set expects NAME=VALUE"),
        (["evaluate", KOREA, "--set", "p_defect=__import__('os')"], "--set p_defect"),
        (["evaluate", KOREA, "--set", "p_defect=0.9"], "probability -0.4 is outside [0, 1]"),
    ],
)
def test_bad_input_is_one_line(capsys, args, message):
    status, out, err = run(capsys, *args)
    assert status == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_file_is_one_line(capsys, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("root:\n  chance: c\n  branches:\n    - {label: a, probability: 2, terminal: 1}\n")
    status, _, err = run(capsys, "validate", str(path))
    assert status == 2 and "probability 2 is outside [0, 1]" in err and err.count("\n") == 1


def test_console_script_runs():
    result = subprocess.run(
        [sys.executable, "-m", "evtree.cli.main", "evaluate", TEXACO, "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout)["value"] == pytest.approx(4.6348)


def test_import_is_light():
    heavy = "('matplotlib', 'dask', 'ipywidgets', 'scipy.optimize', 'pandas')"
    code = f"import sys, evtree; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- issue 18: one number format, units, strategy names ------------------------------------------
DOLLARS = """evtree: 1
name: dollars
metadata: {units: USD}
root:
  decision: d
  branches:
    - label: settle
      terminal: 740747.4
    - label: court
      chance: c
      branches:
        - {label: win, probability: 0.5, terminal: 3353522.5}
        - {label: lose, probability: rest, terminal: 0}
"""


def test_numbers_in_dollars_read_the_same_everywhere(capsys, tmp_path):
    # court = 0.5 * 3,353,522.5 = 1,676,761.25 > 740,747.4: go to court
    path = tmp_path / "dollars.yaml"
    path.write_text(DOLLARS)
    _, out, _ = run(capsys, "evaluate", str(path))
    assert "expected value: 1,676,761 USD" in out
    assert "value (USD)" in out and "740,747" in out and "e+06" not in out
    _, out, _ = run(capsys, "show", str(path))
    assert "= 1,676,761" in out and "= 740,747" in out and "e+06" not in out
    _, out, _ = run(capsys, "evaluate", str(path), "--exact")
    assert "expected value: 6707045/4 ≈ 1,676,761 USD" in out  # 6 digits, the whole part kept
    _, out, _ = run(capsys, "evaluate", str(path), "--json")
    assert json.loads(out)["value"] == 1676761.25  # JSON keeps full precision


def test_evaluate_takes_a_strategy_by_name(capsys):
    # Clemen: counteroffer 5 then accept 3 = 0.17*5 + 0.5*4.56 + 0.33*3 = 4.12
    status, out, _ = run(
        capsys, "evaluate", TEXACO, "--exact", "--strategy", "liedtke=counteroffer 5, liedtke_on_3=accept 3"
    )
    assert status == 0
    assert "expected value: 103/25 = 4.12 billion USD" in out and "liedtke_on_3: accept 3  (fixed)" in out


def test_symbolic_evaluate_lists_strategies_collected(capsys):
    _, out, _ = run(capsys, "evaluate", KOREA, "--symbolic")
    # strategy 3 by hand: -c + (1-pd-pf) v_deal + pf g_flout + pd v_soft, gathered by probability
    assert "*  3  us_choice=talks, after_complies=accept, after_flouts=say no, after_defect=accept" in out
    assert "= v_deal - c_talk + p_defect*(v_soft - v_deal) + p_flout*(g_flout - v_deal)" in out
    assert "at the default parameters: 41/2 = 20.5" in out
