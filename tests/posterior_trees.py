"""Textbook-style trees with Bayes posteriors, and an oracle that values them without a tree.

Each problem: states with prior probabilities, an optional test whose signals
have likelihoods given each state, actions with a payoff per state, and a test
cost.  The tree is the textbook one: decide to test or not; without the test
choose an action facing the prior; with it, see the signal (probability
``P(signal)``), then choose an action facing the posterior ``P(state | signal)``.
The posteriors and signal probabilities are computed here with fractions, and
written into the tree either as those fractions or as their float decimals
(``0.17647058823529413`` for 3/17), as an analyst pasting numbers would.

:func:`oracle` computes the values straight from the problem, by Bayes' rule and
the definition of expected value, without building a tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction as F

from evtree import Branch, Chance, Decision, DecisionTree, Terminal


@dataclass(frozen=True)
class Problem:
    name: str
    states: tuple[str, ...]
    prior: tuple[F, ...]
    signals: tuple[str, ...]
    likelihood: tuple[tuple[F, ...], ...]  # likelihood[state][signal]
    payoffs: dict[str, tuple[F, ...]]  # action -> payoff per state
    cost: F

    def joint(self, s: int, y: int) -> F:
        return self.prior[s] * self.likelihood[s][y]

    def signal_probability(self, y: int) -> F:
        return sum((self.joint(s, y) for s in range(len(self.states))), F(0))

    def posterior(self, s: int, y: int) -> F:
        return self.joint(s, y) / self.signal_probability(y)


PROBLEMS = [
    # Hillier & Lieberman's Goferbroke: oil 1/4; seismic survey favourable 0.6 | oil, 0.2 | dry.
    Problem(
        "goferbroke",
        ("oil", "dry"),
        (F(1, 4), F(3, 4)),
        ("FSS", "USS"),
        ((F(3, 5), F(2, 5)), (F(1, 5), F(4, 5))),
        {"drill": (F(700), F(-100)), "sell": (F(90), F(90))},
        F(30),
    ),
    # Test or treat: prevalence 1/10, sensitivity 9/10, specificity 4/5.
    Problem(
        "test_or_treat",
        ("disease", "healthy"),
        (F(1, 10), F(9, 10)),
        ("pos", "neg"),
        ((F(9, 10), F(1, 10)), (F(1, 5), F(4, 5))),
        {"treat": (F(-1), F(-1)), "wait": (F(-10), F(0))},
        F(0),
    ),
    # A market survey: success 1/5, the survey says "good" 3/5 | success and 9/80 | failure: 12/68 etc.
    Problem(
        "market_survey",
        ("success", "failure"),
        (F(1, 5), F(4, 5)),
        ("good", "poor"),
        ((F(3, 5), F(2, 5)), (F(7, 40), F(33, 40))),
        {"launch": (F(500), F(-200)), "shelve": (F(0), F(0))},
        F(10),
    ),
    # Raiffa's wildcatter with three states and three seismic readings.
    Problem(
        "wildcatter",
        ("dry", "wet", "soaking"),
        (F(1, 2), F(3, 10), F(1, 5)),
        ("none", "open", "closed"),
        ((F(3, 5), F(3, 10), F(1, 10)), (F(3, 10), F(2, 5), F(3, 10)), (F(1, 10), F(2, 5), F(1, 2))),
        {"drill": (F(-70), F(50), F(200)), "lease": (F(10), F(10), F(10))},
        F(10),
    ),
    # A weather forecast for an outdoor event.
    Problem(
        "picnic",
        ("rain", "dry"),
        (F(1, 3), F(2, 3)),
        ("wet forecast", "dry forecast"),
        ((F(7, 10), F(3, 10)), (F(1, 6), F(5, 6))),
        {"outdoors": (F(0), F(100)), "indoors": (F(60), F(50))},
        F(2),
    ),
    # Quality control: a batch is bad with probability 1/20; the sample test.
    Problem(
        "batch",
        ("bad", "good"),
        (F(1, 20), F(19, 20)),
        ("fail", "pass"),
        ((F(19, 20), F(1, 20)), (F(1, 10), F(9, 10))),
        {"ship": (F(-500), F(100)), "scrap": (F(-40), F(-40))},
        F(5),
    ),
    # Hiring after an interview: a good candidate 2/5 of the time.
    Problem(
        "hiring",
        ("good", "poor"),
        (F(2, 5), F(3, 5)),
        ("impresses", "fails"),
        ((F(4, 5), F(1, 5)), (F(1, 3), F(2, 3))),
        {"hire": (F(90), F(-60)), "pass": (F(0), F(0))},
        F(3),
    ),
    # A court case with an expert's opinion (three verdicts).
    Problem(
        "court",
        ("win", "settle", "lose"),
        (F(1, 6), F(1, 2), F(1, 3)),
        ("favourable", "unfavourable"),
        ((F(5, 6), F(1, 6)), (F(1, 2), F(1, 2)), (F(2, 9), F(7, 9))),
        {"sue": (F(1000), F(300), F(-200)), "drop": (F(0), F(0), F(0))},
        F(20),
    ),
    # A research project with a pilot study.
    Problem(
        "pilot",
        ("works", "fails"),
        (F(3, 7), F(4, 7)),
        ("promising", "not"),
        ((F(5, 8), F(3, 8)), (F(3, 11), F(8, 11))),
        {"fund": (F(120), F(-80)), "stop": (F(0), F(0))},
        F(4),
    ),
]


def build(problem: Problem, *, decimals: bool, digits: int | None = None) -> DecisionTree:
    """The textbook tree of a problem, numbers as fractions or as their float decimals."""

    def num(x: F):
        if not decimals:
            return f"{x.numerator}/{x.denominator}"
        return float(x) if digits is None else round(float(x), digits)

    n_states = len(problem.states)

    def facing(probs, tag):
        return Decision(
            f"act{tag}",
            [
                Branch(
                    a,
                    Chance(
                        f"state{tag}_{a}",
                        [
                            Branch(
                                problem.states[s],
                                Terminal(num(problem.payoffs[a][s])),
                                probability=num(probs[s]),
                            )
                            for s in range(n_states)
                        ],
                        event="state",  # every copy is the one uncertain state
                    ),
                )
                for a in problem.payoffs
            ],
        )

    signals = [
        Branch(
            y,
            facing([problem.posterior(s, j) for s in range(n_states)], f"_{y}"),
            probability=num(problem.signal_probability(j)),
        )
        for j, y in enumerate(problem.signals)
    ]
    root = Decision(
        "test",
        [
            Branch("no test", facing(problem.prior, "")),
            Branch("test", Chance("signal", signals), payoff=num(-problem.cost)),
        ],
    )
    return DecisionTree(root, name=problem.name)


def oracle(problem: Problem) -> dict[str, F]:
    """Values straight from the problem: without the test, with it, and with clairvoyance."""
    n = range(len(problem.states))
    without = max(sum((problem.prior[s] * v[s] for s in n), F(0)) for v in problem.payoffs.values())
    with_test = (
        sum(
            (
                max(sum((problem.joint(s, j) * v[s] for s in n), F(0)) for v in problem.payoffs.values())
                for j in range(len(problem.signals))
            ),
            F(0),
        )
        - problem.cost
    )
    perfect = sum((problem.prior[s] * max(v[s] for v in problem.payoffs.values()) for s in n), F(0))
    return {"without": without, "with_test": with_test, "value": max(without, with_test), "perfect": perfect}
