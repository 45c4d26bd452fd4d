"""Claims decided by z3 (issue 12): the reported failures, degrees 3 and 4, Bayes posteriors,
the by-construction flag, and soundness against sampling, exact arithmetic and the old engine.

Reference values are worked out by hand in each test, or checked by a second method: exact
evaluation of the tree (``evaluate(..., method="exact")``) and vectorised float evaluation at
10^5 sampled points of the parameter space.
"""

from __future__ import annotations

import importlib.util
import random
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy

import evtree
from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate
from evtree.bayes import Test, signal_tree
from evtree.claims import Claim, check, check_claims
from evtree.claims.construction import free_probabilities
from evtree.library import TWO_TESTS, drill_or_sell

ROOT = Path(__file__).resolve().parent.parent


def decision(*options: tuple[str, object], params=()) -> DecisionTree:
    return DecisionTree(
        Decision("d", [Branch(label, Terminal(payoff)) for label, payoff in options]), parameters=list(params)
    )


# ----------------------------------------------------------------------------- the failures
def test_an_assumption_on_an_unused_parameter_constrains_the_space():
    tree = decision(
        ("a", "x"), params=[Parameter("x", 0, low=-10, high=10), Parameter("b", 0, low=-10, high=10)]
    )
    # b >= 20 with b in [-10, 10] leaves nothing: an error, never a vacuous proof
    with pytest.raises(evtree.ModelError, match="leave no parameter values"):
        check(tree, Claim.inequality("EV() >= -10", assuming=["b >= 20"]))
    # b >= 5: the counterexample (x < 0) must have b >= 5, i.e. lie in the space
    r = check(tree, Claim.inequality("EV() >= 0", assuming=["b >= 5"]))
    assert r.verdict == "refuted"
    cx = r.counterexample
    assert cx["x"] < 0 and cx["b"] >= 5
    assert r.space.contains(cx)
    assert "b" in r.summary()  # the text shows b


def test_optimality_under_an_assumption_is_proven_like_the_equivalent_inequality():
    # EV(a) = v - 10 >= EV(b) = 44/5 exactly when v >= 94/5 (by hand)
    tree = decision(("a", "v - 10"), ("b", "44/5"), params=[Parameter("v", 0, low=-100, high=100)])
    r = check(tree, Claim.optimal({"d": "a"}, assuming=["v >= 94/5"]))
    assert r.verdict == "proven"
    assert check(tree, Claim.inequality("EV(d=a) >= EV(d=b)", assuming=["v >= 94/5"])).verdict == "proven"
    r = check(tree, Claim.optimal({"d": "a"}, assuming=["v >= 93/5"]))
    assert r.verdict == "refuted" and Fraction(93, 5) <= r.counterexample["v"] < Fraction(94, 5)


def test_a_degree_two_value_that_is_never_negative():
    tree = decision(("a", "v**2 + 16"), params=[Parameter("v", 1, low=-10, high=10)])
    assert check(tree, "EV() >= 0").verdict == "proven"
    assert check(tree, "EV() >= 16").verdict == "proven"
    r = check(tree, "EV() > 16")  # fails at v = 0 only
    assert r.verdict == "refuted" and r.counterexample["v"] == 0


def balanced_tree(depth: int = 5) -> DecisionTree:
    """Binary tree of 2^(depth+1) - 1 nodes, decisions and chance nodes alternating; outcomes in [-10, 10]."""
    params = []

    def build(level: int):
        if level == depth:
            name = f"t{len(params)}"
            params.append(Parameter(name, 0, low=-10, high=10))
            return Terminal(name)
        left, right = build(level + 1), build(level + 1)
        if level % 2 == 0:
            return Decision(None, [Branch("l", left), Branch("r", right)])
        name = f"p{len(params)}"
        params.append(Parameter(name, 0.5, low=0, high=1))
        return Chance(None, [Branch("l", left, probability=name), Branch("r", right, probability="rest")])

    root = build(0)
    return DecisionTree(root, parameters=params)


