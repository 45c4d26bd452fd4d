"""Correlated and bounded draws in PSA: joint normal, Gaussian-copula rank correlation, truncation.

Checks against theory: for a joint normal with sd 2 and 1 and correlation -0.4,
x + y has variance 4 + 1 + 2(-0.4)(2)(1) = 3.4; a standard normal truncated to
[0, inf) has mean sqrt(2/pi); a Gaussian copula with Spearman correlation r
(underlying normal correlation 2 sin(pi r / 6)) realises r and keeps each marginal.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from evtree import Branch, Decision, DecisionTree, Parameter, Terminal
from evtree import distributions as dist
from evtree.core.errors import ModelError
from evtree.formats.native import read_tree, write_tree
from evtree.psa import psa


def _tree(px, py, correlation=None):
    t = DecisionTree(
        Decision("d", [Branch("a", Terminal("x + y")), Branch("b", Terminal(1))]),
        parameters=[px, py],
    )
    if correlation is not None:
        t.distributions = [correlation]
    return t


def test_joint_normal_gives_the_theoretical_spread():
    t = _tree(
        Parameter("x", 1, distribution=dist.normal(1, 2)),
        Parameter("y", 0, distribution=dist.normal(0, 1)),
        dist.correlation(["x", "y"], -0.4, method="normal"),
    )
    r = psa(t, draws=40_000, seed=5)
    a = r.values[r.strategies.index("a")]
    assert a.mean() == pytest.approx(1.0, abs=0.03)
    assert a.std() == pytest.approx(math.sqrt(3.4), rel=0.02)
    c = r.correlations
    assert list(c["method"]) == ["normal"] and c["asked"].iloc[0] == -0.4
    assert c["realised"].iloc[0] == pytest.approx(-0.4, abs=0.02)


def test_rank_correlation_keeps_the_marginals():
    t = _tree(
        Parameter("x", 1, distribution=dist.gamma(mean=1, sd=1)),
        Parameter("y", 0.5, distribution=dist.beta(mean=0.5, sd=0.2)),
        dist.correlation(["x", "y"], 0.7),
    )
    r = psa(t, draws=20_000, seed=2)
    x, y = np.asarray(r.inputs["x"]), np.asarray(r.inputs["y"])
    assert stats.spearmanr(x, y)[0] == pytest.approx(0.7, abs=0.02)
    assert r.correlations["realised"].iloc[0] == pytest.approx(stats.spearmanr(x, y)[0])
    # each marginal is still the distribution given (Kolmogorov-Smirnov, generous level)
    assert stats.kstest(x, "gamma", args=(1.0, 0, 1.0)).pvalue > 1e-3
    a, b = (
        dist.parse(dist.beta(mean=0.5, sd=0.2)).natural["alpha"],
        dist.parse(dist.beta(mean=0.5, sd=0.2)).natural["beta"],
    )
    assert stats.kstest(y, "beta", args=(a, b)).pvalue > 1e-3
    # the same seed gives the same draws
    again = psa(t, draws=20_000, seed=2)
    np.testing.assert_array_equal(np.asarray(again.inputs["x"]), x)


def test_truncation_at_the_bounds():
    t = _tree(
        Parameter("x", 0.5, low=0, high=None, distribution={**dist.normal(0, 1), "truncate": True}),
        Parameter("y", 0, distribution=dist.normal(0, 1)),
    )
    r = psa(t, draws=40_000, seed=3)
    x = np.asarray(r.inputs["x"])
    assert x.min() >= 0
    assert x.mean() == pytest.approx(math.sqrt(2 / math.pi), abs=0.015)
    # truncated and correlated together
    t.parameters["x"] = Parameter(
        "x", 0.5, low=0, high=1, distribution={**dist.normal(0, 1), "truncate": True}
    )
    t.distributions = [dist.correlation(["x", "y"], 0.5)]
    r = psa(t, draws=5_000, seed=4)
    x = np.asarray(r.inputs["x"])
    assert 0 <= x.min() and x.max() <= 1
    assert r.correlations["realised"].iloc[0] == pytest.approx(0.5, abs=0.05)


def test_bad_specs_are_refused():
    px = Parameter("x", 1, distribution=dist.gamma(mean=1, sd=1))
    py = Parameter("y", 0, distribution=dist.normal(0, 1))
    with pytest.raises(ModelError, match="joint normal needs normal distributions"):
        psa(_tree(px, py, dist.correlation(["x", "y"], 0.3, method="normal")), draws=10, seed=1)
    with pytest.raises(ModelError, match="not positive definite"):
        bad = dist.correlation(["x", "y", "x2"], [[1, 0.99, -0.99], [0.99, 1, 0.99], [-0.99, 0.99, 1]])
        t = _tree(px, py, bad)
        t.parameters["x2"] = Parameter("x2", 0, distribution=dist.normal(0, 1))
        psa(t, draws=10, seed=1)
    with pytest.raises(ModelError, match="'z' has no distribution"):
        psa(_tree(px, py, dist.correlation(["x", "z"], 0.3)), draws=10, seed=1)
    with pytest.raises(ModelError, match="no bounds to truncate at"):
        psa(
            _tree(Parameter("x", 1, distribution={**dist.normal(0, 1), "truncate": True}), py),
            draws=10,
            seed=1,
        )


def test_round_trip_in_files():
    t = _tree(
        Parameter("x", 0.5, low=0, high=1, distribution={**dist.normal(0, 1), "truncate": True}),
        Parameter("y", 0, distribution=dist.normal(0, 1)),
        dist.correlation(["x", "y"], 0.5),
    )
    again = read_tree(write_tree(t))
    assert again == t
    np.testing.assert_array_equal(psa(again, draws=100, seed=1).values, psa(t, draws=100, seed=1).values)
