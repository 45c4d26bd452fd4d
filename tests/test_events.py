"""Shared events: one uncertainty met in several places (``event: NAME`` on chance nodes).

The test-or-treat tree: prevalence 3/10; treating costs 7500 whether or not the
patient is ill; an untreated disease costs 20000; a test (cost 300, sensitivity
9/10, specificity 19/20) can come first.  The disease appears in six places:
under treat, under wait, and under each of treat/wait after each test result
(with the posteriors).  Worked by hand:

    P(pos) = 3/10 * 9/10 + 7/10 * 1/20 = 27/100 + 7/200 = 61/200 (0.305)
    P(disease | pos) = (27/100) / (61/200) = 54/61;  P(disease | neg) = (3/100) / (139/200) = 6/139
    after pos: treat -7500 against wait -20000 * 54/61 = -17705: treat
    after neg: treat -7500 against wait -20000 * 6/139 = -863: wait
    EV(test)  = 61/200 * -7500 + 139/200 * (-20000 * 6/139) - 300 = -2287.5 - 600 - 300 = -3187.5
    EV(treat) = -7500;  EV(wait) = 3/10 * -20000 = -6000;  so test, EV = -3187.5

EVPI of the disease (every copy known before deciding): with the disease treat
(-7500), without it wait (0): 3/10 * -7500 + 7/10 * 0 = -2250, so
EVPI = -2250 - (-3187.5) = 937.5.

Clairvoyance on the copy under "wait" alone treats the other copies as other,
independent events: if it says "disease", waiting costs 20000, and the best of
treat (-7500) and test (-3187.5, its own copies still uncertain) is -3187.5; if
it says "healthy", waiting costs 0.  3/10 * -3187.5 + 7/10 * 0 = -956.25, and
-956.25 - (-3187.5) = 2231.25: a plausible but wrong EVPI of the disease.
"""

from __future__ import annotations

import json
import warnings
from fractions import Fraction

import numpy as np
import pytest
import sympy

from evtree import Branch, Chance, Decision, DecisionTree, Terminal, evaluate, voi
from evtree.core.errors import ModelError, ModelWarning, UnknownNameError, ValidationError
from evtree.formats.native import read_tree, write_tree


def disease(name, p_yes, ill, healthy):
    return Chance(
        name,
        [
            Branch("yes", Terminal(ill), probability=p_yes),
            Branch("no", Terminal(healthy), probability="rest"),
        ],
        event="disease",
    )


def tt_tree(p_pos="61/200", post_pos="54/61", post_neg="6/139"):
    def after(result, post):
        return Decision(
            f"after_{result}",
            [
                Branch("treat", disease(f"disease_{result}_t", post, -7500, -7500)),
                Branch("wait", disease(f"disease_{result}_w", post, -20000, 0)),
            ],
        )

    return DecisionTree(
        Decision(
            "plan",
            [
                Branch("treat", disease("disease_t", "3/10", -7500, -7500)),
                Branch("wait", disease("disease_w", "3/10", -20000, 0)),
                Branch(
                    "test",
                    Chance(
                        "result",
                        [
                            Branch("pos", after("pos", post_pos), probability=p_pos),
                            Branch("neg", after("neg", post_neg), probability="rest"),
                        ],
                    ),
                    payoff=-300,
                ),
            ],
        )
    )


def test_the_tree_values_by_hand():
    r = evaluate(tt_tree(), method="exact")
    assert r.value == sympy.Rational(-6375, 2)
    assert r.policy["plan"] == "test"
    assert len(tt_tree().events["disease"]) == 6


@pytest.mark.parametrize("key", ["event:disease", "disease", ["event:disease"]])
def test_evpi_of_the_event_treats_every_copy_as_one(key):
    r = voi.evpi(tt_tree(), key, method="exact")
    assert r.value == sympy.Rational(1875, 2)  # 937.5
    assert r.nodes == ("disease",)
    assert voi.evpi(tt_tree(), key).value == pytest.approx(937.5)


def test_evpi_of_one_copy_warns_and_says_how_to_ask_for_the_event():
    with pytest.warns(ModelWarning, match=r"one of 6 copies of event 'disease'.*'event:disease'"):
        r = voi.evpi(tt_tree(), "disease_w", method="exact")
    assert r.value == sympy.Rational(8925, 4)  # 2231.25, the value of that copy alone


