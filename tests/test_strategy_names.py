"""One way to name a strategy (issue 18): ``decision=label`` pairs, accepted everywhere.

Values are worked out by hand from the reference trees (see tests/test_evaluate.py):
Texaco-Pennzoil's strategies are worth 2, 4.12 and 4.6348 (Clemen).
"""

from __future__ import annotations

import pytest
import sympy
from conftest import TREES

import evtree
from evtree import Branch, Decision, DecisionTree, Terminal
from evtree.cli.main import main
from evtree.core.errors import UnknownNameError
from evtree.core.evaluate import parse_strategy, strategy_name, strategy_names

KOREA = str(TREES / "korea_talks.yaml")
BEST = "us_choice=talks, after_complies=accept, after_flouts=say no, after_defect=accept"


def test_names_are_pairs_of_the_reachable_decisions(texaco):
    assert list(strategy_names(texaco)) == [
        "liedtke=accept 2",
        "liedtke=counteroffer 5, liedtke_on_3=accept 3",
        "liedtke=counteroffer 5, liedtke_on_3=refuse 3",
    ]
    # a decision the strategy does not reach is left out of its name
    assert strategy_name({"liedtke": "accept 2", "liedtke_on_3": "refuse 3"}, texaco) == "liedtke=accept 2"


@pytest.mark.parametrize(
    "spec",
    [
        "liedtke=counteroffer 5, liedtke_on_3=refuse 3",
        "liedtke=counteroffer 5,liedtke_on_3=refuse 3",
        "  liedtke=counteroffer 5 ,  liedtke_on_3=refuse 3 ",
        "counteroffer 5, refuse 3",  # evtree 0.1's name
        "liedtke=counteroffer 5; liedtke_on_3=refuse 3",
        {"liedtke": "counteroffer 5", "liedtke_on_3": "refuse 3"},
    ],
)
def test_every_form_names_the_same_policy(texaco, spec):
    assert parse_strategy(texaco, spec) == {"liedtke": "counteroffer 5", "liedtke_on_3": "refuse 3"}


def test_functions_take_the_name(texaco):
    exact = evtree.evaluate(texaco, method="exact")
    assert exact.strategy_value("liedtke=counteroffer 5, liedtke_on_3=accept 3") == sympy.Rational(103, 25)
    assert evtree.evaluate(texaco, policy="liedtke=accept 2").value == 2
    from evtree.risk import risk_profile

    assert risk_profile(texaco, parse_strategy(texaco, "liedtke=accept 2")).mean == 2


def test_a_partial_strategy_is_completed_only_when_one_fits(texaco):
    assert parse_strategy(texaco, "liedtke_on_3=refuse 3", complete=True) == {
        "liedtke": "counteroffer 5",
        "liedtke_on_3": "refuse 3",
    }
    with pytest.raises(UnknownNameError, match="does not choose at 'liedtke_on_3'"):
        parse_strategy(texaco, "liedtke=counteroffer 5", complete=True)


def test_a_mismatch_suggests_the_nearest_names_one_per_line(texaco):
    with pytest.raises(UnknownNameError) as info:
        parse_strategy(texaco, "liedtke=counteroffer 5, liedtke_on_3=refuse")
    err = info.value
    assert "decision 'liedtke_on_3' has no branch 'refuse'" in str(err)
    assert err.suggestions[0] == "liedtke_on_3=refuse 3"
    assert str(err).splitlines()[1:] == [f"  {s}" for s in err.suggestions]
    with pytest.raises(UnknownNameError) as info:
        parse_strategy(texaco, "counteroffer 5, refuse")
    assert info.value.suggestions[0] == "liedtke=counteroffer 5, liedtke_on_3=refuse 3"
    with pytest.raises(UnknownNameError, match="no decision 'liedtk'"):
        parse_strategy(texaco, "liedtk=accept 2")


def test_the_cli_prints_suggestions_one_per_line(capsys):
    assert main(["risk", KOREA, "--strategy", "us_choice=talks, after_complies=acept"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("evtree risk: error: decision 'after_complies' has no branch 'acept'")
    assert err[1] == "  after_complies=accept"


def test_risk_takes_old_and_new_names(capsys):
    for spec in (BEST, "talks, accept, say no, accept"):
        assert main(["risk", KOREA, "--strategy", spec, "--exact"]) == 0
        out = capsys.readouterr().out
        # talks, accept, say no, accept = -2 + 0.25*100 + 0.5*10 + 0.25*(-30) = 20.5
        assert f"{BEST}: mean 41/2 = 20.5" in out


def test_decisions_named_like_table_columns_do_not_clash():
    tree = DecisionTree(
        Decision(
            "strategy",
            [
                Branch("go", Decision("value", [Branch("hi", Terminal(3)), Branch("lo", Terminal(1))])),
                Branch("stay", Terminal(2)),
            ],
        )
    )
    frame = evtree.evaluate(tree).strategies
    assert list(frame.columns) == ["strategy", "value (decision)", "value", "optimal"]
    assert frame.index.name == "strategy #"
    assert frame["value"].tolist() == [3.0, 1.0, 2.0]
    assert frame["value (decision)"].tolist() == ["hi", "lo", ""]
    assert frame.reset_index().shape == (3, 5)
    assert parse_strategy(tree, "strategy=go, value=lo") == {"strategy": "go", "value": "lo"}


def test_a_full_policy_names_its_reachable_part(texaco):
    # evaluate's policy has every decision, reached or not
    policy = {"liedtke": "accept 2", "liedtke_on_3": "refuse 3"}
    assert parse_strategy(texaco, policy, complete=True) == {"liedtke": "accept 2"}


def test_analyses_take_the_name(texaco):
    from evtree.psa import psa
    from evtree.risk import risk_profile
    from evtree.sensitivity import tornado

    name = "liedtke=counteroffer 5, liedtke_on_3=accept 3"
    assert risk_profile(texaco, name, method="exact").mean == sympy.Rational(103, 25)  # Clemen: 4.12
    korea = evtree.library.korea_talks()
    by_new = tornado(korea, strategy=BEST).frame
    by_old = tornado(korea, strategy="talks, accept, say no, accept").frame
    assert by_new.equals(by_old) and len(by_new) > 0
    from evtree.distributions import dirichlet

    texaco.distributions.append(dirichlet([17, 50, 33], node="texaco"))
    r = psa(texaco, draws=10, seed=1, strategies=[name, "liedtke=accept 2"], progress=False)
    assert [dict(p) for p in r.policies] == [
        {"liedtke": "counteroffer 5", "liedtke_on_3": "accept 3"},
        {"liedtke": "accept 2"},
    ]
