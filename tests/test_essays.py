"""The faithful model of the essays (trees/korea_negotiation.yaml), checked against values worked by hand.

At the defaults: the U.S. is indifferent at the table when the belief that the North is sincere is
mu* = (A - v_cheated) / (v_deal - v_cheated) = (-10 + 60) / 160 = 5/16, above the prior 3/10, so the
only equilibrium is semi-separating: the insincere North offers with probability sigma solving
0.3 / (0.3 + 0.7 sigma) = 5/16 (sigma = 33/35), and the U.S. accepts with probability rho solving
40 rho - 10 (1 - rho) = 0 (rho = 1/5). The U.S. gets A - c = -12 at the table and F - c = 18 after a
flout (probability 0.7 * 2/35 = 1/25): -12 * 24/25 + 18/25 = -54/5.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy

import evtree

games = pytest.importorskip("evtree.games")

TREE = Path(__file__).parent.parent / "trees" / "korea_negotiation.yaml"
R = sympy.Rational


@pytest.fixture(scope="module")
def game():
    return evtree.read_tree(TREE)


def test_the_alternatives_at_the_defaults(game):
    from evtree.core.compile import parameter_point

    point = parameter_point(game, method="exact")
    # best with firm allies: max(20, -80, -30) = 20; with soft allies: max(-40, -150, -30) = -30
    assert (point["best_firm"], point["best_soft"]) == (20, -30)
    assert point["alt_no_talks"] == R(1, 2) * 20 + R(1, 2) * -30 == -5
    assert point["alt_after_talks"] == R(2, 5) * 20 + R(3, 5) * -30 == -10


def test_the_equilibrium_at_drezners_reading_is_semi_separating(game):
    (eq,) = games.signalling(game, method="exact")
    assert eq.description.startswith("semi-separating")
    assert eq.profile["north_if_sincere"] == {"offer": 1, "flout": 0}
    assert eq.profile["north_if_insincere"] == {"offer": R(33, 35), "flout": R(2, 35)}
    assert eq.profile["at_the_table"] == {"accept": R(1, 5), "say no": R(4, 5)}
    assert eq.beliefs["at_the_table"]["us_at_table_sincere"] == R(5, 16)
    assert eq.beliefs["after_a_flout"]["us_after_flout_insincere"] == 1
    assert eq.payoffs["US"] == R(-54, 5)
    # the North: sincere offers and gets 30/5 - 10*4/5 = -2; insincere is indifferent at 0
    assert eq.payoffs["North"] == R(3, 10) * (30 * R(1, 5) - 10 * R(4, 5)) + R(7, 10) * 0


@pytest.mark.parametrize(
    ("values", "kind", "us"),
    [
        # Bordone & Chang: A = 0.6*20 + 0.4*(-30) = 0, mu* = 60/160 = 3/8 > 3/10; P(flout) = 1 - p/mu* = 1/5:
        # 0 - 2 + (1/5)(20 - 0) = 2
        ({"q_soft_talks": R(2, 5)}, "semi-separating", R(2)),
        # p = 1/2 >= mu* = 5/16: both offer, the U.S. accepts: 50 - 30 - 2 = 18
        ({"p_sincere": R(1, 2)}, "pooling on offer", R(18)),
    ],
)
def test_other_readings(game, values, kind, us):
    (eq,) = games.signalling(game, values, method="exact")
    assert eq.description.startswith(kind)
    assert eq.payoffs["US"] == us


def test_the_float_solution_agrees_with_the_exact_one(game):
    (exact,) = games.signalling(game, method="exact")
    (approx,) = games.signalling(game, method="float")
    assert float(approx.payoffs["US"]) == pytest.approx(float(exact.payoffs["US"]), rel=1e-12)


def test_the_files_equilibrium_claims(game):
    """The two claims about equilibria in the file, settled by the values worked above.

    At the defaults the one perfect Bayesian equilibrium is semi-separating (the module notes), so
    none pools: refuted, with the defaults as the counterexample.  At p_sincere = 1/2 >= 5/16 both
    types offer and the U.S. accepts (test_other_readings): proven.
    """
    from evtree.claims import check_claims

    claims = [c for c in game.claims if "every" in c or "exists" in c]
    assert len(claims) == 2
    pools, accepts = check_claims(game, claims)
    assert pools.verdict == "refuted"
    assert pools.counterexample["p_sincere"] == R(3, 10) and pools.counterexample["q_soft_talks"] == R(3, 5)
    assert pools.counterexample["v_cheated"] == -60 and pools.counterexample["c_talk"] == 2
    assert "semi-separating" in pools.detail
    assert accepts.verdict == "proven"
