"""Hostile numeric input (issue 13, items 1 and 2): budgeted, checked, never hung, never wrong.

Every case is either a value worked out by hand (or by a second method: mpmath at 60
digits, exact rationals) or a one-line refusal that names the node and the field.  Hangs
are tested under a wall-clock limit: a signal alarm in process, ``timeout=`` on the CLI.
"""

from __future__ import annotations

import contextlib
import math
import signal
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate
from evtree.core import budget
from evtree.core.errors import EvaluationError, EvtreeError, ExpressionError, ModelError
from evtree.core.expressions import parse_expression
from evtree.core.rollback import TIE_TOLERANCE, is_tied
from evtree.voi import evpi

#: Seconds any one case may take before it counts as a hang.
LIMIT = 20


@contextlib.contextmanager
def within(seconds: int = LIMIT):
    """Fail (TimeoutError) if the block runs longer than ``seconds`` of wall-clock time."""

    def alarm(signum, frame):
        raise TimeoutError(f"took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def small_tree(payoff: str, w=5):
    """The issue's t.yaml: a decision between a chance on v / payoff and a sure 6."""
    return DecisionTree(
        Decision(
            "d",
            [
                Branch(
                    "risky",
                    Chance(
                        "c",
                        [
                            Branch("good", Terminal("v"), probability="p"),
                            Branch("bad", Terminal(payoff), probability="rest"),
                        ],
                    ),
                ),
                Branch("safe", Terminal(6)),
            ],
        ),
        parameters=[
            Parameter("p", "2/5", low=0, high=1),
            Parameter("v", 10, low=0, high=20),
            Parameter("w", w, low=0, high=10**9),
        ],
    )


T_YAML = """\
name: t
parameters:
  p: {{value: 0.4, low: 0, high: 1}}
  v: {{value: 10, low: 0, high: 20}}
  w: {{value: {w}, low: 0, high: 1000000000}}
{extra}root:
  decision: d
  branches:
    - label: risky
      chance: c
      branches:
        - label: good
          probability: p
          terminal: v
        - label: bad
          probability: rest
          terminal: '{payoff}'
    - label: safe
      terminal: 6
"""


def cli(
    tmp_path: Path, *args: str, payoff: str = "w", w: int = 5, extra: str = ""
) -> subprocess.CompletedProcess:
    path = tmp_path / "t.yaml"
    path.write_text(T_YAML.format(payoff=payoff, w=w, extra=extra))
    argv = [a if a != "FILE" else str(path) for a in args]
    return subprocess.run(
        [sys.executable, "-c", "import sys; from evtree.cli.main import main; sys.exit(main())", *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line_refusal(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 2, (out.returncode, out.stdout[-500:], out.stderr[-500:])
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


# -- item 1: budgets -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["float", "exact", "symbolic"])
def test_a_huge_power_of_a_parameter_is_refused_unrun(method):
    tree = small_tree("3**w", w=10**8)
    with within(), pytest.raises(EvaluationError) as err:
        evaluate(tree, method=method)
    assert "node 'd/risky/bad' field 'payoff'" in str(err.value)
    assert "too large" in str(err.value)
    assert "\n" not in str(err.value)


def test_a_huge_power_is_refused_on_the_command_line(tmp_path):
    line = one_line_refusal(cli(tmp_path, "evaluate", "--exact", "FILE", payoff="3**w", w=10**8))
    assert "node 'd/risky/bad' field 'payoff'" in line and "3**100000000 is too large" in line


def test_a_power_within_the_budget_is_computed_exactly():
    # 3**w at w = 600 is exact (951 bits, below the float range): (2/5)*10 + (3/5)*3**600
    r = evaluate(small_tree("3**w", w=600), method="exact")
    assert r.value_of("d/risky") == sympy.Rational(2, 5) * 10 + sympy.Rational(3, 5) * sympy.Integer(3) ** 600


@pytest.mark.parametrize(
    "command",
    [
        ["threshold", "--param", "p", "FILE"],
        ["sensitivity", "--param", "p", "FILE"],
        ["voi", "--node", "c", "--symbolic", "FILE"],
        ["evaluate", "--symbolic", "FILE"],
        ["check", "FILE"],
    ],
)
def test_a_polynomial_too_large_to_expand_is_refused_by_every_analysis(tmp_path, command):
    out = cli(tmp_path, *command, payoff="(p+v+w+1)**1000", extra="claims:\n  - EV(d) >= 0\n")
    line = one_line_refusal(out)
    assert "terminal" in line and "degree as a polynomial is 1000, more than 64" in line
    assert "t.yaml:" in line  # the place in the file


def test_structural_size_is_an_upper_bound_computed_without_expanding():
    p, v, w = (sympy.Symbol(n, real=True) for n in "pvw")
    with within(5):
        size = budget.expression_size((p + v + w + 1) ** 1000)
    assert size.degree == 1000 and size.terms > budget.MAX_TERMS
    # exact counts for small cases: (p + v + 1)**4 has C(6, 2) = 15 monomials, degree 4
    assert budget.expression_size((p + v + 1) ** 4) == budget.Size(4, 15)
    assert len(sympy.Poly(sympy.expand((p + v + 1) ** 4), p, v).terms()) == 15


def test_the_symbolic_rollback_refuses_a_node_value_over_the_term_budget(monkeypatch):
    monkeypatch.setattr(budget, "MAX_TERMS", 30)
    tree = small_tree("(p + v + w)**6")  # 28 terms; times p and summed: more than 30
    with within(), pytest.raises(budget.BudgetError, match="node 'd/risky': its symbolic value has"):
        evaluate(tree, method="symbolic")


def test_integers_and_values_beyond_the_float_range_are_refused_where_written():
    for text in ["10**308*10", "2**1000 * 2**100", "exp(710)", "E**1000"]:
        with pytest.raises(ExpressionError, match="too large"):
            parse_expression(text)
    with within(5), pytest.raises(ExpressionError, match=r"position 9: exp\(exp\(10\)\) is too large"):
        parse_expression("exp(exp(exp(exp(10))))")
    # in range: kept exactly
    assert parse_expression("10**300 * 10") == sympy.Integer(10) ** 301
    assert parse_expression("exp(-1000)") == sympy.exp(-1000)


@pytest.mark.parametrize("payoff", ["10**308*10", "exp(exp(exp(exp(10))))", "sqrt(-1)", "(-8)**(1/3)"])
def test_hostile_constants_are_located_refusals_on_the_command_line(tmp_path, payoff):
    for flag in ([], ["--exact"], ["--symbolic"]):
        line = one_line_refusal(cli(tmp_path, "evaluate", *flag, "FILE", payoff=payoff))
        assert "t.yaml:17:" in line and "terminal" in line, line


@pytest.mark.parametrize("method", ["float", "exact", "symbolic"])
def test_a_value_whose_sign_makes_it_complex_is_a_located_refusal(method):
    with pytest.raises(
        EvaluationError, match=r"node 'd/risky/bad' field 'payoff': '\(-1\)\*\*p' evaluates to"
    ):
        evaluate(small_tree("(-1)**p"), method=method)
    # an integer exponent is real: (-1)**5 = -1, so risky is worth 2/5*10 - 3/5 = 17/5 < 6
    r = evaluate(small_tree("(-1)**w"), method="exact")
    assert r.value_of("d/risky") == sympy.Rational(17, 5) and r.policy["d"] == "safe"


def test_complex_and_undefined_constants_are_refused_with_their_position():
    with pytest.raises(ExpressionError, match="position 1: the value I is not a real number"):
        parse_expression("sqrt(-1)")
    with pytest.raises(ExpressionError, match="not a real number"):
        parse_expression("(-8)**(1/3)")
    with pytest.raises(ExpressionError, match="log of a non-positive number"):
        parse_expression("log(1 - 2)")


@pytest.mark.parametrize("method", ["exact", "symbolic"])
def test_exp_of_a_large_parameter_is_refused_in_exact_work(method):
    with pytest.raises(EvaluationError, match=r"field 'payoff': 'exp\(w\)': exp\(1000\) is too large"):
        evaluate(small_tree("exp(w)", w=1000), method=method)
    with pytest.raises(EvaluationError, match="field 'payoff': 'exp\\(w\\)' evaluates to inf"):
        evaluate(small_tree("exp(w)", w=1000))


def test_a_sum_of_payoffs_beyond_the_float_range_is_refused_in_every_arithmetic():
    big = "1.5 * 10**308"
    tree = DecisionTree(
        Decision(
            "d",
            [
                Branch("a", Chance("c", [Branch("x", Terminal(big), probability=1, payoff=big)])),
                Branch("b", Terminal(0)),
            ],
        )
    )
    for method in ("float", "exact"):
        with pytest.raises(EvaluationError, match="node 'd/a/x': its outcome .*beyond the float range"):
            evaluate(tree, method=method)


# -- item 2: every value checked alike ------------------------------------------------------


def lottery(outcomes, sure, utility=None, probabilities=None):
    n = len(outcomes)
    probabilities = probabilities or [Fraction(1, n)] * n
    return DecisionTree(
        Decision(
            "d",
            [
                Branch(
                    "gamble",
                    Chance(
                        "c",
                        [
                            Branch(f"o{i}", Terminal(x), probability=str(p))
                            for i, (x, p) in enumerate(zip(outcomes, probabilities))
                        ],
                    ),
                ),
                Branch("sure", Terminal(sure)),
            ],
        ),
        utility=utility,
    )


@pytest.mark.parametrize("method", ["float", "exact"])
def test_an_exponential_utility_with_small_risk_tolerance_picks_the_sure_thing(method):
    # u(200), u(250), u(300) are all 1.0 in float; the certainty equivalents are not.
    # CE(gamble) = -5 ln((e^-40 + e^-60)/2) = 200 + 5 ln 2 - 5 ln(1 + e^-20) = 203.4657...
    r = evaluate(lottery([200, 300], 250, {"type": "exponential", "risk_tolerance": 5}), method=method)
    expected = 200 + 5 * math.log(2) - 5 * math.log1p(math.exp(-20))
    assert float(r.value_of("d/gamble")) == pytest.approx(expected, rel=1e-13)
    assert r.policy["d"] == "sure" and float(r.value) == 250
    assert not r.ties
    assert list(r.risk_profile["outcome"].astype(float)) == [250.0]


@pytest.mark.parametrize("method", ["float", "exact"])
def test_an_exponential_utility_with_a_ruinous_outcome_is_not_a_tie(method):
    # CE(gamble) = -5 ln((e^1000 + e^-60)/2) = -5000 + 5 ln 2 (to 1e-400)
    r = evaluate(lottery([-5000, 300], 250, {"type": "exponential", "risk_tolerance": 5}), method=method)
    assert float(r.value_of("d/gamble")) == pytest.approx(-5000 + 5 * math.log(2), rel=1e-13)
    assert r.policy["d"] == "sure" and float(r.value) == 250 and not r.ties


def test_an_exponential_utility_written_as_an_expression_is_rolled_back_stably():
    # u = exp(x) (risk seeking, R = -1): CE = ln(sum p e^x); 0.5 at 1000 and 0.5 at 0 give
    # 1000 + ln(1/2) + ln(1 + e^-1000) = 999.3068...; u(1000) overflows a float.
    r = evaluate(lottery([1000, 0], 999, {"expression": "exp(x)"}))
    assert r.value == pytest.approx(1000 - math.log(2), rel=1e-14)
    assert r.policy["d"] == "gamble"
    exact = evaluate(lottery([1000, 0], 999, {"expression": "exp(x)"}), method="exact")
    assert float(exact.value) == pytest.approx(r.value, rel=1e-14)


def test_an_exponential_expression_decreasing_at_a_point_is_refused():
    tree = lottery([10, 0], 3, {"expression": "exp(c*x)"})
    tree.parameters = {"c": Parameter("c", 1, low=-1, high=1)}
    assert evaluate(tree, {"c": [1.0, 0.5]}).value.shape == (2,)
    with pytest.raises(EvaluationError, match="decreases"):
        evaluate(tree, {"c": [1.0, -1.0]})


def test_options_that_differ_by_more_than_rounding_are_not_tied():
    tree = DecisionTree(Decision("d", [Branch("a", Terminal(10**12)), Branch("b", Terminal(10**12 + 100))]))
    r = evaluate(tree)
    assert r.policy["d"] == "b" and r.value == 10**12 + 100 and not r.ties
    assert list(r.risk_profile["outcome"]) == [10**12 + 100]
    assert list(r.strategies["optimal"]) == [False, True]


def test_options_equal_up_to_rounding_tie_and_the_first_is_chosen():
    # 0.1 + 0.2 != 0.3 in float (by 1 ulp); exactly they are equal
    tree = DecisionTree(
        Decision(
            "d",
            [
                Branch("a", Terminal(0.3)),
                Branch(
                    "b",
                    Chance(
                        "c",
                        [
                            Branch("x", Terminal(0.6), probability="1/2"),
                            Branch("y", Terminal(0), probability="1/2"),
                        ],
                    ),
                ),
            ],
        )
    )
    r = evaluate(tree)
    assert r.policy["d"] == "a" and r.ties == {"d": ("a", "b")}
    assert evaluate(tree, method="exact").ties == {"d": ("a", "b")}
    assert is_tied(1e12, 1e12 * (1 + TIE_TOLERANCE / 2)) and not is_tied(1e12, 1e12 + 100)
    assert is_tied(-np.inf, -np.inf) and not is_tied(np.inf, 1e308)


@pytest.mark.parametrize("method", ["float", "exact"])
def test_a_zero_probability_branch_contributes_nothing_under_a_log_utility(method):
    # log(0) at the impossible terminal: the gamble is worth exp((ln 100 + ln 300)/2) = 100 sqrt 3
    tree = lottery([0, 100, 300], 150, {"expression": "log(x)"}, ["0", "1/2", "1/2"])
    r = evaluate(tree, method=method)
    assert float(r.value) == pytest.approx(100 * math.sqrt(3), rel=1e-13) and r.policy["d"] == "gamble"
    info = evpi(tree, "c", method=method)
    # informed: 1/2 max(ln 100, ln 150) + 1/2 ln 300 -> CE sqrt(150 * 300) = 150 sqrt 2
    assert float(info.value) == pytest.approx(150 * math.sqrt(2) - 100 * math.sqrt(3), rel=1e-12)


def test_a_utility_undefined_at_a_reachable_terminal_names_it(tmp_path):
    tree = lottery([-10, 100], 5, {"expression": "sqrt(x)"})
    with pytest.raises(EvaluationError, match="at the outcome x = -10 of the terminal 'd/gamble/o0'"):
        evaluate(tree)
    with pytest.raises(EvaluationError, match="x = -10 of the terminal 'd/gamble/o0'"):
        evaluate(tree, method="exact")
    line = one_line_refusal(cli(tmp_path, "evaluate", "--utility", "sqrt(x)", "FILE", payoff="-w"))
    assert "terminal 'd/risky/bad'" in line


def test_utility_checks_only_terminals_not_partial_sums_along_a_path():
    # the chance node's accumulated outcome is -100 (sqrt undefined) but every outcome is >= 100
    tree = DecisionTree(
        Decision(
            "d",
            [
                Branch(
                    "gamble",
                    Chance(
                        "c",
                        [
                            Branch("x", Terminal(500), probability="1/2"),
                            Branch("y", Terminal(200), probability="1/2"),
                        ],
                    ),
                    payoff=-100,
                ),
                Branch("sure", Terminal(100)),
            ],
        ),
        utility={"expression": "sqrt(x)"},
    )
    r = evaluate(tree, method="exact")
    assert r.value == ((sympy.sqrt(400) + sympy.sqrt(100)) / 2) ** 2  # 225
    assert r.policy["d"] == "gamble"


def test_every_refusal_is_an_evtree_error():
    for payoff in ["3**w", "(-1)**p", "exp(w)"]:
        for method in ("float", "exact", "symbolic"):
            with pytest.raises(EvtreeError):
                evaluate(small_tree(payoff, w=10**8), method=method)
    with pytest.raises(ModelError):
        small_tree("sqrt(-1)")


# -- property: float rollback of an exponential utility agrees with a 60-digit rollback ----

mpmath.mp.dps = 60


def _oracle(node, r):
    """Certainty equivalent and chosen label by mpmath at 60 digits (independent of evtree)."""
    if isinstance(node, Terminal):
        return mpmath.mpf(node.payoff), None, mpmath.mpf(0)
    kids = [(b, _oracle(b, r)) for b in node.children]
    if isinstance(node, Chance):
        total = mpmath.fsum(
            mpmath.mpf(Fraction(c.probability).numerator)
            / Fraction(c.probability).denominator
            * mpmath.exp(-ce / r)
            for c, (ce, _, _) in kids
        )
        return -r * mpmath.log(total), None, mpmath.mpf(0)
    values = [ce for _, (ce, _, _) in kids]
    best = max(values)
    ordered = sorted(values, reverse=True)
    gap = ordered[0] - ordered[1] if len(ordered) > 1 else mpmath.mpf(1)
    first = next(i for i, v in enumerate(values) if v == best)
    return best, node.children[first].label, gap


outcome = st.one_of(st.integers(-6000, 6000), st.sampled_from([-5000, 200, 250, 300, 10**6, -(10**6)]))


@st.composite
def exponential_trees(draw):
    r = draw(st.sampled_from([1, 5, 50, 1000]))
    options = []
    for k in range(draw(st.integers(2, 4))):
        n = draw(st.integers(1, 3))
        xs = [draw(outcome) for _ in range(n)]
        if n == 1:
            options.append(Branch(f"o{k}", Terminal(xs[0])))
            continue
        weights = [draw(st.integers(0, 4)) for _ in range(n)]
        if sum(weights) == 0:
            weights[0] = 1
        probs = [Fraction(wt, sum(weights)) for wt in weights]
        options.append(
            Branch(
                f"o{k}",
                Chance(
                    f"c{k}",
                    [
                        Branch(f"b{i}", Terminal(x), probability=str(p))
                        for i, (x, p) in enumerate(zip(xs, probs))
                    ],
                ),
            )
        )
    return DecisionTree(Decision("d", options), utility={"type": "exponential", "risk_tolerance": r}), r


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exponential_trees())
def test_float_rollback_of_an_exponential_utility_matches_60_digits(case):
    tree, r = case
    best, label, gap = _oracle(tree.root, mpmath.mpf(r))
    result = evaluate(tree)
    assert math.isfinite(result.value)
    assert result.value == pytest.approx(float(best), rel=1e-12, abs=1e-9)
    if gap > mpmath.mpf(10) ** -6 * max(1, abs(best)):  # not a near tie: the same option
        assert result.policy["d"] == label
        chosen = result.value_of(f"d/{label}")
        assert chosen == pytest.approx(float(best), rel=1e-12, abs=1e-9)


def test_utility_checks_cover_arrays_of_parameter_values():
    tree = DecisionTree(
        Decision(
            "d",
            [
                Branch(
                    "gamble",
                    Chance(
                        "c",
                        [
                            Branch("lo", Terminal("m"), probability="1/2"),
                            Branch("hi", Terminal(100), probability="1/2"),
                        ],
                    ),
                ),
                Branch("sure", Terminal(30)),
            ],
        ),
        parameters=[Parameter("m", 4, low=-100, high=100)],
        utility={"expression": "sqrt(x)"},
    )
    r = evaluate(tree, {"m": [4.0, 0.0]})
    # CE = ((sqrt m + 10)/2)**2: 36 at m = 4, 25 at m = 0 (so the sure 30 wins there)
    assert list(r.value) == pytest.approx([36.0, 30.0], rel=1e-14)
    assert list(r.policy["d"]) == ["gamble", "sure"]
    with pytest.raises(EvaluationError, match="x = -10 of the terminal 'd/gamble/lo'"):
        evaluate(tree, {"m": [4.0, -10.0]})
