"""``evtree solve``, equilibrium claims, and the games' display."""

from __future__ import annotations

import json

import pytest
import sympy

import evtree
from evtree.cli.main import main
from evtree.games import check_equilibrium_claim, examples

ENTRY = """
name: Entry deterrence
players: [Entrant, Incumbent]
parameters: {c: {value: 1, low: -2, high: 2}}
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


@pytest.fixture
def entry(tmp_path):
    path = tmp_path / "entry.yaml"
    path.write_text(ENTRY)
    return path


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_solve_json_keys(entry, capsys) -> None:
    data = _json(capsys, ["solve", str(entry), "--json"])
    (eq,) = data["equilibria"]
    assert set(eq) >= {"kind", "profile", "payoffs"}
    assert eq["kind"] == "subgame perfect"
    assert eq["profile"] == {"entrant": {"Out": 0, "In": 1}, "incumbent": {"Fight": 0, "Accommodate": 1}}
    assert eq["payoffs"] == {"Entrant": 1.0, "Incumbent": 1.0}


def test_solve_exact_and_symbolic_give_strings(entry, capsys) -> None:
    data = _json(capsys, ["solve", str(entry), "--exact", "--set", "c=-1", "--json"])
    # c = -1: the incumbent is indifferent; two SPE (by hand: Out/Fight pays (0, 2), In/Accommodate (1, -1))
    pays = sorted((e["payoffs"]["Entrant"], e["payoffs"]["Incumbent"]) for e in data["equilibria"])
    assert pays == [("0", "2"), ("1", "-1")]
    data = _json(capsys, ["solve", str(entry), "--symbolic", "--json"])
    assert data["equilibria"][0]["payoffs"] == {"Entrant": "1", "Incumbent": "c"}
    assert data["equilibria"][0]["conditions"] == "c + 1 >= 0"


def test_solve_signalling_and_nash_from_files(tmp_path, capsys) -> None:
    evtree.write_tree(examples.beer_quiche(), tmp_path / "bq.yaml")
    data = _json(capsys, ["solve", str(tmp_path / "bq.yaml"), "--exact", "--json"])
    assert [e["kind"] for e in data["equilibria"]] == ["perfect bayesian"] * 2
    assert data["equilibria"][0]["beliefs"]["after_Beer"] == {"r_weak_beer": "1/10", "r_strong_beer": "9/10"}
    assert data["equilibria"][0]["description"] == "pooling on Beer"
    evtree.write_tree(examples.matching_pennies(), tmp_path / "mp.efg")
    data = _json(capsys, ["solve", str(tmp_path / "mp.efg"), "--exact", "--json"])
    (eq,) = data["equilibria"]
    assert eq["kind"] == "nash" and eq["profile"]["P2"] == {"H": "1/2", "T": "1/2"}
    assert "enummixed" in data["method"]


def test_solve_text_and_errors(entry, tmp_path, capsys) -> None:
    assert main(["solve", str(entry)]) == 0
    out = capsys.readouterr().out
    assert "subgame perfect" in out and "incumbent: Accommodate" in out
    plain = tmp_path / "plain.yaml"
    evtree.write_tree(evtree.library.texaco_pennzoil(), plain)
    assert main(["solve", str(plain)]) == 2
    assert "declares no players" in capsys.readouterr().err


def test_show_marks_players(entry, capsys) -> None:
    assert main(["show", str(entry)]) == 0
    out = capsys.readouterr().out
    assert "entrant (Entrant)" in out and "incumbent (Incumbent)" in out
    assert "{Entrant: 1, Incumbent: c}" in out
    bq = evtree.render.render_text(examples.beer_quiche())
    assert "r_weak_beer (Receiver, information set after_Beer)" in bq


def test_claim_every_spe_one_parameter_exact() -> None:
    """The incumbent accommodates iff c >= -1 (by hand); so 'every SPE enters' fails for c < -1."""
    tree = evtree.read_tree(ENTRY)
    res = check_equilibrium_claim(tree, {"every": "subgame perfect", "chooses": {"entrant": "In"}})
    assert res.verdict == "refuted"
    assert res.counterexample["c"] < -1
    res = check_equilibrium_claim(tree, {"every": "subgame perfect", "chooses": {"entrant": "In"}}, {"c": 1})
    assert res.verdict == "proven"
    narrow = tree.with_parameters(c=1)
    narrow.parameters["c"] = narrow.parameters["c"].replace(low=0, high=2)
    res = check_equilibrium_claim(narrow, {"every": "subgame perfect", "chooses": {"entrant": "In"}})
    assert res.verdict == "proven" and "exact" in res.method


def test_claim_signalling_exists() -> None:
    """Pooling PBE exist iff p_weak <= 1/2 (Cho-Kreps / Gibbons): refuted above 1/2."""
    res = check_equilibrium_claim(examples.beer_quiche(), {"exists": "pooling"})
    assert res.verdict == "refuted" and res.counterexample["p_weak"] > sympy.Rational(1, 2)
    res = check_equilibrium_claim(examples.beer_quiche(), {"exists": "perfect bayesian"})
    assert res.verdict == "undecided"
    res = check_equilibrium_claim(examples.beer_quiche(), {"exists": "separating"}, {"p_weak": "1/10"})
    assert res.verdict == "refuted"


def test_claim_errors() -> None:
    with pytest.raises(evtree.ModelError, match="'every' or 'exists'"):
        check_equilibrium_claim(examples.entry_deterrence(), {"all": "nash"})
    with pytest.raises(evtree.ModelError, match="unknown equilibrium kind"):
        check_equilibrium_claim(examples.entry_deterrence(), {"exists": "correlated"})
    with pytest.raises(evtree.ModelError, match="no information set"):
        check_equilibrium_claim(examples.entry_deterrence(), {"every": "nash", "chooses": {"nobody": "x"}})