def test_a_balanced_tree_of_63_nodes():
    tree = balanced_tree(5)
    assert len(list(tree.nodes())) == 63
    assert check(tree, "EV() >= -100").verdict == "proven"
    assert check(tree, "EV() >= -10").verdict == "proven"  # every outcome is at least -10
    r = check(tree, "EV() >= -9")
    assert r.verdict == "refuted"
    assert evaluate(tree, r.counterexample, method="exact").value < -9


def test_counterexamples_far_out_along_an_unbounded_parameter():
    # 10^6 - x^2 < 0 only for |x| > 1000, far outside a window around the default 0
    tree = decision(("a", "1000000 - x**2"), params=[Parameter("x", 0)])
    r = check(tree, "EV() >= 0")
    assert r.verdict == "refuted" and abs(r.counterexample["x"]) > 1000
    assert evaluate(tree, r.counterexample, method="exact").value < 0
    assert (
        check(tree, Claim.inequality("EV() >= 0", assuming=["x <= 1000", "x >= -1000"])).verdict == "proven"
    )


# ----------------------------------------------------------------------------- degrees 3 and 4, Bayes
def stages(n: int) -> DecisionTree:
    """n independent chance stages with probabilities p0..p(n-1): EV = p0 p1 ... p(n-1)."""
    node = Terminal(1)
    for i in reversed(range(n)):
        node = Chance(
            f"c{i}", [Branch("yes", node, probability=f"p{i}"), Branch("no", Terminal(0), probability="rest")]
        )
    return DecisionTree(node, parameters=[Parameter(f"p{i}", 0.5, low=0, high=1) for i in range(n)])


@pytest.mark.parametrize("n", [3, 4])
def test_degree_three_and_four(n):
    tree = stages(n)
    assert check(tree, "EV() <= p0").verdict == "proven"  # p0 (1 - p1...pn) >= 0
    assert check(tree, "EV() >= 0").verdict == "proven"
    r = check(tree, f"EV() >= 1/{2**n}")  # holds at the default 1/2^n, fails at p0 = 0
    assert r.verdict == "refuted"
    assert evaluate(tree, r.counterexample, method="exact").value < Fraction(1, 2**n)
    # (p0 - p1)^4 >= 0 is true, and p0^4 - p1 >= 0 is false (p0 = 0, p1 = 1)
    assert check(tree, Claim.inequality("(p0 - p1)**4 + EV() >= EV()")).verdict == "proven"
    assert check(tree, Claim.inequality("p0**4 - p1 + EV() >= EV()")).verdict == "refuted"


def two_test_tree() -> tuple[DecisionTree, DecisionTree]:
    """Drill or sell, and the same tree after two conditionally independent tests (four signals)."""
    tree = drill_or_sell()
    return tree, signal_tree(tree, Test("oil", TWO_TESTS))


def test_bayes_posteriors_degree_four():
    tree, informed = two_test_tree()
    without = evaluate(tree, method="symbolic").value
    with_tests = evaluate(informed, method="symbolic").value
    assert with_tests.has(sympy.Pow)  # posteriors: rational functions of the parameters
    vary = ["p", "s1", "s2", "v_oil"]  # P(gg, oil) v_oil = p s1 s2 v_oil: degree 4
    # free information is never worth less than none (the value of information is >= 0)
    r = check(informed, Claim.inequality(with_tests, ">=", without, vary=vary))
    assert r.verdict == "proven", r.summary()
    assert r.decided_by.startswith("z3")
    # ... but it is not always worth 1: with uninformative tests (s = 1 - t) it is worth 0
    r = check(informed, Claim.inequality(with_tests, ">=", without + 1, vary=vary))
    assert r.verdict == "refuted"
    cx = r.counterexample
    exact_gain = evaluate(informed, cx, method="exact").value - evaluate(tree, cx, method="exact").value
    assert exact_gain < 1


