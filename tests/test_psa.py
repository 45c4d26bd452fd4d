"""PSA: the compiled evaluator against the float rollback, closed forms, seeds, Dask, EVPPI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.stats import norm
from strategies import trees

import evtree
from evtree import Parameter, evaluate
from evtree import distributions as dist
from evtree.errors import EvaluationError, ModelError, ProbabilityError, UnknownNameError
from evtree.psa import BLOCK, CompiledTree, acceptability, evppi, psa

DATA = Path(__file__).resolve().parent / "data"


def _read(name):
    return evtree.read_tree(DATA / name)


def _materialise(tree, inputs):
    """Return a copy of the tree where each Dirichlet's branches read parameters, and their values.

    This is how one would write the same model for the core rollback by hand: the
    compiled evaluator overrides branch probabilities directly, the rollback reads
    them from parameters.
    """
    copy = tree.copy()
    values = {name: arr for name, arr in inputs.items() if arr.ndim == 1}
    k = 0
    for src in dist.tree_sources(tree):
        if not src.nodes:
            continue
        draws = inputs[src.name]
        for node, order in zip(src.nodes, src.orders):
            twin = copy.node(node.path)
            for j, child in enumerate(twin.children):
                name = f"dirichlet{k}_{j}"
                copy.parameters[name] = Parameter(name, 0.5)
                child.probability = name
                values[name] = draws[:, order[j]]
            k += 1
    copy.distributions = []
    return copy, values


def _assert_matches_rollback(result, tree):
    """Every strategy's value, and the optimum, agree with evaluate() at every draw to 1e-12."""
    variant, values = _materialise(tree, result.inputs)
    for name, policy, row in zip(result.strategies, result.policies, result.values):
        expected = evaluate(variant, values, policy=policy, utility=None).value
        np.testing.assert_allclose(row, expected, rtol=1e-12, atol=1e-12, err_msg=name)
    optimum = evaluate(variant, values, utility=None).value
    np.testing.assert_allclose(result.best_values, optimum, rtol=1e-12, atol=1e-12)


# -- the compiled evaluator agrees with the float rollback -------------------------------------


@pytest.mark.parametrize("name", ["psa_texaco.yaml", "psa_korea.yaml", "psa_evppi.yaml"])
def test_compiled_values_agree_with_float_rollback_at_every_draw(name):
    tree = _read(name)
    result = psa(tree, draws=3000, seed=7, progress=False)
    _assert_matches_rollback(result, tree)


def test_texaco_against_hand_written_closed_form():
    """Clemen's tree in closed form, written independently of evtree, at the drawn inputs."""
    result = psa(_read("psa_texaco.yaml"), draws=5000, seed=3, progress=False)
    d = result.inputs["texaco"]  # accepts 5, refuses, counteroffers 3
    p_high, q_mid = result.inputs["p_high"], result.inputs["q_mid"]
    court = 10.3 * p_high + 5 * (1 - p_high) * q_mid
    expected = {
        "accept 2": np.full(len(court), 2.0),
        "counteroffer 5, accept 3": 5 * d[:, 0] + court * d[:, 1] + 3 * d[:, 2],
        "counteroffer 5, refuse 3": 5 * d[:, 0] + court * (d[:, 1] + d[:, 2]),
    }
    assert result.strategies == tuple(expected)
    for i, v in enumerate(expected.values()):
        np.testing.assert_allclose(result.values[i], v, rtol=1e-12)
    # the draws follow the file: Dirichlet(17, 50, 33) and beta(mean 0.2, sd 0.05)
    np.testing.assert_allclose(d.mean(axis=0), [0.17, 0.5, 0.33], atol=0.004)
    assert abs(p_high.mean() - 0.2) < 0.003


def test_dirichlet_overrides_constant_probabilities(texaco):
    texaco.distributions = [dist.dirichlet([1, 1, 1], node="texaco")]
    result = psa(texaco, draws=2000, seed=1, progress=False)
    _assert_matches_rollback(result, texaco)
    # whatever Texaco does, refusing $3B for court (4.56 > 3) is best, and the counteroffer is
    # worth 5 a + 4.56 (1 - a) >= 4.56 > 2 for any probability a that Texaco accepts $5B
    assert result.probability_optimal.tolist() == [0.0, 0.0, 1.0]


