"""Risk profiles and stochastic dominance."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from evtree import evaluate
from evtree.errors import EvaluationError, UnknownNameError
from evtree.library import texaco_pennzoil
from evtree.risk import RiskProfile, dominance, risk_profile
from tests.strategies import trees

R = sympy.Rational


def test_texaco_optimal_risk_profile():
    # Counteroffer, refuse 3: P(5) = .17 + .5*.5 + .33*.5 = .585, P(10.3) = .83*.2 = .166,
    # P(0) = .83*.3 = .249 (REFERENCES.md section 4, computed).
    p = risk_profile(texaco_pennzoil(), method="exact")
    assert p.outcomes == (0, 5, R(103, 10))
    assert p.probabilities == (R(249, 1000), R(585, 1000), R(166, 1000))
    assert p.cumulative == (R(249, 1000), R(834, 1000), 1)
    assert p.mean == R(46348, 10000)
    second = R(585, 1000) * 25 + R(166, 1000) * R(103, 10) ** 2
    assert p.variance == second - p.mean**2
    assert p.policy == {"liedtke": "counteroffer 5", "liedtke_on_3": "refuse 3"}
    assert p.percentiles((10, 30, 90)) == {10: 0, 30: 5, 90: R(103, 10)}
    assert p.cdf(5) == R(834, 1000) and p.cdf(-1) == 0
    frame = p.to_frame()
    assert list(frame.columns) == ["outcome", "probability", "cumulative"]


def test_texaco_strategy_accept_three():
    # Counteroffer, then accept 3: P(0) = .5*.3 = .15, P(3) = .33, P(5) = .17 + .25 = .42,
    # P(10.3) = .1; mean .85 + 2.28 + .99 = 4.12.
    p = risk_profile(texaco_pennzoil(), {"liedtke_on_3": "accept 3"}, method="exact")
    assert p.outcomes == (0, 3, 5, R(103, 10))
    assert p.probabilities == (R(15, 100), R(33, 100), R(42, 100), R(1, 10))
    assert p.mean == R(412, 100)
    flt = risk_profile(texaco_pennzoil(), {"liedtke_on_3": "accept 3"})
    assert flt.mean == pytest.approx(4.12) and flt.std == pytest.approx(float(sympy.sqrt(p.variance)))


def test_dominance_by_hand():
    half = R(1, 2)
    sure = RiskProfile("sure 5", {}, (5,), (1,), "exact")
    gamble = RiskProfile("gamble", {}, (0, 10), (half, half), "exact")
    worse = RiskProfile("worse gamble", {}, (0, 10), (R(3, 5), R(2, 5)), "exact")
    d = dominance(sure, gamble)
    assert not d.first_order and not d.reverse_first_order
    assert d.second_order and not d.reverse_second_order  # same mean, less spread
    assert "second order" in d.verdict
    d = dominance(worse, gamble)
    assert d.reverse_first_order and d.reverse_second_order and not d.first_order
    assert dominance(gamble, gamble).identical
    assert not dominance(gamble, gamble).first_order
    # Smaller is better: the roles reverse.
    cost_low = RiskProfile("low", {}, (0, 10), (R(3, 5), R(2, 5)), "exact", objective="min")
    cost_high = RiskProfile("high", {}, (0, 10), (half, half), "exact", objective="min")
    assert dominance(cost_low, cost_high).first_order


def test_dominance_between_texaco_strategies():
    tree = texaco_pennzoil()
    best = risk_profile(tree, method="exact")
    accept3 = risk_profile(tree, {"liedtke_on_3": "accept 3"}, method="exact")
    accept2 = risk_profile(tree, {"liedtke": "accept 2"}, method="exact")
    # CDFs cross (P(0) .249 > .15 but P(<=5) .834 < .9): no first-order dominance; the means
    # (4.6348 > 4.12) rule out accept-3 dominating to second order, and P(0) rules out the other.
    d = dominance(best, accept3)
    assert not (d.first_order or d.reverse_first_order or d.second_order or d.reverse_second_order)
    # A sure 2 against the gamble: P(0) = .249 > 0, so the gamble does not dominate even to second order.
    d = dominance(best, accept2)
    assert not d.first_order and not d.second_order
    assert "neither" in d.verdict


def test_risk_profile_under_a_utility_uses_the_risk_averse_policy():
    p = risk_profile(texaco_pennzoil(), utility={"type": "exponential", "risk_tolerance": 1})
    assert p.policy == {"liedtke": "accept 2"}
    assert p.outcomes == (2.0,) and p.certainty_equivalent == pytest.approx(2.0)


def test_errors():
    tree = texaco_pennzoil()
    with pytest.raises(EvaluationError, match="float' or 'exact"):
        risk_profile(tree, method="symbolic")
    with pytest.raises(UnknownNameError, match="accept 4"):
        risk_profile(tree, {"liedtke": "accept 4"})
    with pytest.raises(ValueError, match="percentile"):
        risk_profile(tree).percentile(101)


def test_plot(tmp_path):
    from evtree.plots.risk import plot_risk_profiles

    tree = texaco_pennzoil()
    profiles = [risk_profile(tree), risk_profile(tree, {"liedtke": "accept 2"})]
    ax = plot_risk_profiles(profiles)
    assert len(ax.lines) == 2
    ys = ax.lines[0].get_ydata()
    assert ys[0] == 0 and ys[-1] == 1 and list(ys[1:4]) == pytest.approx([0.249, 0.834, 1.0])
    ax = plot_risk_profiles(profiles, cumulative=False)
    ax.figure.savefig(tmp_path / "risk.png")
    assert (tmp_path / "risk.png").stat().st_size > 0


@given(trees(max_depth=3))
def test_profile_mean_is_the_expected_value(tree):
    p = risk_profile(tree, method="exact")
    assert p.mean == evaluate(tree, method="exact", utility=None).value
    assert sum(p.probabilities) == 1
    assert all(q > 0 for q in p.probabilities)
    assert list(p.outcomes) == sorted(p.outcomes)
    assert p.variance >= 0


@given(trees(max_depth=3, objective="max"))
def test_first_order_implies_second_order_and_optimal_is_not_dominated(tree):
    from evtree import strategies

    best = risk_profile(tree, method="exact")
    for policy in list(strategies(tree))[:6]:
        other = risk_profile(tree, policy, method="exact")
        d = dominance(other, best)
        if d.first_order:
            assert d.second_order
        # The optimal strategy has the highest mean, so nothing dominates it (dominance would
        # imply a strictly higher mean to first order).
        assert not d.first_order
        assert Fraction(str(other.mean)) <= Fraction(str(best.mean))


def _brute_dominance(a, b):
    """The definitions checked at every outcome, by the quadratic sums (a second method)."""
    points = sorted(set(a.outcomes) | set(b.outcomes))

    def cdf(p, x):
        return sum((q for o, q in zip(p.outcomes, p.probabilities) if o <= x), sympy.Integer(0))

    def integral(p, x):
        return sum((q * (x - o) for o, q in zip(p.outcomes, p.probabilities) if o <= x), sympy.Integer(0))

    fa, fb = [cdf(a, x) for x in points], [cdf(b, x) for x in points]
    ga, gb = [integral(a, x) for x in points], [integral(b, x) for x in points]
    first = all(x <= y for x, y in zip(fa, fb)) and any(x < y for x, y in zip(fa, fb))
    second = all(x <= y for x, y in zip(ga, gb)) and any(x < y for x, y in zip(ga, gb))
    return first, second


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-5, 5), st.integers(1, 4)), min_size=1, max_size=5, unique_by=lambda t: t[0]
    ),
    st.lists(
        st.tuples(st.integers(-5, 5), st.integers(1, 4)), min_size=1, max_size=5, unique_by=lambda t: t[0]
    ),
)
def test_dominance_sweep_matches_the_definitions(xs, ys):
    def profile(name, pairs):
        pairs = sorted(pairs)
        total = sum(w for _, w in pairs)
        return RiskProfile(
            name, {}, tuple(o for o, _ in pairs), tuple(sympy.Rational(w, total) for _, w in pairs), "exact"
        )

    a, b = profile("a", xs), profile("b", ys)
    d = dominance(a, b)
    assert (d.first_order, d.second_order) == _brute_dominance(a, b)
    assert (d.reverse_first_order, d.reverse_second_order) == _brute_dominance(b, a)


def test_dominance_of_wide_profiles_is_linear():
    # uniform on 0..n-1 against uniform on 1..n: the shifted one dominates to first order
    n = 200_000
    low = RiskProfile("low", {}, tuple(range(n)), (1 / n,) * n, "float")
    high = RiskProfile("high", {}, tuple(range(1, n + 1)), (1 / n,) * n, "float")
    d = dominance(high, low)
    assert d.first_order and d.second_order and not d.reverse_first_order and not d.identical
