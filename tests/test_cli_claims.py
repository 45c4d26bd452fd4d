"""``evtree check``, end to end: verdicts, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
from fractions import Fraction

from conftest import TREES

from evtree import evaluate, read_tree
from evtree.cli.main import main

KOREA = str(TREES / "korea_talks.yaml")
TEXACO = str(TREES / "texaco_pennzoil.yaml")


def run(capsys, *args):
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_check_text(capsys):
    status, out, _ = run(capsys, "check", KOREA)
    assert status == 0  # refuted claims are reported, not failures, without --strict
    assert "listening gives up nothing: REFUTED" in out
    assert "listening gives up nothing when saying no costs nothing: PROVEN" in out
    assert "p_defect in [0, 53/130]" in out  # the exact region, at the other defaults
    assert out.rstrip().endswith("7 proven, 2 refuted, 0 undecided")


def test_check_json(capsys):
    status, out, _ = run(capsys, "check", KOREA, "--json")
    assert status == 0
    data = json.loads(out)
    claims = {c["name"]: c for c in data["claims"]}
    assert len(claims) == 9
    for c in claims.values():
        assert {"claim", "verdict", "method"} <= set(c)
        assert "counterexample" in c or "region" in c
    first = claims["listening gives up nothing"]
    assert first["claim"] == "EV(talks) >= EV(no talks)"
    assert first["verdict"] == "refuted" and first["method"] == "z3 model"  # issue 12 (was: exact corner)
    # re-check the counterexample from the JSON alone, in exact arithmetic
    point = {k: Fraction(v) for k, v in first["counterexample"].items()}
    assert evaluate(read_tree(KOREA), point, method="exact").value_of("us_choice/talks") < 0
    assert first["region"]["holds"] == "Interval(0, 53/130)"
    proven = claims["listening gives up nothing when saying no costs nothing"]
    assert proven["verdict"] == "proven" and proven["method"] == "z3"  # issue 12 (was: certificate)
    assert proven["region"]["holds"] == "everywhere" and proven["certificate"][0].startswith("z3 ")
    flout = claims["if the North flouts, the U.S. hand is strengthened"]
    assert flout["region"]["condition"] == "-c_talk + g_flout >= 0"


def test_check_strict_exit_code(capsys):
    status, _, _ = run(capsys, "check", KOREA, "--strict")
    assert status == 1


def test_check_strict_passes_when_nothing_is_refuted(capsys, tmp_path):
    text = (TREES / "korea_talks.yaml").read_text()
    start, end = text.index("claims:\n"), text.index("\nroot:\n")
    proven_only = (
        "claims:\n  - EV(after_defect) <= EV(no talks)\n  - name: bound\n    claim: EV(talks) >= -120\n"
    )
    path = tmp_path / "k.yaml"
    path.write_text(text[:start] + proven_only + text[end:])
    status, out, _ = run(capsys, "check", str(path), "--strict", "--certificates")
    assert status == 0
    assert "2 proven, 0 refuted, 0 undecided" in out
    assert "    z3 " in out and "unsatisfiable" in out  # certificates printed (issue 12: z3's verdict)


def test_check_without_claims(capsys):
    status, out, _ = run(capsys, "check", TEXACO)
    assert status == 0 and "no claims stated" in out
    status, out, _ = run(capsys, "check", TEXACO, "--json")
    assert json.loads(out)["claims"] == []


def test_check_bad_claim_is_one_line(capsys, tmp_path):
    text = (TREES / "korea_talks.yaml").read_text()
    start, end = text.index("claims:\n"), text.index("\nroot:\n")
    path = tmp_path / "bad.yaml"
    path.write_text(text[:start] + "claims:\n  - EV(accept) >= 0\n" + text[end:])
    status, out, err = run(capsys, "check", str(path))
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "branch label 'accept' is used 3 times" in err
    path.write_text(text[:start] + "claims:\n  - {claim: 'EV(talks) >= 0', colour: red}\n" + text[end:])
    status, _, err = run(capsys, "check", str(path))
    assert status == 2 and "claims[0]" in err and "unknown key 'colour'" in err


def test_check_reports_what_decided_and_by_construction(capsys):
    status, out, _ = run(capsys, "check", KOREA, "--json")
    assert status == 0
    claims = {c["name"]: c for c in json.loads(out)["claims"]}
    for c in claims.values():
        assert isinstance(c["by_construction"], bool) and c["decided_by"]
    # the one proven claim that depends on the probabilities (p_defect <= 53/130)
    assert claims["talks pay while allied defection is unlikely enough"]["by_construction"] is False
    assert claims["if the allies defect, the U.S. is left in the lurch"]["by_construction"] is True
    assert claims["listening gives up nothing"]["by_construction"] is False  # refuted
    status, out, _ = run(capsys, "check", KOREA)
    assert "if the allies defect, the U.S. is left in the lurch: PROVEN (z3 " in out
    assert "by construction)" in out
    line = next(x for x in out.splitlines() if x.startswith("talks pay while allied defection"))
    assert "PROVEN (z3 " in line and "by construction" not in line
