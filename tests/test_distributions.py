"""Distributions: moments worked out by hand, specs by natural parameters or mean and spread, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import evtree
from evtree import _random
from evtree import distributions as dist
from evtree.errors import ModelError, UnknownNameError

N = 200_000


def _sample(spec, n=N, seed=0):
    return dist.parse(spec).sample(np.random.default_rng(seed), n)


# Each case: spec, mean and sd worked out by hand from the textbook formulas.
MOMENTS = [
    # beta(a, b): mean a/(a+b); var ab/((a+b)^2 (a+b+1)) = 16/(100*11)
    pytest.param(dist.beta(2, 8), 0.2, math.sqrt(16 / 1100), id="beta-natural"),
    pytest.param(dist.beta(mean=0.2, sd=0.05), 0.2, 0.05, id="beta-mean-sd"),
    pytest.param(dist.beta(mean=0.7, variance=0.01), 0.7, 0.1, id="beta-mean-variance"),
    # gamma(shape k, scale t): mean k t, sd sqrt(k) t
    pytest.param(dist.gamma(shape=2, rate=0.5), 4.0, math.sqrt(2) * 2, id="gamma-rate"),
    pytest.param(dist.gamma(mean=4, sd=2), 4.0, 2.0, id="gamma-mean-sd"),
    pytest.param(dist.normal(100, 30), 100.0, 30.0, id="normal"),
    pytest.param(dist.normal(1, variance=4), 1.0, 2.0, id="normal-variance"),
    # lognormal(mu, sigma): mean exp(mu + s^2/2); var (exp(s^2) - 1) exp(2 mu + s^2)
    pytest.param(
        dist.lognormal(0, 0.5),
        math.exp(0.125),
        math.sqrt((math.exp(0.25) - 1) * math.exp(0.25)),
        id="lognormal",
    ),
    pytest.param(dist.lognormal(mean=10, sd=5), 10.0, 5.0, id="lognormal-mean-sd"),
    # uniform(a, b): mean (a+b)/2, sd (b-a)/sqrt(12)
    pytest.param(dist.uniform(2, 5), 3.5, 3 / math.sqrt(12), id="uniform"),
    pytest.param(dist.uniform(mean=0, sd=1), 0.0, 1.0, id="uniform-mean-sd"),
    # triangular(a, c, b): mean (a+b+c)/3; var (a²+b²+c²-ab-ac-bc)/18 = (100+2500-500)/18
    pytest.param(dist.triangular(0, 10, 50), 20.0, math.sqrt(2100 / 18), id="triangular"),
    # PERT(a, m, b): mean (a + 4m + b)/6 = 15; var (mean-a)(b-mean)/7 = 15*35/7 = 75
    pytest.param(dist.pert(0, 10, 50), 15.0, math.sqrt(75), id="pert"),
    # empirical: resampling [1, 2, 3, 10]: mean 4, sd sqrt((9+4+1+36)/4)
    pytest.param(dist.empirical([1, 2, 3, 10]), 4.0, math.sqrt(50 / 4), id="empirical"),
]


@pytest.mark.parametrize(("spec", "mean", "sd"), MOMENTS)
def test_sample_moments_match_hand_formulas(spec, mean, sd):
    x = _sample(spec)
    assert x.shape == (N,)
    # Monte Carlo error of the mean is sd/sqrt(N); of the sd, about sd/sqrt(2N) (more for skewed ones).
    assert abs(x.mean() - mean) < 5 * sd / math.sqrt(N)
    assert abs(x.std() - sd) < 0.02 * sd
    d = dist.parse(spec)
    assert d.mean == pytest.approx(mean, rel=1e-9, abs=1e-12)
    assert d.sd == pytest.approx(sd, rel=1e-9)


def test_beta_by_mean_and_sd_gives_hand_computed_alpha_beta():
    # k = m(1-m)/sd² - 1 = 0.16/0.0025 - 1 = 63; alpha = 0.2 k, beta = 0.8 k
    d = dist.parse(dist.beta(mean=0.2, sd=0.05))
    assert d.natural["alpha"] == pytest.approx(12.6)
    assert d.natural["beta"] == pytest.approx(50.4)


def test_dirichlet_moments_and_forms():
    x = _sample({"type": "dirichlet", "alpha": [17, 50, 33]})
    assert x.shape == (N, 3)
    np.testing.assert_allclose(x.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # mean alpha_i/alpha_0; var alpha_i (alpha_0 - alpha_i) / (alpha_0² (alpha_0 + 1))
    a = np.array([17, 50, 33])
    sd = np.sqrt(a * (100 - a) / (100**2 * 101))
    np.testing.assert_allclose(x.mean(axis=0), a / 100, atol=5 * sd.max() / math.sqrt(N))
    np.testing.assert_allclose(x.std(axis=0), sd, rtol=0.02)
    by_mean = dist.parse({"type": "dirichlet", "mean": [0.17, 0.5, 0.33], "concentration": 100})
    assert by_mean.natural["alpha"] == pytest.approx((17, 50, 33))


def test_empirical_weights_and_support():
    x = _sample(dist.empirical([1, 2, 3], weights=[0, 0, 1]), n=100)
    assert (x == 3).all()
    y = _sample(dist.empirical([1.5, 2.5]), n=1000)
    assert set(np.unique(y)) == {1.5, 2.5}


def test_aliases_and_text_numbers():
    assert dist.parse({"type": "log-normal", "mu": 0, "sigma": 1}).kind == "lognormal"
    assert dist.parse({"type": "Beta-PERT", "low": 0, "mode": "1/2", "high": 1}).natural["mode"] == 0.5


ERRORS = [
    ({"type": "normal", "mean": 0, "variance": -1}, "negative variance"),
    ({"type": "gamma", "mean": 3, "variance": -0.5}, "negative variance"),
    ({"type": "normal", "mean": 0, "sd": -1}, "negative spread"),
    ({"type": "beta", "mean": 1.2, "sd": 0.1}, "mean 1.2 is outside (0, 1)"),
    ({"type": "beta", "mean": 0, "sd": 0.1}, "outside (0, 1)"),
    ({"type": "beta", "mean": 0.5, "sd": 0.5}, "sd must be below"),
    ({"type": "beta", "alpha": 2, "mean": 0.5, "sd": 0.1}, "not a mixture"),
    ({"type": "beta", "alpha": -1, "beta": 2}, "must be positive"),
    ({"type": "beta", "alpha": 2}, "missing 'beta'"),
    ({"type": "gamma", "mean": -2, "sd": 1}, "mean must be positive"),
    ({"type": "gamma", "shape": 2}, "'scale' or 'rate'"),
    ({"type": "lognormal", "mean": 0, "sd": 1}, "mean must be positive"),
    ({"type": "uniform", "low": 3, "high": 1}, "must be below high"),
    ({"type": "triangular", "low": 0, "mode": 5, "high": 2}, "mode 5 is outside"),
    ({"type": "pert", "low": 0, "mode": 1}, "missing 'high'"),
    ({"type": "dirichlet", "alpha": [1, 0, 2]}, "every alpha must be positive"),
    ({"type": "dirichlet", "mean": [0.5, 0.6], "concentration": 10}, "sum to 1.1"),
    ({"type": "empirical", "samples": []}, "empty"),
    ({"type": "normal", "mean": "abc", "sd": 1}, "'mean' must be a number"),
    ({"type": "normal", "mean": 0, "sd": 1, "sdev": 2}, "unknown key 'sdev'"),
    ({"type": "poisson", "mean": 1}, "unknown distribution type 'poisson'"),
    ({"mean": 1}, "needs a 'type'"),
]


@pytest.mark.parametrize(("spec", "message"), ERRORS)
def test_bad_specs_are_refused_with_the_reason(spec, message):
    with pytest.raises(ModelError, match=None) as info:
        dist.parse(spec, field="parameters.p.distribution")
    assert message in str(info.value)
    assert "field 'parameters.p.distribution'" in str(info.value)


def test_builders_check_their_arguments():
    with pytest.raises(ModelError, match="negative variance"):
        dist.normal(0, variance=-2)
    with pytest.raises(ModelError, match="outside"):
        dist.beta(mean=2, sd=0.1)


# -- distributions on trees --------------------------------------------------------------------


def _plain_korea():
    """The essays' tree without any distributions (whatever the reference file carries)."""
    tree = evtree.library.korea_talks()
    for name, p in list(tree.parameters.items()):
        tree.parameters[name] = p.replace(distribution=None)
    tree.distributions = []
    return tree