def test_shared_dirichlet_over_two_nodes(texaco):
    texaco.distributions = [
        dist.dirichlet([20, 50, 30], nodes=["court_after_refusal", "court_after_counter"])
    ]
    result = psa(texaco, draws=2000, seed=2, progress=False)
    _assert_matches_rollback(result, texaco)


@given(tree=trees(max_depth=3, with_parameters=True), data=st.data())
def test_random_trees_agree_with_rollback(tree, data):
    n = evtree.count_strategies(tree)
    assume(n <= 40)
    for p in list(tree.parameters.values()):
        tree.parameters[p.name] = p.replace(distribution=dist.normal(float(p.exact), 10))
    chance = tree.chance_nodes
    if chance and data.draw(st.booleans()):
        node = chance[0]
        tree.distributions = [dist.dirichlet([1.0] * len(node.children), node=node.key)]
    assume(dist.tree_sources(tree))
    result = psa(tree, draws=7, seed=data.draw(st.integers(0, 100)), progress=False)
    assert len(result.strategies) == n
    _assert_matches_rollback(result, tree)


# -- results -----------------------------------------------------------------------------------

M, SX, SY = 0.5, 2.0, 1.0  # psa_evppi.yaml: adopt is worth x + y, x ~ N(0.3, 2²), y ~ N(0.2, 1²)


def _normal_loss(m, s):
    """E[max(Z, 0)] - max(E Z, 0) for Z ~ N(m, s²): the normal loss integral."""
    return m * norm.cdf(m / s) + s * norm.pdf(m / s) - max(m, 0.0)


EVPI = _normal_loss(M, math.hypot(SX, SY))  # 0.66427
EVPPI_X = _normal_loss(M, SX)  # 0.57269: E[D | x] = x + 0.2 ~ N(0.5, 2²)
EVPPI_Y = _normal_loss(M, SY)  # 0.19780


def test_closed_form_constants():
    assert (round(EVPI, 5), round(EVPPI_X, 5), round(EVPPI_Y, 5)) == (0.66427, 0.57269, 0.1978)


def test_evpi_probability_optimal_and_losses_against_closed_form():
    n = 200_000
    r = psa(_read("psa_evppi.yaml"), draws=n, seed=11, progress=False)
    assert r.strategies == ("adopt", "wait")
    assert abs(r.evpi - EVPI) < 4 * r.evpi_se
    p = norm.cdf(M / math.hypot(SX, SY))  # P(x + y > 0)
    assert abs(r.probability_optimal[0] - p) < 4 * math.sqrt(p * (1 - p) / n)
    assert r.best == "adopt"
    # expected loss of the best strategy is the EVPI; the other's is E[max(D,0)] - E[0]
    assert r.expected_loss[0] == pytest.approx(r.evpi)
    assert r.expected_loss[1] == pytest.approx(r.best_values.mean())
    frame = r.to_frame()
    assert list(frame.index) == ["adopt", "wait"]
    assert frame.loc["adopt", "mean"] == pytest.approx(M, abs=4 * math.hypot(SX, SY) / math.sqrt(n))
    assert frame.loc["adopt", "sd"] == pytest.approx(math.hypot(SX, SY), rel=0.01)
    assert frame.loc["adopt", "p50"] == pytest.approx(M, abs=0.03)
    assert frame.loc["adopt", "p97.5"] == pytest.approx(M + 1.959964 * math.hypot(SX, SY), abs=0.05)
    assert frame["best"].tolist() == [True, False]


def test_min_objective_mirrors_max():
    tree = _read("psa_evppi.yaml")
    r_max = psa(tree, draws=5000, seed=4, progress=False)
    tree.objective = "min"
    r_min = psa(tree, draws=5000, seed=4, progress=False)
    np.testing.assert_array_equal(r_min.values, r_max.values)
    # minimising x + y against 0 is maximising -(x + y): the loss integral with mean -0.5
    assert r_min.best == "wait"
    flipped = -r_max.values
    assert r_min.evpi == pytest.approx(flipped.max(axis=0).mean() - flipped.mean(axis=1).max())
    assert r_min.probability_optimal[1] == pytest.approx(np.mean(r_max.values[0] > 0))


