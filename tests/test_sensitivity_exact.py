"""Exact sensitivity at scale and at the edges (issue 11).

The oracle is independent of the piecewise rollback: the tree evaluated in
exact rationals (``evaluate(method="exact")``) at many rational points, its
optimal policy compared with the policy the reported thresholds imply there.
Edge cases are worked out by hand in the comments.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from strategies import trees

import evtree
from evtree import REST, Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate, symbol
from evtree.library import balanced
from evtree.sensitivity import Threshold, ThresholdResult, one_way, thresholds, tornado, two_way
from evtree.sensitivity._common import reachable


# ------------------------------------------------------------------------------ the three failures
def nested_probabilities_tree(p_default=0):
    # probabilities p, (1-p) q, (1-p)(1-q) sum to 1 identically: nothing needs rescaling
    gamble = Chance(
        "c",
        [
            Branch("a", Terminal(100), probability="p"),
            Branch("b", Terminal(10), probability="(1 - p)*q"),
            Branch("c", Terminal(-50), probability="(1 - p)*(1 - q)"),
        ],
    )
    return DecisionTree(
        Decision("d", [Branch("gamble", gamble), Branch("safe", Terminal(0))]),
        parameters=[Parameter("p", p_default, low=0, high=1), Parameter("q", "1/2", low=0, high=1)],
    )


def test_identically_normalised_probabilities_need_no_rescaling():
    tree = nested_probabilities_tree()
    # p = 0: gamble = 10 q - 50 (1 - q) = 60 q - 50, zero at q = 5/6
    (t,) = thresholds(tree, "q").thresholds
    assert t.exact == sympy.Rational(5, 6) and t.verified
    assert (t.below_name, t.above_name) == ("safe", "gamble")
    sweep = one_way(tree, "q", points=7)
    np.testing.assert_allclose(sweep.frame["gamble"], 60 * np.linspace(0, 1, 7) - 50, atol=1e-12)
    assert "rescale" not in sweep.note


def zero_reach_tree():
    # the decision d2 is reached with probability q = 0 at the base case
    later = Decision("d2", [Branch("A", Terminal("y")), Branch("B", Terminal(0))])
    go = Chance("c", [Branch("x", later, probability="q"), Branch("z", Terminal(1), probability=REST)])
    return DecisionTree(
        Decision("d1", [Branch("go", go), Branch("stay", Terminal(0))]),
        parameters=[Parameter("y", 1, low=-5, high=5), Parameter("q", 0, low=0, high=1)],
    )


def test_flip_of_a_decision_reached_with_probability_zero():
    tree = zero_reach_tree()
    # go = q max(y, 0) + (1 - q) = 1 > 0 at q = 0; d2 takes B below y = 0 and A above
    (t,) = thresholds(tree, "y").thresholds
    assert t.exact == 0 and t.verified
    assert t.below == {"d1": "go", "d2": "B"} and t.above == {"d1": "go", "d2": "A"}
    assert t.decisions == ("d2",) and t.reach == 0
    assert "probability 0" in str(t)
    # with q = 1/2 the same flip matters, with probability 1/2
    (t,) = thresholds(tree, "y", values={"q": "1/2"}).thresholds
    assert t.exact == 0 and t.reach == 0.5 and "probability 0" not in str(t)


def test_two_way_boundaries_are_equations_not_true():
    tree = zero_reach_tree()
    result = two_way(tree, ("y", "q"), points=11)
    # go,A vs go,B differ by q*y: the boundary is q*y = 0 (y = 0, and q = 0 where nothing is at stake)
    assert result.boundaries
    for b in result.boundaries:
        assert isinstance(b["boundary"], sympy.Equality)
    (b,) = result.boundaries
    lhs = b["boundary"].lhs - b["boundary"].rhs
    y, q = symbol("y"), symbol("q")
    assert sympy.expand(lhs - q * y) == 0 or sympy.expand(lhs + q * y) == 0


def test_quartic_without_a_root_in_range_answers_at_once():
    # x^4 - 10 x^2 + 1 + x/7 > 0 ... its real roots are near -3.17, -0.30, 0.33 and 3.15: none in [0.5, 3]
    tree = DecisionTree(
        Decision("d", [Branch("a", Terminal("x**4 - 10*x**2 + 1 + x/7")), Branch("b", Terminal(0))]),
        parameters=[Parameter("x", 1, low="1/2", high=3)],
    )
    start = time.perf_counter()
    result = thresholds(tree, "x")
    assert time.perf_counter() - start < 10  # solveset took over 150 s here
    assert len(result) == 0 and result.optimal_at_low == "b"  # 1/16 - 10/4 + 1 + 1/14 < 0


def test_algebraic_threshold_of_a_cubic():
    # x^3 - 2 = 0 at the cube root of 2, irrational and not a square root
    tree = DecisionTree(
        Decision("d", [Branch("a", Terminal("x**3")), Branch("b", Terminal(2))]),
        parameters=[Parameter("x", 1, low=0, high=2)],
    )
    (t,) = thresholds(tree, "x").thresholds
    assert sympy.simplify(t.exact - sympy.Integer(2) ** sympy.Rational(1, 3)) == 0
    assert t.value == pytest.approx(2 ** (1 / 3), abs=1e-15) and t.verified


def test_a_failed_verification_is_visible():
    t = Threshold("x", 0.5, sympy.Rational(1, 2), "exact", {"d": "a"}, {"d": "b"}, "a", "b", False)
    result = ThresholdResult("x", (0, 1), (t,), "a")
    assert "NOT VERIFIED" in str(t) and "1 NOT VERIFIED" in result.summary()
    assert result.to_frame()["verified"].tolist() == [False]
    assert t.to_dict()["verified"] is False and not result.verified


# ------------------------------------------------------------------------------ no strategy limit
def test_thresholds_of_a_tree_with_many_strategies():
    tree = balanced(9)
    assert evtree.count_strategies(tree) > 10**6
    result = thresholds(tree, "v0", range=(0, 2))
    assert result.verified and len(result) >= 1
    _check_against_oracle(tree, "v0", result, 0, 2, 9)


def test_two_way_exact_cells_at_depth_9():
    # each optimal region is an exact union of cells; the oracle is the exact rollback
    from fractions import Fraction as F

    tree = balanced(9)
    start = time.perf_counter()
    result = two_way(tree, ("v0", "p0"))
    assert time.perf_counter() - start < 20  # benchmarks/bench_scale.py holds it to 10 s
    assert result.cells and "exact partition" in result.method
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(12):
        point = (F(int(rng.integers(-999, 1000)), 100), F(int(rng.integers(1, 100)), 100))
        owners = [
            result.strategies[label]
            for label, dec, run in result._partition
            if (cell := dec.locate(point)) is not None and any(cell is part for part in run)
        ]
        if any(dec.locate(point) is None for _l, dec, _r in result._partition):
            continue  # on some curve
        ev = evaluate(tree, {"v0": point[0], "p0": point[1]}, method="exact")
        assert owners == [evtree.sensitivity.strategy_name(reachable(tree, ev.policy))], point
        checked += 1
    assert checked >= 6


def test_tornado_on_the_benchmark_tree_by_rollback():
    tree = balanced(5)
    result = tornado(tree)
    rows = result.frame.set_index("parameter")
    for name, p in tree.parameters.items():
        lo, hi = p.bounds
        assert rows.loc[name, "at_low"] == pytest.approx(evaluate(tree, {name: lo}).value, abs=1e-12)
        assert rows.loc[name, "at_high"] == pytest.approx(evaluate(tree, {name: hi}).value, abs=1e-12)


# ------------------------------------------------------------------------------ the oracle
def _check_against_oracle(tree, name, result, lo, hi, n):
    """At n + 1 rational points, the exact rollback's policy is the one the thresholds imply.

    Points where a reached decision is tied (in exact arithmetic) are skipped:
    there the rollback's choice is only its tie-break.
    """
    edges = [t.value for t in result.thresholds]
    for k in range(n + 1):
        x = Fraction(lo) + (Fraction(hi) - Fraction(lo)) * k / n
        r = evaluate(tree, {name: sympy.Rational(x.numerator, x.denominator)}, method="exact")
        got = reachable(tree, r.policy)
        if any(key in got for key in r.ties):
            continue
        j = sum(e < float(x) for e in edges)
        if j:
            expected = dict(result.thresholds[j - 1].above)
        elif result.thresholds:
            expected = dict(result.thresholds[0].below)
        else:
            expected = None
        if expected is None:
            assert evtree.sensitivity.strategy_name(got) == result.optimal_at_low, (float(x), got)
        else:
            assert got == expected, (name, float(x), got, expected)


def _random_tree(rng: np.random.Generator) -> DecisionTree:
    counter = iter(range(10**6))

    def payoff() -> str:
        a, b, c = (int(v) for v in rng.integers(-4, 5, 3))
        return f"{a} + {b}*x + {c}*x**2"

    def node(depth: int):
        k = next(counter)
        kind = (
            "terminal" if depth == 0 else rng.choice(["decision", "chance", "terminal"], p=[0.45, 0.45, 0.1])
        )
        if kind == "terminal":
            return Terminal(payoff())
        if kind == "decision":
            n = int(rng.integers(2, 4))
            return Decision(
                f"d{k}",
                [Branch(f"o{i}", node(depth - 1), payoff=int(rng.integers(-2, 3))) for i in range(n)],
            )
        pattern = int(rng.integers(0, 4))
        if pattern == 0:
            probs = ["x", REST]
        elif pattern == 1:
            probs = ["q", REST]  # q is 0 or 1/2 at the base case
        elif pattern == 2:
            probs = ["x", "(1 - x)*q", "(1 - x)*(1 - q)"]
        else:
            probs = ["1/3", "2/3"]
        return Chance(f"c{k}", [Branch(f"s{i}", node(depth - 1), probability=p) for i, p in enumerate(probs)])

    q = "0" if rng.random() < 0.5 else "1/2"
    root = Decision("root", [Branch(f"o{i}", node(2)) for i in range(2)])
    return DecisionTree(
        root,
        parameters=[Parameter("x", "1/2", low=0, high=1), Parameter("q", q, low=0, high=1)],
        objective="max" if rng.random() < 0.7 else "min",
    )


@pytest.mark.parametrize("seed", range(6))
def test_thresholds_match_an_exact_grid_oracle_on_random_trees(seed):
    rng = np.random.default_rng(1100 + seed)
    for _ in range(50):  # 300 trees over the six seeds
        tree = _random_tree(rng)
        result = thresholds(tree, "x")
        assert result.verified, result.summary()
        lo, hi = result.range
        _check_against_oracle(tree, "x", result, lo, hi, 30)


def test_two_way_on_the_benchmark_tree_against_point_evaluations():
    tree = balanced(5)
    result = two_way(tree, ("v0", "p0"), points=9)
    ga, gb = result.grid
    for i in range(0, 9, 2):
        for j in range(0, 9, 2):
            r = evaluate(tree, {"v0": ga[i], "p0": gb[j]})
            name = evtree.sensitivity.strategy_name(reachable(tree, r.policy))
            assert result.strategies[result.optimal[i, j]] == name
            assert result.values[i, j] == pytest.approx(r.value, abs=1e-12)
    assert result.boundaries and all(b["verified"] for b in result.boundaries)
    rng = np.random.default_rng(5)
    policies = {}
    for pol in evtree.strategies(tree):
        policies[evtree.sensitivity.strategy_name(pol)] = pol
    v0, p0 = symbol("v0"), symbol("p0")
    for b in result.boundaries[:6]:
        eq = b["boundary"]
        diff = sympy.expand(eq.lhs - eq.rhs)
        for _ in range(3):
            point = {
                "v0": sympy.Rational(int(rng.integers(-9, 10)), 3),
                "p0": sympy.Rational(int(rng.integers(0, 8)), 7),
            }
            va = evaluate(tree, point, method="exact", policy=policies[b["a"]]).value
            vb = evaluate(tree, point, method="exact", policy=policies[b["b"]]).value
            at = diff.xreplace({v0: point["v0"], p0: point["p0"]})
            if eq.lhs in (v0, p0):  # solved form: the sign is that of the difference up to a factor
                assert (at == 0) == (va == vb)
            else:
                assert at == va - vb or at == vb - va


@given(trees(max_depth=4, with_parameters=True))
def test_thresholds_match_the_oracle_on_generated_trees(tree):
    if not tree.parameters:
        return
    name = next(iter(tree.parameters))
    result = thresholds(tree, name)
    assert result.verified, result.summary()
    _check_against_oracle(tree, name, result, -100, 100, 20)


@pytest.mark.parametrize(
    ("payoff", "parameters", "exact"),
    [
        # sqrt(2) x = 1 at x = 1/sqrt(2): not rational coefficients, still a closed form
        ("x*c", [Parameter("x", 1, low=0, high=2), Parameter("c", "sqrt(2)")], sympy.sqrt(2) / 2),
        # 1 / (x + 1) = 1/2 at x = 1: a rational function
        ("1/(x + 1) + 1/2", [Parameter("x", 1, low=0, high=2)], sympy.Integer(1)),
    ],
)
def test_values_that_are_not_polynomials_keep_exact_thresholds(payoff, parameters, exact):
    tree = DecisionTree(
        Decision("d", [Branch("a", Terminal(payoff)), Branch("b", Terminal(1))]), parameters=parameters
    )
    (t,) = thresholds(tree, "x").thresholds
    assert t.method == "exact" and t.verified and sympy.simplify(t.exact - exact) == 0


def test_a_range_feasible_at_one_point_only_is_refused():
    # 1 - 2p >= 0 only at p = 1/2 within [1/2, 1]
    chance = Chance(
        "c",
        [
            Branch("a", Terminal(1), probability="p"),
            Branch("b", Terminal(0), probability="1 - 2*p"),
            Branch("e", Terminal(2), probability="p"),
        ],
    )
    tree = DecisionTree(
        Decision("d", [Branch("g", chance), Branch("s", Terminal(0))]),
        parameters=[Parameter("p", "1/2", low="1/2", high=1)],
    )
    with pytest.raises(evtree.EvaluationError, match="only p = 1/2"):
        thresholds(tree, "p")


def test_exact_reverification_when_the_float_check_cannot_decide(monkeypatch, korea):
    # with no room for the float check every threshold goes through exact rationals
    from evtree.sensitivity import _one_way

    monkeypatch.setattr(_one_way, "FLOAT_CHECK_DISTANCE", 0.0)
    (t,) = thresholds(korea, "p_defect").thresholds
    assert t.exact == sympy.Rational(53, 130) and t.verified
    rng = np.random.default_rng(7)
    for _ in range(10):
        tree = _random_tree(rng)
        assert thresholds(tree, "x").verified