# ----------------------------------------------------------------------------- by construction
KOREA_BY_CONSTRUCTION = {
    # refuted: never by construction
    "listening gives up nothing": False,
    "if the North flouts, the U.S. hand is strengthened": False,
    # the assumptions force every 'say no' to be worth at least 0: true whatever the probabilities
    "listening gives up nothing when saying no costs nothing": True,
    # needs the probability of defection: a finding about the probabilities
    "talks pay while allied defection is unlikely enough": False,
    # a decision is worth at least each option: the tree's shape
    "our strongest asset is our power to say no": True,
    # max(v_demands, g_flout) - c_talk >= 0 once g_flout >= c_talk: no probability involved
    "a flouting North strengthens the U.S. hand once the gain covers the cost of talking": True,
    # v_demands <= 0 <= g_flout by the bounds
    "after the North flouts, saying no is optimal": True,
    # v_soft <= 0 and l_defect >= 0 by the bounds
    "if the allies defect, the U.S. is left in the lurch": True,
    # a probability-weighted average of payoffs >= -100, minus c_talk <= 20
    "talks never lose more than 120 points": True,
}


def test_by_construction_on_the_essays_tree(korea):
    report = check_claims(korea)
    assert {r.claim.name: r.by_construction for r in report} == KOREA_BY_CONSTRUCTION
    d = report["talks never lose more than 120 points"].to_dict()
    assert d["by_construction"] is True and d["decided_by"]
    frame = report.to_frame()
    assert dict(zip(frame.index, frame["by_construction"])) == KOREA_BY_CONSTRUCTION
    # independently: with the probabilities free, the claim that needs them fails at a point
    free, names = free_probabilities(korea)
    assert len(names) == 2  # north_response: complies, flouts (allies defect takes the rest)
    point = dict.fromkeys(names, Fraction(0))  # all weight on 'allies defect'
    r = evaluate(free, point, method="exact")
    assert r.value_of("us_choice/talks") == -2 - 30  # -c_talk + max(v_soft, -l_defect) at the defaults


def test_a_claim_about_probabilities_is_not_by_construction():
    tree = stages(2)
    r = check(tree, "EV() <= 1")
    assert r.verdict == "proven" and r.by_construction is True  # any weighting of 1 and 0 is <= 1
    r = check(tree, "EV() <= p0")
    # p0 p1 <= p0 needs the tree's first probability to be p0: with the probabilities free it fails
    assert r.verdict == "proven" and r.by_construction is False
    r = check(tree, Claim.inequality("EV() <= 1/4", assuming=["p0 <= 1/2", "p1 <= 1/2"]))
    assert r.verdict == "proven" and r.by_construction is False  # needs the probabilities' values


# ----------------------------------------------------------------------------- soundness
def random_tree(rng: random.Random) -> DecisionTree:
    """Decisions and chance nodes with parametric probabilities (simplex coupled) and payoffs."""
    params: list[Parameter] = []
    counter = iter(range(10**6))

    def fresh(prefix: str, default, low, high) -> str:
        name = f"{prefix}{len(params)}"
        params.append(Parameter(name, default, low=low, high=high))
        return name

    def build(depth: int):
        if depth == 0 or rng.random() < 0.2:
            kind = rng.random()
            if kind < 0.3:
                return Terminal(rng.randint(-10, 10))
            v = fresh("v", rng.randint(-5, 5), -10, 10)
            if kind < 0.8:
                return Terminal(v)
            w = fresh("v", rng.randint(-5, 5), -10, 10)
            return Terminal(f"{v}*{w}/10")
        n = rng.choice([2, 3])
        children = [build(depth - 1) for _ in range(n)]
        if rng.random() < 0.5:
            return Decision(f"d{next(counter)}", [Branch(f"o{i}", c) for i, c in enumerate(children)])
        probs = [fresh("p", Fraction(1, n), 0, 1) for _ in range(n - 1)] + ["rest"]
        return Chance(
            f"c{next(counter)}",
            [Branch(f"s{i}", c, probability=q) for i, (c, q) in enumerate(zip(children, probs))],
        )

    root = build(3)
    if isinstance(root, Terminal):
        root = Decision("d", [Branch("only", root)])
    return DecisionTree(root, parameters=params)


