"""End-to-end tests of ``evtree voi`` and ``evtree risk``."""

from __future__ import annotations

import json

import pytest

from evtree.cli.main import main
from tests.conftest import DATA, TREES

KOREA = str(TREES / "korea_talks.yaml")
TEXACO = str(TREES / "texaco_pennzoil.yaml")
GOFER = str(DATA / "goferbroke.yaml")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out = capsys.readouterr()
    return status, out.out, out.err


def test_voi_korea_json(capsys):
    status, out, _ = run(capsys, "voi", KOREA, "--node", "north_response", "--exact", "--json")
    data = json.loads(out)
    assert status == 0
    assert (
        data["measure"] == "evpi"
        and data["value"] == 8
        and data["evpi"] == {"value": 8, "exact": "8"}
        and data["exact"] == "8"
    )
    assert (data["value_without"], data["value_with"]) == (20.5, 28.5)
    choices = {(r["observation"], r["decision"]): r["choice"] for r in data["informed_policy"]}
    assert choices[("allies defect", "us_choice")] == "no talks"


def test_voi_korea_symbolic(capsys):
    status, out, _ = run(capsys, "voi", KOREA, "--node", "north_response", "--symbolic", "--json")
    data = json.loads(out)
    assert data["value"] == 8 and data["exact"] == "8" and "p_flout" in data["formula"]
    assert "Max" in data["formula_in_bounds"]
    status, out, _ = run(capsys, "voi", KOREA, "--node", "north_response", "--symbolic")
    assert "at the defaults: 8" in out and "formula within the parameter bounds" in out


def test_voi_korea_float_text_and_set(capsys):
    status, out, _ = run(capsys, "voi", KOREA, "--node", "north_response")
    assert status == 0 and "EVPI: 8\n" in out  # issue 18: one number format (was 8.0)
    # c_talk = 20 -> 17.5 (tests/test_voi.py works it out by hand).
    _, out, _ = run(capsys, "voi", KOREA, "--node", "north_response", "--set", "c_talk=20", "--json")
    assert json.loads(out)["value"] == 17.5


def test_voi_goferbroke_test_evsi(capsys):
    args = [
        "voi",
        GOFER,
        "--node",
        "oil",
        "--test-name",
        "survey",
        "--cost",
        "survey_cost",
        "--exact",
        "--json",
    ]
    for lik in ("oil:FSS=p_fss_oil", "oil:USS=rest", "dry:FSS=p_fss_dry", "dry:USS=rest"):
        args += ["--likelihood", lik]
    status, out, _ = run(capsys, *args)
    data = json.loads(out)
    assert (
        data["measure"] == "evsi"
        and data["value"] == 53
        and data["evsi"] == {"value": 53, "exact": "53"}
        and data["exact"] == "53"
    )
    assert data["cost"] == 30 and data["net_value"] == 23


def test_voi_groups_and_control(capsys):
    _, out, _ = run(
        capsys, "voi", TEXACO, "--node", "court_after_refusal,court_after_counter", "--exact", "--json"
    )
    assert json.loads(out)["exact"] == "69/200"  # 0.345
    _, out, _ = run(capsys, "voi", TEXACO, "--node", "texaco", "--control", "--exact", "--json")
    data = json.loads(out)
    assert data["measure"] == "control" and data["exact"] == "913/2500"


def test_voi_utility_flags(capsys):
    _, out, _ = run(capsys, "voi", TEXACO, "--node", "texaco", "--risk-tolerance", "1", "--json")
    data = json.loads(out)
    assert data["value"] == pytest.approx(0.46225, abs=1e-5) and data["value_without"] == pytest.approx(2.0)
    _, out, _ = run(capsys, "voi", TEXACO, "--node", "texaco", "--utility=-exp(-x)", "--json")
    assert json.loads(out)["buying_price"] == pytest.approx(data["value"], rel=1e-9)
    _, out, _ = run(capsys, "voi", TEXACO, "--node", "texaco", "--risk-neutral", "--json")
    assert json.loads(out)["value"] == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["voi", KOREA, "--node", "us_choice"], "name a chance node"),
        (["voi", KOREA, "--node", "nope"], "nope"),
        (["voi", KOREA, "--node", "north_response", "--likelihood", "complies=0.5"], "STATE:SIGNAL=EXPR"),
        (["voi", KOREA, "--node", "north_response", "--cost", "3"], "--likelihood"),
        (["voi", KOREA, "--node", "north_response", "--risk-tolerance", "-3"], "positive"),
        (["risk", KOREA, "--strategy", "us_choice"], "DECISION=LABEL"),
        (["risk", KOREA, "--strategy", "us_choice=maybe"], "maybe"),
        (["risk", KOREA, "--percentiles", "150"], "percentiles"),
    ],
)
def test_errors_are_one_line(capsys, argv, message):
    status, _, err = run(capsys, *argv)
    assert status == 2
    first, *suggestions = err.splitlines()
    # one line; a name not recognised is followed by the nearest names, one per line (issue 18)
    assert message in first and all(line.startswith("  ") for line in suggestions)


def test_risk_korea(capsys, tmp_path):
    plot = tmp_path / "risk.png"
    status, out, _ = run(
        capsys,
        "risk",
        KOREA,
        "--strategy",
        "optimal",
        "--strategy",
        "us_choice=no talks",
        "--json",
        "--plot",
        str(plot),
    )
    data = json.loads(out)
    best, none = data["strategies"]
    # Optimal: talks; complies .25 -> 98, flouts .5 -> 8, defect .25 -> -32 (accept the soft line).
    assert [r["outcome"] for r in best["profile"]] == [-32, 8, 98]
    assert [r["probability"] for r in best["profile"]] == [0.25, 0.5, 0.25]
    assert best["statistics"]["mean"] == 20.5
    assert best["statistics"]["p50"] == 8
    assert none["statistics"]["variance"] == 0
    assert data["dominance"][0]["verdict"].startswith("neither")
    assert plot.stat().st_size > 0


def test_risk_csv_and_exact(capsys):
    status, out, _ = run(capsys, "risk", TEXACO, "--exact", "--csv")
    lines = out.strip().splitlines()
    assert lines[0].split(",")[1:] == ["strategy", "outcome", "probability", "cumulative"]
    assert lines[1].split(",")[2:] == ["0", "249/1000", "249/1000"]
    status, out, _ = run(capsys, "risk", TEXACO, "--exact")
    assert "mean 11587/2500" in out