def test_draws_frame_and_differences():
    r = psa(_read("psa_texaco.yaml"), draws=500, seed=5, progress=False)
    frame = r.draws_frame()
    assert list(frame.columns) == [
        "p_high",
        "q_mid",
        "texaco[accepts 5]",
        "texaco[refuses]",
        "texaco[counteroffers 3]",
    ]
    diffs = r.differences("accept 2")
    np.testing.assert_array_equal(diffs["counteroffer 5, refuse 3"], r.values[2] - 2.0)
    with pytest.raises(UnknownNameError, match="no strategy 'nope'"):
        r.differences("nope")


# -- reproducibility: chunks, blocks, backends --------------------------------------------------


def test_same_seed_same_numbers_whatever_the_chunk_size():
    tree = _read("psa_korea.yaml")
    n = BLOCK + 123  # two canonical blocks, the second partial
    a = psa(tree, draws=n, seed=9, progress=False)
    b = psa(tree, draws=n, seed=9, chunk_size=1000, progress=False)
    c = psa(tree, draws=n, seed=9, chunk_size=7777, keep_draws=False, progress=False)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.values, c.values)
    for k in a.inputs:
        np.testing.assert_array_equal(a.inputs[k], b.inputs[k])
    d = psa(tree, draws=n, seed=10, progress=False)
    assert not np.array_equal(a.values, d.values)


def test_chunk_of_one_draw():
    tree = _read("psa_texaco.yaml")
    a = psa(tree, draws=50, seed=1, progress=False)
    b = psa(tree, draws=50, seed=1, chunk_size=1, progress=False)
    np.testing.assert_array_equal(a.values, b.values)


def test_seed_none_is_recorded_and_repeatable():
    tree = _read("psa_evppi.yaml")
    a = psa(tree, draws=100, progress=False)
    b = psa(tree, draws=100, seed=a.seed.entropy, progress=False)
    np.testing.assert_array_equal(a.values, b.values)


def test_a_new_distribution_leaves_other_draws_alone():
    """Streams are keyed by input name: adding a distribution does not reshuffle the others."""
    tree = _read("psa_texaco.yaml")
    a = psa(tree, draws=300, seed=1, progress=False)
    tree.distributions = []
    b = psa(tree, draws=300, seed=1, progress=False)
    np.testing.assert_array_equal(a.inputs["p_high"], b.inputs["p_high"])


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_dask_gives_identical_results(dask_client):
    tree = _read("psa_korea.yaml")
    n = 2 * BLOCK + 5
    local = psa(tree, draws=n, seed=21, progress=False)
    remote = psa(tree, draws=n, seed=21, client=dask_client, progress=False)
    assert remote.backend == "dask"
    np.testing.assert_array_equal(local.values, remote.values)
    for k in local.inputs:
        np.testing.assert_array_equal(local.inputs[k], remote.inputs[k])
    # backend="dask" finds the current client
    again = psa(tree, draws=n, seed=21, backend="dask", chunk_size=5000, progress=False)
    np.testing.assert_array_equal(local.values, again.values)


def test_dask_acceptability_and_nested_identical(dask_client):
    tree = _read("psa_korea.yaml")
    a = acceptability(tree, "v_deal", [0, 100], draws=3000, seed=2, progress=False)
    b = acceptability(tree, "v_deal", [0, 100], draws=3000, seed=2, client=dask_client, progress=False)
    np.testing.assert_array_equal(a.probability_optimal, b.probability_optimal)
    np.testing.assert_array_equal(a.evpi, b.evpi)
    c = evppi(tree, "v_soft", method="nested", outer=40, inner=50, seed=3, progress=False)
    d = evppi(tree, "v_soft", method="nested", outer=40, inner=50, seed=3, client=dask_client, progress=False)
    assert c.value == d.value


