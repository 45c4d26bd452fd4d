"""Two-way regions certified by the one-shot deviation principle (issue 11 item 1).

In a tree with more than ``EXHAUSTIVE_STRATEGIES`` (16) strategies the exact partition used
to compare only the strategies the grid found (and those optimal at 24 check points per
cell), so a strategy optimal only in a patch holding none of those points was missed.  The
partition is now certified: every cell is decided by the exact rollback at its sample point
and proven optimal on the whole cell because the decomposition runs along every deviation
curve of the policy chosen there.  The oracle here is ``evaluate(method="exact")`` at
rational points, independent of the decomposition.
"""

from __future__ import annotations

import random
from fractions import Fraction

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal, count_strategies, evaluate
from evtree.sensitivity import strategy_name, two_way
from evtree.sensitivity._common import reachable
from evtree.sensitivity._two_way import EXHAUSTIVE_STRATEGIES

Q = sympy.Rational


def patch_tree(low: Fraction = Fraction(401, 1000), high: Fraction = Fraction(201, 500)) -> DecisionTree:
    """Decision ``d``'s option ``z`` beats ``x`` and ``y`` only for ``low < a < high``.

    ``y - x = 1 - 2a`` and ``z - y = (a - low)(high - a)``: for ``a < 1/2`` (every patch
    here) ``y`` beats ``x``, and ``z`` beats ``y`` exactly between ``low`` and ``high``.
    Three decisions ``e1..e3`` in the other branches of the root chance node make 24
    strategies; ``e_k``'s ``lo`` pays ``b - k/4`` and ``hi`` pays ``k/8 - b/2``, so ``lo`` is
    chosen for ``b > k/4`` (and at the tie, as the first branch).
    """
    z = f"1 - a + (a - {low})*({high} - a)"
    d = Decision("d", [Branch("x", Terminal("a")), Branch("y", Terminal("1 - a")), Branch("z", Terminal(z))])
    es = [
        Decision(f"e{k}", [Branch("lo", Terminal(f"b - {k}/4")), Branch("hi", Terminal(f"{k}/8 - b/2"))])
        for k in (1, 2, 3)
    ]
    root = Chance(
        "c",
        [Branch("h", d, probability="1/4")]
        + [Branch(f"t{k}", e, probability="1/4") for k, e in enumerate(es)],
    )
    return DecisionTree(
        root,
        parameters=[
            Parameter("a", Fraction(1, 2), low=0, high=1),
            Parameter("b", Fraction(1, 2), low=0, high=1),
        ],
    )


def owner(result, point):
    """The strategy whose exact cells hold ``point``; None when it is on a cell's edge."""
    decs = {id(dec): dec for _label, dec, _run in result._partition}
    found = {key: dec.locate(point) for key, dec in decs.items()}
    if any(cell is None for cell in found.values()):
        return None
    owners = [
        result.strategies[label]
        for label, dec, run in result._partition
        if any(part is found[id(dec)] for part in run)
    ]
    assert len(owners) <= 1, owners
    return owners[0] if owners else "infeasible"


def optimum(tree, names, point):
    """The exact rollback's strategy at ``point`` (None when some decision has tied options)."""
    ev = evaluate(tree, dict(zip(names, point)), method="exact")
    if any(len(t) > 1 for t in ev.ties.values()):
        return None
    return strategy_name(reachable(tree, ev.policy))


def test_strategy_optimal_only_in_a_tiny_patch_is_found_with_exact_endpoints():
    """The patch ``401/1000 < a < 201/500`` holds no grid point for ``points=5`` (a in 0, 1/4, ...).

    Before the certificate (main at 8701f5b, this branch at d9edc2d) ``two_way(patch_tree(),
    ("a", "b"), points=5)`` listed no cell for any ``z`` strategy: the grid never chose
    ``z`` and the 24 check points per cell (at 0.001, 0.02, 0.5, 0.98, 0.999 of a cell's
    width, the cells spanning a in (0, 1/2) and (1/2, 1)) all miss the strip.  By hand the
    ``z`` region is that strip, cut at ``b = 1/4, 1/2, 3/4`` where ``e1``, ``e2``, ``e3``
    switch from ``hi`` to ``lo``.
    """
    tree = patch_tree()
    assert count_strategies(tree) == 24 > EXHAUSTIVE_STRATEGIES
    result = two_way(tree, ("a", "b"), points=5)
    assert "certified" in result.method and "NOT" not in result.method
    on_grid = {result.strategies[k] for k in set(result.optimal.ravel())}
    assert not any(name.startswith("z") for name in on_grid)
    z_cells = sorted(
        ((c["strategy"], c["lower"], c["upper"]) for c in result.cells if c["strategy"].startswith("z")),
        key=lambda r: r[0],
    )
    for c in result.cells:
        if c["strategy"].startswith("z"):
            assert c["x"] == ["401/1000", "201/500"]
    line = {k: {"curve": f"b - {k} = 0", "root": 0} for k in ("1/4", "1/2", "3/4")}
    assert z_cells == [
        ("z, hi, hi, hi", "box", line["1/4"]),
        ("z, lo, hi, hi", line["1/4"], line["1/2"]),
        ("z, lo, lo, hi", line["1/2"], line["3/4"]),
        ("z, lo, lo, lo", line["3/4"], "box"),
    ]
    # either side of the strip, y (a < 1/2) or x (a > 1/2)
    assert owner(result, (Q(4, 10), Q(1, 8))) == "y, hi, hi, hi"
    assert owner(result, (Q(4015, 10000), Q(1, 8))) == "z, hi, hi, hi"
    assert owner(result, (Q(403, 1000), Q(7, 8))) == "y, lo, lo, lo"
    assert owner(result, (Q(3, 4), Q(7, 8))) == "x, lo, lo, lo"


