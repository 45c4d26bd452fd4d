"""Tests and signals: Bayes revision, EVSI, the test option, and flipping chance nodes."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from evtree import Branch, Chance, DecisionTree, Parameter, Terminal, evaluate, read_tree, write_tree
from evtree.bayes import Test, evsi, flip, posteriors, signal_tree, with_test
from evtree.errors import ModelError, ProbabilityError
from evtree.expressions import as_expr, symbol
from evtree.voi import evpi
from tests.conftest import DATA
from tests.strategies import trees

SURVEY = Test(
    "oil",
    {"oil": {"FSS": "p_fss_oil", "USS": "rest"}, "dry": {"FSS": "p_fss_dry", "USS": "rest"}},
    cost="survey_cost",
    name="survey",
)


@pytest.fixture
def goferbroke() -> DecisionTree:
    return read_tree(DATA / "goferbroke.yaml")


def test_goferbroke_posteriors(goferbroke):
    # Hillier & Lieberman: joint .25*.6 = .15, .75*.2 = .15 -> P(FSS) = .3; P(oil | FSS) = .15/.3 = 1/2;
    # P(oil | USS) = .1/.7 = 1/7 (printed 0.14 and .143).
    post = posteriors(goferbroke, SURVEY)
    rows = {(r.signal, r.state): r for r in post.itertuples()}
    assert rows[("FSS", "oil")].p_signal == sympy.Rational(3, 10)
    assert rows[("USS", "oil")].p_signal == sympy.Rational(7, 10)
    assert rows[("FSS", "oil")].posterior == sympy.Rational(1, 2)
    assert rows[("USS", "oil")].posterior == sympy.Rational(1, 7)
    assert rows[("USS", "dry")].posterior == sympy.Rational(6, 7)


def test_goferbroke_posteriors_stay_formulas(goferbroke):
    post = posteriors(goferbroke, SURVEY, method="symbolic")
    p, a, b = symbol("p_oil"), symbol("p_fss_oil"), symbol("p_fss_dry")
    row = post[(post.signal == "FSS") & (post.state == "oil")].iloc[0]
    assert sympy.simplify(row.posterior - p * a / (p * a + (1 - p) * b)) == 0


def test_goferbroke_evsi_and_the_survey_option(goferbroke):
    # With the survey (before its cost): .3 * 300 + .7 * 90 = 153; EVSI = 153 - 100 = 53.
    r = evsi(goferbroke, SURVEY, method="exact")
    assert (r.value_without, r.value_with, r.value) == (100, 153, 53)
    assert (r.buying_price, r.cost, r.net_value) == (53, 30, 23)
    assert evsi(goferbroke, SURVEY).value == pytest.approx(53.0, abs=1e-12)
    # The tree with the survey option, cost netted: .3 * 270 + .7 * 60 = 123 (quiz: "EMV(survey) = 123").
    result = evaluate(with_test(goferbroke, SURVEY), method="exact")
    assert result.value == 123
    assert result.policy["survey?"] == "survey"
    assert result.policy["goferbroke | FSS"] == "drill" and result.policy["goferbroke | USS"] == "sell"
    opts = result.option_values
    assert opts["goferbroke | FSS"] == {"drill": 270, "sell": 60}
    assert opts["goferbroke | USS"] == {"drill": sympy.Rational(-110, 7), "sell": 60}  # quiz's -18 is rounded
    # EVSI <= EVPI = 142.5.
    assert r.value <= evpi(goferbroke, "oil", method="exact").value


def test_goferbroke_symbolic_evsi(goferbroke):
    r = evsi(goferbroke, SURVEY, method="symbolic")
    assert r.at_defaults == 53
    names = sorted(goferbroke.parameters)
    f = sympy.lambdify([symbol(n) for n in names], r.value)
    for point in [{"p_oil": 0.1}, {"p_oil": 0.3, "p_fss_oil": 0.9}, {"p_fss_dry": 0.5}]:
        full = {n: float(p.exact) for n, p in goferbroke.parameters.items()} | point
        assert f(*(full[n] for n in names)) == pytest.approx(evsi(goferbroke, SURVEY, point).value, abs=1e-9)


def test_goferbroke_with_utilities():
    # REFERENCES.md (computed): exponential R = 2250; survey E[U]-CE 110.98 beats selling (90).
    tree = read_tree(DATA / "goferbroke.yaml")
    tree.utility = {"type": "exponential", "risk_tolerance": 2250}
    result = evaluate(with_test(tree, SURVEY))
    assert result.policy["survey?"] == "survey"
    assert result.value == pytest.approx(110.98, abs=0.01)
    assert result.option_values["survey?"]["no survey"] == pytest.approx(90.0)  # sell: CE 74.94 < 90
    r = evsi(tree, SURVEY)
    assert r.buying_price == pytest.approx(r.value)  # delta property


def test_sas_wildcatter_sounding():
    # REFERENCES.md 2a (computed): P(no/open/closed) = .41/.35/.24; EV with sounding 180,100
    # (EVSI 40,100); net of $60,000 it is 120,100 < 140,000, so no sounding.
    tree = read_tree(DATA / "oil_wildcatter.yaml")
    likelihood = {
        "dry": {"no": 0.6, "open": 0.3, "closed": 0.1},
        "wet": {"no": 0.3, "open": 0.4, "closed": 0.3},
        "soaking": {"no": 0.1, "open": 0.4, "closed": 0.5},
    }
    test = Test(("deposit_low", "deposit_fair", "deposit_high"), likelihood, cost=60000, name="sounding")
    post = posteriors(tree, test)
    assert post.groupby("signal", sort=False)["p_signal"].first().tolist() == [
        sympy.Rational(41, 100),
        sympy.Rational(7, 20),
        sympy.Rational(6, 25),
    ]
    r = evsi(tree, test, method="exact")
    assert (r.value_with, r.value, r.net_value) == (180100, 40100, -19900)
    assert evaluate(with_test(tree, test), method="exact").policy["sounding?"] == "no sounding"


def test_binary_test_from_sensitivity_and_specificity():
    disease = Chance(
        "disease",
        [
            Branch("present", Terminal(-100), probability="prev"),
            Branch("absent", Terminal(0), probability="rest"),
        ],
    )
    treat = Chance(
        "disease_treated",
        [
            Branch("present", Terminal(-20), probability="prev"),
            Branch("absent", Terminal(-10), probability="rest"),
        ],
    )
    from evtree import Decision

    tree = DecisionTree(
        Decision("treat?", [Branch("treat", treat), Branch("wait", disease)]),
        parameters=[
            Parameter("prev", 0.1, low=0, high=1),
            Parameter("se", 0.9, low=0, high=1),
            Parameter("sp", 0.8, low=0, high=1),
        ],
    )
    test = Test.binary(("disease", "disease_treated"), "present", sensitivity="se", specificity="sp")
    post = posteriors(tree, test)
    rows = {(r.signal, r.state): r.posterior for r in post.itertuples()}
    # P(+) = .1*.9 + .9*.2 = .27; P(present | +) = .09/.27 = 1/3; P(present | -) = .01/.73.
    assert rows[("positive", "present")] == sympy.Rational(1, 3)
    assert rows[("negative", "present")] == sympy.Rational(1, 73)
    # Without the test: treat -11 vs wait -10 -> wait.  With it: + -> treat: -20/3 - 20/3 = -40/3;
    # - -> wait: -100/73.  EV = .27*(-40/3) + .73*(-100/73) = -3.6 - 1 = -4.6.  EVSI = 5.4.
    assert evsi(tree, test, method="exact").value == sympy.Rational(27, 5)


@pytest.mark.parametrize(
    "likelihoods, error, message",
    [
        ({"oil": {"FSS": 0.6, "USS": 0.3}, "dry": {"FSS": 0.2, "USS": 0.8}}, ProbabilityError, "sum to"),
        ({"oil": {"FSS": 0.6, "USS": "rest"}}, ModelError, "no likelihoods for state 'dry'"),
        (
            {"oil": {"FSS": 0.6, "USS": "rest"}, "dry": {"FSS": 0.2, "USS": "rest"}, "gas": {}},
            ModelError,
            "gas",
        ),
        (
            {"oil": {"FSS": "q", "USS": "rest"}, "dry": {"FSS": 0.2, "USS": "rest"}},
            ModelError,
            "unknown parameter",
        ),
        (
            {"oil": {"FSS": 1.5, "USS": "rest"}, "dry": {"FSS": 0.2, "USS": "rest"}},
            ProbabilityError,
            r"outside \[0, 1\]",
        ),
        ({"oil": {"FSS": 0.6, "USS": "rest"}, "dry": {"F": 0.2, "USS": "rest"}}, ModelError, "signals"),
    ],
)
def test_bad_likelihoods_are_refused(goferbroke, likelihoods, error, message):
    with pytest.raises(error, match=message):
        evsi(goferbroke, Test("oil", likelihoods))


# ----------------------------------------------------------------------------- flip
def prior_form() -> DecisionTree:
    def sounding(name: str, p: str) -> Chance:
        return Chance(
            name,
            [
                Branch("FSS", Terminal(1), probability=p, payoff=2),
                Branch("USS", Terminal(0), probability="rest", payoff=2),
            ],
        )

    return DecisionTree(
        Chance(
            "oil",
            [
                Branch("oil", sounding("s_oil", "p_fss_oil"), probability="p_oil", payoff=10),
                Branch("dry", sounding("s_dry", "p_fss_dry"), probability="rest"),
            ],
        ),
        parameters=[
            Parameter("p_oil", "1/4", low=0, high=1),
            Parameter("p_fss_oil", 0.6, low=0, high=1),
            Parameter("p_fss_dry", 0.2, low=0, high=1),
        ],
    )


def test_flip_gives_the_bayes_probabilities_and_keeps_the_value():
    tree = prior_form()
    flipped = flip(tree, "oil", name="sounding")
    at = {symbol(n): p.exact for n, p in tree.parameters.items()}
    assert [as_expr(c.probability).xreplace(at) for c in flipped.root.children] == [
        sympy.Rational(3, 10),
        sympy.Rational(7, 10),
    ]
    uss = flipped.node("oil | USS")
    assert [as_expr(c.probability).xreplace(at) for c in uss.children] == [
        sympy.Rational(1, 7),
        sympy.Rational(6, 7),
    ]
    # The payoff 2 on both sounding branches is shared, so it stays on the sounding branches.
    assert all(c.branch_payoff == 2 for c in flipped.root.children)
    assert evaluate(flipped, method="exact").value == evaluate(tree, method="exact").value
    # Formulas survive: symbolic values agree identically, and through a file.
    diff = evaluate(flipped, method="symbolic").value - evaluate(tree, method="symbolic").value
    assert sympy.simplify(diff) == 0
    again = read_tree_text(write_tree(flipped))
    assert (
        sympy.simplify(evaluate(again, method="symbolic").value - evaluate(tree, method="symbolic").value)
        == 0
    )


def read_tree_text(text: str) -> DecisionTree:
    import io

    return read_tree(io.StringIO(text), format="yaml")


def test_flip_twice_restores_the_probabilities():
    tree = prior_form()
    back = flip(flip(tree, "oil", name="sounding"), "sounding", name="oil")
    orig = {c.label: as_expr(c.probability) for c in tree.root.children}
    orig["dry"] = 1 - orig["oil"]
    for c in back.root.children:
        assert sympy.simplify(as_expr(c.probability) - orig[c.label]) == 0


def test_flip_refuses_what_cannot_be_flipped(goferbroke):
    with pytest.raises(ModelError, match="only a chance node"):
        flip(goferbroke, "goferbroke")
    with pytest.raises(ModelError, match="leads to a terminal node"):
        flip(goferbroke, "oil")


@st.composite
def flippable(draw):
    k = draw(st.integers(2, 3))
    m = draw(st.integers(2, 3))

    def dist(n):
        w = [draw(st.integers(0, 4)) for _ in range(n)]
        if sum(w) == 0:
            w[0] = 1
        return [Fraction(x, sum(w)) for x in w]

    pa = dist(k)
    kids = []
    for i in range(k):
        pb = dist(m)
        leaves = [
            Branch(
                f"b{j}",
                Terminal(draw(st.integers(-50, 50))),
                probability=str(pb[j]),
                payoff=draw(st.integers(-5, 5)),
            )
            for j in range(m)
        ]
        kids.append(
            Branch(f"a{i}", Chance(f"B{i}", leaves), probability=str(pa[i]), payoff=draw(st.integers(-5, 5)))
        )
    return DecisionTree(Chance("A", kids))


@given(flippable())
def test_flip_keeps_the_value_and_the_joint(tree):
    flipped = flip(tree, "A")
    assert evaluate(flipped, method="exact").value == evaluate(tree, method="exact").value
    joint = {}
    for a in tree.root.children:
        for b in a.children:
            joint[(a.label, b.label)] = sympy.Rational(str(a.probability)) * sympy.Rational(
                str(b.probability)
            )
    for b in flipped.root.children:
        for a in b.children:
            assert as_expr(b.probability) * as_expr(a.probability) == joint[(a.label, b.label)] or (
                as_expr(b.probability) == 0 and joint[(a.label, b.label)] == 0
            )


# ----------------------------------------------------------------------------- invariants
@given(trees(max_depth=3), st.data())
def test_evpi_at_least_evsi_at_least_zero(tree, data):
    chance = [n for n in tree.nodes() if n.kind == "chance"]
    if not chance:
        return
    node = data.draw(st.sampled_from(chance))
    states = [c.label for c in node.children]
    likelihoods = {}
    for s in states:
        w = [data.draw(st.integers(0, 4)) for _ in range(2)]
        if sum(w) == 0:
            w[0] = 1
        likelihoods[s] = {"pos": str(Fraction(w[0], sum(w))), "neg": "rest"}
    sample = evsi(tree, Test(node.key, likelihoods), method="exact").value
    perfect = evpi(tree, node.key, method="exact").value
    assert perfect >= sample >= 0


@given(trees(max_depth=3), st.data())
def test_a_perfect_test_is_worth_the_evpi(tree, data):
    chance = [n for n in tree.nodes() if n.kind == "chance"]
    if not chance:
        return
    node = data.draw(st.sampled_from(chance))
    states = [c.label for c in node.children]
    perfect = {s: {f"says {t}": int(s == t) for t in states} for s in states}
    assert (
        evsi(tree, Test(node.key, perfect), method="exact").value
        == evpi(tree, node.key, method="exact").value
    )


def test_tested_tree_is_a_valid_tree(goferbroke):
    t = signal_tree(goferbroke, SURVEY)
    t.validate()
    assert [c.label for c in t.root.children] == ["FSS", "USS"]
