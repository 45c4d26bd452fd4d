"""Reference trees with known answers, built through the Python API.

    texaco_pennzoil   Clemen's Texaco–Pennzoil negotiation (*Making Hard Decisions*)
    korea_talks       the essays' tree: bilateral talks with North Korea, or not
    balanced          the benchmark tree of issue 11: alternating decision and chance levels

The same trees are kept as files in ``trees/``; the tests check that the files
and these functions describe equal trees.
"""

from __future__ import annotations

from .core.model import REST, Branch, Chance, Decision, DecisionTree, Parameter, Terminal

__all__ = ["balanced", "korea_talks", "texaco_pennzoil"]


def texaco_pennzoil() -> DecisionTree:
    """Clemen's Texaco–Pennzoil negotiation, payoffs in billions of dollars.

    Liedtke (Pennzoil) accepts Texaco's $2B offer or counteroffers $5B.  Texaco
    accepts the counteroffer (0.17), refuses it (0.50) and the case goes to
    court, or counteroffers $3B (0.33), which Liedtke accepts or refuses.  In
    court Pennzoil wins $10.3B (0.2), $5B (0.5) or nothing (0.3).  The
    counteroffer is worth 4.6348 and the $3B should be refused.

    Examples
    --------
    >>> from evtree import evaluate
    >>> evaluate(texaco_pennzoil()).value
    4.6348
    """

    def court(name: str) -> Chance:
        return Chance(
            name,
            [
                Branch("award 10.3", Terminal(10.3), probability=0.2),
                Branch("award 5", Terminal(5), probability=0.5),
                Branch("award 0", Terminal(0), probability=0.3),
            ],
        )

    root = Decision(
        "liedtke",
        [
            Branch("accept 2", Terminal(2)),
            Branch(
                "counteroffer 5",
                Chance(
                    "texaco",
                    [
                        Branch("accepts 5", Terminal(5), probability=0.17),
                        Branch("refuses", court("court_after_refusal"), probability=0.5),
                        Branch(
                            "counteroffers 3",
                            Decision(
                                "liedtke_on_3",
                                [
                                    Branch("accept 3", Terminal(3)),
                                    Branch("refuse 3", court("court_after_counter")),
                                ],
                            ),
                            probability=0.33,
                        ),
                    ],
                ),
            ),
        ],
    )
    return DecisionTree(
        root,
        name="Texaco-Pennzoil",
        description="Clemen, Making Hard Decisions, ch. 4: Liedtke's response to Texaco's $2B offer.",
        metadata={"units": "billion USD", "source": "Clemen, Making Hard Decisions"},
    )