def test_listing_every_copy_by_hand_is_the_same_as_the_event():
    tree = tt_tree()
    copies = tuple(n.name for n in tree.events["disease"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert voi.evpi(tree, [copies], method="exact").value == sympy.Rational(1875, 2)


def test_unknown_event_is_refused():
    with pytest.raises(UnknownNameError, match="no chance node declares event 'flu'"):
        voi.evpi(tt_tree(), "event:flu")


def test_copies_must_have_the_same_branches():
    tree = DecisionTree(
        Decision(
            "d",
            [
                Branch(
                    "a",
                    Chance(
                        "x",
                        [
                            Branch("yes", Terminal(1), probability="1/2"),
                            Branch("no", Terminal(0), probability="rest"),
                        ],
                        event="e",
                    ),
                ),
                Branch(
                    "b",
                    Chance(
                        "y",
                        [
                            Branch("yes", Terminal(1), probability="1/2"),
                            Branch("maybe", Terminal(0), probability="rest"),
                        ],
                        event="e",
                    ),
                ),
            ],
        )
    )
    with pytest.raises(ValidationError, match=r"copies of event 'e' must have the same branches"):
        tree.validate()


def test_events_in_files_round_trip(tmp_path):
    tree = tt_tree()
    text = write_tree(tree)
    assert "event: disease" in text
    again = read_tree(text)
    assert again == tree
    assert [n.name for n in again.events["disease"]] == [n.name for n in tree.events["disease"]]
    with pytest.raises(ModelError, match=r"<string>:\d+:\d+.*only a chance node"):
        read_tree("root:\n  decision: d\n  event: e\n  branches:\n    - {label: a, terminal: 1}\n")


def test_cli_voi_node_event(tmp_path, capsys):
    from evtree.cli.main import main

    path = tmp_path / "tt.yaml"
    write_tree(tt_tree(), path)
    assert main(["voi", str(path), "--node", "event:disease", "--exact", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["exact"] == "1875/2"


def _shared_prior_tree():
    """Treat or wait, the disease copy under each with the same prior (no test)."""
    return DecisionTree(
        Decision(
            "plan",
            [
                Branch("treat", disease("disease_t", "3/10", -7500, -7500)),
                Branch("wait", disease("disease_w", "3/10", -20000, 0)),
            ],
        )
    )


def test_a_dirichlet_on_an_event_draws_once_for_every_copy():
    from evtree import distributions as dist
    from evtree.psa import psa

    tree = _shared_prior_tree()
    tree.distributions = [dist.dirichlet({"yes": 3, "no": 7}, node="event:disease")]
    r = psa(tree, draws=500, seed=2)
    p = np.asarray(r.inputs["disease"])[:, 0] if np.ndim(r.inputs["disease"]) == 2 else None
    assert p is not None
    wait = r.values[list(r.strategies).index("wait")]
    np.testing.assert_allclose(wait, -20000 * p)  # the copy under wait got the drawn P(yes)
    treat = r.values[list(r.strategies).index("treat")]
    np.testing.assert_allclose(treat, -7500)
    # naming one copy is the same as naming the event
    tree.distributions = [dist.dirichlet({"yes": 3, "no": 7}, node="disease_w")]
    r2 = psa(tree, draws=500, seed=2)
    np.testing.assert_allclose(r2.values, r.values)


def test_a_dirichlet_refuses_copies_with_different_probabilities():
    from evtree import distributions as dist
    from evtree.psa import psa

    tree = tt_tree()
    tree.distributions = [dist.dirichlet([3, 7], node="event:disease")]
    with pytest.raises(ModelError, match="different probabilities"):
        psa(tree, draws=10, seed=1)


def test_flip_keeps_events_and_refuses_mixed_ones():
    from evtree.bayes import flip

    def sounding(p, event="seismic"):
        return Chance(
            None,
            [Branch("FSS", Terminal(1), probability=p), Branch("USS", Terminal(0), probability="rest")],
            event=event,
        )

    tree = DecisionTree(
        Chance(
            "oil",
            [
                Branch("oil", sounding("3/5"), probability="1/4"),
                Branch("dry", sounding("1/5"), probability="rest"),
            ],
            event="oil",
        )
    )
    flipped = flip(tree, "oil", name="sounding")
    assert flipped.root.event == "seismic"
    assert {n.event for n in flipped.root.children} == {"oil"}
    # Hand: P(FSS) = 1/4*3/5 + 3/4*1/5 = 3/10; P(oil | USS) = (1/4*2/5) / (7/10) = 1/7
    assert flipped.root.branch("FSS").probability == sympy.Rational(3, 10)
    assert flipped.root.branch("USS").branch("oil").probability == sympy.Rational(1, 7)
    mixed = DecisionTree(
        Chance(
            "oil",
            [
                Branch("oil", sounding("3/5"), probability="1/4"),
                Branch("dry", sounding("1/5", "other"), probability="rest"),
            ],
        )
    )
    with pytest.raises(ModelError, match="different events"):
        flip(mixed, "oil")


def test_fraction_check():
    # the hand numbers of the module docstring, once more with fractions
    p_pos = Fraction(3, 10) * Fraction(9, 10) + Fraction(7, 10) * Fraction(1, 20)
    assert p_pos == Fraction(61, 200)
    ev_test = p_pos * -7500 + (1 - p_pos) * (-20000 * Fraction(6, 139)) - 300
    assert ev_test == Fraction(-6375, 2)
    assert Fraction(3, 10) * -7500 - ev_test == Fraction(1875, 2)
    assert Fraction(3, 10) * ev_test - ev_test == Fraction(8925, 4)


def test_evppi_of_an_event_dirichlet_covers_every_copy():
    """The event's one Dirichlet is the only uncertain input, so its EVPPI is the PSA's EVPI."""
    from evtree import distributions as dist
    from evtree.psa import evppi, psa

    tree = _shared_prior_tree()
    tree.distributions = [dist.dirichlet({"yes": 3, "no": 7}, node="event:disease")]
    r = psa(tree, draws=4000, seed=7)
    e = evppi(r, "disease")
    assert e.value == pytest.approx(r.evpi, rel=0.05, abs=1.0)
