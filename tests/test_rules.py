"""Decision rules without probabilities (maxi-min, maxi-max, mini-min, mini-max) beside expected value.

Expected values are worked by hand in the comments, or are the values SilverDecisions
stored in its own test file ``differentrulesandflip_pass.json`` (sd-computations /
SilverDecisions test/trees, LGPL-3.0), computed by SilverDecisions for every rule.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import sympy

import evtree
from evtree import REST, Branch, Chance, Decision, DecisionTree, Parameter, Terminal, evaluate, symbol
from evtree.core.errors import EvaluationError, FileFormatError, ModelError
from evtree.core.rules import RULES, rule_named

SD_RULES = [
    "expected-value-maximization",
    "expected-value-minimization",
    "maxi-min",
    "maxi-max",
    "mini-min",
    "mini-max",
]


def _two_options(p=Fraction(9, 10)):
    # safe: 4 for sure.  gamble: 10 with probability p, 0 otherwise.  branch payoff -1 on the gamble.
    return DecisionTree(
        Decision(
            "choose",
            [
                Branch("safe", Terminal(4)),
                Branch(
                    "gamble",
                    Chance(
                        "luck",
                        [
                            Branch("win", Terminal(10), probability=p),
                            Branch("lose", Terminal(0), probability=REST),
                        ],
                    ),
                    payoff=-1,
                ),
            ],
        )
    )


def test_rule_names_are_silverdecisions_names():
    assert list(RULES) == SD_RULES
    assert rule_named("max") == RULES["expected-value-maximization"]
    with pytest.raises(ModelError, match="unknown decision rule 'maximin'"):
        rule_named("maximin")


@pytest.mark.parametrize(
    ("rule", "value", "choice"),
    [
        # EV: gamble 0.9*10 - 1 = 8 > 4
        ("expected-value-maximization", 8, "gamble"),
        # EV-min: min(4, 8) = 4
        ("expected-value-minimization", 4, "safe"),
        # worst case of the gamble: 0 - 1 = -1 < 4: safe
        ("maxi-min", 4, "safe"),
        # best case of the gamble: 10 - 1 = 9 > 4
        ("maxi-max", 9, "gamble"),
        # minimise the worst: min(4, -1) = -1
        ("mini-min", -1, "gamble"),
        # minimise the best: min(4, 9) = 4
        ("mini-max", 4, "safe"),
    ],
)
def test_each_rule_by_hand(rule, value, choice):
    tree = _two_options()
    r = evaluate(tree, rule=rule, method="exact")
    assert r.value == value
    assert r.policy == {"choose": choice}
    assert r.rule == rule
    f = evaluate(tree, rule=rule)
    assert f.value == pytest.approx(value)


def test_rules_ignore_probabilities_even_zero():
    """The worst child counts whatever its probability, as in SilverDecisions (here probability 0)."""
    tree = _two_options(p=1)
    assert evaluate(tree, rule="maxi-min", method="exact").value == 4  # lose (prob 0) is -1
    assert evaluate(tree, method="exact").value == 9


def test_symbolic_rule_gives_min_and_max():
    tree = DecisionTree(
        Decision(
            "d",
            [
                Branch(
                    "a",
                    Chance(
                        "c",
                        [
                            Branch("x", Terminal("h"), probability="1/2"),
                            Branch("y", Terminal(2), probability=REST),
                        ],
                    ),
                ),
                Branch("b", Terminal(3)),
            ],
        ),
        parameters=[Parameter("h", 5, low=0, high=10)],
    )
    r = evaluate(tree, rule="maxi-min", method="symbolic")
    h = symbol("h")
    assert sympy.simplify(r.value - sympy.Max(sympy.Min(h, 2), 3)) == 0
    assert r.policy == {"d": "b"}  # at h = 5: min(5, 2) = 2 < 3


def test_tree_rule_from_objective_and_file(tmp_path):
    tree = _two_options()
    t2 = DecisionTree(tree.root, objective="maxi-min")
    assert (t2.rule, t2.objective) == ("maxi-min", "max")
    assert evaluate(t2, method="exact").value == 4
    assert evaluate(t2, rule="maxi-max", method="exact").value == 9  # the option overrides
    assert t2.copy().rule == "maxi-min"
    path = tmp_path / "t.yaml"
    evtree.write_tree(t2, path)
    back = evtree.read_tree(path)
    assert back.rule == "maxi-min" and back == t2
    text = path.read_text()
    assert "rule: maxi-min" in text
    # objective and rule must agree
    bad = text.replace("objective: max", "objective: min")
    path.write_text(bad)
    with pytest.raises(
        FileFormatError, match=r"t.yaml:\d+:\d+.*rule 'maxi-min' maximises, but the objective is 'min'"
    ):
        evtree.read_tree(path)
    path.write_text(text.replace("rule: maxi-min", "rule: worst"))
    with pytest.raises(ModelError, match="unknown decision rule 'worst'"):
        evtree.read_tree(path)


def test_utility_needs_an_expected_value_rule():
    tree = _two_options()
    with pytest.raises(EvaluationError, match="expected-value rule"):
        evaluate(tree, rule="maxi-min", utility={"type": "exponential", "risk_tolerance": 10})


def test_strategy_values_follow_the_rule():
    r = evaluate(_two_options(), rule="maxi-max", method="exact")
    frame = r.strategies
    assert list(frame["value"]) == [4, 9]


def _sd(text):
    """Read a SilverDecisions mixed fraction such as '-4 1973731/5073127' (the sign is the whole's)."""
    sign = -1 if text.startswith("-") else 1
    whole, _, frac = text.lstrip("-").partition(" ")
    return sign * (Fraction(whole) + Fraction(frac or 0))


def _sd_tree():
    """SilverDecisions' differentrulesandflip_pass.json (v0.6.0): a = 1, b = 2, c = 3, d = 4, e = 0.7."""
    p_tak = abs(math.sin(4))  # 'abs(sin(d))'
    p_dwa = math.sin(0.7)  # 'sin(e)'
    return DecisionTree(
        Decision(
            "root",
            [
                Branch(
                    "opcja 1",
                    Chance(
                        "c1",
                        [
                            Branch(
                                "tak",
                                Chance(
                                    "c11",
                                    [
                                        Branch("jeden", Terminal(0), probability="1/5", payoff=10),
                                        Branch("dwa", Terminal(0), probability="4/5", payoff=12),
                                    ],
                                ),
                                probability="1/2",
                            ),
                            Branch(
                                "nie",
                                Chance(
                                    "c12",
                                    [
                                        Branch("jeden", Terminal(0), probability="7/10", payoff=3),
                                        Branch("dwa", Terminal(0), probability="3/10", payoff=50),
                                    ],
                                ),
                                probability="1/2",
                            ),
                        ],
                    ),
                    payoff="-exp(2)",
                ),
                Branch(
                    "opcja 2",
                    Chance(
                        "c2",
                        [
                            Branch(
                                "tak",
                                Chance(
                                    "c21",
                                    [
                                        Branch("jeden", Terminal(0), probability=1 - p_dwa, payoff=35),
                                        Branch("dwa", Terminal(0), probability=p_dwa),
                                    ],
                                ),
                                probability=p_tak,
                            ),
                            Branch(
                                "nie",
                                Chance(
                                    "c22",
                                    [
                                        Branch("jeden", Terminal(0), probability="7/10", payoff=10),
                                        Branch("dwa", Terminal(0), probability="3/10", payoff=60),
                                    ],
                                ),
                                probability=REST,
                            ),
                        ],
                    ),
                    payoff="-exp(3)",
                ),
            ],
        )
    )


SD_STORED = {  # computed[rule].payoff of the root, option 1 and option 2, as stored by SilverDecisions
    "mini-max": ("39 2479103/2710993", "42 3099396/5073127", "39 2479103/2710993"),
    "expected-value-maximization": (
        "6 97499809/101462540",
        "6 97499809/101462540",
        "-4 392607052630162/675039163799827",
    ),
    "expected-value-minimization": (
        "-4 392607052630162/675039163799827",
        "6 97499809/101462540",
        "-4 392607052630162/675039163799827",
    ),
    "maxi-min": ("-4 1973731/5073127", "-4 1973731/5073127", "-20 231890/2710993"),
    "maxi-max": ("42 3099396/5073127", "42 3099396/5073127", "39 2479103/2710993"),
    "mini-min": ("-20 231890/2710993", "-4 1973731/5073127", "-20 231890/2710993"),
}


@pytest.mark.parametrize("rule", SD_RULES)
def test_silverdecisions_stored_values_for_every_rule(rule):
    tree = _sd_tree()
    r = evaluate(tree, rule=rule)
    root, o1, o2 = (float(_sd(t)) for t in SD_STORED[rule])
    # SilverDecisions turns floats such as exp(2) into fractions of denominator < 1e7: ~1e-9 agreement
    assert r.value == pytest.approx(root, rel=1e-9)
    assert r.option_values["root"]["opcja 1"] == pytest.approx(o1, rel=1e-9)
    assert r.option_values["root"]["opcja 2"] == pytest.approx(o2, rel=1e-9)