def test_dask_threads_without_a_client(monkeypatch):
    import distributed

    def no_client():
        raise ValueError("no client")

    monkeypatch.setattr(distributed, "get_client", no_client)
    tree = _read("psa_texaco.yaml")
    a = psa(tree, draws=BLOCK + 1, seed=1, progress=False)
    b = psa(tree, draws=BLOCK + 1, seed=1, backend="dask", progress=False)
    np.testing.assert_array_equal(a.values, b.values)


# -- acceptability -----------------------------------------------------------------------------


def _wtp_tree():
    from evtree import Branch, Decision, DecisionTree, Terminal

    return DecisionTree(
        Decision("d", [Branch("treat", Terminal("wtp * effect - 1")), Branch("wait", Terminal(0))]),
        parameters=[
            Parameter("wtp", 2, low=0.5, high=5),
            Parameter("effect", 0.5, distribution=dist.normal(0.5, 0.2)),
        ],
    )


def test_acceptability_against_closed_form():
    n = 40_000
    acc = acceptability(_wtp_tree(), "wtp", 10, draws=n, seed=8, progress=False)
    np.testing.assert_allclose(acc.grid, np.linspace(0.5, 5, 10))
    for g, w in enumerate(acc.grid):
        # treat is optimal when w * effect > 1: P(effect > 1/w), effect ~ N(0.5, 0.2²)
        p = norm.sf((1 / w - 0.5) / 0.2)
        assert abs(acc.probability_optimal[g, 0] - p) <= 4 * math.sqrt(p * (1 - p) / n) + 1e-12
        # value difference w * effect - 1 ~ N(0.5 w - 1, (0.2 w)²)
        assert acc.evpi[g] == pytest.approx(_normal_loss(0.5 * w - 1, 0.2 * w), abs=0.02 * w)
        assert acc.best[g] == ("treat" if 0.5 * w > 1 else "wait")
    frame = acc.to_frame()
    assert list(frame.columns) == ["treat", "wait", "best", "evpi"]