def _korea_with(parameters=None, joint=()):
    tree = _plain_korea()
    for name, spec in (parameters or {}).items():
        tree.parameters[name] = tree.parameters[name].replace(distribution=spec)
    tree.distributions = list(joint)
    return tree


def test_error_names_the_parameter():
    tree = _korea_with({"p_flout": {"type": "beta", "mean": 1.5, "sd": 0.1}})
    with pytest.raises(ModelError) as info:
        dist.tree_sources(tree)
    assert str(info.value) == "field 'parameters.p_flout.distribution': beta: the mean 1.5 is outside (0, 1)"


def test_dirichlet_must_match_the_nodes_branches():
    tree = _korea_with(joint=[dist.dirichlet([1, 2], node="north_response")])
    with pytest.raises(ModelError) as info:
        dist.tree_sources(tree)
    text = str(info.value)
    assert "node 'us_choice/talks'" in text
    assert "field 'distributions[0]'" in text
    assert "2 components but the node has 3 branches" in text


@pytest.mark.parametrize(
    ("spec", "message", "error"),
    [
        (
            dist.dirichlet([1, 1], node="after_flouts"),
            "needs a chance node, but this is a decision node",
            ModelError,
        ),
        (dist.dirichlet([1, 1, 1], node="nowhere"), "no node is named 'nowhere'", UnknownNameError),
        (
            dist.dirichlet({"complies": 1, "flouts": 1, "gives up": 1}, node="north_response"),
            "do not match the node's branches",
            ModelError,
        ),
        ({"type": "beta", "alpha": 1, "beta": 1, "node": "north_response"}, "must be Dirichlets", ModelError),
        ({"type": "dirichlet", "alpha": [1, 1, 1]}, "needs 'node'", ModelError),
    ],
)
def test_bad_joint_distributions(spec, message, error):
    with pytest.raises(error) as info:
        dist.tree_sources(_korea_with(joint=[spec]))
    assert message in str(info.value)


