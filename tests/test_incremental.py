"""Incremental net benefit in tornado and one-way sensitivity (issue 16, item 5).

Checked against a second method: the exact incremental net benefit of
``evtree.cea.incremental_net_benefit``, a sympy expression, evaluated at the same points.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import evtree
from evtree.cea import incremental_net_benefit, net_benefit_tree
from evtree.sensitivity import one_way, tornado
from tests.conftest import DATA

S = evtree.symbol


@pytest.fixture(scope="module")
def tree():
    t = evtree.read_tree(DATA / "psa_cea.yaml")
    # give the cost and effect bounds so that the tornado varies them
    t.parameters["c"] = t.parameters["c"].replace(low=0, high=3000)
    t.parameters["e"] = t.parameters["e"].replace(low=0, high=0.1)
    return t


def test_inb_by_hand(tree):
    inb = incremental_net_benefit(tree, {"choose": "new"}, {"choose": "usual care"})
    assert sympy.expand(inb - (S("wtp") * S("e") - S("c"))) == 0  # new costs c and yields e; usual care 0


def test_tornado_of_incremental_net_benefit(tree):
    nb = net_benefit_tree(tree)
    bars = tornado(nb, strategy="choose=new", reference="choose=usual care").frame.set_index("parameter")
    inb = incremental_net_benefit(tree, {"choose": "new"}, {"choose": "usual care"})
    base = {S("c"): 1000, S("e"): sympy.Rational(1, 20), S("wtp"): 20000}
    for name, (lo, hi) in {"c": (0, 3000), "e": (0, sympy.Rational(1, 10)), "wtp": (0, 100000)}.items():
        at_lo = inb.xreplace({**base, S(name): lo})
        at_hi = inb.xreplace({**base, S(name): hi})
        assert bars.loc[name, "at_low"] == pytest.approx(float(at_lo), abs=1e-9)
        assert bars.loc[name, "at_high"] == pytest.approx(float(at_hi), abs=1e-9)
    # at the base case new and usual care tie: 20000 * 0.05 - 1000 = 0
    assert bars["base"].abs().max() == pytest.approx(0, abs=1e-9)


def test_one_way_of_incremental_net_benefit(tree):
    nb = net_benefit_tree(tree)
    sweep = one_way(nb, "wtp", points=11, reference="choose=usual care")
    assert "incremental" in sweep.note
    frame = sweep.frame
    inb = sympy.lambdify(
        S("wtp"),
        incremental_net_benefit(tree, {"choose": "new"}, {"choose": "usual care"}).xreplace(
            {S("c"): 1000, S("e"): sympy.Rational(1, 20)}
        ),
    )
    np.testing.assert_allclose(frame["new"], [inb(w) for w in frame["wtp"]], atol=1e-9)
    np.testing.assert_allclose(frame["usual care"], 0, atol=1e-12)
    # the optimal strategy switches where the INB crosses 0: at the ICER 1000 / 0.05 = 20000
    assert [float(t.exact) for t in sweep.thresholds.thresholds] == [20000.0]


def test_reference_must_be_one_strategy(tree):
    with pytest.raises(evtree.ModelError, match="one strategy"):
        tornado(net_benefit_tree(tree), reference="all")