def test_acceptability_uses_the_same_draws_as_psa():
    tree = _read("psa_korea.yaml")
    acc = acceptability(tree, "c_talk", [0, 5], draws=2000, seed=6, progress=False)
    for g, x in enumerate([0, 5]):
        r = psa(tree, draws=2000, seed=6, values={"c_talk": x}, progress=False)
        np.testing.assert_array_equal(acc.probability_optimal[g], r.probability_optimal)
        assert acc.evpi[g] == pytest.approx(r.evpi, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(acc.mean[g], r.mean, rtol=1e-12, atol=1e-12)


def test_acceptability_grid_needs_bounds():
    with pytest.raises(ModelError, match="low and high bounds"):
        acceptability(_read("psa_evppi.yaml"), "x", 5, draws=10, progress=False)


# -- EVPPI -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def evppi_psa():
    return psa(_read("psa_evppi.yaml"), draws=100_000, seed=12, progress=False)


@pytest.mark.parametrize(("group", "exact"), [("x", EVPPI_X), ("y", EVPPI_Y), ("x,y", EVPI)])
def test_evppi_regression_and_nested_agree_with_closed_form(evppi_psa, group, exact):
    reg = evppi(evppi_psa, group, method="regression")
    nested = evppi(evppi_psa, group, method="nested", outer=1500, inner=400, progress=False)
    assert reg.method == "regression" and nested.method == "nested"
    assert abs(reg.value - exact) < 4 * reg.se + 0.005
    # nested is biased upward by about Var(E-inner)/(inner) terms; allow for it within MC error
    assert abs(nested.value - exact) < 4 * nested.se + 0.01
    assert abs(reg.value - nested.value) < 4 * (reg.se + nested.se) + 0.01
    assert reg.value <= evppi_psa.evpi + 1e-12


def test_evppi_of_a_dirichlet_group_and_invariants():
    r = psa(_read("psa_korea.yaml"), draws=20_000, seed=1, progress=False)
    values = {}
    for g in ("north_response", "v_soft", "l_defect", "v_soft,l_defect"):
        e = evppi(r, g)
        assert -1e-12 <= e.value <= r.evpi + 1e-9
        values[g] = e.value
    # learning both after-defect payoffs is worth at least learning either alone
    assert values["v_soft,l_defect"] >= max(values["v_soft"], values["l_defect"]) - 0.05
    assert evppi(r, "v_soft").to_frame().index.tolist() == ["v_soft"]


def test_evppi_regression_on_a_tree_runs_a_psa():
    e = evppi(_read("psa_evppi.yaml"), ["y"], draws=20_000, seed=1, progress=False)
    assert abs(e.value - EVPPI_Y) < 4 * e.se + 0.01


def test_evppi_errors(evppi_psa):
    with pytest.raises(UnknownNameError, match="'z' is not a sampled input"):
        evppi(evppi_psa, "z")
    with pytest.raises(ValueError, match="method"):
        evppi(evppi_psa, "x", method="gp")
    no_draws = psa(_read("psa_evppi.yaml"), draws=100, seed=1, keep_draws=False, progress=False)
    with pytest.raises(EvaluationError, match="keep_draws"):
        evppi(no_draws, "x")


# -- strategies and errors ---------------------------------------------------------------------


def test_named_strategies():
    tree = _read("psa_texaco.yaml")
    chosen = {
        "take 2": {"liedtke": "accept 2"},
        "hold out": {"liedtke": "counteroffer 5", "liedtke_on_3": "refuse 3"},
    }
    r = psa(tree, draws=1000, seed=1, strategies=chosen, progress=False)
    full = psa(tree, draws=1000, seed=1, progress=False)
    assert r.strategies == ("take 2", "hold out")
    np.testing.assert_array_equal(r.values, full.values[[0, 2]])
    with pytest.raises(EvaluationError, match="does not choose at decision 'liedtke_on_3'"):
        psa(tree, draws=10, strategies=[{"liedtke": "counteroffer 5"}], progress=False)
    with pytest.raises(UnknownNameError, match="no branch labelled 'refuse 9'"):
        CompiledTree(tree, [{"liedtke": "counteroffer 5", "liedtke_on_3": "refuse 9"}])


def test_too_many_strategies():
    with pytest.raises(EvaluationError, match="more than 2"):
        CompiledTree(_read("psa_texaco.yaml"), max_strategies=2)


def test_sampled_probabilities_out_of_range_name_node_and_draw(korea):
    # betas on p_flout and p_defect without a Dirichlet: the 'rest' branch can go negative
    korea.distributions = []
    korea.parameters["p_flout"] = korea.parameters["p_flout"].replace(
        distribution=dist.beta(mean=0.5, sd=0.2)
    )
    korea.parameters["p_defect"] = korea.parameters["p_defect"].replace(
        distribution=dist.beta(mean=0.4, sd=0.2)
    )
    with pytest.raises(ProbabilityError) as info:
        psa(korea, draws=1000, seed=1, progress=False)
    text = str(info.value)
    assert text.startswith("node 'us_choice/talks/complies' field 'probability': probability -")
    assert "is outside [0, 1] at draw" in text
    assert "p_flout=" in text and "p_defect=" in text


def test_no_distributions(korea):
    for name, p in list(korea.parameters.items()):
        korea.parameters[name] = p.replace(distribution=None)
    korea.distributions = []
    with pytest.raises(EvaluationError, match="no distributions to draw from"):
        psa(korea, draws=10, progress=False)


def test_non_linear_utility_is_refused():
    tree = _read("psa_evppi.yaml")
    tree.utility = {"type": "exponential", "risk_tolerance": 10}
    with pytest.raises(EvaluationError, match="non-linear utility"):
        psa(tree, draws=10, progress=False)


def test_values_hold_parameters_fixed():
    tree = _read("psa_evppi.yaml")
    r = psa(tree, draws=1000, seed=1, values={"y": "1/2"}, progress=False)
    assert set(r.inputs) == {"x"} and r.fixed == {"y": 0.5}
    np.testing.assert_allclose(r.values[0], r.inputs["x"] + 0.5, rtol=1e-15)
    with pytest.raises(UnknownNameError):
        psa(tree, draws=10, values={"nope": 1}, progress=False)


def test_bad_arguments():
    tree = _read("psa_evppi.yaml")
    for bad in (0, -5, 1.5, True):
        with pytest.raises(ValueError, match="positive integer"):
            psa(tree, draws=bad, progress=False)
    with pytest.raises(ValueError, match="backend"):
        psa(tree, draws=10, backend="spark", progress=False)


def test_progress_bar_can_be_forced_and_silenced(capsys):
    tree = _read("psa_evppi.yaml")
    psa(tree, draws=10, seed=1, progress=True)
    assert "draw" in capsys.readouterr().err
    psa(tree, draws=10, seed=1, progress=False)
    assert capsys.readouterr().err == ""


def test_summary_and_repr():
    r = psa(_read("psa_texaco.yaml"), draws=1000, seed=1, progress=False)
    text = r.summary()
    assert "1,000 draws, seed 1" in text and "EVPI" in text and "counteroffer 5, refuse 3" in text
    assert repr(r).startswith("<PSAResult 1000 draws, 3 strategies")


# -- plots -------------------------------------------------------------------------------------


def test_plots_draw_the_result_numbers():
    import matplotlib.pyplot as plt

    from evtree.plots.psa import plot_acceptability, plot_differences, plot_evpi, psa_figure

    r = psa(_read("psa_korea.yaml"), draws=2000, seed=1, progress=False)
    ax = plot_differences(r, strategies=["no talks"], bins=10)
    heights = sum(p.get_height() for p in ax.patches)
    assert heights == 2000  # every draw lands in one bar
    ax = plot_differences(r, kind="scatter", x="v_deal", strategies=["no talks"])
    xy = ax.collections[0].get_offsets()
    np.testing.assert_array_equal(xy[:, 0], r.inputs["v_deal"])
    np.testing.assert_array_equal(xy[:, 1], r.values[-1] - r.values[r.best_index])
    acc = acceptability(r.tree, "v_deal", [0, 100, 200], draws=2000, seed=1, progress=False)
    ax = plot_acceptability(acc)
    lines = {ln.get_label(): ln.get_ydata() for ln in ax.get_lines()}
    assert set(lines) == {s for i, s in enumerate(acc.strategies) if acc.probability_optimal[:, i].any()}
    for label, y in lines.items():
        np.testing.assert_array_equal(y, acc.probability_optimal[:, acc.strategies.index(label)])
    ax = plot_evpi(acc)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), acc.evpi)
    fig = psa_figure(r, acc)
    assert len(fig.axes) == 3
    plt.close("all")