def test_a_node_gets_one_dirichlet_and_parameters_none():
    twice = [
        dist.dirichlet([1, 1, 1], node="north_response"),
        dist.dirichlet([2, 2, 2], node="north_response"),
    ]
    with pytest.raises(ModelError, match="already has a Dirichlet"):
        dist.tree_sources(_korea_with(joint=twice))
    with pytest.raises(ModelError, match="joint distribution"):
        dist.tree_sources(_korea_with({"p_flout": {"type": "dirichlet", "alpha": [1, 1]}}))


def test_dirichlet_by_label_maps_components_to_branches():
    # alpha given by label, in another order than the branches (complies, flouts, allies defect)
    spec = dist.dirichlet({"flouts": 50, "allies defect": 25, "complies": 25}, node="north_response")
    (src,) = dist.tree_sources(_korea_with(joint=[spec]))
    assert src.columns == (
        "north_response[flouts]",
        "north_response[allies defect]",
        "north_response[complies]",
    )
    assert src.orders == ((2, 0, 1),)  # branch complies takes column 2, flouts 0, allies defect 1


def test_shared_dirichlet_over_two_nodes(texaco):
    texaco.distributions = [
        dist.dirichlet([20, 50, 30], nodes=["court_after_refusal", "court_after_counter"])
    ]
    (src,) = dist.tree_sources(texaco)
    assert [n.name for n in src.nodes] == ["court_after_refusal", "court_after_counter"]
    assert src.name == "court_after_refusal"


def test_distributions_survive_a_file_round_trip(tmp_path):
    tree = dist.with_distributions(
        _plain_korea(),
        {"v_deal": dist.pert(0, 100, 200), "c_talk": dist.gamma(mean=2, sd=1)},
        joint=[dist.dirichlet(mean=[0.25, 0.5, 0.25], concentration=20, node="north_response")],
    )
    path = tmp_path / "k.yaml"
    evtree.write_tree(tree, path)
    back = evtree.read_tree(path)
    assert back.parameters["v_deal"].distribution == {"type": "pert", "low": 0, "mode": 100, "high": 200}
    assert back.distributions == tree.distributions
    assert [s.name for s in dist.tree_sources(back)] == ["c_talk", "v_deal", "north_response"]


# -- seeds -----------------------------------------------------------------------------------


def test_seed_normalisation():
    assert _random.seed_sequence(5).entropy == 5
    fresh = _random.seed_sequence(None)
    assert _random.seed_sequence(fresh) is fresh
    g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
    assert _random.seed_sequence(g1).entropy == _random.seed_sequence(g2).entropy
    for bad in (1.5, True, "3"):
        with pytest.raises(TypeError):
            _random.seed_sequence(bad)
    with pytest.raises(ValueError, match="non-negative"):
        _random.seed_sequence(-1)


def test_keyed_streams_are_reproducible_and_distinct():
    seq = _random.seed_sequence(11)
    a = _random.stream(seq, 0, 3).random(5)
    np.testing.assert_array_equal(a, _random.stream(_random.seed_sequence(11), 0, 3).random(5))
    assert not np.array_equal(a, _random.stream(seq, 0, 4).random(5))
    assert not np.array_equal(a, _random.stream(seq, 1, 3).random(5))
    # a stream is a SeedSequence child: the same as spawning
    child = np.random.SeedSequence(11).spawn(1)[0]
    np.testing.assert_array_equal(
        _random.stream(seq, 0).random(3), np.random.Generator(np.random.PCG64(child)).random(3)
    )