@settings(max_examples=20, deadline=None)
@given(
    st.integers(1, 998),
    st.integers(1, 40),
    st.integers(2, 9),
)
def test_tiny_patches_anywhere_are_found(start, width, grid):
    """Wherever the patch ``(l, l + w)`` lies in ``a < 1/2``, its endpoints come out exactly."""
    low = Fraction(start, 2000)
    high = low + Fraction(width, 100_000)
    result = two_way(patch_tree(low, high), ("a", "b"), points=grid)
    assert "certified" in result.method
    ends = {tuple(c["x"]) for c in result.cells if c["strategy"].startswith("z")}
    assert ends == {(str(Q(low)), str(Q(high)))}


# ------------------------------------------------------------------------------ random trees
_monomials = [(0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (0, 2)]


@st.composite
def payoffs(draw):
    """A random polynomial payoff in a and b, degree at most 2, small integer coefficients."""
    terms = []
    for ea, eb in _monomials:
        c = draw(st.integers(-3, 3))
        if c:
            terms.append(f"{c}*a**{ea}*b**{eb}")
    return " + ".join(terms) or "0"


@st.composite
def two_parameter_trees(draw):
    """A root chance node over 2-3 decisions; options are terminals or a chance node on ``a``.

    A chance node on ``a`` below an option may hold a further decision, so some decisions
    are reached by one strategy and not another (the full policies differ where unreached).
    """
    names = iter(range(100))

    def decision(depth):
        options = []
        for k in range(draw(st.integers(2, 3))):
            if depth and draw(st.integers(0, 2)) == 0:
                inner = decision(depth - 1) if draw(st.booleans()) else Terminal(draw(payoffs()))
                child = Chance(
                    f"c{next(names)}",
                    [
                        Branch("h", inner, probability="a"),
                        Branch("t", Terminal(draw(payoffs())), probability="rest"),
                    ],
                )
            else:
                child = Terminal(draw(payoffs()))
            options.append(Branch(f"o{k}", child))
        return Decision(f"d{next(names)}", options)

    n = draw(st.integers(2, 3))
    root = Chance("root", [Branch(f"r{k}", decision(1), probability=f"1/{n}") for k in range(n)])
    return DecisionTree(
        root,
        parameters=[Parameter("a", Fraction(1, 2), low=0, high=1), Parameter("b", 0, low=-2, high=2)],
        objective=draw(st.sampled_from(["max", "min"])),
    )


@settings(max_examples=30, deadline=None)
@given(two_parameter_trees(), st.randoms(use_true_random=False))
def test_cells_agree_with_exact_rollback_at_random_points(tree, rnd):
    """At random rational points the cell's strategy is the exact rollback's (ties excepted)."""
    result = two_way(tree, ("a", "b"), points=5)
    assert result.cells and "NOT" not in result.method
    for _ in range(25):
        point = (Q(rnd.randint(1, 999), 1000), Q(rnd.randint(-1999, 1999), 1000))
        held = owner(result, point)
        if held is None:
            continue  # on a cell's edge: a tie curve, a critical line
        expected = optimum(tree, ("a", "b"), point)
        if expected is None:
            continue
        assert held == expected, (point, held, expected)


def test_random_trees_with_many_strategies_are_certified():
    """Seeded trees big enough for the certificate: every sampled point agrees with the oracle."""
    rng = random.Random(11)
    checked = 0
    for _seed in range(6):
        tree = _seeded_tree(rng)
        assert count_strategies(tree) > EXHAUSTIVE_STRATEGIES
        result = two_way(tree, ("a", "b"), points=7)
        assert "certified" in result.method and "NOT" not in result.method
        for _ in range(40):
            point = (Q(rng.randint(1, 999), 1000), Q(rng.randint(-1999, 1999), 1000))
            held = owner(result, point)
            expected = optimum(tree, ("a", "b"), point)
            if held is None or expected is None:
                continue
            assert held == expected, (point, held, expected)
            checked += 1
    assert checked > 150


def _seeded_tree(rng):
    def pay():
        return " + ".join(f"{rng.randint(-3, 3)}*a**{ea}*b**{eb}" for ea, eb in _monomials)

    decisions = []
    for k in range(3):
        options = []
        for j in range(3):
            if j == 0:
                inner = Decision(f"u{k}", [Branch("p", Terminal(pay())), Branch("q", Terminal(pay()))])
                child = Chance(
                    f"c{k}",
                    [Branch("h", inner, probability="a"), Branch("t", Terminal(pay()), probability="rest")],
                )
            else:
                child = Terminal(pay())
            options.append(Branch(f"o{j}", child))
        decisions.append(Decision(f"d{k}", options))
    root = Chance("root", [Branch(f"r{k}", d, probability="1/3") for k, d in enumerate(decisions)])
    return DecisionTree(
        root, parameters=[Parameter("a", Fraction(1, 2), low=0, high=1), Parameter("b", 0, low=-2, high=2)]
    )