def test_acceptability_and_cost_effect_psa_refuse_runs_that_do_not_fit_in_memory():
    # Both estimate their arrays before allocating anything: under a 1 MB limit a grid of
    # 10,000 values x 200,000 draws is refused (the kept sums alone are 4 blocks x 10,000
    # values x (2 x 2 strategies + 1) x 8 bytes = 1.6 MB), and so is a cost-effectiveness PSA
    # of 10**6 draws (each strategy's cost and effect at each draw: 2 x 2 x 8 MB).
    from pathlib import Path

    from evtree.core.resources import ResourceLimitError, limited_memory
    from evtree.psa import acceptability, cost_effect_psa

    cea_tree = evtree.read_tree(Path(__file__).parent / "data" / "psa_cea.yaml")
    with limited_memory(10**6):
        with pytest.raises(ResourceLimitError, match="acceptability over 10,000 values"):
            acceptability(_wtp_tree(), "wtp", list(range(10_000)), draws=200_000, progress=False)
        with pytest.raises(ResourceLimitError, match="cost-effectiveness PSA of 1,000,000 draws"):
            cost_effect_psa(cea_tree, draws=10**6, progress=False)
    # within the limit both run
    assert acceptability(_wtp_tree(), "wtp", [1, 2], draws=100, seed=1, progress=False).grid.size == 2
