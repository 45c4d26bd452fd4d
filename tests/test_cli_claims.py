"""``evtree check``, end to end: verdicts, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from conftest import TREES

from evtree import evaluate, read_tree
from evtree.cli.main import main
from evtree.core.errors import ModelError

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


# ------------------------------------------------------------------ sides by name (issue 18, item 3)
def test_a_claim_prints_its_sides_by_name(capsys):
    _, out, _ = run(capsys, "check", KOREA)
    block = out.split("listening gives up nothing: REFUTED")[1].split("\n\n")[0].splitlines()
    # EV(talks) is the value of the node the 'talks' branch leads to, north_response
    assert (
        "  left:  EV(talks) = the value at us_choice/talks (north_response), decisions below chosen optimally"
        in block
    )
    assert "  right: EV(no talks) = the value at us_choice/no talks (a terminal)" in block
    # the counterexample names the side each value belongs to: talks cost 20 and the allies defect
    # (p_defect = 1) with v_soft = -100 and l_defect = 100: max(-100, -100) - 20 = -120
    assert "(EV(talks) = -120 vs EV(no talks) = 0)" in out
    # a claim about the whole tree and a strategy says so
    assert (
        "  right: EV(after_complies=accept, after_flouts=accept, after_defect=accept) = the tree's value "
        "at its root us_choice under after_complies=accept, after_flouts=accept, after_defect=accept, "
        "other decisions chosen optimally"
    ) in out
    data = json.loads(run(capsys, "check", KOREA, "--json")[1])
    sides = {c["name"]: c["sides"] for c in data["claims"]}
    assert sides["talks never lose more than 120 points"]["right"] == "-120"


# ------------------------------------------------------------- claims about equilibria (issue 19, item 5)
ENTRY_CLAIMS = """
name: Entry deterrence
players: [Entrant, Incumbent]
parameters: {c: {value: 1, low: -2, high: 2}}
claims:
  - name: the entrant always enters
    every: subgame perfect
    chooses: {entrant: In}
  - name: the entrant enters when accommodating costs the incumbent nothing
    every: subgame perfect
    chooses: {entrant: In}
    values: {c: 0}
  - exists: subgame perfect
    chooses: {incumbent: Fight}
  - name: the incumbent's payoff from accommodating is at most 2
    claim: c <= 2
root:
  decision: entrant
  player: Entrant
  branches:
  - label: Out
    terminal: {Entrant: 0, Incumbent: 2}
  - label: In
    decision: incumbent
    player: Incumbent
    branches:
    - label: Fight
      terminal: {Entrant: -1, Incumbent: -1}
    - label: Accommodate
      terminal: {Entrant: 1, Incumbent: c}
"""


def test_equilibrium_claims_in_check(capsys, tmp_path):
    # By hand: the incumbent accommodates iff c >= -1 (c against -1 for fighting), both at c = -1;
    # the entrant enters iff the incumbent accommodates (1 > 0 > -1).  So "every SPE enters"
    # fails exactly for c in [-2, -1]; an SPE with Fight exists exactly for c in [-2, -1].
    path = tmp_path / "entry.yaml"
    path.write_text(ENTRY_CLAIMS)
    data = json.loads(run(capsys, "check", str(path), "--json")[1])
    by = {c["name"] or c["text"]: c for c in data["claims"]}
    enters = by["the entrant always enters"]
    assert enters["verdict"] == "refuted" and enters["kind"] == "equilibrium"
    assert -2 <= Fraction(enters["counterexample"]["c"]) <= -1
    assert by["the entrant enters when accommodating costs the incumbent nothing"]["verdict"] == "proven"
    fight = by["a subgame perfect equilibrium exists in which incumbent chooses Fight"]
    assert fight["verdict"] == "refuted" and -1 < Fraction(fight["counterexample"]["c"]) <= 2
    assert (
        by["the incumbent's payoff from accommodating is at most 2"]["verdict"] == "proven"
    )  # an ordinary claim beside them
    status, out, _ = run(capsys, "check", str(path), "--strict")
    assert status == 1
    assert "the entrant always enters: REFUTED" in out
    assert "  claim: in every subgame perfect equilibrium, entrant chooses In" in out
    assert "  assuming: c = 0" in out
    assert out.rstrip().endswith("2 proven, 2 refuted, 0 undecided")


def test_equilibrium_claims_through_the_library(tmp_path):
    from evtree.claims import check, check_claims

    path = tmp_path / "entry.yaml"
    path.write_text(ENTRY_CLAIMS)
    tree = read_tree(path)
    report = check_claims(tree)
    assert [r.verdict for r in report] == ["refuted", "proven", "refuted", "proven"]
    assert report["the entrant always enters"].verdict == "refuted"
    frame = report.to_frame()
    assert frame.loc["the entrant always enters", "verdict"] == "refuted"
    assert check(tree, {"exists": "subgame perfect", "chooses": {"entrant": "In"}}).verdict == "refuted"
    one_player = read_tree(KOREA)
    with pytest.raises(ModelError, match="needs a game"):
        check_claims(one_player, [{"every": "subgame perfect", "chooses": {"us_choice": "talks"}}])