def korea_talks() -> DecisionTree:
    """Return the essays' tree: bilateral talks with North Korea, or no talks.

    Payoffs are in points of U.S. value relative to the status quo of no talks
    (0).  Talking costs ``c_talk``.  After talks the North complies and a deal is
    on the table, flouts the gesture, or the allies defect (Drezner's "left in
    the lurch"); in each case the U.S. can still accept what is on the table or
    say no (Bordone and Chang's "power to say no").  See ``trees/korea_talks.yaml``
    for the reasoning behind every default and bound.
    """
    params = [
        Parameter("p_flout", 0.5, low=0, high=1, description="Probability the North flouts direct gestures"),
        Parameter(
            "p_defect", 0.25, low=0, high=1, description="Probability the allies shift position during talks"
        ),
        Parameter(
            "c_talk",
            2,
            low=0,
            high=20,
            description="Cost of sitting down: the 'insignificant concession' of listening",
        ),
        Parameter("v_deal", 100, low=0, high=200, description="Value of a denuclearisation deal"),
        Parameter(
            "g_flout",
            10,
            low=0,
            high=50,
            description="Gain in allied support for a harder line when the North flouts",
        ),
        Parameter(
            "v_demands",
            -50,
            low=-100,
            high=0,
            description="Value of giving in to the North's demands after it flouts",
        ),
        Parameter(
            "v_soft",
            -30,
            low=-100,
            high=0,
            description="Value of going along with the allies' softer line after they defect",
        ),
        Parameter(
            "l_defect", 40, low=0, high=100, description="Loss from saying no alone after the allies defect"
        ),
    ]
    # Distributions for probabilistic sensitivity analysis: each payoff over its bounds,
    # peaked at its default (see trees/korea_talks.yaml).
    distribution = {
        "c_talk": {"type": "gamma", "mean": 2, "sd": 1},
        "v_deal": {"type": "pert", "low": 0, "mode": 100, "high": 200},
        "g_flout": {"type": "pert", "low": 0, "mode": 10, "high": 50},
        "v_demands": {"type": "triangular", "low": -100, "mode": -50, "high": 0},
        "v_soft": {"type": "triangular", "low": -100, "mode": -30, "high": 0},
        "l_defect": {"type": "pert", "low": 0, "mode": 40, "high": 100},
    }
    params = [p.replace(distribution=distribution.get(p.name)) for p in params]

    def respond(name: str, accept: str, say_no: str) -> Decision:
        return Decision(name, [Branch("accept", Terminal(accept)), Branch("say no", Terminal(say_no))])

    root = Decision(
        "us_choice",
        [
            Branch(
                "talks",
                Chance(
                    "north_response",
                    [
                        Branch("complies", respond("after_complies", "v_deal", "0"), probability=REST),
                        Branch(
                            "flouts", respond("after_flouts", "v_demands", "g_flout"), probability="p_flout"
                        ),
                        Branch(
                            "allies defect",
                            respond("after_defect", "v_soft", "-l_defect"),
                            probability="p_defect",
                        ),
                    ],
                ),
                payoff="-c_talk",
            ),
            Branch("no talks", Terminal(0)),
        ],
    )
    return DecisionTree(
        root,
        parameters=params,
        name="Bilateral talks with North Korea",
        description="Bordone & Chang, 'Real Superpowers Negotiate'; Drezner, 'When negotiations suck eggs'.",
        distributions=[
            {"type": "dirichlet", "node": "north_response", "mean": [0.25, 0.5, 0.25], "concentration": 20}
        ],
        claims=_KOREA_CLAIMS,
    )


# The claims stated in trees/korea_talks.yaml (checked by evtree.claims; docs/claims.md).
_KOREA_CLAIMS = [
    {"name": "listening gives up nothing", "claim": "EV(talks) >= EV(no talks)", "region": ["p_defect"]},
    {
        "name": "listening gives up nothing when saying no costs nothing",
        "claim": "EV(talks) >= EV(no talks)",
        "assuming": [
            "EV(us_choice/talks/complies/say no) >= EV(no talks)",
            "EV(us_choice/talks/flouts/say no) >= EV(no talks)",
            "EV(us_choice/talks/allies defect/say no) >= EV(no talks)",
        ],
    },
    {
        "name": "talks pay while allied defection is unlikely enough",
        "claim": "EV(talks) >= EV(no talks)",
        "vary": ["p_defect"],
        "assuming": ["p_defect <= 53/130"],
    },
    {
        "name": "our strongest asset is our power to say no",
        "kind": "dominance",
        "a": {},
        "b": {"after_complies": "accept", "after_flouts": "accept", "after_defect": "accept"},
    },
    {
        "name": "if the North flouts, the U.S. hand is strengthened",
        "claim": "EV(after_flouts) >= EV(no talks)",
        "region": ["g_flout", "c_talk"],
    },
    {
        "name": "a flouting North strengthens the U.S. hand once the gain covers the cost of talking",
        "claim": "EV(after_flouts) >= EV(no talks)",
        "assuming": ["g_flout >= c_talk"],
    },
    {
        "name": "after the North flouts, saying no is optimal",
        "kind": "optimal",
        "strategy": {"after_flouts": "say no"},
        "at": "after_flouts",
    },
    {
        "name": "if the allies defect, the U.S. is left in the lurch",
        "claim": "EV(after_defect) <= EV(no talks)",
    },
    {
        "name": "talks never lose more than 120 points",
        "kind": "bound",
        "node": "talks",
        "sense": ">=",
        "bound": -120,
    },
]


