"""Claims over the whole parameter space: proofs, refutations, regions, option values.

Hand-worked reference (trees/korea_talks.yaml; c = c_talk, pf = p_flout, pd = p_defect):

    EV(talks) = -c + (1 - pf - pd) max(v_deal, 0) + pf max(v_demands, g_flout) + pd max(v_soft, -l_defect)
    EV(no talks) = 0

At the defaults (pf = 1/2, c = 2, v_deal = 100, g_flout = 10, v_demands = -50, v_soft = -30,
l_defect = 40): EV(talks) = -2 + (1/2 - pd) 100 + 5 - 30 pd = 53 - 130 pd, so talks beat
no talks exactly when pd <= 53/130; at pd = 1/4 EV(talks) = 41/2.  With every post-talks
decision fixed to "accept": -2 + 25 - 25 - 15/2 = -19/2, so the tree is worth max(-19/2, 0) = 0
and the option to say no is worth 41/2 - 0 for the tree, 41/2 + 19/2 = 30 for the talks branch.
The worst EV(talks) anywhere is at pd = 1, c = 20, v_soft = -100, l_defect = 100: -20 - 100 = -120.
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st
from strategies import trees

import evtree
from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate, symbol
from evtree.claims import (
    Claim,
    ClaimResult,
    check,
    check_claims,
    holds_where,
    option_value,
    parameter_space,
)

ACCEPT = {"after_complies": "accept", "after_flouts": "accept", "after_defect": "accept"}
SAY_NO_COSTS_NOTHING = [
    "EV(us_choice/talks/complies/say no) >= EV(no talks)",
    "EV(us_choice/talks/flouts/say no) >= EV(no talks)",
    "EV(us_choice/talks/allies defect/say no) >= EV(no talks)",
]


def talks_by_hand(p: dict) -> Fraction:
    """EV(talks) from the formula in the module docstring, in fractions."""
    p = {k: Fraction(str(v)) for k, v in p.items()}
    rest = 1 - p["p_flout"] - p["p_defect"]
    return (
        -p["c_talk"]
        + rest * max(p["v_deal"], 0)
        + p["p_flout"] * max(p["v_demands"], p["g_flout"])
        + p["p_defect"] * max(p["v_soft"], -p["l_defect"])
    )


def feasible_points(tree: DecisionTree, n: int, seed: int = 1) -> list[dict]:
    """Random exact points of the korea space: bounds, and p_flout + p_defect <= 1."""
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        pt = {}
        for name, p in tree.parameters.items():
            lo, hi = p.bounds
            pt[name] = Fraction(lo) + (Fraction(hi) - Fraction(lo)) * Fraction(rng.randint(0, 20), 20)
        if pt["p_flout"] + pt["p_defect"] <= 1:
            out.append(pt)
    return out


def check_identity(result: ClaimResult) -> None:
    """Verify a certificate independently: the identity expands to zero and its parts are valid."""
    c0, terms = result.identity
    assert c0 >= 0
    total = c0 + sum(y * sympy.Mul(*factors) for y, factors in terms)
    assert sympy.expand(result.difference - total) == 0
    allowed = {sympy.expand(c.expr) for c in result.space.all_constraints()}
    for y, factors in terms:
        assert y > 0
        for g in factors:
            if sympy.expand(g) in allowed:
                continue
            # otherwise a fact Max(args) - arg >= 0 (or arg - Min(args))
            atoms = [a for a in sympy.expand(g).atoms(sympy.Max, sympy.Min)]
            assert any(
                sympy.expand(g - (m - a if isinstance(m, sympy.Max) else a - m)) == 0
                for m in atoms
                for a in m.args
            ), g


# ----------------------------------------------------------------------------- the essays
def test_listening_refuted_with_an_exact_counterexample(korea):
    # issue 12: the counterexample is z3's model (before: the worst box corner, -120)
    r = check(korea, "EV(talks) >= EV(no talks)")
    assert r.verdict == "refuted" and r.decided_by.startswith("z3")
    cx = r.counterexample
    # re-check by hand and by an exact evaluation of the tree, independently of the claims code
    value = talks_by_hand(cx)
    assert value < 0 and value >= -120  # -120 is the worst anywhere (module docstring)
    assert evaluate(korea, cx, method="exact").value_of("us_choice/talks") == value
    assert r.violation == {"lhs": value, "rhs": 0}
    assert set(cx) == set(korea.parameters)  # a complete point
    assert r.space.contains(cx)


def test_listening_proven_when_saying_no_costs_nothing(korea):
    r = check(korea, Claim.inequality("EV(talks) >= EV(no talks)", assuming=SAY_NO_COSTS_NOTHING))
    assert r.verdict == "proven" and r.method == "z3"  # issue 12: z3 decides (before: a certificate)
    if r.identity is not None:
        check_identity(r)
    # the assumptions force c_talk = 0 and l_defect = 0 (both have lower bound 0)
    c = {str(x) for x in r.space.constraints}
    assert "-c_talk >= 0" in c and "-c_talk - l_defect >= 0" in c and "-c_talk + g_flout >= 0" in c
    # never contradicted at exact points of the conditional space
    for pt in feasible_points(korea, 40):
        pt["c_talk"] = pt["l_defect"] = Fraction(0)
        assert talks_by_hand(pt) >= 0


def test_drezner_threshold_is_53_over_130(korea):
    region = holds_where(korea, "EV(talks) >= EV(no talks)", "p_defect")
    assert region.holds == sympy.Interval(0, sympy.Rational(53, 130))
    assert region.direction == "below"
    defaults = {symbol(k): p.exact for k, p in korea.parameters.items()}
    assert region.threshold.xreplace(defaults) == sympy.Rational(53, 130)
    at = {"p_defect": Fraction(53, 130)}
    assert evaluate(korea, at, method="exact").value_of("us_choice/talks") == 0
    above = {"p_defect": Fraction(53, 130) + Fraction(1, 10**6)}
    assert evaluate(korea, above, method="exact").value_of("us_choice/talks") < 0
    assert region.contains({"p_defect": Fraction(53, 130)})
    assert not region.contains({"p_defect": Fraction(54, 130)})
    # proven below the threshold, with p_defect the only parameter that varies
    r = check(
        korea, Claim.inequality("EV(talks) >= EV(no talks)", vary=["p_defect"], assuming="p_defect <= 53/130")
    )
    assert r.verdict == "proven"
    if r.identity is not None:  # issue 12: z3 proofs carry no identity
        check_identity(r)
    r = check(
        korea, Claim.inequality("EV(talks) >= EV(no talks)", vary=["p_defect"], assuming="p_defect <= 54/130")
    )
    assert r.verdict == "refuted" and r.counterexample["p_defect"] > Fraction(53, 130)


def test_two_parameter_region(korea):
    # at the other defaults EV(talks) = 98 - 90 pf - 130 pd (by hand)
    region = holds_where(korea, "EV(talks) >= EV(no talks)", ["p_flout", "p_defect"])
    pf = symbol("p_flout")
    assert sympy.simplify(region.boundary - (sympy.Rational(98, 130) - sympy.Rational(90, 130) * pf)) == 0
    for a, b in itertools.product(range(0, 11, 2), repeat=2):
        pt = {"p_flout": Fraction(a, 10), "p_defect": Fraction(b, 10)}
        if pt["p_flout"] + pt["p_defect"] > 1:
            assert not region.contains(pt)
            continue
        assert region.contains(pt) == (98 - 90 * pt["p_flout"] - 130 * pt["p_defect"] >= 0)


def test_flouting_strengthens_the_hand_iff_gain_covers_cost(korea):
    r = check(korea, "EV(after_flouts) >= EV(no talks)", region=["g_flout", "c_talk"])
    assert r.verdict == "refuted"
    cx = r.counterexample
    assert max(cx["v_demands"], cx["g_flout"]) - cx["c_talk"] < 0
    assert evaluate(korea, cx, method="exact").value_of("after_flouts") < 0
    assert str(r.region.condition) == "-c_talk + g_flout >= 0"
    r = check(korea, Claim.inequality("EV(after_flouts) >= EV(no talks)", assuming=["g_flout >= c_talk"]))
    assert r.verdict == "proven"
    if r.identity is not None:  # issue 12: z3 proofs carry no identity
        check_identity(r)


def test_power_to_say_no(korea):
    ov = option_value(korea, ACCEPT)
    assert ov.value == sympy.Rational(41, 2)
    assert ov.free_value == sympy.Rational(41, 2) and ov.fixed_value == 0
    assert ov.proof.verdict == "proven"
    defaults = {symbol(k): p.exact for k, p in korea.parameters.items()}
    assert ov.expression.xreplace(defaults) == sympy.Rational(41, 2)  # symbolic agrees with exact
    branch = option_value(korea, ACCEPT, node="talks")
    assert branch.value == 30 and branch.fixed_value == sympy.Rational(-19, 2)
    assert branch.proof.verdict == "proven"
    for pt in feasible_points(korea, 25, seed=3):
        free = evaluate(korea, pt, method="exact").value_of("us_choice/talks")
        fixed = evaluate(korea, pt, method="exact", policy=ACCEPT).value_of("us_choice/talks")
        assert free - fixed >= 0


def test_lurch_and_optimality_and_bounds(korea):
    r = check(korea, "EV(after_defect) <= EV(no talks)")
    assert r.verdict == "proven"
    r = check(korea, Claim.optimal({"after_flouts": "say no"}, at="after_flouts"))
    assert r.verdict == "proven"
    r = check(korea, Claim.optimal({"after_flouts": "accept"}, at="after_flouts"))
    assert r.verdict == "refuted"
    cx = r.counterexample
    assert cx["v_demands"] < cx["g_flout"]  # accepting is worse there
    # the bound -120 is tight: proven with difference >= 0, and -119 and strict > -120 refuted
    r = check(korea, Claim.bound("talks", ">=", -120))
    assert r.verdict == "proven" and r.lower_bound == 0
    if r.identity is not None:  # issue 12: z3 proofs carry no identity
        check_identity(r)
    assert check(korea, Claim.bound("talks", ">=", -119)).verdict == "refuted"
    r = check(korea, Claim.bound("talks", ">", -120))
    assert r.verdict == "refuted" and r.violation["lhs"] == -120


def test_claims_in_the_file(korea):
    report = check_claims(korea)
    verdicts = {r.claim.name: r.verdict for r in report}
    assert verdicts == {
        "listening gives up nothing": "refuted",
        "listening gives up nothing when saying no costs nothing": "proven",
        "talks pay while allied defection is unlikely enough": "proven",
        "our strongest asset is our power to say no": "proven",
        "if the North flouts, the U.S. hand is strengthened": "refuted",
        "a flouting North strengthens the U.S. hand once the gain covers the cost of talking": "proven",
        "after the North flouts, saying no is optimal": "proven",
        "if the allies defect, the U.S. is left in the lurch": "proven",
        "talks never lose more than 120 points": "proven",
    }
    first = report["listening gives up nothing"]
    assert first.region.holds == sympy.Interval(0, sympy.Rational(53, 130))
    frame = report.to_frame()
    # issue 12 adds what decided each verdict and the by-construction flag to the table
    columns = ["verdict", "method", "decided_by", "by_construction", "conditions", "detail"]
    assert list(frame.columns) == columns
    assert len(report.refuted) == 2
    assert "REFUTED" in report.summary()
    d = first.to_dict()
    assert d["verdict"] == "refuted"
    cx = {k: Fraction(v) for k, v in d["counterexample"].items()}
    assert talks_by_hand(cx) < 0  # issue 12: z3's point (before: the worst corner, p_defect = 1)
    assert d["region"]["holds"] == "Interval(0, 53/130)"


def test_claims_round_trip_through_the_file(korea, tmp_path):
    path = tmp_path / "k.yaml"
    evtree.write_tree(korea, path)
    again = evtree.read_tree(path)
    assert again.claims == korea.claims
    assert [Claim.from_spec(c) for c in again.claims] == [Claim.from_spec(c) for c in korea.claims]


# ----------------------------------------------------------------------------- methods
def three_stage_tree(*, bound: str = "0") -> DecisionTree:
    """EV = p q r: three independent chance nodes; multilinear of degree 3."""

    def stage(name: str, prob: str, inner) -> Chance:
        return Chance(
            name, [Branch("yes", inner, probability=prob), Branch("no", Terminal(0), probability="rest")]
        )

    root = stage("a", "p", stage("b", "q", stage("c", "r", Terminal(1))))
    params = [Parameter(n, 0.5, low=0, high=1) for n in "pqr"]
    return DecisionTree(root, parameters=params)


def test_vertex_method_on_a_degree_three_value():
    tree = three_stage_tree()
    r = check(tree, Claim.bound(None, "<=", 1))
    assert r.verdict == "proven"
    r = check(tree, Claim.inequality("EV() >= p*q*r"))
    assert r.verdict == "proven" and r.method == "constant"
    # p q r >= 1/8 fails at p = 0 and holds at p = q = r = 1/2 (a vertex check decides)
    r = check(tree, Claim.bound(None, ">=", "1/8"))
    assert r.verdict == "refuted"
    cx = r.counterexample
    assert cx["p"] * cx["q"] * cx["r"] < Fraction(1, 8)
    # p - p q r = p (1 - q r) has a degree-3 monomial, out of reach of degree-2 certificates,
    # so z3 decides (it is 0 at p = 0 and at q = r = 1, never negative); issue 12 replaced the
    # hand-written vertex enumeration that decided it before
    r = check(tree, Claim.inequality("EV() <= p"))
    assert r.verdict == "proven" and r.method == "z3" and r.decided_by.startswith("z3 ")
    assert r.lower_bound == 0
    # by hand p q r + (1-p)(1-q)(1-r) is 1 at (0,0,0) and (1,1,1) and 0 at the other vertices
    r = check(tree, Claim.inequality("EV() + (1 - p)*(1 - q)*(1 - r) >= 1/4"))
    assert r.verdict == "refuted"
    cx = r.counterexample
    assert cx["p"] * cx["q"] * cx["r"] + (1 - cx["p"]) * (1 - cx["q"]) * (1 - cx["r"]) < Fraction(1, 4)


def test_undecided_reports_the_numerical_worst_case():
    x = symbol("x")
    tree = DecisionTree(
        Decision("d", [Branch("a", Terminal("exp(x)"))]), parameters=[Parameter("x", 0, low=-1, high=1)]
    )
    r = check(tree, Claim.inequality("EV() >= 1 + x"))  # true (exp(x) >= 1 + x), but not polynomial
    assert r.verdict == "undecided"
    assert r.worst == pytest.approx(0, abs=1e-5) and r.worst_point["x"] == pytest.approx(0, abs=1e-2)
    assert r.counterexample is None
    r = check(tree, Claim.inequality("EV() >= 1 + x"), search=False)
    assert r.verdict == "undecided" and r.worst is None
    # a false one is refuted through the search, with an exact re-check
    r = check(tree, Claim.inequality("EV() >= 11/10 + x"))
    assert r.verdict == "refuted"
    cx = r.counterexample
    assert sympy.exp(cx["x"]) < sympy.Rational(11, 10) + cx["x"]
    assert float(x.subs(x, cx["x"])) == pytest.approx(0, abs=0.2)


def test_expression_claims_and_fixed_parameters(korea):
    r = check(korea, Claim.inequality("EV(talks) + c_talk >= -100"))
    assert r.verdict == "proven"
    r = check(korea, Claim.inequality("EV(talks) >= 0", fix={"c_talk": 0, "l_defect": 0}))
    assert r.verdict == "proven"
    r = check(korea, Claim.inequality("EV(us_choice=talks, after_complies=say no) <= EV(us_choice=talks)"))
    assert r.verdict == "proven"


def test_parameter_space(korea):
    space = parameter_space(korea)
    assert space.bounds["p_flout"] == (0, 1)
    assert "-p_defect - p_flout + 1 >= 0" in {str(c) for c in space.constraints}
    assert space.contains({"p_flout": Fraction(1, 2), "p_defect": Fraction(1, 2)})
    assert not space.contains({"p_flout": Fraction(3, 4), "p_defect": Fraction(1, 2)})
    assert len(space.to_frame()) == len(space.all_constraints()) + len(space.fixed)


# ----------------------------------------------------------------------------- errors and parsing
@pytest.mark.parametrize(
    ("claim", "message"),
    [
        ("EV(accept) >= 0", "branch label 'accept' is used 3 times"),
        ("EV(nowhere) >= 0", "no node is named 'nowhere'"),
        ("EV(talks) >= p_nothing", "unknown parameter 'p_nothing'"),
        ("EV(us_choice=maybe) >= 0", "no branch labelled 'maybe'"),
        ({"claim": "EV(talks) >= 0", "assuming": ["p_flout >= 2"]}, "leave no parameter values"),
        (
            {"claim": "EV(talks) >= 0", "assuming": ["p_flout + p_defect >= 3/2", "p_flout <= 1/2"]},
            "no parameter",
        ),
        (
            {"claim": "EV(talks) >= 0", "vary": ["p_defect"], "assuming": ["c_talk >= 3"]},
            "false at the fixed",
        ),
        ({"claim": "EV(talks) >= 0", "fix": {"p_flout": 2}}, "outside its bounds"),
    ],
)
def test_bad_claims_name_the_problem(korea, claim, message):
    with pytest.raises(evtree.EvtreeError, match=message):
        check(korea, claim)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("EV(talks) = EV(no talks)", "compares with"),
        ("EV(talks) >= 0 >= 1", "more than one comparison"),
        ("EV(talks)", "no comparison"),
        ("EV(talks) >= __import__('os')", "not allowed"),
        ({"kind": "dominance", "a": {"us_choice": "talks"}}, "needs 'b'"),
        ({"kind": "sometimes", "claim": "1 >= 0"}, "unknown claim kind"),
        ({"claim": "1 >= 0", "colour": "red"}, "unknown key 'colour'"),
        ({"name": "x"}, "needs 'claim' text"),
    ],
)
def test_bad_specs(spec, message):
    with pytest.raises(evtree.ModelError, match=message):
        Claim.from_spec(spec, where="claims[0]")


def test_specs_and_text():
    c = Claim.from_spec({"kind": "bound", "node": "talks", "bound": -120})
    assert str(c) == "EV(talks) >= -120" and c.kind == "bound"
    c = Claim.from_spec({"kind": "optimal", "strategy": {"after_flouts": "say no"}, "at": "after_flouts"})
    assert str(c) == "EV(after_flouts | after_flouts=say no) >= EV(after_flouts)"
    again = Claim.from_spec(c.to_spec())
    assert str(again) == str(c)
    c = Claim.inequality("value(talks) >= EV(no talks)", name="n", assuming="c_talk <= 1", region="p_defect")
    assert c.assuming == ("c_talk <= 1",) and c.region == ("p_defect",)


# ----------------------------------------------------------------------------- properties
@given(trees(max_depth=3, with_parameters=True), st.data())
def test_adding_an_option_never_lowers_a_decision_value_and_is_proven(tree, data):
    decisions = tree.decision_nodes
    if not decisions:
        return
    d = data.draw(st.sampled_from(decisions)).key
    bigger = tree.copy()
    bigger.parameters["w_new"] = Parameter("w_new", 0, low=-100, high=100)
    bigger.node(d).add("new option", Terminal("w_new"))
    before = evaluate(tree, method="symbolic").value_of(d)
    after = evaluate(bigger, method="symbolic").value_of(d)
    # a minimising decision maker's value never rises instead
    sense = ">=" if tree.objective == "max" else "<="
    r = check(bigger, Claim.inequality(after, sense, before))
    assert r.verdict == "proven", r.summary()
    if r.identity is not None:
        check_identity(r)


@given(trees(max_depth=3, with_parameters=True, objective="max"), st.data())
def test_verdicts_agree_with_exact_evaluation(tree, data):
    decisions = [d for d in tree.decision_nodes if len(d.children) >= 2]
    if decisions and data.draw(st.booleans()):
        d = data.draw(st.sampled_from(decisions))
        a, b = data.draw(st.permutations([c.label for c in d.children]))[:2]
        claim = Claim.dominance({d.key: a}, {d.key: b}, at=d.key)
    else:
        claim = Claim.bound(
            None, data.draw(st.sampled_from([">=", "<=", ">", "<"])), data.draw(st.integers(-60, 60))
        )
    r = check(tree, claim, search=False)

    def holds(point: dict) -> bool:
        lhs = evaluate(tree, point, method="exact", policy=dict(claim.lhs.policy))
        rhs_value = claim.rhs
        if hasattr(claim.rhs, "policy"):
            rr = evaluate(tree, point, method="exact", policy=dict(claim.rhs.policy))
            rhs_value = rr.value if claim.rhs.node is None else rr.value_of(claim.rhs.node)
        lv = lhs.value if claim.lhs.node is None else lhs.value_of(claim.lhs.node)
        return {">=": lv >= rhs_value, "<=": lv <= rhs_value, ">": lv > rhs_value, "<": lv < rhs_value}[
            claim.sense
        ]

    if r.verdict == "refuted":
        assert not holds(dict(r.counterexample))  # the counterexample violates the claim exactly
    elif r.verdict == "proven":
        rng = random.Random(0)
        names = list(tree.parameters)
        for _ in range(5):
            pt = {n: Fraction(rng.randint(-100, 100)) for n in names}
            assert holds(pt)
        for corner in itertools.islice(itertools.product([-100, 100], repeat=len(names)), 16):
            assert holds(dict(zip(names, corner)))
