"""PSA over two criteria: CE-plane draws, acceptability curves and frontier, EVPI and EVPPI by WTP.

tests/data/psa_cea.yaml has closed forms (normal cost and effect increments; see the
file's header): CEAC = Phi(m/s), EVPI = m Phi(m/s) + s phi(m/s) - max(m, 0).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evtree
from evtree.psa import CEACurves, cost_effect_psa, evppi, psa

DATA = Path(__file__).parent / "data"


def _phi(x):
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _Phi(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _closed_form(w, s=None):
    m = 0.05 * w - 1000
    s = math.hypot(0.02 * w, 500) if s is None else s
    return _Phi(m / s), m * _Phi(m / s) + s * _phi(m / s) - max(m, 0)


@pytest.fixture(scope="module")
def tree():
    return evtree.read_tree(DATA / "psa_cea.yaml")


@pytest.fixture(scope="module")
def result(tree):
    return cost_effect_psa(tree, draws=200_000, seed=7, progress=False)


def test_means_and_draws(result):
    assert result.strategies == ("usual care", "new")
    assert result.costs.shape == result.effects.shape == (2, 200_000)
    # standard errors 500/sqrt(2e5) = 1.1 and 0.02/sqrt(2e5) = 4.5e-5: 5 se
    assert result.mean_cost[1] == pytest.approx(1000, abs=5.6)
    assert result.mean_effect[1] == pytest.approx(0.05, abs=2.3e-4)
    assert (result.costs[0] == 0).all() and (result.effects[0] == 0).all()
    icers = result.icers()
    assert icers.frontier == ("usual care", "new")
    assert icers.icer("new") == pytest.approx(20000, rel=0.01)


@pytest.mark.parametrize("w", [0, 10_000, 20_000, 40_000, 100_000])
def test_acceptability_and_evpi_against_closed_form(result, w):
    curves = result.acceptability([w])
    assert isinstance(curves, CEACurves)
    p_new, evpi = _closed_form(w)
    # binomial se <= 0.5/sqrt(2e5) = 0.0011
    assert curves.probability[1, 0] == pytest.approx(p_new, abs=0.006)
    assert curves.probability[:, 0].sum() == pytest.approx(1)
    assert curves.evpi[0] == pytest.approx(evpi, rel=0.03, abs=0.5)
    expected_best = "new" if 0.05 * w > 1000 else "usual care"
    if w != 20_000:  # at 20000 the two means tie (up to noise)
        assert curves.frontier_strategy[0] == expected_best
        assert curves.frontier_probability[0] == pytest.approx(max(p_new, 1 - p_new), abs=0.006)


def test_curve_table_and_monotone_ceac(result):
    grid = np.linspace(0, 100_000, 101)
    curves = result.acceptability(grid)
    frame = curves.to_frame()
    assert list(frame.columns) == ["usual care", "new", "frontier", "frontier_probability", "evpi"]
    assert len(frame) == 101
    # CEAC of "new" is increasing in w for this model (closed form Phi(m/s) increases)
    assert (np.diff(curves.probability[1]) >= -0.003).all()
    # the frontier switches near the ICER of the means (20000)
    switch = grid[[i for i, s in enumerate(curves.frontier_strategy) if s == "new"][0]]
    assert 19_000 <= switch <= 21_000


def test_at_wtp_is_the_psa_of_net_benefit(tree, result):
    """Same seed, same draws: psa() of the tree's net-benefit objective (wtp = 20000) agrees exactly."""
    direct = psa(tree, draws=200_000, seed=7, progress=False)
    nmb = result.at_wtp(20_000)
    np.testing.assert_allclose(nmb.values, direct.values, rtol=1e-12, atol=1e-9)
    assert nmb.evpi == pytest.approx(result.evpi(20_000))


def test_evppi_at_a_wtp_against_closed_form(result):
    w = 40_000
    _, expected = _closed_form(w, s=0.02 * w)  # learning e: E[D | e] = w e - 1000
    r = result.evppi("e", w)
    assert r.value == pytest.approx(expected, rel=0.05)
    r_c = result.evppi("c", w)  # learning c: s = 500
    assert r_c.value == pytest.approx(_closed_form(w, s=500)[1], rel=0.1, abs=1.0)