def sample_space(tree: DecisionTree, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """n points of the space: payoffs in their bounds (a quarter at a bound), each chance node's
    probabilities uniform on its simplex (a quarter on a vertex)."""
    point: dict[str, np.ndarray] = {}
    for name, p in tree.parameters.items():
        if name.startswith("v"):
            lo, hi = (float(b) for b in p.bounds)
            x = rng.uniform(lo, hi, n)
            at_bound = rng.random(n) < 0.25
            x[at_bound] = rng.choice([lo, hi], at_bound.sum())
            point[name] = x
    for node in tree.chance_nodes:
        names = [str(c.probability) for c in node.children[:-1]]
        k = len(names) + 1
        w = rng.dirichlet(np.ones(k), n)
        vertex = rng.random(n) < 0.25
        w[vertex] = np.eye(k)[rng.integers(0, k, vertex.sum())]
        for j, name in enumerate(names):
            point[name] = w[:, j]
    return point


def random_claims(tree: DecisionTree, rng: random.Random) -> list[Claim]:
    """Bounds (some true: every payoff is within [-10, 10] and products within [-10, 10]), dominance,
    optimality, and claims true by the tree's shape (a decision is worth at least each option)."""
    claims = [Claim.bound(None, rng.choice([">=", "<="]), rng.randint(-12, 12)) for _ in range(2)]
    claims.append(Claim.bound(None, ">=", -10))  # true: values average and maximise outcomes in [-10, 10]
    claims.append(Claim.bound(None, "<=", rng.randint(8, 12)))
    for d in tree.decision_nodes:
        if len(d.children) >= 2:
            a, b = rng.sample([c.label for c in d.children], 2)
            claims.append(Claim.dominance({d.key: a}, {d.key: b}, at=d.key))
            claims.append(Claim.optimal({d.key: a}))
            claims.append(Claim.dominance({}, {d.key: a}))  # true: the free tree is worth at least
            claims.append(Claim.bound(d.key, ">=", rng.randint(-12, 0)))
    return claims


def side_values(tree: DecisionTree, side, point) -> np.ndarray:
    if not hasattr(side, "policy"):
        return np.asarray(float(side))
    r = evaluate(tree, point, policy=dict(side.policy))
    return np.asarray(r.value if side.node is None else r.value_of(side.node), dtype=float)


def exact_holds(tree: DecisionTree, claim: Claim, point) -> bool:
    def value(side):
        if not hasattr(side, "policy"):
            return sympy.sympify(side)
        r = evaluate(tree, point, method="exact", policy=dict(side.policy))
        return r.value if side.node is None else r.value_of(side.node)

    lv, rv = value(claim.lhs), value(claim.rhs)
    return bool({">=": lv >= rv, "<=": lv <= rv, ">": lv > rv, "<": lv < rv}[claim.sense])


def old_engine():
    """The engine before issue 12 (commit 68f5d30), loaded from git history as a private module."""
    try:
        source = subprocess.run(
            ["git", "show", "68f5d30:evtree/claims.py"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    name = "evtree._claims_before_issue_12"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "evtree"
    sys.modules[name] = module
    exec(compile(source, "evtree/claims.py@68f5d30", "exec"), module.__dict__)  # our own source, from git
    return module


@pytest.mark.parametrize("seed", range(1, 7))
def test_soundness_on_random_claims(seed):
    rng = random.Random(seed)
    tree = random_tree(rng)
    points = sample_space(tree, 100_000, np.random.default_rng(seed))
    old = old_engine()
    for claim in random_claims(tree, rng):
        r = check(tree, claim, search=False)
        if r.verdict == "proven":
            lhs, rhs = side_values(tree, claim.lhs, points), side_values(tree, claim.rhs, points)
            gap = lhs - rhs if claim.sense in (">=", ">") else rhs - lhs
            assert gap.min() >= -1e-9, (str(claim), float(gap.min()))
        elif r.verdict == "refuted":
            assert r.space.contains(r.counterexample)
            assert not exact_holds(tree, claim, r.counterexample), str(claim)
        # the old engine on the claims it was tested on (its case splits take minutes on the others)
        newer = (claim.kind == "dominance" and not claim.lhs.policy) or (
            claim.kind == "bound" and claim.lhs.node is not None
        )
        if old is not None and not newer:
            before = old.check(tree, _old_claim(old, claim), search=False)
            if before.verdict in ("proven", "refuted"):
                assert r.verdict == before.verdict, (str(claim), before.verdict, r.verdict)


def _old_claim(old, claim: Claim):
    return old.Claim(
        old.ValueOf(claim.lhs.node, claim.lhs.policy) if hasattr(claim.lhs, "policy") else claim.lhs,
        claim.sense,
        old.ValueOf(claim.rhs.node, claim.rhs.policy) if hasattr(claim.rhs, "policy") else claim.rhs,
        kind=claim.kind,
    )


def test_square_roots_are_algebraic():
    tree = decision(("a", "sqrt(x)"), params=[Parameter("x", Fraction(1, 4), low=0, high=4)])
    assert check(tree, Claim.inequality("EV() >= x", assuming=["x <= 1"])).verdict == "proven"
    r = check(tree, "EV() >= x")  # sqrt(x) < x for x > 1
    assert r.verdict == "refuted" and r.counterexample["x"] > 1
    assert sympy.sqrt(r.counterexample["x"]) < r.counterexample["x"]
    assert r.decided_by.startswith("z3") or r.method == "exact corner counterexample"


def test_certificates_are_re_checked_independently(korea):
    """The certificate fallback (used when z3 gives no answer) on EV(talks) >= -120, re-checked here."""
    from evtree.claims.certificates import recheck_identity
    from evtree.claims.prover import _Prover
    from evtree.claims.space import parameter_space

    space = parameter_space(korea)
    D = evaluate(korea, method="symbolic").value_of("us_choice/talks") + 120
    out = _Prover(D, space, False, search=False, seed=0).certificate()
    assert out is not None and out.verdict == "proven" and out.lower_bound == 0
    c0, terms = out.identity
    total = c0 + sum(y * sympy.Mul(*factors) for y, factors in terms)
    assert sympy.expand(D - total) == 0 and all(y > 0 for y, _ in terms)  # by hand, not by the engine
    assert recheck_identity(D, out.identity, space.all_constraints())
    assert not recheck_identity(D + 1, out.identity, space.all_constraints())  # a wrong identity fails


def test_more_options_never_lower_a_value(korea):
    r = check(korea, Claim.dominance({}, {"after_flouts": "accept"}))
    assert r.verdict == "proven" and r.method == "the tree's shape" and r.by_construction
    # the same with a decision fixed on both sides, and against z3's own verdict
    claim = Claim.dominance({"us_choice": "talks"}, {"us_choice": "talks", "after_defect": "accept"})
    assert check(korea, claim).method == "the tree's shape"
    from evtree.claims.check import _check
    from evtree.claims.context import _Context

    alone = _check(_Context(korea), claim, search=False, seed=0, region=None, fast=False)
    assert alone.verdict == "proven" and alone.method == "z3"
    # different labels on the two sides: not by the shape; z3 refutes it
    r = check(korea, Claim.dominance({"after_flouts": "accept"}, {"after_flouts": "say no"}))
    assert r.verdict == "refuted" and r.method != "the tree's shape"
    # a minimising tree: fewer fixed decisions give a value at most as high
    tree = DecisionTree(
        Decision("d", [Branch("a", Terminal("x")), Branch("b", Terminal(0))]),
        parameters=[Parameter("x", 1, low=-5, high=5)],
        objective="min",
    )
    assert check(tree, "EV() <= EV(d=a)").method == "the tree's shape"
    assert check(tree, "EV() >= EV(d=a)").verdict == "refuted"


def test_bounds_over_the_tree_leave_maxima_in_payoffs_to_z3():
    # max(x, y) with x in [-1, 1], y in [-2, 0]: in [-1, 1] (by hand)
    tree = decision(
        ("a", "max(x, y)"), params=[Parameter("x", 0, low=-1, high=1), Parameter("y", 0, low=-2, high=0)]
    )
    assert check(tree, "EV() >= -1").verdict == "proven"
    assert check(tree, "EV() <= 1").verdict == "proven"
    r = check(tree, "EV() >= 0")
    assert r.verdict == "refuted" and max(r.counterexample["x"], r.counterexample["y"]) < 0