def balanced(depth: int) -> DecisionTree:
    """Return the benchmark tree of issue 11: ``depth`` levels of two-way nodes above the terminals.

    Levels alternate two-way decisions and two-way chance nodes from a decision
    root.  With ``i`` counting nodes in pre-order (the root is 0), a chance node's
    branches have probabilities ``p{i % 2}`` and ``rest``, a decision's first
    branch has the payoff ``i % 3``, and a terminal's payoff is ``v{i % 4} + {i % 7}``.
    Parameters: ``v0`` .. ``v3`` (defaults 0 .. 3, bounds -10 .. 10) and ``p0``,
    ``p1`` (default 1/3, bounds 0 .. 1).  ``balanced(depth)`` has
    ``2 ** (depth + 1) - 1`` nodes.

    Examples
    --------
    >>> from evtree import count_strategies, evaluate
    >>> tree = balanced(5)
    >>> len(list(tree.nodes())), count_strategies(tree)
    (63, 128)
    >>> [terminal.payoff for terminal in balanced(1).root.children]
    ['v1 + 1', 'v2 + 2']
    """
    if depth < 0:
        raise ValueError(f"depth must be at least 0, got {depth}")
    counter = iter(range(2 ** (depth + 1)))

    def node(level: int) -> Decision | Chance | Terminal:
        i = next(counter)
        if level == depth:
            return Terminal(f"v{i % 4} + {i % 7}")
        if level % 2 == 0:
            first, second = node(level + 1), node(level + 1)
            return Decision(f"d{i}", [Branch("a", first, payoff=i % 3), Branch("b", second)])
        first, second = node(level + 1), node(level + 1)
        return Chance(
            f"c{i}", [Branch("h", first, probability=f"p{i % 2}"), Branch("t", second, probability=REST)]
        )

    parameters = [Parameter(f"v{k}", k, low=-10, high=10) for k in range(4)]
    parameters += [Parameter(f"p{k}", "1/3", low=0, high=1) for k in range(2)]
    return DecisionTree(node(0), parameters=parameters, name=f"balanced({depth})")


#: Likelihoods of two conditionally independent tests of :func:`drill_or_sell` (signals
#: good/bad from each test: ``gg``, ``gb``, ``bg``, ``bb``), for :func:`evtree.bayes.signal_tree`.
TWO_TESTS = {
    "oil": {"gg": "s1*s2", "gb": "s1*(1-s2)", "bg": "(1-s1)*s2", "bb": "rest"},
    "dry": {"gg": "(1-t1)*(1-t2)", "gb": "(1-t1)*t2", "bg": "t1*(1-t2)", "bb": "rest"},
}


def drill_or_sell() -> DecisionTree:
    """Build drill (oil worth ``v_oil`` with chance ``p``, else -100) or sell for 90.

    With :data:`TWO_TESTS` (sensitivities ``s1``, ``s2``, specificities ``t1``, ``t2``) it is the
    two-test Bayes tree whose posteriors make degree-4 claims.

    Examples
    --------
    >>> from evtree import evaluate
    >>> evaluate(drill_or_sell(), method="exact").value  # 1/4*700 - 3/4*100 = 100 > 90
    100
    """
    oil = Chance(
        "oil",
        [
            Branch("oil", Terminal("v_oil"), probability="p"),
            Branch("dry", Terminal(-100), probability=REST),
        ],
    )
    return DecisionTree(
        Decision("drill?", [Branch("drill", oil), Branch("sell", Terminal(90))]),
        parameters=[
            Parameter("p", 0.25, low=0, high=1),
            Parameter("v_oil", 700, low=0, high=1000),
            Parameter("s1", 0.6, low=0, high=1),
            Parameter("s2", 0.7, low=0, high=1),
            Parameter("t1", 0.8, low=0, high=1),
            Parameter("t2", 0.9, low=0, high=1),
        ],
    )