def test_errors(tree):
    with pytest.raises(ValueError, match=">= 0"):
        cost_effect_psa(tree, draws=10, seed=1, progress=False).acceptability([-1])
    with pytest.raises(evtree.ModelError, match="declares criteria"):
        cost_effect_psa(evtree.read_tree(DATA / "psa_evppi.yaml"), draws=10, seed=1, progress=False)


def test_evppi_nested_on_the_net_benefit_tree(result):
    """The nested method runs on the net-benefit view of the tree (upward bias O(1/inner))."""
    w = 40_000
    r = evppi(result.at_wtp(w), "e", method="nested", outer=400, inner=400, progress=False)
    _, expected = _closed_form(w, s=0.02 * w)
    assert abs(r.value - expected) < 4 * r.se + 5


# ------------------------------------------------------------------ command line
def test_cli_psa_and_evppi_accept_wtp(capsys):
    import json

    from evtree.cli.main import main

    path = str(DATA / "psa_cea.yaml")
    args = ["--draws", "100000", "--seed", "3", "--no-progress", "--json"]
    assert main(["psa", path, *args, "--wtp", "10000", "40000"]) == 0
    data = json.loads(capsys.readouterr().out)
    ce = data["cost_effectiveness"]
    assert ce["wtp"] == [10000.0, 40000.0]
    p10, evpi10 = _closed_form(10_000)
    p40, evpi40 = _closed_form(40_000)
    assert ce["acceptability"]["new"] == pytest.approx([p10, p40], abs=0.008)
    assert ce["frontier"] == ["usual care", "new"]
    assert ce["evpi"] == pytest.approx([evpi10, evpi40], rel=0.05)
    assert data["evpi"] == pytest.approx(evpi10, rel=0.05)  # the PSA shown is net benefit at 10000
    assert main(["evppi", path, *args, "--wtp", "40000", "--params", "e"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["evppi"][0]["value"] == pytest.approx(_closed_form(40_000, s=800)[1], rel=0.06)
    assert main(["psa", path, "--draws", "10", "--wtp", "-1"]) == 2
    assert "negative" in capsys.readouterr().err


def test_net_benefit_target_for_sensitivity():
    """INB as an expression: at the defaults it is wtp * dE - dC with the hand-worked arms."""
    from test_criteria import CAFF, SUMA

    from evtree.cea import incremental_net_benefit, net_benefit_tree
    from evtree.sensitivity import one_way

    tree = evtree.read_tree(DATA / "sumatriptan.yaml")
    inb = incremental_net_benefit(tree, {"drug": "sumatriptan"}, {"drug": "caffeine-ergotamine"}, 25_000)
    at = {evtree.symbol(k): p.exact for k, p in tree.parameters.items()}
    assert inb.xreplace(at) == 25_000 * (SUMA[1] - CAFF[1]) - (SUMA[0] - CAFF[0])
    nb = net_benefit_tree(tree, "wtp")
    sweep = one_way(nb, "wtp", points=3)
    frame = sweep.to_frame()
    assert len(frame) >= 3
    assert evtree.evaluate(nb, {"wtp": 10_000}).policy["drug"] == "caffeine-ergotamine"


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-5, 5), st.integers(-5, 5), st.integers(-5, 5), st.integers(-5, 5)),
        min_size=1,
        max_size=40,
    ),
    st.lists(st.integers(0, 6), min_size=5, max_size=12),
)
def test_two_strategy_fast_path_equals_the_loop(rows, grid):
    """Sorted thresholds and prefix sums give the per-WTP loop's numbers, ties included."""
    from evtree.psa.cea import CostEffectPSA

    arr = np.array(rows, dtype=float).T
    r = CostEffectPSA(
        tree=None,
        method="test",
        n_draws=arr.shape[1],
        seed=None,
        strategies=("a", "b"),
        policies=({}, {}),
        costs=arr[:2],
        effects=arr[2:],
        inputs=None,
        columns={},
        fixed={},
    )
    g = np.array(sorted(grid), dtype=float)
    fast, slow = r._two_strategy_curves(g), r._curves(g)
    np.testing.assert_array_equal(fast[0], slow[0])
    np.testing.assert_allclose(fast[1], slow[1], rtol=1e-12, atol=1e-12)
